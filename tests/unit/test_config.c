/*
 * Unit tests of configuration loading and `pintail check` (config.c,
 * conftab.c, check.c): every refusal and warning SPEC §3 lists, the generic
 * ones (unknown section or key, a key set twice, malformed values), the
 * defaults, and the shipped example site loading clean.
 *
 * Each test builds its configuration in a fresh temporary folder (see
 * struct fx) that the teardown removes, together with whatever was loaded,
 * so that a failing assertion leaks nothing.  In site templates "@D@"
 * stands for that folder and "@TOP@" for the repository.
 */
#include "testutil.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>

#include "commands.h"
#include "log.h"
#include "parser.h"
#include "rules.h"

/* ---- fixture ---- */

struct fx {
	char *top;  /* the repository, absolute */
	char *dir;  /* this configuration's folder */
	char *conf; /* DIR/pintail.conf */
	char *site; /* DIR/conf.d/shop.conf */
	int real_bots; /* use the repo's bot list (slow to compile) */
	struct tu_loaded r;
	char *kept[8]; /* freed by fx_clear, for tests that may fail midway */
};

static char *fx_keep(struct fx *f, char *p)
{
	for (size_t i = 0; i < sizeof f->kept / sizeof f->kept[0]; i++) {
		if (f->kept[i] == NULL) {
			f->kept[i] = p;
			return p;
		}
	}
	fail_msg("too many kept strings");
	return p;
}

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	char top[PATH_MAX];

	assert_non_null(f);
	assert_non_null(realpath(tu_top(), top));
	f->top = strdup(top);
	*state = f;
	return 0;
}

static void fx_clear(struct fx *f)
{
	tu_loaded_free(&f->r);
	memset(&f->r, 0, sizeof f->r);
	for (size_t i = 0; i < sizeof f->kept / sizeof f->kept[0]; i++) {
		free(f->kept[i]);
		f->kept[i] = NULL;
	}
	if (f->dir != NULL) {
		tu_rmtree(f->dir);
	}
	free(f->dir);
	free(f->conf);
	free(f->site);
	f->dir = f->conf = f->site = NULL;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;
	fx_clear(f);
	free(f->top);
	free(f);
	return 0;
}

/* TMPL with @D@ and @TOP@ filled in (caller frees). */
static char *fill(const struct fx *f, const char *tmpl)
{
	char *a = tu_replace_all(tmpl, "@D@", f->dir);
	char *b = tu_replace_all(a, "@TOP@", f->top);
	free(a);
	return b;
}

/*
 * A fresh folder: pintail.conf (with AGENT_EXTRA appended to [agent], from
 * its line 5 on), the token DIR/token (0600) and, unless SITE_TMPL is NULL,
 * the site file conf.d/shop.conf (0600).
 */
static void fx_new(struct fx *f, const char *agent_extra, const char *site_tmpl)
{
	char *extra = NULL, *text = NULL;

	fx_clear(f);
	f->dir = tu_tmpdir();
	if (agent_extra != NULL) {
		extra = fill(f, agent_extra);
	}
	if (site_tmpl != NULL) {
		text = fill(f, site_tmpl);
	}
	f->conf = tu_setup(f->dir, extra, site_tmpl ? "shop" : NULL, text);
	assert_true(asprintf(&f->site, "%s/conf.d/shop.conf", f->dir) > 0);
	free(extra);
	free(text);
	if (!f->real_bots) {
		/*
		 * The repo's 237 bot patterns take most of a load's time under
		 * ASan: point bots_file at a one-line list instead, on the same
		 * line, so that line numbers do not change.
		 */
		char *old, *conf;
		FILE *in = fopen(f->conf, "r");
		size_t cap = 0;
		assert_non_null(in);
		old = NULL;
		assert_true(getdelim(&old, &cap, '\0', in) > 0);
		fclose(in);
		in = NULL;
		{
			char *from, *to;
			assert_true(asprintf(&from, "%s/parsers/bots.txt", f->top) > 0);
			assert_true(asprintf(&to, "%s/bots.txt", f->dir) > 0);
			conf = tu_replace_all(old, from, to);
			free(from);
			free(to);
		}
		free(tu_write(f->dir, "bots.txt", "# test list\nGooglebot\n", 0644));
		free(tu_write(f->dir, "pintail.conf", conf, 0644));
		free(old);
		free(conf);
	}
}

/* Writes DIR/REL from TMPL with MODE; returns the path (caller frees). */
static char *fx_write(struct fx *f, const char *rel, const char *tmpl, mode_t mode)
{
	char *text = fill(f, tmpl), *path;
	path = tu_write(f->dir, rel, text, mode);
	free(text);
	return path;
}

/* DIR/REL (caller frees). */
static char *fx_path(const struct fx *f, const char *rel)
{
	char *p;
	assert_true(asprintf(&p, "%s/%s", f->dir, rel) > 0);
	return p;
}

static void fx_mkdir(struct fx *f, const char *rel)
{
	char *p = fx_path(f, rel);
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
}

static struct tu_loaded *fx_load(struct fx *f)
{
	tu_loaded_free(&f->r);
	f->r = tu_load(f->conf);
	return &f->r;
}

/* Asserts a diagnostic line "FILE:LINE: [warning: ]..." that contains NEEDLE. */
static void assert_diag_kind(const char *out, const char *file, int line, int warning,
			     const char *needle)
{
	char prefix[PATH_MAX + 64];
	const char *p = out;

	if (line > 0) {
		snprintf(prefix, sizeof prefix, "%s:%d: %s", file, line, warning ? "warning: " : "");
	} else {
		snprintf(prefix, sizeof prefix, "%s: %s", file, warning ? "warning: " : "");
	}
	while (p != NULL && *p != '\0') {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (strncmp(p, prefix, strlen(prefix)) == 0 &&
		    (warning || strncmp(p + strlen(prefix), "warning: ", 9) != 0)) {
			char *l = strndup(p, len);
			int found = strstr(l, needle) != NULL;
			free(l);
			if (found) {
				return;
			}
		}
		p = end ? end + 1 : NULL;
	}
	fail_msg("expected a line starting \"%s\" containing \"%s\" in:\n%s", prefix, needle,
		 out ? out : "(null)");
}

static void assert_error_at(const char *out, const char *file, int line, const char *needle)
{
	assert_diag_kind(out, file, line, 0, needle);
}

static void assert_warning_at(const char *out, const char *file, int line, const char *needle)
{
	assert_diag_kind(out, file, line, 1, needle);
}

/* Loads F's configuration and asserts it is refused with NEEDLE at FILE:LINE. */
static struct tu_loaded *expect_refused(struct fx *f, const char *file, int line,
					const char *needle)
{
	struct tu_loaded *r = fx_load(f);
	if (r->cfg != NULL || r->errors == 0) {
		fail_msg("expected a refusal (\"%s\"), got %d error(s):\n%s", needle, r->errors, r->out);
	}
	assert_error_at(r->out, file, line, needle);
	return r;
}

/* expect_refused, the refusal being the one error. */
static struct tu_loaded *expect_refused_once(struct fx *f, const char *file, int line,
					     const char *needle)
{
	struct tu_loaded *r = expect_refused(f, file, line, needle);
	assert_int_equal(r->errors, 1);
	return r;
}

/* Loads F's configuration and asserts it is accepted with WARNINGS warnings. */
static struct tu_loaded *expect_loaded(struct fx *f, int warnings)
{
	struct tu_loaded *r = fx_load(f);
	if (r->cfg == NULL || r->errors != 0 || r->warnings != warnings) {
		fail_msg("expected a configuration with 0 errors and %d warning(s), got %s, %d error(s), %d warning(s):\n%s",
			 warnings, r->cfg ? "one" : "none", r->errors, r->warnings, r->out);
	}
	return r;
}

/* The whole of the file PATH (caller frees). */
static char *read_all(const char *path)
{
	FILE *f = fopen(path, "r");
	char *text;
	long len;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	text = calloc(1, (size_t)len + 1);
	assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	return text;
}

/* Runs `pintail -c CONF check`, capturing stdout and stderr into *OUT. */
static int run_check(const char *conf, char **out)
{
	char path[] = "/tmp/pintail-check-XXXXXX";
	int fd = mkstemp(path), o1, o2, rc;

	assert_true(fd >= 0);
	fflush(stdout);
	fflush(stderr);
	o1 = dup(1);
	o2 = dup(2);
	dup2(fd, 1);
	dup2(fd, 2);
	rc = cmd_check(conf, 0, NULL);
	fflush(stdout);
	fflush(stderr);
	dup2(o1, 1);
	dup2(o2, 2);
	close(o1);
	close(o2);
	close(fd);
	*out = read_all(path);
	unlink(path);
	return rc;
}

/* ---- site templates ---- */

/* Lines 1-6 of a site; line 7 is then ad_account_id, line 8 the token. */
#define HEAD                                                                                   \
	"[site]\n"                                                                             \
	"url = https://shop.example.com\n"                                                    \
	"logs = /var/log/nginx/shop.log\n"                                                    \
	"parser = nginx_combined\n"                                                           \
	"\n"                                                                                   \
	"[pinterest]\n"
/* HEAD with another url. */
#define HEAD_URL_AS(url)                                                                       \
	"[site]\nurl = " url "\nlogs = /var/log/nginx/shop.log\nparser = nginx_combined\n\n[pinterest]\n"
#define AD_LINE "ad_account_id = 549755885175\n"
#define TOKEN_LINE "access_token_file = @D@/token\n"
/* A complete, clean site of 8 lines: what tests append to starts at line 9. */
#define BASE HEAD AD_LINE TOKEN_LINE

/*
 * fx_new with VALUE put into FMT (a format with one %s): FMT is the
 * [agent] lines if IN_AGENT (the site then being BASE), else the site.
 */
static void fx_new_value(struct fx *f, int in_agent, const char *fmt, const char *value)
{
	char *text;
	assert_true(asprintf(&text, fmt, value) > 0);
	fx_new(f, in_agent ? text : NULL, in_agent ? BASE : text);
	free(text);
}

/*
 * fx_new_value, then asserts the configuration is refused with NEEDLE at
 * LINE of the file FMT went to (pintail.conf or the site), as its one error.
 */
static struct tu_loaded *expect_value_refused(struct fx *f, int in_agent, const char *fmt,
					      const char *value, int line, const char *needle)
{
	fx_new_value(f, in_agent, fmt, value);
	return expect_refused_once(f, in_agent ? f->conf : f->site, line, needle);
}

/* The group that may not read secrets, for the 0640 warnings. */
static gid_t foreign_gid(void)
{
	struct group *g = getgrnam("adm");
	if (g == NULL) {
		g = getgrnam("nogroup");
	}
	assert_non_null(g);
	return g->gr_gid;
}

/* ================= the clean cases ================= */

/* conf.d/example.conf.sample, as shipped, with the token's path fixed. */
static void test_example_site_is_clean(void **state)
{
	struct fx *f = *state;
	char *sample_path, *sample, *text, *token;
	struct tu_loaded *r;
	struct site *s;

	assert_true(asprintf(&sample_path, "%s/conf.d/example.conf.sample", f->top) > 0);
	sample = read_all(sample_path);
	assert_non_null(strstr(sample, "access_token_file = /etc/pintail/shop.token"));
	assert_non_null(strstr(sample, "logs      = /var/log/nginx/access.log"));
	{
		/* Its log in the test's folder, so that `check` finds it. */
		char *t = tu_replace_all(sample, "/etc/pintail/shop.token", "@D@/token");
		text = tu_replace_all(t, "/var/log/nginx/access.log", "@D@/access.log");
		free(t);
	}

	f->real_bots = 1;
	fx_new(f, NULL, text);
	free(fx_write(f, "access.log", "", 0644));
	r = expect_loaded(f, 0);
	assert_string_equal(r->out, "");
	assert_int_equal(r->cfg->nsites, 1);
	s = config_site(r->cfg, "shop");
	assert_non_null(s);
	assert_string_equal(s->name, "shop");
	assert_string_equal(s->file, f->site);
	assert_string_equal(s->ad_account_id, "549755885175");
	assert_non_null(s->parser);
	assert_string_equal(s->parser->name, "nginx_combined");
	assert_string_equal(s->token, "test-token-not-secret");
	token = fx_path(f, "token");
	assert_string_equal(s->access_token_file, token);
	free(token);
	assert_int_equal(s->implicit_rule, 0);
	assert_int_equal(s->nrules, 4);
	assert_int_equal(s->rules[0]->type, EV_PAGE_VISIT);
	assert_int_equal(s->rules[1]->type, EV_ADD_TO_CART);
	assert_string_equal(s->rules[1]->methods[0], "POST");
	assert_int_equal(s->rules[2]->type, EV_SEARCH);
	assert_int_equal(s->rules[3]->type, EV_CHECKOUT);
	assert_int_equal(s->rules[3]->field[RF_VALUE].n, 2);
	assert_int_equal(s->rules[3]->field[RF_CURRENCY].n, 2);
	assert_int_equal(s->rules[3]->field[RF_CURRENCY].alt[1].kind, SRC_LITERAL);
	assert_string_equal(s->rules[3]->field[RF_CURRENCY].alt[1].text, "USD");
	/* hosts is left to its default, url's host: a copy whose url is
	 * changed must not keep the example's hosts. */
	assert_int_equal(words_count(s->hosts), 1);
	assert_string_equal(s->hosts[0], "shop.example.com");
	assert_int_equal(s->routed, 0);
	assert_null(r->cfg->sites[0]->tag_id);

	/* `pintail check` says so and exits 0. */
	{
		char *out;
		int rc = run_check(f->conf, &out);
		assert_int_equal(rc, EXIT_OK);
		assert_contains(out, "configuration OK");
		assert_contains(out, "site shop:");
		assert_not_contains(out, "warning");
		free(out);
	}
	free(text);
	free(sample);
	free(sample_path);
}

