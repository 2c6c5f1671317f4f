#!/bin/bash
# A full state disk with a spool of two segments (more than 8 MiB): state_dir
# is a 10 MiB tmpfs, the endpoint answers 503 until the spool fills it, then
# a filler file takes the last free blocks (another program's, say), and the
# endpoint answers again.  Saving the ack then fails (ENOSPC), yet the first
# segment, wholly acknowledged, must be deleted: that is the room that lets
# reading resume.  Every line is delivered; the first segment is gone; the
# failed save is logged once per spell, not once per request (it used to be
# two dozen lines, and reading stayed paused for good).
#
# Needs mount(2): prints SKIP and exits 0 only when mounting is not permitted.
# shellcheck source=live_lib.sh
. "$(dirname "$0")/live_lib.sh"

LOG=$T/logs/access.log
live_config
state_on_tmpfs 10m

endpoint_start
make_live_site shop "$LOG" --batch-max 1000
ep_control '{"status": 503}'
: > "$LOG"
agent_start 1

fill_state "$LOG" 2000 0.5 200 30
SPOOL=$T/state/shop/spool
nseg=$(find "$SPOOL" -name '*.seg' | wc -l)
[ "$nseg" -ge 2 ] || fail "the disk filled with $nseg spool segment(s): the test needs two"
first=$(find "$SPOOL" -name '*.seg' | sort | head -n 1)
# The last free blocks taken: no ack can be saved until the agent frees some.
dd if=/dev/zero of="$T/state/filler" bs=4k 2> /dev/null || true
report "disk full after $FILLED lines, $nseg segments: $(df -k "$T/state" | awk 'NR == 2 { print $3 " KiB used of " $2 }')"

ep_control '{"mode": "ok"}'
expected_keys shop "$LOG" > "$T/exp"
wait_delivered "$T/exp" 60
[ ! -e "$first" ] || fail "the first segment, wholly acknowledged, is still there: $first"
saves=$(agent_log_count "save .*/ack" "$AGENT_ERR")
report "$(wc -l < "$T/exp") events delivered; \"save .../ack\" logged $saves time(s); $(df -k "$T/state" | awk 'NR == 2 { print $3 " KiB used" }')"
# One spell of failed saves (two if the disk fills again while the backlog
# is read): never one line per request.
[ "$saves" -le 2 ] || fail "the failed save of the ack was logged $saves times"
agent_stop TERM
assert_only_expected "$T/exp"
assert_no_violations
echo "$LIVE_NAME: all checks passed"
