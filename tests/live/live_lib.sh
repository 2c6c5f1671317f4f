# Shared by the live tests of `pintail run` (sourced, after
# ../integration/lib.sh): the local HTTPS endpoint, the agent, a real nginx,
# log writers and load, and the set arithmetic on event_ids that the tests
# assert with.
#
# Everything runs on 127.0.0.1 with ports the OS picks.  Every background
# process is remembered and ended at exit (by its pid, TERM then KILL), a
# tmpfs mounted by a test is unmounted, then the scratch folder $T is removed
# (LIVE_KEEP=1 keeps it).  On failure the tail of the agent's stderr and the
# endpoint's statistics are printed after the FAIL line.
#
# Keys: an event is named by "EVENT_ID EVENT_NAME" (Pinterest deduplicates on
# the pair).  Expected keys come from `pintail parse` run on each log file
# separately (each file's identity is its own first line); delivered keys are
# those of the events of the requests the endpoint answered 200, read from
# its --record file.
#
# Run one as root from anywhere: `bash tests/live/test_append.sh` (needs
# nginx, logrotate, curl, python3-jsonschema: tests/deps.sh).  Knobs:
# PINTAIL=binary, LIVE_KEEP=1, LIVE_SEED and LIVE_CYCLES (test_restart),
# LIVE_REQUESTS and LIVE_LOAD_SECONDS (test_nginx_rotate).  Each script ends
# with "NAME: all checks passed" (exit 0), or a FAIL line (exit 1).
# shellcheck shell=bash
# shellcheck source=../integration/lib.sh
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../integration/lib.sh"

export LC_NUMERIC=C # decimal points in $EPOCHREALTIME and awk
[ -z "${LC_ALL:-}" ] || export LC_ALL=C
TOOLS=$TOP/tests/tools
AD_ACCOUNT=549755885175
UA='Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0'
RECORD=$T/record.jsonl          # the endpoint's record (appended across restarts)
LIVE_NAME=$(basename "$0" .sh)
LIVE_PIDS=()                    # background helpers (writers, loads) to end at exit
LIVE_MOUNTS=()                  # mount points to unmount at exit
AGENT_PID=                      # the running `pintail run`, if any
AGENT_AS=()                     # a command that runs the agent as another user (setpriv ...), if set
AGENT_RUNS=0                    # how many were started; AGENT_ERR is the last one's stderr
AGENT_ERR=
EP_PID=
EP_PORT=
EP_URL=
NGX=
mkdir -p "$T/logs"

# ---------------------------------------------------------------- cleanup

# proc_alive PID: the process exists and is not a zombie.
proc_alive() {
	local state
	[ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
	state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

# end_pid PID [GRACE_S]: TERM, then KILL after GRACE_S (default 5); reaped if ours.
end_pid() {
	local pid=$1 grace=${2:-5} i
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < grace * 20; i++)); do
		proc_alive "$pid" || break
		sleep 0.05
	done
	proc_alive "$pid" && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || true
}

live_cleanup() {
	local rc=$? p m
	trap - EXIT
	set +e
	if [ "$rc" -ne 0 ]; then
		if [ -n "$AGENT_ERR" ] && [ -f "$AGENT_ERR" ]; then
			echo "---- last 40 lines of the agent's stderr ($AGENT_ERR) ----" >&2
			tail -n 40 "$AGENT_ERR" >&2
		fi
		if [ -n "$EP_PID" ] && proc_alive "$EP_PID"; then
			echo "---- endpoint /_stats ----" >&2
			ep_get /_stats >&2
			echo >&2
		fi
		[ -s "$T/endpoint.err" ] && { echo "---- endpoint stderr ----" >&2; tail -n 20 "$T/endpoint.err" >&2; }
	fi
	[ -n "$AGENT_PID" ] && end_pid "$AGENT_PID" 12
	for p in "${LIVE_PIDS[@]}"; do end_pid "$p" 2; done
	[ -n "$EP_PID" ] && end_pid "$EP_PID" 5
	[ -n "$NGX" ] && nginx_stop
	for m in "${LIVE_MOUNTS[@]}"; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	if [ "${LIVE_KEEP:-0}" = 1 ]; then
		echo "kept $T" >&2
	else
		rm -rf "$T"
	fi
	exit "$rc"
}
trap live_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- time, waits

now() { echo "$EPOCHREALTIME"; }
now_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }
# since T0: seconds (3 decimals) since T0 (a value of now).
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f", b - a }'; }
# fge A B: A >= B, as decimals.
fge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }

