#include "rules.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "rx.h"

static const char *const event_names[EV_COUNT] = {
	"add_payment_info", "add_to_cart", "add_to_wishlist", "checkout", "custom",
	"initiate_checkout", "lead", "page_visit", "search", "signup", "subscribe",
	"view_category", "view_content", "watch_video",
};

static const char *const rule_field_names[RF_COUNT] = {
	"value", "currency", "order_id", "content_ids", "content_name", "content_category",
	"num_items", "search_string", "em", "ph", "external_id",
};

const char *event_type_name(enum event_type t) { return event_names[t]; }

int event_type_lookup(const char *name)
{
	for (int i = 0; i < EV_COUNT; i++) {
		if (strcmp(event_names[i], name) == 0) {
			return i;
		}
	}
	return -1;
}

const char *rule_field_name(enum rule_field f) { return rule_field_names[f]; }

int rule_field_lookup(const char *name)
{
	for (int i = 0; i < RF_COUNT; i++) {
		if (strcmp(rule_field_names[i], name) == 0) {
			return i;
		}
	}
	return -1;
}

/*
 * 1 when literal S (N bytes) looks like a query: or group: source misspelt:
 * "Query:total", "querry:total" (a word near query or group, a colon, then
 * one name-like word).  Its first word goes to WORD, the source meant to
 * *MEANT.
 */
static int misspelt_source(const char *s, size_t n, char word[16], const char **meant)
{
	static const char *const kinds[] = {"query", "group", NULL};
	const char *colon = memchr(s, ':', n), *rest;
	size_t wl;

	if (colon == NULL || (wl = (size_t)(colon - s)) < 3 || wl >= 16) {
		return 0;
	}
	for (rest = colon + 1; rest < s + n && *rest == ' '; rest++) {
	}
	if (rest == s + n) {
		return 0;
	}
	for (const char *c = rest; c < s + n; c++) {
		if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-' && *c != '.') {
			return 0; /* "Queen: bed frames" is text */
		}
	}
	for (size_t k = 0; k < wl; k++) {
		word[k] = (char)tolower((unsigned char)s[k]);
	}
	word[wl] = '\0';
	*meant = value_suggest(word, kinds);
	memcpy(word, s, wl); /* as written, for the message */
	return *meant != NULL;
}

int field_source_check(enum rule_field f, const struct field_source *fs, char *err, size_t errlen)
{
	int warn = 0;

	for (size_t i = 0; i < fs->n; i++) {
		const struct source *src = &fs->alt[i];
		const char *meant;
		char word[16];
		long n;
		int fits = 1;

		if (src->kind != SRC_LITERAL) {
			continue;
		}
		switch (f) {
		case RF_VALUE: fits = value_is_decimal(src->text, src->len); break;
		case RF_CURRENCY: fits = value_is_currency(src->text, src->len); break;
		case RF_NUM_ITEMS: fits = value_num_items(src->text, src->len, &n); break;
		default: break;
		}
		if (misspelt_source(src->text, src->len, word, &meant)) {
			/* Refused when it could not be sent as a literal either. */
			snprintf(err, errlen,
				 "alternative %zu starts with \"%s:\"; did you mean %s:? (a literal is sent as it "
				 "is written)",
				 i + 1, word, meant);
			if (!fits) {
				return -1;
			}
			warn = 1;
			continue;
		}
		if (!fits) {
			const char *what = f == RF_VALUE ? "decimal number such as 12.50 (no sign, comma or currency)"
					   : f == RF_CURRENCY ? "three-letter ISO 4217 code such as USD"
							      : "number of items in digits";
			snprintf(err, errlen,
				 "alternative %zu is a literal that is no %s: it would never be sent; for a query "
				 "parameter write query:NAME",
				 i + 1, what);
			return -1;
		}
		if (!warn && (f == RF_EM || f == RF_PH || f == RF_EXTERNAL_ID)) {
			snprintf(err, errlen,
				 "alternative %zu is a literal: every visitor's event gets that same %s; for "
				 "a query parameter write query:NAME",
				 i + 1, rule_field_names[f]);
			warn = 1;
		}
	}
	return warn;
}

void field_source_free(struct field_source *fs)
{
	for (size_t i = 0; i < fs->n; i++) {
		free(fs->alt[i].text);
	}
	free(fs->alt);
	fs->alt = NULL;
	fs->n = 0;
}

