/*
 * parser_regex — format = regex: fields are the named groups of one PCRE2.
 */
#include <string.h>

#include "decode.h"
#include "parser.h"
#include "rx.h"

enum parse_result parser_regex_fields(const struct parser_def *def, const char *line, size_t n,
				      unsigned flags, struct scratch *s, struct hit *hit)
{
	int rc = rx_match(def->rx, line, n);
	/* Most lines hold no backslash at all: then no field needs decoding. */
	int escapes;
	const size_t *ov;
	size_t pairs;

	if (rc == 0) {
		return PARSE_NOMATCH;
	}
	if (rc < 0) {
		return PARSE_LIMIT;
	}
	escapes = !(flags & PARSE_NO_BACKSLASH) && memchr(line, '\\', n) != NULL;
	ov = rx_ovector(def->rx, &pairs);
	for (uint32_t have = def->have; have != 0; have &= have - 1) {
		int f = __builtin_ctz(have);
		size_t g = (size_t)def->group[f], len;
		/* nginx writes "-" for an empty variable: such a field is absent,
		 * as is an empty one or a group that did not take part. */
		if (g >= pairs || ov[2 * g] == RX_UNSET || (len = ov[2 * g + 1] - ov[2 * g]) == 0 ||
		    (len == 1 && line[ov[2 * g]] == '-')) {
			hit->f[f] = (struct slice){0};
			continue;
		}
		hit->f[f].p = line + ov[2 * g];
		hit->f[f].n = len;
		/* Quoted fields may carry "\xHH" (nginx) or "\"" (Apache) escapes. */
		if (escapes && memchr(hit->f[f].p, '\\', hit->f[f].n) != NULL) {
			char *dst = scratch_take(s, hit->f[f].n);
			if (dst == NULL) {
				return PARSE_NOMATCH;
			}
			hit->f[f].n = decode_log_escapes(hit->f[f].p, hit->f[f].n, dst);
			hit->f[f].p = dst;
			if (hit->f[f].n == 1 && dst[0] == '-') {
				hit->f[f] = (struct slice){0}; /* an escaped "-" is still "-" */
			}
		}
	}
	return PARSE_OK;
}
