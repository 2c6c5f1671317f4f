#!/bin/bash
# The Makefile builds objects again when the compiler flags change, not only
# their sources (`make CFLAGS=-O0` after `make` must not link old objects):
#   - a first build of one object records the flags in build/flags;
#   - the same flags again build nothing;
#   - other CFLAGS build it again, and say why;
#   - back to the first flags, again;
#   - a plain `make` builds ./pintail;
#   - `make install` with other flags installs ./pintail as it was built.
# Done on a copy of the sources, one small object, so the repository's own
# build is left alone.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/src"
cp -r "$TOP/Makefile" "$TOP/agent" "$T/src/"
obj=build/obj/buf.o

# build [MAKE ARGS]: builds the one object; prints how many times the
# compiler ran.
build() {
	make -C "$T/src" "$@" "$obj" > "$T/make.out" 2>&1 || { cat "$T/make.out" >&2; fail "make $* failed"; }
	grep -c -- "-c -o $obj" "$T/make.out" || true
}

assert_eq "compilations of a first build" 1 "$(build)"
[ -s "$T/src/build/flags" ] || fail "build/flags was not written"
assert_eq "compilations with the same flags" 0 "$(build)"
assert_eq "compilations with other CFLAGS" 1 "$(build CFLAGS='-O0 -g')"
assert_grep "flags changed: building again" "$T/make.out"
assert_eq "compilations with those CFLAGS again" 0 "$(build CFLAGS='-O0 -g')"
assert_eq "compilations back to the default CFLAGS" 1 "$(build)"
# Flags holding quotes (as -DPINTAIL_VERSION='"..."' does) are compared whole.
assert_eq "compilations with a quoted define" 1 "$(build CPPFLAGS="-DX='\"a b\"'")"
assert_eq "compilations with that define again" 0 "$(build CPPFLAGS="-DX='\"a b\"'")"
# A plain `make`, as README says, builds ./pintail (the rule that records
# the flags once came first and was all it built).
make -n -C "$T/src" > "$T/make.out" 2>&1 || { cat "$T/make.out" >&2; fail "make -n failed"; }
assert_grep "-o pintail " "$T/make.out"

# `make install` with other flags than the build's installs ./pintail as it
# was built, without linking it again (a packager's install step without the
# build's hardening flags).  The other objects and the binary are stand-ins,
# newer than the sources.
build > /dev/null
mkdir -p "$T/src/parsers" "$T/src/conf.d"
cp "$TOP"/parsers/*.conf "$TOP/parsers/bots.txt" "$T/src/parsers/"
cp "$TOP/conf.d/pintail.conf" "$TOP/conf.d/example.conf.sample" "$T/src/conf.d/"
for src in "$T"/src/agent/*.c; do
	o=$T/src/build/obj/$(basename "$src" .c).o
	[ -e "$o" ] || touch "$o"
done
printf '#!/bin/sh\necho built before\n' > "$T/src/pintail"
chmod 755 "$T/src/pintail"
make -C "$T/src" install DESTDIR="$T/root" CFLAGS='-O0 -g' > "$T/make.out" 2>&1 ||
	{ cat "$T/make.out" >&2; fail "make install failed"; }
assert_grep "installing ./pintail as it was built" "$T/make.out"
if grep -qE -- "-o pintail |-c -o " "$T/make.out"; then
	cat "$T/make.out" >&2
	fail "make install with other flags built again"
fi
cmp -s "$T/src/pintail" "$T/root/usr/bin/pintail" || fail "make install did not install ./pintail as built"
# The same flags as the build's: nothing to say, nothing built.
make -C "$T/src" install DESTDIR="$T/root" > "$T/make.out" 2>&1 || { cat "$T/make.out" >&2; fail "make install failed"; }
if grep -qE -- "as it was built|-o pintail |-c -o " "$T/make.out"; then
	cat "$T/make.out" >&2
	fail "make install with the build's flags built again or said why not"
fi
echo "ok"
