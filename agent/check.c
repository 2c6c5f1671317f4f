/*
 * check — the checks that look across a loaded configuration: ids, tokens
 * and their permissions, the API URL, files shared by sites, overlapping
 * rules, and (for `pintail check`) whether the logs can be read.  Part of
 * config (declared in config.h).
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "conftab.h"
#include "diag.h"
#include "rx.h"
#include "tailer.h"

/* The longest token we accept; real ones are a few hundred bytes. */
#define TOKEN_MAX 4096
#define STRINGIFY(x) #x
#define NUMBER_TEXT(x) STRINGIFY(x)

/* 1 when the group GID may read secrets: root's or the service user's own. */
static int trusted_group(gid_t gid)
{
	struct passwd *pw;
	if (gid == 0) {
		return 1;
	}
	pw = getpwnam(config_service_user());
	return pw != NULL && pw->pw_gid == gid;
}

static int too_open(const struct stat *st)
{
	return (st->st_mode & S_IROTH) || ((st->st_mode & S_IRGRP) && !trusted_group(st->st_gid));
}

/*
 * What to type so that FILE (of ST) is the service's to read and nobody
 * else's, into OUT.  By its owner: "chmod 600" on a file root owns would
 * lock the service (user pintail) out of it, and its next start would
 * fail; such a file is given to group pintail instead.
 */
void config_private_advice(const char *file, const struct stat *st, char *out, size_t len)
{
	const char *user = config_service_user();
	struct passwd *pw = getpwnam(user);
	struct group *gr = pw != NULL ? getgrgid(pw->pw_gid) : NULL;

	if (pw != NULL && st->st_uid == pw->pw_uid) {
		snprintf(out, len, "chmod 600 %s", file);
	} else if (gr != NULL) {
		snprintf(out, len, "chgrp %s %s && chmod 640 %s (the service reads it as user %s)",
			 gr->gr_name, file, file, user);
	} else {
		snprintf(out, len, "chmod 600 %s (or 640 with group %s)", file, user);
	}
}

/*
 * Why TOKEN (LEN bytes, trailing blanks already cut) cannot be a token, or
 * NULL.  Tokens go into an HTTP header as they are: only printable ASCII
 * without spaces is taken, so that a CR, a NUL or a byte-order mark never
 * reaches the request.  Never says what the token holds.
 */
enum token_wrap { TOKEN_BARE, TOKEN_QUOTED, TOKEN_NAMED };

/*
 * A token as people wrap it: in quotes, or after NAME= as an environment
 * file has it ("PINTEREST_ACCESS_TOKEN=pina_...", a NAME with "token" in
 * it).  Says which, and points *P and *LEN at what is inside.
 */
static enum token_wrap token_unwrap(const char **p, size_t *len)
{
	const char *t = *p;
	size_t n = *len, name;

	if (n >= 2 && (t[0] == '"' || t[0] == '\'') && t[n - 1] == t[0]) {
		*p = t + 1;
		*len = n - 2;
		return TOKEN_QUOTED;
	}
	name = strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_");
	if (name >= 5 && name < n && t[name] == '=') {
		for (size_t i = 0; i + 5 <= name; i++) {
			if (strncasecmp(t + i, "token", 5) == 0) {
				*p = t + name + 1;
				*len = n - name - 1;
				return TOKEN_NAMED;
			}
		}
	}
	return TOKEN_BARE;
}

static const char *token_problem(const char *token, size_t len)
{
	if (len == 0) {
		return "the token is empty";
	}
	if (len > TOKEN_MAX) {
		return "the token is longer than " NUMBER_TEXT(TOKEN_MAX) " bytes: is this the right file?";
	}
	if (len >= 3 && memcmp(token, "\xef\xbb\xbf", 3) == 0) {
		return "starts with a UTF-8 byte-order mark: save it without one";
	}
	if (len > 7 && strncasecmp(token, "Bearer ", 7) == 0) {
		return "write the token alone, without \"Bearer \"";
	}
	switch (token_unwrap(&token, &len)) {
	case TOKEN_QUOTED: return "write the token alone, without quotes";
	case TOKEN_NAMED: return "write the token alone, without the NAME= before it";
	default: break;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)token[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			return "expected the token alone on one line, without spaces";
		}
		if (c < 0x21 || c > 0x7e) {
			return "the token holds a byte that is not printable ASCII";
		}
	}
	return NULL;
}

