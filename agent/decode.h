/*
 * decode — undoing the escapes of access logs and URLs.
 *
 * All functions write into DST, which must have room for N bytes (decoding
 * never lengthens), and return the decoded length.  Nothing is allocated.
 */
#ifndef PINTAIL_DECODE_H
#define PINTAIL_DECODE_H

#include <stddef.h>

/*
 * Log escapes in quoted fields: nginx's "\xHH" (it writes '"', '\' and
 * bytes outside printable ASCII so), and Apache's "\"", "\\", "\b", "\n",
 * "\r", "\t" and "\v" (besides its "\xhh").  nginx writes a backslash as
 * "\x5C", so none of these stands for anything else in its logs.  Any
 * other backslash is kept as it is.
 */
size_t decode_log_escapes(const char *src, size_t n, char *dst);

/*
 * "\xHH" alone decoded (as the checkpoint writes a path's control bytes
 * and backslashes); any other byte is kept.  DST may be SRC.  Returns the
 * length written.
 */
size_t decode_hex_escapes(const char *src, size_t n, char *dst);

/*
 * Percent-decoding: "%HH" becomes the byte; an invalid escape ("%zz", a
 * trailing "%") is kept as it is.  With PLUS, '+' becomes a space (query
 * strings); without, it stays (paths).
 */
size_t decode_percent(const char *src, size_t n, char *dst, int plus);

/* The value of a hexadecimal digit, or -1. */
int hexval(int c);

#endif
