/*
 * faultinj.so — makes chosen calls of the agent fail, for the tests of its
 * state-disk and log error paths (LD_PRELOAD; tests/answers/test_state_faults.sh).
 *
 * PINTAIL_FAULTS="RULE;RULE;..."   each RULE: CALL,SUFFIX,WHAT,NTH,COUNT[,ARG]
 *   CALL    open (open, openat, their 64 and _2 forms), fopen, read, pread,
 *           pwrite, ftruncate, fdatasync; with a '@' after it (read@), the
 *           rule counts calls only while PINTAIL_FAULTS_ARM's file exists
 *   SUFFIX  the rule applies to paths ending so (for calls on a descriptor,
 *           the path /proc/self/fd names)
 *   WHAT    EIO, EMFILE: the call fails so, without being made;
 *           shorteio: a read or pread reads ARG bytes at most, and the next
 *                     call the rule applies to fails with EIO;
 *           crashafter: the call is made, then the process is killed (-9)
 *   NTH     the rule's NTH call (from 1) is the first it affects...
 *   COUNT   ...and it affects COUNT calls
 * PINTAIL_FAULTS_ARM=FILE   the file that arms the rules of CALL@.
 * PINTAIL_FAULTS_LOG=FILE   a line per call affected.
 *
 * Only for tests: it reads /proc for each call on a descriptor while a rule
 * names that call.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#define MAX_RULES 8

enum what { W_ERRNO, W_SHORT_EIO, W_CRASH_AFTER };

struct rule {
	char call[16];
	char suffix[256];
	enum what what;
	int armed; /* counts only while the arming file exists */
	int err;
	long nth, count, arg;
	long seen;
	int eio_next; /* shorteio: the next call fails */
};

static struct rule rules[MAX_RULES];
static int nrules = -1;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void parse_rules(void)
{
	const char *env = getenv("PINTAIL_FAULTS");
	char *copy, *save = NULL;

	nrules = 0;
	if (env == NULL || (copy = strdup(env)) == NULL) {
		return;
	}
	for (char *tok = strtok_r(copy, ";", &save); tok != NULL && nrules < MAX_RULES;
	     tok = strtok_r(NULL, ";", &save)) {
		char *f[6] = {0}, *s2 = NULL;
		int k = 0;
		for (char *p = strtok_r(tok, ",", &s2); p != NULL && k < 6; p = strtok_r(NULL, ",", &s2)) {
			f[k++] = p;
		}
		if (k < 5) {
			continue;
		}
		struct rule *r = &rules[nrules++];
		size_t cl = strlen(f[0]);
		r->armed = cl > 0 && f[0][cl - 1] == '@';
		snprintf(r->call, sizeof r->call, "%.*s", (int)(cl - (size_t)r->armed), f[0]);
		snprintf(r->suffix, sizeof r->suffix, "%s", f[1]);
		r->what = strcmp(f[2], "shorteio") == 0     ? W_SHORT_EIO
			  : strcmp(f[2], "crashafter") == 0 ? W_CRASH_AFTER
							    : W_ERRNO;
		r->err = strcmp(f[2], "EMFILE") == 0 ? EMFILE : EIO;
		r->nth = atol(f[3]);
		r->count = atol(f[4]);
		r->arg = f[5] != NULL ? atol(f[5]) : 0;
	}
	free(copy);
}

static void note(const char *call, const char *path, long n)
{
	const char *file = getenv("PINTAIL_FAULTS_LOG");
	char line[4400];
	int len, fd;

	if (file == NULL) {
		return;
	}
	len = snprintf(line, sizeof line, "faultinj: pid %d: %s %s: call %ld affected\n", (int)getpid(), call,
		       path, n);
	fd = (int)syscall(SYS_openat, AT_FDCWD, file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		if (syscall(SYS_write, fd, line, (size_t)len) < 0) {
			/* nothing to do */
		}
		syscall(SYS_close, fd);
	}
}

static int names(const char *call)
{
	if (nrules < 0) {
		pthread_mutex_lock(&lock);
		if (nrules < 0) {
			parse_rules();
		}
		pthread_mutex_unlock(&lock);
	}
	for (int i = 0; i < nrules; i++) {
		if (strcmp(rules[i].call, call) == 0) {
			return 1;
		}
	}
	return 0;
}

/* The rule that affects this call of CALL on PATH, or NULL. */
static struct rule *affected(const char *call, const char *path)
{
	const char *arm = getenv("PINTAIL_FAULTS_ARM");
	int armed = arm != NULL && access(arm, F_OK) == 0;
	struct rule *found = NULL;
	size_t pl = strlen(path);

	pthread_mutex_lock(&lock);
	for (int i = 0; i < nrules && found == NULL; i++) {
		struct rule *r = &rules[i];
		size_t sl = strlen(r->suffix);
		if (strcmp(r->call, call) != 0 || pl < sl || strcmp(path + pl - sl, r->suffix) != 0 ||
		    (r->armed && !armed)) {
			continue;
		}
		r->seen++;
		if (r->eio_next || (r->seen >= r->nth && r->seen < r->nth + r->count)) {
			found = r;
			note(call, path, r->seen);
		}
	}
	pthread_mutex_unlock(&lock);
	return found;
}