/* LEN without the blanks and line ends at the end of P. */
static size_t trim_end(const char *p, size_t len)
{
	while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\r' || p[len - 1] == ' ' ||
			   p[len - 1] == '\t')) {
		len--;
	}
	return len;
}

/* The inline access_token, checked as a file's would be. */
static int read_inline_token(struct site *s, struct diag *d)
{
	const char *why = token_problem(s->access_token, strlen(s->access_token));

	if (why != NULL) {
		diag_error(d, s->file, site_key_line(s, "pinterest", "access_token"), "access_token: %s",
			   why);
		return -1;
	}
	secret_free(&s->token);
	s->token = strdup(s->access_token);
	return s->token ? 0 : -1;
}

/*
 * 1 when the last part of PATH, a file that does not exist, could be a
 * token rather than a file's name: 16 printable bytes or more, no dot.
 */
static int maybe_token(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base != NULL ? base + 1 : path;
	n = strlen(base);
	token_unwrap(&base, &n); /* as a token file may hold it too */
	return n >= 16 && memchr(base, '.', n) == NULL && token_problem(base, n) == NULL;
}

int site_read_token(struct site *s, struct diag *d)
{
	/* Room for a token of TOKEN_MAX, its line end, and a byte more to
	 * tell a longer file. */
	char buf[TOKEN_MAX + 3];
	int line = site_key_line(s, "pinterest", "access_token_file");
	const char *why = NULL;
	struct stat st;
	ssize_t n;
	size_t len;
	int fd;

	if (s->access_token_file == NULL) {
		return s->access_token == NULL ? -1 : read_inline_token(s, d);
	}
	/* O_NONBLOCK: a FIFO put there must not hang the agent. */
	fd = open(s->access_token_file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 && errno == EACCES && stat(s->access_token_file, &st) == 0) {
		char fix[2 * PATH_MAX + 96];
		config_private_advice(s->access_token_file, &st, fix, sizeof fix);
		diag_error(d, s->file, line, "access_token_file %s: %s: %s", s->access_token_file,
			   strerror(EACCES), fix);
		return -1;
	}
	if (fd < 0 && errno == ENOENT && maybe_token(s->access_token_file)) {
		/* The token itself written as access_token_file: not repeated. */
		diag_error(d, s->file, line,
			   "access_token_file: no such file (its value is not shown: it looks like a token; "
			   "access_token_file names the file that holds the token)");
		return -1;
	}
	if (fd < 0 || fstat(fd, &st) < 0) {
		diag_error(d, s->file, line, "access_token_file %s: %s", s->access_token_file,
			   strerror(errno));
		if (fd >= 0) {
			close(fd);
		}
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		diag_error(d, s->file, line, "access_token_file %s: %s", s->access_token_file,
			   S_ISDIR(st.st_mode) ? strerror(EISDIR) : "not a regular file");
		close(fd);
		return -1;
	}
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n < 0) {
		diag_error(d, s->file, line, "access_token_file %s: %s", s->access_token_file,
			   strerror(errno));
		return -1;
	}
	len = trim_end(buf, (size_t)n);
	buf[len] = '\0';
	if ((size_t)n == sizeof buf - 1 && len == (size_t)n) {
		len = TOKEN_MAX + 1; /* more than a token and its line end */
	}
	why = len == 0 ? "the file is empty" : token_problem(buf, len);
	if (why != NULL) {
		diag_error(d, s->file, line, "access_token_file %s: %s", s->access_token_file, why);
		explicit_bzero(buf, sizeof buf);
		return -1;
	}
	secret_free(&s->token);
	s->token = strdup(buf);
	explicit_bzero(buf, sizeof buf);
	return s->token ? 0 : -1;
}

