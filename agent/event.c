#include "event.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "decode.h"
#include "hash.h"

/* 1 when query parameter NAME must not be sent. */
static int param_stripped(const struct site *site, const char *name, size_t n)
{
	for (size_t i = 0; site->strip_params && site->strip_params[i]; i++) {
		const char *w = site->strip_params[i];
		/* Cheap first: the first letter, then the length (NAME may hold
		 * a decoded NUL, where strncasecmp would stop), then the rest. */
		if ((w[0] | 0x20) == (name[0] | 0x20) && strlen(w) == n && strncasecmp(w, name, n) == 0) {
			return 1;
		}
	}
	/* Parameters that feed hashed fields in any rule are never sent. */
	for (size_t r = 0; r < site->nrules; r++) {
		for (int f = RF_EM; f <= RF_EXTERNAL_ID; f++) {
			const struct field_source *fs = &site->rules[r]->field[f];
			for (size_t a = 0; a < fs->n; a++) {
				if (fs->alt[a].kind == SRC_QUERY && fs->alt[a].len == n &&
				    memcmp(fs->alt[a].text, name, n) == 0) {
					return 1;
				}
			}
		}
	}
	return 0;
}

int event_source_url(struct buf *out, const struct site *site, const struct hit *hit)
{
	const struct slice *host = &hit->f[FIELD_HOST];
	const char *p, *end;
	int first = 1;
	size_t path_len = hit->query.p ? (size_t)(hit->query.p - 1 - hit->uri.p) : hit->uri.n;

	buf_addc(out, '"');
	if (hosts_have(site->hosts, host->p, host->n)) {
		buf_add_json_chars(out, site->url_scheme, strlen(site->url_scheme));
		buf_add(out, "://", 3);
		buf_add_json_chars(out, host->p, host->n);
		/* url's port: nginx's $host never has one (and a host with
		 * one is none of the site's hosts). */
		if (site->url_port_len > 0) {
			buf_add_json_chars(out, site->url_port, site->url_port_len);
		}
		/* url's path, for a site behind a proxy that strips it. */
		if (site->url_path != NULL && site->url_path[0] != '\0') {
			buf_add_json_chars(out, site->url_path, strlen(site->url_path));
		}
	} else if (site->url_base_json != NULL) {
		buf_add(out, site->url_base_json, site->url_base_json_len);
	} else {
		buf_add_json_chars(out, site->url_base, strlen(site->url_base));
	}
	if (path_len == 0) {
		buf_addc(out, '/'); /* "http://host?x" */
	}
	buf_add_json_chars(out, hit->uri.p, path_len);
	p = hit->query.p;
	end = p ? p + hit->query.n : NULL;
	while (p != NULL && p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *pend = amp ? amp : end;
		const char *eq = memchr(p, '=', (size_t)(pend - p));
		size_t klen = (size_t)((eq ? eq : pend) - p);
		char name[128];
		size_t nlen = klen < sizeof name ? decode_percent(p, klen, name, 1) : 0;

		if (pend > p && !(nlen > 0 && param_stripped(site, name, nlen))) {
			buf_addc(out, first ? '?' : '&');
			buf_add_json_chars(out, p, (size_t)(pend - p));
			first = 0;
		}
		p = pend + 1;
	}
	return buf_addc(out, '"');
}

/* Writes ,"key": (opening the object first when *OPEN is 0). */
static void key(struct buf *out, const char *object, int *open, const char *name)
{
	if (!*open) {
		buf_adds(out, ",\"");
		buf_adds(out, object);
		buf_adds(out, "\":{");
		*open = 1;
	} else {
		buf_addc(out, ',');
	}
	buf_addc(out, '"');
	buf_adds(out, name);
	buf_adds(out, "\":");
}

static void write_content_ids(struct buf *out, const struct slice *v)
{
	const char *p = v->p, *end = v->p + v->n;
	int first = 1;

	buf_addc(out, '[');
	while (p <= end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *iend = comma ? comma : end;
		const char *a = p, *b = iend;
		while (a < b && isspace((unsigned char)*a)) {
			a++;
		}
		while (b > a && isspace((unsigned char)b[-1])) {
			b--;
		}
		if (b > a) {
			if (!first) {
				buf_addc(out, ',');
			}
			buf_add_json_str(out, a, (size_t)(b - a));
			first = 0;
		}
		p = iend + 1;
	}
	buf_addc(out, ']');
}

/* 1 when V has at least one non-blank id between commas. */
static int has_content_id(const struct slice *v)
{
	for (size_t i = 0; i < v->n; i++) {
		if (v->p[i] != ',' && !isspace((unsigned char)v->p[i])) {
			return 1;
		}
	}
	return 0;
}

