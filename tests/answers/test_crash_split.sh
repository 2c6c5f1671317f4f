#!/bin/bash
# A crash between the spool's fsync and the checkpoint's, with a hit of two
# events (a page_visit and a view_content rule) cut in two: the spool
# buffer was written out between them, so the first is on disk and the
# second is not.  At the restart the agent reads the log again from its
# checkpoint:
#   - the lines whose events are all in the spool are not spooled again
#     (nothing is delivered twice);
#   - the cut line gives the event it is missing, and only that one;
#   - once the log is read again past those lines, the spool position the
#     checkpoint covers moves on, though the log is still being written.
# The crash's state is made exactly: a clean stop with Pinterest down (all
# events spooled, the checkpoint at the log's end), then the checkpoint set
# back to the log's start, with the spool position it covers (spool/ckpt)
# back to the spool's start, and the spool's last record (the last line's
# view_content) cut off, which is what a kill -9 at that moment leaves.
. "$(dirname "$0")/answers_lib.sh"
set -euo pipefail

LOG=$T/logs/access.log
answers_config
ep_start
make_live_site shop "$LOG" --extra "
[event visit]
type = page_visit
path = ^/

[event product]
type = view_content
path = ^/products/
"
ep_control '{"status": 503, "retry_after": 60}'
append_lines "$LOG" split 0 12
expected_keys shop "$LOG" > "$T/exp"
assert_eq "events of the 12 lines" 24 "$(wc -l < "$T/exp")"
agent_start 1
wait_until 15 "24 events spooled" site_stat_is shop spooled 24
agent_stop TERM

# The state a crash leaves: checkpoint behind, last record not written.
grep -q "^pintail-spool-ckpt 1 " "$T/state/shop/spool/ckpt" || fail "no spool/ckpt after a clean stop"
crash_state shop "$LOG"
"$PYTHON" - "$T/state/shop/spool" <<'PY'
import os, struct, sys
spool = sys.argv[1]
seg = os.path.join(spool, sorted(f for f in os.listdir(spool) if f.endswith(".seg"))[-1])
data = open(seg, "rb").read()
off, last = 16, None  # SEG_HEADER; records: magic, payload length, crc, 0, payload
while off + 16 <= len(data):
    magic, plen = struct.unpack_from("<II", data, off)
    assert magic == 0x31525450, "not a record at %d" % off
    last, off = off, off + 16 + plen
assert last is not None and off == len(data)
assert b'"view_content"' in data[last:], "the last record is not the last line's view_content"
os.truncate(seg, last)
PY
ep_control '{"mode": "ok"}'
agent_start 1
wait_delivered "$T/exp" 20
# Read again to the end, and written on meanwhile: the position the
# checkpoint covers moves on (what was met again is forgotten).
writer_start "$LOG" more 20 1000
moved() { ! grep -qE "^pintail-spool-ckpt 1 [0-9]+ 16 " "$T/state/shop/spool/ckpt"; }
wait_until 15 "spool/ckpt past the crash's position while the log is written to" moved
writer_stop
sleep 2 # anything spooled twice would be sent by now
agent_stop TERM
expected_keys shop "$LOG" > "$T/exp"
assert_delivered_once "$T/exp"
answers_done
