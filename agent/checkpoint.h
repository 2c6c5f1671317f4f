/*
 * checkpoint — per site, where each followed file is read up to: its
 * identity (device, inode, and the hash of its first line, so that a reused
 * inode is not mistaken for the old file) and the offset up to which its
 * events are safely in the spool.  Written atomically (statedir_replace).
 *
 * File format, text with a version:
 *   pintail-checkpoint 1
 *   DEV INO OFFSET IDENTITY PATH        (IDENTITY "-" while unknown)
 *
 * PATH runs to the end of the line, its control bytes and backslashes
 * written as \xHH (lower-case hex digits).
 *
 * IDENTITY "-" names a file of which no line was read yet: it had no
 * complete line, or it could not be opened (the agent's user may not read
 * it yet).  OFFSET is where reading begins while PATH holds that inode:
 * 0, or, for a file found at the site's very first start with read_from =
 * end, its size then; a file shorter than OFFSET by then is read from 0.
 * (Agents before OFFSET was kept for such entries read the file from 0 as
 * a new one: the same format, so either reads the other's checkpoints.)
 */
#ifndef PINTAIL_CHECKPOINT_H
#define PINTAIL_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"

#define CHECKPOINT_FILE "checkpoint"

struct ckpt_entry {
	dev_t dev;
	ino_t ino;
	uint64_t offset;
	char identity[65]; /* "" while no line of the file was read (see above) */
	char *path;        /* where the file was last seen */
};

struct ckpt_list {
	struct ckpt_entry *e;
	size_t n;
};

/*
 * Reads DIR/checkpoint.  Returns 1 when it was read, 0 when there is none
 * (a site's very first start), -1 when it is damaged or of another version
 * (logged; the site then starts as if for the first time, which re-reads
 * files from their beginning rather than losing lines), -2 when it cannot
 * be read now (an I/O error, no descriptor left: logged): the site must not
 * start, nor its checkpoint be replaced, until it can be.
 */
int checkpoint_load(const char *dir, struct ckpt_list *out);

/* Appends an entry to the text being built for checkpoint_save(). */
void checkpoint_format(struct buf *b, const struct ckpt_entry *e);

/* Writes the text built with checkpoint_format() as DIR/checkpoint. 0 or -1. */
int checkpoint_save(const char *dir, struct buf *text, const char **step);

void ckpt_list_free(struct ckpt_list *l);

#endif
