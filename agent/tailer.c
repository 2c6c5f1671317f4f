#include "tailer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash.h"
#include "linebuf.h"
#include "log.h"
#include "loop.h"

#define READ_CHUNK (64 * 1024)
#define DIR_EVENTS (IN_MODIFY | IN_CREATE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE | \
		    IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF)

enum tf_state {
	TF_ACTIVE,  /* at its path */
	TF_ROTATED, /* renamed or deleted: followed until idle for rotate_wait */
};

struct tfile {
	struct tsite *ts;
	struct tfile *next;
	char *path;            /* where it was found */
	char *target;          /* a symlink's target's file name, or NULL */
	int fd;
	dev_t dev;
	ino_t ino;
	char identity[65];     /* "" until its first line is complete */
	struct linebuf lb;
	uint64_t saved;        /* offset in the last saved checkpoint */
	enum tf_state state;
	int64_t idle_since;    /* ROTATED: when it last grew or was rotated */
	int done;              /* ROTATED and read to the end: close at the next save */
	int seen;              /* marks during a reconcile */
	/* What the last look that found the file unchanged (tfile_check())
	 * vouches for: the bytes read up to VERIFIED are the file's, and it
	 * held KNOWN_SIZE bytes then. */
	uint64_t verified;
	uint64_t known_size;
	int truncated;         /* truncated in place, no copy to follow (2: another entry
				* reads it): buffered lines, then from 0 (tfile_restart()) */
	int reset_unsaved;     /* started over at 0 since the last save */
	uint64_t recover_to;   /* its size at tsite_mark_recovery(): lines below are read again */
	int out_of_reach;      /* its path could not be looked at (still_there()), said once */
	int read_err;          /* errno of the last read, which failed (said once); 0: none */
};

/*
 * A file of the patterns that is there (stat() needs no read permission)
 * but cannot be opened: the agent's user may not read it yet, say before
 * the ACL the README asks for is set.  It is opened once it can be, at
 * OFFSET: its size at the site's very first start when read_from = end
 * applied to it, its checkpoint's offset when it had one, else 0.  It is
 * known by its inode, so that a successor at its path is told from it, and
 * it is saved in the checkpoint (tsite_checkpoint()), so that a restart
 * meanwhile keeps OFFSET.  Why it cannot be opened is logged once.
 */
struct tpending {
	struct tpending *next;
	char *path;            /* where it was last seen */
	dev_t dev;
	ino_t ino;
	uint64_t offset;       /* where reading begins once it can be opened */
	uint64_t size;         /* its size at the last look */
	char identity[65];     /* its checkpoint's, or "" (nothing of it was read) */
	int warned;            /* why it cannot be opened was logged */
	int err;               /* why it could not be opened at the last try; 0: not tried */
	int recover;           /* its lines are read again once it opens (tsite_mark_recovery()) */
};

struct tsite {
	struct tailer *t;
	struct tsite *next;
	struct tsite_conf conf;
	char *name;
	char **patterns;
	struct tfile *files;
	struct tpending *pending; /* files that cannot be opened yet */
	struct loop_timer *rotate_timer;
	int paused;
	int failed;            /* the callback failed: stop until rewound */
	uint64_t rewinds;      /* counts tsite_rewind() calls */
	uint64_t lost;
	int64_t pending_tried_ms; /* when pending_retry() last ran */
	char **unopened;       /* paths open_path() could not open, each logged once */
};

struct watch {
	int wd;    /* -1 while the folder is missing: tried again by rewatch_tick() */
	char *dir;
};

/* A missing folder of a pattern is looked for this often. */
#define REWATCH_MS 5000

struct tailer {
	struct loop *loop;
	int ifd;
	struct watch *watches;
	size_t nwatches;
	struct tsite *sites;
	struct loop_timer *rewatch_timer;
	/* A file was deleted in a watched folder: at the next rewatch tick,
	 * each folder is looked at by its path (rewatch_all()).  A folder
	 * deleted with a file the agent holds open in it stays alive, and
	 * watched, until that file is closed (rotate_wait later): its watch
	 * says nothing of the deletion, nor of a folder made at its path. */
	int verify_watches;
	/* A read or an open failed for a reason that may pass (an I/O error,
	 * no descriptor left): at the next rewatch tick every site's files
	 * are looked at and read again, even if nothing is written to them. */
	int retry_reads;
};

/* ---- identity ---- */

/*
 * The identity of the file FD: the hash of its first line, cut to 1,024
 * bytes.  Returns 1 with OUT set, 0 while the first line is incomplete, -1
 * when the file cannot be read.  WHOLE says the file is complete (rotated
 * away for good): then an unterminated first line is its first line, as
 * `parse` takes an input's last line without "\n" (cmd_parse.c).
 */
static int first_line_identity(int fd, char out[65], int whole)
{
	char buf[1024];
	ssize_t n = pread(fd, buf, sizeof buf, 0);
	const char *nl;

	if (n < 0) {
		return -1;
	}
	if (n == 0) {
		return 0;
	}
	nl = memchr(buf, '\n', (size_t)n);
	if (nl == NULL && (size_t)n < sizeof buf && !whole) {
		return 0;
	}
	hash_identity(buf, nl ? (size_t)(nl - buf) : (size_t)n, out);
	return 1;
}

/* 1 with OUT set, or 0 while the first line is incomplete (or unreadable). */
static int file_identity(int fd, char out[65]) { return first_line_identity(fd, out, 0) > 0; }

/*
 * 1 when the file FD still begins with the first line of identity
 * IDENTITY, 0 when it does not (it was truncated and written anew, or is
 * shorter than that line now), -1 when it cannot be read.  An unterminated
 * start is hashed as it is: it matches an identity taken from a whole
 * file's unterminated only line (rotate_tick()).
 */
static int same_first_line(int fd, const char *identity)
{
	char now[65];
	int r = first_line_identity(fd, now, 1);

	if (r < 0) {
		return -1;
	}
	return r > 0 && strcmp(now, identity) == 0;
}

/* ---- watches ---- */

/* Arms the re-watch timer, unless it is armed already. */
static void rewatch_soon(struct tailer *t)
{
	if (!loop_timer_armed(t->rewatch_timer)) {
		loop_timer_arm(t->rewatch_timer, REWATCH_MS);
	}
}

/* A read or open failed in a way that may pass: tried again at the next
 * rewatch tick (retry_reads). */
static void retry_soon(struct tailer *t)
{
	t->retry_reads = 1;
	rewatch_soon(t);
}

/* 1 for an open's or a read's errno that may pass by itself: not a
 * permission (granted by a human, seen by a folder's event or a reload). */
static int may_pass(int err) { return err != EACCES && err != EPERM && err != ENOENT && err != ENOTDIR; }

/* Drops watch entry I (its folder no longer watched); the last takes its place. */
static void watch_drop(struct tailer *t, size_t i)
{
	free(t->watches[i].dir);
	t->watches[i] = t->watches[--t->nwatches];
}

/* 1 when folder DIR has a wildcard of glob(3) in its name: looked at, not watched. */
static int has_wildcard(const char *dir) { return strpbrk(dir, "*?[") != NULL; }

/*
 * Watches folder DIR for site TS: a folder of its patterns, or the folder
 * of symlink LINK's target.  A folder that cannot be watched (it does not
 * exist yet, was deleted, or the agent's user may not read it) is kept in
 * the list with wd -1 and tried again every REWATCH_MS, so that logs
 * written once it is back are read.  One watch serves every site.
 */
static void watch_dir(struct tsite *ts, const char *dir, const char *link)
{
	struct tailer *t = ts->t;
	struct watch *nw;
	char *copy;
	int wd;

	for (size_t i = 0; i < t->nwatches; i++) {
		if (strcmp(t->watches[i].dir, dir) == 0) {
			return;
		}
	}
	nw = realloc(t->watches, (t->nwatches + 1) * sizeof *nw);
	if (nw == NULL || (copy = strdup(dir)) == NULL) {
		if (nw != NULL) {
			t->watches = nw;
		}
		log_err("site %s: watch %s: out of memory", ts->conf.name, dir);
		return;
	}
	t->watches = nw;
	if (has_wildcard(dir)) {
		/* A wildcard in a folder's name (per-vhost logs): no folder
		 * event tells of those folders; they are looked at instead. */
		log_info("site %s: %s: a wildcard in a folder's name; the logs there are looked for "
			 "every %d s", ts->conf.name, dir, REWATCH_MS / 1000);
		wd = -1;
		rewatch_soon(t);
	} else if ((wd = inotify_add_watch(t->ifd, dir, DIR_EVENTS)) < 0) {
		int err = errno;
		if (link != NULL) {
			log_warn("site %s: watch %s, the folder of %s's target: %s (tried again every %d s); "
				 "until it can be watched, writes to the target go unnoticed%s",
				 ts->conf.name, dir, link, strerror(err), REWATCH_MS / 1000,
				 err == EACCES || err == EPERM
					 ? " (watching a folder needs permission to read it, not only to enter "
					   "it): " TAILER_ACCESS_HINT
					 : err == ENOSPC ? TAILER_WATCH_LIMIT_HINT : "");
		} else {
			log_warn("site %s: watch %s: %s (looked for again every %d s)%s", ts->conf.name, dir,
				 strerror(err), REWATCH_MS / 1000,
				 err == EACCES || err == EPERM
					 ? "; the agent's user may not enter it, and the logs it finds there once it "
					   "may are read from their beginning (read_from = end cannot apply to files it "
					   "could not see): " TAILER_ACCESS_HINT
					 : err == ENOSPC ? TAILER_WATCH_LIMIT_HINT : "");
		}
		rewatch_soon(t);
	}
	nw[t->nwatches].wd = wd;
	nw[t->nwatches].dir = copy;
	t->nwatches++;
}

