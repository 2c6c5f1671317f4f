#!/bin/bash
# `pintail check` looks at each site's logs as the user running it sees
# them (README: `runuser -u pintail -- pintail check`), and only warns:
#   - a log that user may not read, one glob's several such files, a folder
#     it may not list or enter (a symlink's target's too): a warning at the
#     site's logs line naming the user and the hint (group adm; the
#     README's ACL section), exit 0;
#   - a path that does not exist yet, a glob that matches nothing: a
#     warning that the agent follows them when they appear, exit 0;
#   - readable logs: no warning;
#   - `parse` says nothing about the site's logs (it reads the files named).
# Then `run` as that user: a log it may not open is logged once, naming
# the site and the hint, however often its folder changes, and it is
# followed once its permissions allow.
# We are root in the test machine: check runs as uid/gid 65534 (setpriv);
# as another user it runs as is, a chmod being enough.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -eq 0 ]; then
	command -v setpriv >/dev/null || { echo "SKIP: test_check_logs: setpriv is missing"; exit 0; }
	AS_USER=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	USER_NAME=$(getent passwd 65534 | cut -d: -f1)
	[ -n "$USER_NAME" ] || USER_NAME="uid 65534"
else
	AS_USER=()
	USER_NAME=$(id -un)
fi
HINT='on Debian the service.s user pintail is in group adm, .*elsewhere grant it an ACL \(README.md, "Reading the logs on RPM systems"\)'

make_config
LOGS=$T/logs
mkdir -p "$LOGS/locked"
chmod 755 "$T" "$T/etc" "$T/etc/conf.d" "$LOGS"
chmod 700 "$LOGS/locked"
chmod 644 "$CONF"
# The token stays 0600, the user's own, as the service's is.
[ "$(id -u)" -eq 0 ] && chown 65534:65534 "$T/etc/token" "$T/state"
: > "$LOGS/access.log"
: > "$LOGS/shop-1.log"
chmod 644 "$LOGS/access.log" "$LOGS/shop-1.log"

# site LOGS...: the site file shop.conf (readable by the user) with these logs.
site() {
	printf '[site]\nurl = https://shop.example.com\nlogs = %s\nparser = nginx_combined\n\n[pinterest]\nad_account_id = 549755885175\naccess_token_file = %s\napi_url = http://127.0.0.1:9/v5\n' \
		"$*" "$T/etc/token" > "$T/etc/conf.d/shop.conf"
	chmod 644 "$T/etc/conf.d/shop.conf"
}
SITE_FILE=$T/etc/conf.d/shop.conf

# check OUT: `pintail check` as the user; output in $T/OUT; must exit 0.
check() {
	local rc=0
	"${AS_USER[@]}" "$PINTAIL" -c "$CONF" check > "$T/$1" 2>&1 || rc=$?
	assert_eq "check ($1): exit status" 0 "$rc"
	assert_grep '^configuration OK$' "$T/$1"
}

# 1. Readable logs, by path and by glob: no warning at all.
site "$LOGS/access.log" "$LOGS/shop-*.log"
check clean
if grep -q warning "$T/clean"; then cat "$T/clean" >&2; fail "readable logs gave a warning"; fi

# 2. A log the user may not read.
chmod 600 "$LOGS/access.log"
check unreadable
assert_grep "^$SITE_FILE:3: warning: logs: user $USER_NAME may not read $LOGS/access.log: $HINT" "$T/unreadable"
chmod 644 "$LOGS/access.log"

# 3. Two files of a glob it may not read: one warning, the first named.
: > "$LOGS/shop-2.log"
: > "$LOGS/shop-3.log"
chmod 600 "$LOGS/shop-2.log" "$LOGS/shop-3.log"
check glob
assert_grep "^$SITE_FILE:3: warning: logs: user $USER_NAME may not read $LOGS/shop-2.log, nor 1 other file matching $LOGS/shop-\*.log: $HINT" "$T/glob"
assert_eq "warnings for one glob" 1 "$(grep -c warning "$T/glob")"
rm -f "$LOGS/shop-2.log" "$LOGS/shop-3.log"

