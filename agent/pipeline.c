#include "pipeline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "decode.h"
#include "cidr.h"
#include "clickmem.h"
#include "config.h"
#include "event.h"
#include "hash.h"
#include "parser.h"

#define FUTURE_SLACK 300 /* events more than 5 minutes ahead are refused */

struct pipeline {
	const struct config *cfg;
	const struct site *site;
	struct clickmem *cm;
	int own_cm;
	struct agent_cache *agents;
	struct scratch scratch;
	struct buf out;
	struct hit hit;
	uint64_t *agent_memo; /* the hit's agent's word in the filter's cache */
	struct pipeline_stats st;
	/* The last time field read and its value: a busy log repeats the
	 * same second for many lines in a row. */
	char time_text[64];
	size_t time_len; /* 0: nothing cached */
	int64_t time_value;
	/* The last event time written, in decimal (the same, most often). */
	char time_dec[FMT_I64_MAX];
	size_t time_dec_len; /* 0: nothing yet */
	int64_t time_dec_of;
};

struct pipeline *pipeline_new(const struct config *cfg, const struct site *site,
			      struct clickmem *cm)
{
	struct pipeline *pl = calloc(1, sizeof *pl);

	if (pl == NULL) {
		return NULL;
	}
	pl->cfg = cfg;
	pl->site = site;
	/* Decoding never lengthens: the fields and the path take at most
	 * twice the line, and an event's query values (given back after each
	 * event) at most once more. */
	pl->scratch.cap = 3 * (size_t)cfg->agent.max_line + 4096;
	pl->scratch.p = malloc(pl->scratch.cap);
	pl->out.max = 8 * (size_t)cfg->agent.max_line + 65536;
	if (cm == NULL) {
		/* A memory of this process alone (parse's), never saved: its
		 * salt protects nothing, and a fixed one makes which visitors a
		 * full table forgets, and so the output, the same on every run
		 * over the same input. */
		static const uint8_t fixed_salt[16] = {'p', 'i', 'n', 't', 'a', 'i', 'l', ' ',
							'p', 'a', 'r', 's', 'e', 0, 0, 0};
		cm = clickmem_new(CLICKMEM_CAPACITY, site->click_memory / 1000, fixed_salt);
		pl->own_cm = 1;
	}
	pl->cm = cm;
	pl->agents = agent_cache_new();
	if (pl->scratch.p == NULL || pl->cm == NULL || pl->agents == NULL || buf_reserve(&pl->out, 4096) < 0) {
		pipeline_free(pl);
		return NULL;
	}
	return pl;
}

void pipeline_free(struct pipeline *pl)
{
	if (pl == NULL) {
		return;
	}
	if (pl->own_cm) {
		clickmem_free(pl->cm);
	}
	agent_cache_free(pl->agents);
	free(pl->scratch.p);
	buf_free(&pl->out);
	free(pl);
}

const struct pipeline_stats *pipeline_stats(const struct pipeline *pl) { return &pl->st; }

void pipeline_carry_stats(struct pipeline *to, const struct pipeline *from) { to->st = from->st; }

void pipeline_too_long(struct pipeline *pl)
{
	pl->st.lines++;
	pl->st.too_long++;
}

/* For a file shared by sites: 1 when the hit is this site's. */
static int routed_here(struct pipeline *pl, const struct hit *hit)
{
	const struct slice *host = &hit->f[FIELD_HOST];

	if (!pl->site->routed || hosts_have(pl->site->hosts, host->p, host->n)) {
		return 1;
	}
	for (size_t i = 0; i < pl->cfg->nsites; i++) {
		if (hosts_have(pl->cfg->sites[i]->hosts, host->p, host->n)) {
			pl->st.other_site++;
			return 0;
		}
	}
	pl->st.unrouted++;
	return 0;
}

/*
 * One X-Forwarded-For element (P to END) as an address: blanks trimmed,
 * and a port dropped, as some proxies write it ("192.0.2.5:41234",
 * "[2001:db8::1]:443").  1 with *OUT set when it is an address.
 */