# wait_until SECONDS WHAT COMMAND...: poll COMMAND every 0.2 s until it
# succeeds; fail naming WHAT after SECONDS.  While an agent is supposed to be
# running, its death ends the wait at once.
wait_until() {
	local limit=$1 what=$2 end
	shift 2
	end=$(($(now_us) + limit * 1000000))
	until "$@"; do
		if [ -n "$AGENT_PID" ] && ! proc_alive "$AGENT_PID"; then
			local rc=0
			wait "$AGENT_PID" || rc=$?
			AGENT_PID=
			fail "the agent exited (status $rc) while waiting for $what"
		fi
		[ "$(now_us)" -lt "$end" ] || fail "timed out after ${limit}s waiting for $what"
		sleep 0.2
	done
}

# hold SECONDS WHAT COMMAND...: COMMAND must keep succeeding for SECONDS
# (checked every 0.2 s); fail naming WHAT as soon as it does not.
hold() {
	local limit=$1 what=$2 end
	shift 2
	end=$(($(now_us) + limit * 1000000))
	while [ "$(now_us)" -lt "$end" ]; do
		"$@" || fail "$what"
		sleep 0.2
	done
}

# ---------------------------------------------------------------- python helpers

# live_py CMD ARGS...: the record / keys / writer / load helpers below.
live_py() { "$PYTHON" "$T/live.py" "$@"; }
cat > "$T/live.py" <<'PY'
import http.client, json, os, re, struct, sys, time, zlib

UA = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"


def records(path):
    """The endpoint's record lines (a half-written last line is skipped)."""
    try:
        f = open(path, encoding="utf-8")
    except FileNotFoundError:
        return
    with f:
        for line in f:
            if not line.endswith("\n"):
                break
            try:
                yield json.loads(line)
            except ValueError:
                continue


def key(ev):
    return f"{ev.get('event_id')} {ev.get('event_name')}"


def delivered_list(path):
    """Keys of the events of every request answered 200, with repetitions."""
    out = []
    for r in records(path):
        if r.get("status") == 200:
            out.extend(key(e) for e in r.get("events", []) if isinstance(e, dict))
    return out


def keyfile(path):
    with open(path, encoding="utf-8") as f:
        return {l.rstrip("\n") for l in f if l.strip()}


def put(lines):
    sys.stdout.write("".join(l + "\n" for l in lines))


def log_time(t=None):
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(t))


