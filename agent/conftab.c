#include "conftab.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "diag.h"
#include "log.h"
#include "rules.h"
#include "rx.h"
#include "values.h"

#define AG(name, type, def, help) \
	{"agent", #name, type, T_AGENT, offsetof(struct config, agent.name), def, 0, 0, 0, help}
#define SI(sec, name, type, def, req, help) \
	{sec, #name, type, T_SITE, offsetof(struct site, name), def, 0, 0, req, help}
/* A duration that 0 would break (a timeout that never ends, a retry
 * that never waits): at least one second. */
#define AG_POSITIVE(name, def, help) \
	{"agent", #name, V_DURATION, T_AGENT, offsetof(struct config, agent.name), def, 1000, 0, 0, help}
#define SI_POSITIVE(sec, name, def, help) \
	{sec, #name, V_DURATION, T_SITE, offsetof(struct site, name), def, 1000, 0, 0, help}
#define RU(name, type, help) {"event", #name, type, T_RULE, offsetof(struct rule, name), NULL, 0, 0, 0, help}
#define RF(name, idx, type, help) \
	{"event", name, type, T_RULE, offsetof(struct rule, field[idx]), NULL, 0, 0, 0, help}
#define PA(name, type, req, help) \
	{"parser", #name, type, T_PARSER, offsetof(struct parser_def, name), NULL, 0, 0, req, help}

const struct key_def conf_keys[] = {
	AG(state_dir, V_PATH, "/var/lib/pintail", "where checkpoints, spools and status are kept"),
	AG(include, V_STR, "conf.d/*.conf", "globs of site files, relative to this file's folder"),
	AG(parsers, V_PATHS, PINTAIL_DATADIR "/parsers " PINTAIL_SYSCONFDIR "/parsers",
	   "parser folders; a later one wins by parser name"),
	AG(bots_file, V_PATH, PINTAIL_DATADIR "/bots.txt", "the built-in bot list"),
	AG(log_level, V_LOGLEVEL, "info", "error | warn | info | debug"),
	{"agent", "spool_max", V_SIZE, T_AGENT, offsetof(struct config, agent.spool_max), "512M",
	 64 * 1024, 0, 0, "per site; when full, reading pauses"},
	{"agent", "max_line", V_SIZE, T_AGENT, offsetof(struct config, agent.max_line), "64K", 256,
	 16 * 1024 * 1024, 0, "longer lines are counted and skipped whole"},
	AG_POSITIVE(rotate_wait, "60s", "a renamed file is followed until idle this long"),
	AG_POSITIVE(retry_min, "1s", "shortest backoff after a retryable failure"),
	AG_POSITIVE(retry_max, "5m", "longest backoff"),
	AG_POSITIVE(pause_retry, "60s", "how often a paused site (401/403/404) retries"),
	AG(outage_warn, V_DURATION, "10m", "one warning after failing this long"),

	SI("site", url, V_URL, NULL, 1, "the site's URL; event_source_url = url + request URI"),
	SI("site", hosts, V_WORDS, NULL, 0, "host names of the site (default: url's host)"),
	SI("site", logs, V_PATHS, NULL, 1, "access logs: paths or globs"),
	{"site", "parser", V_STR, T_SITE, offsetof(struct site, parser_name), NULL, 0, 0, 1,
	 "the name of the parser of the logs"},
	SI("site", read_from, V_READFROM, "end", 0, "end | beginning, for files found at the first start"),
	SI("site", client_ip, V_CLIENTIP, "remote_addr", 0, "remote_addr | http_x_forwarded_for"),
	SI("site", click_memory, V_DURATION, "30d", 0, "how long a visitor's epik is remembered; 0 = off"),
	SI("site", strip_params, V_WORDS,
	   "email mail e phone tel token password passwd pwd secret key session sid auth code", 0,
	   "query parameters never sent in event_source_url"),

	SI("pinterest", ad_account_id, V_ID, NULL, 1, "the numeric Ad Account ID (not the Tag ID)"),
	SI("pinterest", access_token_file, V_PATH, NULL, 0, "file holding the access token"),
	SI("pinterest", access_token, V_SECRET, NULL, 0, "the token itself (prefer a file)"),
	SI("pinterest", tag_id, V_ID, NULL, 0, "the browser tag's id, if the site has one"),
	SI("pinterest", test_mode, V_BOOL, "false", 0, "true: every request carries test=true"),
	SI("pinterest", api_url, V_URL, "https://api.pinterest.com/v5", 0, "the API's base URL"),
	SI("pinterest", ca_file, V_PATH, NULL, 0, "if set, the only CA bundle trusted for api_url"),
	{"pinterest", "batch_max", V_INT, T_SITE, offsetof(struct site, batch_max), "1000", 1, 1000, 0,
	 "events per request, 1..1000"},
	SI("pinterest", flush_interval, V_DURATION, "2s", 0, "a partial batch waits no longer"),
	SI_POSITIVE("pinterest", timeout, "30s", "per request"),
	SI_POSITIVE("pinterest", max_event_age, "7d", "older events are rejected, not sent"),

	SI("filter", exclude_bots, V_BOOL, "true", 0, "drop the built-in list's bots"),
	SI("filter", exclude_agents, V_REGEX, NULL, 0, "PCRE2 on the user agent"),
	SI("filter", exclude_paths, V_REGEX,
	   "\\.(css|js|mjs|map|png|jpe?g|gif|svg|ico|webp|avif|woff2?|ttf|eot)$", 0,
	   "PCRE2 on the decoded path"),
	SI("filter", exclude_ips, V_CIDRS, NULL, 0, "CIDR list, IPv4 and IPv6"),
	SI("filter", status, V_STATUS, "200-399", 0, "hits outside are never events"),

	RU(type, V_EVTYPE, "a Pinterest event_name"),
	RU(path, V_REGEX, "PCRE2 on the decoded path; named groups may feed fields"),
	RU(methods, V_METHODS, "HTTP methods (default GET)"),
	RU(status, V_STATUS, "statuses (default [filter]'s)"),
	RF("value", RF_VALUE, V_SOURCE, "decimal value"),
	RF("currency", RF_CURRENCY, V_SOURCE, "ISO 4217 code"),
	RF("order_id", RF_ORDER_ID, V_SOURCE, "order id"),
	RF("content_ids", RF_CONTENT_IDS, V_SOURCE, "product ids, comma-separated"),
	RF("content_name", RF_CONTENT_NAME, V_SOURCE, "content name"),
	RF("content_category", RF_CONTENT_CATEGORY, V_SOURCE, "content category"),
	RF("num_items", RF_NUM_ITEMS, V_SOURCE, "number of items"),
	RF("search_string", RF_SEARCH_STRING, V_SOURCE, "search terms"),
	RF("em", RF_EM, V_USOURCE, "e-mail, hashed"),
	RF("ph", RF_PH, V_USOURCE, "phone number, hashed"),
	RF("external_id", RF_EXTERNAL_ID, V_USOURCE, "the site's user id, hashed"),

	PA(format, V_FORMAT, 0, "regex (the default) | json"),
	PA(regex, V_STR, 0, "PCRE2 with named groups (format = regex)"),
	PA(fields, V_WORDS, 0, "the keys of each JSON object (format = json)"),
	PA(time_format, V_STR, 0, "strftime-style with %z, iso8601, epoch or epoch_ms"),
};

const size_t conf_nkeys = sizeof conf_keys / sizeof conf_keys[0];

_Static_assert(sizeof conf_keys / sizeof conf_keys[0] <= CONF_MAX_KEYS,
	       "CONF_MAX_KEYS is too small for the table");

const struct key_def *conftab_find(const char *section, const char *name)
{
	for (size_t i = 0; i < conf_nkeys; i++) {
		if (strcmp(conf_keys[i].section, section) == 0 &&
		    strcmp(conf_keys[i].name, name) == 0) {
			return &conf_keys[i];
		}
	}
	return NULL;
}

size_t conftab_index(const struct key_def *k) { return (size_t)(k - conf_keys); }

/* Names users give keys, and the key meant (when the section has it). */
static const char *const synonyms[][2] = {
	{"email", "em"},		{"e-mail", "em"},	      {"mail", "em"},
	{"phone", "ph"},		{"telephone", "ph"},	      {"tel", "ph"},
	{"search", "search_string"},	{"q", "search_string"},	      {"event", "type"},
	{"event_type", "type"},		{"event_name", "type"},	      {"token", "access_token"},
	{"token_file", "access_token_file"}, {"access_token_path", "access_token_file"},
	{"ad_account", "ad_account_id"}, {"account_id", "ad_account_id"}, {"log", "logs"},
	{"log_file", "logs"},		{"logfile", "logs"},	      {"access_log", "logs"},
	{"host", "hosts"},		{"domain", "hosts"},	      {"method", "methods"},
	{"price", "value"},		{"amount", "value"},	      {"total", "value"},
	{"quantity", "num_items"},	{"order", "order_id"},	      {"product_id", "content_ids"},
	{"sku", "content_ids"},
};

const char *conftab_suggest(const char *section, const char *name)
{
	const char *names[CONF_MAX_KEYS + 1], *near;
	size_t n = 0;

	for (size_t i = 0; i < conf_nkeys; i++) {
		if (strcmp(conf_keys[i].section, section) == 0) {
			names[n++] = conf_keys[i].name;
		}
	}
	names[n] = NULL;
	near = value_suggest(name, names);
	if (near != NULL) {
		return near;
	}
	/* Other words for a key, as other tools or Pinterest's docs say it. */
	for (size_t i = 0; i < sizeof synonyms / sizeof synonyms[0]; i++) {
		if (strcasecmp(name, synonyms[i][0]) == 0 && conftab_find(section, synonyms[i][1]) != NULL) {
			return synonyms[i][1];
		}
	}
	return NULL;
}

/* How a section is named to the user. */
static const char *section_words(const char *section)
{
	if (strcmp(section, "agent") == 0) {
		return "pintail.conf's [agent]";
	}
	if (strcmp(section, "event") == 0) {
		return "an [event NAME] section";
	}
	if (strcmp(section, "parser") == 0) {
		return "a parser file's [parser NAME]";
	}
	return NULL;
}

const char *conftab_home(const char *section, const char *name, char *out, size_t outlen)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < conf_nkeys && len < outlen; i++) {
		const char *sec = conf_keys[i].section, *words = section_words(sec);
		if (strcmp(sec, section) == 0 || strcmp(conf_keys[i].name, name) != 0) {
			continue;
		}
		len += (size_t)snprintf(out + len, outlen - len, words ? "%s%s" : "%s[%s]",
					len ? " or " : "", words ? words : sec);
	}
	return out[0] ? out : NULL;
}

char *conftab_path(const char *dir, const char *path)
{
	char *out;

	if (path[0] == '/' || dir == NULL || dir[0] == '\0') {
		return strdup(path);
	}
	if (asprintf(&out, "%s/%s", dir, path) < 0) {
		return NULL;
	}
	return out;
}

static void free_value(const struct key_def *k, void *p)
{
	switch (k->type) {
	case V_STR:
	case V_PATH:
	case V_URL:
	case V_ID:
		free(*(char **)p);
		*(char **)p = NULL;
		break;
	case V_SECRET:
		secret_free((char **)p);
		break;
	case V_WORDS:
	case V_PATHS:
	case V_METHODS:
		words_free(*(char ***)p);
		*(char ***)p = NULL;
		break;
	case V_REGEX: {
		struct regex_opt *r = p;
		free(r->src);
		rx_free(r->rx);
		r->src = NULL;
		r->rx = NULL;
		break;
	}
	case V_CIDRS:
		cidr_list_free(p);
		break;
	case V_SOURCE:
	case V_USOURCE:
		field_source_free(p);
		break;
	default:
		break;
	}
}

/*
 * The host and port of URL's authority AUTH are what they can be: a name
 * of letters, digits, '-', '.' and '_', or an [IPv6] address; a port of
 * 1 to 65535.  0, or -1 with the reason in ERR.
 */
static int url_authority_ok(const char *auth, char *err, size_t errlen)
{
	size_t hlen;
	const char *rest, *h = authority_host(auth, strlen(auth), &hlen, &rest), *p = h + hlen;

	if (hlen == 0) {
		snprintf(err, errlen, "the URL has no host");
		return -1;
	}
	if (h[0] == '[') {
		char a[64];
		unsigned char bin[16];
		size_t alen = hlen >= 2 ? hlen - 2 : 0;
		const char *zone;
		if (h[hlen - 1] != ']') {
			snprintf(err, errlen, "an IPv6 host is written in brackets, such as https://[2001:db8::1]");
			return -1;
		}
		/* A zone ("%25eth0") is no part of the address. */
		zone = memchr(h + 1, '%', alen);
		alen = zone != NULL ? (size_t)(zone - h - 1) : alen;
		if (alen == 0 || alen >= sizeof a) {
			snprintf(err, errlen, "the host in brackets is no IPv6 address");
			return -1;
		}
		memcpy(a, h + 1, alen);
		a[alen] = '\0';
		if (inet_pton(AF_INET6, a, bin) != 1) {
			snprintf(err, errlen, "the host in brackets is no IPv6 address");
			return -1;
		}
	} else {
		for (size_t i = 0; i < hlen; i++) {
			if ((unsigned char)h[i] >= 0x80) {
				snprintf(err, errlen, "the host is not ASCII: write a non-ASCII host name in its "
						      "xn-- form (as the browser's address bar shows it)");
				return -1;
			}
			if (!isalnum((unsigned char)h[i]) && h[i] != '-' && h[i] != '.' && h[i] != '_') {
				snprintf(err, errlen,
					 "the host holds '%c', which no host name has (a comment is written after "
					 "\" ;\", with a blank first)",
					 h[i]);
				return -1;
			}
		}
	}
	if (p < rest && *p != ':') {
		snprintf(err, errlen, "after the host come only a port (:8443) and a path (/shop)");
		return -1;
	}
	if (p < rest) { /* ":port" */
		long port = 0;
		size_t digits = 0;
		for (p++; p < rest && isdigit((unsigned char)*p) && port <= 65535; p++, digits++) {
			port = port * 10 + (*p - '0');
		}
		if (p != rest || digits == 0 || port < 1 || port > 65535) {
			snprintf(err, errlen, "the port after the host must be a number from 1 to 65535");
			return -1;
		}
	}
	return 0;
}

static int set_url(char **dst, const char *v, char *err, size_t errlen)
{
	const char *host;

	if (strncmp(v, "https://", 8) == 0) {
		host = v + 8;
	} else if (strncmp(v, "http://", 7) == 0) {
		host = v + 7;
	} else {
		return -1;
	}
	if (*host == '\0' || *host == '/' || strpbrk(v, " \t\"<>\\") != NULL) {
		return -1;
	}
	/* Paths are appended to it (the request URI, or /ad_accounts/...):
	 * a query or fragment would swallow them, and user:password would
	 * reach Pinterest in every event_source_url. */
	if (strpbrk(v, "?#") != NULL || memchr(host, '@', strcspn(host, "/")) != NULL) {
		return -1;
	}
	/* Sent as it is in every event's event_source_url.  UTF-8 in the
	 * path is fine (the request URIs are UTF-8 too); a pasted
	 * non-breaking space is not, nor a control character. */
	for (const char *c = v; *c; c++) {
		if ((unsigned char)*c <= 0x20 || (unsigned char)*c == 0x7f) {
			snprintf(err, errlen, "the URL holds a blank or a control character");
			return -1;
		}
		if ((unsigned char)c[0] == 0xc2 && (unsigned char)c[1] == 0xa0) {
			snprintf(err, errlen, "the URL holds a non-breaking space (pasted with it?)");
			return -1;
		}
	}
	if (url_authority_ok(host, err, errlen) < 0) {
		return -1;
	}
	*dst = strdup(v);
	return *dst != NULL ? 0 : -1;
}

static int set_paths(char ***dst, const char *v, const char *dir)
{
	char **w = words_split(v, 0);

	if (w == NULL) {
		return -1; /* out of memory: never an empty list that looks set */
	}
	for (size_t i = 0; w[i] != NULL; i++) {
		char *full;
		if (w[i][0] == '#' && i > 0) {
			/* "logs = /var/log/a.log # main": no file is meant from
			 * there on (conftab_set() warns). */
			for (size_t j = i; w[j] != NULL; j++) {
				free(w[j]);
				w[j] = NULL;
			}
			break;
		}
		full = conftab_path(dir, w[i]);
		if (full == NULL) {
			words_free(w);
			return -1;
		}
		free(w[i]);
		w[i] = full;
	}
	*dst = w;
	return 0;
}

static int set_methods(char ***dst, const char *v)
{
	char **w = words_split(v, 1);

	if (w == NULL) {
		return -1;
	}
	for (size_t i = 0; w[i] != NULL; i++) {
		for (char *c = w[i]; *c; c++) {
			if (!isalpha((unsigned char)*c)) {
				words_free(w);
				return -1;
			}
			*c = (char)toupper((unsigned char)*c);
		}
	}
	*dst = w;
	return 0;
}

static int set_regex(struct regex_opt *r, const char *v, char *err, size_t errlen)
{
	r->rx = rx_compile(v, 0, err, errlen);
	if (r->rx == NULL) {
		return -1;
	}
	r->src = strdup(v);
	if (r->src == NULL) {
		rx_free(r->rx);
		r->rx = NULL;
		return -1;
	}
	return 0;
}

static int set_cidrs(struct cidr_list *list, const char *v, char *err, size_t errlen)
{
	char **w = words_split(v, 1);
	size_t n = words_count(w);
	int result = 0;

	list->items = n ? calloc(n, sizeof *list->items) : NULL;
	list->n = 0;
	for (size_t i = 0; i < n; i++) {
		if (list->items == NULL) {
			result = -1;
			break;
		}
		int rc = cidr_parse(w[i], &list->items[i]);
		if (rc == CIDR_MAPPED_SHORT) {
			/* "::ffff:10.0.0.0/8": most likely IPv4's prefix; as
			 * written it would cover every IPv4 client. */
			struct cidr v4 = list->items[i];
			char net[CIDR_TEXT_MAX + 48] = ", such as 10.0.0.0/8";
			if (v4.prefix <= 32) {
				/* The prefix was most likely IPv4's: that network. */
				char text[CIDR_TEXT_MAX];
				snprintf(text, sizeof text, "%u.%u.%u.%u/%d", v4.addr[12], v4.addr[13], v4.addr[14],
					 v4.addr[15], v4.prefix);
				if (cidr_parse(text, &v4) == 0) {
					cidr_text(&v4, text);
					snprintf(net, sizeof net, " %s", text);
				}
			}
			snprintf(err, errlen,
				 "\"%s\" (item %zu) is an IPv4-mapped address with a prefix under /96, which "
				 "would cover every IPv4 client; write the IPv4 network%s",
				 w[i], i + 1, net);
			result = -1;
			break;
		}
		if (rc < 0) {
			/* Named when it looks like an address gone wrong; anything
			 * else may be a token pasted on the wrong line. */
			int shown = strlen(w[i]) <= 64 && strpbrk(w[i], ".:") != NULL &&
				    strspn(w[i], "0123456789abcdefABCDEF.:/") == strlen(w[i]);
			snprintf(err, errlen,
				 "%s%s%s (item %zu) is not an address or network such as 192.0.2.0/24 or 2001:db8::/32",
				 shown ? "\"" : "", shown ? w[i] : "this", shown ? "\"" : "", i + 1);
			result = -1;
			break;
		}
		list->n++;
	}
	words_free(w);
	return result;
}

/* "10.1.2.3/8": read as 10.0.0.0/8, which may not be what was meant. */
static void cidrs_warn(const struct key_def *k, const struct cidr_list *list, const char *file,
		       int line, struct diag *d)
{
	for (size_t i = 0; i < list->n; i++) {
		const struct cidr *c = &list->items[i];
		char net[CIDR_TEXT_MAX];
		if (!c->trimmed) {
			continue;
		}
		cidr_text(c, net);
		diag_warn(d, file, line,
			  "%s: item %zu has host bits set, and is read as the network %s; write that, or "
			  "one address without a prefix",
			  k->name, i + 1, net);
	}
}

/* The enum keys: the value's index among the words, or -1. */
static int set_enum(int *dst, const char *v, const char *const *names)
{
	for (int i = 0; names[i] != NULL; i++) {
		if (strcmp(v, names[i]) == 0) {
			*dst = i;
			return 0;
		}
	}
	return -1;
}

static const char *const readfrom_names[] = {"end", "beginning", NULL};
static const char *const clientip_names[] = {"remote_addr", "http_x_forwarded_for", NULL};
static const char *const format_names[] = {"regex", "json", NULL};
static const char *const loglevel_names[] = {"error", "warn", "info", "debug", NULL};

/* What a good value looks like, for the error message. */
static const char *expected(const struct key_def *k)
{
	switch (k->type) {
	case V_URL: return "an http:// or https:// URL with a host, and no user:password, query or fragment";
	case V_ID: return "digits only, at most 18";
	case V_INT: return "a whole number in range";
	case V_BOOL: return "true or false";
	case V_DURATION: return "a number with s, m, h or d (a bare number is seconds), at most 36600d";
	case V_SIZE: return "a size in range, a number with K, M or G (a bare number is bytes)";
	case V_LOGLEVEL: return "error, warn, info or debug";
	case V_READFROM: return "end or beginning";
	case V_CLIENTIP: return "remote_addr or http_x_forwarded_for";
	case V_FORMAT: return "regex or json";
	case V_CIDRS: return "addresses or networks such as 192.0.2.0/24 or 2001:db8::/32";
	case V_STATUS: return "statuses or ranges within 100-599, such as 200-399 or 2xx 304";
	case V_EVTYPE: return "one of add_payment_info add_to_cart add_to_wishlist checkout custom initiate_checkout lead page_visit search signup subscribe view_category view_content watch_video";
	case V_METHODS: return "HTTP methods such as GET POST";
	case V_PATHS: return "paths or globs, separated by blanks";
	default: return "a valid value";
	}
}

/* Synonyms of event types, as other tools name the events. */
static const char *const evtype_synonyms[][2] = {
	{"purchase", "checkout"}, {"order", "checkout"},    {"pagevisit", "page_visit"},
	{"pageview", "page_visit"}, {"page_view", "page_visit"}, {"addtocart", "add_to_cart"},
	{"cart", "add_to_cart"},  {"sign_up", "signup"},     {"register", "signup"},
};

/* The one of NAMES that V is meant to be, told apart by case or a tail, or NULL. */
static const char *enum_near(const char *v, const char *const *names)
{
	const char *near = NULL;
	for (int i = 0; names[i] != NULL; i++) {
		size_t n = strlen(names[i]);
		if (strcasecmp(v, names[i]) == 0 || (strncasecmp(v, names[i], n) == 0 && n >= 4)) {
			return names[i]; /* "INFO", "warning" */
		}
	}
	{
		char low[32];
		size_t n = strlen(v);
		if (n < sizeof low) {
			for (size_t i = 0; i <= n; i++) {
				low[i] = (char)tolower((unsigned char)v[i]);
			}
			near = value_suggest(low, names);
		}
	}
	return near;
}

/*
 * Why VALUE may have been refused beyond its key's rule, for the end of
 * the message (" (...)" or "; did you mean ...?"), or "".  Only words from
 * the key's own list, or none of VALUE, are echoed: it may be a secret.
 */
static void value_hint(const struct key_def *k, const char *v, char *out, size_t outlen)
{
	size_t n = strlen(v);
	const char *near = NULL;

	out[0] = '\0';
	switch (k->type) {
	case V_LOGLEVEL: near = enum_near(v, loglevel_names); break;
	case V_READFROM: near = enum_near(v, readfrom_names); break;
	case V_CLIENTIP: near = enum_near(v, clientip_names); break;
	case V_FORMAT: near = enum_near(v, format_names); break;
	case V_EVTYPE: {
		const char *names[EV_COUNT + 1];
		for (int i = 0; i < EV_COUNT; i++) {
			names[i] = event_type_name((enum event_type)i);
		}
		names[EV_COUNT] = NULL;
		near = enum_near(v, names);
		for (size_t i = 0; near == NULL && i < sizeof evtype_synonyms / sizeof evtype_synonyms[0]; i++) {
			if (strcasecmp(v, evtype_synonyms[i][0]) == 0) {
				near = evtype_synonyms[i][1];
			}
		}
		break;
	}
	case V_SIZE:
		/* "512MB", "1GiB": the unit is one letter. */
		if (n >= 3 && (v[n - 1] == 'B' || v[n - 1] == 'b') &&
		    strchr("KMGkmg", v[n - 2 - (v[n - 2] == 'i')]) != NULL) {
			snprintf(out, outlen, " (the unit is one letter: K, M or G, without B)");
			return;
		}
		break;
	default: break;
	}
	/* What was written around the value first: the word is right then. */
	if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
		snprintf(out, outlen, " (values are written without quotes)");
	} else if (strstr(v, " #") != NULL || strstr(v, "\t#") != NULL) {
		snprintf(out, outlen, " (a comment after a value begins with \" ;\", not \"#\")");
	} else if (near != NULL) {
		snprintf(out, outlen, "; did you mean \"%s\"?", near);
	}
}

/* Parses V into P by type; a reason may be left in ERR. 0 or -1. */
static int set_typed(const struct key_def *k, void *p, const char *v, const char *dir, char *err,
		     size_t errlen)
{
	switch (k->type) {
	case V_STR:
	case V_SECRET: return (*(char **)p = strdup(v)) ? 0 : -1;
	case V_PATH: return (*(char **)p = conftab_path(dir, v)) ? 0 : -1;
	case V_URL: return set_url(p, v, err, errlen);
	case V_ID:
		if (value_numeric_id(v) < 0) {
			return -1;
		}
		if (v[0] == '0') {
			/* No Pinterest id begins with 0, and "0549..." would pass
			 * for another id than "549..." (the Tag ID comparison). */
			snprintf(err, errlen, "Pinterest's ids do not begin with 0: copy it again from Ads Manager");
			return -1;
		}
		return (*(char **)p = strdup(v)) ? 0 : -1;
	/* Names never hold a comma: "a, b" means two, as it does for statuses. */
	case V_WORDS: return (*(char ***)p = words_split(v, 1)) ? 0 : -1;
	case V_PATHS: return set_paths(p, v, dir);
	case V_INT: return value_int(v, k->min, k->max, p);
	case V_BOOL: return value_bool(v, p);
	case V_DURATION: {
		int64_t ms;
		if (value_duration_ms(v, &ms) < 0) {
			return -1;
		}
		if (ms < k->min) {
			snprintf(err, errlen, "must be at least %lds, not 0", k->min / 1000);
			return -1;
		}
		*(int64_t *)p = ms;
		return 0;
	}
	case V_SIZE: {
		uint64_t sz;
		if (value_size(v, &sz) < 0 || sz < (uint64_t)k->min ||
		    (k->max > 0 && sz > (uint64_t)k->max)) {
			return -1;
		}
		*(uint64_t *)p = sz;
		return 0;
	}
	case V_LOGLEVEL: return set_enum(p, v, loglevel_names);
	case V_READFROM: return set_enum(p, v, readfrom_names);
	case V_CLIENTIP: return set_enum(p, v, clientip_names);
	case V_FORMAT:
		if (set_enum(p, v, format_names) < 0) {
			*(int *)p = -1; /* so that no second error follows from it */
			return -1;
		}
		return 0;
	case V_REGEX: return set_regex(p, v, err, errlen);
	case V_CIDRS: return set_cidrs(p, v, err, errlen);
	case V_STATUS: return value_status_set(v, p);
	case V_EVTYPE: return (*(int *)p = event_type_lookup(v)) >= 0 ? 0 : -1;
	case V_METHODS: return set_methods(p, v);
	case V_SOURCE: return field_source_parse(v, 0, p, err, errlen);
	case V_USOURCE: return field_source_parse(v, 1, p, err, errlen);
	}
	return -1;
}

int conftab_set(const struct key_def *k, void *target, const char *value, const char *file,
		int line, const char *dir, struct diag *d)
{
	void *p = (char *)target + k->off;
	char err[512] = "", hint[160];

	free_value(k, p);
	if (value[0] == '\0') {
		if (k->required || k->type == V_EVTYPE ||
		    (k->def != NULL && (k->type == V_URL || k->type == V_PATH))) {
			diag_error(d, file, line, "%s needs a value", k->name);
			return -1;
		}
		/* Unset; types whose "unset" is not zero get it below. */
		if (k->type == V_STATUS) {
			/* [filter]: every status; [event]: [filter]'s (finish_rules). */
			memset(p, 0, sizeof(struct status_set));
			if (k->target == T_SITE) {
				value_status_set("100-599", p);
			}
		}
		return 0;
	}
	if (set_typed(k, p, value, dir, err, sizeof err) == 0) {
		int rc = 0;
		if (k->type == V_CIDRS) {
			cidrs_warn(k, p, file, line, d);
		} else if (k->type == V_PATHS && (strstr(value, " #") != NULL || strstr(value, "\t#") != NULL)) {
			diag_warn(d, file, line,
				  "%s: a comment after a value begins with \" ;\", not \"#\": the words from \"#\" "
				  "on are taken for one, and left out",
				  k->name);
		} else if ((k->type == V_SOURCE || k->type == V_USOURCE) && (rc = rule_field_lookup(k->name)) >= 0) {
			rc = field_source_check((enum rule_field)rc, p, err, sizeof err);
			if (rc > 0) {
				diag_warn(d, file, line, "%s: %s", k->name, err);
			}
		}
		if (rc >= 0) {
			return 0;
		}
	}
	free_value(k, p);
	value_hint(k, value, hint, sizeof hint);
	if (err[0] != '\0' && k->type == V_REGEX) {
		diag_error(d, file, line, "%s: the regex does not compile %s", k->name, err);
	} else if (err[0] != '\0') {
		diag_error(d, file, line, "%s: %s%s", k->name, err, hint);
	} else if (k->type == V_EVTYPE) {
		if (hint[0] == ';') {
			diag_error(d, file, line, "%s: unknown event type%s", k->name, hint);
		} else {
			diag_error(d, file, line, "%s: unknown event type%s; use %s", k->name, hint, expected(k));
		}
	} else if (k->type == V_INT || (k->type == V_SIZE && k->max > 0)) {
		/* Say which range. */
		diag_error(d, file, line, "bad value for %s: expected %s, %ld to %ld%s", k->name,
			   expected(k), k->min, k->max, hint);
	} else if (k->type == V_SIZE && k->min > 0) {
		diag_error(d, file, line, "bad value for %s: expected %s, at least %ld (%ldK)%s", k->name,
			   expected(k), k->min, k->min / 1024, hint);
	} else {
		diag_error(d, file, line, "bad value for %s: expected %s%s", k->name, expected(k), hint);
	}
	return -1;
}

void conftab_defaults(enum vtarget target_kind, void *target)
{
	struct diag d = {0};

	for (size_t i = 0; i < conf_nkeys; i++) {
		const struct key_def *k = &conf_keys[i];
		if (k->target != target_kind) {
			continue;
		}
		if (k->type == V_EVTYPE) {
			*(int *)((char *)target + k->off) = -1;
		}
		if (k->def != NULL && conftab_set(k, target, k->def, "<default>", 0, NULL, &d) < 0) {
			/* A default that does not parse is a bug in the table. */
			abort();
		}
	}
}

void conftab_free_values(enum vtarget target_kind, void *target)
{
	for (size_t i = 0; i < conf_nkeys; i++) {
		if (conf_keys[i].target == target_kind) {
			free_value(&conf_keys[i], (char *)target + conf_keys[i].off);
		}
	}
}
