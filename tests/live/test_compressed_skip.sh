#!/bin/bash
# A glob such as access.log* also matches logrotate's compressed copies
# (access.log.2.gz): they are never read (their bytes would be counted as
# unparsable lines, and README says unparsable means a wrong parser), and
# this is said once per file, at info.  The live log is read as ever.
# shellcheck source=live_lib.sh
. "$(dirname "$0")/live_lib.sh"
set -euo pipefail

L=$T/logs
live_config
endpoint_start
make_live_site shop "$L/access.log*"
append_lines "$L/access.log" a 0 5
expected_keys shop "$L/access.log" > "$T/exp"
agent_start 1
wait_delivered "$T/exp" 15
# A rotated copy compressed after the start: a new match of the glob.
append_lines "$T/old.log" z 0 50
gzip -c "$T/old.log" > "$L/access.log.2.gz"
said() { agent_logged 'access\.log\.2\.gz matches the site.s logs, but is compressed: it is not read'; }
wait_until 10 "the compressed file said" said
append_lines "$L/access.log" b 0 5
expected_keys shop "$L/access.log" > "$T/exp"
wait_delivered "$T/exp" 15
unparsable() { "$PINTAIL" -c "$CONF" status --json | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["sites"][0]["unparsable"])'; }
# status.json is written within a few seconds of news: watched that long.
no_unparsable() { [ "$(unparsable)" = 0 ]; }
hold 4 "status counts unparsable lines (the compressed file was read)" no_unparsable
agent_stop TERM
assert_eq "times the file was said" 1 "$(grep -c 'is compressed: it is not read' "$AGENT_ERR")"
assert_only_expected "$T/exp"
echo "$LIVE_NAME: all checks passed"
