#!/bin/bash
# copytruncate while reading is paused (the spool is full: Pinterest answers
# 503), and the log grows again past the offset reading stopped at before
# reading resumes: the size alone no longer shows the truncation.  Two sites,
# both paused:
#
#   kept  the copy stays beside the file: its unread part is read from it
#         to its end with the old identity, and the new file from offset 0
#         with its own identity;
#   gone  the copy is deleted (as logrotate's compress does) once the agent
#         has noticed the truncation: the copy it opened then is read all
#         the same;
#   twice copied and truncated twice while paused (an outage over two
#         rotations): the file truncated first had no line yet when it was
#         truncated again, and its lines are in the second copy.
#
# Every line of both copies and both new files is delivered, with the
# event_ids `parse` gives each file, and no other event (before the fix, the
# new file's first lines were never read and the rest went out under the old
# file's identity and offsets).  Then kept is copied and truncated once more
# while paused, and the agent restarted before the copy was read.
# shellcheck source=live_lib.sh
. "$(dirname "$0")/live_lib.sh"

L=$T/logs
mkdir -p "$L/kept" "$L/gone" "$L/twice"
live_config "spool_max = 64K"
endpoint_start
make_live_site kept "$L/kept/access.log"
make_live_site gone "$L/gone/access.log"
make_live_site twice "$L/twice/access.log"
ep_control '{"status": 503}'
: > "$L/kept/access.log"
: > "$L/gone/access.log"
: > "$L/twice/access.log"
agent_start 3

# 600 lines (about 90 KiB) fill the 64 KiB spool of each site.
append_lines "$L/kept/access.log" ka 0 600
append_lines "$L/gone/access.log" ga 0 600
append_lines "$L/twice/access.log" ta 0 600
paused() { [ "$(agent_log_count "site $1: the spool is full" "$AGENT_ERR")" -ge 1 ]; }
wait_until 15 "the spool of site kept to fill" paused kept
wait_until 15 "the spool of site gone to fill" paused gone
wait_until 15 "the spool of site twice to fill" paused twice

# twice: copied and truncated, written, copied and truncated again, all
# while paused; then written again.
truncations() { [ "$(grep -cF "$L/twice/access.log: truncated in place (copytruncate)" "$AGENT_ERR")" -ge "$1" ]; }
cp "$L/twice/access.log" "$L/twice/access.log.1"
: > "$L/twice/access.log"
wait_until 15 "the agent to notice that twice/access.log was truncated" truncations 1
append_lines "$L/twice/access.log" tb 0 300
# The agent takes the new file's identity at its next look, within
# milliseconds of the write; nothing it does then can be observed from
# here, so it is given a second.  (A truncation before any look is the
# limit of copytruncate: such lines are lost to any tailer.)
sleep 1
mv "$L/twice/access.log.1" "$L/twice/access.log.2"
cp "$L/twice/access.log" "$L/twice/access.log.1"
: > "$L/twice/access.log"
wait_until 15 "the agent to notice that twice/access.log was truncated again" truncations 2
append_lines "$L/twice/access.log" tc 0 50
expected_keys twice "$L/twice/access.log.2" "$L/twice/access.log.1" "$L/twice/access.log" > "$T/exp-twice"

# copytruncate, as logrotate does it.
for s in kept gone; do
	cp "$L/$s/access.log" "$L/$s/access.log.1"
	: > "$L/$s/access.log"
done
expected_keys kept "$L/kept/access.log.1" > "$T/exp-copies"
expected_keys gone "$L/gone/access.log.1" >> "$T/exp-copies"
noticed() { grep -qF "$L/gone/access.log: truncated in place (copytruncate)" "$AGENT_ERR"; }
wait_until 15 "the agent to notice, while paused, that gone/access.log was truncated" noticed
rm "$L/gone/access.log.1"
# Both logs grow well past where reading stopped, still paused.
append_lines "$L/kept/access.log" kb 0 800
append_lines "$L/gone/access.log" gb 0 800
expected_keys kept "$L/kept/access.log" > "$T/exp-new"
expected_keys gone "$L/gone/access.log" >> "$T/exp-new"
sort -u "$T/exp-copies" "$T/exp-new" "$T/exp-twice" > "$T/exp"
report "expected $(wc -l < "$T/exp-copies") events from the copies, $(wc -l < "$T/exp-new") from the new files"

ep_control '{"mode": "ok"}'
wait_delivered "$T/exp" 60
report "$(wc -l < "$T/exp") events delivered"

# Again on site kept, and the agent stopped while the copy is followed
# unread: the checkpoint names the copy (old identity, its offset) and the
# new file; the next start reads the copy to its end, the new file from 0.
ep_control '{"status": 503}'
append_lines "$L/kept/access.log" kc 0 1500
wait_until 15 "the spool of site kept to fill again" \
	eval '[ "$(agent_log_count "site kept: the spool is full" "$AGENT_ERR")" -ge 2 ]'
mv "$L/kept/access.log.1" "$L/kept/access.log.2"
cp "$L/kept/access.log" "$L/kept/access.log.1"
: > "$L/kept/access.log"
noticed_again() { [ "$(grep -cF "$L/kept/access.log: truncated in place (copytruncate)" "$AGENT_ERR")" -ge 2 ]; }
wait_until 15 "the agent to notice the second truncation" noticed_again
append_lines "$L/kept/access.log" kd 0 5
agent_stop TERM
expected_keys kept "$L/kept/access.log.1" "$L/kept/access.log" >> "$T/exp"
sort -u -o "$T/exp" "$T/exp"
ep_control '{"mode": "ok"}'
agent_start 3
wait_delivered "$T/exp" 60
agent_stop TERM
assert_delivered_once "$T/exp"
report "$(wc -l < "$T/exp") events delivered in all, none twice, none other"
echo "$LIVE_NAME: all checks passed"
