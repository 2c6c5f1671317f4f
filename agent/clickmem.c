#include "clickmem.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "hash.h"

#define WAYS 4

struct entry {
	uint8_t key[CLICKMEM_KEY_LEN];
	int64_t t;    /* when the epik was seen; 0: empty */
	uint8_t len;
	char epik[CLICKMEM_EPIK_MAX];
};

struct clickmem {
	struct entry *e;
	size_t sets;   /* a power of two */
	int64_t ttl;
	uint8_t salt[16];
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
	cm->e = calloc(sets * WAYS, sizeof *cm->e);
	if (cm->e == NULL) {
		free(cm);
		return NULL;
	}
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
	explicit_bzero(cm->e, cm->sets * WAYS * sizeof *cm->e);
	free(cm->e);
	free(cm);
}

void clickmem_key(const struct clickmem *cm, const char *ip, size_t iplen, const char *ua,
		  size_t ualen, uint8_t key[CLICKMEM_KEY_LEN])
{
	static const char nul = '\0';
	const void *parts[] = {cm->salt, ip, &nul, ua};
	size_t lens[] = {16, iplen, 1, ualen};
	uint8_t raw[32];

	hash_sha256_parts(parts, lens, 4, raw);
	memcpy(key, raw, CLICKMEM_KEY_LEN);
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
	for (int i = 0; i < WAYS; i++) {
		if (set[i].t != 0 && memcmp(set[i].key, key, CLICKMEM_KEY_LEN) == 0) {
			return &set[i];
		}
	}
	return NULL;
}

int clickmem_get(const struct clickmem *cm, const uint8_t key[CLICKMEM_KEY_LEN], int64_t now,
		 const char **out, size_t *outlen)
{
	const struct entry *e = find(cm, key);

	if (e == NULL || cm->ttl <= 0 || now - e->t > cm->ttl || e->t - now > cm->ttl) {
		return 0;
	}
	*out = e->epik;
	*outlen = e->len;
	return 1;
}

void clickmem_put(struct clickmem *cm, const uint8_t key[CLICKMEM_KEY_LEN], int64_t t,
		  const char *epik, size_t n)
{
	struct entry *e = find(cm, key), *set;

	if (n == 0 || n > CLICKMEM_EPIK_MAX || cm->ttl <= 0 || t <= 0) {
		return;
	}
	if (e == NULL) {
		set = set_of(cm, key);
		e = &set[0];
		for (int i = 1; i < WAYS; i++) {
			if (set[i].t < e->t) {
				e = &set[i];
			}
		}
		memcpy(e->key, key, CLICKMEM_KEY_LEN);
	} else if (t < e->t) {
		return; /* an older line read later does not replace a newer epik */
	}
	e->t = t;
	e->len = (uint8_t)n;
	memcpy(e->epik, epik, n);
}

void clickmem_forget(struct clickmem *cm, const uint8_t key[CLICKMEM_KEY_LEN])
{
	struct entry *e = find(cm, key);
	if (e != NULL) {
		explicit_bzero(e, sizeof *e);
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

const uint8_t *clickmem_salt(const struct clickmem *cm) { return cm->salt; }