def main():
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "keys":  # parse's JSON lines on stdin -> keys
        for line in sys.stdin:
            if line.strip():
                print(key(json.loads(line)))
    elif cmd == "delivered":  # REC -> delivered keys, unique
        put(sorted(set(delivered_list(a[0]))))
    elif cmd == "missing":  # EXPECTED REC -> expected keys not delivered
        got = set(delivered_list(a[1]))
        put(sorted(keyfile(a[0]) - got))
    elif cmd == "unexpected":  # EXPECTED REC -> delivered keys not expected
        put(sorted(set(delivered_list(a[1])) - keyfile(a[0])))
    elif cmd == "dups":  # REC -> deliveries of an event already delivered
        lst = delivered_list(a[0])
        print(len(lst) - len(set(lst)))
    elif cmd == "count":  # REC [STATUS] -> number of events requests
        print(sum(1 for r in records(a[0]) if len(a) < 2 or r.get("status") == int(a[1])))
    elif cmd == "violations":  # REC -> the violation texts
        for r in records(a[0]):
            if "violation" in r:
                print(r["violation"])
    elif cmd == "events":  # REC [URL_SUBSTR] -> delivered events (JSON), optionally filtered
        sub = a[1] if len(a) > 1 else ""
        for r in records(a[0]):
            if r.get("status") == 200:
                for e in r.get("events", []):
                    if sub in str(e.get("event_source_url", "")):
                        print(json.dumps(e, sort_keys=True))
    elif cmd == "field":  # REC URL_SUBSTR EVENT_NAME DOTTED.PATH -> the distinct values
        # (JSON) of that field in the delivered events of that name whose URL
        # contains URL_SUBSTR; "absent" for an event without it; nothing if none.
        vals = set()
        for r in records(a[0]):
            if r.get("status") != 200:
                continue
            for e in r.get("events", []):
                if e.get("event_name") != a[2] or a[1] not in str(e.get("event_source_url", "")):
                    continue
                v = e
                for part in a[3].split("."):
                    v = v.get(part) if isinstance(v, dict) else None
                vals.add("absent" if v is None else json.dumps(v))
        put(sorted(vals))
    elif cmd == "after":  # REC STATUS -> "T_STATUS T_NEXT" of the first request answered
        # STATUS and the events request that followed it ("T -" if none yet)
        rec = list(records(a[0]))
        for i, r in enumerate(rec):
            if r.get("status") == int(a[1]):
                print(r["t"], rec[i + 1]["t"] if i + 1 < len(rec) else "-")
                break
    elif cmd == "times":  # REC -> "t status n" per request
        for r in records(a[0]):
            print(f"{r.get('t'):.3f} {r.get('status')} {r.get('n')}")
    elif cmd == "writer":  # FILE TAG RATE MAX STOPFILE: append lines at RATE/s
        path, tag, rate, most, stop = a[0], a[1], float(a[2]), int(a[3]), a[4]
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        t0, n = time.time(), 0
        while n < most and not os.path.exists(stop):
            due = int((time.time() - t0) * rate) + 1
            ts = log_time()
            while n < min(due, most):
                os.write(fd, (f'203.0.113.7 - - [{ts}] "GET /products/{tag}-{n} HTTP/1.1" '
                              f'200 123 "-" "{UA}"\n').encode())
                n += 1
            time.sleep(0.01)
        os.close(fd)
        print(n)
    elif cmd == "load":  # HOST PORT TAG N SECONDS OUT: N paced GETs, "TAG-i STATUS" lines to OUT
        host, port, tag, n, secs, out = a[0], int(a[1]), a[2], int(a[3]), float(a[4]), a[5]
        conn, res, t0 = None, [], time.time()
        for i in range(n):
            d = t0 + i * secs / n - time.time()
            if d > 0:
                time.sleep(d)
            st = 0
            try:  # never retried: a retry could log one request twice
                if conn is None:
                    conn = http.client.HTTPConnection(host, port, timeout=5)
                conn.request("GET", f"/p.html?r={tag}-{i}", headers={"User-Agent": UA})
                r = conn.getresponse()
                r.read()
                st = r.status
            except (OSError, http.client.HTTPException):
                if conn:
                    conn.close()
                conn = None
            res.append(f"{tag}-{i} {st}\n")
        with open(out, "w") as f:
            f.writelines(res)
    elif cmd == "tags":  # REC -> "TAG EVENT_ID" of delivered events whose URL has ?r=TAG
        for r in records(a[0]):
            if r.get("status") == 200:
                for e in r.get("events", []):
                    m = re.search(r"[?&]r=([^&]+)", str(e.get("event_source_url", "")))
                    if m:
                        print(m.group(1), e.get("event_id"))
    elif cmd == "killstats":  # REC KILLS LATENCY_S GRACE_S
        # KILLS: "START KILL" per kill -9 (epoch seconds).  A request is in
        # flight at a kill when it was received by that agent and not answered
        # before the kill: hung (status 0, recorded at receipt between START
        # and KILL) or answered after the kill (recorded in
        # (KILL, KILL+LATENCY+0.35]), or answered less than GRACE before it (the
        # answer may not have reached the agent).  A duplicate is explained when
        # the first delivery of its event was in such a window.  Prints
        # "IN_FLIGHT_EVENTS KILLS_WITH_REQUESTS_IN_FLIGHT DUPLICATES UNEXPLAINED",
        # then one line per kill.
        rec = list(records(a[0]))
        lat, grace = float(a[2]), float(a[3])
        kills = [tuple(map(float, l.split()[:2])) for l in open(a[1]) if l.strip()]
        windows = [(k - grace, k + lat + 0.35) for _, k in kills]
        total, lines, hits = 0, [], 0
        for (s, k), (lo, hi) in zip(kills, windows):
            hung = sum(r["n"] for r in rec if r.get("status") == 0 and s <= r["t"] <= k)
            late = sum(r["n"] for r in rec if r.get("status") == 200 and lo < r["t"] <= hi)
            total += hung + late
            hits += (hung + late) > 0
            lines.append(f"kill at {k:.3f}: {hung} events hung, {late} answered around the kill")
        first, dups, unexplained = {}, 0, []
        for r in rec:
            if r.get("status") != 200:
                continue
            for e in r.get("events", []):
                kk = key(e)
                if kk not in first:
                    first[kk] = r["t"]
                    continue
                dups += 1
                t1 = first[kk]
                if not any(lo < t1 <= hi for lo, hi in windows):
                    unexplained.append(f"{kk} first delivered at {t1:.3f}, again at {r['t']:.3f}")
        print(total, hits, dups, len(unexplained))
        put(lines + unexplained[:10])
    elif cmd == "corrupt-seg":  # SEG EXPECTED OUT_IDS: flip one byte inside an event_id
        # near the middle, then cut the last 3 bytes (a torn record).  Writes the
        # expected event_ids found in the segment to OUT_IDS; prints the id whose
        # digit was flipped ("-" if none was found: then the middle byte is flipped).
        seg, exp, out = a[0], a[1], a[2]
        data = bytearray(open(seg, "rb").read())
        # First, the format: after the 16-byte segment header, records of
        # a 16-byte header (magic "PTR1", length, CRC-32 as zlib computes it,
        # 0) and the payload; all of them sound before the damage.
        off, nrec = 16, 0
        while off + 16 <= len(data):
            magic, n, crc, zero = struct.unpack_from("<IIII", data, off)
            if magic != 0x31525450 or zero != 0 or off + 16 + n > len(data):
                sys.exit(f"live.py: no sound record at offset {off} of {seg}")
            if zlib.crc32(data[off + 16:off + 16 + n]) != crc:
                sys.exit(f"live.py: record at offset {off} of {seg}: CRC is not zlib's CRC-32")
            off += 16 + n
            nrec += 1
        if off != len(data) or nrec == 0:
            sys.exit(f"live.py: {seg} does not end on a record ({nrec} read)")
        ids = {k.split()[0] for k in keyfile(exp)}
        found = [(m.start(), m.group().decode()) for m in re.finditer(rb"[0-9a-f]{32}", bytes(data))
                 if m.group().decode() in ids]
        with open(out, "w") as f:
            f.write("".join(sorted({i + "\n" for _, i in found})))
        mid = len(data) // 2
        inner = [p for p in found if p[0] + 32 < len(data) - 64]  # not in the torn tail
        if inner:
            pos, victim = min(inner, key=lambda p: abs(p[0] - mid))
            pos += 5
            data[pos] = ord("0") if data[pos] != ord("0") else ord("1")
        else:
            victim = "-"
            data[mid] ^= 0x01
        del data[-3:]
        with open(seg, "wb") as f:
            f.write(data)
        print(victim)
    else:
        sys.exit(f"live.py: unknown command {cmd}")


