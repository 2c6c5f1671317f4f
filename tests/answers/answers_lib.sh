# Shared by the tests of how `pintail run`, `send-test` and `status` act on
# Pinterest's answers (sourced).  Builds on ../live/live_lib.sh (endpoint,
# agent, waits, keys) and adds:
#
#   - two distinct, random tokens: TOKEN_GOOD (the one the endpoint accepts,
#     in $T/ep.token, given to the endpoint with --token-file) and TOKEN_BAD;
#     the agent's token file is $T/etc/token (TOKEN_GOOD unless a test says
#     otherwise), so a test can refuse the agent's token without touching
#     the endpoint's;
#   - pause_retry = 2s by default;
#   - helpers on rejected.log, delivery.log, status --json, and on the set
#     of events the endpoint answered for ("accepted": events of 200/422
#     answers minus those the endpoint was told to fail);
#   - assert_token_secret: neither token appears in any file under $T
#     (agent stderr, captured command output, state folder, endpoint record)
#     other than the token files themselves.
#
# Captured command output goes to $T/out/.
# shellcheck shell=bash
# shellcheck source=../live/live_lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../live/live_lib.sh"

OUT=$T/out
mkdir -p "$OUT"
TOKEN_GOOD="pina_GOOD$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
TOKEN_BAD="pina_BAD$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
TOKEN_FILES=("$T/ep.token")  # files allowed to hold a token (assert_token_secret)

# answers_config [extra [agent] lines]: live_config with pause_retry = 2s
# (a later "pause_retry = ..." argument is not allowed: pass PAUSE_RETRY=60s
# instead), the agent's token file holding TOKEN_GOOD, the endpoint's too.
answers_config() {
	live_config "pause_retry = ${PAUSE_RETRY:-2s}" "$@"
	set_token "$T/etc/token" "$TOKEN_GOOD"
	set_token "$T/ep.token" "$TOKEN_GOOD"
}

# set_token FILE TOKEN: write a token file (mode 0600, written in place).
set_token() {
	printf '%s\n' "$2" > "$1"
	chmod 600 "$1"
	local f
	for f in "${TOKEN_FILES[@]}"; do [ "$f" = "$1" ] && return 0; done
	TOKEN_FILES+=("$1")
}

# ep_start [options]: the endpoint, accepting the token of $T/ep.token.
ep_start() { endpoint_start --token-file "$T/ep.token" "$@"; }

# shop_site [make_live_site options]: most tests' set-up: answers_config,
# the endpoint, and site "shop" following LOG ($T/logs/access.log).
shop_site() {
	LOG=$T/logs/access.log
	answers_config
	ep_start
	make_live_site shop "$LOG" "$@"
}

# faults RULES: the next agent_start runs the agent with faultinj.so
# making the calls of RULES fail (tests/tools/faultinj.c; none when RULES is
# empty); the rules of a CALL@ count only once $FAULTS_ARM exists.
FAULTS_ARM=$T/faults.arm
faults() {
	local so=$PINTAIL_TOP/build/tests/faultinj.so
	[ -f "$so" ] || fail "$so is missing (make test-bins)"
	rm -f "$FAULTS_ARM"
	if [ -n "$1" ]; then
		AGENT_AS=(env LD_PRELOAD="$so" PINTAIL_FAULTS="$1" PINTAIL_FAULTS_ARM="$FAULTS_ARM"
			PINTAIL_FAULTS_LOG="$T/faults.log")
	else
		AGENT_AS=()
	fi
}

# ---------------------------------------------------------------- python

ans_py() { "$PYTHON" "$T/answers.py" "$@"; }
cat > "$T/answers.py" <<'PY'
import json, os, sys

# The endpoint's record reader and the event key are live.py's (live_lib.sh).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from live import key, records as jsonl  # noqa: E402


def ids(path):
    if path in ("", "-"):
        return set()
    with open(path, encoding="utf-8") as f:
        return {l.split()[0] for l in f if l.strip()}


def put(lines):
    sys.stdout.write("".join(l + "\n" for l in lines))


cmd, a = sys.argv[1], sys.argv[2:]
if cmd == "accepted":  # REC [FAILED_IDS_FILE] -> keys of events answered 200/422, minus the failed ids
    bad = ids(a[1]) if len(a) > 1 else set()
    put(sorted({key(e) for r in jsonl(a[0]) if r.get("status") in (200, 422)
                for e in r.get("events", []) if e.get("event_id") not in bad}))
elif cmd == "sent":  # REC [STATUS] -> keys of every event sent (in a request of STATUS), with repetitions
    put(key(e) for r in jsonl(a[0]) if len(a) < 2 or r.get("status") == int(a[1])
        for e in r.get("events", []))
elif cmd == "sent_url":  # REC SUBSTR -> events sent (any status) whose URL holds SUBSTR
    for r in jsonl(a[0]):
        for e in r.get("events", []):
            if a[1] in str(e.get("event_source_url", "")):
                print(r.get("status"), json.dumps(e, sort_keys=True))
