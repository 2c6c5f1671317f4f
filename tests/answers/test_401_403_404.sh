#!/bin/bash
# shellcheck disable=SC2119 # helpers whose arguments are optional
# 401, 403 and 404 (SPEC §5), and a redirect (307, never followed: the
# token goes to api_url alone): the endpoint answers N to every request; the
# site pauses and logs the words of §5 for N once (events keep being
# spooled); nothing is rejected.  Then:
#   1. pause_retry = 2s: the endpoint answers normally again; the next retry
#      (within ~2 s, no SIGHUP) delivers everything;
#   2. pause_retry = 60s: the endpoint answers normally again; nothing is
#      sent for 3 s; SIGHUP retries at once: everything delivered within 3 s
#      of it.
# shellcheck source=answers_lib.sh
. "$(dirname "$0")/answers_lib.sh"
set -euo pipefail

shop_site
W401="delivery paused: the access token was refused \\(401\\): it is invalid or has expired, or lacks the ads:write scope; generate a new one"
W403="delivery paused: not permitted for ad account $AD_ACCOUNT \\(403\\): the token lacks the ads:write scope or its user has no access to this ad account; check the Ad Account ID \\(not the Tag ID"
W404="delivery paused: ad account $AD_ACCOUNT not found \\(404\\): check the numeric Ad Account ID, and that it is not the Tag ID"
W307="delivery paused: the endpoint answered 307, a redirect, which pintail does not follow \\(the token goes to api_url alone\\): check api_url"
words() { case $1 in 401) echo "$W401" ;; 403) echo "$W403" ;; 404) echo "$W404" ;; 307) echo "$W307" ;; esac; }
pauses() { [ "$(log_count "site shop: $(words "$1")")" -ge "$2" ]; }

# pause_on N TAG: the endpoint answers N; lines TAG-0..19 are written; wait
# for the pause line (the Kth for this N in this run).
pause_on() {
	local k
	k=$(($(log_count "site shop: $(words "$1")") + 1))
	ep_control "{\"status\": $1}"
	append_lines "$LOG" "$2" 0 20
	expected_keys shop "$LOG" > "$T/exp"
	wait_until 10 "the $1 pause line" pauses "$1" "$k"
	grep -E -- "site shop: $(words "$1")" "$AGENT_ERR" | tail -n 1 | grep -qF "(events keep being spooled; retrying every $PAUSE_S" \
		|| fail "the $1 pause line does not say events keep being spooled and the retry period"
	if [ "${CHECK_STATUS:-0}" = 1 ]; then # status.json lags a few seconds: once is enough
		wait_until 8 "status: paused ($1)" site_stat_is shop paused true
		site_stat shop pause_reason | grep -qF "($1)" || fail "status pause_reason for $1: $(site_stat shop pause_reason)"
	fi
}

# ---- 1. recovery at the next retry
PAUSE_S=2s
agent_start 1
for st in 401 403 404 307; do
	CHECK_STATUS=0
	[ "$st" != 401 ] || CHECK_STATUS=1
	pause_on "$st" "r$st"
	sleep 0.5
	lines=$(log_count "site shop: $(words "$st")")
	t_ok=$(now)
	ep_control '{"mode": "ok"}'
	wait_delivered "$T/exp" 6
	took=$(since "$t_ok")
	report "$st: paused with the right words; delivered ${took}s after the endpoint recovered (pause_retry 2s, no SIGHUP)"
	fge 4 "$took" || fail "$st: recovery took ${took}s with pause_retry 2s"
	assert_eq "$st: the pause line logged once" "$lines" "$(log_count "site shop: $(words "$st")")"
	[ "$CHECK_STATUS" = 0 ] || wait_until 8 "status: not paused after $st" site_stat_is shop paused false
done
[ "$(log_count 'SIGHUP: reading')" -eq 0 ] || fail "a SIGHUP happened in part 1"
assert_eq "delivery works again lines" 4 "$(log_count 'site shop: delivery works again')"
agent_stop TERM

# ---- 2. pause_retry 60s: recovery right after SIGHUP
sed -i 's/^pause_retry = .*/pause_retry = 60s/' "$CONF"
PAUSE_S=60s
agent_start 1
for st in 401 403 404; do
	pause_on "$st" "h$st"
	ep_control '{"mode": "ok"}'
	n0=$(request_count)
	same() { [ "$(request_count)" -eq "$n0" ]; }
	hold 3 "$st: a request was sent before SIGHUP with pause_retry 60s" same
	agent_hup
	log_has 'configuration reloaded \(1 site\)' || fail "SIGHUP refused"
	wait_delivered "$T/exp" 3
	report "$st: delivered $(since "$HUP_T")s after SIGHUP (pause_retry 60s)"
done
agent_stop TERM

assert_eq "events delivered twice" 0 "$(dup_count)"
assert_eq "rejected.log lines" 0 "$(rejected_count shop)"
assert_no_violations
assert_token_secret
answers_done
