#include "parser.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "conftab.h"
#include "decode.h"
#include "diag.h"
#include "rx.h"
#include "values.h"

static const char *const field_names[FIELD_COUNT + 1] = { /* NULL-terminated */
	"remote_addr",     "time_local",   "time_iso8601",      "msec",
	"request",         "request_method", "request_uri",     "status",
	"http_user_agent", "http_referer", "host",              "request_id",
	"cookie__epik",    "http_x_forwarded_for", "http_sec_gpc",
};

const char *field_name(enum field_id f) { return field_names[f]; }

int field_lookup(const char *name)
{
	for (int i = 0; i < FIELD_COUNT; i++) {
		if (strcmp(field_names[i], name) == 0) {
			return i;
		}
	}
	return -1;
}

#define HAS(p, f) (((p)->have >> (f)) & 1u)

/* Lists the required fields DEF lacks into OUT; 0 when it has them all. */
static int missing_fields(const struct parser_def *def, char *out, size_t outlen)
{
	size_t n = 0;
	out[0] = '\0';
#define MISSING(cond, text)                                                     \
	do {                                                                    \
		if (cond) {                                                     \
			n += (size_t)snprintf(out + n, n < outlen ? outlen - n : 0, "%s%s", \
					      n ? ", " : "", text);            \
		}                                                               \
	} while (0)
	MISSING(!HAS(def, FIELD_REMOTE_ADDR), "remote_addr");
	MISSING(!HAS(def, FIELD_TIME_LOCAL) && !HAS(def, FIELD_TIME_ISO8601) && !HAS(def, FIELD_MSEC),
		"time_local (or time_iso8601, or msec)");
	MISSING(!HAS(def, FIELD_REQUEST) &&
			!(HAS(def, FIELD_REQUEST_METHOD) && HAS(def, FIELD_REQUEST_URI)),
		"request (or request_method and request_uri)");
	MISSING(!HAS(def, FIELD_STATUS), "status");
	MISSING(!HAS(def, FIELD_HTTP_USER_AGENT), "http_user_agent");
#undef MISSING
	return n > 0;
}

/* The line where key NAME of DEF was set, or the section's line. */
static int def_line(const struct parser_def *def, const char *name)
{
	const struct key_def *k = conftab_find("parser", name);
	int l = k ? def->line_of[conftab_index(k)] : 0;
	return l ? l : def->line;
}

int parser_compile(struct parser_def *def, struct diag *d)
{
	char err[320], missing[256];
	const char *tspec = def->time_format;

	for (int f = 0; f < FIELD_COUNT; f++) {
		def->group[f] = -1;
	}
	def->have = 0;
	if ((int)def->format < 0) {
		return -1; /* format's bad value was said */
	}
	if (def->format == PARSER_REGEX) {
		/* format's default is regex (SPEC §3): fields alone mean json. */
		if (def->regex == NULL && def->fields != NULL &&
		    def->line_of[conftab_index(conftab_find("parser", "format"))] == 0) {
			diag_error(d, def->file, def->line,
				   "parser %s: fields are for format = json, and format is regex unless set: "
				   "write format = json",
				   def->name);
			return -1;
		}
		if (def->regex == NULL) {
			diag_error(d, def->file, def->line, "parser %s: format = regex needs a regex", def->name);
			return -1;
		}
		def->rx = rx_compile(def->regex, 0, err, sizeof err);
		if (def->rx == NULL) {
			diag_error(d, def->file, def_line(def, "regex"),
				   "parser %s: the regex does not compile %s", def->name, err);
			return -1;
		}
		for (int f = 0; f < FIELD_COUNT; f++) {
			def->group[f] = rx_group_number(def->rx, field_names[f]);
			if (def->group[f] >= 0) {
				def->have |= 1u << f;
			}
		}
	} else {
		if (def->fields == NULL || def->fields[0] == NULL) {
			diag_error(d, def->file, def->line,
				   "parser %s: format = json needs fields (the keys of each object)", def->name);
			return -1;
		}
		for (size_t i = 0; def->fields[i] != NULL; i++) {
			int f = field_lookup(def->fields[i]);
			if (f >= 0) {
				def->have |= 1u << f;
			} else {
				/* Other keys of the log are fine to list; a near miss of
				 * a field pintail reads is most likely a typo. */
				const char *near = value_suggest(def->fields[i], field_names);
				if (near != NULL) {
					diag_warn(d, def->file, def_line(def, "fields"),
						  "parser %s: fields: %s is no field pintail reads, and is ignored; did "
						  "you mean %s?",
						  def->name, def->fields[i], near);
				}
			}
		}
	}
	if (missing_fields(def, missing, sizeof missing)) {
		diag_error(d, def->file, def->line, "parser %s lacks required field(s): %s", def->name,
			   missing);
		return -1;
	}
	def->time_field = HAS(def, FIELD_TIME_LOCAL)     ? FIELD_TIME_LOCAL
			  : HAS(def, FIELD_TIME_ISO8601) ? FIELD_TIME_ISO8601
							 : FIELD_MSEC;
	if (tspec == NULL) {
		tspec = def->time_field == FIELD_TIME_LOCAL     ? "%d/%b/%Y:%H:%M:%S %z"
			: def->time_field == FIELD_TIME_ISO8601 ? "iso8601"
								: "epoch";
	}
	if (timefmt_parse(tspec, &def->tf, err, sizeof err) < 0) {
		diag_error(d, def->file, def_line(def, "time_format"), "parser %s: %s", def->name, err);
		return -1;
	}
	/* A literal Z, UTC or GMT says the times are UTC. */
	if (def->tf.kind == TIME_STRF && !def->tf.zone && strchr(def->tf.fmt, 'Z') == NULL &&
	    strstr(def->tf.fmt, "UTC") == NULL && strstr(def->tf.fmt, "GMT") == NULL) {
		diag_warn(d, def->file, def_line(def, "time_format"),
			  "parser %s: time_format has no %%z: the log's times are read as UTC; if they are "
			  "not, have the server log its zone too, and add %%z",
			  def->name);
	}
	return 0;
}

