#include "config.h"

#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "conftab.h"
#include "diag.h"
#include "filter.h"
#include "ini.h"
#include "log.h"
#include "rx.h"

/* State while one file is read. */
struct load_ctx {
	struct config *cfg;
	struct diag *d;
	char *dir;                  /* the file's folder, for relative paths */
	struct site *site;          /* the site being read */
	struct rule *rule;          /* the [event] being read */
	struct parser_def *parser;  /* the [parser] being read */
	size_t dir_first_parser;    /* first parser index of the current folder */
	int skip;                   /* keys under a bad section are skipped */
	int section_line;           /* first section's line, for "missing" errors */
	int site_line, pinterest_line; /* their sections' first lines, or 0 */
};

static const char *const agent_sections[] = {"agent", NULL};
static const char *const site_sections[] = {"site", "pinterest", "filter", "event", NULL};
static const char *const parser_sections[] = {"parser", NULL};

static int section_allowed(const char *const *allowed, const char *name)
{
	for (size_t i = 0; allowed[i] != NULL; i++) {
		if (strcmp(allowed[i], name) == 0) {
			return 1;
		}
	}
	return 0;
}

/* Which kind of file takes SECTION, for a section put in the wrong one. */
static const char *section_home(const char *section)
{
	if (section_allowed(agent_sections, section)) {
		return "pintail.conf";
	}
	if (section_allowed(site_sections, section)) {
		return "a site file (conf.d/SITE.conf)";
	}
	if (section_allowed(parser_sections, section)) {
		return "a parser file (in a parsers folder)";
	}
	return NULL;
}

/* Reports an unknown section, with a suggestion; returns 0 (go on). */
static int bad_section(struct load_ctx *c, const struct ini_item *it, const char *const *allowed)
{
	const char *near = value_suggest(it->section, allowed);
	const char *home = section_home(it->section);
	c->skip = 1;
	if (!section_allowed(allowed, it->section) && home != NULL) {
		diag_error(c->d, it->file, it->line, "[%s] belongs in %s, not here (this file takes %s%s%s%s)",
			   it->section, home, allowed[0], allowed[1] ? ", " : "",
			   allowed[1] ? allowed[1] : "", allowed[1] ? " ..." : "");
	} else if (it->section_arg != NULL && section_allowed(allowed, it->section)) {
		diag_error(c->d, it->file, it->line, "[%s] takes no name: write [%s]", it->section,
			   it->section);
	} else if (near != NULL) {
		diag_error(c->d, it->file, it->line, "unknown section [%s]; did you mean [%s]?",
			   it->section, near);
	} else {
		diag_error(c->d, it->file, it->line, "unknown section [%s] (this file takes %s%s%s%s)",
			   it->section, allowed[0], allowed[1] ? ", " : "", allowed[1] ? allowed[1] : "",
			   allowed[1] ? " ..." : "");
	}
	return 0;
}

/* Sets KEY of SECTION in TARGET, reporting unknown and repeated keys. */
static int load_key(struct load_ctx *c, const struct ini_item *it, const char *section,
		    enum vtarget kind, void *target, int *line_of)
{
	const struct key_def *k = conftab_find(section, it->key);
	size_t idx;

	if (k == NULL || k->target != kind) {
		const char *near = conftab_suggest(section, it->key);
		char home[128];
		if (conftab_home(section, it->key, home, sizeof home) != NULL) {
			diag_error(c->d, it->file, it->line, "%s is no key of [%s]: it belongs in %s", it->key,
				   section, home);
		} else if (near != NULL) {
			diag_error(c->d, it->file, it->line, "unknown key \"%s\" in [%s]; did you mean \"%s\"?",
				   it->key, section, near);
		} else {
			diag_error(c->d, it->file, it->line, "unknown key \"%s\" in [%s]", it->key, section);
		}
		return 0;
	}
	idx = conftab_index(k);
	if (line_of[idx] != 0) {
		diag_error(c->d, it->file, it->line, "%s is set twice in [%s] (first on line %d)",
			   it->key, section, line_of[idx]);
		return 0;
	}
	line_of[idx] = it->line;
	conftab_set(k, target, it->value, it->file, it->line, c->dir, c->d);
	return 0;
}

static int agent_item(void *ctx, const struct ini_item *it)
{
	struct load_ctx *c = ctx;

	if (it->key == NULL) {
		c->skip = 0;
		if (strcmp(it->section, "agent") != 0 || it->section_arg != NULL) {
			return bad_section(c, it, agent_sections);
		}
		return 0;
	}
	if (c->skip) {
		return 0;
	}
	return load_key(c, it, "agent", T_AGENT, c->cfg, c->cfg->line_of);
}

