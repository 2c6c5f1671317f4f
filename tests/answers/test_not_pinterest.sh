#!/bin/bash
# A 200 that is not Pinterest's answer (a proxy, firewall or captive portal
# answering with a page of its own; a body cut short) has not passed the
# events on: they are not counted delivered, the answer is said in
# delivery.log (and in the journal if it lasts outage_warn, as any failure),
# and they are sent again, then delivered.
. "$(dirname "$0")/answers_lib.sh"
set -euo pipefail

shop_site
ep_control '{"status": 200, "body": "<html><body>Request blocked</body></html>", "count": 1}'
append_lines "$LOG" blocked 0 6
expected_keys shop "$LOG" > "$T/exp"
agent_start 1
wait_until 15 "a second request" eval '[ "$(request_count 200)" -ge 2 ]'
wait_until 10 "6 events delivered" site_stat_is shop delivered 6
grep -q "HTTP 200, but not Pinterest's answer for 6 events (its num_events_received): a proxy or firewall in the way?" \
	"$(delivery_log shop)" || { cat "$(delivery_log shop)" >&2; fail "delivery.log does not name the answer"; }

# A body cut short (no num_events_received): the same.
ep_control '{"status": 200, "body": "{\"num_events_", "count": 1}'
append_lines "$LOG" cut 0 3
expected_keys shop "$LOG" > "$T/exp"
wait_until 15 "9 events delivered" site_stat_is shop delivered 9
agent_stop TERM
assert_set_eq "events answered processed by the real answers" "$T/exp" <(live_py delivered "$RECORD")
answers_done