# 4. A folder it may not list or enter, by path and by glob.
site "$LOGS/locked/access.log" "$LOGS/locked/*.log"
check folder
assert_grep "^$SITE_FILE:3: warning: logs: user $USER_NAME may not list or enter folder $LOGS/locked, which the agent watches: $HINT" "$T/folder"
assert_eq "warnings for the locked folder" 2 "$(grep -c warning "$T/folder")"

# 4b. A symlinked log whose target's folder it may enter but not list: the
# agent watches that folder too (rotations rename the target there).
mkdir -p "$LOGS/target"
: > "$LOGS/target/t.log"
chmod 644 "$LOGS/target/t.log"
chmod 711 "$LOGS/target"
ln -s "$LOGS/target/t.log" "$LOGS/link.log"
site "$LOGS/link.log"
check linked
assert_grep "^$SITE_FILE:3: warning: logs: user $USER_NAME may not list or enter folder $LOGS/target, the folder of $LOGS/link.log's target, which the agent watches: $HINT" "$T/linked"
chmod 755 "$LOGS/target"
check linked_ok
if grep -q warning "$T/linked_ok"; then cat "$T/linked_ok" >&2; fail "a symlink into a listable folder gave a warning"; fi
rm -f "$LOGS/link.log"

# 5. Not there yet: a path, a glob, a path whose folder is missing.
site "$LOGS/new.log" "$LOGS/new-*.log" "$T/nginx/access.log"
check missing
assert_grep "^$SITE_FILE:3: warning: logs: $LOGS/new.log does not exist \(yet\): the agent follows it when it appears$" "$T/missing"
assert_grep "^$SITE_FILE:3: warning: logs: no file matches $LOGS/new-\*.log \(yet\): the agent follows the files that match it when they appear$" "$T/missing"
assert_grep "^$SITE_FILE:3: warning: logs: folder $T/nginx does not exist \(yet\): the agent looks for it every 5 s and follows $T/nginx/access.log when it appears$" "$T/missing"

# 6. parse does not look at the site's logs.
: > "$T/input.log"
chmod 644 "$T/input.log"
"${AS_USER[@]}" "$PINTAIL" -c "$CONF" parse shop "$T/input.log" > /dev/null 2> "$T/parse.err" \
	|| { cat "$T/parse.err" >&2; fail "parse failed"; }
if grep -q "logs:" "$T/parse.err"; then cat "$T/parse.err" >&2; fail "parse warned about the site's logs"; fi

# 7. run: a log it may not open is said once, with the site and the hint,
# though its folder changes again and again; it is followed once readable.
site "$LOGS/access.log"
chmod 600 "$LOGS/access.log"
"${AS_USER[@]}" "$PINTAIL" -c "$CONF" run 2> "$T/run.err" &
AGENT=$!
trap '[ -z "$AGENT" ] || kill "$AGENT" 2>/dev/null || true; rm -rf "$T"' EXIT
# wait_for PATTERN: up to 15 s for a line of the agent's log.
wait_for() {
	local i
	for i in $(seq 150); do
		grep -qE -- "$1" "$T/run.err" && return 0
		kill -0 $AGENT 2>/dev/null || { cat "$T/run.err" >&2; fail "the agent exited"; }
		sleep 0.1
	done
	cat "$T/run.err" >&2
	fail "the agent never logged [$1]"
}
wait_for 'info: running \(1 site'
for i in 1 2 3 4 5; do
	echo "not a log line $i" >> "$LOGS/access.log"
	touch "$LOGS/access.log"
done
chmod 644 "$LOGS/access.log"
wait_for "info: site shop: $LOGS/access.log can be opened now; reading it from its beginning"
kill $AGENT
rc=0
wait $AGENT || rc=$?
AGENT=
assert_eq "the agent's exit status after SIGTERM" 0 "$rc"
assert_grep "error: site shop: open $LOGS/access.log: Permission denied: user $USER_NAME may not read it; once it may, it is read from .*; $HINT" "$T/run.err"
assert_eq "times the unreadable log was reported" 1 "$(grep -c "open $LOGS/access.log" "$T/run.err")"
echo "test_check_logs: all checks passed"
