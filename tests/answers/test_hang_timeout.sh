#!/bin/bash
# shellcheck disable=SC2119 # helpers whose arguments are optional
# A hanging endpoint (SPEC §3 timeout, §5 retries): the site's timeout is
# 2s; the endpoint reads the first request and never answers.  The agent
# gives up on it after ~2 s (delivery.log: status 0 with an error), retries
# with backoff, and the same events are delivered (once each, after the
# timeout: the retry comes >= 2 s after the hung request and < 8 s); nothing
# rejected, no pause; status counts a retry.
# shellcheck source=answers_lib.sh
. "$(dirname "$0")/answers_lib.sh"
set -euo pipefail

shop_site --timeout 2s
append_lines "$LOG" a 0 20
expected_keys shop "$LOG" > "$T/exp"
ep_control '{"hang": true, "count": 1}'
agent_start 1
hung() { [ "$(request_count 0)" -ge 1 ]; }
wait_until 10 "the hung request" hung
wait_delivered "$T/exp" 15
read -r thang tnext < <(live_py after "$RECORD" 0)
gap=$(awk -v a="$thang" -v b="$tnext" 'BEGIN { printf "%.2f", b - a }')
report "the retry came ${gap}s after the hung request (timeout 2s, retry 1-2s)"
fge "$gap" 1.9 || fail "the retry came ${gap}s after the hung request, before the 2s timeout"
fge 8 "$gap" || fail "the retry came ${gap}s after the hung request"
# the hung request's events are the ones delivered after it
"$PYTHON" - "$RECORD" <<'PY' || fail "the events of the hung request were not the ones retried"
import json, sys
rec = [json.loads(l) for l in open(sys.argv[1])]
hung = {e["event_id"] for r in rec if r["status"] == 0 for e in r["events"]}
later = {e["event_id"] for r in rec if r["status"] == 200 for e in r["events"]}
sys.exit(0 if hung and hung <= later else 1)
PY
grep '"status":0' "$(delivery_log shop)" > "$T/d0" || fail "delivery.log has no line for the timed-out request"
grep -qiE '"error":"[^"]*tim' "$T/d0" || fail "delivery.log's line for the timed-out request names no timeout: $(cat "$T/d0")"
lat=$(ans_py delivery "$(delivery_log shop)" latency_ms 0 | head -n 1)
{ [ "$lat" -ge 1900 ] && [ "$lat" -le 4000 ]; } || fail "the timed-out request's latency_ms is $lat (timeout 2s)"
assert_eq "events delivered twice" 0 "$(dup_count)"
assert_eq "rejected.log lines" 0 "$(rejected_count shop)"
[ "$(log_count 'delivery paused')" -eq 0 ] || fail "a timeout paused the site"
retries_ok() { [ "$(site_stat shop retries)" -ge 1 ]; }
wait_until 8 "status: retries >= 1" retries_ok
agent_stop TERM
assert_no_violations
assert_token_secret
answers_done
