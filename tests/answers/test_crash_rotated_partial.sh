#!/bin/bash
# A crash right after a rotated log's unterminated last line was spooled (it
# is handed out once the file has been idle for rotate_wait), before the
# checkpoint dropped that file: at the restart the rotated file is read
# again from its checkpoint, and the recovery (the events known to be in
# the spool) lasts until that line is handed out again, so it is not
# spooled twice.  (From a review: the recovery once ended as soon as the
# file had been read to its size.)
. "$(dirname "$0")/answers_lib.sh"
set -euo pipefail

shop_site
append_lines "$LOG" rot 0 5
printf '%s' "$(combined_line partial-last)" > "$LOG.tmp"; cat "$LOG.tmp" >> "$LOG"  # no final \n
agent_start 1
sleep 1.5                             # read, and idle for less than rotate_wait (2 s)
mv "$LOG" "$LOG.1"
append_lines "$LOG" new 0 1           # the successor (and a commit)
sleep 1                               # rotate_wait is 2s: LOG.1 not finished yet
CK=$T/state/shop/checkpoint
cp "$CK" "$T/ck.before"               # LOG.1 still in it, before its last line
sleep 4                               # partial-last delivered; LOG.1 done and dropped
expected_keys shop "$LOG.1" "$LOG" > "$T/exp"
wait_delivered "$T/exp" 20
agent_stop TERM
# the state a kill -9 right after the commit of partial-last's event leaves:
cp "$T/ck.before" "$CK"
spool_ckpt_to_start shop
agent_start 1
append_lines "$LOG" new 1 1           # any line: a commit (caught up -> set freed)
expected_keys shop "$LOG.1" "$LOG" > "$T/exp"
sleep 6                               # rotate_wait passes: partial-last given again
wait_delivered "$T/exp" 20
agent_stop TERM
assert_delivered_once "$T/exp"
assert_eq "deliveries of the unterminated last line" 1 "$(live_py events "$RECORD" partial-last | wc -l)"
answers_done
