#include "statedir.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int mkdir_p(const char *path, mode_t mode)
{
	char *copy = strdup(path);
	int result = 0;

	if (copy == NULL) {
		return -1;
	}
	for (char *p = copy + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(copy, mode) < 0 && errno != EEXIST) {
				result = -1;
				break;
			}
			*p = '/';
		}
	}
	if (result == 0 && mkdir(copy, mode) < 0 && errno != EEXIST) {
		result = -1;
	}
	free(copy);
	return result;
}

/* Logs a failure and returns -1 with errno still ERR (logging may change it). */
#define FAIL_WITH(err, ...)          \
	do {                         \
		int err_ = (err);    \
		log_err(__VA_ARGS__); \
		errno = err_;        \
		return -1;           \
	} while (0)

int statedir_prepare(const char *path)
{
	struct stat st;

	if (mkdir_p(path, 0750) < 0) {
		/* Read-only: most often pintail.service's sandbox, where only
		 * /var/lib/pintail may be written. */
		FAIL_WITH(errno, "state folder %s: cannot create it: %s%s", path, strerror(errno),
			  errno == EROFS ? " (under pintail.service only /var/lib/pintail is writable: "
					   "for another state_dir, add ReadWritePaths=FOLDER with "
					   "`systemctl edit pintail`)"
					 : "");
	}
	if (stat(path, &st) < 0) {
		FAIL_WITH(errno, "state folder %s: %s", path, strerror(errno));
	}
	if (!S_ISDIR(st.st_mode)) {
		FAIL_WITH(ENOTDIR, "state folder %s is not a folder", path);
	}
	if (st.st_uid != geteuid()) {
		struct passwd *pw = getpwuid(st.st_uid);
		char uid[32];
		const char *who = pw ? pw->pw_name : uid;
		snprintf(uid, sizeof uid, "%u", (unsigned)st.st_uid);
		FAIL_WITH(EPERM,
			  "state folder %s belongs to user %s: run pintail as %s (runuser -u %s -- "
			  "pintail run), so that it never leaves files that user "
			  "cannot write",
			  path, who, who, who);
	}
	return 0;
}

int statedir_setup_problem(int err)
{
	return err == EACCES || err == EPERM || err == ENOTDIR || err == EROFS;
}

int statedir_lock(const char *path)
{
	char file[4096], buf[32];
	int fd;
	ssize_t n;

	snprintf(file, sizeof file, "%s/pintail.lock", path);
	fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		FAIL_WITH(errno, "open %s: %s", file, strerror(errno));
	}
	/*
	 * `pintail status` tests the lock by holding it shared for an instant
	 * (flock has no test-only call).  Refusing then would leave the
	 * service failed for good (exit 1 is not restarted), so a holder is
	 * given a second to let go before it is taken for another agent.
	 */
	for (int tries = 0; flock(fd, LOCK_EX | LOCK_NB) < 0; tries++) {
		if (errno == EWOULDBLOCK && tries < 20) {
			nanosleep(&(struct timespec){.tv_nsec = 50 * 1000 * 1000}, NULL);
			continue;
		}
		n = pread(fd, buf, sizeof buf - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		close(fd);
		FAIL_WITH(EWOULDBLOCK, "another pintail (pid %s) is running on the state folder %s (lock %s)",
			  buf[0] ? buf : "unknown", path, file);
	}
	n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n) {
		log_warn("write %s: %s", file, strerror(errno));
	}
	return fd;
}

int statedir_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int result;
	if (fd < 0) {
		return -1;
	}
	result = fsync(fd);
	close(fd);
	return result;
}

int statedir_mkdir(const char *dir, unsigned mode)
{
	if (mkdir(dir, (mode_t)mode) < 0 && errno != EEXIST) {
		log_err("mkdir %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

int statedir_replace(const char *dir, const char *name, const void *data, size_t len,
		     const char **step)
{
	char tmp[4096], dst[4096];
	const char *s = "open";
	int fd, saved;
	size_t off = 0;

	snprintf(tmp, sizeof tmp, "%s/.%s.tmp", dir, name);
	snprintf(dst, sizeof dst, "%s/%s", dir, name);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		goto fail;
	}
	s = "write";
	while (off < len) {
		ssize_t n = write(fd, (const char *)data + off, len - off);
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			goto fail_fd;
		}
		off += (size_t)n;
	}
	s = "fsync";
	if (fsync(fd) < 0) {
		goto fail_fd;
	}
	s = "close";
	if (close(fd) < 0) {
		fd = -1;
		goto fail_fd;
	}
	s = "rename";
	if (rename(tmp, dst) < 0) {
		fd = -1;
		goto fail_fd;
	}
	s = "fsync of the folder";
	if (statedir_sync_dir(dir) < 0) {
		goto fail;
	}
	return 0;
fail_fd:
	saved = errno;
	if (fd >= 0) {
		close(fd);
	}
	unlink(tmp);
	errno = saved;
fail:
	if (step != NULL) {
		*step = s;
	}
	return -1;
}
