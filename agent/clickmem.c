#include "clickmem.h"

#include <stdlib.h>
#include <string.h>
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <sys/random.h>

#include "buf.h"
#include "log.h"
#include "statedir.h"


#define WAYS 4

/*
 * A set's four keys and times fill one 64-byte cache line, so a lookup
 * costs one memory access; the epiks themselves live apart.
 */
struct entry {
	uint8_t key[CLICKMEM_KEY_LEN];
	int64_t t;    /* when the epik was seen; 0: empty */
};

struct epik {
	uint8_t len;
	char text[CLICKMEM_EPIK_MAX];
};

struct clickmem {
	struct entry *e;
	struct epik *epiks; /* parallel to e */
	size_t sets;   /* a power of two */
	int64_t ttl;
	int64_t backlog; /* how far behind the clock hits may still be read (max_event_age) */
	uint8_t salt[16];
	int dirty;
};

struct clickmem *clickmem_new(size_t capacity, int64_t ttl_s, const uint8_t *salt)
{
	struct clickmem *cm = calloc(1, sizeof *cm);
	size_t sets = 1;

	if (cm == NULL) {
		return NULL;
	}
	while (sets * WAYS < capacity) {
		sets *= 2;
	}
	/* calloc'd pages stay untouched, and so cost no memory, until used. */
	cm->e = aligned_alloc(64, sets * WAYS * sizeof *cm->e);
	cm->epiks = calloc(sets * WAYS, sizeof *cm->epiks);
	if (cm->e == NULL || cm->epiks == NULL) {
		free(cm->e);
		free(cm->epiks);
		free(cm);
		return NULL;
	}
	memset(cm->e, 0, sets * WAYS * sizeof *cm->e);
	cm->sets = sets;
	cm->ttl = ttl_s;
	if (salt != NULL) {
		memcpy(cm->salt, salt, 16);
	} else if (getrandom(cm->salt, 16, 0) != 16) {
		/* Without randomness the salt is weaker, never the lookups. */
		memset(cm->salt, 0x5a, 16);
	}
	return cm;
}

void clickmem_free(struct clickmem *cm)
{
	if (cm == NULL) {
		return;
	}
	/* Not wiped: that would touch (and so allocate) every untouched page
	 * of the table; its keys are salted hashes anyway. */
	free(cm->e);
	free(cm->epiks);
	free(cm);
}

/*
 * SipHash-2-4 (Aumasson and Bernstein), keyed with the salt.  A keyed hash
 * is what the memory needs: the key is secret and per installation, so the
 * table holds no IP address or user agent, and no one can aim collisions at
 * it.  OpenSSL offers SipHash only behind EVP_MAC, whose per-call set-up
 * costs several times the hash itself on this per-event path; the function
 * is short and has published test vectors (tests/unit/test_siphash.c).
 */
#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                   \
	do {                                                                       \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);           \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                              \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                              \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);           \
	} while (0)

struct sip {
	uint64_t v0, v1, v2, v3;
	uint8_t tail[8];
	size_t ntail, total;
};

static uint64_t le64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return le64toh(v);
}

static void sip_init(struct sip *s, const uint8_t key[16])
{
	uint64_t k0 = le64(key), k1 = le64(key + 8);
	s->v0 = 0x736f6d6570736575ULL ^ k0;
	s->v1 = 0x646f72616e646f6dULL ^ k1;
	s->v2 = 0x6c7967656e657261ULL ^ k0;
	s->v3 = 0x7465646279746573ULL ^ k1;
	s->ntail = s->total = 0;
}

static void sip_block(struct sip *s, uint64_t m)
{
	uint64_t v0 = s->v0, v1 = s->v1, v2 = s->v2, v3 = s->v3;
	v3 ^= m;
	SIPROUND;
	SIPROUND;
	v0 ^= m;
	s->v0 = v0, s->v1 = v1, s->v2 = v2, s->v3 = v3;
}