static int forwarded_addr(const char *p, const char *end, struct slice *out)
{
	uint8_t addr[16];
	const char *colon;

	while (p < end && (*p == ' ' || *p == '\t')) {
		p++;
	}
	while (end > p && (end[-1] == ' ' || end[-1] == '\t')) {
		end--;
	}
	if (p < end && *p == '[') {
		const char *close = memchr(p, ']', (size_t)(end - p));
		if (close == NULL) {
			return 0;
		}
		p++;
		end = close;
	} else if ((colon = memchr(p, ':', (size_t)(end - p))) != NULL &&
		   memchr(colon + 1, ':', (size_t)(end - colon - 1)) == NULL) {
		end = colon; /* one colon: an IPv4 address and its port */
	}
	out->p = p;
	out->n = (size_t)(end - p);
	return cidr_addr(out->p, out->n, addr) == 0;
}

/*
 * The client address: remote_addr, or the first address of
 * X-Forwarded-For (elements that are empty or no address, such as
 * "unknown", are passed over); remote_addr when it holds none.
 */
static struct slice client_addr(const struct site *site, const struct hit *hit)
{
	const struct slice *xff = &hit->f[FIELD_HTTP_X_FORWARDED_FOR];
	struct slice c;

	if (site->client_ip == CLIENT_IP_X_FORWARDED_FOR && xff->p != NULL) {
		const char *p = xff->p, *end = xff->p + xff->n;
		while (p < end) {
			const char *comma = memchr(p, ',', (size_t)(end - p));
			if (forwarded_addr(p, comma ? comma : end, &c)) {
				return c;
			}
			p = comma ? comma + 1 : end;
		}
	}
	return hit->f[FIELD_REMOTE_ADDR];
}

/*
 * 1 when the N bytes at P hold "epik".  Found by its 'k', which URLs seldom
 * hold, where 'e' is in nearly every one ("https", "example", "search").
 */
static int contains_epik(const char *p, size_t n)
{
	const char *end = p + n, *k = p + 3;

	while (k < end && (k = memchr(k, 'k', (size_t)(end - k))) != NULL) {
		if (k[-3] == 'e' && k[-2] == 'p' && k[-1] == 'i') {
			return 1;
		}
		k++;
	}
	return 0;
}

/*
 * 0 when query text P (N bytes) cannot hold an epik parameter: neither
 * "epik" nor any '%' (names are compared decoded, so "e%70ik" is "epik"
 * too).  Most queries are so answered with a memchr or two.
 */
static int may_hold_epik(const char *p, size_t n)
{
	return p != NULL && (contains_epik(p, n) || memchr(p, '%', n) != NULL);
}

/* The epik in a referer on one of the site's hosts. */
static int referer_epik(struct pipeline *pl, const struct slice *ref, struct slice *out)
{
	const char *h, *end = ref->p + ref->n, *hend, *q;
	size_t hlen;
	struct slice query;

	/* The query begins at the first '?' (none can come before it: the
	 * scheme and authority hold none), unless a fragment ('#') begins
	 * first; most referers have neither. */
	if (ref->p == NULL || (q = memchr(ref->p, '?', ref->n)) == NULL ||
	    memchr(ref->p, '#', (size_t)(q - ref->p)) != NULL ||
	    !may_hold_epik(q + 1, (size_t)(end - q - 1)) || (h = memchr(ref->p, '/', ref->n)) == NULL ||
	    h + 1 >= end || h[1] != '/') {
		return 0;
	}
	h = authority_host(h + 2, (size_t)(end - h - 2), &hlen, &hend);
	/* (A '?' before the authority's end is not a URL's query.) */
	if (q < hend || !hosts_have(pl->site->hosts, h, hlen)) {
		return 0;
	}
	query.p = q + 1;
	query.n = (size_t)(end - q - 1);
	{
		const char *hash = memchr(query.p, '#', query.n);
		if (hash != NULL) {
			query.n = (size_t)(hash - query.p);
		}
	}
	return query_param(&query, "epik", 4, &pl->scratch, out) && out->n > 0;
}