if __name__ == "__main__":
    main()
PY

# ---------------------------------------------------------------- keys

# expected_keys SITE FILE...: the keys of the events `parse` gives for each
# file, each file parsed on its own, unique and sorted, on stdout.  The raw
# events are appended to $T/expected.jsonl for failure messages.
expected_keys() {
	local site=$1 f
	shift
	for f in "$@"; do
		"$PINTAIL" -c "$CONF" parse "$site" "$f" 2>"$T/parse.err" | tee -a "$T/expected.jsonl" | live_py keys \
			|| { cat "$T/parse.err" >&2; fail "pintail parse $site $f failed"; }
	done | sort -u
}

# keys_minus A B: the keys of file A that are not in file B.
keys_minus() { comm -23 <(sort -u "$1") <(sort -u "$2"); }

delivered_keys() { live_py delivered "$RECORD"; }
dup_count() { live_py dups "$RECORD"; }
request_count() { live_py count "$RECORD" "$@"; } # [STATUS]

# show_keys FILE [N]: the first N (10) keys of FILE with the URL of their event.
show_keys() {
	local k id
	head -n "${2:-10}" "$1" | while read -r k; do
		id=${k%% *}
		echo "  $k $(grep -m1 "\"event_id\":\"$id\"" "$T/expected.jsonl" 2>/dev/null \
			| grep -o '"event_source_url":"[^"]*"' || true)"
	done
}

_all_delivered() { live_py missing "$1" "$RECORD" > "$T/missing"; [ ! -s "$T/missing" ]; }

# wait_delivered EXPECTED_FILE [SECONDS=30]: until every key of the file has
# been delivered; on timeout, print how many and which are missing.
wait_delivered() {
	local exp=$1 limit=${2:-30} end
	end=$(($(now_us) + limit * 1000000))
	until _all_delivered "$exp"; do
		if [ -n "$AGENT_PID" ] && ! proc_alive "$AGENT_PID"; then
			AGENT_PID=
			fail "the agent exited while $(wc -l < "$T/missing") events of $exp were undelivered"
		fi
		if [ "$(now_us)" -ge "$end" ]; then
			echo "missing $(wc -l < "$T/missing") of $(wc -l < "$exp") expected events of $exp after ${limit}s:" >&2
			show_keys "$T/missing" >&2
			fail "not every expected event was delivered"
		fi
		sleep 0.3
	done
}

