#!/bin/bash
# A file whose only content is one line without its final "\n" is rotated
# away (rename and create): once idle for rotate_wait, the rotated file is
# finished with that line delivered.  Its first line never became complete,
# so its identity is taken from that line (the file is whole then), as
# `parse` takes an input's last line without "\n": the event_id is parse's.
# The next file's line is delivered too.
# shellcheck source=live_lib.sh
. "$(dirname "$0")/live_lib.sh"

LOG=$T/logs/access.log
live_config
endpoint_start
make_live_site shop "$LOG"
: > "$LOG"
agent_start 1
combined_line only-line | tr -d '\n' >> "$LOG"
mv "$LOG" "$LOG.1"
combined_line next >> "$LOG"
expected_keys shop "$LOG.1" > "$T/exp-rotated"
expected_keys shop "$LOG" > "$T/exp-new"
assert_eq "events parse gives the rotated file" 1 "$(wc -l < "$T/exp-rotated")"
sort -u "$T/exp-rotated" "$T/exp-new" > "$T/exp"
wait_delivered "$T/exp" 20    # rotate_wait is 2 s
agent_stop TERM
assert_delivered_once "$T/exp"
echo "$LIVE_NAME: all checks passed"