static struct rule *fd_affected(const char *call, int fd)
{
	char link[64], path[4096];
	ssize_t n;

	if (fd < 0 || !names(call)) {
		return NULL;
	}
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof path - 1);
	if (n <= 0) {
		return NULL;
	}
	path[n] = '\0';
	return affected(call, path);
}

/* 1 when the call is to fail now (errno set), without being made. */
static int fails(struct rule *r)
{
	if (r == NULL) {
		return 0;
	}
	if (r->eio_next) {
		r->eio_next = 0;
		errno = EIO;
		return 1;
	}
	if (r->what == W_ERRNO) {
		errno = r->err;
		return 1;
	}
	return 0;
}

/* After the call: a crash, or the next call's failure. */
static void after(struct rule *r)
{
	if (r != NULL && r->what == W_CRASH_AFTER) {
		kill(getpid(), SIGKILL);
		for (;;) {
			pause();
		}
	}
	if (r != NULL && r->what == W_SHORT_EIO) {
		r->eio_next = 1;
	}
}

static size_t length(const struct rule *r, size_t n)
{
	return r != NULL && r->what == W_SHORT_EIO && (size_t)r->arg < n ? (size_t)r->arg : n;
}

#define REAL(name)                                                                                 \
	static __typeof__(name) *real_##name;                                                      \
	if (real_##name == NULL) {                                                                 \
		real_##name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name);                         \
	}

static int open_at(int dir, const char *path, int flags, mode_t mode)
{
	struct rule *r = names("open") ? affected("open", path) : NULL;
	int fd;

	if (fails(r)) {
		return -1;
	}
	fd = (int)syscall(SYS_openat, dir, path, flags, mode);
	after(r);
	return fd;
}

#define MODE_ARG                                                                                   \
	mode_t mode = 0;                                                                           \
	if (flags & (O_CREAT | __O_TMPFILE)) {                                                     \
		va_list ap;                                                                        \
		va_start(ap, flags);                                                               \
		mode = va_arg(ap, mode_t);                                                         \
		va_end(ap);                                                                        \
	}

int open(const char *path, int flags, ...)
{
	MODE_ARG
	return open_at(AT_FDCWD, path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	MODE_ARG
	return open_at(AT_FDCWD, path, flags, mode);
}

int openat(int dir, const char *path, int flags, ...)
{
	MODE_ARG
	return open_at(dir, path, flags, mode);
}

int openat64(int dir, const char *path, int flags, ...)
{
	MODE_ARG
	return open_at(dir, path, flags, mode);
}

/* glibc's checked forms of open(), which it declares only under fortify. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);

int __open_2(const char *path, int flags) { return open_at(AT_FDCWD, path, flags, 0); }
int __open64_2(const char *path, int flags) { return open_at(AT_FDCWD, path, flags, 0); }

FILE *fopen(const char *path, const char *mode)
{
	REAL(fopen)
	struct rule *r = names("fopen") ? affected("fopen", path) : NULL;
	FILE *f;

	if (fails(r)) {
		return NULL;
	}
	f = real_fopen(path, mode);
	after(r);
	return f;
}

FILE *fopen64(const char *path, const char *mode) { return fopen(path, mode); }

ssize_t read(int fd, void *buf, size_t n)
{
	REAL(read)
	struct rule *r = fd > 2 ? fd_affected("read", fd) : NULL;
	ssize_t got;

	if (fails(r)) {
		return -1;
	}
	got = real_read(fd, buf, length(r, n));
	after(r);
	return got;
}

ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	REAL(pread)
	struct rule *r = fd_affected("pread", fd);
	ssize_t got;

	if (fails(r)) {
		return -1;
	}
	got = real_pread(fd, buf, length(r, n), off);
	after(r);
	return got;
}

ssize_t pread64(int fd, void *buf, size_t n, off_t off) { return pread(fd, buf, n, off); }

ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	REAL(pwrite)
	struct rule *r = fd_affected("pwrite", fd);
	ssize_t put;

	if (fails(r)) {
		return -1;
	}
	put = real_pwrite(fd, buf, n, off);
	after(r);
	return put;
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off) { return pwrite(fd, buf, n, off); }

int ftruncate(int fd, off_t len)
{
	REAL(ftruncate)
	struct rule *r = fd_affected("ftruncate", fd);
	int rc;

	if (fails(r)) {
		return -1;
	}
	rc = real_ftruncate(fd, len);
	after(r);
	return rc;
}

int ftruncate64(int fd, off_t len) { return ftruncate(fd, len); }

int fdatasync(int fd)
{
	REAL(fdatasync)
	struct rule *r = fd_affected("fdatasync", fd);
	int rc;

	if (fails(r)) {
		return -1;
	}
	rc = real_fdatasync(fd);
	after(r);
	return rc;
}
