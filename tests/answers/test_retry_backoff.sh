#!/bin/bash
# Retryable answers are retried with exponential backoff and full jitter
# (SPEC: retry_min to retry_max), not by pausing the site:
#   1. one 500: retried (a "retry in" line), no "delivery paused", and the
#      events delivered once the next answer is a 200;
#   2. an outage of 503s: the delays between requests may grow past
#      retry_min as the attempts mount (under a backoff stuck at its first
#      step every delay is exactly retry_min: the chance that the three jittered
#      delays after the first all are is nil), and no delay passes retry_max (4 s here).
. "$(dirname "$0")/answers_lib.sh"
set -euo pipefail

LOG=$T/logs/access.log
make_config "retry_min = 1s" "retry_max = 4s" "rotate_wait = 2s" "pause_retry = 60s" "log_level = debug"
set_token "$T/etc/token" "$TOKEN_GOOD"
set_token "$T/ep.token" "$TOKEN_GOOD"
ep_start
make_live_site shop "$LOG"

# retry_delays: the delays (ms) of the current agent's "retry in" lines.
retry_delays() { grep -oE 'retry in [0-9]+ ms' "$AGENT_ERR" | awk '{ print $3 }'; }
retries_at_least() { [ "$(retry_delays | wc -l)" -ge "$1" ]; }

# 1. One 500.
ep_control '{"status": 500, "count": 1}'
append_lines "$LOG" a 0 5
expected_keys shop "$LOG" > "$T/exp"
agent_start 1
wait_delivered "$T/exp" 20
assert_eq "requests answered 500" 1 "$(request_count 500)"
retries_at_least 1 || fail "a 500 was not retried: $(cat "$AGENT_ERR")"
assert_eq "lines saying the delivery paused" 0 "$(log_count 'delivery paused')"
report "one 500: retried after $(retry_delays | head -n 1) ms, not paused"

# 2. An outage: four retries or more.
ep_control '{"status": 503}'
n0=$(retry_delays | wc -l)
append_lines "$LOG" b 0 5
expected_keys shop "$LOG" > "$T/exp"
wait_until 40 "four retries in the outage" retries_at_least $((n0 + 4))
retry_delays | tail -n +$((n0 + 1)) > "$T/delays"
awk '$1 < 1000 || $1 > 4000 { bad = 1 } END { exit bad }' "$T/delays" \
	|| fail "a delay outside retry_min..retry_max: $(tr '\n' ' ' < "$T/delays")"
awk '$1 > 1000 { grew = 1 } END { exit !grew }' "$T/delays" \
	|| fail "the backoff never grew past retry_min: $(tr '\n' ' ' < "$T/delays")"
ep_control '{"mode": "ok"}'
wait_delivered "$T/exp" 40
agent_stop TERM
assert_delivered_once "$T/exp"
report "an outage: delays $(tr '\n' ' ' < "$T/delays")ms"
answers_done
