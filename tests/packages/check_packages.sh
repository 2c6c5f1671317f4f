#!/bin/bash
# check_packages.sh (make check-packages): build the Debian package, install
# it on this machine and check what a user gets; build the RPM and check its
# contents.  As root, on Debian 12; installs what it needs (debhelper,
# lintian, rpm, systemd for systemd-analyze).  Prints one line per check and
# ends with "N passed, N failed"; exits non-zero when a check failed.
#
# What it checks:
#   the .deb: lintian (no error or warning that is not overridden), its
#     files, owners and modes once installed, conffiles, the user pintail (in
#     group adm), the state folder, the unit (systemd-analyze verify, and
#     systemd-analyze security --offline under a threshold), the man pages
#     (pintail.conf(5) lists every key of agent/conftab.c with its default);
#   the agent as the unit runs it: `pintail check` and `pintail run` as user
#     pintail with its groups and no new privileges, reading a log that only
#     group adm may read (root:adm 0640), delivering to a local HTTPS
#     endpoint; SIGHUP, SIGTERM (exit 0), a bad configuration (exit 1, which
#     the unit does not restart);
#   the sandbox, without systemd: the agent run again under strace (reaching
#     the endpoint by a name, so the resolver is traced too), and
#     trace_check.py compares what it did with the unit's SystemCallFilter=,
#     RestrictAddressFamilies=, ProtectSystem=strict (writes only in
#     StateDirectory=), ProtectHome=, PrivateDevices=, ProcSubset=pid, and
#     shows the JIT's writable+executable memory (no MemoryDenyWriteExecute=);
#   upgrade (a reinstall keeps a changed conffile and the state), remove
#     (keeps both), purge (removes /etc/pintail and /var/lib/pintail; the
#     user stays);
#   the RPM: file list (/usr/lib/systemd/system), config files, scriptlets,
#     no group adm in its unit, the SRPM.
#
# This machine has no systemd as PID 1: the unit is never started here;
# what needs a running systemd (the sandbox enforced, sd_notify, `systemctl
# reload`, StateDirectory= and the start on install) is not shown.  The
# RPM is built with --nodeps and not installed.
#
# KEEP=1 keeps the scratch folder (and the package, when the run stops
# before its purge step).
# shellcheck disable=SC2016 # the bash -c and sh -c scripts are single-quoted on purpose
set -uo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
PYTHON=${PYTHON:-/usr/bin/python3}
OUT=$TOP/build/packages
SCORE_MAX=${SCORE_MAX:-2.0}     # systemd-analyze security exposure, at most
AD_ACCOUNT=549755885175
UA='Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0'
LOGDIR=/var/log/pintail-pkgtest
UNIT=/lib/systemd/system/pintail.service

passed=0
failed=0
failures=()
ok() { passed=$((passed + 1)); echo "ok   $1"; }
bad() {
	failed=$((failed + 1))
	failures+=("$1")
	echo "FAIL $1"
	[ $# -lt 2 ] || printf '%s\n' "$2" | sed 's/^/     | /' | head -n 40
}
# check NAME COMMAND...: one check, passed when COMMAND succeeds.
check() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$name"; else bad "$name" "$out"; fi
}

if [ "$(id -u)" != 0 ]; then
	echo "check_packages: must run as root (it installs the package)" >&2
	exit 1
fi
if ! command -v dpkg >/dev/null || ! command -v apt-get >/dev/null; then
	echo "check_packages: needs a Debian system (dpkg, apt-get)" >&2
	exit 1
fi

T=$(mktemp -d /tmp/pintail-pkg-XXXXXX)
chmod 0755 "$T"
AGENT_PID=
EP_PID=

proc_alive() {
	local state
	[ -n "$1" ] && [ -r "/proc/$1/stat" ] || return 1
	state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}
