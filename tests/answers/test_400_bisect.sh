#!/bin/bash
# shellcheck disable=SC2119 # helpers whose arguments are optional
# A 400 for a batch holding invalid events (SPEC §5): 500 events in one batch
# (batch_max 500), 3 of them refused (the endpoint answers 400 to any batch
# holding one).  The batch is split until the 3 are isolated: exactly those 3
# are in rejected.log with Pinterest's message, the 497 others are delivered
# (none twice, none of the 3), in at most 60 requests in all, and the site
# does not pause (3 single refusals are not a systemic fault).
# shellcheck source=answers_lib.sh
. "$(dirname "$0")/answers_lib.sh"
set -euo pipefail

LOG=$T/logs/access.log
MSG="Additional properties are not allowed ('bogus' was unexpected) (test)"
answers_config
ep_start
make_live_site shop "$LOG" --batch-max 500 --flush 2s
append_lines "$LOG" a 0 500
expected_keys shop "$LOG" > "$T/exp"
assert_eq "events of the 500 lines" 500 "$(wc -l < "$T/exp")"
ans_py pick "$T/exp" 3 > "$T/bad"
keys_minus "$T/exp" "$T/bad" > "$T/good"
ep_control "{\"reject_event_ids\": $(ans_py json_ids "$T/bad"), \"as\": 400, \"message\": \"$MSG\"}"

agent_start 1
wait_delivered "$T/good" 30
wait_until 10 "3 lines in rejected.log" rejected_at_least shop 3
sleep 1.5 # anything sent or rejected late would show now

first_n=$(live_py times "$RECORD" | awk 'NR == 1 { print $3 }')
report "first request carried $first_n events"
assert_eq "events in the first request (batch_max 500)" 500 "$first_n"
rejected_keys shop > "$T/rej"
assert_eq "rejected.log lines" 3 "$(wc -l < "$T/rej")"
assert_set_eq "rejected events" "$T/bad" "$T/rej"
assert_rejected_shape shop
ans_py rejected_msgs "$(rejected_log shop)" | cut -f2 | sort -u > "$T/msgs"
assert_eq "rejected.log message" "$MSG" "$(cat "$T/msgs")"
delivered_keys > "$T/del"
assert_set_eq "delivered events" "$T/good" "$T/del"
assert_eq "events delivered twice" 0 "$(dup_count)"
nreq=$(request_count)
report "500 events, 3 invalid: $nreq requests ($(request_count 400) answered 400, $(request_count 200) answered 200)"
[ "$nreq" -le 60 ] || fail "$nreq requests to isolate 3 invalid events among 500 (at most 60)"
[ "$(log_count 'delivery paused')" -eq 0 ] || fail "the site paused for 3 invalid events among 500"
wait_until 10 "status: rejected = 3" site_stat_is shop rejected 3
wait_until 10 "status: delivered = 497" site_stat_is shop delivered 497
assert_delivery_shape shop

agent_stop TERM
assert_no_violations
assert_token_secret
answers_done
