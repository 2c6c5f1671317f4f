#!/bin/bash
# shellcheck disable=SC2119 # helpers whose arguments are optional
# `pintail status` and `status --json` (SPEC §2, §6), while the agent runs
# and after it stopped:
#   - running, all delivered: JSON {version, pid (the agent's), written,
#     started, stale false, sites:[{name, ad_account_id, test_mode,
#     spooled, spool_events 0, delivered 30, rejected 0, lines 30, requests,
#     last_success, paused false, files:[{path, inode, offset = size = the
#     file's size, lag 0}]}]}; the table says "running (pid N)", names the
#     site, its ad account, the file and "idle, nothing left to send";
#   - `status shop` shows only shop; `status nosuch` exits 1; a second site
#     is listed;
#   - paused (401): paused true, pause_reason with the 401 words; the table
#     says PAUSED and the reason; afterwards not paused again;
#   - after SIGTERM: exit 0, "pintail is NOT running: last known state ...
#     stale; it stopped cleanly", JSON stale true with the last counts
#     (delivered 40); after kill -9: "... it did not stop cleanly".
# shellcheck source=answers_lib.sh
. "$(dirname "$0")/answers_lib.sh"
set -euo pipefail

LOG=$T/logs/access.log
LOG2=$T/logs/other.log
answers_config
ep_start
make_live_site shop "$LOG"
make_live_site other "$LOG2"
append_lines "$LOG" a 0 30
: > "$LOG2"
expected_keys shop "$LOG" > "$T/exp"

# before any run: no status.json
rc=0
"$PINTAIL" -c "$CONF" status > "$OUT/status.none" 2>&1 || rc=$?
assert_eq "status before any run: exit status" 2 "$rc"

agent_start 2
wait_delivered "$T/exp" 15
all_in() { [ "$(site_stat shop delivered)" = 30 ] && [ "$(site_stat shop spool_events)" = 0 ] \
	&& [ "$(site_stat shop files.0.lag)" = 0 ]; }
t0=$(now)
wait_until 10 "status --json: delivered 30, nothing pending" all_in
report "status.json caught up $(since "$t0")s after the delivery"

j=$(status_json)
get() { ans_py get "$j" "$1"; }
size=$(stat -c %s "$LOG")
inode=$(stat -c %i "$LOG")
assert_eq "pid" "$AGENT_PID" "$(get pid)"
assert_eq "stale" false "$(get stale)"
{ [ -n "$(get version)" ] && [ "$(get version)" != null ]; } || fail "no version"
now_s=$(date +%s)
for k in written started; do
	v=$(get "$k" | cut -d. -f1)
	{ [ "$v" -gt $((now_s - 120)) ] && [ "$v" -le $((now_s + 1)) ]; } || fail "$k = $v is not a recent Unix time"
done
assert_eq "number of sites" 2 "$(get sites | "$PYTHON" -c 'import json,sys; print(len(json.load(sys.stdin)))')"
"$PYTHON" - "$j" "$LOG" "$size" "$inode" "$AD_ACCOUNT" > "$T/problems" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
log, size, inode, acct = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
s = {x["name"]: x for x in doc["sites"]}.get("shop")
if s is None:
    print("no site shop"); sys.exit()
want = {"name": "shop", "ad_account_id": acct, "test_mode": False, "spooled": 30,
        "spool_events": 0, "delivered": 30, "rejected": 0, "lost": 0, "corrupt": 0,
        "lines": 30, "unparsable": 0, "too_long": 0, "filtered": 0, "unrouted": 0,
        "paused": False, "backpressured": False, "disk_failed": False, "in_flight": 0}
for k, v in want.items():
    if s.get(k) != v:
        print(f"sites[shop].{k} = {s.get(k)!r}, expected {v!r}")
for k in ("spool_bytes", "retries", "requests", "warnings", "last_success", "last_error", "pause_reason"):
    if k not in s:
        print(f"sites[shop].{k} is missing")
if not (isinstance(s.get("requests"), int) and s["requests"] >= 1):
    print(f"requests = {s.get('requests')!r}")
if not (isinstance(s.get("last_success"), (int, float)) and s["last_success"] > 0):
    print(f"last_success = {s.get('last_success')!r}")
files = s.get("files") or []
f = [x for x in files if x.get("path") == log]
if len(f) != 1:
    print(f"files: {files!r} (expected one entry for {log})")
else:
    f = f[0]
    for k, v in {"inode": inode, "offset": size, "size": size, "lag": 0}.items():
        if f.get(k) != v:
            print(f"files[{log}].{k} = {f.get(k)!r}, expected {v!r}")