end_pid() { # PID: TERM, then KILL after 5 s; reaped
	local pid=$1 i
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do proc_alive "$pid" || break; sleep 0.05; done
	proc_alive "$pid" && kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null || true
}
pkg_state() { dpkg-query -W -f='${db:Status-Abbrev}' pintail 2>/dev/null | tr -d ' '; }
cleanup() {
	local rc=$?
	set +e
	end_pid "$AGENT_PID"
	# An agent started under strace that outlived its tracer (its pid is in
	# the lock file; it is ours).
	tp=$(cat /var/lib/pintail/pintail.lock 2>/dev/null)
	if [ -n "$tp" ] && [ "$(ps -o comm= -p "$tp" 2>/dev/null)" = pintail ]; then
		kill -TERM "$tp" 2>/dev/null
		for ((i = 0; i < 200; i++)); do proc_alive "$tp" || break; sleep 0.05; done
		kill -KILL "$tp" 2>/dev/null
	fi
	end_pid "$EP_PID"
	if [ "${KEEP:-0}" = 1 ]; then
		echo "kept $T"
	else
		[ -z "$(pkg_state)" ] || dpkg --purge pintail >/dev/null 2>&1
		rm -rf "$T" "$LOGDIR"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------- tools

need=""
for p in debhelper dpkg-dev fakeroot lintian rpm cpio strace systemd man-db groff-base python3 openssl curl; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need="$need $p"
done
if [ -n "$need" ]; then
	echo "installing$need"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $need >/dev/null 2>&1
fi

# A previous run that was interrupted may have left the package.
if [ -n "$(pkg_state)" ]; then
	echo "purging a pintail package left installed"
	dpkg --purge pintail >/dev/null
fi
for d in /etc/pintail /var/lib/pintail; do
	if [ -e "$d" ]; then
		echo "check_packages: $d exists but no pintail package is installed; move it away first" >&2
		exit 1
	fi
done

VERSION=$(sed -n 's/^VERSION *:\?= *//p' Makefile | head -n1)
ARCH=$(dpkg-architecture -qDEB_HOST_ARCH)
DEB=$OUT/pintail_${VERSION}_$ARCH.deb

# ------------------------------------------------------------- build

bin_before=$(stat -c %Y pintail 2>/dev/null || echo none)
if out=$(bash packaging/build-deb.sh 2>&1); then
	ok "make deb: $(basename "$DEB")"
else
	bad "make deb" "$out"
	echo "$passed passed, $failed failed"
	exit 1
fi
echo "$out" | sed -n '/^build-deb: lintian/,$p' >"$T/lintian.build"
check "the tree stays clean (no debian/ at the top, ./pintail untouched)" \
	test ! -e debian -a "$(stat -c %Y pintail 2>/dev/null || echo none)" = "$bin_before"

lintian --allow-root -I --fail-on error,warning "$OUT/pintail_${VERSION}_$ARCH.changes" >"$T/lintian" 2>&1
lrc=$?
if [ "$lrc" -eq 0 ] && ! grep -qE '^[EW]: ' "$T/lintian"; then
	ok "lintian: no errors, no warnings ($(grep -c '^I: ' "$T/lintian") info tags; overrides: $(grep -c '^pintail: ' packaging/debian/pintail.lintian-overrides))"
else
	bad "lintian: errors or warnings" "$(cat "$T/lintian")"
fi

# ------------------------------------------------------------- install

export DEBIAN_FRONTEND=noninteractive
if out=$(dpkg -i "$DEB" 2>&1 </dev/null); then
	ok "dpkg -i $(basename "$DEB")"
else
	apt-get install -f -y -qq >/dev/null 2>&1 </dev/null
	if [ "$(pkg_state)" = ii ]; then ok "dpkg -i, then apt-get install -f for its dependencies"
	else bad "dpkg -i" "$out"; fi
fi

# mode_is PATH MODE OWNER:GROUP
mode_is() {
	local got
	got=$(stat -c '%a %U:%G' "$1" 2>&1) || { echo "$1: $got"; return 1; }
	[ "$got" = "$2 $3" ] || { echo "$1: $got, expected $2 $3"; return 1; }
}
check "/usr/bin/pintail 0755 root:root" mode_is /usr/bin/pintail 755 root:root
check "pintail --version is $VERSION" test "$(/usr/bin/pintail --version)" = "pintail $VERSION"
hardened_ok() {
	# Each output is read whole before grep -q looks at it: with pipefail,
	# a producer cut off by grep's early exit would fail the check.
	local h l d syms
	h=$(readelf -hW /usr/bin/pintail)
	l=$(readelf -lW /usr/bin/pintail)
	d=$(readelf -dW /usr/bin/pintail)
	syms=$(readelf --dyn-syms -W /usr/bin/pintail)
	grep -qE 'Type: +DYN' <<<"$h" || { echo "not PIE"; return 1; }
	grep -q GNU_RELRO <<<"$l" || { echo "no RELRO"; return 1; }
	grep -qE 'BIND_NOW|FLAGS.* NOW' <<<"$d" || { echo "no BIND_NOW"; return 1; }
	grep -q '_chk@' <<<"$syms" || { echo "no _FORTIFY_SOURCE functions"; return 1; }
	grep -q 'libsystemd\.so' <<<"$d" || { echo "not linked with libsystemd: no sd_notify for Type=notify"; return 1; }
}
check "the binary has dpkg-buildflags' hardening (PIE, RELRO, BIND_NOW, fortify) and sd_notify (libsystemd)" hardened_ok
check "/etc/pintail/pintail.conf 0644 root:root" mode_is /etc/pintail/pintail.conf 644 root:root
check "/etc/pintail/conf.d/example.conf.sample 0644 root:root" \
	mode_is /etc/pintail/conf.d/example.conf.sample 644 root:root
check "/etc/pintail/parsers exists" mode_is /etc/pintail/parsers 755 root:root
files_present() {
	local f rc=0
	for f in "$@"; do [ -f "$f" ] || { echo "missing: $f"; rc=1; }; done
	return $rc
}
check "parsers in /usr/share/pintail/parsers, bots.txt in /usr/share/pintail" files_present \
	/usr/share/pintail/parsers/{nginx_combined,apache_combined,nginx_json,nginx_pintail}.conf \
	/usr/share/pintail/bots.txt
check "parsers and bots.txt are readable by everyone (0644)" \
	bash -c 'for f in /usr/share/pintail/bots.txt /usr/share/pintail/parsers/*.conf; do [ "$(stat -c %a "$f")" = 644 ] || { echo "$f"; exit 1; }; done'
check "the unit is /lib/systemd/system/pintail.service, 0644" mode_is "$UNIT" 644 root:root
check "man pages pintail(8) and pintail.conf(5) are installed" \
	bash -c 'man -w 8 pintail && man -w 5 pintail.conf'
check "sysusers.d file /usr/lib/sysusers.d/pintail.conf" files_present /usr/lib/sysusers.d/pintail.conf
conffiles_ok() {
	local want got
	want=$(printf '/etc/pintail/conf.d/example.conf.sample\n/etc/pintail/pintail.conf')
	got=$(sed 's/ .*//' /var/lib/dpkg/info/pintail.conffiles | sort)
	[ "$got" = "$want" ] || { echo "conffiles: $got"; return 1; }
}
check "conffiles: pintail.conf and example.conf.sample" conffiles_ok
user_ok() {
	local pw
	pw=$(getent passwd pintail) || { echo "no user pintail"; return 1; }
	id -Gn pintail | tr ' ' '\n' | grep -qx adm || { echo "groups: $(id -Gn pintail)"; return 1; }
	[ "$(id -gn pintail)" = pintail ] || { echo "primary group: $(id -gn pintail)"; return 1; }
	[ "$(echo "$pw" | cut -d: -f3)" -lt 1000 ] || { echo "not a system uid: $pw"; return 1; }
	case $pw in *:/var/lib/pintail:/usr/sbin/nologin) ;; *) echo "$pw"; return 1 ;; esac
}
check "user pintail: system user, group pintail, in group adm, nologin" user_ok
check "/var/lib/pintail 0750 pintail:pintail" mode_is /var/lib/pintail 750 pintail:pintail
check "the service is enabled (multi-user.target.wants)" \
	test -L /etc/systemd/system/multi-user.target.wants/pintail.service