/* A minimal site gets SPEC §3's defaults. */
static void test_defaults(void **state)
{
	struct fx *f = *state;
	struct tu_loaded *r;
	struct site *s;
	struct rule *pv;
	char *state_dir;

	f->real_bots = 1;
	fx_new(f, NULL, BASE);
	r = expect_loaded(f, 0);
	state_dir = fx_path(f, "state");
	assert_string_equal(r->cfg->agent.state_dir, state_dir);
	free(state_dir);
	assert_string_equal(r->cfg->agent.include, "conf.d/*.conf");
	assert_int_equal(r->cfg->agent.log_level, LOG_INFO);
	assert_int_equal(r->cfg->agent.spool_max, 512ULL * 1024 * 1024);
	assert_int_equal(r->cfg->agent.max_line, 64 * 1024);
	assert_int_equal(r->cfg->agent.rotate_wait, 60000);
	assert_int_equal(r->cfg->agent.retry_min, 1000);
	assert_int_equal(r->cfg->agent.retry_max, 300000);
	assert_int_equal(r->cfg->agent.pause_retry, 60000);
	assert_int_equal(r->cfg->agent.outage_warn, 600000);
	assert_non_null(r->cfg->bots);

	s = r->cfg->sites[0];
	assert_string_equal(s->url_base, "https://shop.example.com");
	assert_string_equal(s->url_scheme, "https");
	assert_int_equal(words_count(s->hosts), 1);
	assert_string_equal(s->hosts[0], "shop.example.com");
	assert_int_equal(s->read_from, READ_FROM_END);
	assert_int_equal(s->client_ip, CLIENT_IP_REMOTE_ADDR);
	assert_int_equal(s->click_memory, 30LL * 86400 * 1000);
	assert_int_equal(words_count(s->strip_params), 15);
	assert_true(words_has(s->strip_params, "email"));
	assert_true(words_has(s->strip_params, "code"));
	assert_null(s->tag_id);
	assert_int_equal(s->test_mode, 0);
	assert_string_equal(s->api_url, "https://api.pinterest.com/v5");
	assert_null(s->ca_file);
	assert_int_equal(s->batch_max, 1000);
	assert_int_equal(s->flush_interval, 2000);
	assert_int_equal(s->timeout, 30000);
	assert_int_equal(s->max_event_age, 7LL * 86400 * 1000);
	assert_int_equal(s->exclude_bots, 1);
	assert_null(s->exclude_agents.rx);
	assert_non_null(s->exclude_paths.rx);
	assert_int_equal(s->exclude_ips.n, 0);
	assert_true(status_set_has(&s->status, 200));
	assert_true(status_set_has(&s->status, 399));
	assert_false(status_set_has(&s->status, 400));
	assert_false(status_set_has(&s->status, 199));
	assert_int_equal(s->routed, 0);

	/* No [event]: one implicit page_visit for GET 200-299 and 304. */
	assert_int_equal(s->implicit_rule, 1);
	assert_int_equal(s->nrules, 1);
	pv = s->rules[0];
	assert_int_equal(pv->type, EV_PAGE_VISIT);
	assert_null(pv->path.rx);
	assert_int_equal(words_count(pv->methods), 1);
	assert_string_equal(pv->methods[0], "GET");
	assert_true(status_set_has(&pv->status, 200));
	assert_true(status_set_has(&pv->status, 299));
	assert_true(status_set_has(&pv->status, 304));
	assert_false(status_set_has(&pv->status, 301));

	/* An empty value unsets a key; trailing slashes go; the port is no host. */
	fx_new(f, NULL,
	       "[site]\n"
	       "url = https://shop.example.com:8443/\n"
	       "logs = /var/log/nginx/shop.log\n"
	       "parser = nginx_combined\n"
	       "strip_params = email,phone, token\n"
	       "[pinterest]\n" AD_LINE TOKEN_LINE
	       "api_url = https://127.0.0.1:9443/v5/\n"
	       "[filter]\n"
	       "exclude_paths =\n"
	       "exclude_bots = false\n"
	       "[event c]\n"
	       "type = checkout\n"
	       "methods = get, post\n");
	r = expect_loaded(f, 0);
	s = r->cfg->sites[0];
	/* Lists of names take commas too ("email,phone" is not one name). */
	assert_int_equal(words_count(s->strip_params), 3);
	assert_true(words_has(s->strip_params, "phone"));
	assert_true(words_has(s->strip_params, "token"));
	assert_string_equal(s->url_base, "https://shop.example.com:8443");
	assert_string_equal(s->hosts[0], "shop.example.com");
	assert_string_equal(s->api_url, "https://127.0.0.1:9443/v5");
	assert_null(s->exclude_paths.rx);
	assert_null(s->exclude_paths.src);
	assert_int_equal(s->exclude_bots, 0);
	assert_null(r->cfg->bots);
	assert_int_equal(s->implicit_rule, 0);
	assert_int_equal(words_count(s->rules[0]->methods), 2);
	assert_string_equal(s->rules[0]->methods[0], "GET");
	assert_string_equal(s->rules[0]->methods[1], "POST");
	/* A rule without status takes [filter]'s. */
	assert_memory_equal(&s->rules[0]->status, &s->status, sizeof s->status);
}

/* ================= generic refusals ================= */

static void test_unknown_section(void **state)
{
	struct fx *f = *state;
	struct tu_loaded *r;

	fx_new(f, NULL, BASE "\n[pinterst]\ntest_mode = true\n\n[frobnicate]\nx = 1\n");
	r = expect_refused(f, f->site, 10, "unknown section [pinterst]; did you mean [pinterest]?");
	assert_error_at(r->out, f->site, 13, "unknown section [frobnicate]");
	/* The keys under them are not reported again. */
	assert_int_equal(r->errors, 2);

	/* In pintail.conf too (its line 5 is the first extra line). */
	fx_new(f, "[agnet]\nlog_level = debug\n", BASE);
	r = expect_refused(f, f->conf, 5, "unknown section [agnet]; did you mean [agent]?");
	assert_int_equal(r->errors, 1);

	/* A site file takes no [parser] (nor [agent]): said where they go,
	 * not "did you mean [event]?". */
	fx_new(f, NULL, BASE "[parser mine]\nformat = json\n");
	expect_refused_once(f, f->site, 9, "[parser] belongs in a parser file (in a parsers folder), not here");
	fx_new(f, NULL, BASE "[agent]\nlog_level = debug\n");
	r = expect_refused_once(f, f->site, 9, "[agent] belongs in pintail.conf, not here (this file takes site, pinterest ...)");
	assert_not_contains(r->out, "did you mean");
	/* And pintail.conf takes no site's sections. */
	fx_new(f, "[pinterest]\ntest_mode = true\n", BASE);
	expect_refused_once(f, f->conf, 5, "[pinterest] belongs in a site file (conf.d/SITE.conf), not here");
}

/*
 * "[site NAME]" is no section of a site file; the message must not suggest
 * the very section the user wrote ("unknown section [site]; did you mean
 * [site]?") but say that [site] takes no name.
 */
static void test_section_with_stray_argument(void **state)
{
	struct fx *f = *state;
	struct tu_loaded *r;

	fx_new(f, NULL, "[site shop]\n" BASE);
	r = expect_refused(f, f->site, 1, "[site");
	assert_not_contains(r->out, "did you mean [site]?");

	fx_new(f, "[agent main]\n", BASE);
	r = expect_refused(f, f->conf, 5, "[agent");
	assert_not_contains(r->out, "did you mean [agent]?");
}

static void test_unknown_key(void **state)
{
	struct fx *f = *state;
	struct tu_loaded *r;

	/* A near miss: named with a suggestion, its value never echoed. */
	fx_new(f, NULL, HEAD "ad_acount_id = SECRETVALUE123\n" TOKEN_LINE);
	r = expect_refused(f, f->site, 7,
			   "unknown key \"ad_acount_id\" in [pinterest]; did you mean \"ad_account_id\"?");
	assert_not_contains(r->out, "SECRETVALUE123");
	/* ... and the real key is then missing: said at its section. */
	assert_error_at(r->out, f->site, 6, "[pinterest] ad_account_id is required");
	assert_int_equal(r->errors, 2);

	/* No near key: no suggestion, still no value. */
	fx_new(f, NULL, BASE "[filter]\nfrobnicate = SECRETVALUE123\n");
	r = expect_refused(f, f->site, 10, "unknown key \"frobnicate\" in [filter]");
	assert_not_contains(r->out, "did you mean");
	assert_not_contains(r->out, "SECRETVALUE123");
	assert_int_equal(r->errors, 1);

	/* A key of another section is refused where it stands, with where it
	 * belongs.  With the token missing from [pinterest] then, that is
	 * said at [pinterest]'s line. */
	fx_new(f, NULL, BASE "url = https://other.example\n");
	expect_refused_once(f, f->site, 9, "url is no key of [pinterest]: it belongs in [site]");
	fx_new(f, NULL,
	       "[site]\nurl = https://shop.example.com\nlogs = /var/log/nginx/shop.log\n"
	       "parser = nginx_combined\naccess_token_file = /etc/pintail/shop.token\n"
	       "[pinterest]\n" AD_LINE "status = 200-299\n");
	r = expect_refused(f, f->site, 5, "access_token_file is no key of [site]: it belongs in [pinterest]");
	assert_error_at(r->out, f->site, 8,
			"status is no key of [pinterest]: it belongs in [filter] or an [event NAME] section");
	assert_error_at(r->out, f->site, 7, "[pinterest] needs access_token_file (or access_token)");
	fx_new(f, NULL,
	       "[site]\nurl = https://shop.example.com\nlogs = /var/log/nginx/shop.log\n"
	       "parser = nginx_combined\n\n[pinterest]\n[filter]\nad_account_id = 549755885175\n");
	r = expect_refused(f, f->site, 8, "ad_account_id is no key of [filter]: it belongs in [pinterest]");
	assert_error_at(r->out, f->site, 6, "[pinterest] needs access_token_file (or access_token)");
	fx_new(f, "exclude_bots = false\n", BASE);
	expect_refused_once(f, f->conf, 5, "exclude_bots is no key of [agent]: it belongs in [filter]");

	/* Other words for a key. */
	fx_new(f, NULL, BASE "[event buy]\ntype = checkout\nemail = query:email\nevent_type = lead\n");
	r = expect_refused(f, f->site, 11, "unknown key \"email\" in [event]; did you mean \"em\"?");
	assert_error_at(r->out, f->site, 12, "unknown key \"event_type\" in [event]; did you mean \"type\"?");

	/* In [agent] and in an [event]. */
	fx_new(f, "log_levl = SECRETVALUE123\n", BASE "[event c]\ntype = checkout\ncurency = USD\n");
	r = fx_load(f);
	assert_null(r->cfg);
	assert_error_at(r->out, f->conf, 5, "unknown key \"log_levl\" in [agent]; did you mean \"log_level\"?");
	assert_error_at(r->out, f->site, 11, "unknown key \"curency\" in [event]; did you mean \"currency\"?");
	assert_not_contains(r->out, "SECRETVALUE123");
	assert_int_equal(r->errors, 2);

	/* A token pasted alone on a line is not echoed either. */
	fx_new(f, NULL, BASE "pina_SECRETVALUE123\n");
	r = expect_refused(f, f->site, 9, "expected \"key = value\"");
	assert_not_contains(r->out, "SECRETVALUE123");
}

static void test_key_set_twice(void **state)
{
	struct fx *f = *state;
	struct tu_loaded *r;

	fx_new(f, NULL, BASE "ad_account_id = 549755885176\n");
	expect_refused_once(f, f->site, 9, "ad_account_id is set twice in [pinterest] (first on line 7)");

	/* Also across two [site] sections, in an [event] and in [agent]. */
	fx_new(f, "rotate_wait = 1s\nrotate_wait = 2s\n",
	       BASE "[site]\nparser = nginx_json\n[event c]\ntype = checkout\ntype = lead\n");
	r = fx_load(f);
	assert_null(r->cfg);
	assert_error_at(r->out, f->conf, 6, "rotate_wait is set twice in [agent] (first on line 5)");
	assert_error_at(r->out, f->site, 10, "parser is set twice in [site] (first on line 4)");
	assert_error_at(r->out, f->site, 13, "type is set twice in [event] (first on line 12)");
	assert_int_equal(r->errors, 3);

	/* Two [event] sections of one name. */
	fx_new(f, NULL, BASE "[event c]\ntype = checkout\n[event c]\ntype = lead\n");
	r = expect_refused(f, f->site, 11, "[event c] is defined twice (first on line 9)");
}

/* Every problem of every file is reported in one pass. */
static void test_all_problems_in_one_pass(void **state)
{
	struct fx *f = *state;
	struct tu_loaded *r;

	fx_new(f, "rotate_wait = 5x\n",
	       HEAD "ad_account_id = 54975588517x\n" TOKEN_LINE "batch_max = 0\n"
		    "[filter]\nstatus = 700-800\n[event e]\ntype = purchase\n");
	r = fx_load(f);
	assert_null(r->cfg);
	assert_error_at(r->out, f->conf, 5, "rotate_wait");
	assert_error_at(r->out, f->site, 7, "ad_account_id");
	assert_error_at(r->out, f->site, 9, "batch_max");
	assert_error_at(r->out, f->site, 11, "status");
	assert_error_at(r->out, f->site, 13, "unknown event type");
	assert_int_equal(r->errors, 5);
}