static void reconcile(struct tsite *ts);
static int site_in_dir(const struct tsite *ts, const char *dir);
static int target_in_dir(const struct tsite *ts, const char *dir);
static int matches_pattern(const struct tsite *ts, const char *path);

/* 1 when some site's patterns, or a target of its symlinks, are in folder DIR. */
static int dir_needed(const struct tailer *t, const char *dir)
{
	for (const struct tsite *ts = t->sites; ts != NULL; ts = ts->next) {
		if (site_in_dir(ts, dir) || target_in_dir(ts, dir)) {
			return 1;
		}
	}
	return 0;
}

/*
 * Watch I can no longer be watched (its folder is gone, or it must be
 * watched anew).  A folder of a site's patterns or of a symlink's target
 * is looked for every REWATCH_MS until it is back; any other (a symlink's
 * old target's, a removed site's) is dropped.  Returns 1 when entry I was
 * dropped.
 */
static int watch_lost(struct tailer *t, size_t i)
{
	struct watch *w = &t->watches[i];

	w->wd = -1;
	if (dir_needed(t, w->dir)) {
		log_warn("folder %s is gone; looking for it every %d s", w->dir, REWATCH_MS / 1000);
		rewatch_soon(t);
		return 0;
	}
	log_debug("folder %s is gone; no site's logs are in it now", w->dir);
	watch_drop(t, i);
	return 1;
}

/*
 * Tries again the folders that could not be watched; one no site needs
 * any more (its site was removed or changed by a reload) is dropped.
 * Returns 1 when one is watched now; *MISSING says whether any is not.
 */
static int rewatch_missing(struct tailer *t, int *missing)
{
	int back = 0;

	*missing = 0;
	for (size_t i = 0; i < t->nwatches; i++) {
		struct watch *w = &t->watches[i];
		if (w->wd >= 0) {
			continue;
		}
		if (!dir_needed(t, w->dir)) {
			watch_drop(t, i--);
			continue;
		}
		if (has_wildcard(w->dir)) {
			*missing = 1; /* a wildcard: looked at, never watched */
			continue;
		}
		w->wd = inotify_add_watch(t->ifd, w->dir, DIR_EVENTS);
		if (w->wd >= 0) {
			log_info("watching %s again", w->dir);
			back = 1;
		} else {
			*missing = 1;
		}
	}
	return back;
}

static int rewatch_all(struct tailer *t);

/*
 * The folders that could not be watched, tried again, and after a deletion
 * every folder looked at by its path; the sites then look at their files
 * again, so that a folder that came back is read.
 */
static void rewatch_tick(void *ctx)
{
	struct tailer *t = ctx;
	int missing, replaced = 0;

	if (t->verify_watches) {
		t->verify_watches = 0;
		replaced = rewatch_all(t);
	}
	if (rewatch_missing(t, &missing) || replaced || t->retry_reads) {
		t->retry_reads = 0; /* set again by what fails again */
		for (struct tsite *ts = t->sites; ts != NULL; ts = ts->next) {
			reconcile(ts);
			tsite_read(ts);
		}
	}
	if (missing) {
		/* Logs in folders that are not watched (a wildcard in their
		 * name, the limit on watches reached) are looked at here. */
		for (struct tsite *ts = t->sites; ts != NULL; ts = ts->next) {
			reconcile(ts);
			tsite_read(ts);
		}
		loop_timer_arm(t->rewatch_timer, REWATCH_MS);
	}
}

/*
 * After a queue overflow, events may have been lost, IN_IGNORED among
 * them: every folder is watched again by its path.  The kernel gives back
 * the same descriptor for the same folder, a new one for a folder created
 * anew (the old one is then removed), and an error for one that is gone.
 * A folder not watched already is left to rewatch_tick().  Returns 1 when
 * a folder was found made anew (its files are then to be looked at).
 */
static int rewatch_all(struct tailer *t)
{
	int replaced = 0;

	for (size_t i = 0; i < t->nwatches; i++) {
		struct watch *w = &t->watches[i];
		int wd;
		if (w->wd < 0) {
			continue;
		}
		wd = inotify_add_watch(t->ifd, w->dir, DIR_EVENTS);
		if (wd >= 0) {
			if (w->wd != wd) {
				log_info("folder %s was made anew; watching the new one", w->dir);
				inotify_rm_watch(t->ifd, w->wd);
				replaced = 1;
			}
			w->wd = wd;
		} else if (errno == ENOENT || errno == ENOTDIR) {
			/* Gone from its path: let go of what the old watch holds. */
			inotify_rm_watch(t->ifd, w->wd);
			if (watch_lost(t, i)) {
				i--;
			}
		}
		/* Any other error (a permission taken away): the folder is
		 * there, and its watch, still in place, still serves. */
	}
	return replaced;
}

/* The folder of the file a symlinked PATH resolves to (caller frees), or NULL. */
static char *target_dir(const char *path)
{
	char real[PATH_MAX];

	if (path == NULL || realpath(path, real) == NULL || strcmp(real, path) == 0) {
		return NULL;
	}
	return path_dir(real);
}

/* Watches the folder of the file a symlinked PATH resolves to. */
static void watch_target_dir(struct tsite *ts, const char *path)
{
	char *d = target_dir(path);

	if (d != NULL) {
		watch_dir(ts, d, path);
		free(d);
	}
}

/* Watches the folders of the patterns, and of the targets of symlinks
 * (a pending one's too: a change of its permissions is seen there). */
static void watch_site(struct tsite *ts)
{
	for (size_t i = 0; ts->patterns[i] != NULL; i++) {
		char *d = path_dir(ts->patterns[i]);
		if (d != NULL) {
			watch_dir(ts, d, NULL);
			free(d);
		}
	}
	for (struct tfile *tf = ts->files; tf != NULL; tf = tf->next) {
		watch_target_dir(ts, tf->path);
	}
	for (struct tpending *p = ts->pending; p != NULL; p = p->next) {
		watch_target_dir(ts, p->path);
	}
}

/* ---- files ---- */

/* The file name a symlinked PATH resolves to (caller frees), or NULL. */
static char *symlink_target_name(const char *path)
{
	char real[PATH_MAX];
	const char *base = strrchr(path, '/'), *rbase;

	if (realpath(path, real) == NULL || (rbase = strrchr(real, '/')) == NULL ||
	    (base != NULL && strcmp(base, rbase) == 0)) {
		return NULL;
	}
	return strdup(rbase + 1);
}

static struct tfile *tfile_open(struct tsite *ts, const char *path, int fd, const struct stat *st,
				uint64_t offset)
{
	struct tfile *tf = calloc(1, sizeof *tf);

	if (tf == NULL || linebuf_init(&tf->lb, ts->conf.max_line, READ_CHUNK, offset) < 0) {
		free(tf);
		close(fd);
		return NULL;
	}
	tf->ts = ts;
	tf->path = strdup(path);
	tf->target = symlink_target_name(path);
	tf->fd = fd;
	tf->dev = st->st_dev;
	tf->ino = st->st_ino;
	tf->saved = offset;
	tf->verified = offset;
	file_identity(fd, tf->identity);
	if (lseek(fd, (off_t)offset, SEEK_SET) < 0) {
		log_warn("seek %s: %s", path, strerror(errno));
	}
	tf->next = ts->files;
	ts->files = tf;
	return tf;
}

static void tfile_free(struct tfile *tf)
{
	linebuf_free(&tf->lb);
	if (tf->fd >= 0) {
		close(tf->fd);
	}
	free(tf->path);
	free(tf->target);
	free(tf);
}

static void tfile_remove(struct tsite *ts, struct tfile *tf)
{
	for (struct tfile **p = &ts->files; *p != NULL; p = &(*p)->next) {
		if (*p == tf) {
			*p = tf->next;
			break;
		}
	}
	tfile_free(tf);
}

/* Hands LINE to the site.  0, or -1 when the site must stop reading. */
static int deliver(struct tsite *ts, const struct tfile *tf, const struct lb_line *line, int too_long)
{
	struct line_src src = {.identity = tf->identity, .offset = line->off,
			       .no_backslash = !line->backslash};
	uint64_t rewinds = ts->rewinds;

	if (ts->conf.fn(ts->conf.ctx, too_long ? NULL : line->p, too_long ? 0 : line->n, &src) < 0) {
		/* Stop reading.  If the site was rewound during the call (the
		 * agent handled the failure at once), its files are ready to be
		 * read again once it resumes: they are not marked failed. */
		if (ts->rewinds == rewinds) {
			ts->failed = 1;
		}
		return -1;
	}
	return 0;
}

