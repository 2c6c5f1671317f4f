/*
 * testutil — small helpers shared by the cmocka unit tests: temporary
 * folders and files, loading a configuration while capturing every
 * diagnostic line it prints, a loaded configuration in a temporary folder
 * as a fixture, and checking the JSON of events.
 *
 * Every test is linked from its one .c file, so the helpers live here,
 * all static inline.
 */
#ifndef PINTAIL_TESTUTIL_H
#define PINTAIL_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

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
/* Writes LEN bytes of DATA (NULs too) to DIR/NAME with MODE; returns the
 * path (caller frees). */
static inline char *tu_write_n(const char *dir, const char *name, const char *data, size_t len,
			       mode_t mode)
{
	char *path;
	FILE *f;
	assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(chmod(path, mode), 0);
	return path;
}

static inline char *tu_write(const char *dir, const char *name, const char *content, mode_t mode)
{
	return tu_write_n(dir, name, content, strlen(content), mode);
}

static inline int tu_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes DIR and what it holds (without a shell: some tests make hundreds). */
static inline void tu_rmtree(const char *dir)
{
	assert_int_equal(nftw(dir, tu_rm_entry, 16, FTW_DEPTH | FTW_PHYS), 0);
}

/* S with every FROM replaced by TO (caller frees). */
static inline char *tu_replace_all(const char *s, const char *from, const char *to)
{
	size_t fl = strlen(from), tl = strlen(to), n = 0;
	char *out, *o;

	for (const char *p = strstr(s, from); p != NULL; p = strstr(p + fl, from)) {
		n++;
	}
	out = malloc(strlen(s) + n * tl + 1);
	assert_non_null(out);
	o = out;
	while (*s) {
		if (strncmp(s, from, fl) == 0) {
			memcpy(o, to, tl);
			o += tl;
			s += fl;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return out;
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
	r.cfg = config_load(conf, CONFIG_TOKENS, &d);
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

/*
 * A configuration in a fresh temporary folder, loaded: the fixture of the
 * tests that need a site (test_event, test_filter, test_parser,
 * test_pipeline).  In site text "@DIR@" stands for the folder.
 */
struct tu_tmpconf {
	char *dir;          /* the temporary folder */
	char *path;         /* DIR/pintail.conf */
	struct tu_loaded l; /* what loading it gave */
	struct site *site;  /* the site under test */
};

/* A site's text for tu_tmpconf_write: its head, with PARSER, and its [pinterest]. */
#define TU_SITE_HEAD(parser)                                                                      \
	"[site]\nurl = https://shop.example.com\nlogs = @DIR@/access.log\nparser = " parser "\n"
#define TU_PINTEREST "[pinterest]\nad_account_id = 549755885175\naccess_token_file = @DIR@/token\n"

/* Makes C's folder with tu_setup; "@DIR@" in SITE_TEXT is the folder. */
static inline void tu_tmpconf_write(struct tu_tmpconf *c, const char *agent_extra, const char *site,
				    const char *site_text)
{
	char *text = NULL;
	c->dir = tu_tmpdir();
	if (site_text != NULL) {
		text = tu_replace_all(site_text, "@DIR@", c->dir);
	}
	c->path = tu_setup(c->dir, agent_extra, site, text);
	free(text);
}

/*
 * Loads C's configuration, failing the test (with what it printed) when it
 * is refused; unless NAME is NULL, C->site becomes that site, which must be
 * there.
 */
static inline void tu_tmpconf_load(struct tu_tmpconf *c, const char *name)
{
	c->l = tu_load(c->path);
	if (c->l.cfg == NULL) {
		fail_msg("configuration refused:\n%s", c->l.out);
	}
	if (name != NULL) {
		c->site = config_site(c->l.cfg, name);
		assert_non_null(c->site);
	}
}

/* Frees what C holds and removes its folder; C is then empty again. */
static inline void tu_tmpconf_free(struct tu_tmpconf *c)
{
	if (c->dir == NULL) {
		return;
	}
	tu_loaded_free(&c->l);
	tu_rmtree(c->dir);
	free(c->dir);
	free(c->path);
	memset(c, 0, sizeof *c);
}

/* ---- the JSON of events (test_event, test_pipeline) -------------------- */

static inline int tu_utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i];
		size_t len;
		uint32_t cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (i + len > n) {
			return 0;
		}
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80) {
				return 0;
			}
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
			return 0;
		}
		i += len;
	}
	return 1;
}

/* Whether S is one of the strings of LIST (NULL-terminated). */
static inline int tu_in_list(const char *s, const char *const *list)
{
	for (size_t i = 0; list[i]; i++) {
		if (strcmp(s, list[i]) == 0) {
			return 1;
		}
	}
	return 0;
}

