#!/bin/bash
# The logs' folder missing, then deleted and created again (SPEC §5:
# deletion never loses a line; files that appear later are read from their
# beginning):
#   1. a site whose folder does not exist yet starts, says so, and reads
#      the log written once the folder exists;
#   2. the folder deleted while the agent runs ("folder ... is gone") and
#      created again with a new log: that log is read from its beginning;
#   3. the folder moved away and a new one made at its path: its new log is
#      read, and lines appended to the moved log still are;
#   nothing is delivered twice.
. "$(dirname "$0")/live_lib.sh"

DIR=$T/logs/site
LOG=$DIR/access.log
live_config
endpoint_start
make_live_site shop "$LOG"
agent_start 1

# 1. missing at the start
missing() { [ "$(agent_log_count "site [a-z]+: watch $DIR: No such file or directory \(looked for again every 5 s\)")" -ge 1 ]; }
wait_until 10 "a warning that $DIR cannot be watched yet" missing
mkdir -p "$DIR"
append_lines "$LOG" a 0 5
expected_keys shop "$LOG" > "$T/exp_a"
wait_delivered "$T/exp_a" 20
[ "$(agent_log_count "watching $DIR again")" -eq 1 ] || fail "no \"watching $DIR again\" line"

# 2. deleted, then created again with a new log
rm -rf "$DIR"
gone() { [ "$(agent_log_count "folder $DIR is gone; looking for it every 5 s")" -ge 1 ]; }
wait_until 10 "\"folder $DIR is gone\"" gone
mkdir -p "$DIR"
append_lines "$LOG" b 0 7
expected_keys shop "$LOG" > "$T/exp_b"
wait_delivered "$T/exp_b" 20
[ "$(agent_log_count "watching $DIR again")" -eq 2 ] || fail "no second \"watching $DIR again\" line"
# and it is watched again: a line appended now is read at once
append_lines "$LOG" c 0 2
expected_keys shop "$LOG" > "$T/exp_c"
wait_delivered "$T/exp_c" 5

# 3. moved away (the watch would follow it) and a new folder made at its path;
# the writer, not reopened yet, appends to the moved log within rotate_wait
mv "$DIR" "$DIR.old"
mkdir -p "$DIR"
append_lines "$DIR.old/access.log" e 0 3
append_lines "$LOG" d 0 4
expected_keys shop "$LOG" > "$T/exp_d"
expected_keys shop "$DIR.old/access.log" > "$T/exp_e"
wait_delivered "$T/exp_d" 20
wait_delivered "$T/exp_e" 20
[ "$(agent_log_count "watching $DIR again")" -eq 3 ] || fail "no third \"watching $DIR again\" line"

agent_stop TERM
cat "$T/exp_a" "$T/exp_c" "$T/exp_d" "$T/exp_e" > "$T/exp"
assert_delivered_once "$T/exp"
echo "$LIVE_NAME: all checks passed"
