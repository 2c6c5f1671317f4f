#!/bin/bash
# A full state disk at the start: the state_dir a 300 KiB tmpfs, filled by
# the spool while the endpoint answers 503, then the agent killed (kill -9)
# while reading is paused, the endpoint back, the agent started again with
# the disk still full.  It must send what its spool holds (sending is what
# makes room: it did not while no save had succeeded), then read on, and
# deliver every line: none lost by a checkpoint that passed lines whose
# events were not in the spool (SPEC §5).
#
# Needs mount(2): prints SKIP and exits 0 only when mounting is not permitted.
# shellcheck source=live_lib.sh
. "$(dirname "$0")/live_lib.sh"

full_state_site
append_lines "$LOG" b 0 300
hold 2 "the agent died on a full state disk" proc_alive "$AGENT_PID"
agent_kill9
report "disk full after $FILLED lines, agent killed: $(df -k "$T/state" | awk 'NR == 2 { print $3 " KiB used of " $2 }')"

ep_control '{"mode": "ok"}'
expected_keys shop "$LOG" > "$T/exp"
agent_start 1
wait_delivered "$T/exp" 60
agent_stop TERM
assert_only_expected "$T/exp"
assert_no_violations
report "$(wc -l < "$T/exp") events delivered after a start on a full state disk; duplicates: $(dup_count)"
echo "$LIVE_NAME: all checks passed"