elif cmd == "rejected":  # REJECTED_LOG -> "event_id event_name" per line (with repetitions)
    put(f"{r.get('event_id')} {r.get('event_name')}" for r in jsonl(a[0]))
elif cmd == "rejected_check":  # REJECTED_LOG SITE -> problems with the shape of rejected.log lines
    for r in jsonl(a[0]):
        miss = [k for k in ("time", "site", "event_id", "event_name", "message", "event") if k not in r]
        if miss:
            print(f"missing {miss}: {json.dumps(r)[:300]}")
            continue
        ev = r["event"]
        if r["site"] != a[1]:
            print(f"site {r['site']!r}, not {a[1]!r}")
        if not isinstance(ev, dict) or ev.get("event_id") != r["event_id"] or ev.get("event_name") != r["event_name"]:
            print(f"the event does not match its event_id/event_name: {json.dumps(r)[:300]}")
        if not isinstance(r["time"], (int, float)) or r["time"] <= 0:
            print(f"bad time: {r['time']!r}")
elif cmd == "rejected_msgs":  # REJECTED_LOG -> "event_id<TAB>message<TAB>url"
    for r in jsonl(a[0]):
        ev = r.get("event") if isinstance(r.get("event"), dict) else {}
        print(f"{r.get('event_id')}\t{r.get('message')}\t{ev.get('event_source_url', '')}")
elif cmd == "delivery":  # DELIVERY_LOG FIELD [STATUS] -> the FIELD of each line (of STATUS)
    for r in jsonl(a[0]):
        if len(a) < 3 or r.get("status") == int(a[2]):
            print(r.get(a[1], ""))
elif cmd == "delivery_check":  # DELIVERY_LOG SITE -> problems with the shape of delivery.log lines
    for r in jsonl(a[0]):
        miss = [k for k in ("time", "site", "events", "status", "processed", "failed", "latency_ms") if k not in r]
        if miss or r.get("site") != a[1]:
            print(f"bad line ({miss}): {json.dumps(r)[:300]}")
elif cmd == "json_ids":  # KEYS_FILE -> a JSON list of their event_ids
    print(json.dumps(sorted(ids(a[0]))))
elif cmd == "pick":  # KEYS_FILE N -> N keys spread evenly over the (sorted) file
    keys = [l.rstrip("\n") for l in open(a[0]) if l.strip()]
    n = int(a[1])
    step = len(keys) / n
    put(keys[int(step * i + step / 2)] for i in range(n))
elif cmd == "get":  # FILE|- DOTTED.PATH -> a value of a JSON document (sites.0.name)
    doc = json.load(sys.stdin if a[0] == "-" else open(a[0]))
    for p in a[1].split("."):
        doc = doc[int(p)] if isinstance(doc, list) else doc.get(p) if isinstance(doc, dict) else None
    print(json.dumps(doc) if not isinstance(doc, str) else doc)
else:
    sys.exit(f"answers.py: unknown command {cmd}")
PY

# ---------------------------------------------------------------- failures