static void test_missing_required_keys(void **state)
{
	struct fx *f = *state;
	struct tu_loaded *r;

	fx_new(f, NULL, "# a site with only a token\n[pinterest]\n" TOKEN_LINE);
	r = expect_refused(f, f->site, 2, "[site] url is required");
	assert_error_at(r->out, f->site, 2, "[site] logs is required");
	assert_error_at(r->out, f->site, 2, "[site] parser is required");
	assert_error_at(r->out, f->site, 2, "[pinterest] ad_account_id is required");
	assert_int_equal(r->errors, 4);

	/* An empty value is no value. */
	fx_new(f, NULL,
	       "[site]\nurl =\nlogs = /var/log/nginx/shop.log\nparser =\n\n[pinterest]\n" AD_LINE
		       TOKEN_LINE);
	r = expect_refused(f, f->site, 2, "url needs a value");
	assert_error_at(r->out, f->site, 4, "parser needs a value");
	assert_int_equal(r->errors, 2);

	/* A bad url. */
	fx_new(f, NULL,
	       "[site]\nurl = shop.example.com\nlogs = /var/log/nginx/shop.log\nparser = nginx_combined\n\n[pinterest]\n" AD_LINE
		       TOKEN_LINE);
	r = expect_refused(f, f->site, 2, "bad value for url");

	/* The request URI is appended to url: a query or fragment would
	 * swallow it, and a user:password would go out in every event. */
	{
		static const char *const bad[] = {"https://user:SECRETPW@shop.example.com",
						  "https://shop.example.com/shop?ref=x",
						  "https://shop.example.com/#top"};
		for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
			r = expect_value_refused(f, 0, HEAD_URL_AS("%s") AD_LINE TOKEN_LINE, bad[i], 2,
						 "bad value for url: expected an http:// or https:// URL with a host, and no user:password, query or fragment");
			assert_not_contains(r->out, "SECRETPW");
		}
	}
	/* An "@" in the path is no user. */
	fx_new(f, NULL, HEAD_URL_AS("https://shop.example.com/@shop") AD_LINE TOKEN_LINE);
	expect_loaded(f, 0);

	/* What would reach every event_source_url broken: a pasted
	 * non-breaking space, a comment without its blank, a bad port, an
	 * unclosed IPv6 host. */
	{
		static const struct {
			const char *url, *why;
		} bad[] = {
			{"https://shop.example.com\xc2\xa0", "url: the URL holds a non-breaking space (pasted with it?)"},
			{"https://shop.example.com/a\xc2\xa0", "url: the URL holds a non-breaking space (pasted with it?)"},
			{"https://sh\xc3\xb6p.example.com", "url: the host is not ASCII: write a non-ASCII host name in its xn-- form"},
			{"https://[]", "url: the host in brackets is no IPv6 address"},
			{"https://[:::::]", "url: the host in brackets is no IPv6 address"},
			{"https://[1.2.3.4]", "url: the host in brackets is no IPv6 address"},
			{"https://shop.example.com;main", "url: the host holds ';', which no host name has (a comment is written after \" ;\", with a blank first)"},
			{"https://shop.example.com:abc", "url: the port after the host must be a number from 1 to 65535"},
			{"https://shop.example.com:99999", "url: the port after the host must be a number from 1 to 65535"},
			{"https://shop.example.com:0", "url: the port after the host must be a number from 1 to 65535"},
			{"https://shop.example.com:/x", "url: the port after the host must be a number from 1 to 65535"},
			{"https://[::1", "url: an IPv6 host is written in brackets"},
			{"https://[shop]", "url: the host in brackets is no IPv6 address"},
		};
		for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
			expect_value_refused(f, 0, HEAD_URL_AS("%s") AD_LINE TOKEN_LINE, bad[i].url, 2, bad[i].why);
		}
	}
	/* Fine: IPv6 with a port, UTF-8 in the path, an IPv6 zone, an IDN. */
	{
		static const char *const good[] = {"https://[2001:db8::1]:8443/shop",
						   "https://shop.example.com/fr/boutique-\xc3\xa9t\xc3\xa9",
						   "https://[fe80::1%25eth0]", "https://shop-1.xn--80ak6aa92e.com:443"};
		for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
			fx_new_value(f, 0, HEAD_URL_AS("%s") AD_LINE TOKEN_LINE, good[i]);
			expect_loaded(f, 0);
		}
	}
}

/* ================= ids ================= */

static void test_ad_account_id_not_numeric(void **state)
{
	static const char *const bad[] = {"54975588517x", "549 755 885 175", "-549755885175",
					  "0x7fffffff", "549755885175.0"};
	struct fx *f = *state;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct tu_loaded *r =
			expect_value_refused(f, 0, HEAD "ad_account_id = %s\n" TOKEN_LINE, bad[i], 7,
					     "bad value for ad_account_id: expected digits only, at most 18");
		assert_not_contains(r->out, bad[i]);
	}
}

static void test_ad_account_id_19_digits(void **state)
{
	struct fx *f = *state;

	fx_new(f, NULL, HEAD "ad_account_id = 5497558851751234567\n" TOKEN_LINE);
	expect_refused_once(f, f->site, 7, "ad_account_id: expected digits only, at most 18");
	/* A leading 0: no Pinterest id has one (and the Tag ID check would miss
	 * "0549755885175" for 549755885175). */
	fx_new(f, NULL, HEAD "ad_account_id = 0549755885175\n" TOKEN_LINE);
	expect_refused_once(f, f->site, 7,
			    "ad_account_id: Pinterest's ids do not begin with 0: copy it again from Ads Manager");
	fx_new(f, NULL, BASE "tag_id = 0549755885175\n");
	expect_refused_once(f, f->site, 9, "tag_id: Pinterest's ids do not begin with 0");

	/* 18 digits is the most, and fine. */
	fx_new(f, NULL, HEAD "ad_account_id = 549755885175123456\n" TOKEN_LINE);
	expect_loaded(f, 0);
}

static void test_tag_id_not_numeric(void **state)
{
	struct fx *f = *state;
	struct tu_loaded *r;

	fx_new(f, NULL, BASE "tag_id = 26179980782l2\n");
	r = expect_refused(f, f->site, 9, "bad value for tag_id: expected digits only");
	assert_not_contains(r->out, "26179980782l2");
	assert_int_equal(r->errors, 1);

	/* A real-looking one loads. */
	fx_new(f, NULL, BASE "tag_id = 2617998078212\n");
	r = expect_loaded(f, 0);
	assert_string_equal(r->cfg->sites[0]->tag_id, "2617998078212");
}

/*
 * hosts set without url's host (the example's hosts kept, url changed): a
 * warning at the hosts line.  Listed, in any case: none.
 */
static void test_hosts_without_url_host(void **state)
{
	struct fx *f = *state;
	struct tu_loaded *r;
#define HOSTS_SITE(url, hosts)                                                                   \
	"[site]\nurl = " url "\nhosts = " hosts "\nlogs = /var/log/nginx/shop.log\n"             \
	"parser = nginx_combined\n\n[pinterest]\n" AD_LINE TOKEN_LINE

	fx_new(f, NULL, HOSTS_SITE("https://www.mysite.org", "shop.example.com www.shop.example.com"));
	r = expect_loaded(f, 1);
	assert_warning_at(r->out, f->site, 3, "hosts does not name url's host www.mysite.org: a referer from it gives no click id; add it");
	fx_new(f, NULL, HOSTS_SITE("https://WWW.mysite.org:8443/shop", "mysite.org www.mysite.org"));
	expect_loaded(f, 0);
#undef HOSTS_SITE
}

static void test_tag_id_equals_ad_account_id(void **state)
{
	struct fx *f = *state;
	struct tu_loaded *r;

	fx_new(f, NULL, BASE "tag_id = 549755885175\n");
	r = expect_refused_once(f, f->site, 9, "the Tag ID is the browser tag's, not the ad account's");
	/* It is refused, not also warned about as swapped. */
	assert_int_equal(r->warnings, 0);
}

static void test_ids_look_swapped(void **state)
{
	struct fx *f = *state;
	struct tu_loaded *r;

	/* A 13-digit 26... ad account id. */
	fx_new(f, NULL, HEAD "ad_account_id = 2617998078212\n" TOKEN_LINE);
	r = expect_loaded(f, 1);
	assert_warning_at(r->out, f->site, 7, "ad_account_id looks like a Tag ID");
	assert_string_equal(r->cfg->sites[0]->ad_account_id, "2617998078212");

	/* A 12-digit 549... tag id. */
	fx_new(f, NULL, BASE "tag_id = 549755885176\n");
	r = expect_loaded(f, 1);
	assert_warning_at(r->out, f->site, 9, "swapped");

	/* Both. */
	fx_new(f, NULL, HEAD "ad_account_id = 2617998078212\n" TOKEN_LINE "tag_id = 549755885175\n");
	r = expect_loaded(f, 2);
	assert_warning_at(r->out, f->site, 7, "looks like a Tag ID");
	assert_warning_at(r->out, f->site, 9, "swapped");

	/* Near misses are not warned about. */
	fx_new(f, NULL, HEAD "ad_account_id = 261799807821\n" TOKEN_LINE "tag_id = 5497558851750\n");
	expect_loaded(f, 0);
}

/* ================= rules ================= */

static void test_event_type_outside_list(void **state)
{
	/* With the type most likely meant, or else the list. */
	static const struct {
		const char *v, *want;
	} bad[] = {
		{"purchase", "type: unknown event type; did you mean \"checkout\"?"},
		{"app_install", "type: unknown event type; use one of add_payment_info "},
		{"PageVisit", "type: unknown event type; did you mean \"page_visit\"?"},
		{"pagevisit", "type: unknown event type; did you mean \"page_visit\"?"},
		{"page_visit2", "type: unknown event type; did you mean \"page_visit\"?"},
		{"Checkout", "type: unknown event type; did you mean \"checkout\"?"},
		{"something", "type: unknown event type; use one of add_payment_info "},
	};
	struct fx *f = *state;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		expect_value_refused(f, 0, BASE "\n[event e]\ntype = %s\n", bad[i].v, 11, bad[i].want);
	}
	/* Other values: the word meant, a unit's stray B, quotes, a comment. */
	expect_value_refused(f, 1, "log_level = %s\n", "warning", 5,
			     "bad value for log_level: expected error, warn, info or debug; did you mean \"warn\"?");
	expect_value_refused(f, 1, "log_level = %s\n", "INFO", 5, "did you mean \"info\"?");
	expect_value_refused(f, 0, HEAD_URL_AS("https://shop.example.com") AD_LINE TOKEN_LINE "[site]\nread_from = %s\n",
			     "Beginning", 10, "did you mean \"beginning\"?");
	expect_value_refused(f, 1, "spool_max = %s\n", "512MB", 5,
			     "(the unit is one letter: K, M or G, without B)");
	expect_value_refused(f, 1, "spool_max = %s\n", "1GiB", 5, "(the unit is one letter: K, M or G, without B)");
	expect_value_refused(f, 0, HEAD_URL_AS("%s") AD_LINE TOKEN_LINE, "\"https://shop.example.com\"", 2,
			     "bad value for url: expected an http:// or https:// URL with a host, and no "
			     "user:password, query or fragment (values are written without quotes)");
	expect_value_refused(f, 0, HEAD "ad_account_id = %s\n" TOKEN_LINE, "549755885175 # mine", 7,
			     "(a comment after a value begins with \" ;\", not \"#\")");
	/* ... said before a near word: the word itself is right then. */
	expect_value_refused(f, 1, "log_level = %s\n", "info # the default", 5,
			     "bad value for log_level: expected error, warn, info or debug (a comment after a value "
			     "begins with \" ;\", not \"#\")");
	expect_value_refused(f, 0, BASE "\n[event e]\ntype = %s\n", "\"checkout\"", 11,
			     "type: unknown event type (values are written without quotes); use one of");
	/* The key for a token written in place. */
	expect_value_refused(f, 0, BASE "%s = pina_SECRETVALUE123\n", "token", 9,
			     "unknown key \"token\" in [pinterest]; did you mean \"access_token\"?");

	/* Every listed type is accepted. */
	{
		static const char *const good[] = {
			"add_payment_info", "add_to_cart", "add_to_wishlist", "checkout", "custom",
			"initiate_checkout", "lead", "page_visit", "search", "signup", "subscribe",
			"view_category", "view_content", "watch_video"};
		char *text = strdup(BASE);
		for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
			char *more;
			assert_true(asprintf(&more, "%s[event r%zu]\ntype = %s\npath = ^/r%zu$\n", text, i,
					     good[i], i) > 0);
			free(text);
			text = more;
		}
		fx_new(f, NULL, text);
		free(text);
		{
			struct tu_loaded *r = expect_loaded(f, 0);
			assert_int_equal(r->cfg->sites[0]->nrules, 14);
			for (size_t i = 0; i < 14; i++) {
				assert_string_equal(event_type_name((enum event_type)r->cfg->sites[0]->rules[i]->type),
						    good[i]);
			}
		}
	}
}

static void test_event_without_type(void **state)
{
	struct fx *f = *state;

	fx_new(f, NULL, BASE "\n[event thanks]\npath = ^/thanks\n");
	expect_refused_once(f, f->site, 10, "[event thanks] needs a type");

	/* A nameless [event]. */
	fx_new(f, NULL, BASE "[event]\ntype = checkout\n");
	expect_refused_once(f, f->site, 9, "an event section needs a name: [event NAME]");
}

/*
 * "type =" (an empty value) unsets the type, and must be refused like a
 * missing type: the rule would otherwise be loaded with type -1, and
 * event_type_name(-1) (print_site in cmd_check.c, every event it emits)
 * reads out of bounds.
 */
static void test_event_empty_type(void **state)
{
	struct fx *f = *state;
	struct tu_loaded *r;

	fx_new(f, NULL, BASE "\n[event thanks]\ntype =\npath = ^/thanks\n");
	r = fx_load(f);
	if (r->cfg != NULL) {
		assert_int_equal(r->cfg->sites[0]->rules[0]->type, -1);
		fail_msg("a rule with \"type =\" was accepted with type -1:\n%s", r->out);
	}
	assert_contains(r->out, "type");
	assert_contains(r->out, f->site);
}

