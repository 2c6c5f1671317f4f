#include "hash.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

/* "site NUL identity NUL" longer than this is hashed without a shortcut. */
#define EVENT_PREFIX_MAX 512

static const char hexdigits[] = "0123456789abcdef";

static void to_hex(const uint8_t *raw, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexdigits[raw[i] >> 4];
		out[2 * i + 1] = hexdigits[raw[i] & 15];
	}
	out[2 * n] = '\0';
}

/* OpenSSL without SHA-256 cannot happen on any supported system. */
static void digest_failed(void)
{
	fprintf(stderr, "pintail: error: OpenSSL has no SHA-256\n");
	abort();
}

/* The digest, fetched once for the life of the process. */
static const EVP_MD *sha256(void)
{
	static EVP_MD *md;
	if (md == NULL && (md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL) {
		digest_failed();
	}
	return md;
}

/* One context, reused by every hash. */
static EVP_MD_CTX *digest_ctx(void)
{
	static EVP_MD_CTX *ctx;
	if (ctx == NULL && (ctx = EVP_MD_CTX_new()) == NULL) {
		digest_failed();
	}
	return ctx;
}

/* SHA-256 of the concatenation of NPARTS buffers, raw 32 bytes into OUT. */
static void hash_sha256_parts(const void *const *parts, const size_t *lens, size_t nparts,
			      uint8_t out[32])
{
	EVP_MD_CTX *ctx = digest_ctx();
	unsigned int len = 32;

	if (EVP_DigestInit_ex(ctx, sha256(), NULL) != 1) {
		digest_failed();
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

/*
 * The digest state after the whole 64-byte blocks of "site NUL identity
 * NUL", which every event of one input shares: each event then hashes one
 * block less.  Kept for the last prefix seen.
 */
static struct {
	EVP_MD_CTX *ctx;
	char key[EVENT_PREFIX_MAX]; /* "site NUL identity NUL" */
	size_t keylen;              /* 0: nothing kept */
	size_t full;                /* the bytes of KEY in CTX's state */
} mid;

/*
 * The digest state after the whole blocks of "SITE NUL IDENTITY NUL"
 * (SITELEN + IDLEN + 2 bytes, at most EVENT_PREFIX_MAX); mid.key holds the
 * prefix and mid.full how much of it the state has taken.
 */
static EVP_MD_CTX *prefix_state(const char *site, size_t sitelen, const char *identity,
				size_t idlen)
{
	size_t n = sitelen + idlen + 2;

	if (mid.keylen == n && memcmp(mid.key, site, sitelen + 1) == 0 &&
	    memcmp(mid.key + sitelen + 1, identity, idlen + 1) == 0) {
		return mid.ctx;
	}
	if (mid.ctx == NULL && (mid.ctx = EVP_MD_CTX_new()) == NULL) {
		return NULL;
	}
	mid.keylen = 0;
	memcpy(mid.key, site, sitelen + 1);
	memcpy(mid.key + sitelen + 1, identity, idlen + 1);
	mid.full = n / 64 * 64;
	if (EVP_DigestInit_ex(mid.ctx, sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(mid.ctx, mid.key, mid.full) != 1) {
		return NULL;
	}
	mid.keylen = n;
	return mid.ctx;
}

void hash_event_id(const char *site, const char *identity, uint64_t offset, const char *line,
		   size_t line_len, const char *event_name, char out[EVENT_ID_LEN + 1])
{
	/* Everything but the line is small: it is gathered here, with the
	 * line too when it fits, so that OpenSSL is called once or twice. */
	char buf[EVENT_PREFIX_MAX + 2048];
	char off[24];
	size_t offlen = 0, n = 0, sitelen = strlen(site), idlen = strlen(identity);
	size_t namelen = strlen(event_name);
	uint8_t raw[32];
	unsigned int rawlen = 32;
	EVP_MD_CTX *ctx = digest_ctx(), *base;

	/* The offset in decimal, written backwards without printf. */
	do {
		off[sizeof off - 1 - offlen++] = (char)('0' + offset % 10);
		offset /= 10;
	} while (offset > 0);
	if (sitelen + idlen + 2 > EVENT_PREFIX_MAX) {
		/* A site name no configuration can hold; hashed the long way. */
		static const char nul = '\0';
		const void *parts[] = {site, &nul, identity, &nul, off + sizeof off - offlen, &nul,
				       line, &nul, event_name};
		size_t lens[] = {sitelen, 1, idlen, 1, offlen, 1, line_len, 1, namelen};
		hash_sha256_parts(parts, lens, 9, raw);
		to_hex(raw, EVENT_ID_LEN / 2, out);
		return;
	}
	base = prefix_state(site, sitelen, identity, idlen);
	if (ctx == NULL || base == NULL || EVP_MD_CTX_copy_ex(ctx, base) != 1) {
		digest_failed();
	}
	/* The prefix's last, partial block, then the rest. */
	n = mid.keylen - mid.full;
	memcpy(buf, mid.key + mid.full, n);
	memcpy(buf + n, off + sizeof off - offlen, offlen);
	n += offlen;
	buf[n++] = '\0';
	if (line_len <= sizeof buf - n - namelen - 1) {
		memcpy(buf + n, line, line_len);
		n += line_len;
	} else {
		EVP_DigestUpdate(ctx, buf, n);
		EVP_DigestUpdate(ctx, line, line_len);
		n = 0;
	}
	buf[n++] = '\0';
	memcpy(buf + n, event_name, namelen);
	n += namelen;
	EVP_DigestUpdate(ctx, buf, n);
	EVP_DigestFinal_ex(ctx, raw, &rawlen);
	to_hex(raw, EVENT_ID_LEN / 2, out);
}
