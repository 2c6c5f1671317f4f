/*
 * rules — "[event NAME]" sections: which hits become which events, and
 * where each event's custom and user data come from.
 */
#ifndef PINTAIL_RULES_H
#define PINTAIL_RULES_H

#include <stddef.h>

#include "parser.h"
#include "rx.h"
#include "values.h"

/* Pinterest's event names (API 5.23, without the app-only app_install). */
enum event_type {
	EV_ADD_PAYMENT_INFO,
	EV_ADD_TO_CART,
	EV_ADD_TO_WISHLIST,
	EV_CHECKOUT,
	EV_CUSTOM,
	EV_INITIATE_CHECKOUT,
	EV_LEAD,
	EV_PAGE_VISIT,
	EV_SEARCH,
	EV_SIGNUP,
	EV_SUBSCRIBE,
	EV_VIEW_CATEGORY,
	EV_VIEW_CONTENT,
	EV_WATCH_VIDEO,
	EV_COUNT
};

const char *event_type_name(enum event_type t);
int event_type_lookup(const char *name); /* -1 when unknown */

/* Fields a rule can fill, in the order they are written. */
enum rule_field {
	RF_VALUE,
	RF_CURRENCY,
	RF_ORDER_ID,
	RF_CONTENT_IDS,
	RF_CONTENT_NAME,
	RF_CONTENT_CATEGORY,
	RF_NUM_ITEMS,
	RF_SEARCH_STRING,
	RF_EM,
	RF_PH,
	RF_EXTERNAL_ID,
	RF_COUNT
};

const char *rule_field_name(enum rule_field f);

enum source_kind { SRC_LITERAL, SRC_QUERY, SRC_GROUP };

struct source {
	enum source_kind kind;
	char *text;  /* the literal, the parameter or the group name */
	size_t len;
	int group;   /* SRC_GROUP: the group's number in the rule's path regex */
};

/* "query:a | query:b | literal": alternatives, the first non-empty wins. */
struct field_source {
	struct source *alt;
	size_t n;
};

/*
 * Parses a field source value.  Returns 0, or -1 with a reason in ERR.
 * USER fields (em, ph, external_id) take only query: sources and literals.
 */
int field_source_parse(const char *value, int user, struct field_source *out, char *err,
		       size_t errlen);
void field_source_free(struct field_source *fs);

/* The field called NAME ("value", "em"), or -1. */
int rule_field_lookup(const char *name);

/*
 * What a configuration of field F's sources FS most likely got wrong:
 * -1 with the reason in ERR when it cannot be meant (a literal that does
 * not fit F, which would never be sent; "querry:x", a misspelt source),
 * 1 with a warning in ERR (a literal for a user field: every visitor the
 * same), else 0.
 */
int field_source_check(enum rule_field f, const struct field_source *fs, char *err, size_t errlen);

struct rx;

struct rule {
	char *name;                        /* the NAME of [event NAME] */
	char *file;                        /* the site file */
	int line;                          /* its section's line */
	int type;                          /* enum event_type, -1 until set */
	struct regex_opt path;             /* PCRE2 on the decoded path; unset: any */
	char **methods;                    /* upper-case; default GET */
	struct status_set status;          /* default: [filter] status */
	struct field_source field[RF_COUNT];
	int line_of[CONF_MAX_KEYS];        /* where each key was set */
};

void rule_free(struct rule *r);

/*
 * 1 when R matches HIT (method, status, path); -1 when its path regex hit a
 * limit.  On a match, R's path groups stay readable until the next match of
 * the same rule.
 */
int rule_match(struct rule *r, const struct hit *hit);

/*
 * The value of field F of R for HIT: the first non-empty alternative,
 * decoded into S.  Returns 1 and sets OUT, or 0 when there is none.
 */
int rule_field_value(const struct rule *r, enum rule_field f, const struct hit *hit,
		     struct scratch *s, struct slice *out);

/*
 * The value of the first occurrence of query parameter NAME (NLEN bytes) in
 * QUERY, percent-decoded ('+' as space) into S.  1 when found (possibly
 * empty), 0 when absent.
 */
int query_param(const struct slice *query, const char *name, size_t nlen, struct scratch *s,
		struct slice *out);

#endif