/* ---- parsers ---- */

static struct parser_def *find_parser(const struct config *cfg, const char *name, size_t *index)
{
	for (size_t i = 0; i < cfg->nparsers; i++) {
		if (strcmp(cfg->parsers[i]->name, name) == 0) {
			if (index != NULL) {
				*index = i;
			}
			return cfg->parsers[i];
		}
	}
	return NULL;
}

static struct parser_def *new_parser(struct load_ctx *c, const struct ini_item *it)
{
	struct config *cfg = c->cfg;
	struct parser_def *p = calloc(1, sizeof *p), *old;
	size_t at;

	if (p == NULL || (p->name = strdup(it->section_arg)) == NULL ||
	    (p->file = strdup(it->file)) == NULL) {
		parser_def_free(p);
		return NULL;
	}
	p->line = it->line;
	conftab_defaults(T_PARSER, p);
	old = find_parser(cfg, p->name, &at);
	if (old != NULL && at < c->dir_first_parser) {
		char *od = path_dir(old->file);
		if (od != NULL && c->dir != NULL && strcmp(od, c->dir) == 0) {
			at = c->dir_first_parser; /* defined in this folder already */
		}
		free(od);
	}
	if (old != NULL && at >= c->dir_first_parser) {
		diag_error(c->d, it->file, it->line, "parser %s is defined twice (first at %s:%d)",
			   p->name, old->file, old->line);
		parser_def_free(p);
		return NULL;
	}
	if (old != NULL) {
		/* A later folder overrides a parser of the same name. */
		parser_def_free(old);
		cfg->parsers[at] = p;
		return p;
	}
	{
		struct parser_def **np = realloc(cfg->parsers, (cfg->nparsers + 1) * sizeof *np);
		if (np == NULL) {
			parser_def_free(p);
			return NULL;
		}
		cfg->parsers = np;
		cfg->parsers[cfg->nparsers++] = p;
	}
	return p;
}

static int parser_item(void *ctx, const struct ini_item *it)
{
	struct load_ctx *c = ctx;

	if (it->key == NULL) {
		c->skip = 0;
		c->parser = NULL;
		if (strcmp(it->section, "parser") != 0) {
			return bad_section(c, it, parser_sections);
		}
		if (it->section_arg == NULL) {
			diag_error(c->d, it->file, it->line, "a parser section needs a name: [parser NAME]");
			c->skip = 1;
			return 0;
		}
		c->parser = new_parser(c, it);
		c->skip = c->parser == NULL;
		return 0;
	}
	if (c->skip || c->parser == NULL) {
		return 0;
	}
	return load_key(c, it, "parser", T_PARSER, c->parser, c->parser->line_of);
}

/* A folder that does not exist matches nothing; other read errors abort. */
static int glob_errfn(const char *path, int err)
{
	(void)path;
	errno = err;
	return err != ENOENT && err != ENOTDIR;
}

static int globsort(const char *pattern, glob_t *g)
{
	int rc = glob(pattern, 0, glob_errfn, g);
	if (rc == GLOB_NOMATCH) {
		g->gl_pathc = 0;
		return 0;
	}
	return rc == 0 ? 0 : -1;
}

/*
 * Reads the configuration file PATH with H.  One that cannot be opened is
 * said; when a permission is the cause, with the command that gives the
 * service's user (who may be the one reading it, or `check` as that user)
 * the right to read it.
 */
static int parse_conf(const char *path, ini_handler h, void *ctx, struct diag *d)
{
	FILE *f = ini_fopen(path);
	int result;

	if (f == NULL) {
		int err = errno;
		struct stat st;
		char fix[2 * PATH_MAX + 96];
		if (err == EACCES && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			config_private_advice(path, &st, fix, sizeof fix);
			diag_error(d, path, 0, "cannot open: %s: %s", strerror(err), fix);
		} else {
			diag_error(d, path, 0, "cannot open: %s", ini_open_error(err));
		}
		return -1;
	}
	result = ini_parse_stream(path, f, h, ctx, d);
	fclose(f);
	return result;
}