static void test_path_regex_does_not_compile(void **state)
{
	struct fx *f = *state;
	struct tu_loaded *r;

	fx_new(f, NULL, BASE "\n[event c]\ntype = checkout\npath = ^/checkout/(thank-you\n");
	expect_refused_once(f, f->site, 12, "path: the regex does not compile at offset");

	/* The filter's regexes too. */
	fx_new(f, NULL, BASE "[filter]\nexclude_agents = (?<bad\nexclude_paths = [a-\n");
	r = expect_refused(f, f->site, 10, "exclude_agents: the regex does not compile at offset");
	assert_error_at(r->out, f->site, 11, "exclude_paths: the regex does not compile at offset");
	assert_int_equal(r->errors, 2);
}

static void test_group_source(void **state)
{
	struct fx *f = *state;
	struct tu_loaded *r;

	/* A group the path does not have. */
	fx_new(f, NULL,
	       BASE "\n[event p]\ntype = view_content\npath = ^/p/(?<sku>[0-9]+)\ncontent_ids = query:id | group:id\n");
	expect_refused_once(f, f->site, 13, "content_ids: group:id is not a named group of this rule's path");

	/* A group with no path at all. */
	fx_new(f, NULL, BASE "\n[event p]\ntype = view_content\ncontent_name = group:name\n");
	expect_refused_once(f, f->site, 12, "group:name is not a named group");

	/* The group it has: fine, and resolved. */
	fx_new(f, NULL,
	       BASE "\n[event p]\ntype = view_content\npath = ^/p/(?<sku>[0-9]+)\ncontent_ids = group:sku\n");
	r = expect_loaded(f, 0);
	assert_int_equal(r->cfg->sites[0]->rules[0]->field[RF_CONTENT_IDS].alt[0].kind, SRC_GROUP);
	assert_int_equal(r->cfg->sites[0]->rules[0]->field[RF_CONTENT_IDS].alt[0].group, 1);
}

static void test_group_on_hashed_field(void **state)
{
	static const char *const keys[] = {"em", "ph", "external_id"};
	struct fx *f = *state;

	for (size_t i = 0; i < 3; i++) {
		struct tu_loaded *r = expect_value_refused(
			f, 0, BASE "\n[event s]\ntype = signup\npath = ^/u/(?<v>[^/]+)\n%s = query:x | group:v\n",
			keys[i], 13, "hashed user fields take only query: sources or literals");
		assert_contains(r->out, keys[i]);
	}

	/* query: is fine; a literal too, with a warning: every visitor it
	 * reaches would be one user to Pinterest. */
	fx_new(f, NULL, BASE "\n[event s]\ntype = signup\nem = query:email\nexternal_id = query:uid | anonymous\n");
	assert_warning_at(expect_loaded(f, 1)->out, f->site, 13,
			  "external_id: alternative 2 is a literal: every visitor's event gets that same "
			  "external_id; for a query parameter write query:NAME");

	/* Literals that do not fit their field would never be sent, and a
	 * misspelt source is no literal meant: refused. */
	{
		static const struct {
			const char *lines, *why;
			int at;
		} bad[] = {
			{"value = query:v | 12,50", "value: alternative 2 is a literal that is no decimal number", 12},
			{"currency = EURO", "currency: alternative 1 is a literal that is no three-letter ISO 4217", 12},
			{"num_items = two", "num_items: alternative 1 is a literal that is no number of items", 12},
			{"value = querry:total", "value: alternative 1 starts with \"querry:\"; did you mean query:?", 12},
		};
		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			expect_value_refused(f, 0, BASE "\n[event c]\ntype = checkout\n%s\n", bad[i].lines, bad[i].at,
					     bad[i].why);
		}
	}
	fx_new(f, NULL,
	       BASE "\n[event c]\ntype = checkout\nvalue = query:v | 0\ncurrency = query:c | eur\nnum_items = 1\n"
		    "content_name = Sale: 50% off\ncontent_category = query:cat | Queen: bed frames\n");
	expect_loaded(f, 0);
	/* A source misspelt where a literal could be meant: said, not refused. */
	fx_new(f, NULL,
	       BASE "\n[event c]\ntype = checkout\norder_id = querry:o\npath = ^/(?<h>x)\n"
		    "content_ids = query:id | Group:h\n");
	{
		const char *out = expect_loaded(f, 2)->out;
		assert_warning_at(out, f->site, 12, "order_id: alternative 1 starts with \"querry:\"; did you mean query:?");
		assert_warning_at(out, f->site, 14, "content_ids: alternative 2 starts with \"Group:\"; did you mean group:?");
	}

	/* An empty alternative is refused. */
	fx_new(f, NULL, BASE "\n[event s]\ntype = signup\nvalue = query:v ||\n");
	expect_refused(f, f->site, 12, "an empty alternative");

	/* A source without its name is refused, not taken as the literal
	 * text "query:" (nor "group:" slipped into a hashed field). */
	fx_new(f, NULL, BASE "\n[event c]\ntype = checkout\norder_id = query:\n");
	expect_refused_once(f, f->site, 12, "order_id: query: needs a parameter name");
	fx_new(f, NULL, BASE "\n[event c]\ntype = checkout\npath = ^/(?<o>x)\norder_id = group: \n");
	expect_refused_once(f, f->site, 13, "order_id: group: needs a group name");
	fx_new(f, NULL, BASE "\n[event c]\ntype = checkout\nem = group:\n");
	expect_refused_once(f, f->site, 12, "em: hashed user fields take only query: sources or literals");
	/* A blank after the colon is no part of the name. */
	fx_new(f, NULL, BASE "\n[event c]\ntype = checkout\norder_id = query: order\n");
	{
		struct tu_loaded *r = expect_loaded(f, 0);
		const struct source *src = &r->cfg->sites[0]->rules[0]->field[RF_ORDER_ID].alt[0];
		assert_int_equal(src->kind, SRC_QUERY);
		assert_string_equal(src->text, "order");
	}
}

/* ================= typed values ================= */

static void test_bad_duration(void **state)
{
	static const char *const bad[] = {"5x", "1.5s", "-1", "s", "10ms", "5 m", "1w"};
	struct fx *f = *state;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		expect_value_refused(f, 1, "rotate_wait = %s\n", bad[i], 5,
				     "bad value for rotate_wait: expected a number with s, m, h or d");
	}
	/* In a site file as well. */
	fx_new(f, NULL, BASE "flush_interval = 2 seconds\n");
	expect_refused(f, f->site, 9, "bad value for flush_interval");

	/* Good ones. */
	fx_new(f, "rotate_wait = 90\nretry_max = 2h\noutage_warn = 1d\n", BASE "timeout = 5m\n");
	{
		struct tu_loaded *r = expect_loaded(f, 0);
		assert_int_equal(r->cfg->agent.rotate_wait, 90000);
		assert_int_equal(r->cfg->agent.retry_max, 7200000);
		assert_int_equal(r->cfg->agent.outage_warn, 86400000);
		assert_int_equal(r->cfg->sites[0]->timeout, 300000);
	}

	/* 0 where it would mean a request that never times out, or retries
	 * that never wait; allowed where it means "off" or "at once". */
	{
		static const char *const agent_keys[] = {"rotate_wait", "retry_min", "retry_max",
							 "pause_retry"};
		static const char *const site_keys[] = {"timeout", "max_event_age"};
		char fmt[512];
		for (size_t i = 0; i < sizeof agent_keys / sizeof *agent_keys; i++) {
			char needle[64];
			snprintf(fmt, sizeof fmt, "%s = %%s\n", agent_keys[i]);
			snprintf(needle, sizeof needle, "%s: must be at least 1s, not 0", agent_keys[i]);
			expect_value_refused(f, 1, fmt, "0s", 5, needle);
		}
		for (size_t i = 0; i < sizeof site_keys / sizeof *site_keys; i++) {
			char needle[64];
			snprintf(fmt, sizeof fmt, BASE "%s = %%s\n", site_keys[i]);
			snprintf(needle, sizeof needle, "%s: must be at least 1s, not 0", site_keys[i]);
			expect_value_refused(f, 0, fmt, "0", 9, needle);
		}
		fx_new(f, "outage_warn = 0\n", BASE "flush_interval = 0s\n");
		expect_loaded(f, 0);
	}

	/* retry_min above retry_max. */
	fx_new(f, "retry_min = 10m\nretry_max = 1m\n", BASE);
	expect_refused(f, f->conf, 5, "retry_min must not exceed retry_max");
}

static void test_bad_size(void **state)
{
	static const char *const bad[] = {"12Q", "1.5G", "512MB", "M", "-1K", "99999999999999999999"};
	struct fx *f = *state;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		expect_value_refused(f, 1, "spool_max = %s\n", bad[i], 5, "bad value for spool_max: expected a size");
	}
	/* Out of range: max_line is 256 bytes to 16M. */
	fx_new(f, "max_line = 100\n", BASE);
	expect_refused(f, f->conf, 5, "bad value for max_line");
	fx_new(f, "max_line = 17M\n", BASE);
	expect_refused(f, f->conf, 5, "bad value for max_line");

	fx_new(f, "spool_max = 1G\nmax_line = 16M\n", BASE);
	{
		struct tu_loaded *r = expect_loaded(f, 0);
		assert_int_equal(r->cfg->agent.spool_max, 1024ULL * 1024 * 1024);
		assert_int_equal(r->cfg->agent.max_line, 16 * 1024 * 1024);
	}
}

static void test_bad_bool_and_enums(void **state)
{
	struct fx *f = *state;
	struct tu_loaded *r;

	fx_new(f, NULL, BASE "test_mode = maybe\n");
	expect_refused_once(f, f->site, 9, "bad value for test_mode: expected true or false");

	fx_new(f, NULL, BASE "[filter]\nexclude_bots = 2\n");
	expect_refused(f, f->site, 10, "bad value for exclude_bots");

	fx_new(f, "log_level = verbose\n", BASE);
	expect_refused(f, f->conf, 5, "bad value for log_level: expected error, warn, info or debug");

	fx_new(f, NULL, BASE "[site]\nread_from = start\n");
	expect_refused(f, f->site, 10, "bad value for read_from: expected end or beginning");

	fx_new(f, NULL, BASE "[site]\nclient_ip = x_forwarded_for\n");
	expect_refused(f, f->site, 10, "bad value for client_ip");

	fx_new(f, NULL, BASE "test_mode = yes\n");
	r = expect_loaded(f, 0);
	assert_int_equal(r->cfg->sites[0]->test_mode, 1);
}

static void test_bad_cidr(void **state)
{
	static const char *const bad[] = {"300.1.1.1", "10.0.0.0/33", "2001:db8::/129", "10.0.0.0/",
					  "10.0.0.0/8 hostname", "192.0.2.1/-1", "SECRETVALUE123"};
	struct fx *f = *state;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct tu_loaded *r = expect_value_refused(f, 0, BASE "\n[filter]\nexclude_ips = %s\n", bad[i], 11,
							   "exclude_ips: ");
		assert_contains(r->out, "is not an address or network such as 192.0.2.0/24 or 2001:db8::/32");
		assert_not_contains(r->out, "SECRETVALUE123");
	}
	/* The wrong item is named when it looks like an address, and by its
	 * place when it could be anything else. */
	expect_value_refused(f, 0, BASE "\n[filter]\nexclude_ips = %s\n", "10.0.0.0/8 192.0.2.300 ::1", 11,
			     "exclude_ips: \"192.0.2.300\" (item 2) is not an address");
	expect_value_refused(f, 0, BASE "\n[filter]\nexclude_ips = %s\n", "10.0.0.0/8 hostname", 11,
			     "exclude_ips: this (item 2) is not an address");
	/* An IPv4-mapped network with IPv4's prefix would cover every IPv4
	 * client: refused, with the network most likely meant. */
	expect_value_refused(f, 0, BASE "\n[filter]\nexclude_ips = %s\n", "192.0.2.0/24 ::ffff:10.0.0.0/8", 11,
			     "exclude_ips: \"::ffff:10.0.0.0/8\" (item 2) is an IPv4-mapped address with a prefix "
			     "under /96, which would cover every IPv4 client; write the IPv4 network 10.0.0.0/8");
	expect_value_refused(f, 0, BASE "\n[filter]\nexclude_ips = %s\n", "::ffff:10.1.2.3/8", 11,
			     "write the IPv4 network 10.0.0.0/8");
	expect_value_refused(f, 0, BASE "\n[filter]\nexclude_ips = %s\n", "::ffff:0.0.0.0/95", 11,
			     "write the IPv4 network, such as 10.0.0.0/8");
	/* Host bits set: accepted as the network, and said. */
	fx_new(f, NULL, BASE "\n[filter]\nexclude_ips = 192.0.2.0/24 10.1.2.3/8\n");
	{
		struct tu_loaded *r = expect_loaded(f, 1);
		assert_warning_at(r->out, f->site, 11,
				  "exclude_ips: item 2 has host bits set, and is read as the network 10.0.0.0/8; "
				  "write that, or one address without a prefix");
	}
	fx_new(f, NULL, BASE "\n[filter]\nexclude_ips = 192.0.2.0/24, 2001:db8::/32 203.0.113.7 ::1\n");
	{
		struct tu_loaded *r = expect_loaded(f, 0);
		assert_int_equal(r->cfg->sites[0]->exclude_ips.n, 4);
	}
}

static void test_bad_status(void **state)
{
	static const char *const bad[] = {"700-800", "300-200", "99", "2xx-3xx", "200-", "abc", "600"};
	struct fx *f = *state;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		expect_value_refused(f, 0, BASE "\n[filter]\nstatus = %s\n", bad[i], 11,
				     "bad value for status: expected statuses or ranges within 100-599");
	}
	/* In a rule. */
	fx_new(f, NULL, BASE "[event c]\ntype = checkout\nstatus = 300-200\n");
	expect_refused(f, f->site, 11, "bad value for status");

	fx_new(f, NULL, BASE "[filter]\nstatus = 2xx, 304 400-404\n");
	{
		struct tu_loaded *r = expect_loaded(f, 0);
		struct site *s = r->cfg->sites[0];
		assert_true(status_set_has(&s->status, 200));
		assert_true(status_set_has(&s->status, 299));
		assert_true(status_set_has(&s->status, 304));
		assert_true(status_set_has(&s->status, 404));
		assert_false(status_set_has(&s->status, 301));
		assert_false(status_set_has(&s->status, 405));
	}
}

