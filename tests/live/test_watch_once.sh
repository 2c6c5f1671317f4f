#!/bin/bash
# A folder the agent cannot watch is said once, not at every change of the
# logs' folder.  The log is a symlink into a folder the agent's user may
# enter but not list (0711): the file is pending (unreadable, 0600), and
# its folder, which the agent watches for a pending symlink's target,
# cannot be watched (inotify needs read permission).  Another site's log
# beside the symlink is written to for 12 s, each write a change of the
# folder the agent looks at the site's files for; the "watch FOLDER"
# warning must appear once.  Then the folder and file are made readable:
# the folder is watched again (it is tried every 5 s: a write to the target
# makes no event beside the symlink), and the lines written since the first
# start are delivered, the old ones not.
# Then a symlink into a folder the agent may not even enter (0700): each
# reload says again that it cannot be opened, and the reload after access
# is granted reads it.
# The agent runs as user nobody (setpriv); where that is impossible the
# test says SKIP and passes.
# shellcheck source=live_lib.sh
. "$(dirname "$0")/live_lib.sh"

skip() { echo "SKIP: $LIVE_NAME: $*"; exit 0; }
AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
L=$T/logs
H=$T/hidden
live_config
endpoint_start
mkdir -p "$H"
append_lines "$H/real.log" slink-old 0 10
chmod 600 "$H/real.log"
ln -s "$H/real.log" "$L/slink.log"
make_live_site slink "$L/slink.log" --read-from end
make_live_site busy "$L/busy.log" --read-from end
: > "$L/busy.log"
chmod 644 "$L/busy.log"
chmod 711 "$T" "$H"
chmod 755 "$T/etc" "$T/etc/conf.d" "$T/certs" "$L"
chown nobody:nogroup "$T/state" "$T/etc/token" "$T"/etc/conf.d/*.conf
"${AS[@]}" true 2> /dev/null || skip "setpriv cannot switch to user nobody here"
! "${AS[@]}" ls "$H" > /dev/null 2>&1 || skip "user nobody can list a folder of root's of mode 0711 here"
AGENT_AS=("${AS[@]}")

agent_start 2
for i in $(seq 0 11); do
	append_lines "$L/busy.log" busy $((i * 2)) 2
	sleep 1
done
expected_keys busy "$L/busy.log" > "$T/exp.busy"
wait_delivered "$T/exp.busy" 15
assert_eq "warnings about watching $H" 1 "$(agent_log_count "site slink: watch $H, the folder of $L/slink.log.s target: Permission denied \\(tried again every 5 s\\)" "$AGENT_ERR")"
report "a folder that cannot be watched: said once in 12 s of changes beside the log"

# Readable now: what was written since the first start is read.
append_lines "$H/real.log" slink-new 0 5
chmod 755 "$H"
chmod 644 "$H/real.log"
append_lines "$L/busy.log" busy 24 2
head -n 10 "$H/real.log" > "$T/old.log"
expected_keys slink "$H/real.log" > "$T/all.slink"
expected_keys slink "$T/old.log" > "$T/old.slink"
keys_minus "$T/all.slink" "$T/old.slink" > "$T/exp.slink"
wait_delivered "$T/exp.slink" 20
[ "$(agent_log_count "watching $H again" "$AGENT_ERR")" -ge 1 ] || fail "no \"watching $H again\" logged"
report "the folder and file made readable: the lines written since the first start delivered"

# A symlink into a folder the agent's user may not even enter (0700): no
# folder to watch is known.  A reload says again that it cannot be opened;
# once it may, a reload reads it (from its beginning: the agent could not
# see it at its first start, as for a log in a folder it could not enter).
reloads() { [ "$(agent_log_count "configuration reloaded \\(" "$AGENT_ERR")" -ge "$1" ]; }
hup() { # N: SIGHUP, then wait for the Nth "configuration reloaded"
	kill -HUP "$AGENT_PID"
	wait_until 10 "reload $1" reloads "$1"
}
D=$T/deep
mkdir -p "$D"
append_lines "$D/real.log" deep-old 0 3
chmod 700 "$D"
ln -s "$D/real.log" "$L/deep.log"
make_live_site deep "$L/deep.log" --read-from end
chown nobody:nogroup "$T/etc/conf.d/deep.conf"
hup 1
said() { assert_eq "log lines matching [$1]" "$2" "$(agent_log_count "$1" "$AGENT_ERR")"; }
said "site deep: open $L/deep.log: Permission denied" 1
said "site deep: open $L/deep.log: Permission denied: user nobody may not read it; once it may, it is opened at the next reload \\(systemctl reload pintail\\), and read from its beginning" 1
hup 2
said "site deep: open $L/deep.log: Permission denied" 2
chmod 755 "$D"
append_lines "$D/real.log" deep-new 0 3
hup 3
expected_keys deep "$D/real.log" > "$T/exp.deep"
wait_delivered "$T/exp.deep" 15
report "a symlink into a folder it could not enter: said again at each reload; read at the reload after access was granted"
agent_stop TERM

expected_keys busy "$L/busy.log" > "$T/exp.busy"
cat "$T/exp.busy" "$T/exp.slink" "$T/exp.deep" > "$T/exp"
assert_only_expected "$T/exp"
assert_eq "events delivered twice" 0 "$(dup_count)"
assert_no_violations
echo "$LIVE_NAME: all checks passed"