# assert_none_delivered KEYS_FILE WHAT: none of these keys was delivered.
assert_none_delivered() {
	comm -12 <(sort -u "$1") <(delivered_keys) > "$T/unwanted"
	[ ! -s "$T/unwanted" ] || { show_keys "$T/unwanted" >&2; fail "$(wc -l < "$T/unwanted") events delivered that must not be: $2"; }
}

# assert_only_expected EXPECTED_FILE: every delivered event is an expected one.
assert_only_expected() {
	live_py unexpected "$1" "$RECORD" > "$T/unexpected"
	[ ! -s "$T/unexpected" ] || { head -n 10 "$T/unexpected" >&2; fail "$(wc -l < "$T/unexpected") delivered events are not in $1"; }
}

# assert_url_not_delivered SUBSTR: no delivered event's URL contains SUBSTR.
assert_url_not_delivered() {
	local n
	n=$(live_py events "$RECORD" "$1" | wc -l)
	# (head ending the pipe early must not end the script before fail)
	[ "$n" -eq 0 ] || { live_py events "$RECORD" "$1" 2> /dev/null | head -n 3 >&2 || true; fail "$n delivered events have \"$1\" in their URL"; }
}

# assert_no_violations: the endpoint saw no request breaking the API contract.
assert_no_violations() {
	live_py violations "$RECORD" > "$T/violations"
	[ ! -s "$T/violations" ] || { head -n 10 "$T/violations" >&2; fail "$(wc -l < "$T/violations") requests broke the API contract (violations)"; }
}

# assert_no_token: the access token never appears in the agent's output.
assert_no_token() {
	local tok f
	tok=$(cat "$T/etc/token")
	for f in "$T"/agent.*.err; do
		[ -f "$f" ] || continue
		! grep -qF -- "$tok" "$f" || fail "the access token appears in $f"
	done
}

# assert_delivered_once EXPECTED_FILE: after the agent's stop, the closing
# checks of most tests: only expected events delivered, none twice, no
# request breaking the API contract, the token in no output.
assert_delivered_once() {
	assert_only_expected "$1"
	assert_eq "events delivered twice" 0 "$(dup_count)"
	assert_no_violations
	assert_no_token
}

# ---------------------------------------------------------------- log lines

log_time() { LC_ALL=C date -u '+%d/%b/%Y:%H:%M:%S +0000'; }

# combined_line TAG [IP] [UA] [STATUS]: one nginx "combined" line, now.
combined_line() {
	printf '%s - - [%s] "GET /products/%s HTTP/1.1" %s 123 "-" "%s"\n' \
		"${2:-203.0.113.5}" "$(log_time)" "$1" "${4:-200}" "${3:-$UA}"
}

# append_lines FILE TAG FIRST COUNT: lines /products/TAG-FIRST ... (one write).
append_lines() {
	local f=$1 tag=$2 i buf="" t
	t=$(log_time)
	for ((i = $3; i < $3 + $4; i++)); do
		buf+="203.0.113.5 - - [$t] \"GET /products/$tag-$i HTTP/1.1\" 200 123 \"-\" \"$UA\""$'\n'
	done
	printf '%s' "$buf" >> "$f"
}

# writer_start FILE TAG RATE MAX: append lines TAG-0.. at RATE per second in the
# background, at most MAX; sets WRITER_PID.  writer_stop ends it.
writer_start() {
	rm -f "$T/writer.stop"
	live_py writer "$1" "$2" "$3" "$4" "$T/writer.stop" > "$T/writer.out" &
	WRITER_PID=$!
	LIVE_PIDS+=("$WRITER_PID")
}
writer_stop() {
	touch "$T/writer.stop"
	local i
	for ((i = 0; i < 100; i++)); do proc_alive "$WRITER_PID" || break; sleep 0.05; done
	wait "$WRITER_PID" || fail "the log writer failed"
	echo "writer: $(cat "$T/writer.out") lines"
}

# ---------------------------------------------------------------- endpoint