/*
 * Warnings for FILE (of ST), which holds SITE's token, said at LINE: others
 * than root, the service's user and the user running this may replace it
 * (it is theirs, or writable by its group or everyone), and so swap the
 * token or stop delivery.
 */
static void check_token_owner(const struct site *s, const char *file, const struct stat *st, int line,
			      struct diag *d)
{
	const char *user = config_service_user();
	struct passwd *pw = getpwnam(user);

	/* Root's, the service user's, or the user's running this (an agent
	 * of one's own, or `check` as the service's user): fine.  With no
	 * service user (PINTAIL_SERVICE_USER set empty: root's check alone),
	 * whose it should be is not known. */
	const char *env = getenv("PINTAIL_SERVICE_USER");
	if (!(env != NULL && env[0] == '\0') && st->st_uid != 0 && st->st_uid != geteuid() &&
	    (pw == NULL || st->st_uid != pw->pw_uid)) {
		struct passwd *owner = getpwuid(st->st_uid);
		char name[64];
		if (owner != NULL) {
			snprintf(name, sizeof name, "%s", owner->pw_name);
		} else {
			snprintf(name, sizeof name, "%lu", (unsigned long)st->st_uid);
		}
		diag_warn(d, s->file, line,
			  "%s (which holds the token) belongs to user %s, who may replace it: chown root %s",
			  file, name, file);
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		diag_warn(d, s->file, line, "%s (which holds the token) may be changed by %s: chmod go-w %s",
			  file, (st->st_mode & S_IWOTH) ? "everyone" : "its group", file);
	}
}

static void check_token(struct site *s, unsigned flags, struct diag *d)
{
	int lf = site_key_line(s, "pinterest", "access_token_file");
	int li = site_key_line(s, "pinterest", "access_token");
	struct stat st;
	char fix[2 * PATH_MAX + 96];

	if (s->access_token_file != NULL && s->access_token != NULL) {
		diag_error(d, s->file, li > lf ? li : lf,
			   "set access_token_file or access_token, not both");
		return;
	}
	if (s->access_token_file == NULL && s->access_token == NULL) {
		int at = site_key_line(s, "pinterest", "ad_account_id");
		diag_error(d, s->file, at ? at : s->pinterest_line,
			   "[pinterest] needs access_token_file (or access_token)");
		return;
	}
	if (!(flags & CONFIG_TOKENS)) {
		return;
	}
	if (s->access_token_file != NULL) {
		if (site_read_token(s, d) == 0 && stat(s->access_token_file, &st) == 0) {
			if (too_open(&st)) {
				config_private_advice(s->access_token_file, &st, fix, sizeof fix);
				diag_warn(d, s->file, lf, "access_token_file %s is readable by %s: %s",
					  s->access_token_file, (st.st_mode & S_IROTH) ? "everyone" : "its group",
					  fix);
			}
			check_token_owner(s, s->access_token_file, &st, lf, d);
		}
		return;
	}
	site_read_token(s, d);
	if (stat(s->file, &st) == 0) {
		if (too_open(&st)) {
			config_private_advice(s->file, &st, fix, sizeof fix);
			diag_warn(d, s->file, li,
				  "this file holds access_token and is readable by %s: %s, or move the token to "
				  "access_token_file",
				  (st.st_mode & S_IROTH) ? "everyone" : "its group", fix);
		}
		check_token_owner(s, s->file, &st, li, d);
	}
}

static void check_ids(struct site *s, struct diag *d)
{
	const char *ad = s->ad_account_id, *tag = s->tag_id;
	int la = site_key_line(s, "pinterest", "ad_account_id");
	int lt = site_key_line(s, "pinterest", "tag_id");

	if (ad != NULL && tag != NULL && strcmp(ad, tag) == 0) {
		diag_error(d, s->file, lt,
			   "tag_id equals ad_account_id: the Tag ID is the browser tag's, not the ad account's");
		return;
	}
	if (ad != NULL && strlen(ad) == 13 && strncmp(ad, "26", 2) == 0) {
		diag_warn(d, s->file, la,
			  "ad_account_id looks like a Tag ID (13 digits starting 26); the Ad Account ID has 12 digits starting 549 (Ads Manager URL /advertiser/ID/)");
	}
	if (tag != NULL && strlen(tag) == 12 && strncmp(tag, "549", 3) == 0) {
		diag_warn(d, s->file, lt,
			  "tag_id looks like an Ad Account ID (12 digits starting 549): are the two ids swapped?");
	}
}

