/*
 * filter — which hits can never be events: bots, excluded agents, paths,
 * addresses and statuses ("[filter]").
 */
#ifndef PINTAIL_FILTER_H
#define PINTAIL_FILTER_H

#include "parser.h"

struct rx;
struct diag;
struct agent_cache;

/*
 * Reads the bot list PATH (one PCRE2 per line, '#' comments) and compiles
 * it as one case-insensitive alternation.  A bad pattern is reported to D
 * at its PATH:LINE; a list that cannot be read, or is empty, at CONF:LINE,
 * where bots_file was set (LINE 0: its default).  Returns the compiled
 * list, or NULL.
 */
struct rx *filter_load_bots(const char *path, const char *conf, int line, struct diag *d);

/* Why a hit was filtered out; FILTER_PASS when it was not. */
enum filter_reason {
	FILTER_PASS,
	FILTER_STATUS,
	FILTER_PATH,
	FILTER_BOT,
	FILTER_AGENT,
	FILTER_IP,
	FILTER_REASONS
};

const char *filter_reason_name(enum filter_reason r);

struct site;

/*
 * A cache of verdicts on user agents.  Real traffic repeats a few hundred
 * user agents, and searching one against the whole bot list costs far more
 * than everything else a line needs, so each verdict is remembered.  The
 * cache belongs to one site's pipeline (its verdicts depend on the site's
 * exclude_bots and exclude_agents).  NULL when out of memory.
 */
struct agent_cache *agent_cache_new(void);
void agent_cache_free(struct agent_cache *c);

/* How many times an agent had to be checked against the lists. */
uint64_t agent_cache_misses(const struct agent_cache *c);

/* The cache's (unkeyed) hash of a user agent; exported for its tests. */
uint64_t agent_cache_hash(const char *ua, size_t n);

/*
 * Applies SITE's [filter] to HIT whose client address is CLIENT (as chosen
 * by client_ip).  Checks run cheapest first.  CACHE may be NULL.
 *
 * When MEMO is not NULL, *MEMO is set to a 64-bit word that lives as long
 * as the cache's entry for this hit's user agent, for the caller to keep
 * something it derived from that agent (0 until it does); NULL when the
 * agent has no entry.  The pipeline keeps the agent's salted hash there.
 */
enum filter_reason filter_hit(const struct site *site, struct rx *bots, struct agent_cache *cache,
			      const struct hit *hit, const struct slice *client, uint64_t **memo);

#endif