/* The click memory's key of the hit's visitor: client address and agent. */
static void visitor_key(struct pipeline *pl, const struct hit *hit, const struct slice *client,
			uint8_t key[CLICKMEM_KEY_LEN])
{
	const struct slice *ua = &hit->f[FIELD_HTTP_USER_AGENT];

	if (pl->agent_memo == NULL) {
		clickmem_key(pl->cm, client->p, client->n, ua->p, ua->n, key);
	} else {
		/* The agent's salted hash is kept with its filter verdict. */
		if (*pl->agent_memo == 0) {
			*pl->agent_memo = clickmem_agent_hash(pl->cm, ua->p, ua->n);
		}
		clickmem_visitor_key(pl->cm, client->p, client->n, *pl->agent_memo, key);
	}
}

/*
 * The hit's click id, first found wins: the query's epik, the _epik cookie,
 * a referer of the site, then the memory.  Keeps the memory up to date.
 */
static void click_id(struct pipeline *pl, const struct hit *hit, const struct slice *client,
		     int64_t t, int64_t now, int opt_out, struct slice *out)
{
	uint8_t key[CLICKMEM_KEY_LEN];
	/* A hit too old or too far ahead to be sent (a clock set back, a
	 * stray line) neither teaches the memory nor is taught by it. */
	int found = 0, memory = pl->site->click_memory > 0 && t >= now - pl->site->max_event_age / 1000 &&
				  t <= now + FUTURE_SLACK;

	out->p = NULL;
	out->n = 0;
	if (memory || opt_out) {
		/* The visitor's key first, so that the memory's line is on its
		 * way from RAM while the hit is searched for an epik. */
		visitor_key(pl, hit, client, key);
		clickmem_prefetch(pl->cm, key);
	}
	if (may_hold_epik(hit->query.p, hit->query.n)) {
		found = query_param(&hit->query, "epik", 4, &pl->scratch, out) && out->n > 0;
	}
	if (!found && hit->f[FIELD_COOKIE_EPIK].p != NULL) {
		/* Cookie values are URL-decoded too (SPEC §4). */
		const struct slice *c = &hit->f[FIELD_COOKIE_EPIK];
		char *dst = memchr(c->p, '%', c->n) ? scratch_take(&pl->scratch, c->n) : NULL;
		*out = *c;
		if (dst != NULL) {
			out->p = dst;
			out->n = decode_percent(c->p, c->n, dst, 0);
		}
		found = out->n > 0;
	}
	if (!found) {
		found = referer_epik(pl, &hit->f[FIELD_HTTP_REFERER], out);
	}
	if (opt_out) {
		/* Forgotten even with click_memory = 0, which may have been
		 * on before: the memory keeps what it saved then. */
		clickmem_forget(pl->cm, key);
	} else if (!memory) {
		return; /* click_memory = 0: nothing is remembered */
	} else if (found) {
		clickmem_put(pl->cm, key, t, now, out->p, out->n);
	} else if (clickmem_get(pl->cm, key, t, &out->p, &out->n)) {
		found = 1;
	}
}

static int opted_out(const struct hit *hit)
{
	const struct slice *g = &hit->f[FIELD_HTTP_SEC_GPC];
	return g->p != NULL && g->n == 1 && g->p[0] == '1';
}

/* The hit's time, as parser_time(), remembering the last one read. */
static int hit_time(struct pipeline *pl, int64_t *t)
{
	const struct slice *f = &pl->hit.f[pl->site->parser->time_field];

	if (f->p != NULL && f->n == pl->time_len && memcmp(f->p, pl->time_text, f->n) == 0) {
		*t = pl->time_value;
		return 0;
	}
	if (parser_time(pl->site->parser, &pl->hit, t) < 0) {
		return -1;
	}
	if (f->n <= sizeof pl->time_text) {
		memcpy(pl->time_text, f->p, f->n);
		pl->time_len = f->n;
		pl->time_value = *t;
	}
	return 0;
}

/* 1 when P (N bytes) is all printable ASCII, spaces included. */
static int printable_ascii(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)p[i] < 0x20 || (unsigned char)p[i] > 0x7e) {
			return 0;
		}
	}
	return 1;
}

