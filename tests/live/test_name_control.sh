#!/bin/bash
# A file whose name holds a newline (or any control byte) and matches a
# site's glob: anyone who may create files in a log folder could otherwise
# forge journal lines and cut the checkpoint's lines.  It is not read, and
# said once, its name escaped (\x0a); the other logs are read; after a
# restart the checkpoint loads (no "malformed entry", nothing sent again).
# shellcheck source=live_lib.sh
. "$(dirname "$0")/live_lib.sh"
set -euo pipefail

L=$T/logs
live_config
endpoint_start
make_live_site shop "$L/*.log"
append_lines "$L/app.log" a 0 5
evil="$L/evil"$'\n''<3>pintail: error: FORGED LINE'$'\n''x.log'
append_lines "$evil" e 0 3
expected_keys shop "$L/app.log" > "$T/exp"
agent_start 1
wait_delivered "$T/exp" 15
said() { agent_logged 'evil\\x0a<3>pintail: error: FORGED LINE\\x0ax\.log matches the site.s logs, but its name holds a control character'; }
wait_until 10 "the name refused, escaped, in the log" said
grep -q '^<3>pintail: error: FORGED LINE' "$AGENT_ERR" && fail "a forged line reached the log"
append_lines "$L/app.log" b 0 5
expected_keys shop "$L/app.log" > "$T/exp"
wait_delivered "$T/exp" 15
agent_stop TERM
assert_eq "times the name was said" 1 "$(grep -c 'its name holds a control character' "$AGENT_ERR")"

agent_start 1
append_lines "$L/app.log" c 0 5
expected_keys shop "$L/app.log" > "$T/exp"
wait_delivered "$T/exp" 15
agent_stop TERM
grep -q "malformed entry" "$AGENT_ERR" && fail "the checkpoint was refused after the restart"
assert_delivered_once "$T/exp"
echo "$LIVE_NAME: all checks passed"
