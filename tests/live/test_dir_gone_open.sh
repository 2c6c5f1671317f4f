#!/bin/bash
# The logs' folder deleted while the agent holds a log in it open: the
# kernel keeps such a folder, and its watch, alive until that file is
# closed, rotate_wait later (60 s by default here), and its watch reports
# neither the deletion nor a folder made again at its path.  The agent
# looks at its folders by path after a file in one is deleted:
#   1. deleted: "folder ... is gone" within seconds, not at rotate_wait;
#      created again with a new log: read from its beginning;
#   2. deleted and created again at once ("made anew"): its new log read
#      within seconds;
#   nothing lost, nothing delivered twice.
. "$(dirname "$0")/live_lib.sh"

DIR=$T/logs/site
LOG=$DIR/access.log
mkdir -p "$DIR"
make_config "retry_min = 1s" "retry_max = 2s" # rotate_wait: its default, 60 s
endpoint_start
make_live_site shop "$LOG"
append_lines "$LOG" a 0 4
agent_start 1
expected_keys shop "$LOG" > "$T/exp_a"
wait_delivered "$T/exp_a" 20

# 1. deleted; the agent still holds access.log open
rm -rf "$DIR"
gone() { [ "$(agent_log_count "folder $DIR is gone; looking for it every 5 s")" -ge 1 ]; }
wait_until 15 "\"folder $DIR is gone\" (well before rotate_wait)" gone
mkdir -p "$DIR"
append_lines "$LOG" b 0 5
expected_keys shop "$LOG" > "$T/exp_b"
wait_delivered "$T/exp_b" 15

# 2. deleted and created again at once, with a new log
rm -rf "$DIR"
mkdir -p "$DIR"
append_lines "$LOG" c 0 6
expected_keys shop "$LOG" > "$T/exp_c"
wait_delivered "$T/exp_c" 15
[ "$(agent_log_count "folder $DIR was made anew; watching the new one")" -ge 1 ] ||
	fail "no \"folder $DIR was made anew\" line"
# and the new folder is watched: a line appended now is read at once
append_lines "$LOG" d 6 2
expected_keys shop "$LOG" > "$T/exp_d"
wait_delivered "$T/exp_d" 5

agent_stop TERM
cat "$T/exp_a" "$T/exp_b" "$T/exp_d" > "$T/exp"
assert_delivered_once "$T/exp"
echo "$LIVE_NAME: all checks passed"
