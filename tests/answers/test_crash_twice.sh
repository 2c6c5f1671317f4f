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
S=$T/state/shop/spool
CK=$T/state/shop/checkpoint
# The state a kill -9 between the spool's fsync and the checkpoint's leaves.
sed -i -E "s#^([0-9]+ [0-9]+ )[0-9]+ ([0-9a-f]{64} $LOG)\$#\\10 \\2#" "$CK"
name=$(ls $S | grep '\.seg$' | sort | tail -1)
gen=$("$PYTHON" -c 'import struct,sys; print(struct.unpack_from("<I", open(sys.argv[1],"rb").read(), 12)[0])' "$S/$name")
printf 'pintail-spool-ckpt 1 %d 16 %d\n' $((16#${name%.seg})) "$gen" > "$S/ckpt"
agent_start 1          # Pinterest still down; the spool is still full
sleep 2                # a commit timer fires: the checkpoint is saved
agent_kill9            # the second crash
ep_control '{"mode": "ok"}'
agent_start 1
wait_delivered "$T/exp" 30
sleep 3
agent_stop TERM
assert_delivered_once "$T/exp"
answers_done
