#!/bin/bash
# shellcheck disable=SC2119 # helpers whose arguments are optional
# A 413 for the first request (SPEC §5: "413 splits the batch like 400"):
# 200 events in one batch, the endpoint answers the first request 413; the
# batch is split and every event is delivered, none rejected, none twice,
# the first request after the 413 carrying fewer events; no pause.
# shellcheck source=answers_lib.sh
. "$(dirname "$0")/answers_lib.sh"
set -euo pipefail

shop_site --batch-max 500 --flush 2s
append_lines "$LOG" a 0 200
expected_keys shop "$LOG" > "$T/exp"
ep_control '{"status": 413, "count": 1}'
agent_start 1
wait_delivered "$T/exp" 20
sleep 1
live_py times "$RECORD" > "$T/times"
report "requests (t status n): $(awk '{ printf "%s/%s ", $2, $3 }' "$T/times")"
read -r _ s1 n1 < <(sed -n 1p "$T/times")
read -r _ _ n2 < <(sed -n 2p "$T/times")
assert_eq "status of the first request" 413 "$s1"
assert_eq "events in the first request" 200 "$n1"
[ "$n2" -lt "$n1" ] || fail "the request after the 413 carried $n2 events (not split)"
assert_eq "413 answers" 1 "$(request_count 413)"
delivered_keys > "$T/del"
assert_set_eq "delivered after a 413" "$T/exp" "$T/del"
assert_eq "events delivered twice" 0 "$(dup_count)"
assert_eq "rejected.log lines" 0 "$(rejected_count shop)"
[ "$(log_count 'delivery paused')" -eq 0 ] || fail "the site paused on a 413"
grep -q '"status":413' "$(delivery_log shop)" || fail "delivery.log has no line for the 413"
assert_delivery_shape shop

agent_stop TERM
assert_no_violations
assert_token_secret
answers_done
