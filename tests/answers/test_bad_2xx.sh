#!/bin/bash
# A 2xx whose per-event results cannot all be read never counts an event as
# delivered that Pinterest may have failed:
#   - a body cut short after num_events_received (Content-Length matching):
#     not JSON, so sent again later, then delivered;
#   - fewer results than events: sent again later, then delivered;
#   - an answer over the 1 MiB the agent keeps (1,000 events, each failed
#     with a long message): the events are sent again in halves, whose
#     answers are read whole, and every one of them lands in rejected.log.
# delivery.log says what was wrong with each such answer.
. "$(dirname "$0")/answers_lib.sh"
set -euo pipefail

shop_site --batch-max 1000

# raw_200 BODY: the endpoint's next events request is answered 200 with BODY as it is.
raw_200() {
	ep_control "$("$PYTHON" -c 'import json, sys; print(json.dumps({"status": 200, "body": sys.argv[1], "count": 1}))' "$1")"
}

# A cut body: the results of the 4 events, all "failed", stop mid-way.
cut='{"num_events_received": 4, "num_events_processed": 0, "events": [{"status": "failed", "error_message": "no"}, {"status": "fai'
raw_200 "$cut"
append_lines "$LOG" cut 0 4
expected_keys shop "$LOG" > "$T/exp"
agent_start 1
wait_until 15 "4 events delivered" site_stat_is shop delivered 4
grep -q "HTTP 200, but not Pinterest's answer for 4 events (not JSON, or cut short)" "$(delivery_log shop)" ||
	{ cat "$(delivery_log shop)" >&2; fail "delivery.log does not name the cut answer"; }
assert_eq "rejected.log lines after the cut answer" 0 "$(rejected_count shop)"

# One result for 3 events, and it failed.
short='{"num_events_received": 3, "num_events_processed": 0, "events": [{"status": "failed", "error_message": "no"}]}'
raw_200 "$short"
append_lines "$LOG" short 0 3
expected_keys shop "$LOG" > "$T/exp"
wait_until 15 "7 events delivered" site_stat_is shop delivered 7
grep -q "HTTP 200, but not Pinterest's answer for 3 events (not one result per event)" "$(delivery_log shop)" ||
	{ cat "$(delivery_log shop)" >&2; fail "delivery.log does not name the short answer"; }
assert_eq "rejected.log lines after the short answer" 0 "$(rejected_count shop)"
assert_set_eq "events answered processed by the real answers" "$T/exp" <(live_py delivered "$RECORD")

# 1,000 events, every one failed with a 1,100-byte message: about 1.1 MiB.
agent_stop TERM
ep_control "{\"reject_all\": true, \"as\": 200, \"message\": \"$(printf 'm%.0s' $(seq 1100))\"}"
append_lines "$LOG" big 0 1000
agent_start 1
wait_until 30 "1,000 events in rejected.log" rejected_at_least shop 1000
assert_eq "rejected.log lines" 1000 "$(rejected_count shop)"
assert_eq "delivered since the restart" 0 "$(site_stat shop delivered)"
grep -q '"events":1000,.*an answer over 1 MiB, not read to its end: the events are sent again in halves' \
	"$(delivery_log shop)" || { tail -n 5 "$(delivery_log shop)" >&2; fail "delivery.log does not name the long answer"; }
agent_stop TERM
assert_no_violations
assert_token_secret
answers_done
