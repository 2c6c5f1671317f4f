#!/bin/bash
# Two logs that begin with the same line (one identity), their events held
# in the spool by an outage, a clean restart, then new lines in the shorter
# log, at offsets below the other's last spooled line: all delivered, none
# taken for events already in the spool, none delivered twice.
. "$(dirname "$0")/answers_lib.sh"
set -euo pipefail

B=$T/logs/b.log
C=$T/logs/c.log
answers_config
ep_start
make_live_site shop "$T/logs/*.log"
ep_control '{"status": 503, "retry_after": 60}'
combined_line probe 203.0.113.9 "$UA" 404 > "$T/first" # the same first line, no event
cat "$T/first" > "$B"
append_lines "$B" b 0 3
agent_start 1
wait_until 15 "3 events spooled" site_stat_is shop spooled 3
cat "$T/first" > "$C"
append_lines "$C" c 0 20
wait_until 15 "23 events spooled" site_stat_is shop spooled 23
agent_stop TERM
ep_control '{"mode": "ok"}'
agent_start 1
append_lines "$B" b 3 10
expected_keys shop "$B" "$C" > "$T/exp"
wait_delivered "$T/exp" 20
agent_stop TERM
assert_delivered_once "$T/exp"
answers_done
