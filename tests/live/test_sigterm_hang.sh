#!/bin/bash
# SIGTERM (then SIGINT) while the endpoint holds a request without answering
# (the site's timeout is 30 s, so the agent itself must give the request
# up): exit status 0 within 10 s, and delivery.log has a line for the
# abandoned request.  After a restart with the endpoint fine,
# every event is delivered (those of the hung request too), none twice.
# shellcheck source=live_lib.sh
. "$(dirname "$0")/live_lib.sh"

LOG=$T/logs/access.log
live_config
endpoint_start
make_live_site shop "$LOG" --timeout 30s
hung_at_least() { [ "$(request_count 0)" -ge "$1" ]; }

# 1. SIGTERM.
ep_control '{"hang": true}'
append_lines "$LOG" a 0 30
agent_start 1
wait_until 15 "a request held by the endpoint" hung_at_least 1
agent_stop TERM
report "SIGTERM with a hung request: exit 0 after ${AGENT_STOP_S}s"
grep -q '"status":0,.*"error":"abandoned unanswered as the site stopped: its events stay spooled and are sent again"' \
	"$T/state/shop/delivery.log" || { tail -n 3 "$T/state/shop/delivery.log" >&2; fail "delivery.log has no line for the abandoned request"; }
ep_control '{"mode": "ok"}'
agent_start 1
append_lines "$LOG" b 0 10
expected_keys shop "$LOG" > "$T/exp"
wait_delivered "$T/exp" 20

# 2. SIGINT.
h=$(request_count 0)
ep_control '{"hang": true}'
append_lines "$LOG" c 0 10
wait_until 15 "another request held by the endpoint" hung_at_least $((h + 1))
agent_stop INT
report "SIGINT with a hung request: exit 0 after ${AGENT_STOP_S}s"
ep_control '{"mode": "ok"}'
agent_start 1
expected_keys shop "$LOG" > "$T/exp"
wait_delivered "$T/exp" 20
agent_stop TERM

assert_only_expected "$T/exp"
assert_eq "events delivered twice" 0 "$(dup_count)"
assert_no_violations
assert_no_token
echo "$LIVE_NAME: all checks passed"
