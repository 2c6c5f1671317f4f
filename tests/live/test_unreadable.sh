#!/bin/bash
# Logs the agent's user cannot read yet (no group adm, no ACL) at the sites'
# very first start, with read_from = end.  Once a log can be read, it begins
# where it ended at that first start: the lines it held then are never sent,
# those written since are sent exactly once.
#
# 1. one.log is made readable while the agent runs.
# 2. two.log is still unreadable when the agent restarts (its place is kept
#    in the checkpoint), and made readable after.
# 3. three.log is truncated and written anew before it can be read: it is
#    read from its beginning.
# 4. four.log is rotated (renamed, a readable successor created) before it
#    can be read: the successor is read from its beginning, and the renamed
#    file, once it can be read, from where it ended at the first start.
# 5. one.log, read and checkpointed by now, cannot be opened at a restart:
#    once it can, it is read on from its checkpoint, nothing twice.
# The failed open is logged once per file and run, naming the site and the
# remedy, however often the folder changes meanwhile; `pintail status` lists
# such a file with "CANNOT BE OPENED" and why ("error" in --json) until it
# can be read.
#
# The agent runs as user nobody (setpriv); the logs are root's, mode 0600.
# Where that is impossible, or nobody can read them anyway, the test says
# SKIP and passes.
# shellcheck source=live_lib.sh
. "$(dirname "$0")/live_lib.sh"

AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
L=$T/logs

