#!/bin/bash
# shellcheck disable=SC2119 # helpers whose arguments are optional
# A systemic 400 (SPEC §5: "if single events keep being rejected with the
# same message (10 single events in a row, none accepted in between) ... the
# site pauses instead of rejecting everything, and says so").
#
# 1. Not systemic: 12 invalid events spread among 500 (the same message,
#    but accepted events between them): the 12 are rejected, 488 delivered,
#    no pause.
# 2. Systemic: the endpoint refuses every batch with 400 and one message.
#    The site pauses with the "refused 10 events in a row" line; at most 9
#    events are in rejected.log, and that stays so while the endpoint keeps
#    refusing across several pause retries (pause_retry 2s, held 7 s):
#    nothing more is thrown away.  Then the endpoint answers normally again
#    and the agent gets SIGHUP: every event of the 500 that was not
#    rejected is delivered (none lost), and "delivery works again" is logged.
# shellcheck source=answers_lib.sh
. "$(dirname "$0")/answers_lib.sh"
set -euo pipefail

LOG=$T/logs/access.log
MSG1="Invalid event: spread test"
MSG2="Additional properties are not allowed ('systemic' was unexpected)"
answers_config
ep_start
make_live_site shop "$LOG" --batch-max 500 --flush 2s

# ---- 1. 12 spread invalid events: no pause
append_lines "$LOG" a 0 500
expected_keys shop "$LOG" > "$T/exp_a"
# 12 events at lines 20, 60, ..., 460: accepted lines between any two.
"$PINTAIL" -c "$CONF" parse shop "$LOG" 2> /dev/null | "$PYTHON" -c '
import json, sys
evs = [json.loads(l) for l in sys.stdin if l.strip()]
for i in range(20, 500, 40):
    print(evs[i]["event_id"], evs[i]["event_name"])' > "$T/bad_a"
assert_eq "spread invalid events" 12 "$(wc -l < "$T/bad_a")"
keys_minus "$T/exp_a" "$T/bad_a" > "$T/good_a"
ep_control "{\"reject_event_ids\": $(ans_py json_ids "$T/bad_a"), \"as\": 400, \"message\": \"$MSG1\"}"
agent_start 1
wait_delivered "$T/good_a" 40
wait_until 10 "12 lines in rejected.log" rejected_at_least shop 12
rejected_keys shop > "$T/rej"
assert_set_eq "rejected: 12 spread invalid events" "$T/bad_a" "$T/rej"
[ "$(log_count 'delivery paused')" -eq 0 ] || fail "the site paused for 12 invalid events with accepted ones between them"
report "12 spread invalid events among 500: rejected, 488 delivered in $(request_count) requests, no pause"

# ---- 2. every batch refused with one message: pause, nothing thrown away
ep_control "{\"reject_all\": true, \"as\": 400, \"message\": \"$MSG2\"}"
n_rej0=$(rejected_count shop)
append_lines "$LOG" b 0 500
expected_keys shop "$LOG" > "$T/exp_all"
keys_minus "$T/exp_all" "$T/exp_a" > "$T/exp_b"
assert_eq "events of the b- lines" 500 "$(wc -l < "$T/exp_b")"
wait_log 30 "site shop: delivery paused: Pinterest refused 10 events in a row, each on its own, with the same message \\(.*systemic"
grep -F "delivery paused: Pinterest refused 10 events" "$AGENT_ERR" | grep -qF "$MSG2" \
	|| fail "the pause line does not quote Pinterest's message"
rejected_keys shop | tail -n +"$((n_rej0 + 1))" > "$T/rej_b"
n1=$(wc -l < "$T/rej_b")
report "systemic 400: paused after $n1 rejected events"
[ "$n1" -le 9 ] || fail "$n1 events rejected before the systemic pause (at most 9)"
# The endpoint keeps refusing; the site retries every pause_retry (2s).
sleep 7
retries=$(log_count 'site shop: retrying delivery \(paused')
rejected_keys shop | tail -n +"$((n_rej0 + 1))" > "$T/rej_b"
n2=$(wc -l < "$T/rej_b")
report "after 7 s more of refusals ($retries pause retries): $n2 events in rejected.log"
[ "$retries" -ge 2 ] || fail "a paused site retried $retries times in 7 s (pause_retry 2s)"
[ "$n2" -le 9 ] || soft_fail "while paused on a systemic 400, each pause retry threw more events away: $n2 of 500 in rejected.log (at most 9: SPEC §5 'pauses instead of rejecting everything')"
site_stat_is shop paused true || fail "status does not show the site paused"
site_stat shop pause_reason | grep -qF "refused 10 events in a row" || fail "status pause_reason: $(site_stat shop pause_reason)"
[ "$(request_count 200)" -gt 0 ] || fail "no 200 at all"

# ---- recovery: the endpoint answers normally, SIGHUP retries at once
ep_control '{"mode": "ok"}'
agent_hup
log_has 'configuration reloaded \(1 site\)' || fail "SIGHUP was not taken"
keys_minus "$T/exp_b" "$T/rej_b" > "$T/good_b"
wait_delivered "$T/good_b" 15
report "after SIGHUP: $(wc -l < "$T/good_b") events delivered in $(since "$HUP_T")s"
wait_log 5 "site shop: delivery works again, after [0-9]+s of failures"
# Nothing lost: every b- event is delivered or rejected, not both.
delivered_keys > "$T/del"
comm -12 <(sort -u "$T/del") <(sort -u "$T/exp_b") > "$T/del_b"
cat "$T/del_b" "$T/rej_b" > "$T/accounted"
assert_set_eq "every b- event delivered or rejected" "$T/exp_b" "$T/accounted"
assert_disjoint "delivered and rejected" "$T/del_b" "$T/rej_b"
ans_py rejected_msgs "$(rejected_log shop)" | tail -n +"$((n_rej0 + 1))" | cut -f2 | sort -u > "$T/msgs"
[ ! -s "$T/msgs" ] || assert_eq "rejected.log message (systemic)" "$MSG2" "$(cat "$T/msgs")"
assert_rejected_shape shop
assert_eq "events delivered twice" 0 "$(dup_count)"

agent_stop TERM
assert_no_violations
assert_token_secret
answers_done
