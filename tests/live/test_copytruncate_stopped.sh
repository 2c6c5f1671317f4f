#!/bin/bash
# copytruncate while the agent is stopped (SPEC §5): lines written after
# the last checkpoint and before the truncation are only in the copy
# (LOG.1: the same first line, another inode).  At the start the agent
# finds the copy by its first line, reads it from the checkpoint's offset,
# and reads the truncated log from its beginning: every line delivered
# once, nothing said lost.
# shellcheck source=live_lib.sh
. "$(dirname "$0")/live_lib.sh"

LOG=$T/logs/access.log
live_config
endpoint_start
make_live_site shop "$LOG"
append_lines "$LOG" a 0 10
agent_start 1
expected_keys shop "$LOG" > "$T/exp"
wait_delivered "$T/exp" 20
agent_stop TERM

append_lines "$LOG" a 10 5
cp "$LOG" "$LOG.1"
: > "$LOG"
append_lines "$LOG" b 0 3
expected_keys shop "$LOG.1" "$LOG" >> "$T/exp"
agent_start 1
wait_delivered "$T/exp" 20
agent_logged "rotated to $LOG.1 while the agent was stopped" || fail "the copy was not said to be read: $(cat "$AGENT_ERR")"
agent_stop TERM
assert_eq "lines saying lost or gone" 0 "$(agent_log_count 'lost|gone')"
assert_delivered_once "$T/exp"
report "copytruncate while stopped: the copy's new lines and the log's delivered once"
echo "$LIVE_NAME: all checks passed"