# endpoint_start [endpoint.py options...]: the HTTPS endpoint (test CA in
# $T/certs), recording to $RECORD; keeps EP_PORT if set (a restart on the
# same port).  Sets EP_PID, EP_PORT, EP_URL.
# shellcheck disable=SC2120 # options are optional
endpoint_start() {
	bash "$TOOLS/mkcerts.sh" "$T/certs" || fail "mkcerts.sh failed"
	rm -f "$T/ep.port"
	"$PYTHON" "$TOOLS/endpoint.py" --ad-account "$AD_ACCOUNT" --token-file "$T/etc/token" \
		--schema "$SCHEMA" --cert "$T/certs/server.pem" --key "$T/certs/server.key" \
		--bind 127.0.0.1 --port "${EP_PORT:-0}" --port-file "$T/ep.port" --record "$RECORD" \
		"$@" 2>> "$T/endpoint.err" &
	EP_PID=$!
	local i
	for ((i = 0; i < 100; i++)); do
		[ -s "$T/ep.port" ] && break
		proc_alive "$EP_PID" || { cat "$T/endpoint.err" >&2; fail "the endpoint did not start"; }
		sleep 0.1
	done
	[ -s "$T/ep.port" ] || fail "the endpoint wrote no port file in 10 s"
	EP_PORT=$(cat "$T/ep.port")
	EP_URL=https://127.0.0.1:$EP_PORT
}

endpoint_stop() { end_pid "$EP_PID" 5; EP_PID=; }

ep_get() { curl -sS --max-time 5 --cacert "$T/certs/ca.pem" "$EP_URL$1"; }

# ep_control JSON: replace the endpoint's behaviour.
ep_control() {
	local out
	out=$(curl -sS --max-time 5 --cacert "$T/certs/ca.pem" -H 'Content-Type: application/json' \
		-X POST -d "$1" "$EP_URL/_control") || fail "POST /_control $1: curl failed"
	case $out in *'"ok": true'*) ;; *) fail "POST /_control $1 refused: $out" ;; esac
}

