# pintail — build, test, demo, benchmark.
#
# `make` builds ./pintail.  CFLAGS, CPPFLAGS and LDFLAGS from the environment
# are honoured (package builds add their hardening flags there).

PKGS      := libpcre2-8 libcjson openssl libcurl libdeflate
PKG_CONFIG ?= pkg-config
VERSION   := 0.1.0

CC        ?= cc
CFLAGS    ?= -O2 -g
WARN      := -std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
             -Wmissing-prototypes -Wpointer-arith -Wcast-qual
# Where `make install` puts things; the built binary's defaults (the
# configuration file, the parsers, the bot list) follow them, so build and
# install with the same values.
PREFIX    ?= /usr
SYSCONFDIR ?= /etc
DATADIR   ?= $(PREFIX)/share
DESTDIR   ?=
INSTALL   ?= install
# The unit's SupplementaryGroups= (Debian's adm, for the web servers' logs;
# the RPM's unit has none and builds with SERVICE_GROUPS=): `pintail check`
# run by root gives them to the service's user when it checks as that user.
SERVICE_GROUPS ?= adm
DEFS      := -D_GNU_SOURCE -DPINTAIL_VERSION='"$(VERSION)"' \
             -DPINTAIL_SYSCONFDIR='"$(SYSCONFDIR)/pintail"' -DPINTAIL_DATADIR='"$(DATADIR)/pintail"' \
             -DPINTAIL_SERVICE_GROUPS='"$(SERVICE_GROUPS)"'
# libsystemd is optional: with it, `run` tells systemd when it is ready
# (Type=notify); without it, the notifications are left out.
SYSTEMD   := $(shell $(PKG_CONFIG) --exists libsystemd 2>/dev/null && echo libsystemd)
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) $(SYSTEMD)) $(if $(SYSTEMD),-DHAVE_SYSTEMD)
PKG_LIBS   = $(shell $(PKG_CONFIG) --libs $(PKGS) $(SYSTEMD))

ALL_CFLAGS = $(WARN) $(DEFS) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS)