/*
 * 1 when URL's host is a loopback one, as libcurl reads it: the host it
 * would connect to, whatever another parser makes of an odd URL
 * ("http://[::1].evil.com/").  A URL libcurl refuses is none.
 */
static int loopback_url(const char *url)
{
	CURLU *u = curl_url();
	char *host = NULL;
	int loopback = 0;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host != NULL) {
		size_t n = strlen(host);
		loopback = strcasecmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0 ||
			   (strncmp(host, "127.", 4) == 0 && strspn(host, "0123456789.") == n);
	}
	curl_free(host);
	curl_url_cleanup(u);
	return loopback;
}

static void check_endpoint(struct site *s, struct diag *d)
{
	if (s->api_url != NULL && strncmp(s->api_url, "http://", 7) == 0 && !loopback_url(s->api_url)) {
		diag_error(d, s->file, site_key_line(s, "pinterest", "api_url"),
			   "api_url: plain http:// is accepted only for a loopback host; use https://");
	}
	if (s->api_url != NULL) {
		int line = site_key_line(s, "pinterest", "api_url");
		const char *auth = strstr(s->api_url, "//") + 2, *path = auth + strcspn(auth, "/");
		size_t hlen;
		const char *host = authority_host(auth, (size_t)(path - auth), &hlen, NULL);
		/* The requests go to {api_url}/ad_accounts/{id}/events. */
		if (strstr(path, "/ad_accounts/") != NULL) {
			diag_error(d, s->file, line,
				   "api_url is the API's base, such as https://api.pinterest.com/v5: pintail "
				   "adds /ad_accounts/<ad_account_id>/events itself; cut the URL there");
		} else if (hlen == 17 && strncasecmp(host, "api.pinterest.com", hlen) == 0 &&
			   strcmp(path, "/v5") != 0 && strcmp(path, "/v5/") != 0) {
			diag_warn(d, s->file, line,
				  "api_url: Pinterest's Conversions API is at https://api.pinterest.com/v5; "
				  "any other path is answered 404 (remove the line to use it)");
		}
	}
	if (s->max_event_age > 7LL * 86400 * 1000) {
		diag_warn(d, s->file, site_key_line(s, "pinterest", "max_event_age"),
			  "max_event_age is over 7d: Pinterest refuses events older than about 7 days, so older "
			  "ones would be sent only to be rejected");
	}
	if (s->ca_file != NULL) {
		struct stat st;
		int line = site_key_line(s, "pinterest", "ca_file");
		if (access(s->ca_file, R_OK) != 0) {
			diag_error(d, s->file, line, "ca_file %s: %s", s->ca_file, strerror(errno));
		} else if (stat(s->ca_file, &st) == 0 && !S_ISREG(st.st_mode)) {
			diag_error(d, s->file, line, "ca_file %s: %s; name a PEM file of CA certificates",
				   s->ca_file, S_ISDIR(st.st_mode) ? "a folder" : "not a regular file");
		}
	}
}

/*
 * hosts set without url's own host: most likely copied from the example
 * and not adapted, and then a referer from the site's own pages gives no
 * click id, and in a shared log its hits go to no site.
 */
static void check_hosts(const struct site *s, struct diag *d)
{
	int line = site_key_line(s, "site", "hosts");
	char host[256];

	if (line == 0 || s->url == NULL) {
		return;
	}
	url_host(s->url, host, sizeof host);
	if (host[0] != '\0' && !hosts_have(s->hosts, host, strlen(host))) {
		diag_warn(d, s->file, line,
			  "hosts does not name url's host %s: a referer from it gives no click id%s; "
			  "add it, or remove the line (its default is url's host)",
			  host, s->routed ? ", and its hits go to no site" : "");
	}
}