/* One alternative, trimmed: "query:NAME", "group:NAME" or a literal. */
static int source_parse(const char *s, size_t n, int user, struct source *out, char *err,
			size_t errlen)
{
	while (n > 0 && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)s[n - 1])) {
		n--;
	}
	if (n == 0) {
		snprintf(err, errlen, "an empty alternative between '|'");
		return -1;
	}
	out->kind = SRC_LITERAL;
	out->group = -1;
	if (n >= 6 && memcmp(s, "query:", 6) == 0) {
		out->kind = SRC_QUERY;
	} else if (n >= 6 && memcmp(s, "group:", 6) == 0) {
		if (user) {
			snprintf(err, errlen, "hashed user fields take only query: sources or literals");
			return -1;
		}
		out->kind = SRC_GROUP;
	}
	if (out->kind != SRC_LITERAL) {
		/* "query: q" is "query:q"; a bare "query:" is no source, and
		 * must not become the literal text "query:". */
		for (s += 6, n -= 6; n > 0 && isspace((unsigned char)*s); s++, n--) {
		}
		if (n == 0) {
			snprintf(err, errlen, "%s needs a %s name",
				 out->kind == SRC_QUERY ? "query:" : "group:",
				 out->kind == SRC_QUERY ? "parameter" : "group");
			return -1;
		}
	}
	out->text = strndup(s, n);
	out->len = n;
	return out->text ? 0 : -1;
}

int field_source_parse(const char *value, int user, struct field_source *out, char *err,
		       size_t errlen)
{
	const char *p = value;
	size_t count = 1;

	for (const char *q = value; *q; q++) {
		count += *q == '|';
	}
	out->alt = calloc(count, sizeof *out->alt);
	out->n = 0;
	if (out->alt == NULL) {
		return -1;
	}
	for (;;) {
		size_t len = strcspn(p, "|");
		if (source_parse(p, len, user, &out->alt[out->n], err, errlen) < 0) {
			field_source_free(out);
			return -1;
		}
		out->n++;
		if (p[len] == '\0') {
			break;
		}
		p += len + 1;
	}
	return 0;
}

void rule_free(struct rule *r)
{
	if (r == NULL) {
		return;
	}
	free(r->path.src);
	rx_free(r->path.rx);
	words_free(r->methods);
	for (int f = 0; f < RF_COUNT; f++) {
		field_source_free(&r->field[f]);
	}
	free(r->name);
	free(r->file);
	free(r);
}

/* 1 when the method is one of R's. */
static int rule_method_ok(const struct rule *r, const struct slice *method)
{
	for (size_t i = 0; r->methods != NULL && r->methods[i] != NULL; i++) {
		/* Short words: compared in place, without strlen or memcmp. */
		const char *m = r->methods[i];
		size_t k = 0;
		while (k < method->n && m[k] != '\0' && m[k] == method->p[k]) {
			k++;
		}
		if (k == method->n && m[k] == '\0') {
			return 1;
		}
	}
	return 0;
}

int rule_match(struct rule *r, const struct hit *hit)
{
	if (!status_set_has(&r->status, hit->status) || !rule_method_ok(r, &hit->method)) {
		return 0;
	}
	if (r->path.rx == NULL) {
		return 1;
	}
	return rx_match(r->path.rx, hit->path.p, hit->path.n);
}

int query_param(const struct slice *query, const char *name, size_t nlen, struct scratch *s,
		struct slice *out)
{
	const char *p = query->p, *end = query->p + query->n;

	if (p == NULL) {
		return 0;
	}
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *pend = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(pend - p));
		const char *kend = eq ? eq : pend;
		size_t klen = (size_t)(kend - p);
		char kbuf[128];

		/* Names are compared decoded, so "e%6Dail" is "email" too. */
		if (klen < sizeof kbuf) {
			size_t dlen = decode_percent(p, klen, kbuf, 1);
			if (dlen == nlen && memcmp(kbuf, name, nlen) == 0) {
				size_t vlen = eq ? (size_t)(pend - eq - 1) : 0;
				char *dst = scratch_take(s, vlen);
				if (dst == NULL && vlen > 0) {
					return 0;
				}
				out->p = dst ? dst : "";
				out->n = vlen ? decode_percent(eq + 1, vlen, dst, 1) : 0;
				return 1;
			}
		}
		p = pend + 1;
	}
	return 0;
}

int rule_field_value(const struct rule *r, enum rule_field f, const struct hit *hit,
		     struct scratch *s, struct slice *out)
{
	const struct field_source *fs = &r->field[f];

	for (size_t i = 0; i < fs->n; i++) {
		const struct source *src = &fs->alt[i];
		struct slice v = {0};
		size_t start, end;

		switch (src->kind) {
		case SRC_LITERAL:
			v.p = src->text;
			v.n = src->len;
			break;
		case SRC_QUERY:
			if (!query_param(&hit->query, src->text, src->len, s, &v)) {
				continue;
			}
			break;
		case SRC_GROUP:
			if (r->path.rx == NULL || !rx_group(r->path.rx, src->group, &start, &end)) {
				continue;
			}
			/* Groups index the decoded path the rule matched. */
			v.p = hit->path.p + start;
			v.n = end - start;
			break;
		}
		if (v.n > 0) {
			*out = v;
			return 1;
		}
	}
	return 0;
}
