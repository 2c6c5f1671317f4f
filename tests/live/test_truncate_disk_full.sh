#!/bin/bash
# A log emptied with `echo > FILE` (its first line, and so its identity, the
# same again) and written again, then the state disk fills before the new
# lines are committed: once it takes writes again, every new line is
# delivered (none taken for the old content's, which the spool holds under
# the same identity), nothing twice.
. "$(dirname "$0")/live_lib.sh"

A=$T/logs/a.log
mkdir -p "$T/logs"
live_config
state_on_tmpfs 4m
endpoint_start
make_live_site shop "$A"
echo > "$A"
append_lines "$A" first 0 20
agent_start 1
expected_keys shop "$A" > "$T/exp1"
wait_delivered "$T/exp1" 20
sleep 1
dd if=/dev/zero of="$T/state/filler" bs=4k 2> /dev/null || true # the state disk is full
echo > "$A"
wait_until 10 "the truncation seen" agent_logged "$A was truncated in place"
append_lines "$A" second 0 40
wait_until 15 "\"$ENOSPC\" in the agent's log" enospc_logged
rm -f "$T/state/filler"
expected_keys shop "$A" > "$T/exp2"
wait_delivered "$T/exp2" 25
agent_stop TERM
cat "$T/exp1" "$T/exp2" > "$T/exp"
assert_delivered_once "$T/exp"
echo "$LIVE_NAME: all checks passed"