# ep_stat KEY: one number of GET /_stats.
ep_stat() { ep_get /_stats | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# ---------------------------------------------------------------- configuration

# live_config [extra [agent] lines]: pintail.conf with fast retries.
# shellcheck disable=SC2120 # options are optional
live_config() {
	make_config "retry_min = 1s" "retry_max = 2s" "rotate_wait = 2s" "$@"
}

# crash_state SITE LOG: the state a kill -9 between the spool's fsync and the
#   checkpoint's leaves, made from a clean stop's: LOG's checkpoint entry
#   back to offset 0, and the spool position that checkpoint covers
#   (spool/ckpt) back to the start of the spool's last segment.
crash_state() {
	checkpoint_to_start "$1" "$2"
	spool_ckpt_to_start "$1"
}

# checkpoint_to_start SITE LOG: LOG's checkpoint entry back to offset 0.
checkpoint_to_start() {
	local ck=$T/state/$1/checkpoint
	sed -i -E "s#^([0-9]+ [0-9]+ )[0-9]+ ([0-9a-f]{64} $2)\$#\\10 \\2#" "$ck"
	grep -qE "^[0-9]+ [0-9]+ 0 [0-9a-f]{64} $2\$" "$ck" || { cat "$ck" >&2; fail "no checkpoint entry of $2 set back"; }
}

# spool_ckpt_to_start SITE: spool/ckpt at the start of the last segment.
spool_ckpt_to_start() {
	local s=$T/state/$1/spool name gen
	name=$(find "$s" -maxdepth 1 -name '*.seg' -printf '%f\n' | sort | tail -n 1)
	gen=$("$PYTHON" -c 'import struct,sys; print(struct.unpack_from("<I", open(sys.argv[1],"rb").read(), 12)[0])' "$s/$name")
	printf 'pintail-spool-ckpt 1 %d 16 %d\n' $((16#${name%.seg})) "$gen" > "$s/ckpt"
}

# state_on_tmpfs SIZE: state_dir on a tmpfs of SIZE (mount's size=, such as
#   300k), unmounted at exit: a disk that fills.  Without the right to mount
#   (not root), the test says SKIP and passes.
state_on_tmpfs() {
	if ! mount -t tmpfs -o "size=$1,mode=0700" tmpfs "$T/state" 2> "$T/mount.err"; then
		if [ "$(id -u)" -ne 0 ] || grep -qiE 'permission denied|not permitted|must be superuser|EPERM' "$T/mount.err"; then
			echo "SKIP: $LIVE_NAME: cannot mount a tmpfs here: $(cat "$T/mount.err")"
			exit 0
		fi
		fail "mount -t tmpfs failed: $(cat "$T/mount.err")"
	fi
	LIVE_MOUNTS+=("$T/state")
}

# full_state_site: site "shop" following LOG ($T/logs/access.log), its state
#   on a 300 KiB tmpfs, the endpoint answering 503, the agent started, and
#   lines appended until it says the state disk is full ($FILLED of them).
full_state_site() {
	LOG=$T/logs/access.log
	live_config
	state_on_tmpfs 300k
	endpoint_start
	make_live_site shop "$LOG" --batch-max 100
	ep_control '{"status": 503}'
	agent_start 1
	fill_state "$LOG" 200 0.3 40 15
}

ENOSPC='No space left on device'
enospc_logged() { [ "$(agent_log_count "$ENOSPC" "$AGENT_ERR")" -ge 1 ]; }

# fill_state LOG LINES PAUSE ROUNDS LIMIT: while Pinterest refuses, appends
#   LINES lines to LOG at a time, PAUSE seconds apart, at most ROUNDS times,
#   until the agent says the state disk is full (waited for up to LIMIT s);
#   FILLED is then the number of lines written.
fill_state() {
	local log=$1 lines=$2 pause=$3 rounds=$4 limit=$5 b
	FILLED=0
	for ((b = 0; b < rounds; b++)); do
		append_lines "$log" a "$FILLED" "$lines"
		FILLED=$((FILLED + lines))
		enospc_logged && break
		sleep "$pause"
	done
	wait_until "$limit" "a line saying \"$ENOSPC\" (after $FILLED lines)" enospc_logged
}

# make_live_site NAME LOGS [--read-from X] [--parser P] [--batch-max N]
#   [--flush D] [--timeout D] [--extra TEXT]: a site file for the endpoint
#   (endpoint_start first: it needs EP_PORT).  TEXT is appended verbatim
#   (e.g. [event] sections).
make_live_site() {
	local name=$1 logs=$2 read_from=beginning parser=nginx_combined batch=100 flush=1s timeout=10s extra=""
	shift 2
	while [ $# -gt 0 ]; do
		case $1 in
		--read-from) read_from=$2 ;;
		--parser) parser=$2 ;;
		--batch-max) batch=$2 ;;
		--flush) flush=$2 ;;
		--timeout) timeout=$2 ;;
		--extra) extra=$2 ;;
		*) fail "make_live_site: unknown option $1" ;;
		esac
		shift 2
	done
	[ -n "$EP_PORT" ] || fail "make_live_site before endpoint_start"
	cat > "$T/etc/conf.d/$name.conf" <<EOF
[site]
url = https://shop.example.com
logs = $logs
parser = $parser
read_from = $read_from

[pinterest]
ad_account_id = $AD_ACCOUNT
access_token_file = $T/etc/token
api_url = $EP_URL/v5
ca_file = $T/certs/ca.pem
batch_max = $batch
flush_interval = $flush
timeout = $timeout
$extra
EOF
	chmod 600 "$T/etc/conf.d/$name.conf"
}

# ---------------------------------------------------------------- the agent

agent_ready() { grep -qs 'pintail: info: running (' "$AGENT_ERR"; }

# agent_start [N_SITES]: start `pintail -c $CONF run` in the background (under
# "${AGENT_AS[@]}" if set, which must exec it), its stderr in $T/agent.K.err
# ($AGENT_ERR), and wait (15 s) for its "running (N sites)" line.  Sets
# AGENT_PID, AGENT_START_T.
agent_start() {
	[ -z "$AGENT_PID" ] || fail "agent_start: an agent is running already (pid $AGENT_PID)"
	"$PINTAIL" -c "$CONF" check > "$T/check.out" 2>&1 || { cat "$T/check.out" >&2; fail "pintail check refused the configuration"; }
	AGENT_RUNS=$((AGENT_RUNS + 1))
	AGENT_ERR=$T/agent.$AGENT_RUNS.err
	# shellcheck disable=SC2034 # read by the tests
	AGENT_START_T=$(now)
	"${AGENT_AS[@]}" "$PINTAIL" -c "$CONF" run 2> "$AGENT_ERR" &
	AGENT_PID=$!
	wait_until 15 "the agent's \"running\" line" agent_ready
	if [ -n "${1:-}" ]; then
		grep -q "pintail: info: running ($1 site" "$AGENT_ERR" \
			|| fail "expected \"running ($1 sites)\", got: $(grep 'running (' "$AGENT_ERR")"
	fi
}

