/*
 * event — writing one Pinterest event as JSON, in exactly the shape of
 * SPEC §4: no key outside Pinterest's schema, none empty or null.
 *
 * A small writer for this one fixed shape rather than a cJSON tree: building
 * a tree costs an allocation per key, on the path every event takes (see
 * bench/ for the measurement).  The output is checked against Pinterest's
 * schema in the tests.
 */
#ifndef PINTAIL_EVENT_H
#define PINTAIL_EVENT_H

#include <stdint.h>

#include "buf.h"
#include "parser.h"
#include "rules.h"

struct site;

struct event_in {
	const struct site *site;
	const struct rule *rule;
	const struct hit *hit;
	struct slice client;   /* the client's address */
	struct slice click_id; /* the epik, or absent */
	const char *event_id;
	int event_id_hex; /* 1: EVENT_ID is EVENT_ID_LEN lower-case hex digits (derived) */
	int64_t time;
	const char *time_dec; /* TIME in decimal (time_dec_len bytes, no NUL), or NULL */
	size_t time_dec_len;
	int opt_out;
};

/*
 * Appends the event's JSON object to OUT.  Values that do not fit their
 * field (value, currency, num_items) are left out and counted in *DROPPED.
 * S holds decoded values.  Returns 0, or -1 when OUT's cap was reached.
 */
int event_write(struct buf *out, const struct event_in *in, struct scratch *s, unsigned *dropped);

/*
 * Appends event_source_url: the site's URL (or scheme + the hit's host when
 * it is one of the site's hosts) + the request URI without the strip_params
 * and hashed-source parameters.
 */
int event_source_url(struct buf *out, const struct site *site, const struct hit *hit);

#endif
