#!/bin/bash
# Calls on the state folder and the logs that fail once, made so by an
# LD_PRELOAD library (build/tests/faultinj.so; from a review by fault
# injection), one site through several runs of the agent.  Nothing is lost,
# nothing is sent twice, and what failed is said:
#   ack        the spool's ack cannot be opened at a start: the site starts
#              5 s later, and status says it is NOT STARTED meanwhile
#              (taken for absent, every acknowledged event of the segment
#              was sent again);
#   checkpoint the checkpoint cannot be opened at a start: the same (the log
#              was read again from its beginning, and the good checkpoint
#              saved over);
#   retire     a kill -9 while a drained segment is emptied in place, right
#              after it is given its next generation (the whole segment was
#              sent again);
#   open-eio   a read of a segment fails when the spool is opened: the site
#              starts later, nothing is cut or skipped (a record was skipped
#              as corrupt; two failed reads cut the whole segment off as a
#              "torn" tail);
#   rollback   a commit's fsync fails, and so does the rollback's cut: no
#              more is written until the cut is made (the taken-back events
#              were spooled twice);
#   batch      a batch's read comes short, then fails: tried again (an event
#              was skipped without a word);
#   quiet      a read of the log fails, and nothing more is written to it:
#              read again 5 s later (it waited for the next write);
#   jlog       delivery.log cannot be opened at a start: it is opened at its
#              next line (it was never written again);
#   bump       a drained segment emptied in place, and its next generation
#              not saved: nothing is written until it is, at the next start
#              too (the old ack skipped the new records: events lost).
. "$(dirname "$0")/answers_lib.sh"
set -euo pipefail

S=$T/state/shop
# agent_gone: the agent killed itself (crashafter): reap it.
agent_gone() {
	wait_until 10 "the agent's end" eval '! proc_alive "$AGENT_PID"'
	wait "$AGENT_PID" 2> /dev/null || true
	AGENT_PID=
}
# more TAG N: N lines more, and every key so far in $T/exp.
more() {
	append_lines "$LOG" "$1" 0 "$2"
	expected_keys shop "$LOG" > "$T/exp"
}

shop_site
faults ""
more first 100 # about 50 KB: the segment is not emptied in place
agent_start 1
wait_delivered "$T/exp" 20
agent_stop TERM

# ---- ack
faults "fopen,/spool/ack,EIO,1,1"
agent_start
wait_log 10 "open $S/spool/ack: Input/output error; the site starts later"
"$PINTAIL" -c "$CONF" status shop > "$T/waiting.txt" 2>&1 || fail "status of a site waiting to start: $(cat "$T/waiting.txt")"
grep -q "^site shop (ad account [0-9]*): NOT STARTED: its state could not be made or read" "$T/waiting.txt" ||
	fail "status does not say the site is not started: $(cat "$T/waiting.txt")"
more ack 10
wait_delivered "$T/exp" 20
hold 1 "nothing sent twice" test "$(dup_count)" -eq 0
agent_stop TERM
report "ack: unreadable at a start, the site started 5 s later; nothing sent twice"

# ---- checkpoint
faults "fopen,/shop/checkpoint,EIO,1,1"
agent_start
wait_log 10 "open $S/checkpoint: Input/output error"
wait_log 10 "site shop: cannot start"
more checkpoint 10
wait_delivered "$T/exp" 20
hold 1 "nothing sent twice" test "$(dup_count)" -eq 0
agent_stop TERM
report "checkpoint: unreadable at a start, the site started 5 s later; nothing sent twice"

# ---- retire: over 64 KB acknowledged, the segment is emptied in place;
# the agent is killed right after the new generation is written.
faults "pwrite,.seg,crashafter,1,1"
agent_start 1
more retire 60
agent_gone
faults ""
agent_start 1
wait_delivered "$T/exp" 20
hold 2 "nothing sent twice" test "$(dup_count)" -eq 0
agent_stop TERM
report "retire: killed while emptying a drained segment; nothing sent twice"

# ---- open-eio: events spooled while Pinterest is down, then a start at
# which the read of the segment's first record fails.
ep_control '{"status": 503}'
agent_start 1
more openeio 30
wait_until 10 "a 503 answer" eval '[ "$(request_count 503)" -ge 1 ]'
agent_stop TERM
faults "pread,.seg,EIO,3,1" # its generation and header are read first
agent_start
wait_log 10 "\\.seg: Input/output error; nothing of it is dropped, and the site starts later"
ep_control '{"mode": "ok"}'
wait_delivered "$T/exp" 30
hold 1 "nothing sent twice" test "$(dup_count)" -eq 0
agent_stop TERM
assert_eq "torn or corrupt records said" 0 "$(agent_log_count "torn|corrupt")"
report "open-eio: unreadable at a start, nothing cut; all delivered once"

# ---- rollback: the first commit's fsync fails, then the rollback's cut.
faults "fdatasync,.seg,EIO,1,1;ftruncate,.seg,EIO,1,1"
agent_start 1
more rollback 40
wait_log 10 "cut back .*\\.seg: Input/output error; nothing more is written to the spool until it is"
wait_delivered "$T/exp" 30
hold 2 "nothing sent twice" test "$(dup_count)" -eq 0
agent_stop TERM
report "rollback: the cut failed, made before the next write; nothing sent twice"

# ---- batch, quiet and jlog, in one run: delivery.log cannot be opened at
# the start; then (armed) a batch's first read comes short and the next
# fails, and a read of the log fails with nothing written after it.
faults "open,/shop/delivery.log,EMFILE,1,1;pread@,.seg,shorteio,1,1,40;read@,/logs/access.log,EIO,1,1"
before=$(wc -l < "$S/delivery.log")
agent_start 1
wait_log 10 "open $S/delivery.log: Too many open files; tried again at its next line"
touch "$FAULTS_ARM"
more batch 20
wait_log 10 "read $LOG: Input/output error; tried again every 5 s"
wait_delivered "$T/exp" 30
hold 1 "nothing sent twice" test "$(dup_count)" -eq 0
agent_stop TERM
[ "$(grep -c "affected" "$T/faults.log")" -ge 4 ] || fail "the faults were not all made: $(cat "$T/faults.log")"
[ "$(wc -l < "$S/delivery.log")" -gt "$before" ] || fail "delivery.log was not written after its open failed"
report "batch, quiet, jlog: a short then failed batch read, a failed read of a quiet log, delivery.log opened late"

# ---- bump: a drained segment emptied in place, and the write of its next
# generation failing: nothing more is written until it is saved; then a
# stop, a start while Pinterest is down, and another start.
faults "pwrite,.seg,EIO,1,1000"
agent_start 1
more bump 120 # well over 64 KB now: emptied in place once delivered
wait_delivered "$T/exp" 20
wait_log 10 "empty .*\.seg: its generation: Input/output error; nothing more is written to the spool until it is saved"
more blocked 10
wait_log 10 "site shop: the state disk failed \(save the generation of a segment of $S/spool: Input/output error\)"
agent_stop TERM
faults ""
ep_control '{"status": 503}'
agent_start 1
more down 20
wait_until 10 "a 503 answer" eval '[ "$(request_count 503)" -ge 1 ]'
agent_stop TERM
ep_control '{"mode": "ok"}'
agent_start 1
wait_delivered "$T/exp" 30
hold 1 "nothing sent twice" test "$(dup_count)" -eq 0
agent_stop TERM
report "bump: the generation not saved after emptying: saved before the next write, at the next start too; nothing lost"

assert_delivered_once "$T/exp"
answers_done
