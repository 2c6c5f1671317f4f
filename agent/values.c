#include "values.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

char *path_dir(const char *path)
{
	char *copy = strdup(path), *dir;
	if (copy == NULL) {
		return NULL;
	}
	dir = strdup(dirname(copy));
	free(copy);
	return dir;
}

int hosts_have(char *const *hosts, const char *p, size_t n)
{
	for (size_t i = 0; p != NULL && hosts != NULL && hosts[i] != NULL; i++) {
		if (strlen(hosts[i]) == n && strncasecmp(hosts[i], p, n) == 0) {
			return 1;
		}
	}
	return 0;
}

const char *authority_host(const char *p, size_t n, size_t *hostlen, const char **rest)
{
	const char *h = p, *end = p, *stop = p + n, *hend;

	while (end < stop && *end != '/' && *end != '?' && *end != '#') {
		/* Past any userinfo, to its last '@', as curl does: in
		 * "http://localhost@evil/" the host is evil. */
		if (*end++ == '@') {
			h = end;
		}
	}
	if (h < end && *h == '[') {
		const char *close = memchr(h, ']', (size_t)(end - h));
		hend = close ? close + 1 : end;
	} else {
		const char *colon = memchr(h, ':', (size_t)(end - h));
		hend = colon ? colon : end;
	}
	*hostlen = (size_t)(hend - h);
	if (rest != NULL) {
		*rest = end;
	}
	return h;
}

void url_host(const char *url, char *out, size_t outlen)
{
	const char *sep = strstr(url, "://"), *a = sep ? sep + 3 : url, *h;
	size_t n;

	h = authority_host(a, strlen(a), &n, NULL);
	n = n < outlen - 1 ? n : outlen - 1;
	memcpy(out, h, n);
	out[n] = '\0';
}

void secret_free(char **s)
{
	if (*s != NULL) {
		explicit_bzero(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

/* A whole non-negative decimal number, with no sign, blank or overflow. */
static int parse_u64_prefix(const char *s, uint64_t *v, const char **end)
{
	char *e;
	unsigned long long n;

	if (!isdigit((unsigned char)*s)) {
		return -1;
	}
	errno = 0;
	n = strtoull(s, &e, 10);
	if (errno == ERANGE) {
		return -1;
	}
	*v = n;
	*end = e;
	return 0;
}

#define DURATION_MAX_MS (UINT64_C(100) * 366 * 86400 * 1000)

int value_duration_ms(const char *s, int64_t *ms)
{
	uint64_t n, mult;
	const char *e;

	if (parse_u64_prefix(s, &n, &e) < 0) {
		return -1;
	}
	switch (*e) {
	case '\0':
	case 's': mult = 1000; break;
	case 'm': mult = 60 * 1000; break;
	case 'h': mult = 3600 * 1000; break;
	case 'd': mult = 86400 * 1000; break;
	default: return -1;
	}
	if (*e != '\0' && e[1] != '\0') {
		return -1;
	}
	/* At most 100 years: timers add durations to the clock, and no
	 * setting means more (max_event_age is days, retries minutes). */
	if (n > DURATION_MAX_MS / mult) {
		return -1;
	}
	*ms = (int64_t)(n * mult);
	return 0;
}

int value_size(const char *s, uint64_t *bytes)
{
	uint64_t n, mult;
	const char *e;

	if (parse_u64_prefix(s, &n, &e) < 0) {
		return -1;
	}
	switch (*e) {
	case '\0': mult = 1; break;
	case 'K': case 'k': mult = 1024; break;
	case 'M': case 'm': mult = 1024 * 1024; break;
	case 'G': case 'g': mult = 1024ULL * 1024 * 1024; break;
	default: return -1;
	}
	if (*e != '\0' && e[1] != '\0') {
		return -1;
	}
	if (n > UINT64_MAX / mult) {
		return -1;
	}
	*bytes = n * mult;
	return 0;
}

int value_bool(const char *s, int *b)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};
	for (int i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*b = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*b = 0;
			return 0;
		}
	}
	return -1;
}

int value_int(const char *s, long min, long max, long *out)
{
	uint64_t n;
	const char *e;

	if (parse_u64_prefix(s, &n, &e) < 0 || *e != '\0' || n > (uint64_t)max ||
	    (long)n < min) {
		return -1;
	}
	*out = (long)n;
	return 0;
}

