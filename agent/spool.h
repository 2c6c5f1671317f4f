/*
 * spool — a site's durable queue of events between the log and Pinterest.
 *
 * Append-only segment files (spool/NNNNNNNNNNNNNNNN.seg, each starting with
 * a versioned header) of records: a 16-byte header (magic, length, CRC-32
 * of the payload) and a payload holding the event's JSON and its source
 * (the input's identity and the line's offset).  Records become visible to
 * the shipper only once committed (fsync'd); the acknowledged position
 * (spool/ack) moves only after Pinterest answered, and segments wholly
 * before it are deleted.  At open, every unacknowledged record is checked:
 * a torn or corrupt record is counted, logged and skipped, never fatal.
 */
#ifndef PINTAIL_SPOOL_H
#define PINTAIL_SPOOL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct spool;

struct spool_pos {
	uint64_t seg; /* segment number */
	uint64_t off; /* byte offset in it */
};

/* One event to append. */
struct spool_rec {
	const char *identity; /* 64 hex digits: the source input */
	uint64_t offset;      /* the source line's offset */
	int64_t time;         /* event_time */
	int type;             /* enum event_type */
	const char *event_id;
	const char *json;
	size_t len;
};

/* One event of a batch read back. */
struct spool_item {
	char event_id[128];
	int type;
	int64_t time;
	size_t json_off; /* in the batch's raw buffer */
	size_t json_len;
};

/* Events read from the spool for one request. */
struct spool_batch {
	struct spool_item *items;
	size_t n, cap;
	struct buf raw;          /* the events' JSON, one after another */
	struct spool_pos start;  /* where the batch begins */
	struct spool_pos end;    /* just past its last record */
};

/*
 * Opens (creating) the spool in DIR/spool.  Counts the pending records and
 * the corrupt ones (logged).  NULL on failure (logged).
 */
struct spool *spool_open(const char *dir);
void spool_close(struct spool *sp);

/*
 * Appends a record; not durable until spool_commit().  0, or -1 with errno
 * (ENOSPC, EIO...) after which the caller must spool_rollback().
 */
int spool_append(struct spool *sp, const struct spool_rec *r);

/* Makes what was appended durable and visible to readers.  0 or -1 (errno). */
int spool_commit(struct spool *sp);

/* Drops what was appended since the last commit (after a write error). */
void spool_rollback(struct spool *sp);

/* Bytes appended since the last commit. */
uint64_t spool_uncommitted_bytes(const struct spool *sp);

/*
 * 1 when the event EVENT_ID of TYPE is in the spool already and its line is
 * being read again: after a crash between the spool's fsync and the
 * checkpoint's (the files resume from their checkpoints), or after a
 * rollback (they go back to their saved checkpoints).  Only the events of
 * records appended after the position spool_checkpointed() last noted are
 * known so: no other line is ever taken for a spooled one.
 */
int spool_seen(const struct spool *sp, const char *event_id, int type);

/* 1 while some events are known so (spool_seen() can say 1). */
int spool_recovering(const struct spool *sp);

/*
 * Notes that a checkpoint covering everything committed was saved: the
 * events a later restart may meet again are those appended after this.
 * While events are known to be met again (spool_seen()), this waits for
 * CAUGHT_UP: the lines read again all handed out (tsite_recovered()); they
 * are then forgotten.
 */
void spool_checkpointed(struct spool *sp, int caught_up);

/*
 * Reads committed records after the last batch read (or from POS when
 * RESTART is set) into B: at most MAX events and about MAX_BYTES of JSON.
 * Returns the number of events (0: none committed yet), -1 on a read error.
 */
int spool_read_batch(struct spool *sp, size_t max, size_t max_bytes, struct spool_batch *b);

/* Appends {"data":[...]} for items [FROM, TO) of B to BODY. */
void spool_batch_body(const struct spool_batch *b, size_t from, size_t to, struct buf *body);

void spool_batch_free(struct spool_batch *b);

/*
 * Pinterest answered for everything before END: persists the position,
 * deletes segments wholly before it.  0, or -1 (errno) when the position
 * could not be saved (the batch may then be sent again after a restart).
 */
int spool_ack(struct spool *sp, struct spool_pos end, size_t events);

/* Unacknowledged bytes and events; records found corrupt at open. */
uint64_t spool_bytes(const struct spool *sp);
uint64_t spool_events(const struct spool *sp);
uint64_t spool_corrupt(const struct spool *sp);

/* 1 when committed records wait to be read into a batch. */
int spool_readable(const struct spool *sp);

/* After a failed append or commit: what failed ("write", "fsync", ...),
 * and the spool's folder, for the message. */
const char *spool_failed_step(const struct spool *sp);
const char *spool_dir(const struct spool *sp);

#endif
