/*
 * pipeline — one site's way from an access-log line to its events:
 * parse, route by host, filter, match rules, resolve the click id, build
 * the JSON.  Shared by `pintail parse` and `pintail run`.
 *
 * A line that yields no event allocates nothing: the parser's match data,
 * the scratch space and the output buffer are owned here and reused.
 */
#ifndef PINTAIL_PIPELINE_H
#define PINTAIL_PIPELINE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "filter.h"
#include "rules.h"

struct config;
struct site;
struct clickmem;

struct pipeline_stats {
	uint64_t lines;       /* lines seen, too long ones included */
	uint64_t parsed;      /* lines the parser understood */
	uint64_t unparsable;  /* lines it did not (or that hit a regex limit) */
	uint64_t too_long;    /* lines over max_line, skipped whole */
	uint64_t filtered[FILTER_REASONS];
	uint64_t unrouted;    /* host of no site (shared files) */
	uint64_t other_site;  /* host of another site sharing the file */
	uint64_t no_event;    /* passed the filter, matched no rule */
	uint64_t too_old;     /* events older than max_event_age */
	uint64_t future;      /* events more than 5 minutes ahead */
	uint64_t bad_time;    /* a time that could not be read */
	uint64_t dropped_fields; /* values that did not fit their field */
	uint64_t too_large;   /* events too large to write */
	uint64_t events[EV_COUNT];
};

/* Where a line comes from, for its derived event_id. */
struct line_src {
	const char *identity; /* hex SHA-256 of the input's first line */
	uint64_t offset;      /* the line's byte offset */
	int no_backslash;     /* the reader found no '\\' in the line (0: not known) */
};

/* One event the pipeline produced. */
struct event_out {
	enum event_type type;
	const char *event_id;
	int64_t time;
	const char *json;     /* the object, no newline */
	size_t len;
	const char *reject;   /* NULL, or why it must not be sent ("too old") */
	const struct line_src *src;
};

/* Called for each event; a non-zero return stops the line's other events. */
typedef int (*pipeline_emit_fn)(void *ctx, const struct event_out *ev);

struct pipeline;

/*
 * A pipeline for SITE of CFG.  CM is the click-id memory to use (not
 * owned); NULL gives the pipeline a fresh one of its own.  NULL when out
 * of memory.
 */
struct pipeline *pipeline_new(const struct config *cfg, const struct site *site,
			      struct clickmem *cm);
void pipeline_free(struct pipeline *pl);

/*
 * Runs one LINE (N bytes, without its newline) from SRC.  NOW (Unix
 * seconds) is the clock max_event_age is measured against.  Calls EMIT for
 * each event.  Returns the number of events, or -1 when EMIT stopped.
 */
int pipeline_line(struct pipeline *pl, const char *line, size_t n, const struct line_src *src,
		  int64_t now, pipeline_emit_fn emit, void *ctx);

/* Counts a line longer than max_line that the reader skipped. */
void pipeline_too_long(struct pipeline *pl);

const struct pipeline_stats *pipeline_stats(const struct pipeline *pl);

/* TO, a reloaded site's new pipeline, counts on from FROM's figures: the
 * counters are since the agent started, not since the last reload. */
void pipeline_carry_stats(struct pipeline *to, const struct pipeline *from);

/* Prints the stats as the summary `parse` ends with. */
void pipeline_stats_print(const struct pipeline_stats *st, FILE *out);

#endif
