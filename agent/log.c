#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static enum log_level max_level = LOG_INFO;

void log_set_level(enum log_level level) { max_level = level; }

void log_sanitize(char *s, size_t size)
{
	/* Rewritten back to front into the same buffer, so each byte is
	 * read before an escape can overwrite it: first the length it
	 * takes, then the copy. */
	size_t n = 0, out = 0;

	for (; s[n] != '\0'; n++) {
		unsigned char c = (unsigned char)s[n];
		out += c < 0x20 || c == 0x7f ? 4 : 1;
	}
	if (out == n) {
		return;
	}
	/* Whole characters only: what does not fit is dropped from the end. */
	while (out + 1 > size) {
		unsigned char c = (unsigned char)s[--n];
		out -= c < 0x20 || c == 0x7f ? 4 : 1;
	}
	s[out] = '\0';
	while (n > 0) {
		unsigned char c = (unsigned char)s[--n];
		if (c < 0x20 || c == 0x7f) {
			static const char hex[] = "0123456789abcdef";
			out -= 4;
			s[out] = '\\';
			s[out + 1] = 'x';
			s[out + 2] = hex[c >> 4];
			s[out + 3] = hex[c & 15];
		} else {
			s[--out] = (char)c;
		}
	}
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	/* syslog priorities: err, warning, info, debug. */
	static const int prio[] = {3, 4, 6, 7};
	static const char *const word[] = {"error", "warning", "info", "debug"};
	char line[2048];
	va_list ap;

	if (level > max_level) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	log_sanitize(line, sizeof line);
	/* One write per line, so lines from a log never interleave. */
	if (getenv("JOURNAL_STREAM") != NULL) {
		fprintf(stderr, "<%d>%s\n", prio[level], line);
	} else {
		fprintf(stderr, "pintail: %s: %s\n", word[level], line);
	}
	fflush(stderr);
}
