#!/bin/bash
# A site that cannot start because the state disk is full (its spool's first
# segment cannot be written) is not dropped: the agent says so, runs on,
# and tries the site again (5 s, then longer) until it starts; its lines,
# those written before and during the outage, are then delivered, with no
# reload or restart.  (The agent once went on with "running (0 sites)"
# until a reload.)
. "$(dirname "$0")/live_lib.sh"

live_config
state_on_tmpfs 256k
endpoint_start
LOG=$T/logs/access.log
mkdir -p "$T/logs"
make_live_site shop "$LOG"
append_lines "$LOG" before 0 3
dd if=/dev/zero of="$T/state/filler" bs=4k 2> /dev/null || true # the state disk is full
agent_start 0
[ "$(agent_log_count "site shop: cannot start \(see above\); trying again in 5 s")" -eq 1 ] ||
	fail "no \"site shop: cannot start ... trying again\" line"
append_lines "$LOG" during 0 5
retried() { [ "$(agent_log_count "create a spool segment in .*: No space left on device" "$AGENT_ERR")" -ge 2 ]; }
wait_until 15 "a retry on the disk still full" retried
[ "$(agent_log_count "site shop: started")" -eq 0 ] || fail "the site started on a full disk"
rm -f "$T/state/filler" # room again
started() { [ "$(agent_log_count "site shop: started")" -eq 1 ]; }
wait_until 20 "\"site shop: started\"" started
append_lines "$LOG" after 0 2
expected_keys shop "$LOG" > "$T/exp"
wait_delivered "$T/exp" 15
"$PINTAIL" -c "$CONF" status > "$T/status.out" 2>&1 || { cat "$T/status.out" >&2; fail "status failed"; }
grep -q "shop" "$T/status.out" || { cat "$T/status.out" >&2; fail "status does not show the site"; }
agent_stop TERM
assert_delivered_once "$T/exp"
echo "$LIVE_NAME: all checks passed"
