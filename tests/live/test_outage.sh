#!/bin/bash
# API outages (SPEC §5 "Retries"):
#   1. the endpoint answers 503 for ~6 s: the agent retries with backoff (no
#      more than 4 requests a second on average, the gaps are reported),
#      delivers nothing meanwhile, and once the endpoint answers again
#      delivers everything within retry_max + flush_interval + 2 s, in
#      batches (requests of more than one event);
#   2. the endpoint is down (not listening) for ~4 s, then back on the same
#      port: everything delivered;
#   3. a 429 with Retry-After: 3 (longer than retry_max = 2s): the next
#      request comes no earlier than 2.9 s after it (endpoint record times)
#      and no later than 8 s;
#   4. a 429 whose message mentions spam is logged as a spam block.
# Nothing is delivered twice; no violation.
# shellcheck source=live_lib.sh
. "$(dirname "$0")/live_lib.sh"

LOG=$T/logs/access.log
live_config
endpoint_start
make_live_site shop "$LOG" --batch-max 100
at_least() { [ "$(request_count "$1")" -ge "$2" ]; }

# ---- 1. 503s
ep_control '{"status": 503}'
append_lines "$LOG" a 0 300
agent_start 1
wait_until 20 "three 503 answers" at_least 503 3
hold 6 "the agent died during the outage" proc_alive "$AGENT_PID"
# Counted before the endpoint recovers: a retry may land right after.
[ "$(request_count 200)" -eq 0 ] || fail "requests answered 200 during the 503 outage"
t_ok=$(now)
ep_control '{"mode": "ok"}'
n503=$(request_count 503)
live_py times "$RECORD" | awk '$2 == 503 { print $1 }' > "$T/t503"
span=$(awk 'NR == 1 { f = $1 } { l = $1 } END { printf "%.1f", l - f }' "$T/t503")
gaps=$(awk 'NR > 1 { printf "%.2f ", $1 - p } { p = $1 }' "$T/t503")
report "outage: $n503 requests answered 503 over ${span}s; gaps (s): $gaps"
awk -v n="$n503" -v s="$span" 'BEGIN { exit !(n <= 2 + 4 * s) }' \
	|| fail "$n503 retries in ${span}s: no backoff"
expected_keys shop "$LOG" > "$T/exp"
wait_delivered "$T/exp" 20
first200=$(live_py times "$RECORD" | awk '$2 == 200 { print $1; exit }')
delay=$(awk -v a="$t_ok" -v b="$first200" 'BEGIN { printf "%.2f", b - a }')
report "first delivery ${delay}s after the endpoint recovered"
fge 4.5 "$delay" || fail "the first delivery came ${delay}s after the endpoint recovered (retry_max 2s)"
live_py times "$RECORD" | awk '$2 == 200 { print $3 }' > "$T/n200"
nreq=$(wc -l < "$T/n200")
maxn=$(sort -n "$T/n200" | tail -n 1)
report "300 events in $nreq requests (largest $maxn events)"
[ "$maxn" -gt 1 ] || fail "after the outage every request carried one event"
[ "$nreq" -le 10 ] || fail "300 spooled events took $nreq requests (batch_max 100)"

# ---- 2. endpoint not listening
endpoint_stop
append_lines "$LOG" b 0 200
hold 4 "the agent died while the endpoint was down" proc_alive "$AGENT_PID"
endpoint_start # same port
expected_keys shop "$LOG" > "$T/exp"
wait_delivered "$T/exp" 20

# ---- 3. 429 with Retry-After: 3
ep_control '{"status": 429, "retry_after": 3, "count": 1}'
append_lines "$LOG" c 0 50
wait_until 10 "a 429 answer" at_least 429 1
expected_keys shop "$LOG" > "$T/exp"
wait_delivered "$T/exp" 20
read -r t429 tnext < <(live_py after "$RECORD" 429)
[ "$tnext" != - ] || fail "no request after the 429"
wait429=$(awk -v a="$t429" -v b="$tnext" 'BEGIN { printf "%.2f", b - a }')
report "the request after the 429 (Retry-After: 3) came ${wait429}s later"
fge "$wait429" 2.9 || fail "Retry-After: 3 not honoured: the next request came ${wait429}s after the 429"
fge 8 "$wait429" || fail "the next request came ${wait429}s after a 429 with Retry-After: 3"

# ---- 4. a spam block
ep_control '{"status": 429, "retry_after": 1, "count": 1, "body": {"code": 8, "message": "Your request was blocked as spam."}}'
append_lines "$LOG" d 0 5
wait_until 10 "a second 429 answer" at_least 429 2
expected_keys shop "$LOG" > "$T/exp"
wait_delivered "$T/exp" 20
[ "$(agent_log_count spam "$AGENT_ERR")" -ge 1 ] || fail "a 429 about spam was not logged as a spam block"
agent_stop TERM

assert_delivered_once "$T/exp"
echo "$LIVE_NAME: all checks passed"
