#include "hash.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

static const char hexdigits[] = "0123456789abcdef";

static void to_hex(const uint8_t *raw, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexdigits[raw[i] >> 4];
		out[2 * i + 1] = hexdigits[raw[i] & 15];
	}
	out[2 * n] = '\0';
}

/* SHA-256 of the concatenation of NPARTS buffers, raw 32 bytes into OUT. */
static void hash_sha256_parts(const void *const *parts, const size_t *lens, size_t nparts,
			      uint8_t out[32])
{
	/* One context and one fetched digest for the life of the process. */
	static EVP_MD_CTX *ctx;
	static EVP_MD *md;
	unsigned int len = 32;

	if (ctx == NULL) {
		ctx = EVP_MD_CTX_new();
		md = EVP_MD_fetch(NULL, "SHA256", NULL);
	}
	if (ctx == NULL || md == NULL || EVP_DigestInit_ex(ctx, md, NULL) != 1) {
		/* OpenSSL without SHA-256 cannot happen on any supported system. */
		fprintf(stderr, "pintail: error: OpenSSL has no SHA-256\n");
		abort();
	}
	for (size_t i = 0; i < nparts; i++) {
		EVP_DigestUpdate(ctx, parts[i], lens[i]);
	}
	EVP_DigestFinal_ex(ctx, out, &len);
}

void hash_sha256_hex(const void *data, size_t n, char out[SHA256_HEX_LEN + 1])
{
	uint8_t raw[32];
	hash_sha256_parts(&data, &n, 1, raw);
	to_hex(raw, 32, out);
}

static int is_sha256_hex(const char *s, size_t n)
{
	if (n != SHA256_HEX_LEN) {
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[i])) {
			return 0;
		}
	}
	return 1;
}

/* Passes a ready hash through, lower-cased.  1 if it was one. */
static int pass_hash(const char *s, size_t n, char out[SHA256_HEX_LEN + 1])
{
	if (!is_sha256_hex(s, n)) {
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		out[i] = (char)tolower((unsigned char)s[i]);
	}
	out[n] = '\0';
	return 1;
}

static void trim(const char **s, size_t *n)
{
	while (*n > 0 && isspace((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && isspace((unsigned char)(*s)[*n - 1])) {
		(*n)--;
	}
}

/* Values come from a query parameter, capped well below any real limit. */
#define NORM_MAX 512

int hash_email(const char *s, size_t n, char out[SHA256_HEX_LEN + 1])
{
	char buf[NORM_MAX];

	trim(&s, &n);
	if (n == 0 || n > sizeof buf) {
		return -1;
	}
	if (pass_hash(s, n, out)) {
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		buf[i] = (char)tolower((unsigned char)s[i]);
	}
	hash_sha256_hex(buf, n, out);
	return 0;
}

int hash_phone(const char *s, size_t n, char out[SHA256_HEX_LEN + 1])
{
	char buf[NORM_MAX];
	size_t o = 0;

	trim(&s, &n);
	if (n > sizeof buf) {
		return -1;
	}
	if (pass_hash(s, n, out)) {
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (isdigit((unsigned char)s[i]) && !(o == 0 && s[i] == '0')) {
			buf[o++] = s[i];
		}
	}
	if (o == 0) {
		return -1;
	}
	hash_sha256_hex(buf, o, out);
	return 0;
}

int hash_external_id(const char *s, size_t n, char out[SHA256_HEX_LEN + 1])
{
	trim(&s, &n);
	if (n == 0) {
		return -1;
	}
	if (pass_hash(s, n, out)) {
		return 0;
	}
	hash_sha256_hex(s, n, out);
	return 0;
}

void hash_identity(const char *first_line, size_t n, char out[SHA256_HEX_LEN + 1])
{
	hash_sha256_hex(first_line, n > 1024 ? 1024 : n, out);
}

void hash_event_id(const char *site, const char *identity, uint64_t offset, const char *line,
		   size_t line_len, const char *event_name, char out[EVENT_ID_LEN + 1])
{
	static const char nul = '\0';
	char off[24];
	uint8_t raw[32];
	size_t offlen = 0;
	const void *parts[9];
	size_t lens[9];

	/* The offset in decimal, written backwards without printf. */
	do {
		off[sizeof off - 1 - offlen++] = (char)('0' + offset % 10);
		offset /= 10;
	} while (offset > 0);
	parts[0] = site, lens[0] = strlen(site);
	parts[1] = &nul, lens[1] = 1;
	parts[2] = identity, lens[2] = strlen(identity);
	parts[3] = &nul, lens[3] = 1;
	parts[4] = off + sizeof off - offlen, lens[4] = offlen;
	parts[5] = &nul, lens[5] = 1;
	parts[6] = line, lens[6] = line_len;
	parts[7] = &nul, lens[7] = 1;
	parts[8] = event_name, lens[8] = strlen(event_name);

	hash_sha256_parts(parts, lens, 9, raw);
	to_hex(raw, EVENT_ID_LEN / 2, out);
}
