#!/bin/bash
# shellcheck disable=SC2119 # helpers whose arguments are optional
# A 429 with Retry-After: 3 (SPEC §5: retried with backoff, "honouring
# Retry-After"), retry_max being 2s: the next request comes no earlier than
# ~3 s after the 429 (endpoint record times, 0.1 s slack) and no later than
# 8 s; delivery.log records the 429; everything is delivered once, nothing
# rejected, no pause.  Then 3 consecutive 429s with Retry-After: 1: each gap
# at least ~1 s.  Then a 429 whose Retry-After is an HTTP-date (RFC 9110's
# other form) 5 s ahead: the next request comes no earlier than that date.
# Then a SIGHUP during a Retry-After: 4 does not cut the wait short, and a
# Retry-After: 120 is logged as a warning.
# shellcheck source=answers_lib.sh
. "$(dirname "$0")/answers_lib.sh"
set -euo pipefail

shop_site
append_lines "$LOG" a 0 50
expected_keys shop "$LOG" > "$T/exp"
ep_control '{"status": 429, "retry_after": 3, "count": 1}'
agent_start 1
wait_delivered "$T/exp" 15
read -r t429 tnext < <(live_py after "$RECORD" 429)
[ "$tnext" != - ] || fail "no request after the 429"
gap=$(awk -v a="$t429" -v b="$tnext" 'BEGIN { printf "%.2f", b - a }')
report "the request after the 429 (Retry-After: 3, retry_max 2s) came ${gap}s later"
fge "$gap" 2.9 || fail "Retry-After: 3 not honoured: the next request came ${gap}s after the 429"
fge 8 "$gap" || fail "the next request came ${gap}s after a 429 with Retry-After: 3"
grep -q '"status":429' "$(delivery_log shop)" || fail "delivery.log has no 429 line"

# three 429s in a row, Retry-After: 1
ep_control '{"status": 429, "retry_after": 1, "count": 3}'
append_lines "$LOG" b 0 10
expected_keys shop "$LOG" > "$T/exp"
wait_delivered "$T/exp" 20
gaps=$(live_py times "$RECORD" | awk '{ if (p429) printf "%.2f ", $1 - pt; p429 = ($2 == 429); pt = $1 }')
report "gaps after each 429 (s): $gaps"
for g in $gaps; do
	fge "$g" 0.9 || fail "a request came ${g}s after a 429 with Retry-After"
done

# Retry-After as an HTTP-date, 5 s ahead (the 429 comes about 1 s from now,
# after flush = 1s): the retry waits for the date, not retry_min's 1 s.
until_s=$(($(date +%s) + 5))
http_date=$(LC_ALL=C date -u -d "@$until_s" '+%a, %d %b %Y %H:%M:%S GMT')
ep_control "{\"status\": 429, \"retry_after\": \"$http_date\", \"count\": 1}"
append_lines "$LOG" c 0 10
expected_keys shop "$LOG" > "$T/exp"
wait_delivered "$T/exp" 20
# The request after the last 429.
tnext=$(live_py times "$RECORD" | awk '$2 == 429 { t = $1; n = ""; next } t != "" && n == "" { n = $1 } END { print n }')
[ -n "$tnext" ] || fail "no request after the 429 with Retry-After: $http_date"
report "the request after the 429 (Retry-After: $http_date) came at $tnext (the date: $until_s)"
fge "$tnext" "$(awk -v u="$until_s" 'BEGIN { printf "%.1f", u - 0.1 }')" || fail "Retry-After: $http_date not honoured: the next request came at $tnext"

# A reload (SIGHUP) while waiting out a Retry-After does not cut the wait
# short: Pinterest asked for it.
ep_control '{"status": 429, "retry_after": 4, "count": 1}'
append_lines "$LOG" d 0 10
expected_keys shop "$LOG" > "$T/exp"
wait_until 10 "the sixth 429" eval '[ "$(request_count 429)" -ge 6 ]'
agent_hup
wait_delivered "$T/exp" 20
read -r t429 tnext < <(live_py times "$RECORD" | awk '$2 == 429 { t = $1; n = ""; next } t != "" && n == "" { n = $1 } END { print t, n }')
gap=$(awk -v a="$t429" -v b="$tnext" 'BEGIN { printf "%.2f", b - a }')
report "with a SIGHUP in the wait, the request after the 429 (Retry-After: 4) came ${gap}s later"
fge "$gap" 3.9 || fail "SIGHUP cut a Retry-After: 4 short: the next request came ${gap}s after the 429"

assert_eq "429 answers" 6 "$(request_count 429)"
assert_eq "events delivered twice" 0 "$(dup_count)"
assert_eq "rejected.log lines" 0 "$(rejected_count shop)"
[ "$(log_count 'delivery paused')" -eq 0 ] || fail "a 429 paused the site"

# A Retry-After of minutes is said as a warning: nothing is sent meanwhile.
# (A restart does not keep it: the events go at once.)
ep_control '{"status": 429, "retry_after": 120, "count": 1}'
append_lines "$LOG" e 0 5
expected_keys shop "$LOG" > "$T/exp"
wait_log 10 "site shop: Pinterest asks for a wait of 120s before the next request \(Retry-After\)"
agent_stop TERM
agent_start 1
wait_delivered "$T/exp" 15
agent_stop TERM
assert_no_violations
assert_token_secret
answers_done
