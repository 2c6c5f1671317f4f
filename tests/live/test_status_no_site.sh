#!/bin/bash
# A clean stop is told from a crash with no site configured too (a fresh
# install runs the service before any site is written):
#   - `run` with no site starts ("running (0 sites)") and stops on SIGTERM
#     with exit status 0;
#   - `pintail status` then says it stopped cleanly, not "did not stop
#     cleanly (crashed or killed)", and status.json says "stopped": true.
# shellcheck source=live_lib.sh
. "$(dirname "$0")/live_lib.sh"

live_config
agent_start 0
agent_stop
"$PINTAIL" -c "$CONF" status > "$T/status.out" 2>&1 && rc=0 || rc=$?
cat "$T/status.out"
assert_grep "^pintail is NOT running: .*it stopped cleanly" "$T/status.out"
if grep -q "did not stop cleanly" "$T/status.out"; then fail "a clean stop with no site was taken for a crash"; fi
"$PYTHON" -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["stopped"] is True and s["sites"] == [], s' \
	"$T/state/status.json" || fail "status.json does not say stopped"
report "status after a clean stop with no site: exit status $rc"
echo "$LIVE_NAME: all checks passed"
