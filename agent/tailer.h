/*
 * tailer — following a site's log files with inotify, through appends,
 * rotation (rename-and-create, copytruncate, deletion), globs that gain
 * files, symlinks, and stops of the agent.
 *
 * One struct tailer owns the inotify descriptor and the watches on the logs'
 * folders; each site has a struct tsite with its files.  Lines go to the
 * site's callback together with their source (the file's identity and the
 * line's offset).  A file's identity is the SHA-256 of its first line, so a
 * file is recognised after a rename, and a reused inode is not mistaken
 * for the old file.
 */
#ifndef PINTAIL_TAILER_H
#define PINTAIL_TAILER_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "checkpoint.h"
#include "pipeline.h"

struct loop;
struct tailer;
struct tsite;

/*
 * Called for each complete line (LINE == NULL: a line longer than max_line
 * was skipped).  Returns 0, or -1 when the line could not be handled (the
 * state disk failed): reading stops, and the agent rewinds the site.
 */
typedef int (*tailer_line_fn)(void *ctx, const char *line, size_t n, const struct line_src *src);

struct tsite_conf {
	const char *name;      /* the site, for log lines */
	char *const *patterns; /* paths or globs */
	size_t max_line;
	int64_t rotate_wait_ms;
	int read_from_end;     /* for files found at the site's first start */
	tailer_line_fn fn;
	void *ctx;
	/* Called (with CTX) when a rotated file has been read to its end: it
	 * is closed at the next tsite_saved(), so the caller saves soon, and
	 * the file's disk space and folder are let go.  May be NULL. */
	void (*finished)(void *ctx);
};

/*
 * What to do about a log the service's user may not read: the hint of the
 * agent's message (open_path() in tailer.c) and of `pintail check`'s
 * warning (check.c).
 */
/*
 * 1 when the file NAME is compressed, as logrotate's compress leaves a
 * rotated log (.gz, .bz2, .xz, .zst, .lz4, .Z, .zip): a glob of a site's
 * logs may match it, and it is never read (it would be lines of nothing).
 */
int tailer_compressed_name(const char *name);

#define TAILER_ACCESS_HINT                                                                       \
	"on Debian the service's user pintail is in group adm, which may read /var/log/nginx and " \
	"/var/log/apache2; elsewhere grant it an ACL (README.md, \"Reading the logs on RPM systems\")"

/* What inotify_add_watch()'s ENOSPC means. */
#define TAILER_WATCH_LIMIT_HINT                                                                   \
	"; this is not the disk: the limit on inotify watches (sysctl fs.inotify.max_user_watches) " \
	"is reached; raise it (README.md, \"Troubleshooting\"); until then these logs are looked at every 5 s"

/* The name of the user this process runs as (else "uid N"), into BUF:
 * whose access to the logs the messages above are about. */
const char *tailer_user(char *buf, size_t len);

struct tailer *tailer_new(struct loop *loop);
void tailer_free(struct tailer *t);

/*
 * Starts following a site: opens its files where the checkpoint CK says
 * (or, at the first start, CK == NULL, at read_from), finds files rotated
 * while the agent was stopped by their identity, and watches the folders.
 * Nothing is read yet: call tsite_read().  NULL when out of memory.
 */
struct tsite *tailer_add_site(struct tailer *t, const struct tsite_conf *conf,
			      const struct ckpt_list *ck);
void tailer_remove_site(struct tailer *t, struct tsite *ts);

/* Reads every file of the site as far as it goes (unless paused). */
void tsite_read(struct tsite *ts);

/*
 * Looks at the site's files again now, as a reload (SIGHUP) asks: new files
 * of its patterns, rotations, pending files that may be opened since, and
 * folders that could not be watched.  A permission granted where no event
 * tells the agent (a symlink's target's folder it could not enter) is so
 * taken up at once.  What still cannot be opened is logged again, once.
 */
void tsite_rescan(struct tsite *ts);

/* Pauses (1) or resumes (0) reading: backpressure or a failing disk. */
void tsite_pause(struct tsite *ts, int paused);

/* Appends the site's checkpoint entries (resumable offsets) to TEXT. */
void tsite_checkpoint(struct tsite *ts, struct buf *text);

/* The checkpoint was saved: offsets up to here are durable; finished rotated files close. */
void tsite_saved(struct tsite *ts);

/* Goes back to the offsets of the last saved checkpoint (after a disk error). */
void tsite_rewind(struct tsite *ts);

/*
 * Notes the size of each open file now (at a start, after a rewind): the
 * lines read again from the checkpoints lie below.  tsite_recovered() then
 * tells when they have all been handed out again.  (Files opened later,
 * or started over after a truncation, have nothing to read again.)
 */
void tsite_mark_recovery(struct tsite *ts);
int tsite_recovered(const struct tsite *ts);

/* Losses counted (each logged): files that vanished before they could be
 * read, lines of a file truncated in place that no copy of it had. */
uint64_t tsite_lost(const struct tsite *ts);

/*
 * For status: calls FN for each file with its path, inode, offset and size;
 * ROTATED 1 for a file no longer at PATH (renamed or deleted), followed to
 * its end; and ERROR: NULL for a file being followed, or why a file of the
 * site cannot be opened yet (it is read from OFFSET once it can), or, for
 * a followed file whose last read failed, TAILER_READ_FAILED and why.
 */
#define TAILER_READ_FAILED "read failed: "
void tsite_each_file(struct tsite *ts,
		     void (*fn)(void *ctx, const char *path, uint64_t ino, uint64_t offset, uint64_t size,
				int rotated, const char *error),
		     void *ctx);

#endif
