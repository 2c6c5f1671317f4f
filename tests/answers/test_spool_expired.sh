#!/bin/bash
# Events that wait in the spool past max_event_age (an outage longer than
# it) are not sent: they go to rejected.log with that reason, the agent
# says so in its log, and the events that are still young enough are
# delivered.
. "$(dirname "$0")/answers_lib.sh"
set -euo pipefail

LOG=$T/logs/access.log
answers_config
ep_start
make_live_site shop "$LOG" --extra "max_event_age = 6s"
ep_control '{"status": 503}'
now_s=$(date +%s)
{
	dated_line aging-1 $((now_s - 2))
	dated_line aging-2 $((now_s - 2))
} > "$LOG"
expected_keys shop "$LOG" > "$T/aging"
assert_eq "events of the aging lines" 2 "$(wc -l < "$T/aging")"
agent_start 1
wait_until 10 "a 503 answer" eval '[ "$(request_count 503)" -ge 1 ]'
sleep 6 # the spooled events pass max_event_age meanwhile
dated_line fresh-1 "$(date +%s)" >> "$LOG"
ep_control '{"mode": "ok"}'
wait_until 15 "2 lines in rejected.log" rejected_at_least shop 2
ans_py rejected_msgs "$(rejected_log shop)" | awk -F'\t' '{ print $2 }' | sort -u > "$T/msgs"
assert_eq "the reason" "too old (waited in the spool past max_event_age)" "$(cat "$T/msgs")"
assert_set_eq "rejected events" "$T/aging" <(rejected_keys shop)
grep -q "site shop: 2 events waited in the spool past max_event_age (6s), which Pinterest would refuse: not sent, written to rejected.log" "$AGENT_ERR" ||
	fail "no warning that 2 events passed max_event_age"
for tag in aging-1 aging-2; do
	assert_eq "requests answered 200 carrying /products/$tag" 0 "$(ans_py sent_url "$RECORD" "/products/$tag" | grep -c '^200 ' || true)"
done
wait_until 15 "the fresh line delivered" eval '[ "$(request_count 200)" -ge 1 ]'
agent_stop TERM
assert_rejected_shape shop
assert_token_secret
answers_done
