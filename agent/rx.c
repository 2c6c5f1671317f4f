#define PCRE2_CODE_UNIT_WIDTH 8
#include "rx.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* Limits so that a pathological line fails fast instead of stalling us. */
enum {
	RX_MATCH_LIMIT = 200000,
	RX_DEPTH_LIMIT = 10000,
	RX_HEAP_LIMIT_KIB = 8192,
	RX_JIT_STACK_MIN = 32 * 1024,
	RX_JIT_STACK_MAX = 512 * 1024,
	};

struct rx {
	pcre2_code *code;
	pcre2_match_data *md;
	int jit;
	/* Every match starts with these bytes (see rx_literal_prefix()). */
	char prefix[RX_PREFIX_MAX];
	size_t prefix_len;
	int need; /* a byte every match contains (PCRE2's analysis), or -1 */
};

/* Shared by every pattern: the process runs one match at a time. */
static pcre2_match_context *rx_mctx;
static pcre2_jit_stack *rx_jit_stack;
static int rx_jit_wanted = 1;
static int rx_jit_failure_logged;

void rx_set_jit(int enabled) { rx_jit_wanted = enabled; }

static int rx_context(void)
{
	if (rx_mctx != NULL) {
		return 0;
	}
	rx_mctx = pcre2_match_context_create(NULL);
	if (rx_mctx == NULL) {
		return -1;
	}
	pcre2_set_match_limit(rx_mctx, RX_MATCH_LIMIT);
	pcre2_set_depth_limit(rx_mctx, RX_DEPTH_LIMIT);
	pcre2_set_heap_limit(rx_mctx, RX_HEAP_LIMIT_KIB);
	rx_jit_stack = pcre2_jit_stack_create(RX_JIT_STACK_MIN, RX_JIT_STACK_MAX, NULL);
	if (rx_jit_stack != NULL) {
		pcre2_jit_stack_assign(rx_mctx, NULL, rx_jit_stack);
	}
	return 0;
}

/*
 * The literal text every match of an anchored PATTERN begins with, into OUT
 * (at most RX_PREFIX_MAX bytes); returns its length, 0 when there is none
 * that is certain.  Rules are mostly "^/checkout/thank-you" or "^/search$":
 * comparing a few bytes first spares most lines a call into PCRE2.
 *
 * Deliberately conservative: only "^" followed by plain characters (or a
 * backslash before punctuation), without options that change what a
 * character matches, and never when the pattern has a "|" outside brackets
 * and groups, as "^/a|/b" does not require "/a".
 */
size_t rx_literal_prefix(const char *pattern, uint32_t options, char out[RX_PREFIX_MAX])
{
	const char *p = pattern;
	size_t n = 0;
	int depth = 0, in_class = 0;

	if ((options & (PCRE2_CASELESS | PCRE2_EXTENDED | PCRE2_EXTENDED_MORE | PCRE2_MULTILINE |
			PCRE2_LITERAL)) != 0 || p[0] != '^') {
		return 0;
	}
	/* Quoting, comments and POSIX classes would hide brackets from the
	 * scan below: such patterns get no prefix. */
	if (strstr(p, "\\Q") != NULL || strstr(p, "(?#") != NULL || strstr(p, "[:") != NULL) {
		return 0;
	}
	/* A top-level alternative makes any prefix uncertain. */
	for (const char *q = p; *q; q++) {
		if (*q == '\\' && q[1] != '\0') {
			q++;
		} else if (in_class) {
			in_class = *q != ']';
		} else if (*q == '[') {
			in_class = 1;
			if (q[1] == ']' || (q[1] == '^' && q[2] == ']')) {
				q += q[1] == '^' ? 2 : 1; /* "[]...]": the first ']' is literal */
			}
		} else if (*q == '(') {
			depth++;
		} else if (*q == ')') {
			depth--;
		} else if (*q == '|' && depth == 0) {
			return 0;
		}
	}
	for (p++; *p && n < RX_PREFIX_MAX; p++) {
		char c = *p;
		const char *next = p + 1;
		if (c == '\\') {
			/* Only an escaped punctuation character is that character. */
			if (p[1] == '\0' || (p[1] >= '0' && p[1] <= '9') || (p[1] >= 'A' && p[1] <= 'Z') ||
			    (p[1] >= 'a' && p[1] <= 'z') || (unsigned char)p[1] >= 0x80) {
				break;
			}
			c = p[1];
			next = p + 2;
		} else if (strchr("^$.|?*+()[]{}", c) != NULL || (unsigned char)c >= 0x80) {
			break;
		}
		/* A quantifier may repeat the character zero times. */
		if (*next == '?' || *next == '*' || *next == '{') {
			break;
		}
		out[n++] = c;
		p = next - 1;
		if (*next == '+') {
			break;
		}
	}
	return n;
}

/*
 * A byte that every match must contain, from PCRE2's own analysis of the
 * pattern (its "first" or "last" code unit), or -1.  Checking for it with
 * memchr() spares the call into PCRE2 for most paths on patterns such as
 * the default exclude_paths, "\\.(css|js|...)$".  Not used when letters may
 * match either case, as the recorded unit is then one of two.
 */
