/*
 * clickmem — the click-id memory: the last epik seen for a visitor (client
 * IP + user agent), so that a checkout hours after the landing carries it.
 *
 * A bounded, set-associative table: each key has four slots to live in, and
 * a new entry takes the oldest of them.  Keys are a salted hash (SipHash)
 * of the IP and user agent, never the values themselves.  Nothing is
 * allocated after clickmem_new().
 */
#ifndef PINTAIL_CLICKMEM_H
#define PINTAIL_CLICKMEM_H

#include <stddef.h>
#include <stdint.h>

#define CLICKMEM_KEY_LEN 8
#define CLICKMEM_EPIK_MAX 191
/* The entries a site's memory holds, in the agent and in `parse`. */
#define CLICKMEM_CAPACITY 16384

struct clickmem;

/*
 * A table of about CAPACITY entries that live TTL_S seconds, keyed with
 * SALT (16 bytes; NULL: a random salt).  NULL when out of memory.
 */
struct clickmem *clickmem_new(size_t capacity, int64_t ttl_s, const uint8_t *salt);
void clickmem_free(struct clickmem *cm);

/*
 * The key of a visitor: SipHash, keyed with the salt, of their agent's
 * salted hash (clickmem_agent_hash()) and their address.  In two steps, so
 * that the agent's hash, the long part, can be kept and reused: real
 * traffic repeats a few hundred agents.
 */
void clickmem_key(const struct clickmem *cm, const char *ip, size_t iplen, const char *ua,
		  size_t ualen, uint8_t key[CLICKMEM_KEY_LEN]);

/* The salted hash of a user agent; never 0. */
uint64_t clickmem_agent_hash(const struct clickmem *cm, const char *ua, size_t ualen);

/* clickmem_key() from the agent's hash. */
void clickmem_visitor_key(const struct clickmem *cm, const char *ip, size_t iplen,
			  uint64_t agent_hash, uint8_t key[CLICKMEM_KEY_LEN]);

/* A hit this many seconds before a visitor's click still gets its epik: lines
 * a little out of order. */
#define CLICKMEM_EARLY_SLACK 60
/* An entry dated more than this ahead of the clock (seen before the clock was
 * set back) gives way to any newer click, and is not kept. */
#define CLICKMEM_AHEAD_MAX 300

/*
 * The epik remembered for KEY if it was seen within the TTL before NOW
 * (seconds, the hit's time), and not more than CLICKMEM_EARLY_SLACK after
 * it; 1 and OUT/OUTLEN set (valid until the next change), else 0.
 */
int clickmem_get(const struct clickmem *cm, const uint8_t key[CLICKMEM_KEY_LEN], int64_t now,
		 const char **out, size_t *outlen);

/*
 * Remembers EPIK for KEY as seen at time T; longer epiks are not kept.  It
 * replaces KEY's epik when that was seen no later than T, or ahead of NOW,
 * the clock (by more than CLICKMEM_AHEAD_MAX).
 */
void clickmem_put(struct clickmem *cm, const uint8_t key[CLICKMEM_KEY_LEN], int64_t t, int64_t now,
		  const char *epik, size_t n);

/* Starts loading KEY's place in the table into the CPU cache (a hint). */
void clickmem_prefetch(const struct clickmem *cm, const uint8_t key[CLICKMEM_KEY_LEN]);

/* Forgets KEY (a visitor who sent Sec-GPC: 1). */
void clickmem_forget(struct clickmem *cm, const uint8_t key[CLICKMEM_KEY_LEN]);

/* Number of live entries (for status and tests). */
size_t clickmem_count(const struct clickmem *cm);

/* SipHash-2-4 of DATA under KEY (exported for its test vectors). */
uint64_t clickmem_siphash(const uint8_t key[16], const void *data, size_t n);

/*
 * Persistence in the site's state folder: DIR/clickmem, mode 0600, with a
 * format version, the salt and the live entries (keys are salted hashes:
 * no IP address or user agent is stored).  clickmem_load() returns a table
 * of CAPACITY entries living TTL_S seconds: the saved one, or a fresh one
 * with a new salt when there is none (or it is unreadable: logged).  Entries
 * that no hit still to be read can use at NOW (the clock): older than the
 * TTL plus BACKLOG_S (how far behind the clock hits are still read: the
 * site's max_event_age), or dated ahead of the clock, are kept neither in
 * the table nor in the file: each save leaves them out (click_memory = 0:
 * all of them).
 */
struct clickmem *clickmem_load(const char *dir, size_t capacity, int64_t ttl_s, int64_t backlog_s,
			       int64_t now);

/* How long an epik is remembered from now on (a reload changed
 * click_memory or max_event_age): TTL_S seconds, 0 for not at all, and
 * BACKLOG_S (as clickmem_load()'s). */
void clickmem_set_ttl(struct clickmem *cm, int64_t ttl_s, int64_t backlog_s);
int clickmem_save(struct clickmem *cm, const char *dir, int64_t now);

/* The salt of the keys (16 bytes). */
const uint8_t *clickmem_salt(const struct clickmem *cm);

/* 1 when entries changed since the last save. */
int clickmem_dirty(const struct clickmem *cm);

#endif
