#!/bin/bash
# shellcheck disable=SC2119 # helpers whose arguments are optional
# Events too old or in the future (SPEC §4, §5): with the default
# max_event_age (7d), a line dated 10 days ago and one dated 1 hour ahead
# (beyond the 5-minute tolerance) are never sent; each is in rejected.log
# with its reason ("too old", "in the future") and the event itself; a line
# 3 minutes ahead (within the tolerance) and current lines are delivered;
# status counts the 2 rejects.  A second site with max_event_age = 1h rejects
# a 2-hour-old line and delivers a 30-minute-old one.
# shellcheck source=answers_lib.sh
. "$(dirname "$0")/answers_lib.sh"
set -euo pipefail

LOG=$T/logs/access.log
LOG2=$T/logs/short.log
answers_config
ep_start
make_live_site shop "$LOG"
make_live_site short "$LOG2" --extra "max_event_age = 1h"
now_s=$(date +%s)
{
	dated_line now-1 "$now_s"
	dated_line old-10d $((now_s - 10 * 86400))
	dated_line now-2 "$now_s"
	dated_line future-1h $((now_s + 3600))
	dated_line soon-3m $((now_s + 180))
	dated_line now-3 "$now_s"
} > "$LOG"
{
	dated_line s-old-2h $((now_s - 7200))
	dated_line s-recent-30m $((now_s - 1800))
} > "$LOG2"
# what parse says (it must agree with run)
"$PINTAIL" -c "$CONF" parse shop "$LOG" > "$OUT/parse.out" 2> "$OUT/parse.err"
assert_eq "events parse gives (4 of 6 lines)" 4 "$(wc -l < "$OUT/parse.out")"
expected_keys shop "$LOG" > "$T/exp"
expected_keys short "$LOG2" >> "$T/exp"
assert_eq "expected events" 5 "$(wc -l < "$T/exp")"

agent_start 2
wait_delivered "$T/exp" 15
wait_until 10 "2 lines in shop's rejected.log" rejected_at_least shop 2
wait_until 10 "1 line in short's rejected.log" rejected_at_least short 1
sleep 1.5 # anything sent late would show now
ans_py rejected_msgs "$(rejected_log shop)" | awk -F'\t' '{ print $2 "\t" $3 }' | sort > "$T/rej"
cat "$T/rej"
assert_eq "shop rejected.log lines" 2 "$(wc -l < "$T/rej")"
grep -qP '^too old\t.*/products/old-10d$' "$T/rej" || fail "the 10-day-old line is not in rejected.log as \"too old\""
grep -qP '^in the future\t.*/products/future-1h$' "$T/rej" || fail "the line 1 h ahead is not in rejected.log as \"in the future\""
ans_py rejected_msgs "$(rejected_log short)" | awk -F'\t' '{ print $2 "\t" $3 }' > "$T/rej2"
grep -qP '^too old\t.*/products/s-old-2h$' "$T/rej2" || fail "short (max_event_age 1h): the 2-hour-old line is not rejected as too old: $(cat "$T/rej2")"
assert_eq "short rejected.log lines" 1 "$(wc -l < "$T/rej2")"
assert_rejected_shape shop
assert_rejected_shape short
for tag in old-10d future-1h s-old-2h; do
	n=$(ans_py sent_url "$RECORD" "/products/$tag" | wc -l)
	assert_eq "requests carrying /products/$tag" 0 "$n"
done
delivered_keys > "$T/del"
assert_set_eq "delivered events" "$T/exp" "$T/del"
wait_until 8 "status: 2 rejected (shop)" site_stat_is shop rejected 2
agent_stop TERM
assert_eq "events delivered twice" 0 "$(dup_count)"
assert_no_violations
assert_token_secret
answers_done