/* Builds and emits the event of rule R for the hit. */
static int emit_event(struct pipeline *pl, const struct rule *r, const char *line, size_t n,
		      const struct line_src *src, struct event_in *in, int64_t now,
		      pipeline_emit_fn emit, void *ctx)
{
	char derived[EVENT_ID_LEN + 1];
	const struct slice *rid = &pl->hit.f[FIELD_REQUEST_ID];
	char rid_buf[128];
	unsigned dropped = 0;
	struct event_out ev = {.type = (enum event_type)r->type, .time = in->time, .src = src};
	size_t scratch_used;
	int written;

	/* A request id of up to 127 bytes of printable ASCII (nginx's is 32
	 * hex digits) is the event id.  A longer one cannot be kept whole in
	 * the spool, and one with other bytes (an "\x00" or "\xFF" in the log)
	 * would not come out of JSON as it went in (invalid UTF-8 becomes
	 * U+FFFD, so two ids one): the id is derived instead. */
	if (rid->p != NULL && rid->n < sizeof rid_buf && printable_ascii(rid->p, rid->n)) {
		memcpy(rid_buf, rid->p, rid->n);
		rid_buf[rid->n] = '\0';
		in->event_id = rid_buf;
		in->event_id_hex = 0;
	} else {
		hash_event_id(pl->site->name, src->identity, src->offset, line, n,
			      event_type_name((enum event_type)r->type), derived);
		in->event_id = derived;
		in->event_id_hex = 1;
	}
	if (pl->time_dec_len == 0 || pl->time_dec_of != in->time) {
		pl->time_dec_len = fmt_i64(pl->time_dec, in->time);
		pl->time_dec_of = in->time;
	}
	in->time_dec = pl->time_dec;
	in->time_dec_len = pl->time_dec_len;
	in->rule = r;
	buf_reset(&pl->out);
	/* What the event decodes into scratch is given back afterwards, so
	 * that a hit matching many rules does not run scratch out. */
	scratch_used = pl->scratch.used;
	written = event_write(&pl->out, in, &pl->scratch, &dropped);
	pl->scratch.used = scratch_used;
	if (written < 0) {
		/* Too large to write (a line near max_line feeding many fields):
		 * refused with its reason, never sent half-written. */
		ev.reject = "too large to send";
		pl->st.too_large++;
	} else if (in->time < now - pl->site->max_event_age / 1000) {
		ev.reject = "too old";
		pl->st.too_old++;
	} else if (in->time > now + FUTURE_SLACK) {
		ev.reject = "in the future";
		pl->st.future++;
	} else {
		pl->st.events[r->type]++;
	}
	pl->st.dropped_fields += dropped;
	ev.event_id = in->event_id;
	ev.json = pl->out.p;
	ev.len = pl->out.len;
	return emit(ctx, &ev);
}