void parser_def_free(struct parser_def *def)
{
	if (def == NULL) {
		return;
	}
	rx_free(def->rx);
	free(def->regex);
	free(def->time_format);
	words_free(def->fields);
	free(def->name);
	free(def->file);
	free(def);
}

char *scratch_take(struct scratch *s, size_t n)
{
	char *p;
	if (n > s->cap - s->used) {
		return NULL;
	}
	p = s->p + s->used;
	s->used += n;
	return p;
}

/* Splits "METHOD URI [PROTOCOL]" into HIT's method and uri. */
static int split_request(const struct slice *req, struct hit *hit)
{
	const char *p = req->p, *end = req->p + req->n, *sp1, *sp2;

	/* The method is a short word: a loop beats a call to memchr. */
	for (sp1 = p; sp1 < end && *sp1 != ' '; sp1++) {
	}
	if (sp1 == end || sp1 == p) {
		return -1;
	}
	hit->method.p = p;
	hit->method.n = (size_t)(sp1 - p);
	p = sp1 + 1;
	/* The URI runs to the last space before "HTTP/", if there is one. */
	sp2 = end;
	for (const char *q = end; q > p; q--) {
		if (q[-1] == ' ') {
			if ((size_t)(end - q) >= 5 && memcmp(q, "HTTP/", 5) == 0) {
				sp2 = q - 1;
			}
			break;
		}
	}
	if (sp2 <= p) {
		return -1;
	}
	hit->uri.p = p;
	hit->uri.n = (size_t)(sp2 - p);
	return 0;
}

/*
 * Absolute-form targets ("http://host/path") keep only "/path".  The
 * scheme is case-insensitive (RFC 3986 3.1), and the authority ends at the
 * first '/', '?' or '#': a '/' in "http://host?next=/a" is the query's.
 */
static void origin_form(struct slice *uri)
{
	const char *p = uri->p, *end = uri->p + uri->n;

	if (uri->n < 8 || p[0] == '/') {
		return;
	}
	if (strncasecmp(p, "http://", 7) == 0) {
		p += 7;
	} else if (uri->n > 8 && strncasecmp(p, "https://", 8) == 0) {
		p += 8;
	} else {
		return;
	}
	while (p < end && *p != '/' && *p != '?' && *p != '#') {
		p++;
	}
	if (p == end || *p != '/') {
		/* "http://host?x" has an empty path: it is "/". */
		int query = p < end && *p == '?';
		uri->p = query ? p : "/";
		uri->n = query ? (size_t)(end - p) : 1;
		return;
	}
	uri->p = p;
	uri->n = (size_t)(end - p);
}

/*
 * The end of the path in URI (N bytes): its first '?', or its end.  Sets
 * *PERCENT when a '%' comes before.  One pass, sixteen bytes at a time
 * with SSE2; the bytes from URI + N up to LIMIT may be read (and are
 * ignored), which spares a byte loop over the path's last block.
 */
static const char *path_end(const char *uri, size_t n, const char *limit, int *percent)
{
	const char *p = uri, *end = uri + n;

#ifdef __SSE2__
	const __m128i qm = _mm_set1_epi8('?'), pc = _mm_set1_epi8('%');
	for (; p < end && limit - p >= 16; p += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		unsigned valid = end - p >= 16 ? 0xffffu : (1u << (end - p)) - 1u;
		unsigned qbits = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, qm)) & valid;
		unsigned pbits = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, pc)) & valid;
		if (qbits != 0) {
			/* Only the '%' before the '?' count. */
			*percent |= (pbits & ((qbits & (0u - qbits)) - 1u)) != 0;
			return p + __builtin_ctz(qbits);
		}
		*percent |= pbits != 0;
	}