/* Hands out the complete lines buffered in LB. 0, or -1 when stopped. */
static int drain_lines(struct tsite *ts, struct tfile *tf)
{
	struct lb_line line;
	enum lb_result r;

	while (!ts->paused && !ts->failed && (r = linebuf_next(&tf->lb, &line)) != LB_NEED_MORE) {
		if (deliver(ts, tf, &line, r == LB_TOO_LONG) < 0) {
			return -1;
		}
	}
	return ts->paused || ts->failed ? -1 : 0;
}

/* The file left its path: follow it until idle for rotate_wait. */
static void tfile_rotated(struct tsite *ts, struct tfile *tf)
{
	if (tf->state == TF_ROTATED) {
		return;
	}
	tf->state = TF_ROTATED;
	tf->idle_since = loop_now_ms();
	log_debug("%s (inode %llu) was rotated away; following it until idle for %llds", tf->path,
		  (unsigned long long)tf->ino, (long long)(ts->conf.rotate_wait_ms / 1000));
	loop_timer_arm_before(ts->rotate_timer, tf->idle_since + ts->conf.rotate_wait_ms);
}

static struct tfile *find_by_inode(struct tsite *ts, dev_t dev, ino_t ino);

/*
 * After copytruncate, the lines of TF from offset FROM on are in the copy:
 * a sibling, not TF itself, at least FROM bytes long, whose first line is
 * TF's.  Opens it: its descriptor (its path in PATH, its stat in ST), or -1
 * when there is none, or -2 when the site follows that file already (from
 * its beginning, with the same identity: it gives those lines itself).
 */
static int open_copy(struct tsite *ts, const struct tfile *tf, uint64_t from, char *path, size_t len,
		     struct stat *st)
{
	char *dir = path_dir(tf->path);
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *de;
	int found = -1;

	while (d != NULL && found == -1 && (de = readdir(d)) != NULL) {
		int fd;
		/* Regular files (and links, which fstat() below sorts out)
		 * only: no FIFO, socket or device in the folder is opened. */
		if (de->d_name[0] == '.' ||
		    (de->d_type != DT_REG && de->d_type != DT_LNK && de->d_type != DT_UNKNOWN) ||
		    snprintf(path, len, "%s/%s", dir, de->d_name) >= (int)len) {
			continue;
		}
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0) {
			continue;
		}
		if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode) || (st->st_dev == tf->dev && st->st_ino == tf->ino) ||
		    (uint64_t)st->st_size < from || same_first_line(fd, tf->identity) != 1) {
			close(fd);
			continue;
		}
		if (find_by_inode(ts, st->st_dev, st->st_ino) != NULL) {
			close(fd);
			found = -2;
		} else {
			found = fd;
		}
	}
	if (d != NULL) {
		closedir(d);
	}
	free(dir);
	return found;
}

/*
 * TF was truncated in place and has no copy (or its lines are read from
 * the copy by another entry): the complete lines still buffered are
 * handed out, then it starts over at 0 as a new file.  0, or -1 while that
 * cannot be done yet (reading is paused: it stays truncated until then).
 */
static int tfile_restart(struct tsite *ts, struct tfile *tf)
{
	uint64_t at;

	if (drain_lines(ts, tf) < 0) {
		return -1;
	}
	at = linebuf_offset(&tf->lb);
	/* Lines handed out since the last save exist in no file now (with
	 * TRUNCATED 2 the copy has them): a rewind before the next save
	 * loses them (tsite_rewind()). */
	tf->reset_unsaved = tf->truncated == 1 && tf->identity[0] && tf->saved < at;
	if (tf->truncated == 1 && tf->identity[0] && tf->known_size > at) {
		log_warn("site %s: %s was truncated in place and no copy of it is beside it: %llu bytes "
			 "written to it before the truncation were not read and are lost", ts->conf.name, tf->path,
			 (unsigned long long)(tf->known_size - at));
		ts->lost++;
	} else if (tf->truncated == 1 && tf->identity[0]) {
		log_warn("site %s: %s was truncated in place and no copy of it is beside it: lines written "
			 "between the last read and the truncation, if any, are lost", ts->conf.name, tf->path);
	}
	if (lseek(tf->fd, 0, SEEK_SET) < 0) {
		log_warn("seek %s: %s", tf->path, strerror(errno));
	}
	linebuf_reset(&tf->lb, 0);
	tf->recover_to = 0; /* new content: nothing of it is read again */
	tf->identity[0] = '\0';
	tf->saved = 0; /* a rewind now starts the new content over */
	tf->verified = tf->known_size = 0;
	tf->truncated = 0;
	return 0;
}

/*
 * TF shrank below what was read, or begins with another first line: it
 * was truncated in place (copytruncate), and maybe written again since.
 * If the copy is beside it, TF follows the copy from where it was (same
 * identity, same offsets: the same event_ids), as a rotated file read to
 * its end, and a new entry follows the truncated file from 0: each keeps
 * its own saved offset, so a disk failure rewinds each where it was.  The
 * new entry is returned (NULL if none).  Without a copy, see
 * tfile_restart().  Nothing is handed out here but by tfile_restart(), so
 * this is done even while reading is paused: the copy is held open before
 * logrotate may compress and delete it.
 */
static struct tfile *tfile_truncated(struct tsite *ts, struct tfile *tf)
{
	uint64_t from = linebuf_offset(&tf->lb), keep;
	struct tfile *succ = NULL;
	char path[PATH_MAX], *copy_path;
	struct stat st, tst;
	int cfd = -1;

	/* Bytes read after the last look that found the file unchanged may be
	 * the new content: never taken for the old file's. */
	keep = tf->verified > tf->lb.off ? tf->verified - tf->lb.off : 0;
	if (keep < tf->lb.start) {
		keep = tf->lb.start;
	}
	if (keep < tf->lb.end) {
		tf->lb.end = (size_t)keep;
	}
	if (tf->identity[0]) {
		cfd = open_copy(ts, tf, from, path, sizeof path, &st);
	}
	if (cfd < 0) {
		tf->truncated = cfd == -2 ? 2 : 1; /* 2: another entry reads the copy */
		tfile_restart(ts, tf);
		return NULL;
	}
	log_info("%s: truncated in place (copytruncate); reading its last lines from the copy %s", tf->path,
		 path);
	/* The truncated file, as found at TF's path after a rotation.
	 * (tfile_open() takes the descriptor, and closes it on failure.) */
	if (fstat(tf->fd, &tst) < 0) {
		close(tf->fd);
	} else if ((succ = tfile_open(ts, tf->path, tf->fd, &tst, 0)) != NULL) {
		succ->seen = 1; /* reconcile() must not take it for rotated away */
		if (tf->state == TF_ROTATED) {
			tfile_rotated(ts, succ);
		}
	}
	if (succ == NULL) {
		/* Out of memory: reconcile() opens it again later. */
		log_err("site %s: %s: cannot follow it after its truncation", ts->conf.name, tf->path);
	}
	tf->fd = cfd;
	tf->dev = st.st_dev;
	tf->ino = st.st_ino;
	if ((copy_path = strdup(path)) != NULL) {
		free(tf->path);
		tf->path = copy_path;
	}
	free(tf->target);
	tf->target = NULL;
	if (lseek(cfd, (off_t)from, SEEK_SET) < 0) {
		log_warn("seek %s: %s", path, strerror(errno));
	}
	linebuf_reset(&tf->lb, from);
	tf->verified = from;
	tf->known_size = (uint64_t)st.st_size;
	tf->state = TF_ACTIVE; /* followed from now on, until idle */
	tfile_rotated(ts, tf);
	return succ;
}

/*
 * Looks whether TF was truncated since it was last looked at: it is
 * shorter than what was read, or, when it grew again past that since (say
 * while reading was paused), it no longer begins with its first line.
 * Done before buffered bytes are handed out, so that bytes read after a
 * truncation are never taken for the old file's.  Returns 1 when it was
 * truncated (then *SUCC is the entry that follows the truncated file if TF
 * follows its copy now, else NULL), or 0.
 */
static int tfile_check(struct tsite *ts, struct tfile *tf, struct tfile **succ)
{
	uint64_t end = tf->lb.off + tf->lb.end;
	struct stat st;
	int same = 1;

	*succ = NULL;
	if (tf->done || tf->truncated || fstat(tf->fd, &st) < 0) {
		return 0;
	}
	if (!tf->identity[0] && end == 0) {
		/* Nothing read yet: its identity is taken at this look, even
		 * while reading is paused, so that a truncation before the first
		 * read (an outage over two rotations) is told by its first line
		 * and its lines found in the copy. */
		file_identity(tf->fd, tf->identity);
	} else if (tf->identity[0] && (same = same_first_line(tf->fd, tf->identity)) < 0) {
		/* After fstat: a first line unchanged now was unchanged then. */
		return 0; /* unreadable: the read says why */
	}
	/* A log only grows: shorter than at the last look is truncated. */
	if (same && (uint64_t)st.st_size >= end && (uint64_t)st.st_size >= tf->known_size) {
		tf->verified = end;
		tf->known_size = (uint64_t)st.st_size;
		return 0;
	}
	*succ = tfile_truncated(ts, tf);
	return 1;
}