PY
[ ! -s "$T/problems" ] || { cat "$T/problems" >&2; fail "status --json is not what was expected"; }

"$PINTAIL" -c "$CONF" status > "$OUT/status.txt" 2> "$OUT/status.err" || fail "status exited non-zero while running"
cat "$OUT/status.txt"
assert_grep "^pintail is running \\(pid $AGENT_PID\\)" "$OUT/status.txt"
assert_grep "^site shop \\(ad account $AD_ACCOUNT\\): idle, nothing left to send" "$OUT/status.txt"
assert_grep "^site other " "$OUT/status.txt"
assert_grep "$LOG +$inode +$size +$size +0\$" "$OUT/status.txt"

# one site; an unknown site
j=$(status_json shop)
assert_eq "status shop --json: sites" '["shop"]' "$(ans_py get "$j" sites | "$PYTHON" -c 'import json,sys; print(json.dumps([s["name"] for s in json.load(sys.stdin)]))')"
"$PINTAIL" -c "$CONF" status shop > "$OUT/status.shop" 2>&1 || fail "status shop failed"
! grep -q "^site other" "$OUT/status.shop" || fail "status shop lists site other"
rc=0
"$PINTAIL" -c "$CONF" status nosuch > "$OUT/status.nosuch" 2>&1 || rc=$?
assert_eq "status nosuch: exit status" 1 "$rc"
rc=0
"$PINTAIL" -c "$CONF" status nosuch --json > "$OUT/status.nosuch.json" 2>&1 || rc=$?
assert_eq "status nosuch --json: exit status" 1 "$rc"

# paused by a 401
ep_control '{"status": 401}'
append_lines "$LOG" b 0 10
expected_keys shop "$LOG" > "$T/exp"
wait_log 10 "site shop: delivery paused: the access token was refused"
wait_until 10 "status --json: paused" site_stat_is shop paused true
site_stat shop pause_reason | grep -qF "the access token was refused (401)" || fail "pause_reason: $(site_stat shop pause_reason)"
pend() { [ "$(site_stat shop spool_events)" -eq 10 ]; }
wait_until 8 "status --json: 10 events pending" pend
"$PINTAIL" -c "$CONF" status shop > "$OUT/status.paused" 2>&1 || fail "status failed while paused"
assert_grep "^site shop \\(ad account $AD_ACCOUNT\\): PAUSED" "$OUT/status.paused"
assert_grep "paused: the access token was refused \\(401\\)" "$OUT/status.paused"
ep_control '{"mode": "ok"}'
wait_delivered "$T/exp" 8
not_paused() { [ "$(site_stat shop paused)" = false ] && [ "$(site_stat shop delivered)" = 40 ]; }
wait_until 10 "status --json: not paused, 40 delivered" not_paused

# stopped
pid=$AGENT_PID
agent_stop TERM
rc=0
"$PINTAIL" -c "$CONF" status > "$OUT/status.stopped" 2>&1 || rc=$?
cat "$OUT/status.stopped"
assert_eq "status after the agent stopped: exit status" 0 "$rc"
assert_grep "^pintail is NOT running: last known state \\(pid $pid, .*stale; it stopped cleanly$" "$OUT/status.stopped"
assert_grep "^site shop " "$OUT/status.stopped"
j=$(status_json)
assert_eq "stale after stop" true "$(ans_py get "$j" stale)"
assert_eq "delivered after stop (status shop --json)" 40 "$(site_stat shop delivered)"
# killed (no clean stop): stale too.  First the new agent's own status
# (not the stopped one's file, which says stale already).
agent_start 2
pid=$AGENT_PID
status_is_running() {
	local f
	f=$(status_json)
	[ "$(ans_py get "$f" pid)" = "$pid" ] && [ "$(ans_py get "$f" stale)" = false ]
}
wait_until 10 "status.json of the new agent (pid $pid)" status_is_running
agent_kill9
j=$(status_json)
assert_eq "pid after kill -9" "$pid" "$(ans_py get "$j" pid)"
assert_eq "stale after kill -9" true "$(ans_py get "$j" stale)"
"$PINTAIL" -c "$CONF" status > "$OUT/status.killed" 2>&1 || fail "status failed after kill -9"
assert_grep "^pintail is NOT running: .*it did not stop cleanly \\(crashed or killed\\)$" "$OUT/status.killed"

assert_no_violations
assert_token_secret
answers_done
