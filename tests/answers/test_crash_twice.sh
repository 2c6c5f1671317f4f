#!/bin/bash
# A crash between the spool's fsync and the checkpoint's while the spool is
# full (an outage), the restart (the log read again from its checkpoint,
# its events found in the spool, reading paused again by the full spool),
# a checkpoint saved then, and a second kill -9 before the log was read
# again to its end: after the second restart, the events of the lines read
# again are still known to be in the spool, and nothing is delivered twice.
# (From a review: the spool's position once moved on at that checkpoint,
# and the second restart spooled those events again.)
. "$(dirname "$0")/answers_lib.sh"
set -euo pipefail

LOG=$T/logs/access.log
answers_config "spool_max = 64K"
ep_start
make_live_site shop "$LOG"
ep_control '{"status": 503, "retry_after": 60}'
append_lines "$LOG" dbl 0 400
expected_keys shop "$LOG" > "$T/exp"
agent_start 1
wait_log 15 'the spool is full'
sleep 1
agent_stop TERM
CK=$T/state/shop/checkpoint
crash_state shop "$LOG"
agent_start 1          # Pinterest still down; the spool is still full
saved() { ! grep -qE "^[0-9]+ [0-9]+ 0 [0-9a-f]{64} $LOG\$" "$CK"; }
wait_until 10 "a checkpoint saved past the log's start" saved
agent_kill9            # the second crash
ep_control '{"mode": "ok"}'
agent_start 1
wait_delivered "$T/exp" 30
sleep 3
agent_stop TERM
assert_delivered_once "$T/exp"
answers_done