static void load_parsers(struct load_ctx *c)
{
	char **dirs = c->cfg->agent.parsers;

	for (size_t i = 0; dirs != NULL && dirs[i] != NULL; i++) {
		char *pattern;
		glob_t g = {0};

		if (asprintf(&pattern, "%s/*.conf", dirs[i]) < 0) {
			return;
		}
		c->dir_first_parser = c->cfg->nparsers;
		if (globsort(pattern, &g) < 0) {
			diag_error(c->d, c->cfg->file, c->cfg->line_of[conftab_index(conftab_find("agent", "parsers"))],
				   "parsers: cannot read folder %s: %s", dirs[i], strerror(errno));
		}
		for (size_t j = 0; j < g.gl_pathc; j++) {
			free(c->dir);
			c->dir = path_dir(g.gl_pathv[j]);
			c->skip = 0;
			c->parser = NULL;
			parse_conf(g.gl_pathv[j], parser_item, c, c->d);
		}
		globfree(&g);
		free(pattern);
	}
	for (size_t i = 0; i < c->cfg->nparsers; i++) {
		parser_compile(c->cfg->parsers[i], c->d);
	}
}

/* ---- sites ---- */

static struct rule *new_rule(struct load_ctx *c, const struct ini_item *it)
{
	struct site *s = c->site;
	struct rule *r, **nr;

	for (size_t i = 0; i < s->nrules; i++) {
		if (strcmp(s->rules[i]->name, it->section_arg) == 0) {
			diag_error(c->d, it->file, it->line, "[event %s] is defined twice (first on line %d)",
				   it->section_arg, s->rules[i]->line);
			return NULL;
		}
	}
	r = calloc(1, sizeof *r);
	nr = realloc(s->rules, (s->nrules + 1) * sizeof *nr);
	if (r == NULL || nr == NULL) {
		free(r);
		if (nr != NULL) {
			s->rules = nr;
		}
		return NULL;
	}
	s->rules = nr;
	conftab_defaults(T_RULE, r);
	r->name = strdup(it->section_arg);
	r->file = strdup(it->file);
	r->line = it->line;
	s->rules[s->nrules++] = r;
	return r;
}

static int site_item(void *ctx, const struct ini_item *it)
{
	struct load_ctx *c = ctx;

	if (it->key == NULL) {
		c->skip = 0;
		c->rule = NULL;
		if (c->section_line == 0) {
			c->section_line = it->line;
		}
		if (strcmp(it->section, "site") == 0 && c->site_line == 0) {
			c->site_line = it->line;
		} else if (strcmp(it->section, "pinterest") == 0 && c->pinterest_line == 0) {
			c->pinterest_line = it->line;
		}
		if (strcmp(it->section, "event") == 0) {
			if (it->section_arg == NULL) {
				diag_error(c->d, it->file, it->line, "an event section needs a name: [event NAME]");
				c->skip = 1;
				return 0;
			}
			c->rule = new_rule(c, it);
			c->skip = c->rule == NULL;
			return 0;
		}
		if (!section_allowed(site_sections, it->section) || it->section_arg != NULL) {
			return bad_section(c, it, site_sections);
		}
		return 0;
	}
	if (c->skip) {
		return 0;
	}
	if (c->rule != NULL) {
		return load_key(c, it, "event", T_RULE, c->rule, c->rule->line_of);
	}
	return load_key(c, it, it->section, T_SITE, c->site, c->site->line_of);
}

int site_key_line(const struct site *s, const char *section, const char *key)
{
	const struct key_def *k = conftab_find(section, key);
	return k ? s->line_of[conftab_index(k)] : 0;
}

static int rule_key_line(const struct rule *r, const char *key)
{
	return r->line_of[conftab_index(conftab_find("event", key))];
}

