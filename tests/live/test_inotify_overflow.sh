#!/bin/bash
# An inotify queue overflow hides that the logs' folder was deleted and made
# again (its IN_IGNORED is among the events dropped): the agent, told of the
# overflow, watches every folder again by its path, so the new folder's log
# is read, and so are lines appended to it afterwards.
#
# The agent's inotify queue is made small (fs.inotify.max_queued_events is
# read when a queue is created), and the setting is put back at once.
. "$(dirname "$0")/live_lib.sh"

Q=/proc/sys/fs/inotify/max_queued_events
if [ ! -w "$Q" ]; then
	echo "$LIVE_NAME: skipped (needs root to set $Q)"
	exit 0
fi
DIR=$T/logs/site
LOG=$DIR/access.log
mkdir -p "$DIR"
live_config
endpoint_start
make_live_site shop "$LOG"
old=$(cat "$Q")
trap 'echo "$old" > "$Q"; live_cleanup' EXIT # put back even if the start fails
echo 16 > "$Q"
agent_start 1
echo "$old" > "$Q"
trap live_cleanup EXIT

# The agent stopped, so that events pile up: 100 files made (more than 16
# events), then the folder deleted (no file of it is open: its IN_IGNORED
# comes at once, and is dropped) and made again.
kill -STOP "$AGENT_PID"
for i in $(seq 100); do : > "$DIR/x$i"; done
rm -rf "$DIR"
mkdir -p "$DIR"
kill -CONT "$AGENT_PID"
overflowed() { [ "$(agent_log_count "inotify queue overflow")" -ge 1 ]; }
wait_until 10 "\"inotify queue overflow\"" overflowed
# The first lines may be found by the look at every file that follows the
# overflow; the second, written once they are delivered, only through a
# watch of the new folder.
append_lines "$LOG" a 0 5
expected_keys shop "$LOG" > "$T/exp"
wait_delivered "$T/exp" 10
append_lines "$LOG" b 0 3
expected_keys shop "$LOG" > "$T/exp"
wait_delivered "$T/exp" 10

agent_stop TERM
assert_delivered_once "$T/exp"
echo "$LIVE_NAME: all checks passed"