skip() { echo "SKIP: $LIVE_NAME: $*"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip "not root: the agent cannot be run as another user"
command -v setpriv > /dev/null || skip "no setpriv"
{ getent passwd nobody && getent group nogroup; } > /dev/null || skip "no user nobody or group nogroup"

live_config
endpoint_start
for s in one two three four; do
	make_live_site "$s" "$L/$s.log" --read-from end
	append_lines "$L/$s.log" "$s-old" 0 20
	chmod 600 "$L/$s.log"
done
# What the agent's user needs: its state, its configuration, the CA, the folder.
chmod 711 "$T"
chmod 755 "$T/etc" "$T/etc/conf.d" "$T/certs" "$L"
chown nobody:nogroup "$T/state" "$T/etc/token" "$T"/etc/conf.d/*.conf
"${AS[@]}" true 2> /dev/null || skip "setpriv cannot switch to user nobody here"
! "${AS[@]}" cat "$L/one.log" > /dev/null 2>&1 || skip "user nobody can read a file of root's of mode 0600 here"
"${AS[@]}" "$PINTAIL" -c "$CONF" check > "$T/check.nobody" 2>&1 \
	|| { cat "$T/check.nobody" >&2; fail "pintail check refused the configuration as user nobody"; }
AGENT_AS=("${AS[@]}")

# The keys of a log's first N lines: those of the events it held at the first
# start (a file's keys hang on its first line and the offsets, so a copy of
# its start gives the same).
old_keys() { # SITE FILE N
	head -n "$3" "$2" > "$T/head.log"
	expected_keys "$1" "$T/head.log"
}
# new_keys SITE FILE: the keys of the lines written after the first start.
new_keys() {
	expected_keys "$1" "$2" > "$T/all.keys"
	old_keys "$1" "$2" 20 > "$T/old.keys"
	keys_minus "$T/all.keys" "$T/old.keys"
}
denied() { agent_log_count "site $1: open $L/$1.log: Permission denied: user .* may not read it; once it may, it is read .*group adm.*ACL" "$AGENT_ERR"; }
said() { [ "$(agent_log_count "$1" "$AGENT_ERR")" -ge 1 ]; }
size_of() { stat -c %s "$1"; }
SIZE1=$(size_of "$L/one.log")
SIZE2=$(size_of "$L/two.log")
SIZE4=$(size_of "$L/four.log")

agent_start 4
# The folder changes while the logs cannot be read: lines are written to
# them, other files come and go.
for i in 0 1 2; do
	for s in one two three four; do append_lines "$L/$s.log" "$s-new" $((i * 5)) 5; done
	touch "$L/other.$i"
	sleep 0.3
done

# ---- 0. status shows the logs it cannot open, and why
status_denied() {
	"$PINTAIL" -c "$CONF" status one > "$T/status.one" 2>&1 &&
		grep -q "^  $L/one.log .*" "$T/status.one" &&
		grep -q "^    ^ CANNOT BE OPENED: Permission denied" "$T/status.one"
}
wait_until 15 "pintail status showing one.log as CANNOT BE OPENED" status_denied
"$PINTAIL" -c "$CONF" status one --json > "$T/status.json.one"
assert_eq "status --json: the error of one.log" "Permission denied" \
	"$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["sites"][0]["files"][0].get("error"))' "$T/status.json.one")"
report "status: one.log listed as CANNOT BE OPENED: Permission denied"

# ---- 1. one.log becomes readable while the agent runs
chmod 644 "$L/one.log"
append_lines "$L/one.log" one-new 15 5
new_keys one "$L/one.log" > "$T/exp.one"
wait_delivered "$T/exp.one" 20
status_readable() { "$PINTAIL" -c "$CONF" status one > "$T/status.one" 2>&1 && ! grep -q "CANNOT BE OPENED" "$T/status.one"; }
wait_until 15 "pintail status no longer showing one.log as CANNOT BE OPENED" status_readable
assert_url_not_delivered "/products/one-old-"
said "site one: $L/one.log can be opened now; reading it from offset $SIZE1, its size at the site's first start" \
	|| fail "no line saying one.log is read from offset $SIZE1 now"
report "one.log: $(wc -l < "$T/exp.one") lines written since the first start delivered, none of the 20 before"

# ---- 3. three.log truncated and written anew, then readable: from 0
: > "$L/three.log"
append_lines "$L/three.log" three-after 0 3
chmod 644 "$L/three.log"
expected_keys three "$L/three.log" > "$T/exp.three"
wait_delivered "$T/exp.three" 20
# (Seen when it is truncated, from its IN_MODIFY, or when it is opened.)
said "site three: $L/three.log (was truncated before it could be opened|can be opened now, and is shorter than at the site's first start)" \
	|| fail "no line saying three.log was truncated meanwhile and is read from its beginning"
report "three.log, truncated before it could be read: read from its beginning"

# ---- 4. four.log rotated before it could be read
mv "$L/four.log" "$L/four.log.1"
append_lines "$L/four.log.1" four-new 15 5
append_lines "$L/four.log" four-succ 0 5
chmod 644 "$L/four.log"
expected_keys four "$L/four.log" > "$T/exp.four"
wait_delivered "$T/exp.four" 20
chmod 644 "$L/four.log.1"
new_keys four "$L/four.log.1" > "$T/exp.four1"
wait_delivered "$T/exp.four1" 20
assert_url_not_delivered "/products/four-old-"
said "site four: $L/four.log.1 can be opened now; reading it from offset $SIZE4" \
	|| fail "no line saying the rotated four.log.1 is read from offset $SIZE4 now"
report "four.log, rotated before it could be read: its successor from its beginning, itself from offset $SIZE4"

for s in one two three four; do
	assert_eq "lines saying $s.log cannot be opened" 1 "$(denied "$s")"
done
assert_url_not_delivered "/products/two-"

# ---- 2. a restart while two.log still cannot be read
agent_stop TERM
append_lines "$L/two.log" two-new 15 5
append_lines "$L/one.log" one-new 20 5
agent_start 4
append_lines "$L/two.log" two-new 20 5
chmod 644 "$L/two.log"
new_keys two "$L/two.log" > "$T/exp.two"
new_keys one "$L/one.log" > "$T/exp.one"
wait_delivered "$T/exp.two" 20
wait_delivered "$T/exp.one" 20
assert_url_not_delivered "/products/two-old-"
assert_eq "lines saying two.log cannot be opened after the restart" 1 "$(denied two)"
said "site two: open $L/two.log: .*; once it may, it is read from offset $SIZE2, its size at the site's first start" \
	|| fail "the restarted agent did not say two.log would be read from offset $SIZE2"
said "site two: $L/two.log can be opened now; reading it from offset $SIZE2" \
	|| fail "no line saying two.log is read from offset $SIZE2 now"
report "two.log, restarted while unreadable: $(wc -l < "$T/exp.two") lines written since the first start delivered, none of the 20 before"

# ---- 5. one.log, read and checkpointed, cannot be opened at a restart
agent_stop TERM
chmod 600 "$L/one.log"
CK1=$(size_of "$L/one.log") # all read and saved at the clean stop
append_lines "$L/one.log" one-new 25 5
agent_start 4
append_lines "$L/one.log" one-new 30 5
chmod 644 "$L/one.log"
new_keys one "$L/one.log" > "$T/exp.one"
wait_delivered "$T/exp.one" 20
assert_eq "events delivered twice" 0 "$(dup_count)"
said "site one: $L/one.log can be opened now; reading it from its checkpoint \\(offset $CK1\\)" \
	|| fail "no line saying one.log is read from its checkpoint now"
assert_eq "lines saying one.log cannot be opened after the restart" 1 "$(denied one)"
report "one.log, unreadable at a restart after it was read: read on from its checkpoint"

agent_stop TERM
cat "$T"/exp.* > "$T/exp"
assert_delivered_once "$T/exp"
echo "$LIVE_NAME: all checks passed"