/* The host part of URL, without port or user, into OUT. */
static void finish_rules(struct load_ctx *c, struct site *s)
{
	for (size_t i = 0; i < s->nrules; i++) {
		struct rule *r = s->rules[i];
		if (r->type < 0 && rule_key_line(r, "type") == 0) {
			diag_error(c->d, s->file, r->line, "[event %s] needs a type (a Pinterest event name)",
				   r->name);
		}
		{
			static const struct status_set none;
			if (rule_key_line(r, "status") == 0 || memcmp(&r->status, &none, sizeof none) == 0) {
				r->status = s->status;
			}
		}
		if (r->methods == NULL) {
			r->methods = words_split("GET", 0);
		}
		for (int f = 0; f < RF_COUNT; f++) {
			for (size_t a = 0; a < r->field[f].n; a++) {
				struct source *src = &r->field[f].alt[a];
				if (src->kind != SRC_GROUP) {
					continue;
				}
				src->group = r->path.rx ? rx_group_number(r->path.rx, src->text) : -1;
				if (src->group < 0) {
					diag_error(c->d, s->file, rule_key_line(r, rule_field_name((enum rule_field)f)),
						   "%s: group:%s is not a named group of this rule's path", rule_field_name((enum rule_field)f),
						   src->text);
				}
			}
		}
	}
	if (s->nrules == 0) {
		/* No [event] section: one page_visit per GET hit of 200-299 or 304. */
		struct ini_item it = {.file = s->file, .line = 0, .section_arg = "page_visit"};
		struct rule *r = new_rule(c, &it);
		if (r != NULL) {
			r->type = EV_PAGE_VISIT;
			r->methods = words_split("GET", 0);
			value_status_set("200-299 304", &r->status);
			s->implicit_rule = 1;
		}
	}
}

static void finish_site(struct load_ctx *c, struct site *s)
{
	char host[256];
	int line = c->section_line ? c->section_line : 1;

	s->pinterest_line = c->pinterest_line ? c->pinterest_line : line;
	for (size_t i = 0; i < conf_nkeys; i++) {
		const struct key_def *k = &conf_keys[i];
		if (k->target == T_SITE && k->required && s->line_of[i] == 0) {
			/* At its section's line, when there is one. */
			int at = strcmp(k->section, "site") == 0	? c->site_line
				 : strcmp(k->section, "pinterest") == 0 ? c->pinterest_line
									: 0;
			diag_error(c->d, s->file, at ? at : line, "[%s] %s is required", k->section,
				   k->name);
		}
	}
	if (s->parser_name != NULL) {
		s->parser = find_parser(c->cfg, s->parser_name, NULL);
		if (s->parser == NULL) {
			const char *names[256];
			size_t n = 0;
			for (; n < c->cfg->nparsers && n < 255; n++) {
				names[n] = c->cfg->parsers[n]->name;
			}
			names[n] = NULL;
			const char *near = value_suggest(s->parser_name, names);
			int pline = site_key_line(s, "site", "parser");
			struct buf have = {0};
			for (size_t i = 0; i < n; i++) {
				buf_addf(&have, "%s%s", i ? " " : "", names[i]);
			}
			if (near != NULL) {
				diag_error(c->d, s->file, pline, "no parser called \"%s\"; did you mean \"%s\"?",
					   s->parser_name, near);
			} else if (n == 0) {
				struct buf dirs = {0};
				for (size_t i = 0; c->cfg->agent.parsers && c->cfg->agent.parsers[i]; i++) {
					buf_addf(&dirs, "%s%s", i ? " " : "", c->cfg->agent.parsers[i]);
				}
				diag_error(c->d, s->file, pline,
					   "no parser called \"%s\": the parser folders (%s) hold no parser at all; "
					   "check parsers = in %s",
					   s->parser_name, dirs.p ? dirs.p : "none", c->cfg->file);
				buf_free(&dirs);
			} else {
				diag_error(c->d, s->file, pline, "no parser called \"%s\"%s; the parsers are: %s",
					   s->parser_name,
					   s->parser_name[0] == '"' || s->parser_name[0] == '\''
						   ? " (write the name without quotes)"
						   : "",
					   have.p);
			}
			buf_free(&have);
		}
	}
	if (s->url != NULL) {
		size_t n = strlen(s->url);
		while (n > 0 && s->url[n - 1] == '/') {
			n--;
		}
		s->url_base = strndup(s->url, n);
		s->url_scheme = strndup(s->url, strcspn(s->url, ":"));
		if (s->url_base != NULL) {
			const char *auth = strstr(s->url_base, "://");
			auth = auth ? auth + 3 : s->url_base;
			s->url_path = auth + strcspn(auth, "/");
			{
				/* The port after the host, or after an IPv6 literal's ']'. */
				const char *h = auth;
				if (*h == '[') {
					const char *close = memchr(h, ']', (size_t)(s->url_path - h));
					h = close != NULL ? close : s->url_path;
				}
				const char *colon = memchr(h, ':', (size_t)(s->url_path - h));
				s->url_port = colon != NULL ? colon : s->url_path;
				s->url_port_len = (size_t)(s->url_path - s->url_port);
			}
			/* Written into every event: escaped once, here. */
			struct buf b = {0};
			if (buf_add_json_chars(&b, s->url_base, n) == 0) {
				s->url_base_json = b.p;
				s->url_base_json_len = b.len;
			} else {
				buf_free(&b);
			}
		}
		if (s->hosts == NULL) {
			url_host(s->url, host, sizeof host);
			s->hosts = words_split(host, 0);
		}
	}
	if (s->api_url != NULL) {
		size_t n = strlen(s->api_url);
		while (n > 0 && s->api_url[n - 1] == '/') {
			s->api_url[--n] = '\0';
		}
	}
	finish_rules(c, s);
}