static void sip_update(struct sip *s, const void *data, size_t n)
{
	const uint8_t *p = data;
	s->total += n;
	while (n > 0 && s->ntail > 0) {
		s->tail[s->ntail++] = *p++;
		n--;
		if (s->ntail == 8) {
			sip_block(s, le64(s->tail));
			s->ntail = 0;
		}
	}
	for (; n >= 8; p += 8, n -= 8) {
		sip_block(s, le64(p));
	}
	if (n > 0) { /* (DATA may be NULL when N is 0: an absent user agent) */
		memcpy(s->tail, p, n);
		s->ntail += n;
	}
}

/* The last block B (the length's byte and the tail), then finalization. */
static uint64_t sip_last(struct sip *s, uint64_t b)
{
	uint64_t v0, v1, v2, v3;
	sip_block(s, b);
	v0 = s->v0, v1 = s->v1, v2 = s->v2 ^ 0xff, v3 = s->v3;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* The last block of a message of TOTAL bytes ending in the N (< 8) at P. */
static uint64_t last_block(const uint8_t *p, size_t n, size_t total)
{
	uint64_t b = (uint64_t)total << 56;
	for (size_t i = 0; i < n; i++) {
		b |= (uint64_t)p[i] << (8 * i);
	}
	return b;
}

static uint64_t sip_final(struct sip *s) { return sip_last(s, last_block(s->tail, s->ntail, s->total)); }

uint64_t clickmem_siphash(const uint8_t key[16], const void *data, size_t n)
{
	struct sip s;
	sip_init(&s, key);
	sip_update(&s, data, n);
	return sip_final(&s);
}

uint64_t clickmem_agent_hash(const struct clickmem *cm, const char *ua, size_t ualen)
{
	uint64_t h = clickmem_siphash(cm->salt, ua, ualen);
	return h != 0 ? h : 1; /* 0 means "not yet" to those who keep it */
}

void clickmem_visitor_key(const struct clickmem *cm, const char *ip, size_t iplen,
			  uint64_t agent_hash, uint8_t key[CLICKMEM_KEY_LEN])
{
	/* 64 bits: among a million visitors a collision has a chance of
	 * about 3e-8, and would only lend one visitor another's epik. */
	struct sip s;
	const uint8_t *p = (const uint8_t *)ip;
	size_t n = iplen;
	uint64_t h;

	/* SipHash of le64(AGENT_HASH) || IP, on a per-event path: the
	 * agent's hash is a whole block, then the address's whole words
	 * and its last bytes go in without sip_update()'s byte shuffling. */
	sip_init(&s, cm->salt);
	sip_block(&s, agent_hash);
	for (; n >= 8; p += 8, n -= 8) {
		sip_block(&s, le64(p));
	}
	h = sip_last(&s, last_block(p, n, 8 + iplen));
	memcpy(key, &h, CLICKMEM_KEY_LEN);
}

void clickmem_key(const struct clickmem *cm, const char *ip, size_t iplen, const char *ua,
		  size_t ualen, uint8_t key[CLICKMEM_KEY_LEN])
{
	clickmem_visitor_key(cm, ip, iplen, clickmem_agent_hash(cm, ua, ualen), key);
}

static struct entry *set_of(const struct clickmem *cm, const uint8_t key[CLICKMEM_KEY_LEN])
{
	uint64_t h;
	memcpy(&h, key, sizeof h);
	return &cm->e[(h & (cm->sets - 1)) * WAYS];
}

static struct entry *find(const struct clickmem *cm, const uint8_t key[CLICKMEM_KEY_LEN])
{
	struct entry *set = set_of(cm, key);
	uint64_t k, e;

	/* Keys are eight bytes: compared as one word each. */
	_Static_assert(CLICKMEM_KEY_LEN == sizeof k, "a key is one 64-bit word");
	memcpy(&k, key, sizeof k);
	for (int i = 0; i < WAYS; i++) {
		memcpy(&e, set[i].key, sizeof e);
		if (e == k && set[i].t != 0) {
			return &set[i];
		}
	}
	return NULL;
}

void clickmem_prefetch(const struct clickmem *cm, const uint8_t key[CLICKMEM_KEY_LEN])
{
#if defined(__GNUC__)
	__builtin_prefetch(set_of(cm, key));
#else
	(void)cm;
	(void)key;
#endif
}

int clickmem_get(const struct clickmem *cm, const uint8_t key[CLICKMEM_KEY_LEN], int64_t now,
		 const char **out, size_t *outlen)
{
	const struct entry *e = find(cm, key);

	/* A hit before the click (read later: another log of the site) never
	 * saw it; a little out of order, it may have. */
	if (e == NULL || cm->ttl <= 0 || now - e->t > cm->ttl || e->t - now > CLICKMEM_EARLY_SLACK) {
		return 0;
	}
	*out = cm->epiks[e - cm->e].text;
	*outlen = cm->epiks[e - cm->e].len;
	return 1;
}

/* Stores EPIK (N bytes) for KEY at T, over E (KEY's entry, or NULL). */
static void store(struct clickmem *cm, struct entry *e, const uint8_t key[CLICKMEM_KEY_LEN], int64_t t,
		  const char *epik, size_t n)
{
	struct entry *set;

	if (e == NULL) {
		set = set_of(cm, key);
		e = &set[0];
		for (int i = 1; i < WAYS; i++) {
			if (set[i].t < e->t) {
				e = &set[i];
			}
		}
		memcpy(e->key, key, CLICKMEM_KEY_LEN);
	}
	e->t = t;
	cm->epiks[e - cm->e].len = (uint8_t)n;
	memcpy(cm->epiks[e - cm->e].text, epik, n);
	cm->dirty = 1;
}

/* 1 when an epik of N bytes seen at T may be kept at all. */
static int keepable(const struct clickmem *cm, size_t n, int64_t t)
{
	return n > 0 && n <= CLICKMEM_EPIK_MAX && cm->ttl > 0 && t > 0;
}

void clickmem_put(struct clickmem *cm, const uint8_t key[CLICKMEM_KEY_LEN], int64_t t, int64_t now,
		  const char *epik, size_t n)
{
	struct entry *e = find(cm, key);

	if (!keepable(cm, n, t)) {
		return;
	}
	/* An older line read later does not replace a newer epik, unless
	 * that one is dated ahead of the clock: seen before the clock was
	 * set back, it would stand for days in the way of every new click. */
	if (e != NULL && t < e->t && e->t <= now + CLICKMEM_AHEAD_MAX) {
		return;
	}
	store(cm, e, key, t, epik, n);
}

/*
 * 1 when an entry seen at T is no longer to be kept at NOW (the clock): no
 * hit still to be read can use it.  Hits are read up to the backlog behind
 * the clock (a catch-up after a stop, the events of which are sent while
 * within max_event_age): an epik is kept for click_memory after the oldest
 * of them, so that a catch-up finds the epiks its hits saw.
 */
static int stale(const struct clickmem *cm, int64_t t, int64_t now)
{
	return cm->ttl <= 0 || now - t > cm->ttl + cm->backlog || t > now + CLICKMEM_AHEAD_MAX;
}

void clickmem_forget(struct clickmem *cm, const uint8_t key[CLICKMEM_KEY_LEN])
{
	struct entry *e = find(cm, key);
	if (e != NULL) {
		explicit_bzero(&cm->epiks[e - cm->e], sizeof *cm->epiks);
		memset(e, 0, sizeof *e);
		cm->dirty = 1;
	}
}

size_t clickmem_count(const struct clickmem *cm)
{
	size_t n = 0;
	for (size_t i = 0; i < cm->sets * WAYS; i++) {
		n += cm->e[i].t != 0;
	}
	return n;
}

int clickmem_dirty(const struct clickmem *cm) { return cm->dirty; }

void clickmem_set_ttl(struct clickmem *cm, int64_t ttl_s, int64_t backlog_s)
{
	if (backlog_s < 0) {
		backlog_s = 0;
	}
	if (ttl_s < cm->ttl || backlog_s < cm->backlog) {
		cm->dirty = 1; /* the next save keeps less */
	}
	cm->ttl = ttl_s;
	cm->backlog = backlog_s;
}

const uint8_t *clickmem_salt(const struct clickmem *cm) { return cm->salt; }

static struct clickmem *with_backlog(struct clickmem *cm, int64_t backlog_s)
{
	if (cm != NULL) {
		cm->backlog = backlog_s > 0 ? backlog_s : 0;
	}
	return cm;
}

#define CM_MAGIC "PTCLICK2" /* 2: keys of agent hash and address */
#define CM_FILE "clickmem"

int clickmem_save(struct clickmem *cm, const char *dir, int64_t now)
{
	struct buf b = {0};
	const char *step = NULL;
	int result;

	buf_add(&b, CM_MAGIC, 8);
	buf_add(&b, cm->salt, 16);
	for (size_t i = 0; i < cm->sets * WAYS; i++) {
		struct entry *e = &cm->e[i];
		struct epik *p = &cm->epiks[i];
		uint64_t t = htole64((uint64_t)e->t);
		if (e->t == 0) {
			continue;
		}
		if (stale(cm, e->t, now)) {
			/* Kept no longer than click_memory, on disk too. */
			explicit_bzero(p, sizeof *p);
			memset(e, 0, sizeof *e);
			continue;
		}
		buf_add(&b, e->key, CLICKMEM_KEY_LEN);
		buf_add(&b, &t, 8);
		buf_add(&b, &p->len, 1);
		buf_add(&b, p->text, p->len);
	}
	result = statedir_replace(dir, CM_FILE, b.p, b.len, &step);
	if (result < 0) {
		log_warn("save %s/%s (%s): %s", dir, CM_FILE, step, strerror(errno));
	} else {
		cm->dirty = 0;
	}
	if (b.p != NULL) {
		explicit_bzero(b.p, b.len);
	}
	buf_free(&b);
	return result;
}

struct clickmem *clickmem_load(const char *dir, size_t capacity, int64_t ttl_s, int64_t backlog_s,
			       int64_t now)
{
	int dropped = 0;
	char path[4096];
	struct clickmem *cm = NULL;
	uint8_t head[24] = {0};
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, CM_FILE);
	f = fopen(path, "re");
	if (f == NULL && errno == ENOENT) {
		return with_backlog(clickmem_new(capacity, ttl_s, NULL), backlog_s);
	}
	if (f == NULL) {
		/* Not read now (an I/O error): an empty memory would be saved
		 * over it.  The site starts later. */
		log_err("open %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fread(head, 1, sizeof head, f) != sizeof head && ferror(f)) {
		log_err("read %s: %s", path, strerror(errno ? errno : EIO));
		fclose(f);
		return NULL;
	}
	if (memcmp(head, CM_MAGIC, 8) != 0) {
		log_warn("%s: not a click memory of version 2; starting with an empty one", path);
		fclose(f);
		return with_backlog(clickmem_new(capacity, ttl_s, NULL), backlog_s);
	}
	cm = with_backlog(clickmem_new(capacity, ttl_s, head + 8), backlog_s);
	while (cm != NULL) {
		uint8_t key[CLICKMEM_KEY_LEN], len;
		uint64_t t;
		int64_t seen;
		char epik[CLICKMEM_EPIK_MAX];
		if (fread(key, 1, sizeof key, f) != sizeof key || fread(&t, 1, 8, f) != 8 ||
		    fread(&len, 1, 1, f) != 1) {
			break;
		}
		if (len > sizeof epik || fread(epik, 1, len, f) != len) {
			if (!ferror(f)) {
				log_warn("%s: a damaged entry; the rest of the click memory is dropped", path);
			}
			break;
		}
		seen = (int64_t)le64toh(t);
		if (!keepable(cm, len, seen) || stale(cm, seen, now)) {
			dropped = 1; /* and the file is written again without it */
			continue;
		}
		store(cm, find(cm, key), key, seen, epik, len);
	}
	if (cm != NULL && ferror(f)) {
		/* Cut short by an I/O error: what is left would be saved over
		 * the whole.  The site starts later. */
		log_err("read %s: %s", path, strerror(errno ? errno : EIO));
		clickmem_free(cm);
		cm = NULL;
	}
	fclose(f);
	if (cm != NULL) {
		cm->dirty = dropped;
	}
	return cm;
}
