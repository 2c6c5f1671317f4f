#!/bin/bash
# `pintail status` on a state folder made by hand, no agent (SPEC §2, §6):
# whether the agent runs is told by the lock it holds (pintail.lock), not
# by the pid in status.json, which after a kill -9 may be another process's.
#   - no status.json: exit 2 and "has `pintail run` ever run";
#   - status.json not readable by this user (as uid 65534): exit 2, the
#     hint to run as root or as the service's user, not the "ever run" one;
#   - status.json of a crashed agent ("stopped": false) whose pid is now a
#     live process, lock free: NOT running, did not stop cleanly, when it was
#     written; --json stale true;
#   - "stopped": true, lock free: NOT running, stopped cleanly;
#   - lock held (flock, as `run` takes it) by the pid in the file: running,
#     stale false, and the holder still holds it afterwards; with "stopped":
#     true, stopping; held by another pid: running but the status is the
#     predecessor's, stale true;
#   - lock not readable by this user: the pid alone decides, and stderr says
#     so;
#   - a site file with a mistake (the agent runs on with the configuration
#     it had) does not keep status from reporting: only [agent] is read;
#   - a SITE missing from the agent's status (added since it started):
#     exit 1 and the hint to reload, not an empty report;
#   - with more than one site, a line of totals since start (SPEC §6).
. "$(dirname "$0")/lib.sh"

make_config
STATE=$T/state
LOCK=$STATE/pintail.lock

# status_json PID STOPPED: a status.json written 5 minutes ago.
status_json() {
	local t
	t=$(date +%s)
	printf '{"version":1,"pid":%s,"written":%s,"started":%s,"stopped":%s,"sites":[]}\n' \
		"$1" $((t - 300)) $((t - 900)) "$2" > "$STATE/status.json"
}

# status OUT [ARGS...]: run `pintail status`, stdout to $T/OUT, stderr to
# $T/OUT.err, the exit status in $rc.
status() {
	local out=$1
	shift
	rc=0
	"$PINTAIL" -c "$CONF" status "$@" > "$T/$out" 2> "$T/$out.err" || rc=$?
}

# as_nobody CMD...: run a command as uid/gid 65534 (we are root in the
# test machine; otherwise a chmod is enough and the command runs as is).
as_nobody() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
	else
		"$@"
	fi
}

# 1. Never run: the hint about `pintail run`.
status none
assert_eq "status before any run: exit status" 2 "$rc"
assert_grep "status.json: No such file or directory \(has \`pintail run\` ever run" "$T/none.err"
assert_grep "keeps the state_dir it started with until it is restarted\)$" "$T/none.err"

# 2. Permission denied: run it as root or as the service's user.
status_json 1 false
: > "$LOCK"
chmod 755 "$T" "$STATE"
chmod 644 "$CONF"
chmod 600 "$STATE/status.json"
[ "$(id -u)" -eq 0 ] || chmod 000 "$STATE/status.json"
rc=0
as_nobody "$PINTAIL" -c "$CONF" status > "$T/denied" 2> "$T/denied.err" || rc=$?
assert_eq "status, status.json not readable: exit status" 2 "$rc"
assert_grep "status.json: Permission denied: .*run this as root or as user " "$T/denied.err"
assert_grep "runuser -u [a-z0-9_-]+ -- pintail -c $CONF status" "$T/denied.err"
assert_grep "sudo pintail -c $CONF status" "$T/denied.err"
! grep -q "ever run" "$T/denied.err" || fail "permission denied still suggests that \`pintail run\` never ran"
chmod 644 "$STATE/status.json"

# 3. A crashed agent whose pid now belongs to another process: the lock is
# free, so it is not running, whatever that pid is.
sleep 60 &
other=$!
trap 'kill "$other" 2>/dev/null || true; rm -rf "$T"' EXIT
status_json "$other" false
echo 999999 > "$LOCK"
status crashed
cat "$T/crashed"
assert_eq "status after a crash: exit status" 0 "$rc"
assert_grep "^pintail is NOT running: last known state \(pid $other, written 5 min ago, at [0-9-]+ [0-9:]+ [-+][0-9]{4}\), stale; it did not stop cleanly \(crashed or killed\)$" "$T/crashed"
! grep -q "is running" "$T/crashed" || fail "a live pid in the file of a crashed agent is taken for the agent"
status crashed.json --json
assert_eq "stale after a crash (--json)" true "$("$PYTHON" -c 'import json,sys; print(str(json.load(open(sys.argv[1]))["stale"]).lower())' "$T/crashed.json")"
# pid 1 (always alive), as in the report that found this
status_json 1 false
status pid1
assert_grep "^pintail is NOT running: last known state \(pid 1, .*did not stop cleanly" "$T/pid1"

# 4. A clean stop.
status_json "$other" true
status stopped
assert_grep "^pintail is NOT running: last known state \(pid $other, written 5 min ago, .*stale; it stopped cleanly$" "$T/stopped"

