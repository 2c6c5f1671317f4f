#!/bin/bash
# `pintail check` run as root also checks as the user the service runs as
# ($PINTAIL_SERVICE_USER, else pintail): root reads everything, and its
# "configuration OK" would hide what the service then fails on.
#   - a token file, a log, a folder, the configuration itself that user may
#     not read: warnings naming it (and the fix), exit 0, "configuration OK";
#     a site file it may not read is not also called "no file matches";
#     then one line saying so, with the runuser command (and -c FILE);
#   - what root meets too is said once, not twice;
#   - a token file of the user's own group, 0640 (the advice): no warning;
#   - a log of group adm: readable, as the unit gives the user group adm;
#   - the user's identity cannot be taken: said, without the summary;
#   - all readable: nothing more than root's own check says;
#   - PINTAIL_SERVICE_USER empty: root's check alone; a user that does not
#     exist: a warning;
#   - run as that user, check is what it always was (no second pass).
# The user here is nobody (uid 65534), which every Debian has.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: test_check_service_user: needs root"
	exit 0
fi
command -v setpriv >/dev/null || { echo "SKIP: test_check_service_user: setpriv is missing"; exit 0; }
USER_NAME=$(getent passwd 65534 | cut -d: -f1)
[ -n "$USER_NAME" ] || { echo "SKIP: test_check_service_user: no user 65534"; exit 0; }
GROUP_NAME=$(getent group "$(getent passwd 65534 | cut -d: -f4)" | cut -d: -f1)
export PINTAIL_SERVICE_USER=$USER_NAME

make_config
# The parsers and the bot list in $T: user nobody may not reach the checkout.
cp -r "$TOP/parsers" "$T/parsers"
sed -i -e "s#^parsers = .*#parsers = $T/parsers#" -e "s#^bots_file = .*#bots_file = $T/parsers/bots.txt#" "$CONF"
chmod -R a+rX "$T/parsers"
LOGS=$T/logs
mkdir -p "$LOGS"
chmod 755 "$T" "$T/etc" "$T/etc/conf.d" "$LOGS"
chmod 644 "$CONF"
: > "$LOGS/access.log"
chmod 644 "$LOGS/access.log"
SITE_FILE=$T/etc/conf.d/shop.conf
printf '[site]\nurl = https://shop.example.com\nlogs = %s\nparser = nginx_combined\n\n[pinterest]\nad_account_id = 549755885175\naccess_token_file = %s\napi_url = http://127.0.0.1:9/v5\n' \
	"$LOGS/access.log" "$T/etc/token" > "$SITE_FILE"
chmod 644 "$SITE_FILE"

# check OUT: `pintail check` as root; output in $T/OUT; must exit 0.
check() {
	local rc=0
	"$PINTAIL" -c "$CONF" check > "$T/$1" 2>&1 || rc=$?
	assert_eq "check ($1): exit status" 0 "$rc"
	assert_grep '^configuration OK$' "$T/$1"
}
SUMMARY="^pintail: warning: the service runs as user $USER_NAME, and meets the problems above that name it, which root does not \(see them alone: runuser -u $USER_NAME -- pintail -c $CONF check\)$"

# 1. The token file is root's, 0600: the service's user may not read it.
check token
assert_grep "^$SITE_FILE:8: warning: user $USER_NAME: access_token_file $T/etc/token: Permission denied: chgrp $GROUP_NAME $T/etc/token && chmod 640 $T/etc/token" "$T/token"
assert_grep "$SUMMARY" "$T/token"
assert_eq "warnings (token)" 2 "$(grep -c warning "$T/token")"

# 2. Readable by everyone: root warns, the user's pass says the same, and
# it is said once.
chmod 644 "$T/etc/token"
check everyone
assert_grep "^$SITE_FILE:8: warning: access_token_file $T/etc/token is readable by everyone" "$T/everyone"
assert_eq "warnings (everyone)" 1 "$(grep -c warning "$T/everyone")"

# The user's own group may read it: no warning (the fix the advice gives).
chgrp "$GROUP_NAME" "$T/etc/token"
chmod 640 "$T/etc/token"
check group
if grep -q warning "$T/group"; then cat "$T/group" >&2; fail "group $GROUP_NAME: a warning"; fi