/* A literal sample of a path regex: what follows '^' up to a metacharacter. */
static void regex_sample(const char *src, char *out, size_t outlen)
{
	size_t n = 0;
	if (*src == '^') {
		src++;
	}
	while (*src && n + 1 < outlen && strchr("\\.[]()*+?{}|^$", *src) == NULL) {
		out[n++] = *src++;
	}
	out[n] = '\0';
}

static int methods_overlap(char *const *a, char *const *b)
{
	for (size_t i = 0; a != NULL && a[i] != NULL; i++) {
		if (words_has(b, a[i])) {
			return 1;
		}
	}
	return 0;
}

/*
 * Whether two rules can match one hit cannot be decided in general; this
 * says yes when either has no path, or either path matches the literal
 * start of the other's.
 */
static int rules_overlap(const struct rule *a, const struct rule *b)
{
	char sa[256], sb[256];

	if (!methods_overlap(a->methods, b->methods) || !status_set_overlaps(&a->status, &b->status)) {
		return 0;
	}
	if (a->path.rx == NULL || b->path.rx == NULL || strcmp(a->path.src, b->path.src) == 0) {
		return 1;
	}
	regex_sample(a->path.src, sa, sizeof sa);
	regex_sample(b->path.src, sb, sizeof sb);
	return rx_match(a->path.rx, sb, strlen(sb)) == 1 || rx_match(b->path.rx, sa, strlen(sa)) == 1;
}

/* The line of key NAME of rule R, or the rule's section line. */
static int rule_line(const struct rule *r, const char *name)
{
	int l = r->line_of[conftab_index(conftab_find("event", name))];
	return l ? l : r->line;
}

/* What makes rule R match no hit the site lets through. */
static void check_rule_reach(const struct site *s, const struct rule *r, struct diag *d)
{
	/* HTTP's, and WebDAV's, CalDAV's and caches' that servers log. */
	static const char *const methods[] = {
		"GET",	   "HEAD",   "POST",	"PUT",	    "PATCH", "DELETE", "OPTIONS", "TRACE",
		"CONNECT", "PURGE",  "SEARCH",	"QUERY",    "PROPFIND", "PROPPATCH", "MKCOL", "COPY",
		"MOVE",	   "LOCK",   "UNLOCK",	"REPORT",   "MKCALENDAR", "ACL", "BIND", "UNBIND",
		"REBIND",  "LINK",   "UNLINK",	"MKACTIVITY", "CHECKOUT", "MERGE", "VERSION-CONTROL", NULL};
	const char *src = r->path.src;

	if (!status_set_overlaps(&r->status, &s->status)) {
		diag_warn(d, s->file, rule_line(r, "status"),
			  "[event %s] matches no hit: none of its statuses passes [filter]'s status, which "
			  "drops the hit first; widen [filter] status",
			  r->name);
	}
	/* The path is matched without the query, and without scheme or host. */
	if (src != NULL && (strstr(src, "\\?") != NULL || strstr(src, "[?]") != NULL)) {
		diag_warn(d, s->file, rule_line(r, "path"),
			  "[event %s] path: paths are matched without their query ('?...'): match the path "
			  "alone, and take parameters with query:NAME",
			  r->name);
	} else if (src != NULL && (strstr(src, "http://") != NULL || strstr(src, "https://") != NULL ||
				   strstr(src, "http:\\/\\/") != NULL || strstr(src, "https:\\/\\/") != NULL)) {
		diag_warn(d, s->file, rule_line(r, "path"),
			  "[event %s] path: paths are matched without scheme and host: write ^/checkout, "
			  "not the whole URL",
			  r->name);
	}
	for (size_t i = 0; r->methods != NULL && r->methods[i] != NULL; i++) {
		/* Only a near miss: a method of its own is the site's business
		 * (a known one is its own nearest). */
		const char *near = value_suggest(r->methods[i], methods);
		if (near != NULL && strcmp(near, r->methods[i]) != 0) {
			diag_warn(d, s->file, rule_line(r, "methods"),
				  "[event %s] methods: %s is no HTTP method; did you mean %s?", r->name, r->methods[i],
				  near);
		}
	}
}