static int site_name_ok(const char *name)
{
	if (name[0] == '\0' || name[0] == '.') {
		return 0;
	}
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") ==
	       strlen(name);
}

static void site_free(struct site *s);

static void load_site(struct load_ctx *c, const char *path)
{
	struct config *cfg = c->cfg;
	struct site *s = calloc(1, sizeof *s), **ns;
	const char *base = strrchr(path, '/');
	size_t blen;

	if (s == NULL) {
		return;
	}
	base = base ? base + 1 : path;
	blen = strlen(base);
	if (blen > 5 && strcmp(base + blen - 5, ".conf") == 0) {
		blen -= 5;
	}
	s->name = strndup(base, blen);
	/* The name is the site's state folder and its name in every command:
	 * two files of one name (in two folders an include glob reaches)
	 * would share a checkpoint. */
	for (size_t i = 0; s->name != NULL && i < cfg->nsites; i++) {
		if (strcmp(cfg->sites[i]->name, s->name) == 0) {
			diag_error(c->d, path, 0, "site \"%s\" is already defined by %s: rename one of them",
				   s->name, cfg->sites[i]->file);
			free(s->name);
			free(s);
			return;
		}
	}
	s->file = strdup(path);
	conftab_defaults(T_SITE, s);
	ns = realloc(cfg->sites, (cfg->nsites + 1) * sizeof *ns);
	if (s->name == NULL || s->file == NULL || ns == NULL) {
		diag_error(c->d, path, 0, "out of memory");
		conftab_free_values(T_SITE, s);
		free(s->name);
		free(s->file);
		free(s);
		if (ns != NULL) {
			cfg->sites = ns;
		}
		return;
	}
	cfg->sites = ns;
	cfg->sites[cfg->nsites++] = s;
	if (!site_name_ok(s->name)) {
		diag_error(c->d, path, 0, "a site file's name must be made of letters, digits, '_', '-' and '.'");
	}
	c->site = s;
	c->rule = NULL;
	c->skip = 0;
	c->section_line = c->site_line = c->pinterest_line = 0;
	free(c->dir);
	c->dir = path_dir(path);
	if (parse_conf(path, site_item, c, c->d) == 0) {
		finish_site(c, s);
	} else {
		/* Unreadable, or a folder: its error is said; checking what
		 * could not be read would only add false ones. */
		cfg->nsites--;
		c->site = NULL;
		site_free(s);
	}
}

/* 1 when the file of A (its stat) is a site file loaded already (by another pattern). */
static int already_loaded(const struct config *cfg, const struct stat *a)
{
	struct stat b;

	for (size_t i = 0; i < cfg->nsites; i++) {
		if (stat(cfg->sites[i]->file, &b) == 0 && a->st_dev == b.st_dev && a->st_ino == b.st_ino) {
			return 1;
		}
	}
	return 0;
}

/*
 * The site files of one include pattern.  A folder matched is said with
 * the pattern that would read its files, and pintail.conf itself (whose
 * [agent] would be read as a site) is left out and said.
 */
static void load_sites_of(struct load_ctx *c, const char *word, const struct stat *main_st)
{
	struct config *cfg = c->cfg;
	int line = cfg->line_of[conftab_index(conftab_find("agent", "include"))];
	char *pattern = conftab_path(cfg->dir, word);
	glob_t g = {0};

	if (pattern == NULL) {
		return;
	}
	if (globsort(pattern, &g) < 0) {
		diag_error(c->d, cfg->file, line, "include: cannot read %s: %s", pattern, strerror(errno));
	}
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *path = g.gl_pathv[i];
		struct stat st;
		cfg->include_matches++;
		if (stat(path, &st) != 0) {
			load_site(c, path); /* which says why it cannot be read */
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if (strpbrk(word, "*?[") == NULL) {
				size_t wl = strlen(word);
				while (wl > 1 && word[wl - 1] == '/') {
					wl--; /* "conf.d/" */
				}
				diag_error(c->d, cfg->file, line,
					   "include: %s is a folder; to read the site files in it, write %.*s/*.conf",
					   path, (int)wl, word);
			} else {
				diag_error(c->d, cfg->file, line,
					   "include: %s matches the folder %s, which is no site file: rename it, "
					   "or narrow the pattern",
					   word, path);
			}
			continue;
		}
		if (already_loaded(cfg, &st)) {
			continue; /* matched by an earlier pattern too */
		}
		if (main_st != NULL && st.st_dev == main_st->st_dev && st.st_ino == main_st->st_ino) {
			diag_error(c->d, cfg->file, line,
				   "include matches %s itself; it names site files only, such as conf.d/*.conf",
				   path);
			continue;
		}
		load_site(c, path);
	}
	globfree(&g);
	free(pattern);
}

