#!/bin/bash
# A damaged record in the spool, and a read that fails while the batch
# reader steps over it (build/tests/faultinj.so): the batch is read again
# shortly, and every other event is delivered, once.  (From a review: the
# failed step was taken for the next record's offset, 2^64-1, and the rest
# of the segment, and every later append, were acknowledged unsent.)
. "$(dirname "$0")/answers_lib.sh"
set -euo pipefail

S=$T/state/shop
shop_site --batch-max 7
ep_control '{"status": 503}'
agent_start 1
append_lines "$LOG" a 0 30
expected_keys shop "$LOG" > "$T/exp"
wait_until 10 "a 503 answer" eval '[ "$(request_count 503)" -ge 1 ]'
agent_stop TERM
seg=$(find "$S/spool" -name '*.seg' | sort | tail -n 1)
# One event_id's byte flipped, and the segment's last record torn (its last
# bytes cut): two events lost to the damage, the last line's and VICTIM.
victim=$(live_py corrupt-seg "$seg" "$T/exp" "$T/seg-ids")
torn=$(grep -F '/products/a-29"' "$T/expected.jsonl" | grep -o '"event_id":"[0-9a-f]*"' | head -n 1 | cut -d'"' -f4)
[ -n "$torn" ] || fail "no event of the line a-29"

# The batch reader holds the segment in its read-ahead from the start; the
# first read once armed is the one stepping over the damaged record.
faults "pread@,.seg,EIO,1,1"
agent_start 1
touch "$FAULTS_ARM"
ep_control '{"mode": "ok"}'
wait_log 15 "spool $S/spool: read: Input/output error; tried again shortly"
append_lines "$LOG" b 0 10
expected_keys shop "$LOG" | grep -v -e "^$victim " -e "^$torn " > "$T/must"
wait_delivered "$T/must" 20
hold 2 "nothing sent twice" test "$(dup_count)" -eq 0
agent_stop TERM
grep -q "^pintail-spool-ack 1 [0-9]* 18446744073709551615" "$S/spool/ack" && fail "the ack was saved at 2^64-1: $(cat "$S/spool/ack")"
assert_none_delivered <(grep "^$victim " "$T/exp") "the damaged event"
assert_delivered_once "$T/must"
answers_done