# ------------------------------------------------------------- the unit

out=$(systemd-analyze verify "$UNIT" 2>&1)
vrc=$?
if [ "$vrc" -eq 0 ] && [ -z "$out" ]; then ok "systemd-analyze verify $UNIT: clean"
else bad "systemd-analyze verify $UNIT (status $vrc)" "$out"; fi

systemd-analyze security --offline=true --no-pager "$UNIT" >"$T/security" 2>&1
score=$(sed -n 's/.*Overall exposure level for pintail.service: \([0-9.]*\).*/\1/p' "$T/security")
if [ -n "$score" ] && awk -v s="$score" -v m="$SCORE_MAX" 'BEGIN { exit !(s <= m) }'; then
	ok "systemd-analyze security: exposure $score (at most $SCORE_MAX): $(grep -o 'Overall exposure.*' "$T/security")"
else
	bad "systemd-analyze security: exposure ${score:-?} (at most $SCORE_MAX)" "$(grep '✗' "$T/security"; tail -n 2 "$T/security")"
fi
unit_has() {
	local k
	for k in "$@"; do grep -qx -- "$k" "$UNIT" || { echo "missing: $k"; return 1; }; done
}
check "unit: Type=notify, check before start and reload, no restart on status 1, no watchdog" unit_has \
	Type=notify 'ExecStartPre=-/usr/bin/pintail check' 'ExecStart=/usr/bin/pintail run' \
	'ExecReload=/usr/bin/pintail check' 'ExecReload=/bin/kill -HUP $MAINPID' \
	Restart=on-failure RestartPreventExitStatus=1 User=pintail SupplementaryGroups=adm \
	StateDirectory=pintail UMask=0077 LimitCORE=0
check "unit: PrivateUsers=yes; no WatchdogSec, no MemoryDenyWriteExecute (PCRE2 JIT)" \
	bash -c "grep -qx PrivateUsers=yes $UNIT && ! grep -qE '^(WatchdogSec|MemoryDenyWriteExecute)=' $UNIT"

# pintail.conf(5) names every key of agent/conftab.c with its default.
"$PYTHON" - "$TOP/agent/conftab.c" >"$T/keys" <<'PY' || bad "reading agent/conftab.c"
import ast, re, sys
src = open(sys.argv[1], encoding="utf-8").read()
src = src[src.index("conf_keys[] = {"):]
src = src[:src.index("\n};")]
# Defaults built from the install folders (PINTAIL_DATADIR "/bots.txt"):
# the values of the packages, then adjacent literals joined, as C does.
for macro, value in (("PINTAIL_DATADIR", "/usr/share/pintail"), ("PINTAIL_SYSCONFDIR", "/etc/pintail")):
    src = re.sub(r'"\s*' + macro + r'\s*"', value, src)  # in the middle of a default
    src = re.sub(macro + r'\s*"', '"' + value, src)      # at its start
S = r'("(?:[^"\\]|\\.)*"|NULL)'
keys = []
for m in re.finditer(r'\bAG\((\w+),\s*\w+,\s*' + S, src):
    keys.append(("agent", m.group(1), m.group(2)))
for m in re.finditer(r'\bSI\("(\w+)",\s*(\w+),\s*\w+,\s*' + S, src):
    keys.append((m.group(1), m.group(2), m.group(3)))
for m in re.finditer(r'\{"(\w+)",\s*"(\w+)",\s*V_\w+,\s*T_\w+,\s*offsetof\([^)]*\),\s*' + S, src):
    keys.append((m.group(1), m.group(2), m.group(3)))
for m in re.finditer(r'\b(?:RU|PA)\((\w+),', src):
    keys.append(("-", m.group(1), "NULL"))
