#!/bin/bash
# A symlinked log path: lines appended to the link's target are delivered
# (the target's folder is watched too), and when the link is pointed at
# another file, that file is read from its beginning while the old target
# is followed until idle.
. "$(dirname "$0")/live_lib.sh"

mkdir -p "$T/logs" "$T/data"
A=$T/data/a.log
B=$T/data/b.log
LINK=$T/logs/current.log
append_lines "$A" a0 0 3
ln -s "$A" "$LINK"
live_config
endpoint_start
make_live_site shop "$LINK"
agent_start 1

expected_keys shop "$A" > "$T/exp"
wait_delivered "$T/exp" 20

# Appends to the target, through its own path (not the link's folder).
append_lines "$A" a1 0 5
expected_keys shop "$A" > "$T/exp"
wait_delivered "$T/exp" 20

# Re-point the link: B is a new file, read from its beginning; late lines
# to A (its writer has not reopened yet) are still delivered.
append_lines "$B" b0 0 4
ln -sfn "$B" "$LINK.new" && mv -T "$LINK.new" "$LINK"
sleep 0.5
append_lines "$A" late 0 3
append_lines "$B" b1 0 2
{ expected_keys shop "$A"; expected_keys shop "$B"; } > "$T/exp"
wait_delivered "$T/exp" 20
agent_stop TERM
assert_delivered_once "$T/exp"
echo "$LIVE_NAME: all checks passed"
