#!/bin/bash
# `pintail status` tells a renamed log from the live one: after a
# rename-and-create rotation, while the renamed file is still followed
# (rotate_wait 30s), `status --json` lists it under the path it was found at
# with "rotated": true, and the new file at that path without; the table
# marks the rotated row.  Every line of both files is delivered once.
# shellcheck source=live_lib.sh
. "$(dirname "$0")/live_lib.sh"
set -euo pipefail

LOG=$T/logs/access.log
make_config "retry_min = 1s" "retry_max = 2s" "rotate_wait = 30s"
endpoint_start
make_live_site shop "$LOG"
append_lines "$LOG" old 0 5
agent_start 1
expected_keys shop "$LOG" > "$T/exp"
wait_delivered "$T/exp" 15
mv "$LOG" "$LOG.1"
append_lines "$LOG" new 0 5
expected_keys shop "$LOG.1" "$LOG" > "$T/exp"
wait_delivered "$T/exp" 15

# rotated_rows: "INODE ROTATED" per file of the site, from status --json.
rotated_rows() {
	"$PINTAIL" -c "$CONF" status shop --json > "$T/status.json" 2>&1 &&
		"$PYTHON" -c 'import json, sys
for f in json.load(open(sys.argv[1]))["sites"][0]["files"]:
    print(f["inode"], "rotated" if f.get("rotated") else "live", f["path"])' "$T/status.json"
}
both_listed() { [ "$(rotated_rows | wc -l)" = 2 ]; }
wait_until 15 "status listing the renamed and the new file" both_listed
rotated_rows > "$T/rows"
assert_eq "the rotated row" "$(stat -c %i "$LOG.1") rotated $LOG" "$(grep ' rotated ' "$T/rows")"
assert_eq "the live row" "$(stat -c %i "$LOG") live $LOG" "$(grep ' live ' "$T/rows")"
"$PINTAIL" -c "$CONF" status shop > "$T/status.txt" 2>&1
assert_eq "rows marked rotated in the table" 1 \
	"$(grep -c '^    ^ rotated: no longer at that path (renamed or deleted); read to its end, then let go$' "$T/status.txt")"
report "status: the renamed file is marked rotated, the new one is not"

agent_stop TERM
assert_delivered_once "$T/exp"
echo "$LIVE_NAME: all checks passed"