for m in re.finditer(r'\bRF\("(\w+)",', src):
    keys.append(("event", m.group(1), "NULL"))
n_table = len(re.findall(r'^\s*(?:AG|SI|RU|RF|PA)\(|^\s*\{"\w+", "\w+"', src, re.M))
if n_table != len(keys):
    sys.exit(f"parsed {len(keys)} keys of {n_table} table rows")
for sec, name, d in keys:
    d = "" if d == "NULL" else ast.literal_eval(d)
    print(f"{sec}\t{name}\t{d}")
PY
man_keys_ok() {
	local name def missing=0 n=0
	zcat /usr/share/man/man5/pintail.conf.5.gz | groff -man -Tascii -rLL=400n -P-cbu 2>/dev/null \
		| sed 's/^ *//' >"$T/man5.txt"
	while IFS=$'\t' read -r _ name def; do
		n=$((n + 1))
		if [ -n "$def" ]; then
			grep -qxF -- "$name = $def" "$T/man5.txt" || { echo "not in pintail.conf(5): $name = $def"; missing=1; }
		else
			grep -qE -- "^$name =( |$)" "$T/man5.txt" || { echo "not in pintail.conf(5): $name"; missing=1; }
		fi
	done <"$T/keys"
	[ "$n" -gt 40 ] || { echo "only $n keys read from conftab.c"; return 1; }
	return $missing
}
check "pintail.conf(5) lists all $(wc -l <"$T/keys") keys of conftab.c with their defaults" man_keys_ok
man8_ok() {
	local s
	zcat /usr/share/man/man8/pintail.8.gz | groff -man -Tascii -rLL=400n -P-cbu 2>/dev/null >"$T/man8.txt"
	for s in NAME SYNOPSIS COMMANDS SIGNALS "EXIT STATUS" FILES EXAMPLES "SEE ALSO"; do
		grep -qx "$s" "$T/man8.txt" || { echo "pintail(8) has no $s section"; return 1; }
	done
	for s in run check parse send-test status; do
		grep -qE "^ +$s( |$)" "$T/man8.txt" || { echo "pintail(8) does not describe $s"; return 1; }
	done
}
check "pintail(8): commands, SIGNALS, EXIT STATUS, FILES, EXAMPLES" man8_ok
check "the man pages are of pintail $VERSION" bash -c \
	"zcat /usr/share/man/man8/pintail.8.gz | grep -q '^\.TH PINTAIL 8 .*\"pintail $VERSION\"' && zcat /usr/share/man/man5/pintail.conf.5.gz | grep -q '^\.TH PINTAIL.CONF 5 .*\"pintail $VERSION\"'"
check "the man pages format without warnings" bash -c \
	'for p in /usr/share/man/man8/pintail.8.gz /usr/share/man/man5/pintail.conf.5.gz; do zcat "$p" | groff -man -ww -z 2>&1 | grep . && exit 1; done; exit 0'

# ------------------------------------------------------------- run as the unit does

# as_pintail CMD...: as the unit runs it: user and group pintail with
# pintail's supplementary groups (adm), no new privileges, umask 077.
as_pintail() {
	(umask 077 && exec setpriv --reuid=pintail --regid=pintail --init-groups --no-new-privs \
		--inh-caps=-all --bounding-set=-all -- "$@")
}

mkdir -p "$LOGDIR"
chown root:adm "$LOGDIR"
chmod 0750 "$LOGDIR"
LOG=$LOGDIR/access.log
log_lines() { # TAG FIRST COUNT
	local i t
	t=$(LC_ALL=C date -u '+%d/%b/%Y:%H:%M:%S +0000')
	for ((i = $2; i < $2 + $3; i++)); do
		printf '203.0.113.%d - - [%s] "GET /products/%s-%d HTTP/1.1" 200 512 "-" "%s"\n' \
			$((i % 200 + 1)) "$t" "$1" "$i" "$UA"
	done
}
install -m 0640 -o root -g adm /dev/null "$LOG"
log_lines pkg 0 5 >>"$LOG"
check "the test log is root:adm 0640" mode_is "$LOG" 640 root:adm
check "without group adm, user pintail cannot read it" bash -c \
	"! setpriv --reuid=pintail --regid=pintail --clear-groups -- cat $LOG >/dev/null 2>&1"

# The test CA of mkcerts.sh, and a server certificate for 127.0.0.1 and for
# a name ($API_HOST) that the traced run below resolves through NSS.
API_HOST=api.pintail-pkgtest.test
bash tests/tools/mkcerts.sh "$T/certs" || bad "mkcerts.sh"
chmod 0755 "$T/certs"
printf '%s\n' 'basicConstraints = critical, CA:FALSE' 'keyUsage = critical, digitalSignature' \
	'extendedKeyUsage = serverAuth' "subjectAltName = DNS:$API_HOST, IP:127.0.0.1" \
	'subjectKeyIdentifier = hash' 'authorityKeyIdentifier = keyid:always' >"$T/certs/pkg.ext"
if ! out=$(openssl ecparam -name prime256v1 -genkey -noout -out "$T/certs/pkg.key" 2>&1 &&
	openssl req -new -key "$T/certs/pkg.key" -subj "/CN=$API_HOST" -out "$T/certs/pkg.csr" 2>&1 &&
	openssl x509 -req -in "$T/certs/pkg.csr" -CA "$T/certs/ca.pem" -CAkey "$T/certs/ca.key" \
		-set_serial "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" -days 2 -sha256 \
		-extfile "$T/certs/pkg.ext" -out "$T/certs/pkg.pem" 2>&1); then
	bad "a server certificate for $API_HOST" "$out"
