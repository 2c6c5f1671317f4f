#!/bin/bash
# One `run` per state folder (SPEC §2):
#   - a second run on the same state_dir exits non-zero at once (within 8 s)
#     and its stderr names the pid of the running one, which goes on
#     delivering;
#   - the lock dies with its holder: after kill -9 a new run starts, even
#     while `pintail status` tests the lock (a shared flock, held briefly);
#   - a state folder owned by another user (chown -R nobody) is refused, the
#     message naming the user to run as; owned by us again, it is accepted.
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

# second_run WHAT: run a second agent in the foreground (at most 8 s);
# it must exit non-zero by itself.  Its stderr is in $T/second.err.
second_run() {
	local rc=0
	timeout 8 "$PINTAIL" -c "$CONF" run 2> "$T/second.err" || rc=$?
	[ "$rc" -ne 124 ] || { cat "$T/second.err" >&2; fail "$1: the second run was still running after 8 s"; }
	[ "$rc" -ne 0 ] || { cat "$T/second.err" >&2; fail "$1: the second run exited 0"; }
	report "$1: exit status $rc: $(head -n 3 "$T/second.err" | tr '\n' ' ')"
}

# 1. A second run while the first holds the lock.
second_run "second run on a locked state folder"
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
second_run "run on a state folder owned by $other"
grep -qw -- "$other" "$T/second.err" || { cat "$T/second.err" >&2; fail "the refusal does not name the user to run as ($other)"; }
chown -R "$(id -u):$(id -g)" "$T/state"
agent_start 1
append_lines "$LOG" d 0 5
expected_keys shop "$LOG" > "$T/exp"
wait_delivered "$T/exp" 20
agent_stop TERM

assert_only_expected "$T/exp"
assert_no_violations
assert_no_token
echo "$LIVE_NAME: all checks passed"
