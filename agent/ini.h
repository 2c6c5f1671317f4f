/*
 * ini — a small INI reader with no line-length limit and line numbers.
 *
 * Syntax: "[section]" or "[section argument]", "key = value", comments on
 * lines starting with '#' or ';' (after optional blanks), and the rest of a
 * line after " ;" (a blank, then a semicolon) as an inline comment.  Keys
 * and values are trimmed.  A UTF-8 byte-order mark at the very start of the
 * input is skipped (line 1 stays line 1).  Debian's libinih is not used
 * because its build cuts lines at 200 bytes (our regexes are longer) and
 * reports no line numbers.
 */
#ifndef PINTAIL_INI_H
#define PINTAIL_INI_H

#include <stdio.h>

#include "diag.h"

struct ini_item {
	const char *file;        /* the file's name as given */
	int line;                /* 1-based line of this item */
	const char *section;     /* "site" for "[site]"; NULL before any section */
	const char *section_arg; /* "checkout" for "[event checkout]"; else NULL */
	int section_line;        /* line of the section header */
	const char *key;         /* NULL when the item is a section header */
	const char *value;       /* trimmed value, "" when empty */
};

/*
 * Called for each section header (key == NULL) and each key.  The strings
 * are valid only during the call.  Return 0 to go on, -1 to stop reading.
 */
typedef int (*ini_handler)(void *ctx, const struct ini_item *item);

/*
 * Reads PATH and calls H for each item.  Syntax errors are reported to D as
 * "FILE:LINE: message" and skipped.  Returns 0 when the file was read to its
 * end, -1 when it could not be opened or read (reported to D too) or H
 * stopped.
 */
int ini_parse_file(const char *path, ini_handler h, void *ctx, struct diag *d);

/*
 * Opens PATH for reading, as fopen(PATH, "re") does, when it is a regular
 * file: a FIFO would block the reader for ever, a device never end.  NULL
 * with errno set otherwise; ini_open_error() words it.
 */
FILE *ini_fopen(const char *path);

/* strerror(ERR), or for what ini_fopen() refused, what the file is instead. */
const char *ini_open_error(int err);

/* Like ini_parse_file, on the open stream F; NAME stands for the file. */
int ini_parse_stream(const char *name, FILE *f, ini_handler h, void *ctx, struct diag *d);

/* Like ini_parse_file, on TEXT; NAME stands for the file in messages. */
int ini_parse_string(const char *name, const char *text, ini_handler h, void *ctx,
		     struct diag *d);

#endif
