#define PCRE2_CODE_UNIT_WIDTH 8
#include "filter.h"

#include <errno.h>
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cidr.h"
#include "config.h"
#include "diag.h"
#include "ini.h"
#include "rx.h"

static const char *const reason_names[FILTER_REASONS] = {
	"pass", "status", "path", "bot", "agent", "ip",
};

const char *filter_reason_name(enum filter_reason r) { return reason_names[r]; }

/*
 * Checks one pattern on its own, so an error names its line.  Only
 * compiled: JIT-compiling each of some 200 lines, as rx_compile() would,
 * cost every start several milliseconds for code never run.
 */
static int bot_line_ok(const char *file, int lineno, const char *pat, struct diag *d)
{
	char err[256];
	if (rx_check(pat, PCRE2_CASELESS, err, sizeof err) < 0) {
		diag_error(d, file, lineno, "the regex does not compile %s", err);
		return 0;
	}
	return 1;
}

struct rx *filter_load_bots(const char *path, const char *conf, int line, struct diag *d)
{
	FILE *f = ini_fopen(path);
	struct buf all = {0};
	char *text = NULL, err[256];
	size_t cap = 0;
	ssize_t n;
	int lineno = 0, bad = 0;
	struct rx *rx = NULL;

	if (f == NULL) {
		diag_error(d, conf, line, "bots_file %s%s: %s", path, line ? "" : " (the default)",
			   ini_open_error(errno));
		return NULL;
	}
	while ((n = getline(&text, &cap, f)) != -1) {
		lineno++;
		while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' || text[n - 1] == ' ')) {
			text[--n] = '\0';
		}
		if (n == 0 || text[0] == '#') {
			continue;
		}
		if (!bot_line_ok(path, lineno, text, d)) {
			bad = 1;
			continue;
		}
		/* One alternation, so a user agent is searched once. */
		if ((all.len > 0 && buf_addc(&all, '|') < 0) || buf_adds(&all, "(?:") < 0 ||
		    buf_add(&all, text, (size_t)n) < 0 || buf_addc(&all, ')') < 0) {
			bad = 1;
			break;
		}
	}
	if (ferror(f)) {
		/* A folder opens, but does not read. */
		diag_error(d, conf, line, "bots_file %s: %s", path, strerror(errno));
		bad = 1;
	}
	fclose(f);
	free(text);
	if (!bad && all.len > 0) {
		rx = rx_compile(all.p, PCRE2_CASELESS, err, sizeof err);
		if (rx == NULL) {
			diag_error(d, path, 0, "the combined bot list does not compile %s", err);
		}
	} else if (!bad) {
		diag_error(d, conf, line, "bots_file %s: the bot list is empty", path);
	}
	buf_free(&all);
	return rx;
}

#define CACHE_SETS 128
#define CACHE_WAYS 4 /* 512 agents in all */
#define CACHE_UA_MAX 384 /* longer user agents are not cached */

struct cache_slot {
	uint64_t memo; /* the caller's, see filter_hit(); 0 for a new agent */
	uint16_t len; /* 0: empty */
	uint8_t verdict;
	char ua[CACHE_UA_MAX];
};

/*
 * Set-associative, so that two busy agents whose hashes meet do not evict
 * each other on every line (with a few hundred agents, some always meet):
 * each agent has four places, and a new one takes the least recently used.
 */
struct cache_set {
	uint64_t hash[CACHE_WAYS];
	uint64_t used[CACHE_WAYS]; /* the tick of the last use; 0: empty */
	struct cache_slot slot[CACHE_WAYS];
};

struct agent_cache {
	uint64_t tick;
	uint64_t misses; /* agents checked against the lists */
	struct cache_set set[CACHE_SETS];
};

struct agent_cache *agent_cache_new(void) { return calloc(1, sizeof(struct agent_cache)); }

void agent_cache_free(struct agent_cache *c) { free(c); }

uint64_t agent_cache_misses(const struct agent_cache *c) { return c->misses; }

/*
 * A fast unkeyed hash: it only spreads user agents over the slots (a hit
 * is confirmed by comparing the whole string).  Sixteen bytes per step in
 * two independent chains, each step one 64x64->128-bit multiply folded to
 * 64 bits.  (A plain 64-bit multiply per word was turned by the compiler
 * into SIMD code that emulates it, slower than the scalar multiplies.)
 */
/* (A word equal to a key constant zeroes its step, and crafted agents could
 * so crowd one set: that costs cache misses, never a wrong verdict, since
 * a hit is confirmed on the whole string.) */
