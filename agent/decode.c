#include "decode.h"

#include <string.h>

int hexval(int c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

size_t decode_log_escapes(const char *src, size_t n, char *dst)
{
	size_t o = 0;
	const char *bs = memchr(src, '\\', n);

	if (bs == NULL) {
		memmove(dst, src, n);
		return n;
	}
	for (size_t i = 0; i < n; i++) {
		if (src[i] == '\\' && i + 3 < n && src[i + 1] == 'x' &&
		    hexval((unsigned char)src[i + 2]) >= 0 && hexval((unsigned char)src[i + 3]) >= 0) {
			dst[o++] = (char)(hexval((unsigned char)src[i + 2]) * 16 +
					  hexval((unsigned char)src[i + 3]));
			i += 3;
		} else if (src[i] == '\\' && i + 1 < n && (src[i + 1] == '"' || src[i + 1] == '\\')) {
			dst[o++] = src[++i];
		} else if (src[i] == '\\' && i + 1 < n && strchr("bnrtv", src[i + 1]) != NULL &&
			   src[i + 1] != '\0') {
			/* Apache's names for five control bytes (ap_escape_logitem). */
			static const char named[] = "b\bn\nr\rt\tv\v";
			dst[o++] = strchr(named, src[++i])[1];
		} else {
			dst[o++] = src[i];
		}
	}
	return o;
}

size_t decode_hex_escapes(const char *src, size_t n, char *dst)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (src[i] == '\\' && i + 3 < n && src[i + 1] == 'x' && hexval((unsigned char)src[i + 2]) >= 0 &&
		    hexval((unsigned char)src[i + 3]) >= 0) {
			dst[o++] = (char)(hexval((unsigned char)src[i + 2]) * 16 + hexval((unsigned char)src[i + 3]));
			i += 3;
		} else {
			dst[o++] = src[i];
		}
	}
	return o;
}

size_t decode_percent(const char *src, size_t n, char *dst, int plus)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int hi, lo;
		if (src[i] == '%' && i + 2 < n && (hi = hexval((unsigned char)src[i + 1])) >= 0 &&
		    (lo = hexval((unsigned char)src[i + 2])) >= 0) {
			dst[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else if (plus && src[i] == '+') {
			dst[o++] = ' ';
		} else {
			dst[o++] = src[i];
		}
	}
	return o;
}