fi
TOKEN_FILE=/etc/pintail/pkgtest.token
install -m 0640 -o root -g pintail /dev/null "$TOKEN_FILE"
printf 'pkgtest-%s\n' "$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')" >"$TOKEN_FILE"
schema=()
[ -f "$TOP/../shared/pinterest-events.schema.json" ] && schema=(--schema "$TOP/../shared/pinterest-events.schema.json")
"$PYTHON" tests/tools/endpoint.py --ad-account "$AD_ACCOUNT" --token-file "$TOKEN_FILE" "${schema[@]}" \
	--cert "$T/certs/pkg.pem" --key "$T/certs/pkg.key" --bind 127.0.0.1 --port 0 \
	--port-file "$T/ep.port" --record "$T/record.jsonl" 2>"$T/endpoint.err" &
EP_PID=$!
for ((i = 0; i < 100; i++)); do [ -s "$T/ep.port" ] && break; sleep 0.1; done
EP_PORT=$(cat "$T/ep.port" 2>/dev/null)
if [ -n "$EP_PORT" ]; then ok "local HTTPS endpoint on 127.0.0.1:$EP_PORT"
else bad "the endpoint did not start" "$(cat "$T/endpoint.err")"; fi

SITE=/etc/pintail/conf.d/pkgtest.conf
install -m 0640 -o root -g pintail /dev/null "$SITE"
cat >"$SITE" <<EOF
# A site of the package test (tests/packages/check_packages.sh).
[site]
url       = https://shop.example.com
logs      = $LOG
parser    = nginx_combined
read_from = beginning

[pinterest]
ad_account_id     = $AD_ACCOUNT
access_token_file = $TOKEN_FILE
api_url           = https://127.0.0.1:$EP_PORT/v5
ca_file           = $T/certs/ca.pem
flush_interval    = 1s
timeout           = 10s
EOF

as_pintail /usr/bin/pintail check >"$T/check.out" 2>&1
crc=$?
if [ "$crc" -eq 0 ] && grep -q '^configuration OK' "$T/check.out" && ! grep -qi warning "$T/check.out"; then
	ok "pintail check as pintail (the installed pintail.conf + a site): OK, no warning"
else
	bad "pintail check as pintail (status $crc)" "$(cat "$T/check.out")"
fi
# As root, check also checks as the service's user: the installed modes
# pass both; a token file root alone may read is named, with the fix.
env -u PINTAIL_SERVICE_USER /usr/bin/pintail check >"$T/check-root.out" 2>&1
crc=$?
if [ "$crc" -eq 0 ] && grep -q '^configuration OK' "$T/check-root.out" && ! grep -qi warning "$T/check-root.out"; then
	ok "pintail check as root (checks as pintail too): OK, no warning"
else
	bad "pintail check as root (status $crc)" "$(cat "$T/check-root.out")"
fi
chmod 0600 "$TOKEN_FILE"
env -u PINTAIL_SERVICE_USER /usr/bin/pintail check >"$T/check-root.out" 2>&1
crc=$?
if [ "$crc" -eq 0 ] && grep -q "warning: user pintail: access_token_file $TOKEN_FILE: Permission denied: chgrp pintail $TOKEN_FILE && chmod 640 $TOKEN_FILE" "$T/check-root.out"; then
	ok "pintail check as root: a token file only root may read is named, with the fix"
else
	bad "pintail check as root, token 0600 root (status $crc)" "$(cat "$T/check-root.out")"
fi
chmod 0640 "$TOKEN_FILE"
expected=$(as_pintail /usr/bin/pintail parse pkgtest "$LOG" 2>/dev/null | wc -l)
check "pintail parse as pintail: 5 events from the adm-only log" test "$expected" = 5

# delivered_count: events answered 200 by the endpoint.
delivered_count() {
	"$PYTHON" - "$T/record.jsonl" <<'PY'
import json, sys
n = 0
try:
    for line in open(sys.argv[1], encoding="utf-8"):
        try:
            r = json.loads(line)
        except ValueError:
            continue
        if r.get("status") == 200:
            n += len(r.get("events", []))
except FileNotFoundError:
    pass
print(n)
PY
}
# wait_for SECONDS COMMAND...: until COMMAND succeeds (0.2 s polls), or the agent dies.
wait_for() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ -z "$AGENT_PID" ] || proc_alive "$AGENT_PID" || return 1
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.2
	done
}
delivered_at_least() { [ "$(delivered_count)" -ge "$1" ]; }

# Started so that $! is the agent itself (the subshell execs setpriv, which
# execs pintail), and with no descriptor of ours but its stderr.
(umask 077 && exec setpriv --reuid=pintail --regid=pintail --init-groups --no-new-privs \
	--inh-caps=-all --bounding-set=-all -- /usr/bin/pintail run) </dev/null >/dev/null 2>"$T/agent.err" &
AGENT_PID=$!
if wait_for 15 grep -q 'running (1 site' "$T/agent.err"; then
	ok "pintail run as pintail: running (1 site)"
