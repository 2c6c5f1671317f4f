#include "diag.h"

#include <stdarg.h>

#include "log.h"

static void diag_vprint(struct diag *d, const char *file, int line, const char *kind,
			const char *fmt, va_list ap)
{
	char msg[1024];
	FILE *out = d->out ? d->out : stderr;

	vsnprintf(msg, sizeof msg, fmt, ap);
	/* A log's name comes from whoever may write in its folder. */
	log_sanitize(msg, sizeof msg);
	if (line > 0) {
		fprintf(out, "%s:%d: %s%s\n", file, line, kind, msg);
	} else {
		fprintf(out, "%s: %s%s\n", file, kind, msg);
	}
	fflush(out);
}

void diag_error(struct diag *d, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (d->for_user != NULL) {
		char kind[128];
		snprintf(kind, sizeof kind, "warning: user %s: ", d->for_user);
		diag_vprint(d, file, line, kind, fmt, ap);
	} else {
		diag_vprint(d, file, line, "", fmt, ap);
	}
	va_end(ap);
	d->errors++;
}

void diag_warn(struct diag *d, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	diag_vprint(d, file, line, "warning: ", fmt, ap);
	va_end(ap);
	d->warnings++;
}