static void tfile_read(struct tsite *ts, struct tfile *tf)
{
	struct tfile *succ;
	ssize_t n;

	if (tf->done) {
		return;
	}
	for (;;) {
		/* Even while paused: see tfile_truncated(). */
		if (tfile_check(ts, tf, &succ) && succ != NULL) {
			/* TF follows the copy now, SUCC the truncated file. */
			tfile_read(ts, tf);
			tfile_read(ts, succ);
			return;
		}
		if (tf->truncated && tfile_restart(ts, tf) < 0) {
			return;
		}
		if (ts->paused || ts->failed) {
			return;
		}
		if (!tf->identity[0] && !file_identity(tf->fd, tf->identity)) {
			return; /* no complete first line yet */
		}
		if (drain_lines(ts, tf) < 0) {
			return;
		}
		n = linebuf_read(&tf->lb, tf->fd);
		if (n < 0) {
			if (!tf->read_err) {
				log_err("read %s: %s; tried again every %d s", tf->path, strerror(errno),
					REWATCH_MS / 1000);
			}
			tf->read_err = errno ? errno : EIO;
			retry_soon(ts->t);
			return;
		}
		if (tf->read_err) {
			tf->read_err = 0;
			log_info("read %s: reading again", tf->path);
		}
		if (n == 0) {
			break;
		}
		tf->idle_since = loop_now_ms();
	}
	/* At the end: truncated since the last look? */
	if (tfile_check(ts, tf, &succ)) {
		tfile_read(ts, tf);
		if (succ != NULL) {
			tfile_read(ts, succ);
		}
	}
}

/* Rotated files idle long enough are read to the end, their last line taken. */
static void rotate_tick(void *ctx)
{
	struct tsite *ts = ctx;
	int64_t now = loop_now_ms();

	for (struct tfile *tf = ts->files; tf != NULL; tf = tf->next) {
		struct lb_line line;
		if (tf->state != TF_ROTATED || tf->done) {
			continue;
		}
		tfile_read(ts, tf);
		if (ts->paused || ts->failed) {
			/* Not now: try again later. */
			loop_timer_arm(ts->rotate_timer, 1000);
			continue;
		}
		if (now - tf->idle_since < ts->conf.rotate_wait_ms) {
			loop_timer_arm_before(ts->rotate_timer, tf->idle_since + ts->conf.rotate_wait_ms);
			continue;
		}
		/* Rotated away for good: an unterminated last line is a line.
		 * If it is the file's only line, the first line never became
		 * complete: the identity is taken from it now (the file is
		 * whole), as `parse` does, and the file read. */
		if (!tf->identity[0] && !tf->truncated && first_line_identity(tf->fd, tf->identity, 1) > 0) {
			tfile_read(ts, tf);
			if (ts->paused || ts->failed) {
				loop_timer_arm(ts->rotate_timer, 1000);
				continue;
			}
		}
		if (tf->identity[0] && linebuf_rest(&tf->lb, &line) && deliver(ts, tf, &line, 0) < 0) {
			continue;
		}
		tf->done = 1;
		log_debug("%s (inode %llu): finished", tf->path, (unsigned long long)tf->ino);
		if (ts->conf.finished != NULL) {
			ts->conf.finished(ts->conf.ctx);
		}
	}
}

static struct tfile *find_by_inode(struct tsite *ts, dev_t dev, ino_t ino)
{
	for (struct tfile *tf = ts->files; tf != NULL; tf = tf->next) {
		if (tf->dev == dev && tf->ino == ino && !tf->done) {
			return tf;
		}
	}
	return NULL;
}

static struct tfile *find_active(struct tsite *ts, const char *path)
{
	for (struct tfile *tf = ts->files; tf != NULL; tf = tf->next) {
		if (tf->state == TF_ACTIVE && strcmp(tf->path, path) == 0) {
			return tf;
		}
	}
	return NULL;
}

const char *tailer_user(char *buf, size_t len)
{
	struct passwd *pw = getpwuid(geteuid());

	if (pw != NULL) {
		snprintf(buf, len, "%s", pw->pw_name);
	} else {
		snprintf(buf, len, "uid %u", (unsigned)geteuid());
	}
	return buf;
}

/*
 * Logs that site TS cannot open PATH (ERR), and THEN: what happens once it
 * can.  Permission denied names the user and the remedy.
 */
static void log_unopened(const struct tsite *ts, const char *path, int err, const char *then)
{
	char user[64];

	if (err == EACCES || err == EPERM) {
		log_err("site %s: open %s: %s: user %s may not read it; once it may, %s; " TAILER_ACCESS_HINT,
			ts->conf.name, path, strerror(err), tailer_user(user, sizeof user), then);
	} else {
		log_err("site %s: open %s: %s; once it can be opened, %s", ts->conf.name, path, strerror(err),
			then);
	}
}

/* PATH's index in the site's list of paths already said to be unreadable,
 * or the list's length when it is not there. */
static size_t unopened_find(const struct tsite *ts, const char *path)
{
	size_t n = words_count(ts->unopened), i = 0;

	while (i < n && strcmp(ts->unopened[i], path) != 0) {
		i++;
	}
	return i;
}

/* Adds PATH to the site's list of paths already said to be unreadable. */
static void remember_unopened(struct tsite *ts, const char *path)
{
	size_t n = words_count(ts->unopened);
	char **grown = realloc(ts->unopened, (n + 2) * sizeof *grown);

	if (grown != NULL) {
		ts->unopened = grown;
		grown[n] = strdup(path); /* NULL: not remembered, logged again */
		grown[n + 1] = NULL;
	}
}

/*
 * Notes how opening PATH went: ERR is its errno, 0 when it opened; THEN
 * says what happens once it can (NULL: it is opened).  A failure is logged
 * the first time only (and again after a reload): every event of its
 * folder looks at the site's files again, and a log the agent may not
 * read would be reported at each.  Once PATH opens, a later failure is
 * logged again.  (A regular file that cannot be opened is pending
 * instead, and pending_warn() says so once.)
 */
static void note_open(struct tsite *ts, const char *path, int err, const char *then)
{
	size_t n = words_count(ts->unopened), i = unopened_find(ts, path);

	if (err == 0 || i < n) {
		if (err == 0 && i < n) {
			free(ts->unopened[i]);
			memmove(&ts->unopened[i], &ts->unopened[i + 1], (n - i) * sizeof *ts->unopened);
		}
		return;
	}
	remember_unopened(ts, path);
	log_unopened(ts, path, err, then != NULL ? then : "it is opened");
}

int tailer_compressed_name(const char *name)
{
	static const char *const ext[] = {".gz", ".bz2", ".xz", ".zst", ".lz4", ".Z", ".zip"};
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof ext / sizeof ext[0]; i++) {
		size_t e = strlen(ext[i]);
		if (n > e && strcmp(name + n - e, ext[i]) == 0) {
			return 1;
		}
	}
	return 0;
}

/*
 * 1 when PATH's name may be followed.  A compressed file's may not
 * ("access.log*" matches logrotate's access.log.2.gz too).  Nor may one
 * holding a control byte: the checkpoint keeps a path per line, and a
 * newline in it would cut the line (and the checkpoint would be refused at
 * the next start).  Either is said once per path (and again after a
 * reload), the name escaped.
 */
static int name_usable(struct tsite *ts, const char *path)
{
	enum log_level level = LOG_INFO;
	const char *why = NULL;

	if (tailer_compressed_name(path)) {
		why = "is compressed: it is not read (match the live log alone; pintail follows its rotation)";
	} else {
		for (const char *p = path; *p != '\0' && why == NULL; p++) {
			if ((unsigned char)*p < 0x20 || *p == 0x7f) {
				why = "its name holds a control character (shown as \\xHH): it is not read; rename it";
				level = LOG_WARN;
			}
		}
	}
	if (why == NULL) {
		return 1;
	}
	if (unopened_find(ts, path) >= words_count(ts->unopened)) {
		remember_unopened(ts, path);
		log_msg(level, "site %s: %s matches the site's logs, but %s", ts->conf.name, path, why);
	}
	return 0;
}

/* ---- files that cannot be opened yet ---- */

/* 1 with ST set when PATH holds the regular file DEV/INO. */
static int same_inode_at(const char *path, dev_t dev, ino_t ino, struct stat *st)
{
	return stat(path, st) == 0 && S_ISREG(st->st_mode) && st->st_dev == dev && st->st_ino == ino;
}

static struct tpending *find_pending(struct tsite *ts, dev_t dev, ino_t ino)
{
	for (struct tpending *p = ts->pending; p != NULL; p = p->next) {
		if (p->dev == dev && p->ino == ino) {
			return p;
		}
	}
	return NULL;
}

/* The pending file last seen at PATH, or NULL. */
static struct tpending *find_pending_path(struct tsite *ts, const char *path)
{
	for (struct tpending *p = ts->pending; p != NULL; p = p->next) {
		if (strcmp(p->path, path) == 0) {
			return p;
		}
	}
	return NULL;
}

/* After a failed stat() (errno): 1 when a folder on the way to the path may
 * not be entered, so that the file may well be there still, out of reach. */
static int out_of_reach(void) { return errno == EACCES || errno == EPERM; }

static void pending_free(struct tpending *p)
{
	free(p->path);
	free(p);
}

