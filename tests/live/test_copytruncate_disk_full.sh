#!/bin/bash
# copytruncate while the state disk is full (ENOSPC, SPEC §5): the copy's
# unread lines must survive the failed commits that follow.  The state_dir
# is a 300 KiB tmpfs and Pinterest answers 503, so the spool fills it; the
# log is then copied and truncated, a few lines go to the new file, and the
# disk stays full over at least one retry (every 5 s) after the truncation
# was noticed: each retry reads the copy's lines into the spool, the commit
# fails, and the rollback must go back to where the copy was read up to —
# not to offset 0 of the truncated file (before the fix the copy's last
# lines were lost that way).  Then Pinterest answers, the spool drains and
# every line of the copy and of the new file is delivered.
#
# Needs mount(2): skipped (passes) when mounting is not permitted.
# shellcheck source=live_lib.sh
. "$(dirname "$0")/live_lib.sh"

LOG=$T/logs/access.log
live_config
state_on_tmpfs 300k

endpoint_start
make_live_site shop "$LOG"
ep_control '{"status": 503}'
: > "$LOG"
agent_start 1

fill_state "$LOG" 10 0.2 400 15
report "disk full after $FILLED lines"

cp "$LOG" "$LOG.1"
: > "$LOG"
append_lines "$LOG" b 0 5
noticed() { grep -qF "$LOG: truncated in place (copytruncate)" "$AGENT_ERR"; }
wait_until 15 "the truncation to be noticed" noticed
# Still full: a retry (or more) reads the copy, fails and rolls back.
hold 6 "the agent died on a full state disk" proc_alive "$AGENT_PID"

expected_keys shop "$LOG.1" > "$T/exp-copy"
expected_keys shop "$LOG" > "$T/exp-new"
sort -u "$T/exp-copy" "$T/exp-new" > "$T/exp"
ep_control '{"mode": "ok"}'
wait_delivered "$T/exp" 45
report "$(wc -l < "$T/exp-copy") events of the copy and $(wc -l < "$T/exp-new") of the new file delivered"
agent_stop TERM
assert_eq "events counted as lost" 0 "$(agent_log_count "are lost|: lost$" "$AGENT_ERR")"
assert_only_expected "$T/exp"
assert_no_violations
assert_no_token
echo "$LIVE_NAME: all checks passed"
