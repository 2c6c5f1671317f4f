/*
 * diag — configuration problems, reported as "FILE:LINE: message".
 *
 * Every problem found while reading configuration goes through a struct diag,
 * so that all of them are reported in one pass and the caller can decide from
 * the error count whether the new configuration may be used.  Warnings never
 * change an outcome.
 */
#ifndef PINTAIL_DIAG_H
#define PINTAIL_DIAG_H

#include <stdio.h>

struct diag {
	FILE *out;    /* where lines go; NULL: stderr */
	int errors;   /* problems that refuse the configuration */
	int warnings; /* problems worth a look */
	/* When set, a check made for this user, not the caller: its errors
	 * are printed as warnings naming it (still counted in errors). */
	const char *for_user;
};

/* An error at FILE:LINE (LINE 0: the file as a whole); see for_user. */
void diag_error(struct diag *d, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A warning at FILE:LINE; printed as "FILE:LINE: warning: message". */
void diag_warn(struct diag *d, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
