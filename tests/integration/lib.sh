# Shared by the integration tests (sourced): a scratch folder removed at
# exit, a configuration pointing at the repository's parsers, and helpers
# that fail with both sides printed.
set -euo pipefail
TOP=${PINTAIL_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
PINTAIL=${PINTAIL:-$TOP/pintail}
PYTHON=${PYTHON:-/usr/bin/python3}
SCHEMA=${SCHEMA:-$TOP/../shared/pinterest-events.schema.json}
GEN=${GEN:-$TOP/../shared/tools/gen_access_log.py}
T=$(mktemp -d /tmp/pintail-it-XXXXXX)
trap 'rm -rf "$T"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

# assert_eq WHAT EXPECTED ACTUAL
assert_eq() { [ "$2" = "$3" ] || fail "$1: expected [$2], got [$3]"; }

# assert_grep PATTERN FILE: the file has a line matching the pattern.
assert_grep() { grep -qE -- "$1" "$2" || { echo "---- $2 ----" >&2; cat "$2" >&2; fail "no line matching [$1] in $2"; }; }

# A configuration folder $T/etc with a token and the repo's parsers; extra
# [agent] lines may be given as arguments.
make_config() {
	mkdir -p "$T/etc/conf.d" "$T/state"
	printf 'test-token-%s\n' "$$" > "$T/etc/token"
	chmod 600 "$T/etc/token"
	{
		echo "[agent]"
		echo "state_dir = $T/state"
		echo "parsers = $TOP/parsers"
		echo "bots_file = $TOP/parsers/bots.txt"
		for l in "$@"; do echo "$l"; done
	} > "$T/etc/pintail.conf"
	CONF=$T/etc/pintail.conf
}

# A site file from a template with @LOG@ and @TOKEN@ replaced.
make_site() { # NAME TEMPLATE LOG
	sed -e "s#@LOG@#$3#g" -e "s#@TOKEN@#$T/etc/token#g" "$2" > "$T/etc/conf.d/$1.conf"
	chmod 600 "$T/etc/conf.d/$1.conf"
}
