/*
 * parser — turning one access-log line into a hit: the fields nginx or
 * Apache logged, with the request split and the path decoded.
 *
 * A parser definition ("[parser NAME]") is compiled once; parsing a line
 * writes only into a caller-owned struct hit and struct scratch, so that the
 * hot path allocates nothing.  Per-format code lives in parser_regex.c and
 * parser_json.c.
 */
#ifndef PINTAIL_PARSER_H
#define PINTAIL_PARSER_H

#include <stddef.h>
#include <stdint.h>

#include "timeparse.h"
#include "values.h"

/* The fields pintail uses, by nginx's variable names. */
enum field_id {
	FIELD_REMOTE_ADDR,
	FIELD_TIME_LOCAL,
	FIELD_TIME_ISO8601,
	FIELD_MSEC,
	FIELD_REQUEST,
	FIELD_REQUEST_METHOD,
	FIELD_REQUEST_URI,
	FIELD_STATUS,
	FIELD_HTTP_USER_AGENT,
	FIELD_HTTP_REFERER,
	FIELD_HOST,
	FIELD_REQUEST_ID,
	FIELD_COOKIE_EPIK,
	FIELD_HTTP_X_FORWARDED_FOR,
	FIELD_HTTP_SEC_GPC,
	FIELD_COUNT
};

/* nginx's name of a field, e.g. "http_user_agent". */
const char *field_name(enum field_id f);

/* The field called NAME, or -1 when pintail does not use it. */
int field_lookup(const char *name);

enum parser_format { PARSER_REGEX, PARSER_JSON };

struct rx;

struct parser_def {
	char *name;                /* the NAME of [parser NAME] */
	char *file;                /* where it was defined, for messages */
	int line;                  /* its section's line */
	enum parser_format format; /* regex | json */
	char *regex;               /* format = regex: the pattern */
	char **fields;             /* format = json: the keys it expects */
	char *time_format;         /* as written; NULL: by field */
	int line_of[CONF_MAX_KEYS]; /* where each key was set */

	/* Compiled by parser_compile(): */
	struct rx *rx;             /* the compiled regex */
	int group[FIELD_COUNT];    /* regex group of each field, or -1 */
	uint32_t have;             /* bit per field the parser captures */
	enum field_id time_field;  /* which time field is used */
	struct timefmt tf;         /* how it is read */
};

/* A piece of a line or of the scratch buffer; p == NULL means absent. */
struct slice {
	const char *p;
	size_t n;
};

/* Where decoded values are written; reset for every line. */
struct scratch {
	char *p;
	size_t cap;
	size_t used;
};

/* One parsed line. */
struct hit {
	struct slice f[FIELD_COUNT]; /* field values; log escapes decoded */
	struct slice method;         /* from request or request_method */
	struct slice uri;            /* origin-form: path and query, as logged */
	struct slice path;           /* percent-decoded path, without the query */
	struct slice query;          /* the raw query, without '?'; may be absent */
	int status;                  /* 100..599 */
	const struct parser_def *by; /* the parser that filled it last */
};

struct diag;

/*
 * Checks DEF's keys, compiles its regex and reads its time format.  Errors
 * go to D with the definition's file and lines.  Returns 0 or -1.
 */
int parser_compile(struct parser_def *def, struct diag *d);

void parser_def_free(struct parser_def *def);

/*
 * Outcome of parser_parse().  PARSE_NO_TARGET: the line is of the format,
 * with an address and a status, but its request names no path: nginx's
 * "-" or "" for a connection closed before a request (400, 408), a TLS
 * handshake on the HTTP port, "OPTIONS *", a CONNECT's "host:port".  Such
 * a hit is no page; the status is set.
 */
enum parse_result { PARSE_OK, PARSE_NOMATCH, PARSE_LIMIT, PARSE_NO_TARGET };

/* parser_parse()'s FLAGS: what the reader already knows of the line. */
enum {
	PARSE_NO_BACKSLASH = 1 /* it holds no '\\': no escape to look for */
};

/*
 * Parses LINE (N bytes, no newline) with DEF into HIT, decoding into S
 * (which must hold at least 2 * N + 64 bytes; it is reset here).  Values in
 * HIT point into LINE or S and are valid until the next call.  The time is
 * not read here (see parser_time()), as most lines never need it.  FLAGS
 * is 0 or PARSE_NO_BACKSLASH.
 */
enum parse_result parser_parse(const struct parser_def *def, const char *line, size_t n,
			       unsigned flags, struct scratch *s, struct hit *hit);

/* The hit's time in Unix seconds.  0, or -1 when it cannot be read. */
int parser_time(const struct parser_def *def, const struct hit *hit, int64_t *epoch);

/* Per format (parser_regex.c, parser_json.c): fill HIT's fields. */
enum parse_result parser_regex_fields(const struct parser_def *def, const char *line, size_t n,
				      unsigned flags, struct scratch *s, struct hit *hit);
enum parse_result parser_json_fields(const struct parser_def *def, const char *line, size_t n,
				     struct scratch *s, struct hit *hit);

/* Reserves N bytes of S; NULL when it is full (a bug: callers size it). */
char *scratch_take(struct scratch *s, size_t n);

#endif
