#include "buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define BUF_DEFAULT_MAX ((size_t)1 << 30)

int buf_reserve(struct buf *b, size_t extra)
{
	size_t max = b->max ? b->max : BUF_DEFAULT_MAX;
	size_t need, cap;
	char *p;

	if (extra > max || b->len > max - extra) {
		errno = E2BIG;
		b->failed = 1;
		return -1;
	}
	need = b->len + extra + 1;
	if (need <= b->cap) {
		return 0;
	}
	cap = b->cap ? b->cap : 256;
	while (cap < need) {
		cap *= 2;
	}
	p = realloc(b->p, cap);
	if (p == NULL) {
		errno = ENOMEM;
		b->failed = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

int buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n) < 0) {
		b->failed = 1;
		return -1;
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->p != NULL) {
		b->p[0] = '\0';
	}
}

void buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

/*
 * The length of the valid UTF-8 sequence at S (at most N bytes), or 0 when
 * it is invalid: overlong forms, surrogates and code points past U+10FFFF
 * are refused, as RFC 3629 says.
 */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80) {
		return 1;
	} else if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n) {
		return 0;
	}
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			return 0;
		}
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
		return 0;
	}
	return len;
}

int buf_add_json_str(struct buf *b, const char *s, size_t n)
{
	if (buf_addc(b, '"') < 0 || buf_add_json_chars(b, s, n) < 0) {
		return -1;
	}
	return buf_addc(b, '"');
}

/* 1 for the bytes a JSON string takes as they are: printable ASCII but '"' and '\\'. */
static const unsigned char json_plain[256] = {
	['\x20'] = 1, ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1, ['\''] = 1,
	['('] = 1, [')'] = 1, ['*'] = 1, ['+'] = 1, [','] = 1, ['-'] = 1, ['.'] = 1, ['/'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
	['8'] = 1, ['9'] = 1, [':'] = 1, [';'] = 1, ['<'] = 1, ['='] = 1, ['>'] = 1, ['?'] = 1,
	['@'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1,
	['H'] = 1, ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1,
	['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1,
	['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['['] = 1, [']'] = 1, ['^'] = 1, ['_'] = 1, ['`'] = 1,
	['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1,
	['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1,
	['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1, ['{'] = 1, ['|'] = 1, ['}'] = 1, ['~'] = 1,
};

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* 1 when any byte of V is zero (the classic bit trick, exact). */
static inline uint64_t has_zero(uint64_t v) { return (v - ONES) & ~v & HIGHS; }

/*
 * 1 when any of the eight bytes at P is not plain printable ASCII for JSON:
 * below 0x20, 0x80 and up, '"' or '\\'.
 */
static inline int word_needs_escape(const char *p)
{
	uint64_t w;
	memcpy(&w, p, 8);
	return ((w - 0x20 * ONES) & ~w & HIGHS) != 0 /* a byte below 0x20 (or >= 0x80) */
	       || (w & HIGHS) != 0 || has_zero(w ^ ('"' * ONES)) != 0 ||
	       has_zero(w ^ ('\\' * ONES)) != 0;
}

#ifdef __SSE2__
/* The same for sixteen bytes, with SSE2 (every x86-64 has it). */
static inline int block_needs_escape(const char *p)
{
	__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
	/* Signed: bytes 0x80 and up are negative, so below 0x20 as well. */
	__m128i bad = _mm_or_si128(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
				   _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
						_mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
	return _mm_movemask_epi8(bad) != 0;
}
#endif

int buf_add_json_chars(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	/* Worst case: every byte becomes a 6-byte escape or a 3-byte U+FFFD. */
	if ((b->len + n * 6 + 1 > b->cap || (b->max != 0 && b->len + n * 6 > b->max)) &&
	    buf_reserve(b, n * 6) < 0) {
		return -1;
	}
	while (i < n) {
		size_t run = i;
		/* Copy plain ASCII in runs, the common case: eight bytes at a
		 * time while none of them needs a look of its own. */
#ifdef __SSE2__
		while (run + 16 <= n && !block_needs_escape(s + run)) {
			run += 16;
		}
		/* A rest under sixteen bytes: the string's last sixteen bytes,
		 * overlapping what was looked at, are looked at once. */
		if (run < n && run + 16 > n && n >= 16 && !block_needs_escape(s + n - 16)) {
			run = n;
		}
#endif
		while (run + 8 <= n && !word_needs_escape(s + run)) {
			run += 8;
		}
		if (run < n && run + 8 > n && n >= 8 && !word_needs_escape(s + n - 8)) {
			run = n; /* the same with the last eight bytes */
		}
		while (run < n && json_plain[u[run]]) {
			run++;
		}
		memcpy(b->p + b->len, s + i, run - i);
		b->len += run - i;
		i = run;
		if (i >= n) {
			break;
		}
		if (u[i] == '"' || u[i] == '\\') {
			b->p[b->len++] = '\\';
			b->p[b->len++] = (char)u[i++];
		} else if (u[i] < 0x20) {
			memcpy(b->p + b->len, "\\u00", 4);
			b->p[b->len + 4] = hex[u[i] >> 4];
			b->p[b->len + 5] = hex[u[i] & 15];
			b->len += 6;
			i++;
		} else {
			size_t len = utf8_seq(u + i, n - i);
			if (len == 0) {
				memcpy(b->p + b->len, "\xef\xbf\xbd", 3);
				b->len += 3;
				i++;
			} else {
				memcpy(b->p + b->len, s + i, len);
				b->len += len;
				i += len;
			}
		}
	}
	b->p[b->len] = '\0';
	return 0;
}

/* "00" to "99": two digits per division. */
#define D2(i) {(char)('0' + (i) / 10), (char)('0' + (i) % 10)}
#define D2x10(i) D2(i), D2(i + 1), D2(i + 2), D2(i + 3), D2(i + 4), D2(i + 5), D2(i + 6), \
		 D2(i + 7), D2(i + 8), D2(i + 9)
static const char digit_pairs[100][2] = {D2x10(0),  D2x10(10), D2x10(20), D2x10(30), D2x10(40),
					 D2x10(50), D2x10(60), D2x10(70), D2x10(80), D2x10(90)};

size_t fmt_u64(char *out, uint64_t u)
{
	char tmp[FMT_I64_MAX];
	size_t n = 0;

	while (u >= 100) {
		n += 2;
		memcpy(tmp + sizeof tmp - n, digit_pairs[u % 100], 2);
		u /= 100;
	}
	if (u >= 10) {
		n += 2;
		memcpy(tmp + sizeof tmp - n, digit_pairs[u], 2);
	} else {
		tmp[sizeof tmp - ++n] = (char)('0' + u);
	}
	memcpy(out, tmp + sizeof tmp - n, n);
	return n;
}

size_t fmt_i64(char out[FMT_I64_MAX], int64_t v)
{
	if (v < 0) {
		out[0] = '-';
		return 1 + fmt_u64(out + 1, (uint64_t)0 - (uint64_t)v);
	}
	return fmt_u64(out, (uint64_t)v);
}

int buf_add_i64(struct buf *b, int64_t v)
{
	char tmp[FMT_I64_MAX];
	return buf_add(b, tmp, fmt_i64(tmp, v));
}

size_t str_copy(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size);

	if (n == size) {
		n = size - 1;
		/* src[n] is the first byte left out: when it continues a
		 * sequence, that sequence (at most 4 bytes) is left out whole. */
		for (int k = 0; k < 3 && n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80; k++) {
			n--;
		}
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
	return n;
}