static void check_rules(struct site *s, struct diag *d)
{
	for (size_t i = 0; i < s->nrules && !s->implicit_rule; i++) {
		check_rule_reach(s, s->rules[i], d);
		for (size_t j = i + 1; j < s->nrules; j++) {
			const struct rule *a = s->rules[i], *b = s->rules[j];
			if (a->type >= 0 && a->type == b->type && rules_overlap(a, b)) {
				diag_warn(d, s->file, b->line,
					  "[event %s] overlaps [event %s] (line %d): both give %s, and where both match a hit only [event %s] counts",
					  b->name, a->name, a->line, event_type_name((enum event_type)a->type), a->name);
			}
		}
	}
}

static void check_parser_fields(struct site *s, struct diag *d)
{
	const struct parser_def *p = s->parser;
	if (p == NULL) {
		return;
	}
	if (s->client_ip == CLIENT_IP_X_FORWARDED_FOR && !(p->have & (1u << FIELD_HTTP_X_FORWARDED_FOR))) {
		diag_error(d, s->file, site_key_line(s, "site", "client_ip"),
			   "client_ip = http_x_forwarded_for, but parser %s does not capture http_x_forwarded_for",
			   p->name);
	}
}

/* 1 when two log patterns of two sites name a common file. */
static int logs_share(const char *a, const char *b)
{
	glob_t ga = {0}, gb = {0};
	int shared = strcmp(a, b) == 0;

	if (!shared && glob(a, 0, NULL, &ga) == 0 && glob(b, 0, NULL, &gb) == 0) {
		for (size_t i = 0; i < ga.gl_pathc && !shared; i++) {
			char ra[PATH_MAX], rb[PATH_MAX];
			if (realpath(ga.gl_pathv[i], ra) == NULL) {
				continue;
			}
			for (size_t j = 0; j < gb.gl_pathc && !shared; j++) {
				shared = realpath(gb.gl_pathv[j], rb) != NULL && strcmp(ra, rb) == 0;
			}
		}
	}
	globfree(&ga);
	globfree(&gb);
	return shared;
}

static int hosts_overlap(char *const *a, char *const *b)
{
	for (size_t i = 0; a != NULL && a[i] != NULL; i++) {
		for (size_t j = 0; b != NULL && b[j] != NULL; j++) {
			if (strcasecmp(a[i], b[j]) == 0) {
				return 1;
			}
		}
	}
	return 0;
}

static void check_shared_pair(struct site *a, struct site *b, struct diag *d)
{
	for (size_t i = 0; a->logs && a->logs[i]; i++) {
		for (size_t j = 0; b->logs && b->logs[j]; j++) {
			int both_host;
			if (!logs_share(a->logs[i], b->logs[j])) {
				continue;
			}
			both_host = a->parser && b->parser && (a->parser->have & (1u << FIELD_HOST)) &&
				    (b->parser->have & (1u << FIELD_HOST));
			if (!both_host || hosts_overlap(a->hosts, b->hosts)) {
				diag_error(d, b->file, site_key_line(b, "site", "logs"),
					   "site %s also reads %s (%s): two sites may share a file only when both parsers capture host and their hosts do not overlap",
					   a->name, b->logs[j], a->file);
			} else {
				a->routed = b->routed = 1;
			}
			return;
		}
	}
}

/* ---- the logs, as the user running check sees them ---- */

/* 1 when a `logs` entry is a glob (glob(3) without flags: '*', '?', '['). */
static int is_glob(const char *pattern) { return strpbrk(pattern, "*?[") != NULL; }

/* Where a warning about the site's logs points: its `logs` line. */
static int logs_line(const struct site *s) { return site_key_line(s, "site", "logs"); }

