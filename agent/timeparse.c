#include "timeparse.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

int timefmt_parse(const char *spec, struct timefmt *out, char *err, size_t errlen)
{
	int has[128] = {0};

	memset(out, 0, sizeof *out);
	if (strcasecmp(spec, "iso8601") == 0) {
		out->kind = TIME_ISO8601;
		return 0;
	}
	if (strcasecmp(spec, "epoch") == 0) {
		out->kind = TIME_EPOCH;
		return 0;
	}
	if (strcasecmp(spec, "epoch_ms") == 0) {
		out->kind = TIME_EPOCH_MS;
		return 0;
	}
	if (strlen(spec) >= sizeof out->fmt) {
		snprintf(err, errlen, "time_format is too long");
		return -1;
	}
	for (const char *p = spec; *p; p++) {
		if (*p == '%') {
			p++;
			if (*p == '\0' || strchr("demybhYHMSTz%", *p) == NULL) {
				snprintf(err, errlen,
					 "time_format: unsupported conversion \"%%%c\" (use %%d %%e %%m %%b %%Y %%y %%H %%M %%S %%T %%z, or iso8601, epoch, epoch_ms)",
					 *p ? *p : ' ');
				return -1;
			}
			has[(unsigned char)*p] = 1;
		}
	}
	{
		/* A time without one of these parts would be a wrong time on
		 * every line (1970, the 1st), not a bad one. */
		const char *lacks = !has['Y'] && !has['y']		     ? "year (%Y or %y)"
				    : !has['m'] && !has['b'] && !has['h'] ? "month (%m or %b)"
				    : !has['d'] && !has['e']		     ? "day (%d or %e)"
				    : !has['H'] && !has['T']		     ? "hour (%H or %T)"
				    : !has['M'] && !has['T']		     ? "minutes (%M or %T)"
									     : NULL;
		if (lacks != NULL) {
			snprintf(err, errlen,
				 "time_format has no %s: write the whole date and time, such as "
				 "%%d/%%b/%%Y:%%H:%%M:%%S %%z, or iso8601, epoch, epoch_ms",
				 lacks);
			return -1;
		}
	}
	out->kind = TIME_STRF;
	out->zone = has['z'];
	memcpy(out->fmt, spec, strlen(spec) + 1);
	return 0;
}

