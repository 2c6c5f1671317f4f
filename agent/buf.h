/*
 * buf — a growable byte buffer with a hard cap.
 *
 * Appending past the cap fails with -1 and errno E2BIG ("too large"), and
 * leaves the buffer as it was; growing fails with ENOMEM.  A buffer that is
 * reset keeps its memory, so a reused buffer stops allocating once it has
 * grown to its working size.
 */
#ifndef PINTAIL_BUF_H
#define PINTAIL_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct buf {
	char *p;    /* the bytes; NUL-terminated after every append */
	size_t len; /* bytes in use */
	size_t cap; /* bytes allocated */
	size_t max; /* the cap on len; 0 means 1 GiB */
	int failed; /* set by any append that failed; cleared by the caller */
};

int buf_reserve(struct buf *b, size_t extra);

/* Appends N bytes of DATA.  0, or -1 (and failed set). */
static inline int buf_add(struct buf *b, const void *data, size_t n)
{
	/* Inline for the common case, room enough; buf_reserve() grows. */
	if (b->len + n + 1 > b->cap || (b->max != 0 && b->len + n > b->max)) {
		if (buf_reserve(b, n) < 0) {
			return -1;
		}
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

static inline int buf_addc(struct buf *b, char c) { return buf_add(b, &c, 1); }

/* Inline, so that the length of a literal is known when compiling. */
static inline int buf_adds(struct buf *b, const char *s) { return buf_add(b, s, strlen(s)); }
int buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);
void buf_free(struct buf *b);

/*
 * Appends S (N bytes) as a JSON string, quotes included.  Invalid UTF-8 is
 * replaced by U+FFFD, so the result is always valid JSON in valid UTF-8.
 */
int buf_add_json_str(struct buf *b, const char *s, size_t n);

/* Like buf_add_json_str, without the quotes (to build a string in pieces). */
int buf_add_json_chars(struct buf *b, const char *s, size_t n);

/* Appends V in decimal, without printf. */
int buf_add_i64(struct buf *b, int64_t v);

/* V in decimal into OUT (not NUL-terminated); returns the length. */
#define FMT_I64_MAX 24
size_t fmt_i64(char out[FMT_I64_MAX], int64_t v);
size_t fmt_u64(char *out, uint64_t v); /* OUT: at least 20 bytes */

/*
 * Copies the string SRC into DST (SIZE bytes, SIZE > 0), NUL-terminated.
 * Too long, it is cut before the UTF-8 sequence that does not fit rather
 * than within it.  Returns the bytes copied.
 */
size_t str_copy(char *dst, size_t size, const char *src);

#endif