static void test_batch_max_bounds(void **state)
{
	static const char *const bad[] = {"0", "1001", "-1", "10k", "ten"};
	struct fx *f = *state;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		expect_value_refused(f, 0, BASE "batch_max = %s\n", bad[i], 9,
				     "bad value for batch_max: expected a whole number in range");
	}
	fx_new(f, NULL, BASE "batch_max = 1\n");
	assert_int_equal(expect_loaded(f, 0)->cfg->sites[0]->batch_max, 1);
	fx_new(f, NULL, BASE "batch_max = 1000\n");
	assert_int_equal(expect_loaded(f, 0)->cfg->sites[0]->batch_max, 1000);
}

/*
 * "An empty value unsets it": for status, unset must not mean "no status at
 * all", which silently drops every hit ([filter]) or makes a rule match
 * nothing ([event]).  Either the empty value is refused, or [filter] status
 * stops filtering and a rule's status falls back to [filter]'s.
 */
static void test_empty_status(void **state)
{
	struct fx *f = *state;
	struct tu_loaded *r;

	fx_new(f, NULL, BASE "[filter]\nstatus =\n");
	r = fx_load(f);
	if (r->cfg != NULL && !status_set_has(&r->cfg->sites[0]->status, 200)) {
		fail_msg("[filter] status = (empty) was loaded as the empty set: every hit would be filtered out");
	}

	fx_new(f, NULL, BASE "[event c]\ntype = checkout\nstatus =\n");
	r = fx_load(f);
	if (r->cfg != NULL) {
		struct site *s = r->cfg->sites[0];
		if (memcmp(&s->rules[0]->status, &s->status, sizeof s->status) != 0) {
			fail_msg("[event] status = (empty) was loaded as the empty set: the rule can never match");
		}
	}
}

/*
 * Keys the agent cannot do without (api_url, state_dir) must not be left
 * NULL by an empty value: refuse it ("needs a value") or keep the default.
 */
static void test_empty_needed_values(void **state)
{
	struct fx *f = *state;
	struct tu_loaded *r;

	fx_new(f, NULL, BASE "api_url =\n");
	r = fx_load(f);
	if (r->cfg != NULL && r->cfg->sites[0]->api_url == NULL) {
		fail_msg("api_url = (empty) was accepted and left api_url NULL");
	}

	fx_new(f, NULL, BASE);
	free(fx_write(f, "pintail.conf",
		      "[agent]\nstate_dir =\nparsers = @TOP@/parsers\nbots_file = @D@/bots.txt\n", 0644));
	r = fx_load(f);
	if (r->cfg != NULL && r->cfg->agent.state_dir == NULL) {
		fail_msg("state_dir = (empty) was accepted and left state_dir NULL");
	}
}

/* ================= the token ================= */

/*
 * A site whose access_token_file is DIR/NAME, holding CONTENT (NULL: there
 * is no such file); asserts it is refused with NEEDLE at that key's line.
 */
static struct tu_loaded *expect_token_refused(struct fx *f, const char *name, const char *content,
					      const char *needle)
{
	fx_new_value(f, 0, HEAD AD_LINE "access_token_file = @D@/%s\n", name);
	if (content != NULL) {
		free(fx_write(f, name, content, 0600));
	}
	return expect_refused(f, f->site, 8, needle);
}

static void test_token_file_missing(void **state)
{
	struct fx *f = *state;
	struct tu_loaded *r;

	r = expect_token_refused(f, "no-such.token", NULL, "no-such.token: No such file or directory");
	assert_int_equal(r->errors, 1);

	/* A relative path is taken from the site file's folder. */
	fx_new(f, NULL, HEAD AD_LINE "access_token_file = shop.token\n");
	r = expect_refused(f, f->site, 8, "conf.d/shop.token: No such file or directory");
}

static void test_token_file_unreadable(void **state)
{
	struct fx *f = *state;
	struct tu_loaded *r;
	char *p;

	/* A folder where the file should be (root passes access checks, so chmod 000 proves nothing). */
	fx_new(f, NULL, HEAD AD_LINE "access_token_file = @D@/tokendir\n");
	fx_mkdir(f, "tokendir");
	expect_refused_once(f, f->site, 8, "tokendir: Is a directory");

	/* An empty file, and one holding only blanks. */
	r = expect_token_refused(f, "empty.token", "", "empty.token: the file is empty");
	assert_int_equal(r->errors, 1);
	expect_token_refused(f, "empty.token", " \n\n", "the file is empty");

	/* Two lines, or a blank inside: not the token alone, and never echoed. */
	r = expect_token_refused(f, "bad.token", "SECRETVALUE123\nSECRETVALUE456\n",
				 "expected the token alone on one line");
	assert_not_contains(r->out, "SECRETVALUE");
	r = expect_token_refused(f, "bad.token", "Bearer SECRETVALUE123\n",
				 "bad.token: write the token alone, without \"Bearer \"");
	assert_not_contains(r->out, "SECRETVALUE");
	r = expect_token_refused(f, "bad.token", "\"pina_SECRETVALUE123\"\n",
				 "bad.token: write the token alone, without quotes");
	assert_not_contains(r->out, "SECRETVALUE");
	r = expect_token_refused(f, "bad.token", "PINTEREST_ACCESS_TOKEN=pina_SECRETVALUE123\n",
				 "bad.token: write the token alone, without the NAME= before it");
	assert_not_contains(r->out, "SECRETVALUE");
	/* The token itself written as access_token_file, bare, in quotes or
	 * after NAME=: no such file, and its value is never repeated. */
	{
		static const char *const pasted[] = {"pina_SECRETVALUE1234567890", "\"pina_SECRETVALUE1234567890\"",
						     "PINTEREST_ACCESS_TOKEN=pina_SECRETVALUE1234567890"};
		for (size_t i = 0; i < sizeof pasted / sizeof pasted[0]; i++) {
			r = expect_value_refused(f, 0, HEAD AD_LINE "access_token_file = %s\n", pasted[i], 8,
						 "access_token_file: no such file (its value is not shown: it looks "
						 "like a token;");
			assert_not_contains(r->out, "SECRETVALUE");
		}
	}
	/* A token that ends in '=' (base64's padding) is no NAME=. */
	fx_new(f, NULL, HEAD AD_LINE "access_token_file = @D@/pad.token\n");
	free(fx_write(f, "pad.token", "pina_SECRETVALUE123==\n", 0600));
	expect_loaded(f, 0);

	/* Bytes that would go into the HTTP header as they are: a byte-order
	 * mark, a NUL, a control character.  Refused, never echoed. */
	r = expect_token_refused(f, "bom.token", "\xef\xbb\xbfSECRETVALUE123\n",
				 "bom.token: starts with a UTF-8 byte-order mark: save it without one");
	assert_not_contains(r->out, "SECRETVALUE");
	fx_new(f, NULL, HEAD AD_LINE "access_token_file = @D@/nul.token\n");
	free(tu_write_n(f->dir, "nul.token", "SECRET\0VALUE\n", 13, 0600));
	r = expect_refused(f, f->site, 8, "nul.token: the token holds a byte that is not printable ASCII");
	assert_not_contains(r->out, "SECRET");
	r = expect_token_refused(f, "ctl.token", "SECRET\x7fVALUE\n", "not printable ASCII");
	assert_not_contains(r->out, "SECRET");

	/* Longer than any token: the wrong file, most likely. */
	{
		char big[5001];
		memset(big, 'a', sizeof big - 1);
		big[sizeof big - 1] = '\0';
		r = expect_token_refused(f, "big.token", big,
					 "big.token: the token is longer than 4096 bytes: is this the right file?");
		assert_not_contains(r->out, "aaaa");
		/* 4096 bytes and a CRLF are still a token. */
		big[4096] = '\r';
		big[4097] = '\n';
		big[4098] = '\0';
		fx_new(f, NULL, BASE);
		free(fx_write(f, "token", big, 0600));
		r = expect_loaded(f, 0);
		assert_int_equal(strlen(r->cfg->sites[0]->token), 4096);
	}

	/* A FIFO is refused at once: opening it must not wait for a writer. */
	fx_new(f, NULL, HEAD AD_LINE "access_token_file = @D@/token.fifo\n");
	{
		char *fifo = fx_path(f, "token.fifo");
		assert_int_equal(mkfifo(fifo, 0600), 0);
		free(fifo);
	}
	expect_refused_once(f, f->site, 8, "token.fifo: not a regular file");

	/* CRLF and trailing blanks are trimmed. */
	fx_new(f, NULL, BASE);
	p = fx_write(f, "token", "pina_TOKEN\r\n  \n", 0600);
	free(p);
	r = expect_loaded(f, 0);
	assert_string_equal(r->cfg->sites[0]->token, "pina_TOKEN");
}

static void test_token_both_or_neither(void **state)
{
	struct fx *f = *state;
	struct tu_loaded *r;

	fx_new(f, NULL, BASE "access_token = SECRETVALUE123\n");
	r = expect_refused(f, f->site, 9, "set access_token_file or access_token, not both");
	assert_not_contains(r->out, "SECRETVALUE123");
	assert_int_equal(r->errors, 1);

	fx_new(f, NULL, HEAD AD_LINE "test_mode = false\n");
	expect_refused_once(f, f->site, 7, "[pinterest] needs access_token_file (or access_token)");

	/* An inline token is checked as a file's is. */
	fx_new(f, NULL, HEAD AD_LINE "access_token = Bearer SECRETVALUE123\n");
	r = expect_refused(f, f->site, 8, "access_token: write the token alone, without \"Bearer \"");
	assert_not_contains(r->out, "SECRETVALUE123");
	fx_new(f, NULL, HEAD AD_LINE "access_token = SECRET\x01VALUE123\n");
	r = expect_refused(f, f->site, 8, "access_token: the token holds a byte that is not printable ASCII");
	assert_not_contains(r->out, "SECRET");

	/* Inline alone is accepted (the file is 0600). */
	fx_new(f, NULL, HEAD AD_LINE "access_token = SECRETVALUE123\n");
	r = expect_loaded(f, 0);
	assert_string_equal(r->cfg->sites[0]->token, "SECRETVALUE123");
	assert_not_contains(r->out, "SECRETVALUE123");
}

static void test_token_file_permissions(void **state)
{
	struct fx *f = *state;
	struct tu_loaded *r;
	char *tok;

	/* 0644: everyone. */
	fx_new(f, NULL, BASE);
	tok = fx_path(f, "token");
	assert_int_equal(chmod(tok, 0644), 0);
	r = expect_loaded(f, 1);
	assert_warning_at(r->out, f->site, 8, "is readable by everyone");
	assert_contains(r->out, "chmod 6"); /* 600, or 640 with group pintail: by owner */
	assert_not_contains(r->out, "test-token-not-secret");
	assert_string_equal(r->cfg->sites[0]->token, "test-token-not-secret");
	/* Root owns it: "chmod 600" would lock the service (user pintail)
	 * out, so the advice gives it to group pintail where there is one. */
	if (getgrnam("pintail") != NULL) {
		assert_contains(r->out, "chgrp pintail ");
		assert_contains(r->out, " && chmod 640 ");
		assert_not_contains(r->out, "chmod 600");
	} else {
		assert_contains(r->out, "chmod 600 ");
		assert_contains(r->out, "(or 640 with group pintail)");
	}
	/* Owned by the service's user: chmod 600 is the fix. */
	if (getpwnam("pintail") != NULL) {
		assert_int_equal(chown(tok, getpwnam("pintail")->pw_uid, 0), 0);
		r = expect_loaded(f, 1);
		assert_warning_at(r->out, f->site, 8, "is readable by everyone: chmod 600 ");
		assert_not_contains(r->out, "chgrp");
	}
	free(tok);

	/* 0640 with a group other than root or pintail. */
	fx_new(f, NULL, BASE);
	tok = fx_path(f, "token");
	assert_int_equal(chown(tok, 0, foreign_gid()), 0);
	assert_int_equal(chmod(tok, 0640), 0);
	r = expect_loaded(f, 1);
	assert_warning_at(r->out, f->site, 8, "is readable by its group");
	free(tok);

	/* 0640 with group root, and 0600 with a foreign group: fine. */
	fx_new(f, NULL, BASE);
	tok = fx_path(f, "token");
	assert_int_equal(chmod(tok, 0640), 0);
	expect_loaded(f, 0);
	assert_int_equal(chown(tok, 0, foreign_gid()), 0);
	assert_int_equal(chmod(tok, 0600), 0);
	expect_loaded(f, 0);
	/* 0604: others, whatever the group. */
	assert_int_equal(chmod(tok, 0604), 0);
	r = expect_loaded(f, 1);
	assert_warning_at(r->out, f->site, 8, "readable by everyone");
	free(tok);

	/* Who may replace it: a user other than root and the service's, or
	 * its group, or everyone (a swapped token, or delivery stopped). */
	fx_new(f, NULL, BASE);
	tok = fx_path(f, "token");
	assert_int_equal(chown(tok, getpwnam("nobody")->pw_uid, 0), 0);
	assert_int_equal(chmod(tok, 0600), 0);
	{
		/* The service's user named (the suite runs with it empty). */
		char *was = getenv("PINTAIL_SERVICE_USER") ? strdup(getenv("PINTAIL_SERVICE_USER")) : NULL;
		setenv("PINTAIL_SERVICE_USER", "pintail", 1);
		r = expect_loaded(f, 1);
		assert_warning_at(r->out, f->site, 8,
				  "(which holds the token) belongs to user nobody, who may replace it: chown root ");
		/* Empty: root's check alone, whose the file should be is not known. */
		setenv("PINTAIL_SERVICE_USER", "", 1);
		expect_loaded(f, 0);
		if (was != NULL) {
			setenv("PINTAIL_SERVICE_USER", was, 1);
			free(was);
		} else {
			unsetenv("PINTAIL_SERVICE_USER");
		}
	}
	assert_int_equal(chown(tok, 0, 0), 0);
	assert_int_equal(chmod(tok, 0620), 0);
	r = expect_loaded(f, 1);
	assert_warning_at(r->out, f->site, 8, "(which holds the token) may be changed by its group: chmod go-w ");
	assert_int_equal(chmod(tok, 0602), 0);
	r = expect_loaded(f, 1);
	assert_warning_at(r->out, f->site, 8, "(which holds the token) may be changed by everyone: chmod go-w ");
	assert_not_contains(r->out, "test-token-not-secret");
	free(tok);
}