SRCS      := $(sort $(wildcard agent/*.c))
LIB_SRCS  := $(filter-out agent/main.c,$(SRCS))
OBJS      := $(SRCS:agent/%.c=build/obj/%.o)
LIB_OBJS  := $(LIB_SRCS:agent/%.c=build/obj/%.o)
HDRS      := $(wildcard agent/*.h)

# Unit tests are built again with AddressSanitizer and UBSan.
SAN       := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
ASAN_OBJS := $(LIB_SRCS:agent/%.c=build/asan/%.o)
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=build/tests/%)

.SECONDARY: $(ASAN_OBJS) $(LIB_OBJS)

.PHONY: all clean check deps demo bench lint install test-bins FORCE

# The first rule is what a plain `make` builds.
all: pintail

# Objects are built again when the compiler or its flags change, not only
# their sources: `make CFLAGS=-O0` after a plain `make` must not link old
# objects.  build/flags holds what the last build used; it is rewritten (and
# so made newer than the objects) only when that changes.
#
# `make install` alone is the exception: it installs ./pintail as it was
# built when only CPPFLAGS, CFLAGS or LDFLAGS differ.  A packager's install
# step often runs without the build step's flags, and must not link the
# binary again without their hardening.  Other paths (PREFIX, SYSCONFDIR,
# DATADIR: the binary's defaults) and sources changed since the build still
# make it again.
TRACKED_BASE = $(CC) $(WARN) $(DEFS) $(PKG_CFLAGS) $(SAN) $(PKG_LIBS)
TRACKED_ENV  = $(CPPFLAGS) $(CFLAGS) $(LDFLAGS)
INSTALL_ONLY = $(if $(filter-out install,$(MAKECMDGOALS)),,$(filter install,$(MAKECMDGOALS)))
build/flags: FORCE | build
	@base='$(subst ','\'',$(TRACKED_BASE))'; env='$(subst ','\'',$(TRACKED_ENV))'; \
	was_base=$$(sed -n 1p $@ 2>/dev/null); was_env=$$(sed -n 2p $@ 2>/dev/null); \
	if [ "$$base" != "$$was_base" ] || [ "$$env" != "$$was_env" ]; then \
		if [ -n "$(INSTALL_ONLY)" ] && [ -e pintail ] && [ "$$base" = "$$was_base" ]; then \
			echo "make install: installing ./pintail as it was built (CPPFLAGS, CFLAGS or LDFLAGS are not the build's; run make with them first to build with them)"; \
		else \
			[ ! -e $@ ] || echo "make: the compiler or its flags changed: building again"; \
			printf '%s\n%s\n' "$$base" "$$env" > $@; \
		fi; \
	fi

pintail: $(OBJS) build/flags
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(PKG_LIBS)

build/obj/%.o: agent/%.c $(HDRS) build/flags | build/obj
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

build/asan/%.o: agent/%.c $(HDRS) build/flags | build/asan
	$(CC) $(ALL_CFLAGS) $(SAN) -O1 -c -o $@ $<

build/tests/test_%: tests/unit/test_%.c $(ASAN_OBJS) tests/unit/testutil.h | build/tests
	$(CC) $(ALL_CFLAGS) $(SAN) -O1 -Iagent -o $@ $< $(ASAN_OBJS) \
		$(PKG_LIBS) $(shell $(PKG_CONFIG) --libs cmocka)

# The event id's EVP path (for an OpenSSL without its deprecated functions,
# see agent/hash.c) is checked by the same tests.
EVP_OBJS  := $(filter-out build/asan/hash.o,$(ASAN_OBJS)) build/asan/hash_evp.o

build/asan/hash_evp.o: agent/hash.c $(HDRS) build/flags | build/asan
	$(CC) $(ALL_CFLAGS) $(SAN) -O1 -DPINTAIL_EVENT_ID_EVP -c -o $@ $<

build/tests/test_hash_evp: tests/unit/test_hash.c $(EVP_OBJS) tests/unit/testutil.h | build/tests
	$(CC) $(ALL_CFLAGS) $(SAN) -O1 -Iagent -o $@ $< $(EVP_OBJS) \
		$(PKG_LIBS) $(shell $(PKG_CONFIG) --libs cmocka)

# The agent itself under ASan and UBSan, for a few integration tests.
build/pintail-asan: $(ASAN_OBJS) agent/main.c build/flags | build/asan
	$(CC) $(ALL_CFLAGS) $(SAN) -O1 -o $@ agent/main.c $(ASAN_OBJS) $(PKG_LIBS)

# The allocation test must see every malloc, so it is built without ASan
# (which would interpose the allocator itself).
build/tests/alloc_count: tests/alloc/alloc_count.c $(LIB_OBJS) | build/tests
	$(CC) $(ALL_CFLAGS) -Iagent -o $@ $< $(LIB_OBJS) $(PKG_LIBS)

# Makes chosen calls of the agent fail (LD_PRELOAD), for test_state_faults.
build/tests/faultinj.so: tests/tools/faultinj.c | build/tests
	$(CC) $(ALL_CFLAGS) -fPIC -shared -o $@ $< -ldl -lpthread

# What SPEC §4's event_id costs, with pintail's own hash_event_id (make bench).
build/sha_cost: bench/sha_cost.c $(LIB_OBJS) | build
	$(CC) $(ALL_CFLAGS) -Iagent -o $@ $< $(LIB_OBJS) $(PKG_LIBS)

build build/obj build/asan build/tests:
	mkdir -p $@

deps:
	@sh tests/deps.sh

# What tests/run.sh runs; it makes them itself too, so that a part run
# alone (TESTS=name bash tests/run.sh) never runs a stale build.
test-bins: pintail $(UNIT_BINS) build/tests/test_hash_evp build/tests/alloc_count build/pintail-asan \
	build/tests/faultinj.so

check: deps
	$(MAKE) test-bins
	@bash tests/run.sh

demo: deps
	$(MAKE) pintail
	@bash tests/demo.sh

bench: deps
	$(MAKE) pintail build/sha_cost
	@bash bench/run.sh ./pintail

lint:
	@bash tests/lint.sh

# The shipped configuration names the data and configuration folders as a
# package installs them (/usr/share/pintail, /etc/pintail): rewritten here
# for others.  An existing pintail.conf is the administrator's and is never
# replaced (the example beside the sites always is).
CONF_PATHS = sed -e 's|/usr/share/pintail|$(DATADIR)/pintail|g' -e 's|/etc/pintail|$(SYSCONFDIR)/pintail|g'

install: pintail
	$(INSTALL) -D -m 0755 pintail $(DESTDIR)$(PREFIX)/bin/pintail
	$(INSTALL) -d $(DESTDIR)$(DATADIR)/pintail/parsers $(DESTDIR)$(SYSCONFDIR)/pintail/conf.d
	$(INSTALL) -m 0644 parsers/*.conf $(DESTDIR)$(DATADIR)/pintail/parsers/
	$(INSTALL) -m 0644 parsers/bots.txt $(DESTDIR)$(DATADIR)/pintail/bots.txt
	$(CONF_PATHS) conf.d/example.conf.sample > $(DESTDIR)$(SYSCONFDIR)/pintail/conf.d/example.conf.sample
	chmod 0644 $(DESTDIR)$(SYSCONFDIR)/pintail/conf.d/example.conf.sample
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/pintail/pintail.conf ]; then \
		echo "install: keeping $(DESTDIR)$(SYSCONFDIR)/pintail/pintail.conf (yours)"; \
	else \
		$(CONF_PATHS) conf.d/pintail.conf > $(DESTDIR)$(SYSCONFDIR)/pintail/pintail.conf && \
		chmod 0644 $(DESTDIR)$(SYSCONFDIR)/pintail/pintail.conf; \
	fi

clean:
	rm -rf build pintail

# --- packaging (begin) ---
# Packages, built from a copy of the working tree into build/packages/:
# `make deb` (dpkg-buildpackage -us -uc -b, then lintian), `make rpm`
# (rpmbuild -ba: the binary RPM and the SRPM; --nodeps on a Debian host).
# `make check-packages` (root, Debian 12) builds both, installs the .deb on
# this machine, checks it and purges it; it ends "N passed, N failed".
.PHONY: deb rpm check-packages

deb:
	@bash packaging/build-deb.sh

rpm:
	@bash packaging/build-rpm.sh

check-packages:
	@bash tests/packages/check_packages.sh
# --- packaging (end) ---
