#!/bin/bash
# Logs read and checkpointed, then out of the agent's reach while it is
# stopped: a folder on the way to them may not be entered (0700), so that
# the agent cannot even tell whether they are still there:
#   dir    the log's own folder;
#   link   the folder of a symlinked log's target.
# Lines are written to both meanwhile.  At the restart they are not "gone",
# and nothing is counted as lost: they wait, from their checkpoints.  Once
# the folders may be entered again (the log's folder is looked for every
# 5 s; a symlink's target at a reload), each is read on from its
# checkpoint: the lines written meanwhile are delivered, none twice.
# Then the log's folder is made 0700 while the agent runs (below).  The
# agent runs as user nobody (setpriv); where that is impossible the test
# says SKIP and passes.
# shellcheck source=live_lib.sh
. "$(dirname "$0")/live_lib.sh"

skip() { echo "SKIP: $LIVE_NAME: $*"; exit 0; }
AS=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
L=$T/logs
H=$T/hidden
mkdir -p "$L/dir" "$H"
live_config
endpoint_start
make_live_site dir "$L/dir/access.log"
append_lines "$L/dir/access.log" dir-old 0 20
append_lines "$H/real.log" link-old 0 20
ln -s "$H/real.log" "$L/link.log"
make_live_site link "$L/link.log"
chmod 644 "$L/dir/access.log" "$H/real.log"
chmod 711 "$T"
chmod 755 "$T/etc" "$T/etc/conf.d" "$T/certs" "$L" "$L/dir" "$H"
chown nobody:nogroup "$T/state" "$T/etc/token" "$T"/etc/conf.d/*.conf
"${AS[@]}" true 2> /dev/null || skip "setpriv cannot switch to user nobody here"
AGENT_AS=("${AS[@]}")

expected_keys dir "$L/dir/access.log" > "$T/exp.dir"
expected_keys link "$H/real.log" > "$T/exp.link"
cat "$T/exp.dir" "$T/exp.link" > "$T/exp"
agent_start 2
wait_delivered "$T/exp" 20
agent_stop TERM

chmod 700 "$L/dir" "$H"
! "${AS[@]}" cat "$L/dir/access.log" > /dev/null 2>&1 || skip "user nobody can enter a folder of root's of mode 0700 here"
append_lines "$L/dir/access.log" dir-new 0 10
append_lines "$H/real.log" link-new 0 10
agent_start 2
wait_until 10 "the dir log said unreachable" agent_logged "site dir: open $L/dir/access.log: Permission denied"
wait_until 10 "the link log said unreachable" agent_logged "site link: open $L/link.log: Permission denied"
assert_eq "logs said gone or lost" 0 "$(agent_log_count "is gone|lost" "$AGENT_ERR")"
status_denied() {
	"$PINTAIL" -c "$CONF" status link > "$T/status.link" 2>&1 &&
		grep -q "^  $L/link.log .*" "$T/status.link" &&
		grep -q "^    ^ CANNOT BE OPENED: Permission denied" "$T/status.link"
}
wait_until 15 "pintail status showing link.log as CANNOT BE OPENED" status_denied
report "the unreachable logs are waited for, not taken as gone; status says why"

chmod 755 "$L/dir"
expected_keys dir "$L/dir/access.log" > "$T/exp.dir"
wait_delivered "$T/exp.dir" 20
agent_logged "site dir: $L/dir/access.log can be opened now; reading it from its checkpoint" ||
	fail "the dir log was not read on from its checkpoint"
chmod 755 "$H"
kill -HUP "$AGENT_PID"
expected_keys link "$H/real.log" > "$T/exp.link"
cat "$T/exp.dir" "$T/exp.link" > "$T/exp"
wait_delivered "$T/exp" 20
hold 2 "no line delivered twice" test "$(dup_count)" -eq 0
report "reachable again: read on from their checkpoints, nothing twice"

# While the agent runs: the log's folder made 0700, lines written, an event
# in the folder (a file made there), then longer than rotate_wait (2 s):
# the log is read on through its descriptor, not taken for rotated away
# (which would drop it, then read it again from its beginning once its
# folder could be read again).
chmod 700 "$L/dir"
append_lines "$L/dir/access.log" dir-run 0 10
touch "$L/dir/other"
wait_until 10 "the dir log said out of reach" agent_logged "site dir: $L/dir/access.log: Permission denied: a folder on its way may not be entered now"
hold 4 "nothing delivered twice while out of reach, past rotate_wait" test "$(dup_count)" -eq 0
chmod 755 "$L/dir"
touch "$L/dir/another"
wait_until 10 "the dir log said in reach again" agent_logged "site dir: $L/dir/access.log can be looked at again"
expected_keys dir "$L/dir/access.log" > "$T/exp.dir"
cat "$T/exp.dir" "$T/exp.link" > "$T/exp"
wait_delivered "$T/exp" 20
hold 2 "no line delivered twice" test "$(dup_count)" -eq 0
agent_stop TERM
assert_only_expected "$T/exp"
assert_eq "events delivered twice" 0 "$(dup_count)"
assert_eq "logs said gone or lost" 0 "$(agent_log_count "is gone|lost")"
assert_eq "out of reach said" 1 "$(agent_log_count "may not be entered now")"
report "out of reach while running: read on, nothing twice, said once"
assert_no_violations
echo "$LIVE_NAME: all checks passed"