static void test_inline_token_site_permissions(void **state)
{
	struct fx *f = *state;
	struct tu_loaded *r;

	fx_new(f, NULL, HEAD AD_LINE "access_token = SECRETVALUE123\n");
	assert_int_equal(chmod(f->site, 0644), 0);
	r = expect_loaded(f, 1);
	assert_warning_at(r->out, f->site, 8, "this file holds access_token and is readable by everyone");
	assert_not_contains(r->out, "SECRETVALUE123");

	assert_int_equal(chown(f->site, 0, foreign_gid()), 0);
	assert_int_equal(chmod(f->site, 0640), 0);
	r = expect_loaded(f, 1);
	assert_warning_at(r->out, f->site, 8, "readable by its group");

	/* A 0644 site file without an inline token is fine. */
	fx_new(f, NULL, BASE);
	assert_int_equal(chmod(f->site, 0644), 0);
	expect_loaded(f, 0);
}

/* ================= parsers ================= */

/* pintail.conf with parsers = the repo's folder then DIR/parsers. */
#define AGENT_TWO_FOLDERS                                                                      \
	"[agent]\nstate_dir = @D@/state\nparsers = @TOP@/parsers @D@/parsers\nbots_file = @D@/bots.txt\n"

/* A fresh folder with site BASE whose user parsers go in DIR/parsers (made, empty). */
static void fx_new_user_parsers(struct fx *f)
{
	fx_new(f, NULL, BASE);
	free(fx_write(f, "pintail.conf", AGENT_TWO_FOLDERS, 0644));
	fx_mkdir(f, "parsers");
}

static void test_unknown_parser(void **state)
{
	struct fx *f = *state;
	struct tu_loaded *r;

	fx_new(f, NULL,
	       "[site]\nurl = https://shop.example.com\nlogs = /var/log/nginx/shop.log\nparser = nginx_combine\n\n[pinterest]\n" AD_LINE
		       TOKEN_LINE);
	r = expect_refused(f, f->site, 4, "no parser called \"nginx_combine\"; did you mean \"nginx_combined\"?");
	assert_int_equal(r->errors, 1);

	fx_new(f, NULL,
	       "[site]\nurl = https://shop.example.com\nlogs = /var/log/nginx/shop.log\nparser = haproxy\n\n[pinterest]\n" AD_LINE
		       TOKEN_LINE);
	r = expect_refused(f, f->site, 4,
			   "no parser called \"haproxy\"; the parsers are: apache_combined nginx_combined nginx_json "
			   "nginx_pintail");
	assert_not_contains(r->out, "did you mean");

	/* No parser at all: the folders are named. */
	fx_new(f, NULL, BASE);
	free(fx_write(f, "pintail.conf",
		      "[agent]\nstate_dir = @D@/state\nparsers = @D@/none\nbots_file = @D@/bots.txt\n", 0644));
	r = expect_refused(f, f->site, 4, "no parser called \"nginx_combined\": the parser folders (");
	assert_contains(r->out, "/none) hold no parser at all; check parsers = in ");
}

static void test_user_parser_lacks_fields(void **state)
{
	struct fx *f = *state;
	struct tu_loaded *r;
	char *broken, *json;

	fx_new_user_parsers(f);
	broken = fx_write(f, "parsers/broken.conf",
			  "# a user parser without $status\n"
			  "[parser broken]\n"
			  "format = regex\n"
			  "regex = ^(?<remote_addr>\\S+) \\[(?<time_local>[^\\]]+)\\] \"(?<request>[^\"]*)\" \"(?<http_user_agent>[^\"]*)\"$\n"
			  "\n"
			  "[parser bare]\n"
			  "format = regex\n"
			  "regex = ^(?<remote_addr>\\S+) (?<request_method>\\S+) (?<host>\\S+)$\n",
			  0644);
	json = fx_write(f, "parsers/json.conf",
			"[parser j]\nformat = json\nfields = remote_addr status msec request_uri\n", 0644);
	r = expect_refused(f, broken, 2, "parser broken lacks required field(s): status");
	assert_error_at(r->out, broken, 6,
			"parser bare lacks required field(s): time_local (or time_iso8601, or msec), request (or request_method and request_uri), status, http_user_agent");
	assert_error_at(r->out, json, 1,
			"parser j lacks required field(s): request (or request_method and request_uri), http_user_agent");
	assert_int_equal(r->errors, 3);
	free(broken);
	free(json);

	/* A json parser without fields, a regex parser without regex. */
	fx_new_user_parsers(f);
	json = fx_write(f, "parsers/x.conf", "[parser j]\nformat = json\n\n[parser r]\nformat = regex\n", 0644);
	r = expect_refused(f, json, 1, "parser j: format = json needs fields");
	assert_error_at(r->out, json, 4, "parser r: format = regex needs a regex");
	free(json);

	/* No format; a format refused (its one error, no second); names of
	 * fields pintail does not read; a time format lacking a part, or the
	 * zone. */
	fx_new_user_parsers(f);
	json = fx_write(f, "parsers/x.conf",
			"[parser nofmt]\nfields = remote_addr time_iso8601 request status http_user_agent\n"
			"[parser upper]\nformat = JSON\nfields = remote_addr time_iso8601 request status http_user_agent\n"
			"[parser extra]\nformat = json\nfields = remote_addr, time_iso8601, request, status, "
			"http_user_agent, http_referr, upstream_time\ntime_format = ISO8601\n"
			"[parser noyear]\nformat = json\nfields = remote_addr time_local request status http_user_agent\n"
			"time_format = %d/%b:%H:%M:%S %z\n"
			"[parser utc]\nformat = json\nfields = remote_addr time_local request status http_user_agent\n"
			"time_format = %Y-%m-%d %H:%M:%S\n"
			"[parser zulu]\nformat = json\nfields = remote_addr time_local request status http_user_agent\n"
			"time_format = %Y-%m-%dT%H:%M:%SZ\n",
			0644);
	r = expect_refused(f, json, 1, "parser nofmt: fields are for format = json, and format is regex unless set: write format = json");
	assert_error_at(r->out, json, 4, "bad value for format: expected regex or json; did you mean \"json\"?");
	assert_not_contains(r->out, "parser upper");
	assert_warning_at(r->out, json, 8, "parser extra: fields: http_referr is no field pintail reads, and is ignored; did you mean http_referer?");
	assert_not_contains(r->out, "upstream_time"); /* another key of the log: fine */
	assert_error_at(r->out, json, 13, "parser noyear: time_format has no year (%Y or %y)");
	assert_warning_at(r->out, json, 17, "parser utc: time_format has no %z: the log's times are read as UTC");
	assert_not_contains(r->out, "parser zulu"); /* a literal Z says UTC */
	assert_int_equal(r->errors, 3);
	assert_int_equal(r->warnings, 2);
	free(json);
}

static void test_user_parser_overrides_packaged(void **state)
{
	struct fx *f = *state;
	struct tu_loaded *r;
	char *mine;
	const struct parser_def *p;

	fx_new_user_parsers(f);
	mine = fx_write(f, "parsers/mine.conf",
			"[parser nginx_combined]\n"
			"format = regex\n"
			"regex = ^(?<host>\\S+) (?<remote_addr>\\S+) \\[(?<time_local>[^\\]]+)\\] \"(?<request>[^\"]*)\" (?<status>\\d{3}) \"(?<http_user_agent>[^\"]*)\"$\n",
			0644);
	r = expect_loaded(f, 0);
	p = r->cfg->sites[0]->parser;
	assert_non_null(p);
	assert_string_equal(p->name, "nginx_combined");
	assert_string_equal(p->file, mine);
	assert_true(p->have & (1u << FIELD_HOST));
	assert_false(p->have & (1u << FIELD_HTTP_REFERER));
	/* The packaged one is gone, the others stay. */
	{
		size_t n = 0;
		for (size_t i = 0; i < r->cfg->nparsers; i++) {
			n += strcmp(r->cfg->parsers[i]->name, "nginx_combined") == 0;
		}
		assert_int_equal(n, 1);
		assert_int_equal(r->cfg->nparsers, 4);
	}
	free(mine);
}

static void test_parser_defined_twice_in_one_folder(void **state)
{
	struct fx *f = *state;
	struct tu_loaded *r;
	char *a, *b;

	/* A new name, twice in one folder. */
	fx_new_user_parsers(f);
	a = fx_keep(f, fx_write(f, "parsers/a.conf", "[parser mine]\nformat = json\nfields = remote_addr msec request status http_user_agent\n", 0644));
	b = fx_keep(f, fx_write(f, "parsers/b.conf", "\n[parser mine]\nformat = json\nfields = remote_addr msec request status http_user_agent\n", 0644));
	r = expect_refused(f, b, 2, "parser mine is defined twice");
	assert_contains(r->out, a);

	/*
	 * A packaged name, twice in the later folder: the second is as much a
	 * duplicate as above, not a second override.
	 */
	fx_new_user_parsers(f);
	a = fx_keep(f, fx_write(f, "parsers/a.conf", "[parser nginx_json]\nformat = json\nfields = remote_addr msec request status http_user_agent\n", 0644));
	b = fx_keep(f, fx_write(f, "parsers/b.conf", "\n[parser nginx_json]\nformat = json\nfields = remote_addr msec request status http_user_agent host\n", 0644));
	r = fx_load(f);
	if (r->cfg != NULL) {
		fail_msg("nginx_json defined in both %s and %s was accepted (the second silently replaced the first):\n%s",
			 a, b, r->out);
	}
	assert_error_at(r->out, b, 2, "parser nginx_json is defined twice");
}

static void test_parser_regex_does_not_compile(void **state)
{
	struct fx *f = *state;
	char *bad;

	fx_new_user_parsers(f);
	bad = fx_write(f, "parsers/bad.conf",
		       "[parser bad]\nformat = regex\ntime_format = %d/%b/%Y:%H:%M:%S %z\nregex = ^(?<remote_addr>\\S+ (?<status>\n",
		       0644);
	expect_refused_once(f, bad, 4, "parser bad: the regex does not compile at offset");
	free(bad);

	/* A bad time format, a bad format name. */
	fx_new_user_parsers(f);
	bad = fx_write(f, "parsers/bad.conf", "[parser bad]\nformat = csv\n", 0644);
	expect_refused(f, bad, 2, "bad value for format: expected regex or json");
	free(bad);
}

static void test_client_ip_needs_field(void **state)
{
	struct fx *f = *state;
	struct tu_loaded *r;

	fx_new(f, NULL, BASE "[site]\nclient_ip = http_x_forwarded_for\n");
	expect_refused_once(f, f->site, 10,
			   "client_ip = http_x_forwarded_for, but parser nginx_combined does not capture http_x_forwarded_for");

	/* nginx_json captures it. */
	fx_new(f, NULL,
	       "[site]\nurl = https://shop.example.com\nlogs = /var/log/nginx/shop.log\nparser = nginx_json\nclient_ip = http_x_forwarded_for\n[pinterest]\n" AD_LINE
		       TOKEN_LINE);
	r = expect_loaded(f, 0);
	assert_int_equal(r->cfg->sites[0]->client_ip, CLIENT_IP_X_FORWARDED_FOR);
}

/* ================= the endpoint ================= */

/* Loads a site with api_url = URL: refused (with NEEDLE at its line) or clean. */
static void api_url_case(struct fx *f, const char *url, const char *needle)
{
	fx_new_value(f, 0, BASE "api_url = %s\n", url);
	if (needle != NULL) {
		struct tu_loaded *r = fx_load(f);
		if (r->cfg != NULL) {
			fail_msg("api_url = %s was accepted:\n%s", url, r->out);
		}
		assert_error_at(r->out, f->site, 9, needle);
		assert_int_equal(r->errors, 1);
	} else {
		expect_loaded(f, 0);
	}
}

#define PLAIN_HTTP "api_url: plain http:// is accepted only for a loopback host; use https://"