/*
 * The folder of PATTERN, which the agent watches (inotify needs read
 * access) and lists (a glob), and enters to open the files.  Returns 1
 * when the files in it can be looked at, else 0 after a warning that says
 * why.  A folder that is itself a glob is left to the glob.
 */
static int check_log_folder(const struct site *s, const char *pattern, struct diag *d)
{
	char *dir = path_dir(pattern);
	char user[64];
	struct stat st;
	int why = 0;

	if (dir == NULL || is_glob(dir)) {
		free(dir);
		return dir != NULL;
	}
	if (stat(dir, &st) < 0) {
		why = errno;
	} else if (!S_ISDIR(st.st_mode)) {
		why = ENOTDIR;
	} else if (access(dir, R_OK | X_OK) < 0) {
		why = errno;
	}
	if (why == ENOENT) {
		diag_warn(d, s->file, logs_line(s),
			  "logs: folder %s does not exist (yet): the agent looks for it every 5 s and follows %s when %s",
			  dir, pattern, is_glob(pattern) ? "files match it" : "it appears");
	} else if (why == EACCES) {
		diag_warn(d, s->file, logs_line(s),
			  "logs: user %s may not list or enter folder %s, which the agent watches: %s",
			  tailer_user(user, sizeof user), dir, TAILER_ACCESS_HINT);
	} else if (why != 0) {
		diag_warn(d, s->file, logs_line(s), "logs: folder %s: %s", dir, strerror(why));
	}
	free(dir);
	return why == 0;
}

/*
 * When log PATH is a symlink, the folder of its target, which the agent
 * watches too (a rotation there renames the target), must be listable:
 * else a warning, once per `logs` entry (*SAID).
 */
static void check_link_folder(const struct site *s, const char *path, int *said, struct diag *d)
{
	struct stat lst;
	char real[PATH_MAX], user[64];
	char *dir;

	if (*said || lstat(path, &lst) < 0 || !S_ISLNK(lst.st_mode) || realpath(path, real) == NULL ||
	    (dir = path_dir(real)) == NULL) {
		return;
	}
	if (access(dir, R_OK | X_OK) < 0 && errno == EACCES) {
		diag_warn(d, s->file, logs_line(s),
			  "logs: user %s may not list or enter folder %s, the folder of %s's target, which the "
			  "agent watches: %s",
			  tailer_user(user, sizeof user), dir, path, TAILER_ACCESS_HINT);
		*said = 1;
	}
	free(dir);
}

/*
 * Whether the user running check may read the log file PATH: 1 yes, 0
 * when it may not (EACCES, for the caller to report), -1 after a warning
 * about something else.  Only regular files are followed, and only they
 * are opened: O_NONBLOCK, so that a FIFO put there since never blocks.
 * A symlink's target folder is looked at too (check_link_folder()).
 */
static int log_file_readable(const struct site *s, const char *path, int *said, struct diag *d)
{
	struct stat st;
	int fd;

	if (stat(path, &st) < 0) {
		diag_warn(d, s->file, logs_line(s), "logs: %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		diag_warn(d, s->file, logs_line(s),
			  "logs: %s is %s, not a regular file: the agent does not read it", path,
			  S_ISDIR(st.st_mode) ? "a folder" : S_ISFIFO(st.st_mode) ? "a FIFO" : "a special file");
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd >= 0) {
		close(fd);
		check_link_folder(s, path, said, d);
		return 1;
	}
	if (errno == EACCES || errno == EPERM) {
		return 0;
	}
	diag_warn(d, s->file, logs_line(s), "logs: %s: %s", path, strerror(errno));
	return -1;
}

/*
 * One entry of the site's `logs`: its folder, then the file it names or
 * the files its glob matches.  A path that matches nothing yet is only
 * worth a warning: the agent follows it once it appears.  The files the
 * user may not read make one warning, naming the first of them.
 */
