#!/bin/bash
# shellcheck disable=SC2119 # helpers whose arguments are optional
# Another 4xx (SPEC §5: "Any other 4xx pauses the site with the status and
# Pinterest's message"): the endpoint answers 409 {"code":409,"message":
# "conflict test"} to every request.  The site pauses, logging the status
# and the message once; status shows it paused with that reason; nothing is
# rejected or delivered meanwhile and the paused site retries every
# pause_retry (2s).  Once the endpoint answers 200 again, the next retry
# (no SIGHUP) delivers everything and "delivery works again" is logged.
# shellcheck source=answers_lib.sh
. "$(dirname "$0")/answers_lib.sh"
set -euo pipefail

shop_site
ep_control '{"status": 409, "body": {"code": 409, "message": "conflict test"}}'
append_lines "$LOG" a 0 30
expected_keys shop "$LOG" > "$T/exp"
agent_start 1
wait_log 10 "site shop: delivery paused: Pinterest answered 409: conflict test \\(events keep being spooled; retrying every 2s and on SIGHUP\\)"
n409=$(request_count 409)
sleep 4.5
n409b=$(request_count 409)
report "409: $n409 request(s) at the pause, $n409b after 4.5 s more"
[ "$n409b" -ge $((n409 + 1)) ] || fail "the paused site did not retry within 4.5 s (pause_retry 2s)"
[ "$n409b" -le $((n409 + 4)) ] || fail "the paused site sent $((n409b - n409)) requests in 4.5 s (pause_retry 2s)"
assert_eq "pause lines logged (once, not per retry)" 1 "$(log_count 'delivery paused')"
assert_eq "requests answered 200 while paused" 0 "$(request_count 200)"
assert_eq "rejected.log lines while paused" 0 "$(rejected_count shop)"
wait_until 8 "status: paused" site_stat_is shop paused true
site_stat shop pause_reason | grep -qF "Pinterest answered 409: conflict test" || fail "status pause_reason: $(site_stat shop pause_reason)"
"$PINTAIL" -c "$CONF" status > "$OUT/status.txt" 2>&1 || fail "pintail status failed"
assert_grep "PAUSED" "$OUT/status.txt"
assert_grep "paused: Pinterest answered 409: conflict test" "$OUT/status.txt"

t_ok=$(now)
ep_control '{"mode": "ok"}'
wait_delivered "$T/exp" 6
took=$(since "$t_ok")
report "delivered ${took}s after the endpoint answered 200 again (pause_retry 2s)"
fge 3.5 "$took" || fail "recovery took ${took}s (pause_retry 2s)"
wait_log 3 "site shop: delivery works again, after [0-9]+s of failures"
wait_until 8 "status: not paused" site_stat_is shop paused false
assert_eq "events delivered twice" 0 "$(dup_count)"
assert_eq "rejected.log lines" 0 "$(rejected_count shop)"

agent_stop TERM
assert_no_violations
assert_token_secret
answers_done