static void test_api_url(void **state)
{
	struct fx *f = *state;

	api_url_case(f, "http://example.com/v5", PLAIN_HTTP);
	api_url_case(f, "http://127.0.0.1.nip.io/v5", PLAIN_HTTP);
	api_url_case(f, "http://localhost.example.com/v5", PLAIN_HTTP);
	api_url_case(f, "http://10.0.0.1:8080/v5", PLAIN_HTTP);
	/* What libcurl reads, not what another parser makes of it (these
	 * are refused as URLs now, before loopback is decided). */
	api_url_case(f, "http://[::1].evil.com/v5", "api_url: after the host come only a port (:8443) and a path (/shop)");
	api_url_case(f, "http://[::1]x/v5", "api_url: after the host come only a port (:8443) and a path (/shop)");
	api_url_case(f, "http://[::1]:80:x/v5", "api_url: the port after the host must be a number from 1 to 65535");
	api_url_case(f, "http://127.0.0.1:8080/v5", NULL);
	api_url_case(f, "http://127.1.2.3/v5", NULL);
	api_url_case(f, "http://localhost/v5", NULL);
	api_url_case(f, "http://localhost:8080/v5", NULL);
	api_url_case(f, "http://[::1]:8080/v5", NULL);
	api_url_case(f, "https://example.com/v5", NULL);

	/* Not a URL at all. */
	fx_new(f, NULL, BASE "api_url = ftp://api.pinterest.com/v5\n");
	expect_refused(f, f->site, 9, "bad value for api_url");
	/* Paths are appended to api_url: no query, fragment or user. */
	fx_new(f, NULL, BASE "api_url = https://api.pinterest.com/v5?x=1\n");
	expect_refused(f, f->site, 9, "bad value for api_url");
	fx_new(f, NULL, BASE "api_url = https://me:SECRETPW@api.pinterest.com/v5\n");
	assert_not_contains(expect_refused(f, f->site, 9, "bad value for api_url")->out, "SECRETPW");

	/* The base, not the events' URL: pintail appends /ad_accounts/... */
	api_url_case(f, "https://api.pinterest.com/v5/ad_accounts/549755885175/events",
		     "api_url is the API's base, such as https://api.pinterest.com/v5: pintail adds "
		     "/ad_accounts/<ad_account_id>/events itself; cut the URL there");
	/* Pinterest's host with another path than /v5: said, not refused. */
	fx_new(f, NULL, BASE "api_url = https://api.pinterest.com\n");
	assert_warning_at(expect_loaded(f, 1)->out, f->site, 9,
			  "api_url: Pinterest's Conversions API is at https://api.pinterest.com/v5");
	api_url_case(f, "https://API.Pinterest.com/v5/", NULL);

	/* A ca_file that is not there, a folder, a FIFO (curl would wait on it). */
	fx_new(f, NULL, BASE "ca_file = @D@/ca.pem\n");
	expect_refused(f, f->site, 9, "ca.pem: No such file or directory");
	fx_new(f, NULL, BASE "ca_file = @D@\n");
	expect_refused(f, f->site, 9, ": a folder; name a PEM file of CA certificates");
	fx_new(f, NULL, BASE "ca_file = @D@/ca.fifo\n");
	{
		char *fifo = fx_path(f, "ca.fifo");
		assert_int_equal(mkfifo(fifo, 0600), 0);
		expect_refused(f, f->site, 9, "ca.fifo: not a regular file; name a PEM file of CA certificates");
		free(fifo);
	}
}

/*
 * In "http://localhost:8080@evil.example/v5" the host is evil.example
 * ("localhost:8080" is userinfo): plain http to it would send the token in
 * clear, so it must be refused like any other non-loopback host.
 */
static void test_api_url_userinfo_is_not_loopback(void **state)
{
	struct fx *f = *state;

	api_url_case(f, "http://localhost:8080@evil.example/v5", "api_url");
	api_url_case(f, "http://127.0.0.1:80@evil.example/v5", "api_url");
}

/* ================= shared log files ================= */

#define SITE_AT(url, logs, parser)                                                             \
	"[site]\nurl = " url "\nlogs = " logs "\nparser = " parser "\n\n[pinterest]\n" AD_LINE TOKEN_LINE

static void test_shared_log_file(void **state)
{
	struct fx *f = *state;
	struct tu_loaded *r;
	char *b;

	/* nginx_combined has no host: refused, at the second site's logs line. */
	fx_new(f, NULL, NULL);
	free(fx_write(f, "conf.d/a.conf", SITE_AT("https://a.example", "/var/log/nginx/shared.log", "nginx_combined"), 0600));
	b = fx_write(f, "conf.d/b.conf", SITE_AT("https://b.example", "/var/log/nginx/other.log /var/log/nginx/shared.log", "nginx_combined"), 0600);
	r = expect_refused(f, b, 3, "site a also reads /var/log/nginx/shared.log");
	assert_contains(r->out, "both parsers capture host");
	assert_int_equal(r->errors, 1);
	free(b);

	/* Both capture host and their hosts differ: accepted, both routed. */
	fx_new(f, NULL, NULL);
	free(fx_write(f, "conf.d/a.conf", SITE_AT("https://a.example", "/var/log/nginx/shared.log", "nginx_pintail"), 0600));
	free(fx_write(f, "conf.d/b.conf", SITE_AT("https://b.example", "/var/log/nginx/shared.log", "nginx_pintail"), 0600));
	free(fx_write(f, "conf.d/c.conf", SITE_AT("https://c.example", "/var/log/nginx/c.log", "nginx_pintail"), 0600));
	r = expect_loaded(f, 0);
	assert_int_equal(r->cfg->nsites, 3);
	assert_int_equal(config_site(r->cfg, "a")->routed, 1);
	assert_int_equal(config_site(r->cfg, "b")->routed, 1);
	assert_int_equal(config_site(r->cfg, "c")->routed, 0);

	/* Overlapping hosts (one named in hosts, the other by its url). */
	fx_new(f, NULL, NULL);
	free(fx_write(f, "conf.d/a.conf", SITE_AT("https://a.example", "/var/log/nginx/shared.log", "nginx_pintail"), 0600));
	b = fx_write(f, "conf.d/b.conf",
		     "[site]\nurl = https://b.example\nlogs = /var/log/nginx/shared.log\nparser = nginx_pintail\nhosts = b.example A.EXAMPLE\n[pinterest]\n" AD_LINE TOKEN_LINE,
		     0600);
	r = expect_refused(f, b, 3, "site a also reads /var/log/nginx/shared.log");
	free(b);

	/* One parser with host, the other without. */
	fx_new(f, NULL, NULL);
	free(fx_write(f, "conf.d/a.conf", SITE_AT("https://a.example", "/var/log/nginx/shared.log", "nginx_pintail"), 0600));
	b = fx_write(f, "conf.d/b.conf", SITE_AT("https://b.example", "/var/log/nginx/shared.log", "nginx_combined"), 0600);
	expect_refused(f, b, 3, "site a also reads");
	free(b);
}

/* The same file named differently: a glob, a symlink. */
static void test_shared_log_file_by_glob_and_link(void **state)
{
	struct fx *f = *state;
	char *b, *target, *link;

	fx_new(f, NULL, NULL);
	fx_mkdir(f, "logs");
	free(fx_write(f, "logs/access.log", "", 0644));
	free(fx_write(f, "conf.d/a.conf", SITE_AT("https://a.example", "@D@/logs/access.log", "nginx_combined"), 0600));
	b = fx_write(f, "conf.d/b.conf", SITE_AT("https://b.example", "@D@/logs/*.log", "nginx_combined"), 0600);
	expect_refused(f, b, 3, "site a also reads");
	free(b);

	fx_new(f, NULL, NULL);
	fx_mkdir(f, "logs");
	free(fx_write(f, "logs/access.log", "", 0644));
	target = fx_path(f, "logs/access.log");
	link = fx_path(f, "logs/link.log");
	assert_int_equal(symlink(target, link), 0);
	free(fx_write(f, "conf.d/a.conf", SITE_AT("https://a.example", "@D@/logs/access.log", "nginx_combined"), 0600));
	b = fx_write(f, "conf.d/b.conf", SITE_AT("https://b.example", "@D@/logs/link.log", "nginx_combined"), 0600);
	expect_refused(f, b, 3, "site a also reads");
	free(b);
	free(target);
	free(link);

	/* Two different files in one folder: fine. */
	fx_new(f, NULL, NULL);
	fx_mkdir(f, "logs");
	free(fx_write(f, "conf.d/a.conf", SITE_AT("https://a.example", "@D@/logs/a.log", "nginx_combined"), 0600));
	free(fx_write(f, "conf.d/b.conf", SITE_AT("https://b.example", "@D@/logs/b.log", "nginx_combined"), 0600));
	expect_loaded(f, 0);
}

/* ================= the logs, as `check` sees them ================= */

/* A site (BASE) whose logs line, line 3, is LOGS. */
#define SITE_LOGS(logs)                                                                        \
	"[site]\nurl = https://shop.example.com\nlogs = " logs "\nparser = nginx_combined\n\n"     \
	"[pinterest]\n" AD_LINE TOKEN_LINE

/* How many times NEEDLE occurs in S. */
static int count_of(const char *s, const char *needle)
{
	int n = 0;
	for (const char *p = strstr(s, needle); p != NULL; p = strstr(p + 1, needle)) {
		n++;
	}
	return n;
}

/*
 * `pintail check` on F: exit 0 and "configuration OK" whatever it warns;
 * returns its output (caller frees).  Loaded as `run` and a reload load it
 * (config_load without CONFIG_LOGS), the same configuration gives no
 * warning: only `check` looks at the logs.
 */
static char *check_logs_ok(struct fx *f)
{
	char *out;
	int rc = run_check(f->conf, &out);

	if (rc != EXIT_OK || strstr(out, "configuration OK") == NULL) {
		fail_msg("expected `check` to pass (warnings keep the exit status), got %d:\n%s", rc, out);
	}
	expect_loaded(f, 0);
	return out;
}

/*
 * A log that is not there yet is no error (the agent follows it once it
 * appears), only a warning saying so, at the site's logs line: a path, a
 * path whose folder is missing too, a glob that matches nothing.  Run as
 * root, nothing is unreadable: tests/integration/test_check_logs.sh runs
 * `check` as another user for that.
 */
static void test_logs_not_there_yet(void **state)
{
	struct fx *f = *state;
	char *out, *p;

	fx_new(f, NULL, SITE_LOGS("@D@/logs/access.log"));
	fx_mkdir(f, "logs");
	out = check_logs_ok(f);
	p = fx_path(f, "logs/access.log");
	assert_warning_at(out, f->site, 3, p);
	assert_warning_at(out, f->site, 3, "does not exist (yet): the agent follows it when it appears");
	assert_not_contains(out, "folder");
	free(p);
	free(out);

	/* Its folder missing too: one warning, about the folder. */
	fx_new(f, NULL, SITE_LOGS("@D@/nginx/access.log"));
	out = check_logs_ok(f);
	p = fx_path(f, "nginx");
	assert_warning_at(out, f->site, 3, p);
	assert_warning_at(out, f->site, 3, "folder");
	assert_warning_at(out, f->site, 3, "does not exist (yet): the agent looks for it every 5 s");
	assert_int_equal(count_of(out, "warning: "), 1);
	free(p);
	free(out);

	/* A glob matching nothing, beside a path that is there. */
	fx_new(f, NULL, SITE_LOGS("@D@/logs/a.log @D@/logs/shop-*.log"));
	fx_mkdir(f, "logs");
	free(fx_write(f, "logs/a.log", "", 0644));
	free(fx_write(f, "logs/other.txt", "", 0644));
	out = check_logs_ok(f);
	assert_warning_at(out, f->site, 3, "no file matches");
	assert_warning_at(out, f->site, 3, "logs/shop-*.log (yet)");
	assert_int_equal(count_of(out, "warning: "), 1);
	free(out);

	/* A folder where a path's folder should be. */
	fx_new(f, NULL, SITE_LOGS("@D@/logs/access.log"));
	free(fx_write(f, "logs", "", 0644));
	out = check_logs_ok(f);
	assert_warning_at(out, f->site, 3, "Not a directory");
	free(out);
}

/* The agent reads only regular files: a FIFO (never opened, so `check`
 * cannot hang on it) or a folder where a log should be is said. */
static void test_logs_not_regular(void **state)
{
	struct fx *f = *state;
	char *out, *fifo;

	fx_new(f, NULL, SITE_LOGS("@D@/logs/*.log"));
	fx_mkdir(f, "logs");
	fx_mkdir(f, "logs/old.log");
	fifo = fx_path(f, "logs/pipe.log");
	assert_int_equal(mkfifo(fifo, 0644), 0);
	free(fx_write(f, "logs/a.log", "", 0644));
	out = check_logs_ok(f);
	assert_warning_at(out, f->site, 3, "pipe.log is a FIFO, not a regular file: the agent does not read it");
	assert_warning_at(out, f->site, 3, "old.log is a folder, not a regular file");
	assert_int_equal(count_of(out, "warning: "), 2);
	free(out);
	free(fifo);
}

/* A glob that matches logrotate's compressed copies: said once. */
static void test_logs_compressed(void **state)
{
	struct fx *f = *state;
	char *out;

	fx_new(f, NULL, SITE_LOGS("@D@/logs/access.log*"));
	fx_mkdir(f, "logs");
	free(fx_write(f, "logs/access.log", "", 0644));
	free(fx_write(f, "logs/access.log.1", "", 0644));
	free(fx_write(f, "logs/access.log.2.gz", "", 0644));
	free(fx_write(f, "logs/access.log.3.gz", "", 0644));
	out = check_logs_ok(f);
	assert_warning_at(out, f->site, 3, "access.log.2.gz, a compressed file, which is not read; match the live "
					   "log alone (pintail follows its rotation)");
	assert_int_equal(count_of(out, "warning: "), 1);
	free(out);
}

/* Logs that are there and readable, by path and by glob: not a word. */
static void test_logs_readable_no_warning(void **state)
{
	struct fx *f = *state;
	char *out, *target, *link;

	fx_new(f, NULL, SITE_LOGS("@D@/logs/access.log @D@/logs/shop-*.log @D@/logs/link.log"));
	fx_mkdir(f, "logs");
	free(fx_write(f, "logs/access.log", "x\n", 0640));
	free(fx_write(f, "logs/shop-1.log", "", 0600));
	free(fx_write(f, "logs/shop-2.log", "", 0644));
	target = fx_path(f, "logs/shop-2.log");
	link = fx_path(f, "logs/link.log");
	assert_int_equal(symlink(target, link), 0);
	out = check_logs_ok(f);
	assert_not_contains(out, "warning");
	assert_contains(out, "site shop: 3 log paths");
	free(out);
	free(target);
	free(link);
}

/* ================= rules overlapping ================= */

