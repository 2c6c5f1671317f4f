/*
 * conftab — the one table of configuration keys (section, name, type,
 * default, bounds, help), and the setters that parse a value into its place.
 * Used by config.c to read files and by `pintail.conf(5)`-style listings.
 */
#ifndef PINTAIL_CONFTAB_H
#define PINTAIL_CONFTAB_H

#include <stddef.h>

struct diag;

enum vtype {
	V_STR,      /* char *: any text */
	V_PATH,     /* char *: a path, relative to the file's folder */
	V_URL,      /* char *: http:// or https:// with a host */
	V_SECRET,   /* char *: never echoed */
	V_WORDS,    /* char **: blank-separated words */
	V_PATHS,    /* char **: blank-separated paths, relative to the folder */
	V_ID,       /* char *: digits only, at most 18 */
	V_INT,      /* long within [min, max] */
	V_BOOL,     /* int */
	V_DURATION, /* int64_t milliseconds */
	V_SIZE,     /* uint64_t bytes, within [min, max] */
	V_LOGLEVEL, /* int: enum log_level */
	V_READFROM, /* int: enum read_from */
	V_CLIENTIP, /* int: enum client_ip */
	V_FORMAT,   /* int: enum parser_format */
	V_REGEX,    /* struct regex_opt */
	V_CIDRS,    /* struct cidr_list */
	V_STATUS,   /* struct status_set */
	V_EVTYPE,   /* int: enum event_type */
	V_METHODS,  /* char **: upper-cased HTTP methods */
	V_SOURCE,   /* struct field_source */
	V_USOURCE,  /* struct field_source of a hashed user field */
};

/* Which struct a key's value lives in. */
enum vtarget { T_AGENT, T_SITE, T_RULE, T_PARSER };

struct key_def {
	const char *section; /* "agent", "site", "pinterest", "filter", "event", "parser" */
	const char *name;
	enum vtype type;
	enum vtarget target;
	size_t off;          /* offset of the value in its target struct */
	const char *def;     /* default as text; NULL: none (unset or derived) */
	long min, max;       /* bounds for V_INT and V_SIZE; V_DURATION: the least, in ms */
	int required;
	const char *help;    /* one line for listings */
};

extern const struct key_def conf_keys[];
extern const size_t conf_nkeys;

/* The key NAME of SECTION, or NULL. */
const struct key_def *conftab_find(const char *section, const char *name);

/* Index of K in conf_keys, for line_of[] arrays. */
size_t conftab_index(const struct key_def *k);

/* A key of SECTION close to NAME (for "did you mean"), or NULL. */
const char *conftab_suggest(const char *section, const char *name);

/*
 * Where NAME is a key when it is none of SECTION's, in words for a message
 * ("[pinterest]", "[filter] or an [event NAME] section"), or NULL.
 */
const char *conftab_home(const char *section, const char *name, char *out, size_t outlen);

/*
 * Parses VALUE for key K and stores it in TARGET (the struct K's target
 * names), replacing what was there.  DIR resolves relative paths.  An empty
 * value unsets the key.  Problems go to D as FILE:LINE; the value is never
 * echoed.  Returns 0 or -1.
 */
int conftab_set(const struct key_def *k, void *target, const char *value, const char *file,
		int line, const char *dir, struct diag *d);

/* Sets every key of TARGET_KIND that has a default. */
void conftab_defaults(enum vtarget target_kind, void *target);

/* Frees every value of TARGET_KIND held in TARGET. */
void conftab_free_values(enum vtarget target_kind, void *target);

/* Joins DIR and PATH unless PATH is absolute; the caller frees the result. */
char *conftab_path(const char *dir, const char *path);

#endif
