#!/bin/bash
# build-rpm.sh (make rpm): build the binary RPM and the SRPM from a tarball
# of the working tree (the files of packaging/srcfiles.sh) in a scratch
# topdir, build/rpm/.  The .rpm and .src.rpm land in build/packages/ (or
# $OUT).  On a Debian host (no Fedora macros, no Fedora -devel packages)
# rpmbuild runs with --nodeps and the spec's fallback macros; elsewhere the
# BuildRequires are checked as usual (RPMBUILD_NODEPS=1 forces --nodeps).
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$TOP/build/packages}
cd "$TOP"

if ! command -v rpmbuild >/dev/null; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "build-rpm: installing rpm"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq >/dev/null
		apt-get install -y -qq --no-install-recommends rpm >/dev/null
	else
		echo "build-rpm: please install rpmbuild (package rpm, or rpm-build)" >&2
		exit 1
	fi
fi

spec=packaging/rpm/pintail.spec
version=$(sed -n 's/^Version: *//p' "$spec")
mk_version=$(sed -n 's/^VERSION *:\?= *//p' Makefile | head -n1)
if [ "$version" != "$mk_version" ]; then
	echo "build-rpm: $spec is at $version but the Makefile's VERSION is $mk_version" >&2
	exit 1
fi

nodeps=()
if [ "${RPMBUILD_NODEPS:-}" = 1 ] || [ -f /etc/debian_version ]; then
	nodeps=(--nodeps)
fi

top=$TOP/build/rpm
rm -rf "$top"
mkdir -p "$top"/{BUILD,BUILDROOT,RPMS,SOURCES,SPECS,SRPMS} "$OUT"
packaging/srcfiles.sh | tar -czf "$top/SOURCES/pintail-$version.tar.gz" \
	--transform "s#^#pintail-$version/#" --owner=0 --group=0 -T -
cp packaging/rpm/pintail.sysusers "$top/SOURCES/"
cp "$spec" "$top/SPECS/"

echo "build-rpm: rpmbuild -ba ${nodeps[*]} in $top"
if ! rpmbuild -ba "${nodeps[@]}" --define "_topdir $top" "$top/SPECS/pintail.spec" \
	>"$top/build.log" 2>&1; then
	tail -n 60 "$top/build.log" >&2
	echo "build-rpm: rpmbuild failed (log above)" >&2
	exit 1
fi
rm -f "$OUT"/pintail-*.rpm
find "$top/RPMS" "$top/SRPMS" -name '*.rpm' -exec cp {} "$OUT"/ \;
cp "$top/build.log" "$OUT/pintail-$version.rpm.build.log"
for f in "$OUT"/pintail-*.rpm; do echo "build-rpm: built $f"; done
if [ -f /etc/debian_version ]; then
	# Its automatic dependencies name Debian's library symbol versions
	# (libcurl's CURL_OPENSSL_4): dnf refuses it on Fedora and RHEL.
	echo "build-rpm: note: the binary RPM is linked against this Debian host's libraries; to" \
		"install on Fedora/RHEL, rebuild the .src.rpm there (rpmbuild --rebuild)"
fi
