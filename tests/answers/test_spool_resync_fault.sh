#!/bin/bash
# Reads of the spool that fail (build/tests/faultinj.so), from a review:
#   - while the batch reader steps over a damaged record: the batch is read
#     again shortly, and every other event is delivered, once (the failed
#     step was taken for the next record's offset, 2^64-1, and the rest of
#     the segment, and every later append, were acknowledged unsent);
#   - while the start after a crash reads again the records spooled since
#     the last checkpoint: the site starts later, and nothing is sent twice.
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
report "a failed read stepping over a damaged record: read again; every other event delivered once"

# The records spooled after the last checkpoint, read again at the start
# that follows a crash (so that the lines read again give no event twice):
# a read of them fails.  The site starts later, rather than with some of
# them unknown (17 events were sent twice; the failed read was taken for an
# offset, and the reader walked back a byte per read).
ep_control '{"status": 503}'
faults ""
agent_start 1
append_lines "$LOG" c 0 20
expected_keys shop "$LOG" | grep -v -e "^$victim " -e "^$torn " > "$T/must"
wait_until 10 "a 503 answer" eval '[ "$(request_count 503)" -ge 1 ]'
agent_stop TERM
crash_state shop "$LOG"
# The start reads the segment's generation and header, then each pending
# record (two reads each: 20 here), then the records since the checkpoint
# (all of them: about 60): the 50th read is one of those.
faults "pread@,.seg,EIO,50,1"
touch "$FAULTS_ARM"
agent_start
wait_log 10 "read $S/spool/[0-9a-f]*\.seg: Input/output error"
wait_log 10 "site shop: cannot start \(see above\)"
ep_control '{"mode": "ok"}'
wait_delivered "$T/must" 30
hold 2 "nothing sent twice" test "$(dup_count)" -eq 0
agent_stop TERM
report "a failed read of the records met again after a crash: the site started later; nothing sent twice"
# The log was read again from its start: the two damaged events come again
# from their lines, for the first time whole.
expected_keys shop "$LOG" > "$T/all"
assert_delivered_once "$T/all"
answers_done