# agent_stop [SIGNAL=TERM]: signal the agent, require exit status 0 within
# 10 s; sets AGENT_STOP_S (seconds it took).
agent_stop() {
	local sig=${1:-TERM} t0 rc=0 pid=$AGENT_PID
	[ -n "$pid" ] || fail "agent_stop: no agent running"
	t0=$(now)
	kill -"$sig" "$pid" 2>/dev/null || fail "the agent (pid $pid) had exited before SIG$sig"
	while proc_alive "$pid"; do
		if fge "$(since "$t0")" 10; then
			kill -KILL "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			AGENT_PID=
			fail "the agent did not exit within 10 s of SIG$sig"
		fi
		sleep 0.05
	done
	# shellcheck disable=SC2034 # read by the tests
	AGENT_STOP_S=$(since "$t0")
	wait "$pid" || rc=$?
	AGENT_PID=
	[ "$rc" -eq 0 ] || fail "the agent exited with status $rc after SIG$sig (expected 0)"
}

# agent_kill9: kill -9 the agent and reap it.
agent_kill9() {
	kill -KILL "$AGENT_PID" 2>/dev/null || fail "the agent (pid $AGENT_PID) had exited before kill -9"
	wait "$AGENT_PID" 2>/dev/null || true
	AGENT_PID=
}

# agent_log_count PATTERN [FILE...]: lines of the agents' stderr (all runs by
# default) matching the extended regex.
agent_log_count() {
	local pat=$1
	shift
	[ $# -gt 0 ] || set -- "$T"/agent.*.err
	cat "$@" 2>/dev/null | grep -cE -- "$pat" || true
}

# agent_logged PATTERN: the running agent's log has a line matching it (for
#   wait_until).
agent_logged() { grep -qE -- "$1" "$AGENT_ERR" 2>/dev/null; }

# ---------------------------------------------------------------- nginx

free_port() { "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# nginx_start: a real nginx in $T/nginx ($NGX) on 127.0.0.1:$NGX_PORT serving
# /p.html, access log $NGX/logs/access.log in format combined, daemonised,
# its master's pid in $NGX/nginx.pid.
nginx_start() {
	command -v nginx >/dev/null || fail "nginx is not installed (tests/deps.sh installs it)"
	NGX=$T/nginx
	mkdir -p "$NGX/logs" "$NGX/html" "$NGX/tmp"
	echo '<html><body>pintail test</body></html>' > "$NGX/html/p.html"
	NGX_PORT=$(free_port)
	cat > "$NGX/nginx.conf" <<EOF
user root;
worker_processes 1;
pid $NGX/nginx.pid;
error_log $NGX/logs/error.log;
events { worker_connections 256; }
http {
    default_type text/html;
    access_log $NGX/logs/access.log combined;
    client_body_temp_path $NGX/tmp/body;
    proxy_temp_path $NGX/tmp/proxy;
    fastcgi_temp_path $NGX/tmp/fastcgi;
    uwsgi_temp_path $NGX/tmp/uwsgi;
    scgi_temp_path $NGX/tmp/scgi;
    keepalive_requests 100000;
    server {
        listen 127.0.0.1:$NGX_PORT;
        root $NGX/html;
        location / { }
    }
}
EOF
	nginx -p "$NGX/" -e "$NGX/logs/error.log" -c "$NGX/nginx.conf" -g 'daemon on;' 2> "$T/nginx.start.err" \
		|| { cat "$T/nginx.start.err" "$NGX/logs/error.log" >&2; fail "nginx did not start"; }
	wait_until 10 "nginx's pid file" test -s "$NGX/nginx.pid"
	wait_until 10 "nginx to answer" nginx_answers
}
nginx_answers() { [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$NGX_PORT/p.html?r=probe")" = 200 ]; }

nginx_stop() {
	local pid workers i
	pid=$(cat "$NGX/nginx.pid" 2>/dev/null) || { NGX=; return 0; }
	workers=$(ps -o pid= --ppid "$pid" 2>/dev/null || true)
	kill -QUIT "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do proc_alive "$pid" || break; sleep 0.05; done
	if proc_alive "$pid"; then
		# shellcheck disable=SC2086 # a list of pids
		kill -KILL "$pid" $workers 2>/dev/null
	fi
	NGX=
}

# ---------------------------------------------------------------- reporting

report() { echo "$LIVE_NAME: $*"; }
