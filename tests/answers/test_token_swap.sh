#!/bin/bash
# shellcheck disable=SC2119 # helpers whose arguments are optional
# A token file replaced while the site is paused by a 401 (SPEC §5: "401: the
# site pauses (retrying every pause_retry and on SIGHUP, each time re-reading
# the token file)"): the agent starts with a wrong token in its token file
# (the endpoint accepts another); its first request is refused 401, the site
# pauses with the 401 words; the good token is written into the agent's
# token file (no SIGHUP); the next retry (pause_retry 2s) uses it and
# everything is delivered.  Then the same by atomic rename (a new inode).
# shellcheck source=answers_lib.sh
. "$(dirname "$0")/answers_lib.sh"
set -euo pipefail

LOG=$T/logs/access.log
answers_config
set_token "$T/etc/token" "$TOKEN_BAD"
ep_start
make_live_site shop "$LOG"
append_lines "$LOG" a 0 20
expected_keys shop "$LOG" > "$T/exp"
agent_start 1
W401="site shop: delivery paused: the access token was refused \\(401\\): it is invalid or has expired, or lacks the ads:write scope; generate a new one"
wait_log 10 "$W401"
# A retry or two with the same wrong token (pause_retry is 2s).
at_least_401() { [ "$(request_count 401)" -ge "$1" ]; }
wait_until 10 "two requests answered 401" at_least_401 2
n401=$(request_count 401)
[ "$n401" -ge 2 ] || fail "the paused site did not retry with the token file re-read ($n401 requests answered 401)"
assert_eq "requests answered 200 with the wrong token" 0 "$(request_count 200)"

# 1. written in place
t_fix=$(now)
set_token "$T/etc/token" "$TOKEN_GOOD"
wait_delivered "$T/exp" 6
report "token rewritten in place: delivered $(since "$t_fix")s later, without SIGHUP"
wait_log 3 "site shop: delivery works again"
[ "$(log_count 'SIGHUP: reading')" -eq 0 ] || fail "a SIGHUP was logged"

# 2. a wrong token again (the running agent holds the good one until a
#    refusal makes it re-read), then replaced by rename
set_token "$T/etc/token" "$TOKEN_BAD"
ep_control '{"status": 401, "count": 1}' # makes it pause and re-read: it now reads the bad token
append_lines "$LOG" b 0 20
expected_keys shop "$LOG" > "$T/exp"
two_pauses() { [ "$(log_count 'delivery paused: the access token was refused')" -ge 2 ]; }
wait_until 10 "a second 401 pause" two_pauses
wait_until 10 "two more requests answered 401" at_least_401 $((n401 + 2))
n401b=$(request_count 401)
[ "$n401b" -ge $((n401 + 2)) ] || fail "the retries after the second pause did not re-read the (bad) token file"
printf '%s\n' "$TOKEN_GOOD" > "$T/etc/token.new"
chmod 600 "$T/etc/token.new"
TOKEN_FILES+=("$T/etc/token.new")
t_fix=$(now)
mv "$T/etc/token.new" "$T/etc/token"
wait_delivered "$T/exp" 6
report "token replaced by rename: delivered $(since "$t_fix")s later, without SIGHUP"
assert_eq "events delivered twice" 0 "$(dup_count)"
assert_eq "rejected.log lines" 0 "$(rejected_count shop)"

agent_stop TERM
assert_no_violations
assert_token_secret
answers_done