# 5. The lock held as `run` holds it, by the pid of the file: running.  The
# holder keeps it: status only tests it.
status_json "$other" false
echo "$other" > "$LOCK"
flock -x "$LOCK" sleep 30 &
holder=$!
trap 'kill "$other" "$holder" 2>/dev/null || true; rm -rf "$T"' EXIT
held() { ! flock -n -s "$LOCK" true; }
for _ in $(seq 100); do held && break; sleep 0.05; done
held || fail "flock did not take the lock"
status running
cat "$T/running"
assert_eq "status while the lock is held: exit status" 0 "$rc"
assert_grep "^pintail is running \(pid $other\), status written 5 min ago" "$T/running"
! grep -q "pid alone" "$T/running.err" || { cat "$T/running.err" >&2; fail "status fell back to the pid while the lock is readable"; }
status running.json --json
assert_eq "stale while the lock is held (--json)" false "$("$PYTHON" -c 'import json,sys; print(str(json.load(open(sys.argv[1]))["stale"]).lower())' "$T/running.json")"
held || fail "the lock was lost by its holder after status"
# held by the agent that wrote "stopped": true: its last words
status_json "$other" true
status stopping
assert_grep "^pintail is stopping \(pid $other\), status written 5 min ago" "$T/stopping"
status_json "$other" false
# held by a new agent that has not written its status.json yet
echo 4242 > "$LOCK"
status newer
assert_grep "^pintail is running \(pid 4242\) but has not written its status yet: last known state \(pid $other, .*stale$" "$T/newer"

# 6. The lock not readable by this user: only the pid is left, and stderr
# says so.
echo "$other" > "$LOCK"
chmod 600 "$LOCK"
[ "$(id -u)" -eq 0 ] || chmod 000 "$LOCK"
rc=0
as_nobody "$PINTAIL" -c "$CONF" status > "$T/nolock" 2> "$T/nolock.err" || rc=$?
cat "$T/nolock" "$T/nolock.err"
assert_eq "status, lock not readable: exit status" 0 "$rc"
assert_grep "^pintail is probably running \(pid $other\)" "$T/nolock"
assert_grep "pintail.lock: Permission denied: whether pintail runs is judged by the pid alone" "$T/nolock.err"
kill "$holder"
wait "$holder" 2>/dev/null || true
kill "$other"
wait "$other" 2>/dev/null || true
rc=0
as_nobody "$PINTAIL" -c "$CONF" status > "$T/nolock.dead" 2> "$T/nolock.dead.err" || rc=$?
assert_grep "^pintail is NOT running: .*did not stop cleanly" "$T/nolock.dead"

# 7. status never reads access tokens: a user who may read the site file
# but not its 0600 token file still gets the status.
make_site shop "$TOP/tests/data/sample-site.conf" "$TOP/tests/data/sample.log"
chmod 644 "$T/etc/conf.d/shop.conf"
chmod 600 "$T/etc/token"
status_json 0 true
chmod 644 "$STATE/status.json"
rc=0
as_nobody "$PINTAIL" -c "$CONF" status > "$T/notoken" 2> "$T/notoken.err" || rc=$?
cat "$T/notoken.err"
assert_eq "status without access to the token: exit status" 0 "$rc"
assert_grep "^pintail is NOT running: .*stopped cleanly" "$T/notoken"

# 8. A mistake in a site file: status reads [agent] alone and reports.
# (A second or more may pass between writing the file and reading it on a
# busy machine: "written N s ago" with N a digit.)
printf '{"version":1,"pid":0,"written":%s,"started":%s,"stopped":true,"sites":[{"name":"shop"}]}\n' \
	"$(date +%s)" "$(date +%s)" > "$STATE/status.json"
echo "bogus_key = 1" >> "$T/etc/conf.d/shop.conf"
"$PINTAIL" -c "$CONF" check > /dev/null 2>&1 && fail "the broken site file passed check"
status broken
cat "$T/broken.err"
assert_eq "status with a broken site file: exit status" 0 "$rc"
assert_grep "^pintail is .*last known state \(pid 0, written [0-9] s ago" "$T/broken"
assert_grep "^site shop \(ad account \): idle, nothing left to send" "$T/broken"

# 9. A site the agent does not know (yet): exit 1, and what to do.
status unknown blog
assert_eq "status of a site missing from the agent's status: exit status" 1 "$rc"
assert_grep 'no site called "blog" in the agent.s status \(added since the agent started\? `systemctl reload pintail`' "$T/unknown.err"
status known shop
assert_eq "status of a known site: exit status" 0 "$rc"

# 10. Totals since start, added up over the sites (with more than one).
printf '{"version":1,"pid":0,"written":%s,"started":%s,"stopped":true,"sites":[%s,%s]}\n' \
	"$(date +%s)" "$(date +%s)" \
	'{"name":"shop","spooled":10,"spool_events":2,"delivered":8,"rejected":1,"lost":0,"retries":3,"lines":100}' \
	'{"name":"blog","spooled":5,"spool_events":0,"delivered":5,"rejected":0,"lost":2,"retries":1,"lines":40}' \
	> "$STATE/status.json"
status totals
assert_grep "^total of 2 sites since start: spooled 15, pending 2, delivered 13, rejected 1, lost 2, retries 4, lines 140$" "$T/totals"
status one shop
! grep -q "^total" "$T/one" || fail "status SITE prints totals of one site"

echo "test_status: all checks passed"
