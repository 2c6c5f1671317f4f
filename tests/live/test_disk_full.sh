#!/bin/bash
# A full state disk (SPEC §5: "A full or failing state disk (ENOSPC, EIO)
# pauses reading with one log line and never corrupts a checkpoint"):
# state_dir is a 300 KiB tmpfs; the endpoint answers 503 so the spool fills
# it while lines keep coming.  The agent logs exactly one line with "No space
# left on device" (checked again after 3 s more of writing), stays up, and
# once the endpoint answers again (the spool drains, freeing space) delivers
# every line, nothing lost.  A clean stop and start afterwards reports no
# corruption and goes on delivering.
#
# Needs mount(2): prints SKIP and exits 0 only when mounting is not permitted.
# shellcheck source=live_lib.sh
. "$(dirname "$0")/live_lib.sh"

full_state_site
report "disk full after $FILLED lines: $(df -k "$T/state" | awk 'NR == 2 { print $3 " KiB used of " $2 }')"
grep -F "$ENOSPC" "$AGENT_ERR" | head -n 3 | sed 's/^/    /'

# Paused, not spamming, not dead: more lines, 3 s.
append_lines "$LOG" b 0 300
hold 3 "the agent died on a full state disk" proc_alive "$AGENT_PID"
assert_eq "log lines saying \"$ENOSPC\" while the disk is full" 1 "$(agent_log_count "$ENOSPC" "$AGENT_ERR")"

# Space again: the endpoint answers, the spool drains, reading resumes.
ep_control '{"mode": "ok"}'
expected_keys shop "$LOG" > "$T/exp"
wait_delivered "$T/exp" 45
report "$(wc -l < "$T/exp") events delivered after the disk filled; \"$ENOSPC\" logged $(agent_log_count "$ENOSPC" "$AGENT_ERR") time(s) in all"

# The checkpoints survived: a clean restart goes on.
agent_stop TERM
agent_start 1
append_lines "$LOG" c 0 10
expected_keys shop "$LOG" > "$T/exp"
wait_delivered "$T/exp" 20
agent_stop TERM
assert_eq "lines with \"corrupt\" after the restart" 0 "$(agent_log_count corrupt "$AGENT_ERR")"
assert_only_expected "$T/exp"
assert_no_violations
assert_no_token
report "duplicates: $(dup_count)"
echo "$LIVE_NAME: all checks passed"
