#include "linebuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int linebuf_init(struct linebuf *lb, size_t max_line, size_t chunk, uint64_t off)
{
	memset(lb, 0, sizeof *lb);
	lb->cap = max_line + 1 + chunk;
	lb->buf = malloc(lb->cap);
	lb->max_line = max_line;
	lb->off = off;
	return lb->buf ? 0 : -1;
}

void linebuf_reset(struct linebuf *lb, uint64_t off)
{
	lb->start = lb->end = 0;
	lb->off = off;
	lb->skipping = 0;
	lb->bs = lb->bs_end = 0;
}

void linebuf_free(struct linebuf *lb)
{
	free(lb->buf);
	lb->buf = NULL;
}

ssize_t linebuf_read(struct linebuf *lb, int fd)
{
	ssize_t n;

	/* Move the held partial line to the front to make room. */
	if (lb->start > 0) {
		if (lb->bs < lb->start) {
			lb->bs = lb->bs_end = 0; /* the backslash known was handed out */
		} else {
			lb->bs -= lb->start;
			lb->bs_end -= lb->start;
		}
		memmove(lb->buf, lb->buf + lb->start, lb->end - lb->start);
		lb->off += lb->start;
		lb->end -= lb->start;
		lb->start = 0;
	}
	do {
		n = read(fd, lb->buf + lb->end, lb->cap - lb->end);
	} while (n < 0 && errno == EINTR);
	if (n > 0) {
		lb->end += (size_t)n;
	}
	return n;
}

/*
 * Whether buf[from, to) holds a backslash, FROM being where the next line
 * starts.  Searches on from where the last search ended, to the end of
 * what was read, so that each byte is searched once.
 */
static int has_backslash(struct linebuf *lb, size_t from, size_t to)
{
	if (lb->bs < from) {
		lb->bs = lb->bs_end = from; /* what was known lies before */
	}
	if (lb->bs == lb->bs_end && lb->bs_end < to) {
		const char *p = memchr(lb->buf + lb->bs_end, '\\', lb->end - lb->bs_end);
		lb->bs = p != NULL ? (size_t)(p - lb->buf) : lb->end;
		lb->bs_end = lb->end;
	}
	return lb->bs < to;
}

enum lb_result linebuf_next(struct linebuf *lb, struct lb_line *out)
{
	char *nl;
	size_t avail = lb->end - lb->start;

	nl = memchr(lb->buf + lb->start, '\n', avail);
	if (lb->skipping) {
		/* Drop the rest of a long line, up to its newline. */
		if (nl == NULL) {
			lb->start = lb->end;
			return LB_NEED_MORE;
		}
		lb->start = (size_t)(nl - lb->buf) + 1;
		lb->skipping = 0;
		return linebuf_next(lb, out);
	}
	out->off = lb->off + lb->start;
	if (nl == NULL) {
		if (avail > lb->max_line) {
			lb->skipping = 1;
			lb->skip_from = out->off;
			lb->start = lb->end;
			out->backslash = 1; /* not searched: the line is not handed out */
			return LB_TOO_LONG;
		}
		return LB_NEED_MORE;
	}
	out->p = lb->buf + lb->start;
	out->n = (size_t)(nl - out->p);
	out->backslash = has_backslash(lb, lb->start, lb->start + out->n);
	lb->start += out->n + 1;
	if (out->n > lb->max_line) {
		return LB_TOO_LONG;
	}
	return LB_LINE;
}

int linebuf_rest(struct linebuf *lb, struct lb_line *out)
{
	if (lb->skipping || lb->end == lb->start) {
		lb->skipping = 0;
		lb->start = lb->end;
		return 0;
	}
	out->p = lb->buf + lb->start;
	out->n = lb->end - lb->start;
	out->off = lb->off + lb->start;
	out->backslash = has_backslash(lb, lb->start, lb->end);
	lb->start = lb->end;
	return 1;
}

uint64_t linebuf_offset(const struct linebuf *lb)
{
	return lb->skipping ? lb->skip_from : lb->off + lb->start;
}

uint64_t linebuf_read_end(const struct linebuf *lb) { return lb->off + lb->end; }

int linebuf_has_line(const struct linebuf *lb)
{
	return lb->end > lb->start && memchr(lb->buf + lb->start, '\n', lb->end - lb->start) != NULL;
}