static void test_overlapping_rules(void **state)
{
	struct fx *f = *state;
	struct tu_loaded *r;

	/* Two checkout rules without path. */
	fx_new(f, NULL, BASE "\n[event c1]\ntype = checkout\n\n[event c2]\ntype = checkout\n");
	r = expect_loaded(f, 1);
	assert_warning_at(r->out, f->site, 13, "[event c2] overlaps [event c1] (line 10)");
	assert_contains(r->out, "only [event c1] counts");

	/* The same path. */
	fx_new(f, NULL, BASE "[event c1]\ntype = checkout\npath = ^/thanks\n[event c2]\ntype = checkout\npath = ^/thanks\n");
	r = expect_loaded(f, 1);
	assert_warning_at(r->out, f->site, 12, "[event c2] overlaps [event c1]");

	/* One path a prefix of the other; one rule without path. */
	fx_new(f, NULL,
	       BASE "[event c1]\ntype = checkout\npath = ^/checkout/done\n[event c2]\ntype = checkout\npath = ^/checkout\n"
		    "[event c3]\ntype = checkout\n");
	r = expect_loaded(f, 3);
	assert_warning_at(r->out, f->site, 12, "[event c2] overlaps [event c1]");
	assert_warning_at(r->out, f->site, 15, "[event c3] overlaps [event c1]");
	assert_warning_at(r->out, f->site, 15, "[event c3] overlaps [event c2]");

	/* Rules that match no hit, or not what they seem to; a method no
	 * HTTP has; events older than Pinterest takes. */
	fx_new(f, NULL,
	       BASE "max_event_age = 30d\n"
		    "[event a]\ntype = lead\npath = ^/thanks\nstatus = 404\n"
		    "[event b]\ntype = search\npath = ^/search\\?q=\nmethods = GETT post PROPFIND BREW\n"
		    "[event c]\ntype = checkout\npath = https://shop.example.com/checkout\n");
	r = expect_loaded(f, 5);
	assert_warning_at(r->out, f->site, 9, "max_event_age is over 7d: Pinterest refuses events older than about 7 days");
	assert_warning_at(r->out, f->site, 13, "[event a] matches no hit: none of its statuses passes [filter]'s status");
	assert_warning_at(r->out, f->site, 16, "[event b] path: paths are matched without their query");
	assert_warning_at(r->out, f->site, 17, "[event b] methods: GETT is no HTTP method; did you mean GET?");
	assert_warning_at(r->out, f->site, 20, "[event c] path: paths are matched without scheme and host");
	fx_new(f, NULL, BASE "[filter]\nstatus = 200-499\n[event a]\ntype = lead\nstatus = 404\n");
	expect_loaded(f, 0);

	/* No overlap: different paths, types, methods or statuses. */
	fx_new(f, NULL,
	       BASE "[event a]\ntype = checkout\npath = ^/a$\n"
		    "[event b]\ntype = checkout\npath = ^/b$\n"
		    "[event c]\ntype = lead\n"
		    "[event d]\ntype = page_visit\n"
		    "[event e]\ntype = signup\nmethods = GET\n"
		    "[event f]\ntype = signup\nmethods = POST\n"
		    "[event g]\ntype = search\nstatus = 200\n"
		    "[event h]\ntype = search\nstatus = 404\n"
		    "[filter]\nstatus = 200-404\n");
	expect_loaded(f, 0);
}

/* ================= no site; warnings and the exit status ================= */

static void test_no_site(void **state)
{
	struct fx *f = *state;
	struct tu_loaded *r;

	fx_new(f, NULL, NULL);
	r = expect_loaded(f, 1);
	assert_warning_at(r->out, f->conf, 0, "no site is configured");
	assert_int_equal(r->cfg->nsites, 0);
	assert_null(r->cfg->bots);

	/* A sample does not count: it does not end in .conf. */
	free(fx_write(f, "conf.d/example.conf.sample", BASE, 0644));
	r = expect_loaded(f, 1);
	assert_contains(r->out, "no site is configured");

	/* With include set, the warning is at its line. */
	fx_new(f, "include = sites/*.conf\n", NULL);
	fx_mkdir(f, "sites");
	r = expect_loaded(f, 1);
	assert_warning_at(r->out, f->conf, 5, "no site is configured");
	assert_contains(r->out, "sites/*.conf");
}

/*
 * A folder that does not exist is no error: the default parsers line names
 * /etc/pintail/parsers, which holds only the user's parsers and which
 * neither `make install` nor the packages create; likewise an include
 * whose folder is missing means no site, which is a warning.
 */
static void test_missing_folders(void **state)
{
	struct fx *f = *state;
	struct tu_loaded *r;

	fx_new(f, NULL, BASE);
	free(fx_write(f, "pintail.conf",
		      "[agent]\nstate_dir = @D@/state\nparsers = @TOP@/parsers @D@/no-such-folder\nbots_file = @D@/bots.txt\n",
		      0644));
	r = fx_load(f);
	if (r->cfg == NULL || r->errors != 0) {
		fail_msg("a parser folder that does not exist refused the configuration:\n%s", r->out);
	}
	assert_non_null(r->cfg->sites[0]->parser);

	fx_new(f, "include = sites/*.conf\n", NULL);
	r = fx_load(f);
	if (r->cfg == NULL || r->errors != 0) {
		fail_msg("an include folder that does not exist refused the configuration:\n%s", r->out);
	}
	assert_warning_at(r->out, f->conf, 5, "no site is configured");
}

/*
 * Two site files of one name would share a state folder: refused.  A site
 * file that cannot be read gives its one error, not also those of the
 * empty site it would leave.
 */
/* A state_dir that is a file: `run` could not use it; said by check. */
static void test_state_dir_not_folder(void **state)
{
	struct fx *f = *state;
	struct tu_loaded *r;

	fx_new(f, NULL, BASE);
	free(fx_write(f, "pintail.conf",
		      "[agent]\nstate_dir = @D@/token\nparsers = @TOP@/parsers\nbots_file = @D@/bots.txt\n", 0644));
	r = expect_refused_once(f, f->conf, 2, "state_dir ");
	assert_contains(r->out, "/token is not a folder; name a folder (pintail creates a missing one)");

	/* A '#' comment after paths: no file called '#' is meant; accepted as
	 * before (the site worked), the words left out, and said. */
	fx_new(f, NULL, "[site]\nurl = https://shop.example.com\nlogs = /var/log/nginx/shop.log # main log\n"
			"parser = nginx_combined\n[pinterest]\n" AD_LINE TOKEN_LINE);
	r = expect_loaded(f, 1);
	assert_warning_at(r->out, f->site, 3,
			  "logs: a comment after a value begins with \" ;\", not \"#\": the words from \"#\" on are "
			  "taken for one, and left out");
	assert_int_equal(words_count(r->cfg->sites[0]->logs), 1);
	assert_string_equal(r->cfg->sites[0]->logs[0], "/var/log/nginx/shop.log");
}

static void test_site_files_refused(void **state)
{
	struct fx *f = *state;
	struct tu_loaded *r;
	char *a, *b;

	fx_new(f, "include = sites/*/*.conf\n", NULL);
	fx_mkdir(f, "sites");
	fx_mkdir(f, "sites/a");
	fx_mkdir(f, "sites/b");
	a = fx_write(f, "sites/a/shop.conf", BASE, 0600);
	b = fx_write(f, "sites/b/shop.conf", BASE, 0600);
	r = expect_refused_once(f, b, 0, "site \"shop\" is already defined by");
	assert_contains(r->out, a);
	free(a);
	free(b);

	fx_new(f, NULL, BASE);
	fx_mkdir(f, "conf.d/old.conf");
	a = fx_path(f, "conf.d/old.conf");
	r = expect_refused_once(f, f->conf, 0, "include: conf.d/*.conf matches the folder ");
	assert_contains(r->out, a);
	assert_contains(r->out, "which is no site file: rename it, or narrow the pattern");
	free(a);

	/* include naming a folder: the pattern that reads its files. */
	fx_new(f, "include = conf.d\n", BASE);
	r = expect_refused_once(f, f->conf, 5, "include: ");
	assert_contains(r->out, "conf.d is a folder; to read the site files in it, write conf.d/*.conf");
	fx_new(f, "include = conf.d/\n", BASE);
	r = expect_refused_once(f, f->conf, 5, "include: ");
	assert_contains(r->out, "is a folder; to read the site files in it, write conf.d/*.conf");
	/* Two patterns matching one file: read once. */
	fx_new(f, "include = conf.d/*.conf conf.d/shop.conf\n", BASE);
	assert_int_equal(expect_loaded(f, 0)->cfg->nsites, 1);
	/* include matching pintail.conf itself: left out, and said. */
	fx_new(f, "include = *.conf conf.d/*.conf\n", BASE);
	r = expect_refused_once(f, f->conf, 5, "include matches ");
	assert_contains(r->out, "pintail.conf itself; it names site files only, such as conf.d/*.conf");
	/* Several patterns, separated by blanks. */
	fx_new(f, "include = conf.d/*.conf more/*.conf\n", BASE);
	fx_mkdir(f, "more");
	free(fx_write(f, "more/b.conf",
		      "[site]\nurl = https://b.example.com\nlogs = /var/log/nginx/b.log\nparser = nginx_combined\n"
		      "[pinterest]\n" AD_LINE TOKEN_LINE,
		      0600));
	r = expect_loaded(f, 0);
	assert_int_equal(r->cfg->nsites, 2);
	fx_new(f, "include = none/*.conf nothing/*.conf\n", NULL);
	assert_warning_at(expect_loaded(f, 1)->out, f->conf, 5,
			  "no site is configured: no file matches any of none/*.conf nothing/*.conf (in ");

	/* A FIFO is refused at once: reading it would wait for a writer for
	 * ever (and `check` runs before every start and reload). */
	fx_new(f, NULL, BASE);
	a = fx_path(f, "conf.d/other.conf");
	assert_int_equal(mkfifo(a, 0600), 0);
	r = expect_refused_once(f, a, 0, "cannot open: not a regular file (a FIFO, socket or device)");
	free(a);
}

/* Warnings never change the outcome: `check` exits 0; errors make it 1. */
static void test_warnings_keep_exit_status(void **state)
{
	struct fx *f = *state;
	char *out;
	int rc;

	/* Four warnings at once: swapped ids, an open token, overlapping rules. */
	fx_new(f, NULL,
	       HEAD "ad_account_id = 2617998078212\n" TOKEN_LINE "tag_id = 549755885175\n"
		    "[event a]\ntype = lead\n[event b]\ntype = lead\n");
	{
		char *tok = fx_path(f, "token");
		assert_int_equal(chmod(tok, 0644), 0);
		free(tok);
	}
	{
		struct tu_loaded *r = expect_loaded(f, 4);
		assert_non_null(r->cfg);
	}
	rc = run_check(f->conf, &out);
	assert_int_equal(rc, EXIT_OK);
	assert_contains(out, "configuration OK");
	assert_contains(out, "warning: ");
	free(out);

	/* No site: a warning, exit 0. */
	fx_new(f, NULL, NULL);
	rc = run_check(f->conf, &out);
	assert_int_equal(rc, EXIT_OK);
	assert_contains(out, "no site is configured");
	free(out);

	/* One error among warnings: exit 1. */
	fx_new(f, NULL, HEAD "ad_account_id = 2617998078212\n" TOKEN_LINE "batch_max = 0\n");
	rc = run_check(f->conf, &out);
	assert_int_equal(rc, EXIT_CONFIG);
	assert_contains(out, "configuration refused");
	assert_contains(out, "warning: ad_account_id looks like a Tag ID");
	free(out);
}

/* pintail.conf itself missing or unreadable. */
static void test_main_file_missing(void **state)
{
	struct fx *f = *state;
	struct tu_loaded *r;
	char *missing;

	fx_new(f, NULL, NULL);
	missing = fx_path(f, "nope.conf");
	free(f->conf);
	f->conf = missing;
	r = fx_load(f);
	assert_null(r->cfg);
	assert_int_equal(r->errors, 1);
	assert_error_at(r->out, missing, 0, "cannot open: No such file or directory");
}

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_example_site_is_clean),
		T(test_defaults),
		T(test_unknown_section),
		T(test_section_with_stray_argument),
		T(test_unknown_key),
		T(test_key_set_twice),
		T(test_all_problems_in_one_pass),
		T(test_missing_required_keys),
		T(test_ad_account_id_not_numeric),
		T(test_ad_account_id_19_digits),
		T(test_tag_id_not_numeric),
		T(test_tag_id_equals_ad_account_id),
		T(test_ids_look_swapped),
		T(test_hosts_without_url_host),
		T(test_event_type_outside_list),
		T(test_event_without_type),
		T(test_event_empty_type),
		T(test_path_regex_does_not_compile),
		T(test_group_source),
		T(test_group_on_hashed_field),
		T(test_bad_duration),
		T(test_bad_size),
		T(test_bad_bool_and_enums),
		T(test_bad_cidr),
		T(test_bad_status),
		T(test_batch_max_bounds),
		T(test_empty_status),
		T(test_empty_needed_values),
		T(test_token_file_missing),
		T(test_token_file_unreadable),
		T(test_token_both_or_neither),
		T(test_token_file_permissions),
		T(test_inline_token_site_permissions),
		T(test_unknown_parser),
		T(test_user_parser_lacks_fields),
		T(test_user_parser_overrides_packaged),
		T(test_parser_defined_twice_in_one_folder),
		T(test_parser_regex_does_not_compile),
		T(test_client_ip_needs_field),
		T(test_api_url),
		T(test_api_url_userinfo_is_not_loopback),
		T(test_shared_log_file),
		T(test_shared_log_file_by_glob_and_link),
		T(test_logs_not_there_yet),
		T(test_logs_not_regular),
		T(test_logs_compressed),
		T(test_logs_readable_no_warning),
		T(test_overlapping_rules),
		T(test_no_site),
		T(test_missing_folders),
		T(test_state_dir_not_folder),
		T(test_site_files_refused),
		T(test_warnings_keep_exit_status),
		T(test_main_file_missing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
