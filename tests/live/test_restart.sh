#!/bin/bash
# Restarts and crashes.
#
# 1. Clean stops (SIGTERM, exit 0 within 10 s), idle and in the middle of a
#    steady write: after each restart nothing is missing and nothing is sent
#    again (an idle restart sends no request at all); no duplicate.
# 2. kill -9 at seeded random moments during a steady write (~200 lines/s),
#    LIVE_CYCLES (21) times; every third kill is made while a request is in
#    flight (the endpoint is told to hang the next request, and the kill
#    follows its record line, status 0 = received, never answered); the
#    endpoint answers every request 150 ms late, so random kills land in
#    flight too.  Afterwards every expected event is delivered; the number of
#    duplicate deliveries is reported and must not exceed the number of
#    events in flight at the kills (sum of the batch sizes of the requests
#    received but unanswered at a kill, or answered less than GRACE before
#    it), and each duplicate's first delivery must be such a request.
#    LIVE_SEED picks the moments.
# shellcheck source=live_lib.sh
. "$(dirname "$0")/live_lib.sh"

LOG=$T/logs/access.log
SEED=${LIVE_SEED:-20261128}
CYCLES=${LIVE_CYCLES:-21}
LAT_MS=150
GRACE=0.15 # an answer recorded this long before a kill may not have reached the agent
GAP=0.6    # between a kill and the next start: tells the two agents' requests apart

live_config
endpoint_start --latency-ms "$LAT_MS"
make_live_site shop "$LOG" --batch-max 100 --timeout 30s

# ---- 1. clean stops
append_lines "$LOG" a 0 500
agent_start 1
expected_keys shop "$LOG" > "$T/exp"
wait_delivered "$T/exp" 20
agent_stop TERM
report "idle stop took ${AGENT_STOP_S}s"
n0=$(request_count)
agent_start 1
same_requests() { [ "$(request_count)" -eq "$n0" ]; }
hold 3 "requests were sent after an idle restart with nothing new" same_requests

writer_start "$LOG" b 200 100000
hold 2 "the agent died" proc_alive "$AGENT_PID"
agent_stop TERM
report "stop while writing took ${AGENT_STOP_S}s"
agent_start 1
hold 1 "the agent died" proc_alive "$AGENT_PID"
writer_stop
expected_keys shop "$LOG" > "$T/exp"
wait_delivered "$T/exp" 20
assert_eq "events delivered twice after clean stops" 0 "$(dup_count)"
agent_stop TERM
report "clean stops: $(wc -l < "$T/exp") events, none missing, none twice"

# ---- 2. kill -9
RANDOM=$SEED
: > "$T/kills"
hung_more() { [ "$(request_count 0)" -gt "$1" ]; }
writer_start "$LOG" k 200 100000
for ((c = 1; c <= CYCLES; c++)); do
	agent_start 1
	if ((c % 3 == 0)); then
		h0=$(request_count 0)
		ep_control '{"hang": true, "count": 1}'
		wait_until 10 "a hung request (cycle $c)" hung_more "$h0"
		sleep "0.$((RANDOM % 3))"
	else
		ms=$((200 + RANDOM % 800))
		sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
	fi
	k=$(now)
	agent_kill9
	echo "$AGENT_START_T $k" >> "$T/kills"
	sleep "$GAP"
done
ep_control '{"mode": "ok"}'
agent_start 1
hold 1 "the agent died" proc_alive "$AGENT_PID"
writer_stop
expected_keys shop "$LOG" > "$T/exp"
wait_delivered "$T/exp" 40
agent_stop TERM

live_py killstats "$RECORD" "$T/kills" "$(awk -v m="$LAT_MS" 'BEGIN { print m / 1000 }')" "$GRACE" > "$T/killstats"
read -r inflight kills_in_flight dups unexplained < "$T/killstats"
report "seed $SEED: $CYCLES kills, $kills_in_flight with requests in flight, $inflight events in flight at the kills"
report "$(wc -l < "$T/exp") events expected and delivered; $dups duplicate deliveries ($unexplained not of a request in flight at a kill)"
[ "$kills_in_flight" -ge 5 ] || { tail -n +2 "$T/killstats" >&2; fail "only $kills_in_flight kills had a request in flight (need 5)"; }
[ "$dups" -le "$inflight" ] || { tail -n +2 "$T/killstats" >&2; fail "$dups duplicate deliveries, more than the $inflight events in flight at the kills"; }
[ "$unexplained" -eq 0 ] || { tail -n +2 "$T/killstats" >&2; fail "$unexplained duplicates of events whose first delivery was not in flight at a kill"; }
assert_only_expected "$T/exp"
assert_no_violations
assert_no_token
echo "$LIVE_NAME: all checks passed"