int pipeline_line(struct pipeline *pl, const char *line, size_t n, const struct line_src *src,
		  int64_t now, pipeline_emit_fn emit, void *ctx)
{
	const struct site *site = pl->site;
	struct hit *hit = &pl->hit;
	struct event_in in = {.site = site, .hit = hit};
	enum filter_reason why;
	int events = 0, have_time = 0;
	uint32_t taken = 0; /* event types already given by this hit */
	enum parse_result pr;

	pl->st.lines++;
	pl->agent_memo = NULL;
	if (n > pl->cfg->agent.max_line) {
		pl->st.too_long++;
		return 0;
	}
	pr = parser_parse(site->parser, line, n, src->no_backslash ? PARSE_NO_BACKSLASH : 0,
			  &pl->scratch, hit);
	if (pr != PARSE_OK && pr != PARSE_NO_TARGET) {
		pl->st.unparsable++;
		return 0;
	}
	pl->st.parsed++;
	if (!routed_here(pl, hit)) {
		return 0;
	}
	if (pr == PARSE_NO_TARGET) {
		/* No page was asked for (nginx's "-" of a 400 or 408, "OPTIONS
		 * *"): filtered by its status, or else as a path that is none. */
		why = status_set_has(&site->status, hit->status) ? FILTER_PATH : FILTER_STATUS;
		pl->st.filtered[why]++;
		return 0;
	}
	in.client = client_addr(site, hit);
	why = filter_hit(site, pl->cfg->bots, pl->agents, hit, &in.client, &pl->agent_memo);
	if (why != FILTER_PASS) {
		pl->st.filtered[why]++;
		if (opted_out(hit)) {
			/* Browsers send Sec-GPC: 1 with a page's styles, scripts and
			 * images too, the hits the filters drop: the visitor is
			 * forgotten all the same. */
			uint8_t key[CLICKMEM_KEY_LEN];
			visitor_key(pl, hit, &in.client, key);
			clickmem_forget(pl->cm, key);
		}
		return 0;
	}
	in.opt_out = opted_out(hit);
	for (size_t i = 0; i < site->nrules; i++) {
		struct rule *r = site->rules[i];
		/* The first rule of a type wins. */
		if ((taken >> r->type) & 1u || rule_match(r, hit) != 1) {
			continue;
		}
		taken |= 1u << r->type;
		if (!have_time) {
			if (hit_time(pl, &in.time) < 0) {
				pl->st.bad_time++;
				break;
			}
			click_id(pl, hit, &in.client, in.time, now, in.opt_out, &in.click_id);
			have_time = 1;
		}
		events++;
		if (emit_event(pl, r, line, n, src, &in, now, emit, ctx) != 0) {
			events = -1;
			break;
		}
	}
	if (events == 0 && taken == 0) { /* a matched rule with a bad time counted above */
		pl->st.no_event++;
		/* A hit that is no event still teaches the memory: a landing
		 * its epik, a Sec-GPC: 1 visitor to forget them. */
		if ((in.opt_out || (site->click_memory > 0 && may_hold_epik(hit->query.p, hit->query.n))) &&
		    hit_time(pl, &in.time) == 0) {
			click_id(pl, hit, &in.client, in.time, now, in.opt_out, &in.click_id);
		}
	}
	return events;
}

void pipeline_stats_print(const struct pipeline_stats *st, FILE *out)
{
	uint64_t filtered = 0, events = 0;

	for (int i = 1; i < FILTER_REASONS; i++) {
		filtered += st->filtered[i];
	}
	for (int i = 0; i < EV_COUNT; i++) {
		events += st->events[i];
	}
	fprintf(out, "lines read:      %llu\n", (unsigned long long)st->lines);
	fprintf(out, "parsed:          %llu\n", (unsigned long long)st->parsed);
	fprintf(out, "unparsable:      %llu\n", (unsigned long long)st->unparsable);
	fprintf(out, "too long:        %llu\n", (unsigned long long)st->too_long);
	fprintf(out, "filtered:        %llu", (unsigned long long)filtered);
	for (int i = 1; i < FILTER_REASONS; i++) {
		fprintf(out, " %s=%llu", filter_reason_name((enum filter_reason)i),
			(unsigned long long)st->filtered[i]);
	}
	fprintf(out, "\nunrouted:        %llu (other sites' hosts: %llu)\n",
		(unsigned long long)st->unrouted, (unsigned long long)st->other_site);
	fprintf(out, "no rule matched: %llu\n", (unsigned long long)st->no_event);
	fprintf(out, "too old:         %llu\n", (unsigned long long)st->too_old);
	fprintf(out, "in the future:   %llu\n", (unsigned long long)st->future);
	if (st->bad_time > 0) {
		fprintf(out, "bad time:        %llu\n", (unsigned long long)st->bad_time);
	}
	if (st->dropped_fields > 0) {
		fprintf(out, "dropped values:  %llu (did not fit value, currency or num_items)\n",
			(unsigned long long)st->dropped_fields);
	}
	if (st->too_large > 0) {
		fprintf(out, "too large:       %llu\n", (unsigned long long)st->too_large);
	}
	fprintf(out, "events:          %llu", (unsigned long long)events);
	for (int i = 0; i < EV_COUNT; i++) {
		if (st->events[i] > 0) {
			fprintf(out, " %s=%llu", event_type_name((enum event_type)i),
				(unsigned long long)st->events[i]);
		}
	}
	fputc('\n', out);
}
