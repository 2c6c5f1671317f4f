#!/bin/bash
# A wildcard in a folder's name, as per-vhost logs are laid out
# (logs = .../vhosts/*/access.log): no folder event tells of those folders,
# so the agent looks at them every 5 s.  Lines added to a log there, a log
# in a folder made after the start, and a rotation (rename, new file) are
# all delivered, once; check passes; the agent says how it reads them.
# shellcheck source=live_lib.sh
. "$(dirname "$0")/live_lib.sh"

V=$T/logs/vhosts
mkdir -p "$V/a" "$V/b"
live_config
endpoint_start
make_live_site shop "$V/*/access.log"
append_lines "$V/a/access.log" a 0 2
append_lines "$V/b/access.log" b 0 2
agent_start 1
agent_logged "a wildcard in a folder's name; the logs there are looked for every 5 s" \
	|| fail "the agent did not say how it reads the logs: $(cat "$AGENT_ERR")"
expected_keys shop "$V"/*/access.log > "$T/exp"
wait_delivered "$T/exp" 20

append_lines "$V/a/access.log" a 2 2
mkdir "$V/c"
append_lines "$V/c/access.log" c 0 2
mv "$V/b/access.log" "$V/b/access.log.1"
append_lines "$V/b/access.log.1" b 2 1
append_lines "$V/b/access.log" b2 0 2
expected_keys shop "$V"/*/access.log "$V/b/access.log.1" > "$T/exp"
wait_delivered "$T/exp" 20
agent_stop TERM
assert_eq "warnings" 0 "$(grep 'warning:' "$AGENT_ERR" | grep -vc 'running as root is not needed' || true)"
assert_delivered_once "$T/exp"
report "logs in folders matched by a wildcard: appended, new folder, rotation delivered once"
echo "$LIVE_NAME: all checks passed"
