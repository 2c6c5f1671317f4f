/*
 * values — parsing of configuration values: durations, sizes, booleans,
 * numeric ids, word lists and HTTP status ranges; and "did you mean".
 *
 * Each parser returns 0 and stores the result, or -1 for a malformed value
 * (the caller words the message; values are never echoed, as they may be
 * secrets).
 */
#ifndef PINTAIL_VALUES_H
#define PINTAIL_VALUES_H

#include <stddef.h>
#include <stdint.h>

/* The folder of PATH, as dirname(3) says, in a new string (NULL: no memory). */
char *path_dir(const char *path);

/* 1 when the N bytes at P are one of HOSTS (NULL-terminated), ignoring case. */
int hosts_have(char *const *hosts, const char *p, size_t n);

/*
 * The host in the authority at P (N bytes, what follows "//" in a URL):
 * past any userinfo, before the port; an IPv6 host keeps its brackets.
 * Returns where it starts and sets *HOSTLEN; *REST (when REST is not NULL)
 * is set to the authority's end, the path, '?', '#' or P + N.
 */
const char *authority_host(const char *p, size_t n, size_t *hostlen, const char **rest);

/* The host of URL (see authority_host()) into OUT, at most OUTLEN - 1 bytes. */
void url_host(const char *url, char *out, size_t outlen);

/* Wipes the secret string *S (token copies), frees it, sets *S to NULL. */
void secret_free(char **s);

/* Keys in the configuration table, for per-key line numbers. */
#define CONF_MAX_KEYS 64

/* "30", "30s", "5m", "2h", "7d" -> milliseconds; fractions are not allowed. */
int value_duration_ms(const char *s, int64_t *ms);

/* "512", "64K", "512M", "1G" (powers of 1024) -> bytes. */
int value_size(const char *s, uint64_t *bytes);

/* "true/yes/on/1" or "false/no/off/0". */
int value_bool(const char *s, int *b);

/* A decimal integer within [min, max]. */
int value_int(const char *s, long min, long max, long *out);

/* Digits only, 1 to 18 of them. */
int value_numeric_id(const char *s);

/* A set of HTTP statuses, as a bitmap over 100..599. */
struct status_set {
	uint64_t bits[8]; /* bit (status - 100) */
};

/* "200-399", "200-299 304", "2xx 304"; separated by blanks or commas. */
int value_status_set(const char *s, struct status_set *set);
/* 1 when STATUS is in SET.  Inline: every line asks, once per rule. */
static inline int status_set_has(const struct status_set *set, int status)
{
	if (status < 100 || status > 599) {
		return 0;
	}
	return (int)((set->bits[(status - 100) / 64] >> ((status - 100) % 64)) & 1);
}
int status_set_overlaps(const struct status_set *a, const struct status_set *b);

/*
 * Splits S on blanks (and commas when COMMAS) into a NULL-terminated array
 * of strings; the caller frees it with words_free().  Returns NULL only when
 * out of memory; an empty S gives an empty array.
 */
char **words_split(const char *s, int commas);
size_t words_count(char *const *w);
void words_free(char **w);
int words_has(char *const *w, const char *s);

/*
 * What custom_data's value, currency and num_items take (SPEC §3):
 * ^[0-9]+(\.[0-9]+)?$, three letters, at most 9 digits (*N set).  Inline:
 * the events' writer asks them.
 */
static inline int value_is_decimal(const char *p, size_t n)
{
	size_t i = 0, digits = 0;
	while (i < n && p[i] >= '0' && p[i] <= '9') {
		i++;
		digits++;
	}
	if (digits == 0) {
		return 0;
	}
	if (i < n && p[i] == '.') {
		size_t frac = 0;
		for (i++; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
			frac++;
		}
		if (frac == 0) {
			return 0;
		}
	}
	return i == n;
}

static inline int value_is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

static inline int value_is_currency(const char *p, size_t n)
{
	return n == 3 && value_is_alpha(p[0]) && value_is_alpha(p[1]) && value_is_alpha(p[2]);
}

static inline int value_num_items(const char *p, size_t n, long *out)
{
	*out = 0;
	if (n == 0 || n > 9) {
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9') {
			return 0;
		}
		*out = *out * 10 + (p[i] - '0');
	}
	return 1;
}

/* The closest of the NULL-terminated CANDIDATES within edit distance 2, or NULL. */
const char *value_suggest(const char *word, const char *const *candidates);

#endif
