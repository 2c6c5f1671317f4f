#!/bin/bash
# build-deb.sh (make deb): build the Debian binary package from a copy of
# the working tree, so the tree itself stays clean: the files of
# packaging/srcfiles.sh are copied to a scratch folder under build/,
# packaging/debian becomes its debian/, and dpkg-buildpackage -us -uc -b
# runs there.  The .deb, .changes and .buildinfo land in build/packages/
# (or $OUT); then lintian reports on them.  Missing build dependencies are
# installed when run as root on Debian (apt-get), else named.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$TOP/build/packages}
cd "$TOP"

BUILD_DEPS="debhelper dpkg-dev fakeroot lintian pkg-config libpcre2-dev libcjson-dev
libcurl4-openssl-dev libssl-dev libdeflate-dev libsystemd-dev"

need=""
for p in $BUILD_DEPS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || need="$need $p"
done
if [ -n "$need" ]; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "build-deb: installing$need"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq >/dev/null
		# shellcheck disable=SC2086
		apt-get install -y -qq --no-install-recommends $need >/dev/null
	else
		echo "build-deb: please install:$need" >&2
		exit 1
	fi
fi

version=$(dpkg-parsechangelog -l packaging/debian/changelog -SVersion)
mk_version=$(sed -n 's/^VERSION *:\?= *//p' Makefile | head -n1)
if [ "${version%%-*}" != "$mk_version" ]; then
	echo "build-deb: packaging/debian/changelog is at $version but the Makefile's VERSION is $mk_version:" >&2
	echo "build-deb: add a changelog entry (dch -v $mk_version) before building" >&2
	exit 1
fi

mkdir -p build "$OUT"
work=$(mktemp -d "$TOP/build/deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
src=$work/pintail-$version
mkdir -p "$src"
packaging/srcfiles.sh | tar -cf - -T - | tar -xf - -C "$src"
rm -rf "$src/debian"
cp -a packaging/debian "$src/debian"

echo "build-deb: dpkg-buildpackage -us -uc -b in $src"
if ! (cd "$src" && dpkg-buildpackage -us -uc -b -jauto) >"$work/build.log" 2>&1; then
	tail -n 60 "$work/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed (log above)" >&2
	exit 1
fi
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
changes=$OUT/pintail_${version}_$arch.changes
rm -f "$OUT"/pintail_"$version"_* "$OUT"/pintail-dbgsym_"$version"_*
mv "$work"/pintail_"$version"_* "$work"/pintail-dbgsym_"$version"_* "$OUT"/
cp "$work/build.log" "$OUT/pintail_${version}_$arch.build.log"
echo "build-deb: built $OUT/pintail_${version}_$arch.deb"

if command -v lintian >/dev/null; then
	echo "build-deb: lintian $changes"
	root_opt=""
	[ "$(id -u)" != 0 ] || root_opt=--allow-root
	tags=$(lintian $root_opt --info "$changes" 2>&1) || true
	echo "${tags:-build-deb: lintian: no tags (overrides: packaging/debian/pintail.lintian-overrides)}"
fi
