#!/bin/bash
# Inputs whose first lines are alike have one identity (SPEC §4: the hash of
# the first line), but their other lines are theirs and are all delivered:
#   1. a log emptied with `echo > FILE` (its first line then empty), written,
#      emptied the same way again and written again;
#   2. two logs that begin with the same line (a health check that hit both
#      at the same second; a 404 here, so that the line itself gives no
#      event: an event of it would have one event_id in both, by SPEC §4).
# Nothing is lost, nothing delivered twice.  (The agent once took such lines
# for lines already spooled, and dropped them without a word.)
. "$(dirname "$0")/live_lib.sh"

A=$T/logs/a.log
B=$T/logs/b.log
mkdir -p "$T/logs"
live_config
endpoint_start
make_live_site shop "$T/logs/*.log"
agent_start 1

# 1. emptied twice with echo
echo > "$A"
append_lines "$A" first 0 20
expected_keys shop "$A" > "$T/exp1"
wait_delivered "$T/exp1" 20
echo > "$A"
wait_until 10 "the truncation seen" agent_logged "$A was truncated in place"
append_lines "$A" second 0 10
expected_keys shop "$A" > "$T/exp2"
wait_delivered "$T/exp2" 20

# 2. two logs with the same first line
combined_line probe 203.0.113.9 "$UA" 404 > "$T/first"
cat "$T/first" > "$T/logs/c.log"
append_lines "$T/logs/c.log" c 0 20
expected_keys shop "$T/logs/c.log" > "$T/exp3"
wait_delivered "$T/exp3" 20
cat "$T/first" > "$B"
append_lines "$B" b 0 10
expected_keys shop "$B" > "$T/exp4"
wait_delivered "$T/exp4" 20

agent_stop TERM
cat "$T/exp1" "$T/exp2" "$T/exp3" "$T/exp4" > "$T/exp"
assert_delivered_once "$T/exp"
echo "$LIVE_NAME: all checks passed"
