#include "jlog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "log.h"

struct jlog {
	char *path;
	int fd;
	uint64_t size;
	uint64_t max;
	int failing; /* a write failed: logged once until one works again */
	int rotate_failing; /* the same for rotation */
};

static int jlog_reopen(struct jlog *j)
{
	struct stat st;
	if (j->fd >= 0) {
		close(j->fd);
	}
	j->fd = open(j->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (j->fd < 0) {
		return -1;
	}
	j->size = fstat(j->fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	return 0;
}

struct jlog *jlog_open(const char *path, uint64_t max)
{
	struct jlog *j = calloc(1, sizeof *j);
	if (j == NULL) {
		return NULL;
	}
	j->fd = -1;
	j->max = max;
	j->path = strdup(path);
	if (j->path == NULL) {
		jlog_close(j);
		return NULL;
	}
	if (jlog_reopen(j) < 0) {
		/* Tried again at each line (jlog_write()): a log that could not
		 * be opened at the start (no descriptor left, an I/O error) is
		 * not given up for the agent's life. */
		log_err("open %s: %s; tried again at its next line", path, strerror(errno));
		j->failing = 1;
	}
	return j;
}

void jlog_close(struct jlog *j)
{
	if (j == NULL) {
		return;
	}
	if (j->fd >= 0) {
		close(j->fd);
	}
	free(j->path);
	free(j);
}

void jlog_write(struct jlog *j, const char *line, size_t n)
{
	struct iovec iov[2] = {{(void *)(uintptr_t)line, n}, {(void *)(uintptr_t)"\n", 1}};
	ssize_t w;

	if (j == NULL) {
		return;
	}
	if (j->fd < 0) {
		/* An earlier reopen failed (the folder was full or gone): try
		 * again, rather than rotating a file that is not open. */
		jlog_reopen(j);
	} else if (j->size + n + 1 > j->max && j->size > 0) {
		char old[4096];
		snprintf(old, sizeof old, "%s.1", j->path);
		if (rename(j->path, old) < 0 || jlog_reopen(j) < 0) {
			if (!j->rotate_failing) {
				log_warn("rotate %s: %s", j->path, strerror(errno));
			}
			j->rotate_failing = 1;
		} else {
			j->rotate_failing = 0;
		}
	}
	/* One writev: a line is never torn by another writer's line. */
	w = j->fd >= 0 ? writev(j->fd, iov, 2) : -1;
	if (w < 0) {
		if (!j->failing) {
			log_warn("write %s: %s", j->path, strerror(errno));
		}
		j->failing = 1;
		return;
	}
	j->failing = 0;
	j->size += (uint64_t)w;
}