# soft_fail MESSAGE: a failed check after which the test can still go on
# (so one bug does not hide the next); answers_done fails at the end.
SOFT_FAILS=()
soft_fail() { echo "FAIL (continuing): $*" >&2; SOFT_FAILS+=("$*"); }
# answers_done: the last line of a test: fail if any soft_fail happened.
answers_done() {
	if [ ${#SOFT_FAILS[@]} -gt 0 ]; then
		local m
		for m in "${SOFT_FAILS[@]}"; do echo "  - $m" >&2; done
		fail "${#SOFT_FAILS[@]} check(s) failed"
	fi
	echo "$LIVE_NAME: all checks passed"
}

# ---------------------------------------------------------------- sets

# sorted_set FILE...: unique sorted lines.
sorted_set() { sort -u "$@"; }

# assert_set_eq WHAT EXPECTED_FILE ACTUAL_FILE: the same set of lines.
assert_set_eq() {
	local d
	d=$(diff <(sort -u "$2") <(sort -u "$3") || true)
	[ -z "$d" ] || {
		echo "$1: expected $(sort -u "$2" | wc -l) lines, got $(sort -u "$3" | wc -l); diff (< expected only, > actual only):" >&2
		echo "$d" | grep '^[<>]' | head -n 20 >&2
		fail "$1: the sets differ"
	}
}

# assert_disjoint WHAT A B: no line in common.
assert_disjoint() {
	local c
	c=$(comm -12 <(sort -u "$2") <(sort -u "$3"))
	[ -z "$c" ] || { echo "$c" | head -n 10 >&2; fail "$1: $(echo "$c" | wc -l) lines in both"; }
}

# accepted_keys [FAILED_IDS_FILE]: keys the endpoint answered for as processed.
accepted_keys() { ans_py accepted "$RECORD" "$@"; }

# ---------------------------------------------------------------- state files

site_dir() { echo "$T/state/$1"; }
rejected_log() { echo "$T/state/$1/rejected.log"; }
delivery_log() { echo "$T/state/$1/delivery.log"; }

# rejected_keys SITE: the keys in rejected.log (with repetitions).
rejected_keys() { ans_py rejected "$(rejected_log "$1")"; }
rejected_count() { rejected_keys "$1" | wc -l; }
rejected_at_least() { [ "$(rejected_count "$1")" -ge "$2" ]; }

# assert_rejected_shape SITE: every rejected.log line has time, site,
# event_id, event_name, message and the event itself (matching ids).
assert_rejected_shape() {
	ans_py rejected_check "$(rejected_log "$1")" "$1" > "$T/rejshape"
	[ ! -s "$T/rejshape" ] || { head "$T/rejshape" >&2; fail "malformed rejected.log lines for $1"; }
}
assert_delivery_shape() {
	ans_py delivery_check "$(delivery_log "$1")" "$1" > "$T/delshape"
	[ ! -s "$T/delshape" ] || { head "$T/delshape" >&2; fail "malformed delivery.log lines for $1"; }
}

# status_json [SITE]: `pintail status [SITE] --json` into $OUT/status.N.json; prints the path.
STATUS_N=0
status_json() {
	STATUS_N=$((STATUS_N + 1))
	local f=$OUT/status.$STATUS_N.json
	"$PINTAIL" -c "$CONF" status "$@" --json > "$f" 2> "$f.err" || { cat "$f.err" >&2; fail "pintail status $* --json failed"; }
	echo "$f"
}
# site_stat SITE KEY: one field of the site's entry in status --json.
site_stat() { ans_py get "$(status_json "$1")" "sites.0.$2"; }
site_stat_is() { [ "$(site_stat "$1" "$2")" = "$3" ]; }

# ---------------------------------------------------------------- the agent's log

# log_has PATTERN: a line of the current agent's stderr matches (ERE).
log_has() { grep -qE -- "$1" "$AGENT_ERR"; }
# wait_log SECONDS PATTERN: until the current agent's stderr matches.
wait_log() { wait_until "$1" "a log line matching [$2]" log_has "$2"; }
# log_lines_after N PATTERN: lines matching PATTERN after line N of the current log.
log_count() { grep -cE -- "$1" "$AGENT_ERR" || true; }

# agent_hup: SIGHUP the agent and wait for the outcome (reloaded or refused);
# sets HUP_T (when it was sent).
agent_hup() {
	HUP_N0=$(log_count 'configuration reloaded \(')
	HUP_R0=$(log_count 'reload refused')
	# shellcheck disable=SC2034 # read by the tests
	HUP_T=$(now)
	kill -HUP "$AGENT_PID" || fail "SIGHUP: the agent is gone"
	wait_until 10 "the outcome of SIGHUP" _hup_done
}
_hup_done() { [ "$(log_count 'configuration reloaded \(')" -gt "$HUP_N0" ] || [ "$(log_count 'reload refused')" -gt "$HUP_R0" ]; }

# ---------------------------------------------------------------- log lines

# dated_line TAG EPOCH: one combined line at that time.
dated_line() {
	printf '203.0.113.5 - - [%s] "GET /products/%s HTTP/1.1" 200 123 "-" "%s"\n' \
		"$(LC_ALL=C date -u -d "@$2" '+%d/%b/%Y:%H:%M:%S +0000')" "$1" "$UA"
}

# Staged lines: their event_ids are known before the agent sees them (a
# copy of the log with the lines appended parses to the same ids), so the
# endpoint can be told about them first.
# stage_lines TAG FIRST COUNT: lines /products/TAG-FIRST.. into $T/stage.
stage_lines() {
	: > "$T/stage"
	append_lines "$T/stage" "$@"
}
# stage_keys SITE LOG: the keys of the staged lines, as if appended to LOG.
stage_keys() {
	local copy=$T/stage-copy.log
	cp "$2" "$copy" 2>/dev/null || : > "$copy"
	cat "$T/stage" >> "$copy"
	if [ -s "$2" ]; then
		keys_minus <(expected_keys "$1" "$copy") <(expected_keys "$1" "$2")
	else
		expected_keys "$1" "$copy"
	fi
}
# stage_commit LOG: append the staged lines to LOG (one write).
stage_commit() { cat "$T/stage" >> "$1"; }

# ---------------------------------------------------------------- the token

# assert_token_secret: neither token is in any file under $T other than the
# token files (the agent's stderr, $OUT, the state folder, the endpoint's
# record and stderr, the configuration).
assert_token_secret() {
	local tok hits f allowed
	for tok in "$TOKEN_GOOD" "$TOKEN_BAD"; do
		hits=$(grep -rlF -- "$tok" "$T" 2>/dev/null || true)
		for f in $hits; do
			allowed=0
			for a in "${TOKEN_FILES[@]}"; do [ "$f" = "$a" ] && allowed=1; done
			[ "$allowed" = 1 ] || fail "the access token ${tok:0:9}... appears in $f"
		done
	done
	# the checked files must exist, or the check proves nothing
	ls "$T"/agent.*.err > /dev/null 2>&1 || [ -n "$(ls -A "$OUT")" ] || fail "assert_token_secret: nothing was captured"
}
