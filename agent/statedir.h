/*
 * statedir — the state folder: making it, checking who owns it, the lock
 * that allows one agent per folder, and durable file replacement.
 */
#ifndef PINTAIL_STATEDIR_H
#define PINTAIL_STATEDIR_H

#include <stddef.h>

/*
 * Makes PATH (and its parents) with mode 0750 when missing, and refuses a
 * folder owned by another user than the one running, naming the user to
 * run as.  Logs why on failure.  0, or -1 with errno set: see
 * statedir_setup_problem().
 */
int statedir_prepare(const char *path);

/*
 * 1 when ERR, from statedir_prepare() or statedir_lock(), is a problem of
 * the setup that only the operator can fix (another owner, no permission,
 * not a folder, a read-only file system: the service's sandbox); 0 when it
 * may pass by itself (another agent holding the lock, a full disk, an I/O
 * error), so that trying again is worth it.
 */
int statedir_setup_problem(int err);

/*
 * Takes the lock PATH/pintail.lock (flock, exclusive) for the life of the
 * process.  When another agent holds it, logs its pid and returns -1; a
 * holder that lets go within a second (`pintail status` testing it) is
 * waited for.  Returns the lock's file descriptor (kept open).
 */
int statedir_lock(const char *path);

/*
 * Replaces DIR/NAME durably with DATA: a temporary file in the same folder,
 * write, fsync, rename, fsync of the folder.  On failure returns -1 with
 * errno set and the old file intact; the step and file are logged once by
 * the caller (STEP, when not NULL, receives the failing step's name).
 */
int statedir_replace(const char *dir, const char *name, const void *data, size_t len,
		     const char **step);

/* Makes DIR (one level) with MODE when missing.  0 or -1 (logged). */
int statedir_mkdir(const char *dir, unsigned mode);

/* fsync of a folder, so that renames and new files in it are durable. */
int statedir_sync_dir(const char *dir);

#endif
