#!/bin/bash
# shellcheck disable=SC2119 # helpers whose arguments are optional
# `pintail send-test SITE` (SPEC §2): one page_visit with test=true.
#   exit 0: accepted ("accepted" printed); the endpoint got one request with
#           ?test=true holding one page_visit for the site's URL;
#   exit 2: 401 ("the access token was refused (401)"), 403 ("not permitted
#           for ad account N (403)"), 404 ("ad account N not found (404)"),
#           a wrong token in the token file (the endpoint's real 401), and
#           an unreachable endpoint ("network problem: ...");
#   exit 1: an unknown site, a broken configuration, a missing token file.
# No agent runs.  No output holds the token.
# shellcheck source=answers_lib.sh
. "$(dirname "$0")/answers_lib.sh"
set -euo pipefail

LOG=$T/logs/access.log
: > "$LOG"
answers_config
ep_start
make_live_site shop "$LOG"

# send_test NAME [SITE]: run it, output in $OUT/send-test.NAME; sets RC.
send_test() {
	RC=0
	"$PINTAIL" -c "$CONF" send-test "${2:-shop}" > "$OUT/send-test.$1" 2>&1 || RC=$?
	echo "-- send-test $1 (exit $RC): $(tr '\n' ' ' < "$OUT/send-test.$1")"
}
expect() { # NAME RC PATTERN
	assert_eq "send-test $1: exit status" "$2" "$RC"
	[ -z "${3:-}" ] || assert_grep "$3" "$OUT/send-test.$1"
}

send_test ok
expect ok 0 "accepted"
assert_eq "requests after send-test ok" 1 "$(request_count)"
"$PYTHON" - "$RECORD" <<'PY' || fail "the send-test request is not one test=true page_visit for https://shop.example.com"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])][-1]
ev = r["events"]
ok = (r["status"] == 200 and r["test"] is True and r["n"] == 1 and ev[0]["event_name"] == "page_visit"
      and ev[0]["action_source"] == "web" and ev[0]["event_source_url"].startswith("https://shop.example.com"))
sys.exit(0 if ok else 1)
PY

ep_control '{"status": 401, "count": 1}'
send_test 401
expect 401 2 "the access token was refused \\(401\\)"
ep_control '{"status": 403, "count": 1}'
send_test 403
expect 403 2 "not permitted for ad account $AD_ACCOUNT \\(403\\)"
ep_control '{"status": 404, "count": 1}'
send_test 404
expect 404 2 "ad account $AD_ACCOUNT not found \\(404\\)"

# a 200 that is not Pinterest's (a proxy's or captive portal's page)
ep_control '{"status": 200, "body": "<html><body>Request blocked</body></html>", "count": 1}'
send_test proxy
expect proxy 2 "HTTP 200 from .*, but not Pinterest's answer"

# a wrong token (the endpoint's own check)
set_token "$T/etc/token" "$TOKEN_BAD"
send_test badtoken
expect badtoken 2 "the access token was refused \\(401\\)"
set_token "$T/etc/token" "$TOKEN_GOOD"
send_test ok2
expect ok2 0 "accepted"

# a wrong ad account (the endpoint's own 404)
sed -e "s/^ad_account_id = .*/ad_account_id = 549000000001/" -e "s#^logs = .*#logs = $T/logs/wrongacct.log#" "$T/etc/conf.d/shop.conf" > "$T/etc/conf.d/wrongacct.conf"
chmod 600 "$T/etc/conf.d/wrongacct.conf"
send_test wrongacct wrongacct
expect wrongacct 2 "ad account 549000000001 not found \\(404\\)"

# unreachable: a port nothing listens on
port=$(free_port)
sed -e "s#^api_url = .*#api_url = https://127.0.0.1:$port/v5#" -e "s#^logs = .*#logs = $T/logs/down.log#" "$T/etc/conf.d/shop.conf" > "$T/etc/conf.d/down.conf"
chmod 600 "$T/etc/conf.d/down.conf"
t0=$(now)
send_test down down
expect down 2 "network problem: "
fge 10 "$(since "$t0")" || fail "send-test to a closed port took $(since "$t0")s"

# a server that never answers: the site's timeout (2s) bounds it
sed -i "s/^timeout = .*/timeout = 2s/" "$T/etc/conf.d/shop.conf"
ep_control '{"hang": true, "count": 1}'
t0=$(now)
send_test hang
took=$(since "$t0")
expect hang 2 "network problem: "
fge 6 "$took" || fail "send-test to a hanging endpoint took ${took}s (timeout 2s)"

# exit 1
send_test nosuch nosuch
expect nosuch 1
cp "$CONF" "$T/conf.good"
echo "no_such_key = 1" >> "$CONF"
send_test badconf
expect badconf 1 "no_such_key"
cp "$T/conf.good" "$CONF"
mv "$T/etc/token" "$T/etc/token.away"
send_test notoken
expect notoken 1
mv "$T/etc/token.away" "$T/etc/token"
send_test ok3
expect ok3 0 "accepted"
rc=0
"$PINTAIL" -c "$CONF" send-test > "$OUT/send-test.usage" 2>&1 || rc=$?
assert_eq "send-test without a site: exit status" 1 "$rc"

assert_no_violations
assert_token_secret
answers_done