/* No null, no empty string, no empty object or array, anywhere in V. */
static inline void tu_json_no_empty(const cJSON *v, const char *json)
{
	if (cJSON_IsNull(v)) {
		fail_msg("null value (key %s) in %s", v->string ? v->string : "?", json);
	}
	if (cJSON_IsString(v) && (v->valuestring == NULL || v->valuestring[0] == '\0')) {
		fail_msg("empty string (key %s) in %s", v->string ? v->string : "?", json);
	}
	if ((cJSON_IsObject(v) || cJSON_IsArray(v)) && v->child == NULL) {
		fail_msg("empty object or array (key %s) in %s", v->string ? v->string : "?", json);
	}
	for (const cJSON *c = v->child; c; c = c->next) {
		tu_json_no_empty(c, json);
	}
}

/* Every key of OBJ (WHAT, in JSON) is one of ALLOWED, and none is there twice. */
static inline void tu_json_keys(const cJSON *obj, const char *const *allowed, const char *what,
				const char *json)
{
	for (const cJSON *c = obj->child; c; c = c->next) {
		if (c->string == NULL || !tu_in_list(c->string, allowed)) {
			fail_msg("key \"%s\" is not allowed in %s: %s", c->string ? c->string : "(none)", what,
				 json);
		}
		for (const cJSON *d = c->next; d; d = d->next) {
			if (strcmp(c->string, d->string) == 0) {
				fail_msg("key \"%s\" twice in %s: %s", c->string, what, json);
			}
		}
	}
}

/* The value at PATH ("user_data.click_id") under ROOT, or NULL. */
static inline const cJSON *tu_jget(const cJSON *root, const char *path)
{
	char buf[128], *save = NULL;
	const cJSON *v = root;
	snprintf(buf, sizeof buf, "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k && v; k = strtok_r(NULL, ".", &save)) {
		v = cJSON_GetObjectItemCaseSensitive(v, k);
	}
	return v;
}

/* The string at PATH, or NULL (absent, or not a string). */
static inline const char *tu_jstr(const cJSON *root, const char *path)
{
	const cJSON *v = tu_jget(root, path);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/*
 * Parses JSON (LEN bytes) and checks what every event has (SPEC §4):
 * valid UTF-8; an object with no key outside the spec's, none twice and
 * nothing empty; action_source "web"; an integer event_time; opt_out
 * absent or true; a user_data object with the client's address and agent;
 * only custom_data's keys in custom_data.  test_event and test_pipeline
 * each check more.  Returns the object (the caller frees it).
 */
static inline cJSON *tu_event_shape(const char *json, size_t len)
{
	static const char *const top[] = {"event_name", "action_source", "event_time", "event_id",
					  "event_source_url", "user_data", "custom_data", "opt_out", NULL};
	static const char *const user[] = {"client_ip_address", "client_user_agent", "click_id", "em",
					   "ph", "external_id", NULL};
	static const char *const custom[] = {"value", "currency", "order_id", "content_ids",
					     "content_name", "content_category", "num_items",
					     "search_string", NULL};
	cJSON *root;
	const cJSON *v, *ud, *cd;

	if (!tu_utf8_valid((const unsigned char *)json, len)) {
		fail_msg("invalid UTF-8 in the JSON: %s", json);
	}
	root = cJSON_ParseWithLength(json, len);
	if (!cJSON_IsObject(root)) {
		fail_msg("not a JSON object: %s", json);
	}
	tu_json_keys(root, top, "the event", json);
	tu_json_no_empty(root, json);

	v = cJSON_GetObjectItemCaseSensitive(root, "action_source");
	if (!cJSON_IsString(v) || strcmp(v->valuestring, "web") != 0) {
		fail_msg("action_source is not \"web\": %s", json);
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "event_time");
	if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble)) {
		fail_msg("event_time is not an integer: %s", json);
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "opt_out");
	if (v != NULL && !cJSON_IsTrue(v)) {
		fail_msg("opt_out present but not true: %s", json);
	}

	ud = cJSON_GetObjectItemCaseSensitive(root, "user_data");
	if (!cJSON_IsObject(ud)) {
		fail_msg("no user_data object: %s", json);
	}
	tu_json_keys(ud, user, "user_data", json);
	if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(ud, "client_ip_address")) ||
	    !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(ud, "client_user_agent"))) {
		fail_msg("user_data lacks client_ip_address or client_user_agent: %s", json);
	}

	cd = cJSON_GetObjectItemCaseSensitive(root, "custom_data");
	if (cd != NULL) {
		tu_json_keys(cd, custom, "custom_data", json);
	}
	return root;
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