static void write_custom(struct buf *out, const struct event_in *in, struct scratch *s,
			 unsigned *dropped)
{
	int open = 0;

	for (int f = RF_VALUE; f <= RF_SEARCH_STRING; f++) {
		struct slice v;
		long n;
		if (in->rule->field[f].n == 0 || /* not configured: the usual case */
		    !rule_field_value(in->rule, (enum rule_field)f, in->hit, s, &v)) {
			continue;
		}
		switch (f) {
		case RF_VALUE:
			if (!value_is_decimal(v.p, v.n)) {
				(*dropped)++;
				continue;
			}
			key(out, "custom_data", &open, "value");
			buf_add_json_str(out, v.p, v.n);
			break;
		case RF_CURRENCY: {
			char cur[3];
			if (!value_is_currency(v.p, v.n)) {
				(*dropped)++;
				continue;
			}
			for (int i = 0; i < 3; i++) {
				cur[i] = (char)toupper((unsigned char)v.p[i]);
			}
			key(out, "custom_data", &open, "currency");
			buf_add_json_str(out, cur, 3);
			break;
		}
		case RF_NUM_ITEMS:
			if (!value_num_items(v.p, v.n, &n)) {
				(*dropped)++;
				continue;
			}
			key(out, "custom_data", &open, "num_items");
			buf_add_i64(out, n);
			break;
		case RF_CONTENT_IDS:
			if (!has_content_id(&v)) {
				continue;
			}
			key(out, "custom_data", &open, "content_ids");
			write_content_ids(out, &v);
			break;
		default:
			key(out, "custom_data", &open, rule_field_name((enum rule_field)f));
			buf_add_json_str(out, v.p, v.n);
			break;
		}
	}
	if (open) {
		buf_addc(out, '}');
	}
}

static void write_user(struct buf *out, const struct event_in *in, struct scratch *s,
		       unsigned *dropped)
{
	const struct slice *ua = &in->hit->f[FIELD_HTTP_USER_AGENT];

	buf_adds(out, ",\"user_data\":{\"client_ip_address\":");
	buf_add_json_str(out, in->client.p, in->client.n);
	buf_adds(out, ",\"client_user_agent\":");
	buf_add_json_str(out, ua->p, ua->n);
	if (in->click_id.p != NULL && in->click_id.n > 0) {
		buf_adds(out, ",\"click_id\":");
		buf_add_json_str(out, in->click_id.p, in->click_id.n);
	}
	for (int f = RF_EM; f <= RF_EXTERNAL_ID; f++) {
		struct slice v;
		char hex[SHA256_HEX_LEN + 1];
		int rc;
		if (in->rule->field[f].n == 0 ||
		    !rule_field_value(in->rule, (enum rule_field)f, in->hit, s, &v)) {
			continue;
		}
		rc = f == RF_EM ? hash_email(v.p, v.n, hex)
		     : f == RF_PH ? hash_phone(v.p, v.n, hex)
				  : hash_external_id(v.p, v.n, hex);
		if (rc < 0) {
			(*dropped)++;
			continue;
		}
		buf_addf(out, ",\"%s\":[\"%s\"]", rule_field_name((enum rule_field)f), hex);
	}
	buf_addc(out, '}');
}

int event_write(struct buf *out, const struct event_in *in, struct scratch *s, unsigned *dropped)
{
	size_t start = out->len;

	/* Appends below are checked once, at the end: any failure leaves
	 * out->failed set, and then nothing half-written is kept. */
	out->failed = 0;
	buf_adds(out, "{\"event_name\":\"");
	buf_adds(out, event_type_name((enum event_type)in->rule->type));
	buf_adds(out, "\",\"action_source\":\"web\",\"event_time\":");
	if (in->time_dec != NULL) {
		buf_add(out, in->time_dec, in->time_dec_len);
	} else {
		buf_add_i64(out, in->time);
	}
	if (in->event_id_hex) {
		/* EVENT_ID_LEN hex digits need no escaping: one copy, quotes and all. */
		static const char key[] = ",\"event_id\":\"";
		char id[sizeof key + EVENT_ID_LEN];
		memcpy(id, key, sizeof key - 1);
		memcpy(id + sizeof key - 1, in->event_id, EVENT_ID_LEN);
		id[sizeof key - 1 + EVENT_ID_LEN] = '"';
		buf_add(out, id, sizeof key + EVENT_ID_LEN);
	} else {
		buf_adds(out, ",\"event_id\":");
		buf_add_json_str(out, in->event_id, strlen(in->event_id));
	}
	buf_adds(out, ",\"event_source_url\":");
	event_source_url(out, in->site, in->hit);
	write_user(out, in, s, dropped);
	write_custom(out, in, s, dropped);
	if (in->opt_out) {
		buf_adds(out, ",\"opt_out\":true");
	}
	buf_addc(out, '}');
	if (out->failed) {
		out->len = start;
		if (out->p != NULL) {
			out->p[start] = '\0';
		}
		out->failed = 0;
		return -1;
	}
	return 0;
}
