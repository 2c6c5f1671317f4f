#!/bin/bash
# `pintail run` follows appends: the lines already in the log at the first
# start (read_from = beginning) and every line appended later are delivered,
# with the event_ids `parse` gives; a last line without its newline is not
# delivered until the newline arrives (written in pieces, and across a clean
# restart); nothing is delivered twice, nothing unexpected, no violation.
# shellcheck source=live_lib.sh
. "$(dirname "$0")/live_lib.sh"

LOG=$T/logs/access.log
live_config
endpoint_start
make_live_site shop "$LOG"
append_lines "$LOG" pre 0 5

# 1. The lines there at the first start.
agent_start 1
expected_keys shop "$LOG" > "$T/exp"
assert_eq "events of the first 5 lines" 5 "$(wc -l < "$T/exp")"
wait_delivered "$T/exp" 20

# 2. Appends: 20 lines in one write, then 20 lines one at a time.
append_lines "$LOG" burst 0 20
for i in $(seq 0 19); do
	combined_line "one-$i" >> "$LOG"
	sleep 0.02
done
expected_keys shop "$LOG" > "$T/exp"
assert_eq "events after the appends" 45 "$(wc -l < "$T/exp")"
wait_delivered "$T/exp" 20

# 3. A last line written in three pieces: nothing of it is delivered until its
#    newline is there, then it is, with the id of the complete line.
not_delivered() { [ "$(live_py events "$RECORD" "/products/$1" | wc -l)" -eq 0 ]; }
line=$(combined_line part-a)
printf '%s' "${line:0:40}" >> "$LOG"
hold 2 "a line without its newline (part-a, first 40 bytes) was delivered" not_delivered part-a
printf '%s' "${line:40:50}" >> "$LOG"
hold 2 "a line without its newline (part-a, first 90 bytes) was delivered" not_delivered part-a
printf '%s\n' "${line:90}" >> "$LOG"
expected_keys shop "$LOG" > "$T/exp"
assert_eq "events with part-a complete" 46 "$(wc -l < "$T/exp")"
wait_delivered "$T/exp" 15

# 4. A partial last line across a clean stop and start: still not delivered;
#    delivered once complete.
line=$(combined_line part-b)
printf '%s' "${line:0:60}" >> "$LOG"
hold 2 "a line without its newline (part-b) was delivered" not_delivered part-b
agent_stop TERM
report "stopped in ${AGENT_STOP_S}s"
agent_start 1
hold 2 "a line without its newline (part-b) was delivered after a restart" not_delivered part-b
printf '%s\n' "${line:60}" >> "$LOG"
append_lines "$LOG" after 0 5
expected_keys shop "$LOG" > "$T/exp"
assert_eq "events with part-b complete" 52 "$(wc -l < "$T/exp")"
wait_delivered "$T/exp" 15

# 5. Exactly the expected events, each once, each request valid.
agent_stop TERM
assert_delivered_once "$T/exp"
report "52 events delivered, none twice, in $(request_count 200) requests"
echo "$LIVE_NAME: all checks passed"