#ifdef __SIZEOF_INT128__
__extension__ typedef unsigned __int128 u128;
static uint64_t mum(uint64_t a, uint64_t b)
{
	u128 r = (u128)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
}
#else
static uint64_t mum(uint64_t a, uint64_t b)
{
	uint64_t h = a * 0xff51afd7ed558ccdULL ^ ((b << 31) | (b >> 33)) * 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 32);
}
#endif

static uint64_t load64(const char *p)
{
	uint64_t w;
	memcpy(&w, p, 8);
	return w;
}

uint64_t agent_cache_hash(const char *p, size_t n)
{
	static const uint64_t k0 = 0xa0761d6478bd642fULL, k1 = 0xe7037ed1a0b428dbULL,
			      k2 = 0x8ebc6af09c88c6e3ULL, k3 = 0x589965cc75374cc3ULL;
	uint64_t a = k0, b = k1;
	size_t len = n;

	for (; n > 32; p += 32, n -= 32) {
		a = mum(load64(p) ^ k2, load64(p + 8) ^ a);
		b = mum(load64(p + 16) ^ k3, load64(p + 24) ^ b);
	}
	if (len >= 16) {
		/* The last one or two 16 bytes, overlapping what came before. */
		if (n > 16) {
			a = mum(load64(p) ^ k2, load64(p + 8) ^ a);
		}
		b = mum(load64(p + n - 16) ^ k3, load64(p + n - 8) ^ b);
	} else {
		uint64_t w[2] = {0, 0};
		memcpy(w, p, n);
		b = mum(w[0] ^ k3, w[1] ^ b);
	}
	/* The length last, so that no change of bytes can cancel it. */
	return mum(a ^ k1, b ^ k2 ^ len);
}

/* The verdict of the user-agent checks alone (bot list, exclude_agents). */
static enum filter_reason agent_verdict(const struct site *site, struct rx *bots,
					const struct slice *ua)
{
	if (site->exclude_bots && bots != NULL && rx_match(bots, ua->p, ua->n) != 0) {
		return FILTER_BOT;
	}
	if (site->exclude_agents.rx != NULL && rx_match(site->exclude_agents.rx, ua->p, ua->n) != 0) {
		return FILTER_AGENT;
	}
	return FILTER_PASS;
}

static enum filter_reason agent_cached(const struct site *site, struct rx *bots,
				       struct agent_cache *cache, const struct slice *ua,
				       uint64_t **memo)
{
	uint64_t h;
	struct cache_set *set;
	struct cache_slot *s;
	enum filter_reason v;
	int victim = 0;

	if (cache == NULL || ua->n == 0 || ua->n > CACHE_UA_MAX) {
		return agent_verdict(site, bots, ua);
	}
	h = agent_cache_hash(ua->p, ua->n);
	set = &cache->set[h % CACHE_SETS];
	cache->tick++;
	for (int i = 0; i < CACHE_WAYS; i++) {
		s = &set->slot[i];
		if (set->hash[i] == h && s->len == ua->n && memcmp(s->ua, ua->p, ua->n) == 0) {
			set->used[i] = cache->tick;
			*memo = &s->memo;
			return (enum filter_reason)s->verdict;
		}
		if (set->used[i] < set->used[victim]) {
			victim = i;
		}
	}
	v = agent_verdict(site, bots, ua);
	cache->misses++;
	s = &set->slot[victim];
	set->hash[victim] = h;
	set->used[victim] = cache->tick;
	s->memo = 0;
	s->len = (uint16_t)ua->n;
	s->verdict = (uint8_t)v;
	memcpy(s->ua, ua->p, ua->n);
	*memo = &s->memo;
	return v;
}

enum filter_reason filter_hit(const struct site *site, struct rx *bots, struct agent_cache *cache,
			      const struct hit *hit, const struct slice *client, uint64_t **memo)
{
	const struct slice *ua = &hit->f[FIELD_HTTP_USER_AGENT];
	enum filter_reason v;
	uint8_t addr[16];
	uint64_t *unused;

	if (memo == NULL) {
		memo = &unused;
	}
	*memo = NULL;

	if (!status_set_has(&site->status, hit->status)) {
		return FILTER_STATUS;
	}
	if (site->exclude_paths.rx != NULL && rx_match(site->exclude_paths.rx, hit->path.p, hit->path.n) != 0) {
		return FILTER_PATH;
	}
	/* No user agent: Pinterest needs one, and only bots send none. */
	if (ua->p == NULL) {
		return FILTER_BOT;
	}
	v = agent_cached(site, bots, cache, ua, memo);
	if (v != FILTER_PASS) {
		return v;
	}
	if (site->exclude_ips.n > 0 && cidr_addr(client->p, client->n, addr) == 0 &&
	    cidr_list_match(&site->exclude_ips, addr)) {
		return FILTER_IP;
	}
	return FILTER_PASS;
}