# 3. Everything readable by the user: no warning at all.
chown "$USER_NAME:$GROUP_NAME" "$T/etc/token"
chmod 600 "$T/etc/token"
check clean
if grep -q warning "$T/clean"; then cat "$T/clean" >&2; fail "readable files gave a warning"; fi

# 4. A log the user may not read: the logs warning, as the user sees it.
chmod 600 "$LOGS/access.log"
check log
assert_grep "^$SITE_FILE:3: warning: logs: user $USER_NAME may not read $LOGS/access.log: " "$T/log"
assert_grep "$SUMMARY" "$T/log"
chmod 644 "$LOGS/access.log"

# 4b. A log of group adm, 0640 (Debian's nginx and Apache): the unit gives
# the service's user group adm (SupplementaryGroups=), so does check.
if getent group adm > /dev/null && ! id -nG "$USER_NAME" | grep -qw adm; then
	chgrp adm "$LOGS/access.log"
	chmod 640 "$LOGS/access.log"
	check adm
	if grep -q warning "$T/adm"; then cat "$T/adm" >&2; fail "a log of group adm: a warning"; fi
	chgrp root "$LOGS/access.log"
	chmod 644 "$LOGS/access.log"
fi

# 4c. The user's identity cannot be taken (no CAP_SETGID): said, and no
# claim that the service meets problems.
chmod 600 "$T/etc/token"
chown root:root "$T/etc/token"
rc=0
setpriv --bounding-set -setgid --inh-caps -setgid "$PINTAIL" -c "$CONF" check > "$T/nocap" 2>&1 || rc=$?
assert_eq "check without CAP_SETGID: exit status" 0 "$rc"
assert_grep "^pintail: warning: cannot check as user $USER_NAME, which the service runs as: Operation not permitted$" "$T/nocap"
if grep -q "the service runs as user" "$T/nocap"; then cat "$T/nocap" >&2; fail "a summary after the identity could not be taken"; fi
chown "$USER_NAME:$GROUP_NAME" "$T/etc/token"

# 5. The site file, then the main configuration, unreadable by the user:
# each with the fix; the site that could not be read is not also called
# "no site is configured: no file matches".
chmod 600 "$SITE_FILE"
check site
assert_grep "^$SITE_FILE: warning: user $USER_NAME: cannot open: Permission denied: chgrp $GROUP_NAME $SITE_FILE && chmod 640 $SITE_FILE \(the service reads it as user $USER_NAME\)$" "$T/site"
assert_grep "$SUMMARY" "$T/site"
if grep -q "no site is configured" "$T/site"; then cat "$T/site" >&2; fail "an unreadable site file was called no file at all"; fi
assert_eq "warnings (site)" 2 "$(grep -c warning "$T/site")"
chmod 644 "$SITE_FILE"
chmod 600 "$CONF"
check conf
assert_grep "^$CONF: warning: user $USER_NAME: cannot open: Permission denied: chgrp $GROUP_NAME $CONF && chmod 640 $CONF" "$T/conf"
chmod 644 "$CONF"

# 6. PINTAIL_SERVICE_USER empty: root's check alone; an unknown user: said.
chmod 600 "$LOGS/access.log"
PINTAIL_SERVICE_USER= check off
if grep -q warning "$T/off"; then cat "$T/off" >&2; fail "PINTAIL_SERVICE_USER= still checked as a user"; fi
PINTAIL_SERVICE_USER=no-such-user-pintail check unknown
assert_grep "^pintail: warning: PINTAIL_SERVICE_USER: no user no-such-user-pintail" "$T/unknown"

# 7. Run as the user itself: its own check, no second pass, no summary.
rc=0
setpriv --reuid=65534 --regid=65534 --clear-groups "$PINTAIL" -c "$CONF" check > "$T/self" 2>&1 || rc=$?
assert_eq "check as the user: exit status" 0 "$rc"
assert_grep "^$SITE_FILE:3: warning: logs: user $USER_NAME may not read $LOGS/access.log" "$T/self"
if grep -q "the service runs as" "$T/self"; then cat "$T/self" >&2; fail "a second pass as the user itself"; fi
chmod 644 "$LOGS/access.log"

echo "test_check_service_user: all checks passed"