else
	bad "pintail run as pintail did not start" "$(cat "$T/agent.err")"
fi
proc_ok() {
	local st adm_gid
	st=$(cat "/proc/$AGENT_PID/status") || return 1
	adm_gid=$(getent group adm | cut -d: -f3)
	grep -qE "^Uid:\s+$(id -u pintail)\s" <<<"$st" || { echo "$st" | grep ^Uid; return 1; }
	grep -qE "^Groups:.*\b$adm_gid\b" <<<"$st" || { echo "$st" | grep ^Groups; return 1; }
	grep -qE '^NoNewPrivs:\s+1' <<<"$st" || { echo "$st" | grep ^NoNewPrivs; return 1; }
	grep -qE '^CapEff:\s+0+$' <<<"$st" || { echo "$st" | grep ^CapEff; return 1; }
}
check "the agent runs as pintail, in group adm, NoNewPrivs, no capabilities" proc_ok
if wait_for 30 delivered_at_least 5; then ok "the 5 events of the adm-only log were delivered over HTTPS"
else bad "delivered $(delivered_count) of 5 events" "$(tail -n 20 "$T/agent.err")"; fi
log_lines more 5 3 >>"$LOG"
if wait_for 30 delivered_at_least 8; then ok "3 lines appended later were followed and delivered"
else bad "delivered $(delivered_count) of 8 events" "$(tail -n 20 "$T/agent.err")"; fi

kill -HUP "$AGENT_PID" 2>/dev/null
if wait_for 10 grep -q 'configuration reloaded' "$T/agent.err" && proc_alive "$AGENT_PID"; then
	ok "SIGHUP: the agent reloads and keeps running"
else
	bad "SIGHUP" "$(tail -n 10 "$T/agent.err")"
fi
state_ok() {
	local f bad_files
	[ -d /var/lib/pintail/pkgtest ] || { ls -la /var/lib/pintail; return 1; }
	bad_files=$(find /var/lib/pintail -mindepth 1 \( ! -user pintail -o -perm /077 \) -printf '%M %u %p\n')
	[ -z "$bad_files" ] || { echo "$bad_files"; return 1; }
}
check "state in /var/lib/pintail/pkgtest, all pintail's, nothing for group or others (UMask=077)" state_ok
status_ok() {
	local out
	out=$(/usr/bin/pintail status 2>&1) || { echo "$out"; return 1; }
	grep -q pkgtest <<<"$out" || { echo "$out"; return 1; }
}
check "pintail status (as root) shows the site" status_ok

t0=$SECONDS
kill -TERM "$AGENT_PID" 2>/dev/null
for ((i = 0; i < 240; i++)); do proc_alive "$AGENT_PID" || break; sleep 0.05; done
if proc_alive "$AGENT_PID"; then
	bad "SIGTERM: the agent did not exit within 12 s"
	end_pid "$AGENT_PID"
else
	wait "$AGENT_PID"
	rc=$?
	if [ "$rc" -eq 0 ]; then ok "SIGTERM: exit status 0 after $((SECONDS - t0)) s"
	else bad "SIGTERM: exit status $rc" "$(tail -n 10 "$T/agent.err")"; fi
fi
AGENT_PID=
# The same agent again, under strace: what the unit's sandbox would meet
# (SystemCallFilter=, RestrictAddressFamilies=, ProtectSystem=strict,
# ProtectHome=, PrivateDevices=, ProcSubset=, MemoryDenyWriteExecute=), shown
# without systemd.  This run reaches the endpoint by a name, $API_HOST, so
# the resolver (libcurl's thread, NSS) is traced too: the name is added to
# /etc/hosts inside a mount namespace of its own (the host's file is not
# touched).  And it runs in a user namespace that maps only pintail, as
# PrivateUsers=yes does, to show that group adm still reads the log there.
log_lines traced 8 2 >>"$LOG"
sed -i "s#^api_url .*#api_url           = https://$API_HOST:$EP_PORT/v5#" "$SITE"
{ grep -v "[[:space:]]$API_HOST\$" /etc/hosts; echo "127.0.0.1 $API_HOST"; } >"$T/hosts"
userns=(unshare -U --map-current-user --)
if ! setpriv --reuid=pintail --regid=pintail --init-groups -- "${userns[@]}" true 2>/dev/null; then
	echo "skip PrivateUsers= emulation: this kernel refuses user namespaces to unprivileged users"
	userns=()
fi
unshare -m -- sh -c 'mount --bind "$1" /etc/hosts && umask 077 && shift 2 && exec strace -f -y -qq -s 256 -o "$0" -- \
	setpriv --reuid=pintail --regid=pintail --init-groups --no-new-privs --inh-caps=-all \
	--bounding-set=-all -- "$@" /usr/bin/pintail run' "$T/strace.out" "$T/hosts" x "${userns[@]}" \
	</dev/null >/dev/null 2>"$T/agent-traced.err" &
