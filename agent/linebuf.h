/*
 * linebuf — splitting a file or stream into lines, with their offsets.
 *
 * Reads in large chunks into one buffer allocated up front (max_line plus
 * the chunk), hands out lines that point into it, and skips lines longer
 * than max_line whole without ever holding them.  A last line without its
 * newline stays in the buffer until more arrives or the caller takes it.
 *
 * Each line also says whether it holds a backslash, the mark of an escape
 * the parser must decode.  Most logs have none: one memchr() over what a
 * read brought in answers for all of its lines, where asking line by line
 * would scan every byte a second time.
 */
#ifndef PINTAIL_LINEBUF_H
#define PINTAIL_LINEBUF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct linebuf {
	char *buf;
	size_t cap;
	size_t start;      /* first byte not handed out */
	size_t end;        /* end of the bytes read */
	uint64_t off;      /* file offset of buf[0] */
	size_t max_line;
	int skipping;      /* inside a line that is too long... */
	uint64_t skip_from; /* ...which begins at this file offset */
	/* No backslash lies between the next line's start and BS; BS is one,
	 * unless BS == BS_END, the end of what was searched. */
	size_t bs, bs_end;
};

struct lb_line {
	const char *p;     /* the line, without its newline */
	size_t n;
	uint64_t off;      /* its offset in the file */
	int backslash;     /* whether the line holds a '\\' */
};

enum lb_result { LB_NEED_MORE, LB_LINE, LB_TOO_LONG };

/*
 * Prepares LB for lines up to MAX_LINE bytes, reading CHUNK bytes at a
 * time, starting at file offset OFF.
 */
int linebuf_init(struct linebuf *lb, size_t max_line, size_t chunk, uint64_t off);

/* Forgets everything buffered and starts again at file offset OFF. */
void linebuf_reset(struct linebuf *lb, uint64_t off);
void linebuf_free(struct linebuf *lb);

/* Reads once from FD into the buffer: bytes read, 0 at end of file, -1 on error. */
ssize_t linebuf_read(struct linebuf *lb, int fd);

/*
 * The next complete line (LB_LINE), the notice that a too-long line was
 * skipped (LB_TOO_LONG, once per such line, with OUT->off its start), or
 * LB_NEED_MORE.  OUT is valid until the next read.
 */
enum lb_result linebuf_next(struct linebuf *lb, struct lb_line *out);

/* Takes the unterminated rest as a line (end of input).  1 if there was one. */
int linebuf_rest(struct linebuf *lb, struct lb_line *out);

/* Where reading resumes: the offset of the first byte not handed out, or,
 * inside a line too long that is being skipped, that line's start: a
 * checkpoint there skips it whole again after a restart, rather than take
 * its tail for a line. */
uint64_t linebuf_offset(const struct linebuf *lb);

/* The file offset just past the bytes read so far. */
uint64_t linebuf_read_end(const struct linebuf *lb);

/* 1 when a complete line is buffered and not handed out yet. */
int linebuf_has_line(const struct linebuf *lb);

#endif
