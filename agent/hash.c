/*
 * The event id's SHA-256 uses OpenSSL's SHA256_* functions, deprecated
 * since OpenSSL 3.0 but kept in its builds (Debian, Fedora, RHEL): in 3.0,
 * keeping the digest state of the shared prefix and copying it for each
 * event costs, with EVP_MD_CTX_copy_ex(), an allocation, a copy and a free
 * (about 450 instructions per event; `pintail parse` ran about 5 % faster
 * on the benchmark without them), where a SHA256_CTX is copied by
 * assignment.  The warning is silenced for this file only.  An OpenSSL
 * built without the deprecated functions (OPENSSL_NO_DEPRECATED_3_0), or
 * PINTAIL_EVENT_ID_EVP, takes the EVP path, which the unit tests build and
 * check as well.  Everything else hashes with EVP.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "hash.h"

#include "buf.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/opensslconf.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <string.h>

/* "site NUL identity NUL" longer than this is hashed without a shortcut. */
#define EVENT_PREFIX_MAX 512

/* Each byte's two lower-case hex digits. */
#define HX(d) (char)((d) < 10 ? '0' + (d) : 'a' - 10 + (d))
#define HB(i) {HX((i) >> 4), HX((i) & 15)}
#define HB4(i) HB(i), HB(i + 1), HB(i + 2), HB(i + 3)
#define HB16(i) HB4(i), HB4(i + 4), HB4(i + 8), HB4(i + 12)
#define HB64(i) HB16(i), HB16(i + 16), HB16(i + 32), HB16(i + 48)
static const char hex_pairs[256][2] = {HB64(0), HB64(64), HB64(128), HB64(192)};

static void to_hex(const uint8_t *raw, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		memcpy(out + 2 * i, hex_pairs[raw[i]], 2);
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

/* The event id's digest: a SHA256_CTX, or an EVP context (see the top). */
#if !defined(OPENSSL_NO_DEPRECATED_3_0) && !defined(PINTAIL_EVENT_ID_EVP)
typedef SHA256_CTX ev_ctx;

static int ev_start(ev_ctx *c) { return SHA256_Init(c) == 1 ? 0 : -1; }

static int ev_copy(ev_ctx *dst, const ev_ctx *src)
{
	*dst = *src;
	return 0;
}

static void ev_update(ev_ctx *c, const void *p, size_t n) { SHA256_Update(c, p, n); }

static void ev_final(ev_ctx *c, uint8_t out[32]) { SHA256_Final(out, c); }
#else
typedef struct {
	EVP_MD_CTX *md; /* allocated on first use, then kept */
} ev_ctx;

static int ev_ready(ev_ctx *c) { return c->md != NULL || (c->md = EVP_MD_CTX_new()) != NULL ? 0 : -1; }

static int ev_start(ev_ctx *c)
{
	return ev_ready(c) == 0 && EVP_DigestInit_ex(c->md, sha256(), NULL) == 1 ? 0 : -1;
}

static int ev_copy(ev_ctx *dst, const ev_ctx *src)
{
	return ev_ready(dst) == 0 && EVP_MD_CTX_copy_ex(dst->md, src->md) == 1 ? 0 : -1;
}

static void ev_update(ev_ctx *c, const void *p, size_t n) { EVP_DigestUpdate(c->md, p, n); }

static void ev_final(ev_ctx *c, uint8_t out[32])
{
	unsigned int len = 32;
	EVP_DigestFinal_ex(c->md, out, &len);
}
#endif

/*
 * The digest state after the whole 64-byte blocks of "site NUL identity
 * NUL", which every event of one input shares: each event then hashes one
 * block less.  Kept for the last prefix seen.
 */
static struct {
	ev_ctx state;
	char key[EVENT_PREFIX_MAX]; /* "site NUL identity NUL" */
	size_t keylen;              /* 0: nothing kept */
	size_t full;                /* the bytes of KEY in the state */
} mid;

/*
 * The digest state after the whole blocks of "SITE NUL IDENTITY NUL"
 * (SITELEN + IDLEN + 2 bytes, at most EVENT_PREFIX_MAX); mid.key holds the
 * prefix and mid.full how much of it the state has taken.
 */
static const ev_ctx *prefix_state(const char *site, size_t sitelen, const char *identity,
				  size_t idlen)
{
	size_t n = sitelen + idlen + 2;

	if (mid.keylen == n && memcmp(mid.key, site, sitelen + 1) == 0 &&
	    memcmp(mid.key + sitelen + 1, identity, idlen + 1) == 0) {
		return &mid.state;
	}
	mid.keylen = 0;
	memcpy(mid.key, site, sitelen + 1);
	memcpy(mid.key + sitelen + 1, identity, idlen + 1);
	mid.full = n / 64 * 64;
	if (ev_start(&mid.state) < 0) {
		return NULL;
	}
	ev_update(&mid.state, mid.key, mid.full);
	mid.keylen = n;
	return &mid.state;
}

void hash_event_id(const char *site, const char *identity, uint64_t offset, const char *line,
		   size_t line_len, const char *event_name, char out[EVENT_ID_LEN + 1])
{
	char head[64 + FMT_I64_MAX + 1]; /* the prefix's partial block, offset, NUL */
	char off[FMT_I64_MAX];
	size_t offlen = fmt_u64(off, offset), n, sitelen = strlen(site), idlen = strlen(identity);
	size_t namelen = strlen(event_name);
	uint8_t raw[32];
	static ev_ctx work;
	const ev_ctx *base;

	if (sitelen + idlen + 2 > EVENT_PREFIX_MAX) {
		/* A site name no configuration can hold; hashed the long way. */
		static const char nul = '\0';
		const void *parts[] = {site, &nul, identity, &nul, off, &nul,
				       line, &nul, event_name};
		size_t lens[] = {sitelen, 1, idlen, 1, offlen, 1, line_len, 1, namelen};
		hash_sha256_parts(parts, lens, 9, raw);
		to_hex(raw, EVENT_ID_LEN / 2, out);
		return;
	}
	base = prefix_state(site, sitelen, identity, idlen);
	if (base == NULL || ev_copy(&work, base) < 0) {
		digest_failed();
	}
	/* The prefix's last, partial block with the offset, then the line
	 * and the name, each where it lies. */
	n = mid.keylen - mid.full;
	memcpy(head, mid.key + mid.full, n);
	memcpy(head + n, off, offlen);
	n += offlen;
	head[n++] = '\0';
	ev_update(&work, head, n);
	ev_update(&work, line, line_len);
	ev_update(&work, "", 1);
	ev_update(&work, event_name, namelen);
	ev_final(&work, raw);
	to_hex(raw, EVENT_ID_LEN / 2, out);
}
