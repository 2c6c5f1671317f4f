#!/bin/bash
# shellcheck disable=SC2119 # helpers whose arguments are optional
# The token never appears in any log, status or error output (SPEC §2, §5).
# With log_level = debug, every path that handles the token is exercised:
# a refused token (401 pause, retries re-reading the file), a token file
# replaced and a new token file path taken by SIGHUP, an inline
# access_token (check's warning about a site file readable by others), a site file
# whose typo'd key holds the token ("an unknown key is named, its value is
# not"), send-test accepted and refused, status and status --json, parse,
# check, and a delivery.  Then neither token (the good and the refused one)
# is in any file under the scratch folder other than the token files and
# the one site file that holds it inline: the agent's stderr, every
# captured stdout/stderr, the state folder (status.json, delivery.log,
# rejected.log, spool, checkpoints), the endpoint's record and stderr.
# shellcheck source=answers_lib.sh
. "$(dirname "$0")/answers_lib.sh"
set -euo pipefail

LOG=$T/logs/access.log
answers_config "log_level = debug"
set_token "$T/etc/token" "$TOKEN_BAD"
ep_start
make_live_site shop "$LOG"
append_lines "$LOG" a 0 20
expected_keys shop "$LOG" > "$T/exp"

# check, parse, send-test with the refused token
"$PINTAIL" -c "$CONF" check > "$OUT/check.1" 2>&1 || fail "check failed"
"$PINTAIL" -c "$CONF" parse shop "$LOG" > "$OUT/parse.out" 2> "$OUT/parse.err" || fail "parse failed"
rc=0
"$PINTAIL" -c "$CONF" send-test shop > "$OUT/send-test.bad" 2>&1 || rc=$?
assert_eq "send-test with a refused token" 2 "$rc"

# the agent, refused, then the file replaced
agent_start 1
wait_log 10 "delivery paused: the access token was refused"
sleep 2.5
"$PINTAIL" -c "$CONF" status > "$OUT/status.paused" 2>&1 || fail "status failed"
"$PINTAIL" -c "$CONF" status --json > "$OUT/status.paused.json" 2>&1 || fail "status --json failed"
set_token "$T/etc/token" "$TOKEN_GOOD"
wait_delivered "$T/exp" 8

# a new token file path by SIGHUP
set_token "$T/etc/token2" "$TOKEN_GOOD"
sed -i "s#^access_token_file = .*#access_token_file = $T/etc/token2#" "$T/etc/conf.d/shop.conf"
agent_hup
ep_control '{"status": 503, "count": 1}' # a backoff: a debug line
append_lines "$LOG" b 0 10
expected_keys shop "$LOG" > "$T/exp"
wait_delivered "$T/exp" 8

# a refused reload whose bad line holds the token as a value
cp "$T/etc/conf.d/shop.conf" "$T/shop.conf.good"
echo "access_tokn = $TOKEN_GOOD" >> "$T/etc/conf.d/shop.conf"
TOKEN_FILES+=("$T/etc/conf.d/shop.conf")
agent_hup
log_has "reload refused" || fail "a site file with an unknown key was not refused"
grep -q 'access_tokn' "$AGENT_ERR" || fail "the unknown key is not named"
rc=0
"$PINTAIL" -c "$CONF" check > "$OUT/check.typo" 2>&1 || rc=$?
assert_eq "check with an unknown key" 1 "$rc"
grep -q 'access_tokn' "$OUT/check.typo" || fail "check does not name the unknown key"
cp "$T/shop.conf.good" "$T/etc/conf.d/shop.conf"

# an inline token in a readable site file (a warning that must not quote it)
mkdir -p "$T/inline/conf.d"
sed "s#^include = .*##" "$CONF" > "$T/inline/pintail.conf"
sed -e "s#^access_token_file = .*#access_token = $TOKEN_GOOD#" -e "s#^logs = .*#logs = $T/logs/inline.log#" \
	"$T/etc/conf.d/shop.conf" > "$T/inline/conf.d/inline.conf"
chmod 644 "$T/inline/conf.d/inline.conf"
TOKEN_FILES+=("$T/inline/conf.d/inline.conf")
: > "$T/logs/inline.log"
"$PINTAIL" -c "$T/inline/pintail.conf" check > "$OUT/check.inline" 2>&1 || true
grep -qi "readable" "$OUT/check.inline" || fail "check gave no warning about a site file with access_token readable by others"
rc=0
"$PINTAIL" -c "$T/inline/pintail.conf" send-test inline > "$OUT/send-test.inline" 2>&1 || rc=$?
assert_eq "send-test with an inline token" 0 "$rc"
"$PINTAIL" -c "$T/inline/pintail.conf" status inline > "$OUT/status.inline" 2>&1 || true

# accepted send-test, status while running and after the stop
"$PINTAIL" -c "$CONF" send-test shop > "$OUT/send-test.ok" 2>&1 || fail "send-test failed"
"$PINTAIL" -c "$CONF" status > "$OUT/status.running" 2>&1 || fail "status failed"
"$PINTAIL" -c "$CONF" status --json > "$OUT/status.running.json" 2>&1 || fail "status --json failed"
agent_stop TERM
"$PINTAIL" -c "$CONF" status > "$OUT/status.stopped" 2>&1 || true
"$PINTAIL" -c "$CONF" status --json > "$OUT/status.stopped.json" 2>&1 || true

grep -q '^pintail: debug' "$AGENT_ERR" || fail "log_level = debug produced no debug line"
report "agent stderr: $(wc -l < "$AGENT_ERR") lines; $(find "$OUT" -type f | wc -l) captured outputs; $(find "$T/state" -type f | wc -l) state files"
assert_token_secret
assert_no_violations
answers_done