static void check_log_entry(const struct site *s, const char *pattern, struct diag *d)
{
	glob_t g = {0};
	const char *denied = NULL;
	size_t ndenied = 0;
	char user[64];
	struct stat st;
	int said = 0; /* a symlink's target folder warned about */

	if (!check_log_folder(s, pattern, d)) {
		return;
	}
	if (!is_glob(pattern) && stat(pattern, &st) < 0 && errno == ENOENT) {
		diag_warn(d, s->file, logs_line(s),
			  "logs: %s does not exist (yet): the agent follows it when it appears", pattern);
		return;
	}
	if (!is_glob(pattern)) {
		if (log_file_readable(s, pattern, &said, d) == 0) {
			denied = pattern;
			ndenied = 1;
		}
	} else if (glob(pattern, 0, NULL, &g) != 0) {
		diag_warn(d, s->file, logs_line(s),
			  "logs: no file matches %s (yet): the agent follows the files that match it when they appear",
			  pattern);
	} else {
		const char *packed = NULL;
		for (size_t i = 0; i < g.gl_pathc; i++) {
			if (log_file_readable(s, g.gl_pathv[i], &said, d) == 0) {
				denied = denied ? denied : g.gl_pathv[i];
				ndenied++;
			}
			if (packed == NULL && tailer_compressed_name(g.gl_pathv[i])) {
				packed = g.gl_pathv[i];
			}
		}
		if (packed != NULL) {
			diag_warn(d, s->file, logs_line(s),
				  "logs: %s matches %s, a compressed file, which is not read; match the live log "
				  "alone (pintail follows its rotation)",
				  pattern, packed);
		}
	}
	if (ndenied == 1) {
		diag_warn(d, s->file, logs_line(s), "logs: user %s may not read %s: %s",
			  tailer_user(user, sizeof user), denied, TAILER_ACCESS_HINT);
	} else if (ndenied > 1) {
		diag_warn(d, s->file, logs_line(s),
			  "logs: user %s may not read %s, nor %zu other file%s matching %s: %s",
			  tailer_user(user, sizeof user), denied, ndenied - 1, ndenied == 2 ? "" : "s", pattern,
			  TAILER_ACCESS_HINT);
	}
	globfree(&g);
}

void config_validate(struct config *cfg, unsigned flags, struct diag *d)
{
	struct stat st;

	/* `run` creates it when it is missing; something else there it cannot use. */
	if (cfg->agent.state_dir != NULL && stat(cfg->agent.state_dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
		diag_error(d, cfg->file, cfg->line_of[conftab_index(conftab_find("agent", "state_dir"))],
			   "state_dir %s is not a folder; name a folder (pintail creates a missing one)",
			   cfg->agent.state_dir);
	}
	for (size_t i = 0; i < cfg->nsites; i++) {
		struct site *s = cfg->sites[i];
		check_ids(s, d);
		check_token(s, flags, d);
		check_endpoint(s, d);
		check_rules(s, d);
		check_parser_fields(s, d);
		for (size_t j = 0; (flags & CONFIG_LOGS) && s->logs != NULL && s->logs[j] != NULL; j++) {
			check_log_entry(s, s->logs[j], d);
		}
		for (size_t j = 0; j < i; j++) {
			check_shared_pair(cfg->sites[j], s, d);
		}
	}
	/* After the pairs: whether a site shares a log is known then. */
	for (size_t i = 0; i < cfg->nsites; i++) {
		check_hosts(cfg->sites[i], d);
	}
	/* Files that matched but could not be read were said already. */
	if (cfg->nsites == 0 && cfg->include_matches == 0) {
		const char *inc = cfg->agent.include ? cfg->agent.include : "";
		int line = cfg->line_of[conftab_index(conftab_find("agent", "include"))];
		char *pattern = conftab_path(cfg->dir, inc);
		if (strpbrk(inc, " \t") != NULL) {
			diag_warn(d, cfg->file, line, "no site is configured: no file matches any of %s (in %s)",
				  inc, cfg->dir);
		} else {
			diag_warn(d, cfg->file, line, "no site is configured: no file matches %s",
				  pattern ? pattern : "include");
		}
		free(pattern);
	}
}