/* Logs once why pending file P cannot be opened (ERR), and what then. */
static void pending_warn(struct tsite *ts, struct tpending *p, int err)
{
	char then[128];

	p->err = err;
	if (may_pass(err)) {
		retry_soon(ts->t); /* no event may come to say it can be opened now */
	}
	if (p->warned) {
		return;
	}
	p->warned = 1;
	if (p->identity[0]) {
		snprintf(then, sizeof then, "it is read from its checkpoint (offset %llu)",
			 (unsigned long long)p->offset);
	} else if (p->offset > 0) {
		snprintf(then, sizeof then,
			 "it is read from offset %llu, its size at the site's first start (read_from = end)",
			 (unsigned long long)p->offset);
	} else {
		snprintf(then, sizeof then, "it is read from its beginning");
	}
	log_unopened(ts, p->path, err, then);
}

/*
 * PATH (ST: its stat) is to be read from OFFSET (IDENTITY: its
 * checkpoint's, or "") but cannot be opened now: it becomes pending.  ERR
 * is why, logged at once; 0 when it was not tried yet (pending_retry()
 * tries it and says why).
 */
static void pending_add(struct tsite *ts, const char *path, const struct stat *st, uint64_t offset,
			const char *identity, int err)
{
	struct tpending *p;

	if (find_pending(ts, st->st_dev, st->st_ino) != NULL) {
		return;
	}
	p = calloc(1, sizeof *p);
	if (p == NULL || (p->path = strdup(path)) == NULL) {
		free(p);
		log_err("site %s: %s: out of memory", ts->conf.name, path);
		return;
	}
	p->dev = st->st_dev;
	p->ino = st->st_ino;
	p->offset = offset;
	p->size = (uint64_t)st->st_size;
	snprintf(p->identity, sizeof p->identity, "%s", identity);
	p->next = ts->pending;
	ts->pending = p;
	if (err != 0) {
		pending_warn(ts, p, err);
	}
}

/*
 * Opens pending file P if it can be opened now, as the same inode: from
 * its offset, or from 0 when it is shorter by then (truncated meanwhile).
 * With an identity (it had a checkpoint), a file that no longer begins
 * with that first line is handled as truncated (tfile_check()).  Returns
 * the new entry, or NULL with *ERR set to errno when it still cannot be
 * opened (0: its path holds another file now, or out of memory).
 */
static struct tfile *pending_open(struct tsite *ts, struct tpending *p, int *err)
{
	int fd = open(p->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	uint64_t from = p->offset;
	struct tfile *tf, *succ;
	struct stat st;

	*err = fd < 0 ? errno : 0;
	if (fd < 0) {
		return NULL;
	}
	if (fstat(fd, &st) < 0 || st.st_dev != p->dev || st.st_ino != p->ino) {
		close(fd);
		return NULL;
	}
	if (p->identity[0]) {
		log_info("site %s: %s can be opened now; reading it from its checkpoint (offset %llu)",
			 ts->conf.name, p->path, (unsigned long long)from);
	} else if ((uint64_t)st.st_size < from) {
		log_info("site %s: %s can be opened now, and is shorter than at the site's first start (%llu "
			 "bytes, %llu then): truncated meanwhile, it is read from its beginning", ts->conf.name,
			 p->path, (unsigned long long)st.st_size, (unsigned long long)from);
		from = 0;
	} else if (from > 0) {
		log_info("site %s: %s can be opened now; reading it from offset %llu, its size at the site's "
			 "first start (read_from = end): the lines it held then are not read", ts->conf.name,
			 p->path, (unsigned long long)from);
	} else {
		log_info("site %s: %s can be opened now; reading it from its beginning", ts->conf.name, p->path);
	}
	tf = tfile_open(ts, p->path, fd, &st, from);
	note_open(ts, p->path, 0, NULL);
	if (tf != NULL && p->identity[0]) {
		memcpy(tf->identity, p->identity, sizeof tf->identity);
		if (p->recover) {
			tf->recover_to = (uint64_t)st.st_size;
		}
		tfile_check(ts, tf, &succ);
	}
	return tf;
}

/*
 * Looks in the folder of PATH for the regular file DEV/INO (a rotation
 * renamed it): 1 with its path in OUT (OUTLEN bytes) and *ST set, else 0.
 * stat() is enough: the file need not be readable.
 */
static int find_inode_beside(const char *path, dev_t dev, ino_t ino, char *out, size_t outlen,
			     struct stat *st)
{
	char *dir = path_dir(path);
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *de;
	int found = 0;

	while (d != NULL && !found && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || snprintf(out, outlen, "%s/%s", dir, de->d_name) >= (int)outlen ||
		    stat(out, st) < 0 || !S_ISREG(st->st_mode) || st->st_dev != dev || st->st_ino != ino) {
			continue;
		}
		found = 1;
	}
	if (d != NULL) {
		closedir(d);
	}
	free(dir);
	return found;
}

/*
 * Looks in P's folder for P's inode (a rotation renamed it): 1 with P's
 * path and size updated, or 0 when it is gone.
 */
static int pending_moved(struct tpending *p)
{
	char q[PATH_MAX], *copy;
	struct stat st;

	if (!find_inode_beside(p->path, p->dev, p->ino, q, sizeof q, &st)) {
		return 0;
	}
	if ((copy = strdup(q)) != NULL) {
		free(p->path);
		p->path = copy;
	}
	p->size = (uint64_t)st.st_size;
	return 1;
}

/*
 * What pending file P held past its offset, never read, is gone (WHAT
 * happened to it: "was truncated", "is gone"): logged, and counted as
 * lost when there was any.  THEN, when not NULL, says what comes next.
 */
static void pending_lost(struct tsite *ts, const struct tpending *p, const char *what, const char *then)
{
	if (p->size > p->offset) {
		log_warn("site %s: %s %s before it could be opened: %llu bytes written to it were never read "
			 "and are lost%s%s",
			 ts->conf.name, p->path, what, (unsigned long long)(p->size - p->offset), then ? "; " : "",
			 then ? then : "");
		ts->lost++;
	} else {
		log_info("site %s: %s %s before it could be opened; nothing of it was left to read%s%s",
			 ts->conf.name, p->path, what, then ? "; " : "", then ? then : "");
	}
}

/*
 * Looks at pending file P at its path: 1 when it is still there, with its
 * size taken again, or out of reach, else 0 (renamed or gone).  Shorter
 * than at the last look, it was truncated (copytruncate) before it could be
 * read: what it held past P's offset was never read, nor can any copy be,
 * and it is read from its beginning.
 */
static int pending_look(struct tsite *ts, struct tpending *p)
{
	struct stat st;

	if (stat(p->path, &st) < 0) {
		/* Out of reach (a folder on its way may not be entered), it
		 * is waited for: nothing says it is gone. */
		return out_of_reach();
	}
	if (!S_ISREG(st.st_mode) || st.st_dev != p->dev || st.st_ino != p->ino) {
		return 0;
	}
	if ((uint64_t)st.st_size < p->size) {
		pending_lost(ts, p, "was truncated", "it is read from its beginning once it can be opened");
		p->offset = 0;
		p->identity[0] = '\0';
	}
	p->size = (uint64_t)st.st_size;
	return 1;
}

static void pending_retry(struct tsite *ts);

/* How often at most a pending log that keeps growing is tried again. */
#define PENDING_RETRY_MS 5000

/*
 * A pending file of the site called NAME grew (IN_MODIFY): its size is
 * looked at again, so that a truncation is seen and status shows its lag;
 * and, at most every PENDING_RETRY_MS, whether it can be opened now is
 * tried (a permission granted without any event in its folder: an ACL on
 * the file alone, a security policy).  0 when no pending file has NAME.
 */
static int pending_grew(struct tsite *ts, const char *name)
{
	int found = 0;

	for (struct tpending *p = ts->pending; p != NULL; p = p->next) {
		const char *base = strrchr(p->path, '/');
		if (base == NULL || strcmp(base + 1, name) != 0) {
			continue;
		}
		found = 1;
		pending_look(ts, p);
	}
	if (found && loop_now_ms() - ts->pending_tried_ms >= PENDING_RETRY_MS) {
		pending_retry(ts);
		tsite_read(ts);
	}
	return found;
}

/*
 * Tries the pending files again: each that can be opened now is followed
 * from its offset; one renamed (rotated) is followed where it is now,
 * until idle if that is no path of the patterns; one that is gone is
 * forgotten, and what was written to it past its offset counted as lost.
 * The rest stay pending, logged once.
 */
static void pending_retry(struct tsite *ts)
{
	struct tpending **pp = &ts->pending;

	ts->pending_tried_ms = loop_now_ms();

	while (*pp != NULL) {
		struct tpending *p = *pp;
		struct tfile *tf;
		int err;

		if (!pending_look(ts, p) && !pending_moved(p)) {
			pending_lost(ts, p, "is gone", NULL);
			*pp = p->next;
			pending_free(p);
			continue;
		}
		tf = pending_open(ts, p, &err);
		if (tf == NULL) {
			if (err != 0) {
				pending_warn(ts, p, err);
			}
			pp = &p->next;
			continue;
		}
		tf->seen = 1;
		if (!matches_pattern(ts, tf->path)) {
			tfile_rotated(ts, tf);
		}
		*pp = p->next;
		pending_free(p);
	}
}

/*
 * Opens PATH at OFFSET (or its end when AT_END) as a new file of the site.
 * A file there that cannot be opened becomes pending (pending_add()).
 */
