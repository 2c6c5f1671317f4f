/*
 * timeparse — the time of a hit, from the formats access logs use.
 */
#ifndef PINTAIL_TIMEPARSE_H
#define PINTAIL_TIMEPARSE_H

#include <stddef.h>
#include <stdint.h>

enum time_kind { TIME_STRF, TIME_ISO8601, TIME_EPOCH, TIME_EPOCH_MS };

struct timefmt {
	enum time_kind kind;
	char fmt[64]; /* for TIME_STRF */
	int zone;     /* TIME_STRF: fmt has %z (else times are read as UTC) */
};

/*
 * Reads a time_format value: "iso8601", "epoch" (seconds, fractions allowed,
 * as nginx's $msec), "epoch_ms", or a strftime-style format built from
 * %d %e %m %b %h %Y %y %H %M %S %T %z %% and literal characters.  Returns 0,
 * or -1 with a reason in ERR for an unsupported conversion.
 */
int timefmt_parse(const char *spec, struct timefmt *out, char *err, size_t errlen);

/* Parses S (N bytes) into Unix seconds.  0, or -1 when it does not fit. */
int time_parse(const struct timefmt *tf, const char *s, size_t n, int64_t *epoch);

/* Unix seconds for a UTC civil date and time (no range checks). */
int64_t time_from_civil(int y, int mon, int d, int h, int mi, int sec);

#endif
