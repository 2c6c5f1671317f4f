#!/bin/bash
# `pintail status` on a state folder made by hand, no agent (SPEC §2, §6):
#   - no status.json: exit 2 and "has `pintail run` ever run";
#   - status.json not readable by this user (as uid 65534): exit 2, the
#     hint to run as root or as the service's user, not the "ever run" one.
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
assert_grep "sudo pintail -c $CONF status" "$T/denied.err"
assert_grep "sudo -u [a-z0-9_-]+ pintail -c $CONF status" "$T/denied.err"
! grep -q "ever run" "$T/denied.err" || fail "permission denied still suggests that \`pintail run\` never ran"
chmod 644 "$STATE/status.json"

echo "test_status: all checks passed"