int64_t time_from_civil(int y, int mon, int d, int h, int mi, int sec)
{
	/* Days from 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
	int64_t yy = y - (mon <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = era * 146097 + doe - 719468;
	return days * 86400 + h * 3600 + mi * 60 + sec;
}

/* Reads between MIN and MAX digits at *P. */
static int digits(const char **p, const char *end, int min, int max, int *out)
{
	int v = 0, n = 0;
	while (*p < end && n < max && **p >= '0' && **p <= '9') {
		v = v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	if (n < min) {
		return -1;
	}
	*out = v;
	return 0;
}

/* "+0530", "-07:00", "Z": seconds east of UTC. */
static int zone(const char **p, const char *end, int *off)
{
	int sign, hh, mm = 0;

	if (*p < end && (**p == 'Z' || **p == 'z')) {
		(*p)++;
		*off = 0;
		return 0;
	}
	if (*p >= end || (**p != '+' && **p != '-')) {
		return -1;
	}
	sign = **p == '-' ? -1 : 1;
	(*p)++;
	if (digits(p, end, 2, 2, &hh) < 0) {
		return -1;
	}
	if (*p < end && **p == ':') {
		(*p)++;
	}
	if (digits(p, end, 2, 2, &mm) < 0 || hh > 23 || mm > 59) {
		return -1;
	}
	*off = sign * (hh * 3600 + mm * 60);
	return 0;
}

static int month_abbr(const char **p, const char *end, int *mon)
{
	static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	if (end - *p < 3) {
		return -1;
	}
	for (int i = 0; i < 12; i++) {
		if (strncasecmp(*p, names + 3 * i, 3) == 0) {
			*mon = i + 1;
			*p += 3;
			return 0;
		}
	}
	return -1;
}

struct tm_parts {
	int y, mon, d, h, mi, s, off;
};

static int strf_conv(char c, const char **p, const char *end, struct tm_parts *t)
{
	switch (c) {
	case 'd': return digits(p, end, 1, 2, &t->d);
	case 'e':
		while (*p < end && **p == ' ') {
			(*p)++;
		}
		return digits(p, end, 1, 2, &t->d);
	case 'm': return digits(p, end, 1, 2, &t->mon);
	case 'b':
	case 'h': return month_abbr(p, end, &t->mon);
	case 'Y': return digits(p, end, 4, 4, &t->y);
	case 'y':
		if (digits(p, end, 2, 2, &t->y) < 0) {
			return -1;
		}
		t->y += t->y < 69 ? 2000 : 1900;
		return 0;
	case 'H': return digits(p, end, 1, 2, &t->h);
	case 'M': return digits(p, end, 1, 2, &t->mi);
	case 'S': return digits(p, end, 1, 2, &t->s);
	case 'T':
		if (strf_conv('H', p, end, t) < 0 || *p >= end || *(*p)++ != ':' ||
		    strf_conv('M', p, end, t) < 0 || *p >= end || *(*p)++ != ':') {
			return -1;
		}
		return strf_conv('S', p, end, t);
	case 'z': return zone(p, end, &t->off);
	case '%': return (*p < end && *(*p)++ == '%') ? 0 : -1;
	default: return -1;
	}
}

static int days_in_month(int y, int mon)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return days[mon - 1] + (mon == 2 && leap);
}

static int valid_parts(const struct tm_parts *t)
{
	return t->y >= 1970 && t->mon >= 1 && t->mon <= 12 && t->d >= 1 &&
	       t->d <= days_in_month(t->y, t->mon) && t->h <= 23 && t->mi <= 59 && t->s <= 60;
}

static int parse_strf(const char *fmt, const char *s, const char *end, int64_t *epoch)
{
	struct tm_parts t = {.y = 1970, .mon = 1, .d = 1};
	const char *p = s;

	for (const char *f = fmt; *f; f++) {
		if (*f == '%') {
			f++;
			if (strf_conv(*f, &p, end, &t) < 0) {
				return -1;
			}
		} else if (p >= end || *p++ != *f) {
			return -1;
		}
	}
	if (p != end || !valid_parts(&t)) {
		return -1;
	}
	*epoch = time_from_civil(t.y, t.mon, t.d, t.h, t.mi, t.s) - t.off;
	return 0;
}

static int parse_iso8601(const char *s, const char *end, int64_t *epoch)
{
	struct tm_parts t = {0};
	const char *p = s;
	int frac;

	if (digits(&p, end, 4, 4, &t.y) < 0 || p >= end || *p++ != '-' ||
	    digits(&p, end, 2, 2, &t.mon) < 0 || p >= end || *p++ != '-' ||
	    digits(&p, end, 2, 2, &t.d) < 0 || p >= end || (*p != 'T' && *p != 't' && *p != ' ')) {
		return -1;
	}
	p++;
	if (digits(&p, end, 2, 2, &t.h) < 0 || p >= end || *p++ != ':' ||
	    digits(&p, end, 2, 2, &t.mi) < 0 || p >= end || *p++ != ':' ||
	    digits(&p, end, 2, 2, &t.s) < 0) {
		return -1;
	}
	if (p < end && (*p == '.' || *p == ',')) {
		p++;
		if (digits(&p, end, 1, 9, &frac) < 0) {
			return -1;
		}
		while (p < end && *p >= '0' && *p <= '9') {
			p++;
		}
	}
	if (zone(&p, end, &t.off) < 0 || p != end || !valid_parts(&t)) {
		return -1;
	}
	*epoch = time_from_civil(t.y, t.mon, t.d, t.h, t.mi, t.s) - t.off;
	return 0;
}

static int parse_epoch(const char *s, const char *end, int frac_ok, int64_t *out)
{
	int64_t v = 0;
	const char *p = s;

	if (p == end) {
		return -1;
	}
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (v > (INT64_MAX - 9) / 10) {
			return -1;
		}
		v = v * 10 + (*p - '0');
	}
	if (p == s) {
		return -1;
	}
	if (frac_ok && p < end && *p == '.') {
		for (p++; p < end && *p >= '0' && *p <= '9'; p++) {
		}
	}
	if (p != end) {
		return -1;
	}
	*out = v;
	return 0;
}

int time_parse(const struct timefmt *tf, const char *s, size_t n, int64_t *epoch)
{
	const char *end = s + n;
	int64_t v;

	switch (tf->kind) {
	case TIME_STRF: return parse_strf(tf->fmt, s, end, epoch);
	case TIME_ISO8601: return parse_iso8601(s, end, epoch);
	case TIME_EPOCH: return parse_epoch(s, end, 1, epoch);
	case TIME_EPOCH_MS:
		if (parse_epoch(s, end, 0, &v) < 0) {
			return -1;
		}
		*epoch = v / 1000;
		return 0;
	}
	return -1;
}
