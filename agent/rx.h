/*
 * rx — PCRE2 regular expressions, compiled once, matched without allocating.
 *
 * Each struct rx owns its compiled code and one match data block that every
 * match reuses.  Matching is bounded: a match limit, a JIT stack of fixed
 * size, and depth and heap limits for the interpreter, so that a hostile
 * line costs a bounded amount of time.  The JIT is used when available; when
 * it is not (no JIT in the library, or W^X memory policies), the interpreter
 * is used and this is logged once.
 */
#ifndef PINTAIL_RX_H
#define PINTAIL_RX_H

#include <stddef.h>
#include <stdint.h>

struct rx;

/* An optional compiled regex as configured; rx == NULL means unset. */
struct regex_opt {
	char *src; /* the pattern as written */
	struct rx *rx;
};

/*
 * Compiles PATTERN with PCRE2 OPTIONS (PCRE2_UTF is not implied).  On error
 * returns NULL and writes "at offset N: message" into ERR.
 */
struct rx *rx_compile(const char *pattern, uint32_t options, char *err, size_t errlen);

/*
 * Checks that PATTERN compiles, as rx_compile() would, without keeping it:
 * no JIT, no match data.  0, or -1 with "at offset N: message" in ERR.
 */
int rx_check(const char *pattern, uint32_t options, char *err, size_t errlen);

/*
 * Matches SUBJECT (LEN bytes, not NUL-terminated).  Returns 1 on a match,
 * 0 when there is none, -1 when a limit was hit (treated as no match by
 * callers, and counted).  Allocates nothing once the first match is done.
 */
int rx_match(struct rx *rx, const char *subject, size_t len);

/* The offsets of group N after a successful match; 0 if it did not take part. */
int rx_group(const struct rx *rx, int n, size_t *start, size_t *end);

/*
 * The offsets of every group after a successful match, as PCRE2's ovector:
 * pairs of start and end, RX_UNSET for a group that did not take part; *N
 * is the number of pairs.  For callers reading many groups of one match.
 */
#define RX_UNSET (~(size_t)0)
const size_t *rx_ovector(const struct rx *rx, size_t *n);

/* The number of the named group NAME, or -1. */
int rx_group_number(const struct rx *rx, const char *name);

void rx_free(struct rx *rx);

/* The longest literal prefix rx_literal_prefix() looks for. */
#define RX_PREFIX_MAX 32

/*
 * The literal text every match of PATTERN (compiled with OPTIONS) begins
 * with, written into OUT; returns its length, 0 when none is certain.
 * rx_compile() keeps it, and rx_match() compares it before calling PCRE2.
 */
size_t rx_literal_prefix(const char *pattern, uint32_t options, char out[RX_PREFIX_MAX]);

/* Disables (0) or enables (1) the JIT for patterns compiled afterwards. */
void rx_set_jit(int enabled);

#endif