int value_numeric_id(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 18) {
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i])) {
			return -1;
		}
	}
	return 0;
}

static void status_set_range(struct status_set *set, int lo, int hi)
{
	for (int st = lo; st <= hi; st++) {
		set->bits[(st - 100) / 64] |= 1ULL << ((st - 100) % 64);
	}
}

int status_set_overlaps(const struct status_set *a, const struct status_set *b)
{
	for (int i = 0; i < 8; i++) {
		if (a->bits[i] & b->bits[i]) {
			return 1;
		}
	}
	return 0;
}

/* One item: "304", "200-399" or "2xx". */
static int status_item(const char *w, struct status_set *set)
{
	long lo, hi;
	const char *dash = strchr(w, '-');
	char a[8], b[8];

	if (strlen(w) == 3 && isdigit((unsigned char)w[0]) && strcasecmp(w + 1, "xx") == 0) {
		lo = (w[0] - '0') * 100;
		hi = lo + 99;
	} else if (dash != NULL) {
		size_t la = (size_t)(dash - w), lb = strlen(dash + 1);
		if (la == 0 || la >= sizeof a || lb == 0 || lb >= sizeof b) {
			return -1;
		}
		memcpy(a, w, la);
		a[la] = '\0';
		memcpy(b, dash + 1, lb + 1);
		if (value_int(a, 100, 599, &lo) < 0 || value_int(b, 100, 599, &hi) < 0) {
			return -1;
		}
	} else if (value_int(w, 100, 599, &lo) == 0) {
		hi = lo;
	} else {
		return -1;
	}
	if (lo < 100 || hi > 599 || lo > hi) {
		return -1;
	}
	status_set_range(set, (int)lo, (int)hi);
	return 0;
}

int value_status_set(const char *s, struct status_set *set)
{
	char **w = words_split(s, 1);
	int result = 0;

	memset(set, 0, sizeof *set);
	if (w == NULL || w[0] == NULL) {
		words_free(w);
		return -1;
	}
	for (size_t i = 0; w[i] != NULL; i++) {
		if (status_item(w[i], set) < 0) {
			result = -1;
			break;
		}
	}
	words_free(w);
	return result;
}

char **words_split(const char *s, int commas)
{
	const char *seps = commas ? " \t," : " \t";
	size_t n = 0, cap = 4;
	char **w = calloc(cap, sizeof *w);

	if (w == NULL) {
		return NULL;
	}
	while (*s) {
		size_t skip = strspn(s, seps), len;
		s += skip;
		len = strcspn(s, seps);
		if (len == 0) {
			break;
		}
		if (n + 2 > cap) {
			char **nw = realloc(w, cap * 2 * sizeof *w);
			if (nw == NULL) {
				words_free(w);
				return NULL;
			}
			w = nw;
			cap *= 2;
		}
		w[n] = strndup(s, len);
		if (w[n] == NULL) {
			words_free(w);
			return NULL;
		}
		w[++n] = NULL;
		s += len;
	}
	return w;
}

size_t words_count(char *const *w)
{
	size_t n = 0;
	while (w != NULL && w[n] != NULL) {
		n++;
	}
	return n;
}

void words_free(char **w)
{
	if (w == NULL) {
		return;
	}
	for (size_t i = 0; w[i] != NULL; i++) {
		free(w[i]);
	}
	free(w);
}

int words_has(char *const *w, const char *s)
{
	for (size_t i = 0; w != NULL && w[i] != NULL; i++) {
		if (strcmp(w[i], s) == 0) {
			return 1;
		}
	}
	return 0;
}

/* Levenshtein distance for short words (keys), capped at 32 characters. */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), prev[33], cur[33];

	if (la > 32 || lb > 32) {
		return 99;
	}
	for (size_t j = 0; j <= lb; j++) {
		prev[j] = j;
	}
	for (size_t i = 1; i <= la; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
		memcpy(prev, cur, (lb + 1) * sizeof *cur);
	}
	return prev[lb];
}

const char *value_suggest(const char *word, const char *const *candidates)
{
	const char *best = NULL;
	size_t best_d = 3;

	for (size_t i = 0; candidates[i] != NULL; i++) {
		size_t d = edit_distance(word, candidates[i]);
		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best;
}
