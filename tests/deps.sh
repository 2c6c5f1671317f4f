#!/bin/sh
# Installs what building and testing pintail need, when it is missing.
# Debian/Ubuntu, as root; elsewhere it says what to install and goes on.
set -eu

PKGS="build-essential pkg-config libpcre2-dev libcjson-dev libcurl4-openssl-dev libssl-dev
libcmocka-dev libdeflate-dev libsystemd-dev python3 python3-jsonschema openssl nginx logrotate time curl"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
	echo "tests/deps.sh: please install:$missing" >&2
	exit 0
fi
echo "tests/deps.sh: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
