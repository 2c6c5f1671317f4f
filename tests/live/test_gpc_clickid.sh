#!/bin/bash
# The click-id memory and Sec-GPC in a running agent (SPEC §4), with the
# nginx_pintail format (request_id "-", so event_ids are derived):
#   - visitor A lands with ?epik=; after a restart (SIGTERM, start) A's
#     checkout carries that click_id (remembered across restarts; `parse`,
#     with an empty memory, gives none for the same line);
#   - visitor C's _epik cookie is their click_id;
#   - visitor B lands with ?epik=, then sends Sec-GPC: 1: the events of that
#     hit carry opt_out true; B is forgotten: B's next checkout has no
#     click_id (and no opt_out), also after a restart, while A is still
#     remembered.
# shellcheck source=live_lib.sh
. "$(dirname "$0")/live_lib.sh"

LOG=$T/logs/access.log
UA_A='Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0'
UA_B='Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15'
UA_C='Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'
IP_A=198.51.100.10
IP_B=198.51.100.11
IP_C=198.51.100.12
EPIK_A=dj0yJnU9QUFBQUFB
EPIK_B=dj0yJnU9QkJCQkJC
EPIK_C=dj0yJnU9Q0NDQ0ND
RULES='
[event page_visit]
type = page_visit
path = ^/

[event checkout]
type = checkout
path = ^/checkout'

live_config
endpoint_start
make_live_site shop "$LOG" --parser nginx_pintail --extra "$RULES"

# hit IP UA URI [COOKIE_EPIK] [SEC_GPC]: one nginx_pintail line, now.
hit() {
	printf '%s - - [%s] "GET %s HTTP/1.1" 200 512 "-" "%s" "shop.example.com" "-" "%s" "%s"\n' \
		"$1" "$(log_time)" "$3" "$2" "${4:--}" "${5:--}" >> "$LOG"
}
# field URL_SUBSTR EVENT_NAME PATH: the distinct values of a field of the
# delivered events ("absent" when an event lacks it).
field() { live_py field "$RECORD" "$1" "$2" "$3" | tr '\n' ' ' | sed 's/ $//'; }
deliver_all() { expected_keys shop "$LOG" > "$T/exp"; wait_delivered "$T/exp" 20; }

agent_start 1
hit "$IP_A" "$UA_A" "/products/mug?epik=$EPIK_A"
hit "$IP_C" "$UA_C" "/products/cup" "$EPIK_C"
deliver_all
assert_eq "A's landing click_id" "\"$EPIK_A\"" "$(field '/products/mug?epik=' page_visit user_data.click_id)"
assert_eq "C's hit click_id (from the _epik cookie)" "\"$EPIK_C\"" "$(field '/products/cup' page_visit user_data.click_id)"

agent_stop TERM
agent_start 1
hit "$IP_A" "$UA_A" "/checkout/thank-you?order=A1"
deliver_all
assert_eq "A's checkout click_id after a restart" "\"$EPIK_A\"" "$(field 'order=A1' checkout user_data.click_id)"
assert_eq "A's checkout page_visit click_id after a restart" "\"$EPIK_A\"" "$(field 'order=A1' page_visit user_data.click_id)"
assert_eq "A's checkout opt_out" absent "$(field 'order=A1' checkout opt_out)"
# parse starts with an empty memory: alone, A's checkout line has no click_id
# (the one above came from the agent's memory).
grep -F 'order=A1' "$LOG" > "$T/a1.log"
"$PINTAIL" -c "$CONF" parse shop "$T/a1.log" 2>/dev/null > "$T/a1.jsonl"
assert_eq "events parse gives for A's checkout line alone" 2 "$(wc -l < "$T/a1.jsonl")"
assert_eq "click_ids parse (empty memory) gives for A's checkout line alone" 0 "$(grep -c click_id "$T/a1.jsonl" || true)"

# B: landing, then Sec-GPC, then checkouts.
hit "$IP_B" "$UA_B" "/products/plate?epik=$EPIK_B"
deliver_all
assert_eq "B's landing click_id" "\"$EPIK_B\"" "$(field '/products/plate?epik=' page_visit user_data.click_id)"
hit "$IP_B" "$UA_B" "/products/bowl" - 1
hit "$IP_B" "$UA_B" "/checkout/thank-you?order=B1"
deliver_all
assert_eq "opt_out of B's Sec-GPC hit" true "$(field '/products/bowl' page_visit opt_out)"
assert_eq "B's checkout click_id after Sec-GPC" absent "$(field 'order=B1' checkout user_data.click_id)"
assert_eq "B's checkout opt_out (no Sec-GPC on it)" absent "$(field 'order=B1' checkout opt_out)"

agent_stop TERM
agent_start 1
hit "$IP_B" "$UA_B" "/checkout/thank-you?order=B2"
hit "$IP_A" "$UA_A" "/checkout/thank-you?order=A2"
hit "$IP_B" "$UA_B" "/checkout/thank-you?order=B3" - 1
deliver_all
assert_eq "B's checkout click_id after Sec-GPC and a restart" absent "$(field 'order=B2' checkout user_data.click_id)"
assert_eq "A's second checkout click_id" "\"$EPIK_A\"" "$(field 'order=A2' checkout user_data.click_id)"
assert_eq "opt_out of B's checkout with Sec-GPC" true "$(field 'order=B3' checkout opt_out)"
assert_eq "opt_out of B's page_visit with Sec-GPC" true "$(field 'order=B3' page_visit opt_out)"
agent_stop TERM

assert_delivered_once "$T/exp"
report "$(wc -l < "$T/exp") events delivered; click ids remembered across restarts, Sec-GPC visitors forgotten"
echo "$LIVE_NAME: all checks passed"