/* include: one or more globs, separated by blanks. */
static void load_sites(struct load_ctx *c)
{
	struct config *cfg = c->cfg;
	struct stat main_st;
	const struct stat *main = stat(cfg->file, &main_st) == 0 ? &main_st : NULL;
	char **words;

	if (cfg->agent.include == NULL || (words = words_split(cfg->agent.include, 0)) == NULL) {
		return;
	}
	for (size_t i = 0; words[i] != NULL; i++) {
		load_sites_of(c, words[i], main);
	}
	words_free(words);
}

static void load_bots(struct load_ctx *c)
{
	struct config *cfg = c->cfg;
	int needed = 0;

	for (size_t i = 0; i < cfg->nsites; i++) {
		needed |= cfg->sites[i]->exclude_bots;
	}
	if (needed && cfg->agent.bots_file != NULL) {
		cfg->bots = filter_load_bots(cfg->agent.bots_file, cfg->file,
					     cfg->line_of[conftab_index(conftab_find("agent", "bots_file"))],
					     c->d);
	}
}

struct config *config_load(const char *path, unsigned flags, struct diag *d)
{
	struct config *cfg = calloc(1, sizeof *cfg);
	struct load_ctx c = {.cfg = cfg, .d = d};
	int errors_before = d->errors;

	if (cfg == NULL || (cfg->file = strdup(path)) == NULL || (cfg->dir = path_dir(path)) == NULL) {
		diag_error(d, path, 0, "out of memory");
		config_free(cfg);
		return NULL;
	}
	conftab_defaults(T_AGENT, cfg);
	c.dir = strdup(cfg->dir);
	if (parse_conf(path, agent_item, &c, d) < 0) {
		free(c.dir);
		config_free(cfg);
		return NULL;
	}
	if (cfg->agent.retry_min > cfg->agent.retry_max) {
		diag_error(d, path, cfg->line_of[conftab_index(conftab_find("agent", "retry_min"))],
			   "retry_min must not exceed retry_max");
	}
	if (!(flags & CONFIG_AGENT_ONLY)) {
		load_parsers(&c);
		load_sites(&c);
		load_bots(&c);
		config_validate(cfg, flags, d);
	}
	free(c.dir);
	if (d->errors > errors_before) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

struct site *config_site(const struct config *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->nsites; i++) {
		if (strcmp(cfg->sites[i]->name, name) == 0) {
			return cfg->sites[i];
		}
	}
	return NULL;
}

static void site_free(struct site *s)
{
	if (s == NULL) {
		return;
	}
	for (size_t i = 0; i < s->nrules; i++) {
		rule_free(s->rules[i]);
	}
	free(s->rules);
	conftab_free_values(T_SITE, s);
	secret_free(&s->token);
	free(s->url_base);
	free(s->url_base_json);
	free(s->url_scheme);
	free(s->name);
	free(s->file);
	free(s);
}

void config_free(struct config *cfg)
{
	if (cfg == NULL) {
		return;
	}
	for (size_t i = 0; i < cfg->nsites; i++) {
		site_free(cfg->sites[i]);
	}
	for (size_t i = 0; i < cfg->nparsers; i++) {
		parser_def_free(cfg->parsers[i]);
	}
	free(cfg->sites);
	free(cfg->parsers);
	rx_free(cfg->bots);
	conftab_free_values(T_AGENT, cfg);
	free(cfg->file);
	free(cfg->dir);
	free(cfg);
}

const char *config_service_user(void)
{
	const char *name = getenv("PINTAIL_SERVICE_USER");
	return name != NULL && name[0] != '\0' ? name : PINTAIL_USER;
}