static struct tfile *open_path(struct tsite *ts, const char *path, uint64_t offset, int at_end)
{
	struct stat st;
	int fd;

	if (!name_usable(ts, path)) {
		return NULL;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		int err = errno;
		if (err != ENOENT && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			pending_add(ts, path, &st, at_end ? (uint64_t)st.st_size : offset, "", err);
		} else if (err != ENOENT) {
			note_open(ts, path, err, NULL);
		}
		return NULL;
	}
	note_open(ts, path, 0, NULL);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return NULL;
	}
	if (at_end) {
		/* A file without a complete first line yet (a line being
		 * written) begins at 0: there is nothing before it to skip, and
		 * its entry keeps a readable meaning ("-" with an offset is a
		 * file that could not be opened: resume_unread()). */
		char first[65];
		offset = file_identity(fd, first) ? (uint64_t)st.st_size : 0;
	}
	return tfile_open(ts, path, fd, &st, offset);
}

/*
 * PATH, a match of the site's patterns, could not be looked at (stat()
 * failed, errno says why).  A symlink into a folder the agent's user may
 * not enter is said once, as a file that cannot be opened; one whose
 * target does not exist (yet) is not a log yet.
 */
static void unseen(struct tsite *ts, const char *path)
{
	if (out_of_reach() && find_pending_path(ts, path) != NULL) {
		return; /* a checkpointed file, waited for (resume_unreachable()) */
	}
	if (errno != ENOENT && errno != ENOTDIR) {
		/* No folder the agent watches changes when access is granted. */
		note_open(ts, path, errno,
			  "it is opened at the next reload (systemctl reload pintail), and read from its "
			  "beginning");
	}
}

/*
 * 1 when active file TF, which the patterns' glob() did not list, is at its
 * path still, or may be: glob() lists nothing of a folder it cannot read
 * (made 0700 meanwhile, or no descriptor left), and taking the file for
 * rotated away would drop it once idle, then read it again from its
 * beginning when the folder can be read again.  Out of reach, it is read
 * on through the descriptor held, and said once.
 */
static int still_there(struct tsite *ts, struct tfile *tf)
{
	struct stat st;

	if (!matches_pattern(ts, tf->path)) {
		return 0;
	}
	if (stat(tf->path, &st) == 0) {
		return S_ISREG(st.st_mode) && st.st_dev == tf->dev && st.st_ino == tf->ino;
	}
	if (!out_of_reach()) {
		return 0;
	}
	if (!tf->out_of_reach) {
		tf->out_of_reach = 1;
		log_warn("site %s: %s: %s: a folder on its way may not be entered now; it is read on, but "
			 "a rotation there goes unseen until it may be", ts->conf.name, tf->path, strerror(errno));
	}
	return 1;
}

/*
 * Brings the site's files in line with what is on disk: new files of the
 * patterns are opened from their beginning, a path that holds another file
 * now means rotation, a file that shrank was truncated.
 */
static void reconcile(struct tsite *ts)
{
	for (struct tfile *tf = ts->files; tf != NULL; tf = tf->next) {
		tf->seen = 0;
	}
	pending_retry(ts);
	for (size_t i = 0; ts->patterns[i] != NULL; i++) {
		glob_t g;
		if (glob(ts->patterns[i], 0, NULL, &g) != 0) {
			continue;
		}
		for (size_t j = 0; j < g.gl_pathc; j++) {
			const char *path = g.gl_pathv[j];
			struct tfile *tf = find_active(ts, path), *same;
			struct stat st;
			if (stat(path, &st) < 0) {
				unseen(ts, path);
				continue;
			}
			if (!S_ISREG(st.st_mode)) {
				continue;
			}
			if (tf != NULL && tf->dev == st.st_dev && tf->ino == st.st_ino) {
				struct tfile *succ;
				tf->seen = 1;
				if (tf->out_of_reach) {
					tf->out_of_reach = 0;
					log_info("site %s: %s can be looked at again", ts->conf.name, path);
				}
				/* Read by tsite_read() after this; the new entry
				 * of a copytruncate is marked seen. */
				tfile_check(ts, tf, &succ);
				continue;
			}
			if (tf != NULL) {
				tfile_rotated(ts, tf); /* its path holds a successor now */
			}
			same = find_by_inode(ts, st.st_dev, st.st_ino);
			if (same != NULL) {
				/* Renamed to another path of the patterns. */
				free(same->path);
				same->path = strdup(path);
				same->state = TF_ACTIVE;
				same->seen = 1;
				continue;
			}
			if (find_pending(ts, st.st_dev, st.st_ino) != NULL) {
				continue; /* still cannot be opened (pending_retry()) */
			}
			tf = open_path(ts, path, 0, 0);
			if (tf != NULL) {
				tf->seen = 1;
				log_info("site %s: following %s (new file, from its beginning)", ts->conf.name, path);
			}
		}
		globfree(&g);
	}
	for (struct tfile *tf = ts->files; tf != NULL; tf = tf->next) {
		if (tf->state == TF_ACTIVE && !tf->seen && !still_there(ts, tf)) {
			tfile_rotated(ts, tf);
		}
	}
	watch_site(ts);
}

/* ---- starting a site ---- */

/*
 * Looks in the folder of PATH for a regular file whose identity is
 * IDENTITY: the file a checkpoint entry names, wherever rotation moved it
 * while the agent was stopped.  The inode DEV/INO, or, when MOVED, any
 * other file.  A file the site follows already, or keeps pending, is
 * another entry's: two entries never follow one file (identical first
 * lines: a log made anew like the one it replaced).
 */
static int find_by_identity(struct tsite *ts, const char *path, dev_t dev, ino_t ino,
			    const char *identity, int moved, char *found, size_t len)
{
	char *dir = path_dir(path);
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *de;
	int result = 0;

	while (d != NULL && !result && (de = readdir(d)) != NULL) {
		char p[PATH_MAX], ident[65];
		struct stat st;
		int fd;
		if (de->d_name[0] == '.' || snprintf(p, sizeof p, "%s/%s", dir, de->d_name) >= (int)sizeof p ||
		    stat(p, &st) < 0 || !S_ISREG(st.st_mode) ||
		    (st.st_dev == dev && st.st_ino == ino) == moved ||
		    find_by_inode(ts, st.st_dev, st.st_ino) != NULL ||
		    find_pending(ts, st.st_dev, st.st_ino) != NULL) {
			continue;
		}
		fd = open(p, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0) {
			continue;
		}
		if (file_identity(fd, ident) && strcmp(ident, identity) == 0) {
			snprintf(found, len, "%s", p);
			result = 1;
		}
		close(fd);
	}
	if (d != NULL) {
		closedir(d);
	}
	free(dir);
	return result;
}

/* 1 when PATH matches one of the site's patterns. */
static int matches_pattern(const struct tsite *ts, const char *path)
{
	for (size_t i = 0; ts->patterns[i] != NULL; i++) {
		if (fnmatch(ts->patterns[i], path, FNM_PATHNAME) == 0) {
			return 1;
		}
	}
	return 0;
}

/*
 * Where checkpoint entry E's file is now: its path, or, rotated while the
 * agent was stopped, the name beside it that holds its inode (then read
 * where it is, as a rotated file).  1 with WHERE and *ST set, else 0.
 */
static int entry_file(const struct ckpt_entry *e, char where[PATH_MAX], struct stat *st)
{
	if (same_inode_at(e->path, e->dev, e->ino, st)) {
		snprintf(where, PATH_MAX, "%s", e->path);
		return 1;
	}
	return find_inode_beside(e->path, e->dev, e->ino, where, PATH_MAX, st);
}

/* Says, before it is made pending, that entry E's file moved to WHERE. */
static void note_moved(struct tsite *ts, const struct ckpt_entry *e, const char *where)
{
	if (strcmp(where, e->path) != 0) {
		log_info("site %s: %s was rotated to %s while the agent was stopped", ts->conf.name, e->path,
			 where);
	}
}

static int resume_unreachable(struct tsite *ts, const struct ckpt_entry *e);

/*
 * Resumes an entry without identity: a file of which no line was read yet
 * (it had no complete line, or could not be opened).  While its path holds
 * the same inode, it begins at the entry's offset (its size at the site's
 * first start, with read_from = end), or at 0 if it is shorter now; it is
 * made pending here and opened by pending_retry().  Otherwise the file at
 * the path is a new one, read from 0.
 */
static void resume_unread(struct tsite *ts, const struct ckpt_entry *e)
{
	char where[PATH_MAX];
	struct stat st;

	if (e->offset > 0 && entry_file(e, where, &st)) {
		note_moved(ts, e, where);
		pending_add(ts, where, &st, e->offset, "", 0);
	} else if (e->offset > 0) {
		resume_unreachable(ts, e);
	}
}

/*
 * Checkpoint entry E's file cannot be looked at: a folder on the way to
 * its path may not be entered (permissions changed while the agent was
 * stopped, a symlink's target moved behind one).  It may be there still:
 * it is pending, from its checkpoint, known by its saved inode, rather
 * than taken as gone (and read again from its beginning once it can be
 * reached).  1 when so, else 0.
 */