#else
	(void)limit;
#endif
	for (; p < end && *p != '?'; p++) {
		*percent |= *p == '%';
	}
	return p < end ? p : end;
}

static int parse_status(const struct slice *s)
{
	if (s->p == NULL || s->n != 3 || s->p[0] < '1' || s->p[0] > '5' || s->p[1] < '0' ||
	    s->p[1] > '9' || s->p[2] < '0' || s->p[2] > '9') {
		return -1;
	}
	return (s->p[0] - '0') * 100 + (s->p[1] - '0') * 10 + (s->p[2] - '0');
}

enum parse_result parser_parse(const struct parser_def *def, const char *line, size_t n,
			       unsigned flags, struct scratch *s, struct hit *hit)
{
	enum parse_result r;
	const char *q, *end;
	char *dst;
	int percent = 0;

	s->used = 0;
	if (hit->by != def) {
		/* Fields DEF does not capture stay absent from now on. */
		memset(hit, 0, sizeof *hit);
		hit->by = def;
	}
	hit->method = hit->uri = hit->path = hit->query = (struct slice){0};
	hit->status = 0;
	if (def->format == PARSER_REGEX) {
		/* Sets every field DEF captures, "-" already absent. */
		r = parser_regex_fields(def, line, n, flags, s, hit);
	} else {
		for (uint32_t have = def->have; have != 0; have &= have - 1) {
			hit->f[__builtin_ctz(have)] = (struct slice){0};
		}
		r = parser_json_fields(def, line, n, s, hit);
		/* nginx writes "-" for an empty variable: such a field is absent. */
		for (uint32_t have = def->have; r == PARSE_OK && have != 0; have &= have - 1) {
			int f = __builtin_ctz(have);
			if (hit->f[f].p != NULL && (hit->f[f].n == 0 || (hit->f[f].n == 1 && hit->f[f].p[0] == '-'))) {
				hit->f[f] = (struct slice){0};
			}
		}
	}
	if (r != PARSE_OK) {
		return r;
	}
	hit->status = parse_status(&hit->f[FIELD_STATUS]);
	if (hit->status < 0 || hit->f[FIELD_REMOTE_ADDR].p == NULL) {
		return PARSE_NOMATCH;
	}
	if (hit->f[FIELD_REQUEST].p != NULL) {
		if (split_request(&hit->f[FIELD_REQUEST], hit) < 0) {
			return PARSE_NO_TARGET;
		}
	} else if (hit->f[FIELD_REQUEST_METHOD].p != NULL && hit->f[FIELD_REQUEST_URI].p != NULL) {
		hit->method = hit->f[FIELD_REQUEST_METHOD];
		hit->uri = hit->f[FIELD_REQUEST_URI];
	} else if (def->have & (1u << FIELD_REQUEST | 1u << FIELD_REQUEST_URI)) {
		return PARSE_NO_TARGET; /* captured, and "-" or empty here */
	} else {
		return PARSE_NOMATCH;
	}
	origin_form(&hit->uri);
	if (hit->uri.p[0] != '/' && hit->uri.p[0] != '?') {
		return PARSE_NO_TARGET; /* "*", "host:port", "foo" */
	}
	/* Within the line, reading past the URI is safe (it is followed by
	 * at least the rest of the line); within the scratch buffer it is not. */
	q = path_end(hit->uri.p, hit->uri.n,
		     (uintptr_t)hit->uri.p - (uintptr_t)line <= n ? line + n : hit->uri.p + hit->uri.n,
		     &percent);
	end = hit->uri.p + hit->uri.n;
	hit->path.n = (size_t)(q - hit->uri.p);
	if (q < end) {
		hit->query.p = q + 1;
		hit->query.n = hit->uri.n - hit->path.n - 1;
	}
	if (hit->path.n == 0) {
		hit->path.p = "/"; /* "GET http://host?x" */
		hit->path.n = 1;
	} else if (!percent) {
		hit->path.p = hit->uri.p;
	} else {
		dst = scratch_take(s, hit->path.n);
		if (dst == NULL) {
			return PARSE_NOMATCH;
		}
		hit->path.p = dst;
		hit->path.n = decode_percent(hit->uri.p, hit->path.n, dst, 0);
	}
	return PARSE_OK;
}

int parser_time(const struct parser_def *def, const struct hit *hit, int64_t *epoch)
{
	const struct slice *t = &hit->f[def->time_field];
	if (t->p == NULL) {
		return -1;
	}
	return time_parse(&def->tf, t->p, t->n, epoch);
}
