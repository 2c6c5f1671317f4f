#!/bin/bash
# `make install` (README: from source):
#   - PREFIX=/usr/local puts the binary, the parsers and the bot list under
#     /usr/local, and the installed pintail.conf names those folders (the
#     shipped one names /usr/share/pintail, a package's);
#   - the configuration goes to SYSCONFDIR/pintail (default /etc), with the
#     example site beside conf.d;
#   - a second install keeps an edited pintail.conf (it is the
#     administrator's) and says so;
#   - a pintail.conf installed that way passes `pintail check`;
#   - the installed binary was built for those folders (its defaults), even
#     where a build for other folders was there before.
# Done on a copy of the sources (as a package build takes them), so that
# the repository's own build, which the other tests use, is left alone.
. "$(dirname "$0")/lib.sh"

S=$T/src
mkdir -p "$S"
(cd "$TOP" && packaging/srcfiles.sh 2>/dev/null | tar -cf - -T -) | tar -xf - -C "$S"
make -s -C "$S" -j2 pintail > "$T/build.out" 2>&1 || { cat "$T/build.out" >&2; fail "make failed"; }
R=$T/root
make -s -C "$S" -j2 install DESTDIR="$R" PREFIX=/usr/local > "$T/install.out" 2>&1 ||
	{ cat "$T/install.out" >&2; fail "make install failed"; }
grep -qa /usr/local/share/pintail "$R/usr/local/bin/pintail" ||
	fail "the installed binary was not built for PREFIX=/usr/local (its defaults name /usr/share/pintail)"
for f in usr/local/bin/pintail usr/local/share/pintail/bots.txt \
	usr/local/share/pintail/parsers/nginx_combined.conf usr/local/share/pintail/parsers/nginx_pintail.conf \
	etc/pintail/pintail.conf etc/pintail/conf.d/example.conf.sample; do
	[ -f "$R/$f" ] || fail "make install did not install /$f"
done
assert_eq "mode of the binary" 755 "$(stat -c %a "$R/usr/local/bin/pintail")"
assert_eq "mode of pintail.conf" 644 "$(stat -c %a "$R/etc/pintail/pintail.conf")"
assert_grep '^parsers += /usr/local/share/pintail/parsers /etc/pintail/parsers' "$R/etc/pintail/pintail.conf"
assert_grep '^bots_file += /usr/local/share/pintail/bots.txt' "$R/etc/pintail/pintail.conf"
! grep -q /usr/share/pintail "$R/etc/pintail/pintail.conf" "$R/etc/pintail/conf.d/example.conf.sample" ||
	fail "an installed configuration file still names /usr/share/pintail"

# The installed configuration, its folders moved under $R, is accepted.
sed -e "s#/usr/local/share/pintail#$R/usr/local/share/pintail#g" -e "s#^state_dir .*#state_dir = $T/state#" \
	-e "s#/etc/pintail/parsers#$R/etc/pintail/parsers#" "$R/etc/pintail/pintail.conf" > "$T/check.conf"
mkdir -p "$T/conf.d"
sed -i "s#^include .*#include = $T/conf.d/*.conf#" "$T/check.conf"
"$R/usr/local/bin/pintail" -c "$T/check.conf" check > "$T/check.out" 2>&1 || { cat "$T/check.out" >&2; fail "check refused the installed pintail.conf"; }

# A second install keeps the administrator's pintail.conf.
echo "# edited by the administrator" >> "$R/etc/pintail/pintail.conf"
make -s -C "$S" install DESTDIR="$R" PREFIX=/usr/local > "$T/install2.out" 2>&1 ||
	{ cat "$T/install2.out" >&2; fail "the second make install failed"; }
assert_eq "pintail.conf after a second install" "# edited by the administrator" "$(tail -n 1 "$R/etc/pintail/pintail.conf")"
assert_grep "keeping .*/etc/pintail/pintail.conf" "$T/install2.out"

echo "test_install: all checks passed"