static int needed_byte(const pcre2_code *code, const char *pattern, uint32_t options)
{
	uint32_t type = 0, unit = 0;
	const char *q = pattern;

	if (options & PCRE2_CASELESS) {
		return -1;
	}
	while ((q = strstr(q, "(?")) != NULL) {
		/* Inline options such as "(?i)", "(?mi:" or "(?^i)". */
		for (q += 2; *q && *q != ')' && *q != ':'; q++) {
			if (*q == 'i') {
				return -1;
			}
		}
	}
	if (pcre2_pattern_info(code, PCRE2_INFO_FIRSTCODETYPE, &type) == 0 && type == 1 &&
	    pcre2_pattern_info(code, PCRE2_INFO_FIRSTCODEUNIT, &unit) == 0) {
		return (int)(unit & 0xff);
	}
	if (pcre2_pattern_info(code, PCRE2_INFO_LASTCODETYPE, &type) == 0 && type == 1 &&
	    pcre2_pattern_info(code, PCRE2_INFO_LASTCODEUNIT, &unit) == 0) {
		return (int)(unit & 0xff);
	}
	return -1;
}

/* PCRE2's compilation of PATTERN, or NULL with "at offset N: message" in ERR. */
static pcre2_code *compile(const char *pattern, uint32_t options, char *err, size_t errlen)
{
	int code;
	PCRE2_SIZE off;
	pcre2_code *c = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, options, &code,
				      &off, NULL);

	if (c == NULL) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(code, msg, sizeof msg);
		snprintf(err, errlen, "at offset %zu: %s", (size_t)off, (char *)msg);
	}
	return c;
}

struct rx *rx_compile(const char *pattern, uint32_t options, char *err, size_t errlen)
{
	struct rx *rx;
	int code;

	if (rx_context() < 0 || (rx = calloc(1, sizeof *rx)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	rx->code = compile(pattern, options, err, errlen);
	if (rx->code == NULL) {
		free(rx);
		return NULL;
	}
	rx->prefix_len = rx_literal_prefix(pattern, options, rx->prefix);
	rx->need = rx->prefix_len > 0 ? -1 : needed_byte(rx->code, pattern, options);
	rx->md = pcre2_match_data_create_from_pattern(rx->code, NULL);
	if (rx->md == NULL) {
		snprintf(err, errlen, "out of memory");
		rx_free(rx);
		return NULL;
	}
	if (rx_jit_wanted) {
		code = pcre2_jit_compile(rx->code, PCRE2_JIT_COMPLETE);
		if (code == 0 && rx_jit_stack != NULL) {
			rx->jit = 1;
		} else if (!rx_jit_failure_logged) {
			PCRE2_UCHAR msg[256];
			pcre2_get_error_message(code, msg, sizeof msg);
			log_warn("PCRE2 JIT unavailable (%s): using the slower interpreter",
				 code == 0 ? "no JIT stack" : (char *)msg);
			rx_jit_failure_logged = 1;
		}
	}
	return rx;
}

int rx_check(const char *pattern, uint32_t options, char *err, size_t errlen)
{
	pcre2_code *c = compile(pattern, options, err, errlen);

	pcre2_code_free(c);
	return c != NULL ? 0 : -1;
}

int rx_match(struct rx *rx, const char *subject, size_t len)
{
	int rc;

	/* Paths all begin with '/': the prefix's last byte tells more than
	 * its first, and spares most calls to memcmp(). */
	if (rx->prefix_len > 0 &&
	    (len < rx->prefix_len || subject[rx->prefix_len - 1] != rx->prefix[rx->prefix_len - 1] ||
	     memcmp(subject, rx->prefix, rx->prefix_len - 1) != 0)) {
		return 0;
	}
	if (rx->need >= 0 && memchr(subject, rx->need, len) == NULL) {
		return 0;
	}
	if (rx->jit) {
		rc = pcre2_jit_match(rx->code, (PCRE2_SPTR)subject, len, 0, 0, rx->md, rx_mctx);
	} else {
		rc = pcre2_match(rx->code, (PCRE2_SPTR)subject, len, 0, PCRE2_NO_JIT, rx->md,
				 rx_mctx);
	}
	if (rc >= 0) {
		return 1;
	}
	return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

int rx_group(const struct rx *rx, int n, size_t *start, size_t *end)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(rx->md);

	if (n < 0 || (uint32_t)n >= pcre2_get_ovector_count(rx->md) ||
	    ov[2 * n] == PCRE2_UNSET) {
		return 0;
	}
	*start = ov[2 * n];
	*end = ov[2 * n + 1];
	return 1;
}

const size_t *rx_ovector(const struct rx *rx, size_t *n)
{
	_Static_assert(sizeof(PCRE2_SIZE) == sizeof(size_t) && PCRE2_UNSET == RX_UNSET,
		       "PCRE2_SIZE is size_t");
	*n = pcre2_get_ovector_count(rx->md);
	return pcre2_get_ovector_pointer(rx->md);
}

int rx_group_number(const struct rx *rx, const char *name)
{
	int n = pcre2_substring_number_from_name(rx->code, (PCRE2_SPTR)name);
	return n > 0 ? n : -1;
}

void rx_free(struct rx *rx)
{
	if (rx == NULL) {
		return;
	}
	pcre2_match_data_free(rx->md);
	pcre2_code_free(rx->code);
	free(rx);
}
