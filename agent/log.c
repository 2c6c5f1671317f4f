#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static enum log_level max_level = LOG_INFO;

void log_set_level(enum log_level level) { max_level = level; }

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
	/* One write per line, so lines from a log never interleave. */
	if (getenv("JOURNAL_STREAM") != NULL) {
		fprintf(stderr, "<%d>%s\n", prio[level], line);
	} else {
		fprintf(stderr, "pintail: %s: %s\n", word[level], line);
	}
	fflush(stderr);
}
