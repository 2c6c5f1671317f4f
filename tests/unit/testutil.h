/*
 * testutil — small helpers shared by the cmocka unit tests: temporary
 * folders and files, and loading a configuration while capturing every
 * diagnostic line it prints.
 */
#ifndef PINTAIL_TESTUTIL_H
#define PINTAIL_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "diag.h"

/* The repository's top folder (tests run from it, see tests/run.sh). */
static inline const char *tu_top(void)
{
	const char *t = getenv("PINTAIL_TOP");
	return t ? t : ".";
}

/* A fresh temporary folder; the caller frees the string. */
static inline char *tu_tmpdir(void)
{
	char *d = strdup("/tmp/pintail-unit-XXXXXX");
	assert_non_null(mkdtemp(d));
	return d;
}

/* Writes CONTENT to DIR/NAME with MODE; returns the path (caller frees). */
static inline char *tu_write(const char *dir, const char *name, const char *content, mode_t mode)
{
	char *path;
	FILE *f;
	assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static inline void tu_rmtree(const char *dir)
{
	char *cmd;
	assert_true(asprintf(&cmd, "rm -rf '%s'", dir) > 0);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

/*
 * A configuration folder DIR with pintail.conf pointing at the repo's
 * parsers and bot list, a 0600 token file, and one site file SITE.conf
 * holding SITE_TEXT (which may name the token as DIR/token).
 * Returns the path of pintail.conf (caller frees).
 */
static inline char *tu_setup(const char *dir, const char *agent_extra, const char *site,
			     const char *site_text)
{
	char *conf, *sub, *text, *p;
	char top[PATH_MAX];
	assert_non_null(realpath(tu_top(), top));
	assert_true(asprintf(&text,
			     "[agent]\nstate_dir = %s/state\nparsers = %s/parsers\nbots_file = %s/parsers/bots.txt\n%s",
			     dir, top, top, agent_extra ? agent_extra : "") > 0);
	conf = tu_write(dir, "pintail.conf", text, 0644);
	free(text);
	free(tu_write(dir, "token", "test-token-not-secret\n", 0600));
	assert_true(asprintf(&sub, "%s/conf.d", dir) > 0);
	mkdir(sub, 0755);
	if (site != NULL) {
		assert_true(asprintf(&text, "%s.conf", site) > 0);
		p = tu_write(sub, text, site_text, 0600);
		free(p);
		free(text);
	}
	free(sub);
	return conf;
}

/* What config_load printed, and the config (or NULL). */
struct tu_loaded {
	struct config *cfg;
	char *out; /* every diagnostic line */
	int errors, warnings;
};

static inline struct tu_loaded tu_load(const char *conf)
{
	struct tu_loaded r = {0};
	size_t len = 0;
	FILE *mem = open_memstream(&r.out, &len);
	struct diag d = {.out = mem};
	r.cfg = config_load(conf, &d);
	fclose(mem);
	r.errors = d.errors;
	r.warnings = d.warnings;
	return r;
}

static inline void tu_loaded_free(struct tu_loaded *r)
{
	config_free(r->cfg);
	free(r->out);
}

/* Asserts that HAYSTACK contains NEEDLE, printing both when it does not. */
#define assert_contains(haystack, needle)                                                     \
	do {                                                                                  \
		const char *h_ = (haystack), *n_ = (needle);                                  \
		if (h_ == NULL || strstr(h_, n_) == NULL) {                                   \
			fail_msg("expected to find \"%s\" in:\n%s", n_, h_ ? h_ : "(null)");  \
		}                                                                             \
	} while (0)

#define assert_not_contains(haystack, needle)                                                 \
	do {                                                                                  \
		const char *h_ = (haystack), *n_ = (needle);                                  \
		if (h_ != NULL && strstr(h_, n_) != NULL) {                                   \
			fail_msg("did not expect \"%s\" in:\n%s", n_, h_);                    \
		}                                                                             \
	} while (0)

#endif