static int resume_unreachable(struct tsite *ts, const struct ckpt_entry *e)
{
	struct stat st;
	int err;

	if (stat(e->path, &st) == 0 || !out_of_reach()) {
		return 0;
	}
	err = errno;
	memset(&st, 0, sizeof st);
	st.st_dev = e->dev;
	st.st_ino = e->ino;
	st.st_size = (off_t)e->offset; /* its size now is unknown */
	pending_add(ts, e->path, &st, e->offset, e->identity, err);
	return 1;
}

/*
 * A checkpointed file that its identity could not find: 1 when it is at
 * its path still but cannot be opened (then it is pending, from its
 * checkpoint), else 0.
 */
static int resume_unopenable(struct tsite *ts, const struct ckpt_entry *e)
{
	char where[PATH_MAX];
	struct stat st;
	int fd, err;

	if (!entry_file(e, where, &st)) {
		return 0;
	}
	fd = open(where, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	err = errno;
	note_moved(ts, e, where);
	pending_add(ts, where, &st, e->offset, e->identity, err);
	return 1;
}

/*
 * Resumes one checkpointed file, wherever it is now.  In the first ROUND,
 * only where its inode still is: 1 when it is not there (or holds another
 * first line now), to be tried again in the second round, after every
 * entry had its own inode, against the other files beside with its first
 * line.
 */
static int resume_entry(struct tsite *ts, const struct ckpt_entry *e, int round)
{
	char found[PATH_MAX];
	struct tfile *tf, *succ;

	if (!e->identity[0]) {
		if (round == 0) {
			resume_unread(ts, e);
		}
		return 0;
	}
	if (!find_by_identity(ts, e->path, e->dev, e->ino, e->identity, round, found, sizeof found)) {
		if (round == 0) {
			return 1;
		}
		if (resume_unopenable(ts, e) || resume_unreachable(ts, e)) {
			return 0;
		}
		log_warn("site %s: %s (read up to offset %llu) is gone and no file beside it has its "
			 "first line: what it held past that offset, if anything, was never read and is lost",
			 ts->conf.name, e->path, (unsigned long long)e->offset);
		ts->lost++;
		return 0;
	}
	tf = open_path(ts, found, e->offset, 0);
	if (tf == NULL) {
		return 0;
	}
	if (strcmp(found, e->path) != 0) {
		log_info("site %s: %s was rotated to %s while the agent was stopped; reading it to its end",
			 ts->conf.name, e->path, found);
	} else if (!matches_pattern(ts, found)) {
		/* Saved as rotated already: say, the copy of a copytruncate. */
		log_info("site %s: %s (rotated) is read to its end", ts->conf.name, found);
	}
	if (strcmp(found, e->path) != 0 || !matches_pattern(ts, found)) {
		free(tf->path);
		tf->path = strdup(found);
		tfile_rotated(ts, tf);
	}
	/* Truncated while the agent was stopped (copytruncate), its first
	 * line written again alike: shorter than the offset. */
	tfile_check(ts, tf, &succ);
	return 0;
}

struct tsite *tailer_add_site(struct tailer *t, const struct tsite_conf *conf,
			      const struct ckpt_list *ck)
{
	struct tsite *ts = calloc(1, sizeof *ts);
	size_t n = 0;

	if (ts == NULL) {
		return NULL;
	}
	ts->t = t;
	ts->conf = *conf;
	while (conf->patterns[n] != NULL) {
		n++;
	}
	ts->patterns = calloc(n + 1, sizeof *ts->patterns);
	ts->rotate_timer = loop_timer_new(t->loop, rotate_tick, ts);
	if (ts->patterns == NULL || ts->rotate_timer == NULL) {
		free(ts->patterns);
		loop_timer_free(ts->rotate_timer);
		free(ts);
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		ts->patterns[i] = strdup(conf->patterns[i]);
	}
	ts->conf.patterns = ts->patterns;
	/* The configuration may be replaced by a reload: keep our own name. */
	ts->conf.name = ts->name = strdup(conf->name);
	if (ck != NULL) {
		/* Each entry's own inode first, then what rotation moved. */
		unsigned char *later = calloc(ck->n + 1, 1);
		for (size_t i = 0; i < ck->n; i++) {
			if (!resume_entry(ts, &ck->e[i], 0)) {
				continue;
			}
			if (later != NULL) {
				later[i] = 1;
			} else {
				resume_entry(ts, &ck->e[i], 1); /* no memory: at once */
			}
		}
		for (size_t i = 0; later != NULL && i < ck->n; i++) {
			if (later[i]) {
				resume_entry(ts, &ck->e[i], 1);
			}
		}
		free(later);
		/* Those that no line of was read yet, and those that cannot
		 * be opened. */
		pending_retry(ts);
	}
	/* Files of the patterns not resumed above. */
	for (size_t i = 0; ts->patterns[i] != NULL; i++) {
		glob_t g;
		if (glob(ts->patterns[i], 0, NULL, &g) != 0) {
			continue;
		}
		for (size_t j = 0; j < g.gl_pathc; j++) {
			struct stat st;
			if (stat(g.gl_pathv[j], &st) < 0) {
				unseen(ts, g.gl_pathv[j]);
				continue;
			}
			if (!S_ISREG(st.st_mode) || find_by_inode(ts, st.st_dev, st.st_ino) != NULL ||
			    find_pending(ts, st.st_dev, st.st_ino) != NULL) {
				continue;
			}
			/* read_from concerns only the files of the very first start;
			 * one that cannot be opened now keeps its place as pending. */
			open_path(ts, g.gl_pathv[j], 0, ck == NULL && conf->read_from_end);
		}
		globfree(&g);
	}
	watch_site(ts);
	ts->next = t->sites;
	t->sites = ts;
	return ts;
}

void tailer_remove_site(struct tailer *t, struct tsite *ts)
{
	for (struct tsite **p = &t->sites; *p != NULL; p = &(*p)->next) {
		if (*p == ts) {
			*p = ts->next;
			break;
		}
	}
	while (ts->files != NULL) {
		tfile_remove(ts, ts->files);
	}
	while (ts->pending != NULL) {
		struct tpending *p = ts->pending;
		ts->pending = p->next;
		pending_free(p);
	}
	for (size_t i = 0; ts->patterns[i] != NULL; i++) {
		free(ts->patterns[i]);
	}
	free(ts->patterns);
	/* The folders no other site needs are watched no more: a watch kept
	 * would count against fs.inotify.max_user_watches for ever, and wake
	 * the agent for nothing. */
	for (size_t i = 0; i < t->nwatches;) {
		if (dir_needed(t, t->watches[i].dir)) {
			i++;
			continue;
		}
		if (t->watches[i].wd >= 0) {
			inotify_rm_watch(t->ifd, t->watches[i].wd);
		}
		watch_drop(t, i);
	}
	words_free(ts->unopened);
	free(ts->name);
	loop_timer_free(ts->rotate_timer);
	free(ts);
}

/* ---- reading, pausing, checkpoints ---- */

void tsite_read(struct tsite *ts)
{
	for (struct tfile *tf = ts->files; tf != NULL && !ts->paused && !ts->failed; tf = tf->next) {
		tfile_read(ts, tf);
	}
}

void tsite_rescan(struct tsite *ts)
{
	int missing;

	/* What still cannot be opened is said again, once. */
	words_free(ts->unopened);
	ts->unopened = NULL;
	for (struct tpending *p = ts->pending; p != NULL; p = p->next) {
		p->warned = 0;
	}
	(void)rewatch_missing(ts->t, &missing); /* the timer still runs for the rest */
	reconcile(ts);
	tsite_read(ts);
}

void tsite_pause(struct tsite *ts, int paused) { ts->paused = paused; }

void tsite_mark_recovery(struct tsite *ts)
{
	for (struct tfile *tf = ts->files; tf != NULL; tf = tf->next) {
		struct stat st;
		tf->recover_to = fstat(tf->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	}
	/* A checkpointed file that cannot be opened yet is read again from
	 * its checkpoint once it can. */
	for (struct tpending *p = ts->pending; p != NULL; p = p->next) {
		p->recover = p->identity[0] != '\0';
	}
}

int tsite_recovered(const struct tsite *ts)
{
	for (const struct tfile *tf = ts->files; tf != NULL; tf = tf->next) {
		uint64_t at = linebuf_offset(&tf->lb);
		if (tf->done || at >= tf->recover_to || !tf->identity[0]) {
			continue; /* finished, past it, or nothing of it handed out ever */
		}
		/* Read up to RECOVER_TO with no complete line left: done, but
		 * for a rotated file, whose unterminated last line is handed
		 * out at the end of rotate_wait (and may have been before). */
		if (linebuf_read_end(&tf->lb) < tf->recover_to || linebuf_has_line(&tf->lb) ||
		    tf->state == TF_ROTATED) {
			return 0;
		}
	}
	for (const struct tpending *p = ts->pending; p != NULL; p = p->next) {
		if (p->recover) {
			return 0;
		}
	}
	return 1;
}

/*
 * 1 when TF is deleted (no name has it) and read to its end: its entry
 * could only say, at the next start, that it is gone and what it held past
 * its offset lost, when it held nothing more.  A writer that still has it
 * open may add lines after a stop; no one can read those.
 */
static int tfile_finished(const struct tfile *tf)
{
	struct stat st;

	return fstat(tf->fd, &st) == 0 && st.st_nlink == 0 &&
	       linebuf_offset(&tf->lb) >= (uint64_t)st.st_size;
}

void tsite_checkpoint(struct tsite *ts, struct buf *text)
{
	for (struct tfile *tf = ts->files; tf != NULL; tf = tf->next) {
		struct ckpt_entry e = {.dev = tf->dev, .ino = tf->ino, .path = tf->path};
		if (tf->done || tfile_finished(tf)) {
			continue;
		}
		e.offset = linebuf_offset(&tf->lb);
		memcpy(e.identity, tf->identity, sizeof e.identity);
		checkpoint_format(text, &e);
	}
	/* The files that cannot be opened yet keep their place: see
	 * resume_unread() and resume_unopenable(). */
	for (struct tpending *p = ts->pending; p != NULL; p = p->next) {
		struct ckpt_entry e = {.dev = p->dev, .ino = p->ino, .offset = p->offset, .path = p->path};
		memcpy(e.identity, p->identity, sizeof e.identity);
		checkpoint_format(text, &e);
	}
}

void tsite_saved(struct tsite *ts)
{
	struct tfile *tf = ts->files, *next;
	for (; tf != NULL; tf = next) {
		next = tf->next;
		tf->saved = linebuf_offset(&tf->lb);
		tf->reset_unsaved = 0;
		if (tf->done) {
			tfile_remove(ts, tf);
		}
	}
}

void tsite_rewind(struct tsite *ts)
{
	for (struct tfile *tf = ts->files; tf != NULL; tf = tf->next) {
		if (tf->reset_unsaved) {
			/* The lines handed out before tfile_restart() were
			 * never saved, and the file no longer has them. */
			log_warn("site %s: %s: the lines read from it before its truncation were not saved when "
				 "the state disk failed, and no copy of it has them: lost", ts->conf.name, tf->path);
			ts->lost++;
			tf->reset_unsaved = 0;
		}
		if (lseek(tf->fd, (off_t)tf->saved, SEEK_SET) < 0) {
			log_warn("seek %s: %s", tf->path, strerror(errno));
		}
		linebuf_reset(&tf->lb, tf->saved);
		tf->verified = tf->saved;
		tf->done = 0;
	}
	ts->failed = 0;
	ts->rewinds++;
}

uint64_t tsite_lost(const struct tsite *ts) { return ts->lost; }

void tsite_each_file(struct tsite *ts,
		     void (*fn)(void *ctx, const char *path, uint64_t ino, uint64_t offset, uint64_t size,
				int rotated, const char *error),
		     void *ctx)
{
	for (struct tfile *tf = ts->files; tf != NULL; tf = tf->next) {
		struct stat st;
		uint64_t size = fstat(tf->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
		char err[128];
		if (tf->read_err) {
			snprintf(err, sizeof err, TAILER_READ_FAILED "%s", strerror(tf->read_err));
		}
		fn(ctx, tf->path, (uint64_t)tf->ino, linebuf_offset(&tf->lb), size, tf->state == TF_ROTATED,
		   tf->read_err ? err : NULL);
	}
	/* The files waiting to be opened (pending), with why. */
	for (struct tpending *p = ts->pending; p != NULL; p = p->next) {
		fn(ctx, p->path, (uint64_t)p->ino, p->offset, p->size, 0,
		   p->err != 0 ? strerror(p->err) : "not opened yet");
	}
}

/* ---- inotify ---- */

static const char *watch_dir_of(const struct tailer *t, int wd)
{
	for (size_t i = 0; i < t->nwatches && wd >= 0; i++) {
		if (t->watches[i].wd == wd) {
			return t->watches[i].dir;
		}
	}
	return NULL;
}

/* 1 when DIR is the folder of one of the site's patterns. */
static int site_in_dir(const struct tsite *ts, const char *dir)
{
	size_t dl = strlen(dir);
	for (size_t i = 0; ts->patterns[i] != NULL; i++) {
		if (strncmp(ts->patterns[i], dir, dl) == 0 && ts->patterns[i][dl] == '/' &&
		    strchr(ts->patterns[i] + dl + 1, '/') == NULL) {
			return 1;
		}
	}
	return 0;
}

/* 1 when PATH is a symlink whose target lies in folder DIR. */
static int target_dir_is(const char *path, const char *dir)
{
	char *d = target_dir(path);
	int is = d != NULL && strcmp(d, dir) == 0;

	free(d);
	return is;
}

/*
 * 1 when folder DIR holds the target of one of the site's symlinks, a file
 * followed or pending (watch_site() watches such folders too).
 */
static int target_in_dir(const struct tsite *ts, const char *dir)
{
	for (const struct tfile *tf = ts->files; tf != NULL; tf = tf->next) {
		if (target_dir_is(tf->path, dir)) {
			return 1;
		}
	}
	for (const struct tpending *p = ts->pending; p != NULL; p = p->next) {
		if (target_dir_is(p->path, dir)) {
			return 1;
		}
	}
	return 0;
}

/* Reads the site's files called NAME (by path, or by a symlink's target). 1 if any. */
static int read_named(struct tsite *ts, const char *name)
{
	int found = 0;
	for (struct tfile *tf = ts->files; tf != NULL; tf = tf->next) {
		const char *base = strrchr(tf->path, '/');
		if ((base != NULL && strcmp(base + 1, name) == 0) ||
		    (tf->target != NULL && strcmp(tf->target, name) == 0)) {
			tfile_read(ts, tf);
			found = 1;
		}
	}
	return found;
}

static void on_event(struct tailer *t, const struct inotify_event *ev)
{
	const char *dir = watch_dir_of(t, ev->wd);
	char path[PATH_MAX];

	if (ev->mask & IN_IGNORED) {
		/* The kernel dropped the watch: the folder was deleted, moved
		 * away (below) or its file system unmounted.  (A descriptor
		 * replaced by rewatch_all() is no longer in the list.) */
		for (size_t i = 0; i < t->nwatches; i++) {
			if (t->watches[i].wd == ev->wd) {
				watch_lost(t, i);
				break;
			}
		}
		return;
	}
	if ((ev->mask & IN_MOVE_SELF) && dir != NULL) {
		/* The watch follows the folder, the configuration its path:
		 * let go of the folder, and look for one at the path again. */
		inotify_rm_watch(t->ifd, ev->wd);
	}

	if (dir != NULL && ev->len > 0) {
		snprintf(path, sizeof path, "%s/%s", dir, ev->name);
	}
	if ((ev->mask & IN_DELETE) && dir != NULL) {
		t->verify_watches = 1;
		rewatch_soon(t);
	}
	for (struct tsite *ts = t->sites; ts != NULL; ts = ts->next) {
		if (ev->mask & IN_Q_OVERFLOW) {
			reconcile(ts);
			tsite_read(ts);
			continue;
		}
		if (dir == NULL) {
			continue;
		}
		if ((ev->mask & IN_MODIFY) && ev->len > 0) {
			/* The common case: a followed file grew.  Another file of
			 * the folder (error.log beside access.log) is ignored,
			 * unless it matches a pattern: a file not followed yet.
			 * A pending file that grew is looked at (pending_grew()):
			 * a change of its permissions comes as IN_ATTRIB. */
			if (read_named(ts, ev->name) || pending_grew(ts, ev->name) || !site_in_dir(ts, dir) ||
			    !matches_pattern(ts, path)) {
				continue;
			}
		}
		reconcile(ts);
		tsite_read(ts);
	}
}

static void on_inotify(void *ctx, int fd, uint32_t events)
{
	struct tailer *t = ctx;
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	(void)events;
	for (;;) {
		n = read(fd, buf, sizeof buf);
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				log_err("read inotify: %s", strerror(errno));
			}
			return;
		}
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)(void *)p;
			if (ev->mask & IN_Q_OVERFLOW) {
				log_warn("inotify queue overflow: checking every folder and file again");
				rewatch_all(t);
			}
			on_event(t, ev);
			p += sizeof *ev + ev->len;
		}
	}
}

struct tailer *tailer_new(struct loop *loop)
{
	struct tailer *t = calloc(1, sizeof *t);

	if (t == NULL) {
		return NULL;
	}
	t->loop = loop;
	t->rewatch_timer = loop_timer_new(loop, rewatch_tick, t);
	if (t->rewatch_timer == NULL) {
		free(t);
		return NULL;
	}
	t->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (t->ifd < 0) {
		log_err("inotify_init1: %s", strerror(errno));
		loop_timer_free(t->rewatch_timer);
		free(t);
		return NULL;
	}
	if (loop_watch(loop, t->ifd, EPOLLIN, on_inotify, t) < 0) {
		close(t->ifd);
		loop_timer_free(t->rewatch_timer);
		free(t);
		return NULL;
	}
	return t;
}

void tailer_free(struct tailer *t)
{
	if (t == NULL) {
		return;
	}
	while (t->sites != NULL) {
		tailer_remove_site(t, t->sites);
	}
	for (size_t i = 0; i < t->nwatches; i++) {
		free(t->watches[i].dir);
	}
	free(t->watches);
	loop_timer_free(t->rewatch_timer);
	loop_unwatch(t->loop, t->ifd);
	close(t->ifd);
	free(t);
}
