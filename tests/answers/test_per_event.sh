#!/bin/bash
# shellcheck disable=SC2119 # helpers whose arguments are optional
# Per-event failures (SPEC §5): a 200 whose events[] marks some events
# "failed", then a 422 whose details.events[] does.  Each time exactly the
# failed events are in rejected.log (with Pinterest's message and the event
# itself), the others are delivered; a failed event is never sent again;
# delivery.log counts the failures; the site is never paused; status counts
# the rejects.
# shellcheck source=answers_lib.sh
. "$(dirname "$0")/answers_lib.sh"
set -euo pipefail

shop_site --batch-max 100
REJ=$(rejected_log shop)

# ---- 1. failed in a 200
append_lines "$LOG" a 0 40
expected_keys shop "$LOG" > "$T/exp_a"
assert_eq "events of the a- lines" 40 "$(wc -l < "$T/exp_a")"
ans_py pick "$T/exp_a" 3 > "$T/bad_a"
ep_control "{\"reject_event_ids\": $(ans_py json_ids "$T/bad_a"), \"as\": 200, \"message\": \"bad event A (200)\"}"
agent_start 1
keys_minus "$T/exp_a" "$T/bad_a" > "$T/good_a"
accepted_all() { [ -z "$(comm -13 <(accepted_keys "$1" | sort -u) <(sort -u "$2"))" ]; }
wait_until 20 "the 37 good a- events accepted" accepted_all "$T/bad_a" "$T/good_a"
wait_until 10 "3 lines in rejected.log" rejected_at_least shop 3
sleep 1.5 # a later (wrong) reject or resend would show now
rejected_keys shop > "$T/rej"
assert_eq "rejected.log lines after the 200" 3 "$(wc -l < "$T/rej")"
assert_set_eq "rejected.log after a 200 with 3 failed events" "$T/bad_a" "$T/rej"
assert_rejected_shape shop
ans_py rejected_msgs "$REJ" | cut -f2 | sort -u > "$T/msgs"
assert_eq "rejected.log message (200)" "bad event A (200)" "$(cat "$T/msgs")"
accepted_keys "$T/bad_a" > "$T/acc"
assert_set_eq "events accepted after the 200" "$T/good_a" "$T/acc"
ans_py sent "$RECORD" | grep -Ff <(cut -d' ' -f1 "$T/bad_a") | sort | uniq -c | awk '$1 != 1' > "$T/resent"
[ ! -s "$T/resent" ] || { cat "$T/resent" >&2; fail "a failed event was sent more than once"; }
failed200=$(ans_py delivery "$(delivery_log shop)" failed 200 | awk '{ s += $1 } END { print s + 0 }')
assert_eq "failed events counted in delivery.log (200 answers)" 3 "$failed200"
report "200 with per-event failures: 3 rejected, 37 delivered"

# ---- 2. failed in a 422 (ids known before the agent sees the lines)
stage_lines b 0 40
stage_keys shop "$LOG" > "$T/exp_b"
assert_eq "events of the b- lines" 40 "$(wc -l < "$T/exp_b")"
ans_py pick "$T/exp_b" 3 > "$T/bad_b"
ep_control "{\"reject_event_ids\": $(ans_py json_ids "$T/bad_b"), \"as\": 422, \"message\": \"bad event B (422)\"}"
stage_commit "$LOG"
has422() { [ "$(request_count 422)" -ge 1 ]; }
keys_minus "$T/exp_b" "$T/bad_b" > "$T/good_b"
cat "$T/bad_a" "$T/bad_b" > "$T/bad_ab"
wait_until 20 "the 37 good b- events accepted" accepted_all "$T/bad_ab" "$T/good_b"
wait_until 10 "6 lines in rejected.log" rejected_at_least shop 6
sleep 1.5
has422 || fail "the endpoint never answered 422 (the b- events went out before the control?)"
rejected_keys shop > "$T/rej"
assert_eq "rejected.log lines after the 422" 6 "$(wc -l < "$T/rej")"
assert_set_eq "rejected.log after a 422 with 3 failed events" "$T/bad_ab" "$T/rej"
assert_rejected_shape shop
ans_py rejected_msgs "$REJ" | grep -Ff <(cut -d' ' -f1 "$T/bad_b") | cut -f2 | sort -u > "$T/msgs"
assert_eq "rejected.log message (422)" "bad event B (422)" "$(cat "$T/msgs")"
cat "$T/good_a" "$T/good_b" > "$T/good"
accepted_keys "$T/bad_ab" > "$T/acc"
assert_set_eq "events accepted after the 422" "$T/good" "$T/acc"
ans_py sent "$RECORD" | grep -Ff <(cut -d' ' -f1 "$T/bad_ab") | sort | uniq -c | awk '$1 != 1' > "$T/resent"
[ ! -s "$T/resent" ] || { cat "$T/resent" >&2; fail "a failed event was sent more than once"; }
failed422=$(ans_py delivery "$(delivery_log shop)" failed 422 | awk '{ s += $1 } END { print s + 0 }')
assert_eq "failed events counted in delivery.log (422 answers)" 3 "$failed422"
assert_delivery_shape shop
# no event (good or bad) was sent twice
dups=$(ans_py sent "$RECORD" | sort | uniq -d | wc -l)
assert_eq "events sent twice" 0 "$dups"
[ "$(log_count 'delivery paused')" -eq 0 ] || fail "the site paused on per-event failures"
wait_until 10 "status: rejected = 6" site_stat_is shop rejected 6
wait_until 10 "status: delivered = 74" site_stat_is shop delivered 74
report "422 with per-event failures: 3 rejected, 37 delivered"

# ---- 3. warnings in a 200: delivered, counted and logged, never rejected
stage_lines c 0 20
stage_keys shop "$LOG" > "$T/exp_c"
ans_py pick "$T/exp_c" 2 > "$T/warn_c"
ep_control "{\"warn_event_ids\": $(ans_py json_ids "$T/warn_c"), \"warning_message\": \"odd event C\"}"
stage_commit "$LOG"
wait_until 20 "status: delivered = 94" site_stat_is shop delivered 94
wait_until 10 "status: warnings = 2" site_stat_is shop warnings 2
wait_log 10 "Pinterest warns about event [0-9a-f]+: odd event C"
assert_eq "rejected.log lines after warnings" 6 "$(rejected_keys shop | wc -l)"
report "200 with per-event warnings: 20 delivered, 2 warnings counted"

agent_stop TERM
assert_no_violations
assert_token_secret
answers_done