AGENT_PID=$!
traced_pid() { cat /var/lib/pintail/pintail.lock 2>/dev/null; }
if wait_for 20 grep -q 'running (1 site' "$T/agent-traced.err" && wait_for 30 delivered_at_least 10; then
	tp=$(traced_pid)
	if [ ${#userns[@]} -gt 0 ]; then
		if [ "$(awk '{print $1, $2, $3}' "/proc/$tp/uid_map" 2>/dev/null)" = "$(id -u pintail) $(id -u pintail) 1" ]; then
			ok "PrivateUsers= emulated: in a user namespace mapping only pintail, group adm read the log and 2 more events were delivered"
		else
			bad "the traced agent is not in the expected user namespace" "uid_map: $(cat "/proc/$tp/uid_map" 2>&1)"
		fi
	fi
	kill -HUP "$tp" 2>/dev/null
	if wait_for 10 grep -q 'configuration reloaded' "$T/agent-traced.err"; then
		ok "the traced agent reloaded on SIGHUP"
	else
		bad "the traced agent did not reload on SIGHUP" "$(tail -n 10 "$T/agent-traced.err")"
	fi
	kill -TERM "$tp" 2>/dev/null
	for ((i = 0; i < 300; i++)); do proc_alive "$AGENT_PID" || break; sleep 0.05; done
	end_pid "$AGENT_PID"
	AGENT_PID=
	for c in syscalls families writes hidden wx; do
		if out=$("$PYTHON" tests/packages/trace_check.py "$T/strace.out" "$UNIT" "$c" 2>&1); then
			ok "strace of pintail run ($c): $out"
		else
			bad "strace of pintail run ($c)" "$out"
		fi
	done
else
	bad "pintail run under strace: not running, or 2 more events not delivered" "$(tail -n 20 "$T/agent-traced.err")"
	tp=$(traced_pid)
	[ -z "$tp" ] || kill -TERM "$tp" 2>/dev/null
	end_pid "$AGENT_PID"
	AGENT_PID=
fi

token=$(cat "$TOKEN_FILE")
check "the token appears in no output or trace" bash -c "! grep -qF -- '$token' '$T/agent.err' '$T/agent-traced.err' '$T/check.out'"

# A bad configuration: check and run exit 1 (RestartPreventExitStatus=1).
printf '[site]\nurl = https://broken.example.com\nlogz = %s\n' "$LOG" >/etc/pintail/conf.d/broken.conf
as_pintail /usr/bin/pintail check >"$T/bad-check.out" 2>&1
crc=$?
timeout 20 setpriv --reuid=pintail --regid=pintail --init-groups --no-new-privs -- \
	/usr/bin/pintail run >"$T/bad-run.out" 2>&1
rrc=$?
if [ "$crc" -eq 1 ] && [ "$rrc" -eq 1 ] && grep -q 'broken.conf:3:' "$T/bad-check.out"; then
	ok "a bad site file: check and run both exit 1, naming broken.conf:3"
else
	bad "a bad site file: check $crc, run $rrc (expected 1 and 1)" "$(cat "$T/bad-check.out" "$T/bad-run.out")"
fi
rm -f /etc/pintail/conf.d/broken.conf
end_pid "$EP_PID"
EP_PID=

# ------------------------------------------------------------- upgrade, remove, purge

echo "# changed by the package test" >>/etc/pintail/pintail.conf
conf_sum=$(md5sum </etc/pintail/pintail.conf)
if out=$(dpkg -i "$DEB" 2>&1 </dev/null); then
	check "reinstall (upgrade path): the changed pintail.conf is kept, without a prompt" \
		test "$(md5sum </etc/pintail/pintail.conf)" = "$conf_sum"
	check "reinstall: the state and the site file are kept" \
		test -d /var/lib/pintail/pkgtest -a -f "$SITE"
else
	bad "reinstall (dpkg -i again)" "$out"
fi

if out=$(dpkg -r pintail 2>&1 </dev/null); then
	removed_ok() {
		[ ! -e /usr/bin/pintail ] || { echo "/usr/bin/pintail is still there"; return 1; }
		[ ! -e "$UNIT" ] || { echo "$UNIT is still there"; return 1; }
		[ -f /etc/pintail/pintail.conf ] || { echo "pintail.conf is gone"; return 1; }
		[ -d /var/lib/pintail/pkgtest ] || { echo "the state is gone"; return 1; }
	}
	check "dpkg -r: program gone, configuration and state kept" removed_ok
else
	bad "dpkg -r" "$out"
fi

if out=$(dpkg --purge pintail 2>&1 </dev/null); then
	purged_ok() {
		local p rc=0
		for p in /etc/pintail /var/lib/pintail /usr/bin/pintail /usr/share/pintail "$UNIT" \
			/usr/lib/sysusers.d/pintail.conf /usr/share/man/man8/pintail.8.gz \
			/etc/systemd/system/multi-user.target.wants/pintail.service; do
			if [ -e "$p" ] || [ -L "$p" ]; then echo "still there: $p"; rc=1; fi
		done
		[ -z "$(pkg_state)" ] || { echo "dpkg still knows pintail: $(pkg_state)"; rc=1; }
		return $rc
	}
	check "dpkg --purge: nothing left (/etc/pintail, /var/lib/pintail, unit, enablement)" purged_ok
	check "dpkg --purge: the user pintail stays (no uid reuse)" getent passwd pintail
else
	bad "dpkg --purge" "$out"
fi

# ------------------------------------------------------------- sources

# A file git does not track (a developer's token, a scratch log) never goes
# into a package's sources; it is named on stderr instead.
srcfiles_ok() {
	local stray=.srcfiles-stray.token rc=0 listed named
	[ -d .git ] || [ -f .git ] || { echo "not a git checkout: nothing to check"; return 0; }
	echo not-a-real-token > "$stray"
	# Captured whole first: grep -q stops reading at its match, and under
	# pipefail the writer's SIGPIPE would fail the check now and then.
	listed=$(sh packaging/srcfiles.sh 2>/dev/null)
	named=$(sh packaging/srcfiles.sh 2>&1 >/dev/null)
	if grep -qxF "$stray" <<<"$listed"; then echo "$stray is listed"; rc=1; fi
	grep -q "not packaged .*: $stray$" <<<"$named" || { echo "$stray is not named on stderr"; rc=1; }
	grep -qx agent/main.c <<<"$listed" || { echo "agent/main.c is missing"; rc=1; }
	rm -f "$stray"
	return $rc
}
check "srcfiles.sh: an untracked file stays out of the sources, and is named" srcfiles_ok

# ------------------------------------------------------------- RPM

if out=$(bash packaging/build-rpm.sh 2>&1); then
	ok "make rpm (rpmbuild --nodeps on this Debian host)"
	RPM=$OUT/pintail-$VERSION-1.$(uname -m).rpm
	SRPM=$OUT/pintail-$VERSION-1.src.rpm
	rpm_files_ok() {
		local want got
		want=$(cat <<EOF
/etc/pintail
/etc/pintail/conf.d
/etc/pintail/conf.d/example.conf.sample
/etc/pintail/parsers
/etc/pintail/pintail.conf
/usr/bin/pintail
/usr/lib/systemd/system/pintail.service
/usr/lib/sysusers.d/pintail.conf
/usr/share/man/man5/pintail.conf.5
/usr/share/man/man8/pintail.8
/usr/share/pintail
/usr/share/pintail/bots.txt
/usr/share/pintail/parsers
/usr/share/pintail/parsers/apache_combined.conf
/usr/share/pintail/parsers/nginx_combined.conf
/usr/share/pintail/parsers/nginx_json.conf
/usr/share/pintail/parsers/nginx_pintail.conf
/var/lib/pintail
EOF
)
		got=$(rpm -qlp "$RPM" 2>/dev/null | grep -vE '^/usr/(lib/\.build-id|share/doc)' | sed 's/\.gz$//' | sort)
		[ "$got" = "$want" ] || { diff <(echo "$want") <(echo "$got"); return 1; }
	}
	check "rpm -qlp: the same layout, the unit in /usr/lib/systemd/system" rpm_files_ok
	rpm_attrs_ok() {
		local l
		l=$(rpm -qlpv "$RPM" 2>/dev/null)
		grep -qE '^-rwxr-xr-x +1 root +root .* /usr/bin/pintail$' <<<"$l" || { echo "$l" | grep bin/; return 1; }
		grep -qE '^drwxr-x--- +2 pintail +pintail .* /var/lib/pintail$' <<<"$l" || { echo "$l" | grep var/lib; return 1; }
	}
	check "rpm: /usr/bin/pintail 0755 root, /var/lib/pintail 0750 pintail" rpm_attrs_ok
	check "rpm -qp --configfiles: pintail.conf and example.conf.sample (noreplace)" bash -c \
		"[ \"\$(rpm -qp --configfiles '$RPM' 2>/dev/null | sort | tr '\n' ' ')\" = '/etc/pintail/conf.d/example.conf.sample /etc/pintail/pintail.conf ' ] && rpm -qp --qf '[%{FILENAMES} %{FILEFLAGS:fflags}\n]' '$RPM' 2>/dev/null | grep -q 'pintail.conf cn'"
	rpm_scripts_ok() {
		local s
		s=$(rpm -qp --scripts "$RPM" 2>/dev/null)
		if grep -q '^preinstall scriptlet' <<<"$s" && grep -qE 'sysusers|useradd' <<<"$s" &&
			grep -q '^postinstall scriptlet' <<<"$s" && grep -qE 'preset' <<<"$s" &&
			grep -q '^preuninstall scriptlet' <<<"$s" && grep -qE 'disable|--no-reload' <<<"$s" &&
			grep -q '^postuninstall scriptlet' <<<"$s" && grep -qE 'try-restart|restart' <<<"$s"; then
			return 0
		fi
		echo "$s"
		return 1
	}
	check "rpm -qp --scripts: sysusers in %pre, systemd preset/disable/try-restart" rpm_scripts_ok
	check "rpm: its unit reads logs by ACL, not group adm (no SupplementaryGroups)" bash -c \
		"rpm2cpio '$RPM' | (cd '$T' && cpio -idm --quiet ./usr/lib/systemd/system/pintail.service) && ! grep -q '^SupplementaryGroups' '$T/usr/lib/systemd/system/pintail.service' && grep -qx User=pintail '$T/usr/lib/systemd/system/pintail.service'"
	check "SRPM: spec, tarball and sysusers file" bash -c \
		"[ \"\$(rpm -qlp '$SRPM' 2>/dev/null | sort | tr '\n' ' ')\" = 'pintail-$VERSION.tar.gz pintail.spec pintail.sysusers ' ]"
else
	bad "make rpm" "$out"
fi

echo
[ ${#failures[@]} -eq 0 ] || printf 'failed: %s\n' "${failures[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
