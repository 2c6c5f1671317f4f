#!/bin/bash
# One `run` per state folder (SPEC §2):
#   - a second run on the same state_dir exits non-zero at once (within 8 s)
#     and its stderr names the pid of the running one, which goes on
#     delivering;
#   - the lock dies with its holder: after kill -9 a new run starts, even
#     while `pintail status` tests the lock (a shared flock, held briefly);
#   - a state folder owned by another user (chown -R nobody) is refused, the
#     message naming the user to run as; owned by us again, it is accepted;
#   - exit statuses: 2 for a lock held by another agent (may pass: systemd
#     restarts), 1 for another owner or a read-only file system (the
#     service's sandbox: the message names ReadWritePaths=).
# shellcheck source=live_lib.sh
. "$(dirname "$0")/live_lib.sh"

LOG=$T/logs/access.log
live_config
endpoint_start
make_live_site shop "$LOG"
append_lines "$LOG" a 0 10
agent_start 1
expected_keys shop "$LOG" > "$T/exp"
wait_delivered "$T/exp" 20

# second_run WHAT STATUS [CMD...]: run a second agent in the foreground (at
# most 8 s, through CMD when given); it must exit by itself with STATUS: 2
# for what may pass (systemd restarts it after 5 s), 1 for a setup only the
# operator can fix (not restarted).  Its stderr is in $T/second.err.
second_run() {
	local what=$1 want=$2 rc=0
	shift 2
	timeout 8 "$@" "$PINTAIL" -c "$CONF" run 2> "$T/second.err" || rc=$?
	[ "$rc" -ne 124 ] || { cat "$T/second.err" >&2; fail "$what: the second run was still running after 8 s"; }
	[ "$rc" -eq "$want" ] || { cat "$T/second.err" >&2; fail "$what: exit status $rc, not $want"; }
	report "$what: exit status $rc: $(head -n 3 "$T/second.err" | tr '\n' ' ')"
}

# 1. A second run while the first holds the lock.
second_run "second run on a locked state folder" 2
grep -qw -- "$AGENT_PID" "$T/second.err" || { cat "$T/second.err" >&2; fail "the refusal does not name the pid $AGENT_PID holding the lock"; }
proc_alive "$AGENT_PID" || fail "the first agent died when a second one was started"
append_lines "$LOG" b 0 10
expected_keys shop "$LOG" > "$T/exp"
wait_delivered "$T/exp" 20

# 2. The lock does not outlive its holder.  `pintail status` tests it by
# holding it shared for an instant: an agent starting then waits for it
# instead of refusing (exit 1, which systemd does not restart).
agent_kill9
flock -s "$T/state/pintail.lock" sleep 0.4 &
prober=$!
for _ in $(seq 100); do ! flock -n -x "$T/state/pintail.lock" true && break; sleep 0.02; done
agent_start 1
wait "$prober"
append_lines "$LOG" c 0 5
expected_keys shop "$LOG" > "$T/exp"
wait_delivered "$T/exp" 20
agent_stop TERM

# 3. A state folder owned by another user.
other=$(id -un 65534 2>/dev/null || echo nobody)
chown -R "$other" "$T/state"
second_run "run on a state folder owned by $other" 1
grep -qw -- "$other" "$T/second.err" || { cat "$T/second.err" >&2; fail "the refusal does not name the user to run as ($other)"; }
chown -R "$(id -u):$(id -g)" "$T/state"
agent_start 1
append_lines "$LOG" d 0 5
expected_keys shop "$LOG" > "$T/exp"
wait_delivered "$T/exp" 20
agent_stop TERM

# 4. A read-only state folder (as under the service's sandbox, for a
# state_dir other than /var/lib/pintail): exit 1, and the way out named.
if [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; then
	sed -i "s#^state_dir = .*#state_dir = $T/ro/state#" "$CONF"
	mkdir -p "$T/ro"
	second_run "run on a read-only file system" 1 unshare -m sh -c 'mount -t tmpfs -o ro none "$0" && exec "$@"' "$T/ro"
	grep -q "Read-only file system (under pintail.service only /var/lib/pintail is writable: .*ReadWritePaths=" "$T/second.err" ||
		{ cat "$T/second.err" >&2; fail "the read-only state folder's message does not name ReadWritePaths="; }
else
	report "SKIP read-only state folder: needs root and unshare -m"
fi

assert_only_expected "$T/exp"
assert_no_violations
assert_no_token
echo "$LIVE_NAME: all checks passed"
