/*
 * test_clickmem — the click-id memory: keys, put/get, expiry, forgetting,
 * its bound, and which epik wins.
 */
#include "testutil.h"

#include "clickmem.h"

static const uint8_t SALT[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const char UA[] = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [Pinterest/iOS]";
static const char EPIK_A[] = "dj0yJnU9b2JDcFFHekV4SHJNcmVrbFBkUEdqakh0akdUT1VjVVUmcD0yJm49cnNBQ3F2Q2dOVDBXWWhkWklrUGxBUSZ0PUFBQUFBR1BaY3Bv";
static const char EPIK_B[] = "dj0yJnU9SECONDsecondSECONDsecond";

#define T0 INT64_C(1795860000)
#define DAY INT64_C(86400)
#define HOUR_S INT64_C(3600)

static void key_of(const struct clickmem *cm, const char *ip, const char *ua,
		   uint8_t key[CLICKMEM_KEY_LEN])
{
	clickmem_key(cm, ip, strlen(ip), ua, strlen(ua), key);
}

/* The clock when put() remembers: after every time of the tests, unless
 * a test sets it. */
static int64_t wall = T0 + 365 * DAY;

static void put(struct clickmem *cm, const char *ip, const char *ua, int64_t t, const char *epik)
{
	uint8_t key[CLICKMEM_KEY_LEN];
	key_of(cm, ip, ua, key);
	clickmem_put(cm, key, t, wall, epik, strlen(epik));
}

/* The remembered epik as a string ("" when there is none). */
static const char *get(const struct clickmem *cm, const char *ip, const char *ua, int64_t now)
{
	static char out[CLICKMEM_EPIK_MAX + 1];
	uint8_t key[CLICKMEM_KEY_LEN];
	const char *p = NULL;
	size_t n = 0;

	key_of(cm, ip, ua, key);
	if (!clickmem_get(cm, key, now, &p, &n)) {
		return "";
	}
	assert_non_null(p);
	assert_true(n <= CLICKMEM_EPIK_MAX);
	memcpy(out, p, n);
	out[n] = '\0';
	return out;
}

/*
 * A step of a scenario on one memory, the agent being UA: PUT remembers
 * EPIK for IP at T; GET asserts IP's epik at T is EPIK ("" for none);
 * COUNT asserts the memory holds N visitors.
 */
struct step {
	enum { STEP_PUT, STEP_GET, STEP_COUNT } op;
	const char *ip;
	int64_t t;
	const char *epik;
	size_t n;
};

#define PUT(ip, t, epik) {STEP_PUT, ip, t, epik, 0}
#define GET(ip, t, epik) {STEP_GET, ip, t, epik, 0}
#define COUNT(n) {STEP_COUNT, NULL, 0, NULL, n}

static void play(struct clickmem *cm, const struct step *steps, size_t nsteps)
{
	for (size_t i = 0; i < nsteps; i++) {
		const struct step *s = &steps[i];
		if (s->op == STEP_PUT) {
			put(cm, s->ip, UA, s->t, s->epik);
		} else if (s->op == STEP_GET) {
			const char *got = get(cm, s->ip, UA, s->t);
			if (strcmp(got, s->epik) != 0) {
				fail_msg("step %zu: %s at T0%+lld: \"%s\", want \"%s\"", i, s->ip,
					 (long long)(s->t - T0), got, s->epik);
			}
		} else if (clickmem_count(cm) != s->n) {
			fail_msg("step %zu: %zu visitors, want %zu", i, clickmem_count(cm), s->n);
		}
	}
}

/* PLAY(cm, PUT(...), GET(...), COUNT(...), ...): the steps, in order, on CM. */
#define PLAY(cm, ...)                                                                             \
	play(cm, (const struct step[]){__VA_ARGS__},                                              \
	     sizeof((const struct step[]){__VA_ARGS__}) / sizeof(struct step))

static void test_keys(void **state)
{
	struct clickmem *a = clickmem_new(64, DAY, SALT), *b = clickmem_new(64, DAY, SALT);
	struct clickmem *r1 = clickmem_new(64, DAY, NULL), *r2 = clickmem_new(64, DAY, NULL);
	uint8_t k1[CLICKMEM_KEY_LEN], k2[CLICKMEM_KEY_LEN];
	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(r1);
	assert_non_null(r2);

	/* The same salt gives the same key; the key is not the IP itself. */
	key_of(a, "203.0.113.5", UA, k1);
	key_of(b, "203.0.113.5", UA, k2);
	assert_memory_equal(k1, k2, CLICKMEM_KEY_LEN);
	assert_memory_equal(clickmem_salt(a), SALT, 16);
	/* IP and agent both count. */
	key_of(a, "203.0.113.6", UA, k2);
	assert_memory_not_equal(k1, k2, CLICKMEM_KEY_LEN);
	key_of(a, "203.0.113.5", "Mozilla/5.0", k2);
	assert_memory_not_equal(k1, k2, CLICKMEM_KEY_LEN);
	/* The boundary between IP and agent is part of the key. */
	key_of(a, "203.0.113.5", "1x", k1);
	key_of(a, "203.0.113.51", "x", k2);
	assert_memory_not_equal(k1, k2, CLICKMEM_KEY_LEN);
	/* Random salts differ, and so do keys. */
	assert_memory_not_equal(clickmem_salt(r1), clickmem_salt(r2), 16);
	key_of(r1, "203.0.113.5", UA, k1);
	key_of(r2, "203.0.113.5", UA, k2);
	assert_memory_not_equal(k1, k2, CLICKMEM_KEY_LEN);
	clickmem_free(a);
	clickmem_free(b);
	clickmem_free(r1);
	clickmem_free(r2);
}

static void test_put_get(void **state)
{
	struct clickmem *cm = clickmem_new(1024, 30 * DAY, SALT);
	(void)state;
	assert_int_equal(clickmem_count(cm), 0);
	assert_string_equal(get(cm, "203.0.113.5", UA, T0), "");

	put(cm, "203.0.113.5", UA, T0, EPIK_A);
	assert_int_equal(clickmem_count(cm), 1);
	assert_string_equal(get(cm, "203.0.113.5", UA, T0), EPIK_A);
	assert_string_equal(get(cm, "203.0.113.5", UA, T0 + 3600), EPIK_A);
	/* Another visitor: another IP, or the same IP with another agent. */
	assert_string_equal(get(cm, "203.0.113.6", UA, T0), "");
	assert_string_equal(get(cm, "203.0.113.5", "Mozilla/5.0", T0), "");
	/* IPv6. */
	put(cm, "2001:db8::1", UA, T0, EPIK_B);
	assert_string_equal(get(cm, "2001:db8::1", UA, T0 + 1), EPIK_B);
	assert_string_equal(get(cm, "203.0.113.5", UA, T0 + 1), EPIK_A);
	assert_int_equal(clickmem_count(cm), 2);
	clickmem_free(cm);
}

static void test_ttl(void **state)
{
	struct clickmem *cm = clickmem_new(64, 30 * DAY, SALT);
	(void)state;
	PLAY(cm, PUT("198.51.100.7", T0, EPIK_A),
	     GET("198.51.100.7", T0 + 30 * DAY, EPIK_A),
	     GET("198.51.100.7", T0 + 30 * DAY + 1, ""),
	     GET("198.51.100.7", T0 + 365 * DAY, ""),
	     /* A line read a little out of order (earlier than the landing) still sees it. */
	     GET("198.51.100.7", T0 - 60, EPIK_A));
	clickmem_free(cm);

	/* A short TTL. */
	cm = clickmem_new(64, 10, SALT);
	PLAY(cm, PUT("198.51.100.7", T0, EPIK_A),
	     GET("198.51.100.7", T0 + 10, EPIK_A),
	     GET("198.51.100.7", T0 + 11, ""),
	     /* Refreshing with a later sighting restarts the clock. */
	     PUT("198.51.100.7", T0 + 11, EPIK_A),
	     GET("198.51.100.7", T0 + 20, EPIK_A));
	clickmem_free(cm);
}

static void test_off(void **state)
{
	/* click_memory = 0: nothing is kept. */
	struct clickmem *cm = clickmem_new(64, 0, SALT);
	(void)state;
	assert_non_null(cm);
	PLAY(cm, PUT("198.51.100.7", T0, EPIK_A), GET("198.51.100.7", T0, ""), COUNT(0));
	clickmem_free(cm);
}

static void test_rejected_values(void **state)
{
	struct clickmem *cm = clickmem_new(64, DAY, SALT);
	uint8_t key[CLICKMEM_KEY_LEN];
	char big[CLICKMEM_EPIK_MAX + 2];
	(void)state;
	key_of(cm, "198.51.100.7", UA, key);
	/* An empty epik, or time 0, is not remembered. */
	clickmem_put(cm, key, T0, T0, "", 0);
	clickmem_put(cm, key, 0, T0, EPIK_A, strlen(EPIK_A));
	assert_int_equal(clickmem_count(cm), 0);
	/* The longest epik kept is CLICKMEM_EPIK_MAX bytes; longer ones are not kept. */
	memset(big, 'Q', sizeof big);
	clickmem_put(cm, key, T0, T0, big, CLICKMEM_EPIK_MAX + 1);
	assert_int_equal(clickmem_count(cm), 0);
	clickmem_put(cm, key, T0, T0, big, CLICKMEM_EPIK_MAX);
	assert_int_equal(clickmem_count(cm), 1);
	assert_int_equal(strlen(get(cm, "198.51.100.7", UA, T0)), CLICKMEM_EPIK_MAX);
	/* A too-long epik later does not erase the one kept. */
	clickmem_put(cm, key, T0 + 5, T0, big, CLICKMEM_EPIK_MAX + 1);
	assert_int_equal(strlen(get(cm, "198.51.100.7", UA, T0 + 5)), CLICKMEM_EPIK_MAX);
	/* Epiks are opaque bytes: kept exactly. */
	clickmem_put(cm, key, T0 + 6, T0, "a%2Bb+c=\0d", 10);
	{
		const char *p;
		size_t n;
		assert_int_equal(clickmem_get(cm, key, T0 + 6, &p, &n), 1);
		assert_int_equal(n, 10);
		assert_memory_equal(p, "a%2Bb+c=\0d", 10);
	}
	clickmem_free(cm);
}

static void test_forget(void **state)
{
	struct clickmem *cm = clickmem_new(64, DAY, SALT);
	uint8_t key[CLICKMEM_KEY_LEN];
	(void)state;
	put(cm, "198.51.100.7", UA, T0, EPIK_A);
	put(cm, "198.51.100.8", UA, T0, EPIK_B);
	assert_int_equal(clickmem_count(cm), 2);
	key_of(cm, "198.51.100.7", UA, key);
	clickmem_forget(cm, key);
	assert_string_equal(get(cm, "198.51.100.7", UA, T0), "");
	assert_string_equal(get(cm, "198.51.100.8", UA, T0), EPIK_B);
	assert_int_equal(clickmem_count(cm), 1);
	/* Forgetting an unknown visitor is harmless. */
	clickmem_forget(cm, key);
	key_of(cm, "192.0.2.99", "nobody", key);
	clickmem_forget(cm, key);
	assert_int_equal(clickmem_count(cm), 1);
	/* A forgotten visitor can be remembered again by a new landing. */
	put(cm, "198.51.100.7", UA, T0 + 10, EPIK_B);
	assert_string_equal(get(cm, "198.51.100.7", UA, T0 + 10), EPIK_B);
	clickmem_free(cm);
}

static void test_newer_replaces_older(void **state)
{
	struct clickmem *cm = clickmem_new(64, 30 * DAY, SALT);
	(void)state;
	PLAY(cm, PUT("198.51.100.7", T0, EPIK_A),
	     PUT("198.51.100.7", T0 + 3600, EPIK_B),
	     GET("198.51.100.7", T0 + 3600, EPIK_B),
	     COUNT(1),
	     /* The same time: the later put wins. */
	     PUT("198.51.100.7", T0 + 3600, EPIK_A),
	     GET("198.51.100.7", T0 + 3600, EPIK_A));
	clickmem_free(cm);
}

static void test_older_does_not_replace(void **state)
{
	struct clickmem *cm = clickmem_new(64, 30 * DAY, SALT);
	(void)state;
	/* An older line read later (a rotated file caught up) keeps the newer epik. */
	PLAY(cm, PUT("198.51.100.7", T0 + 3600, EPIK_B),
	     PUT("198.51.100.7", T0, EPIK_A),
	     GET("198.51.100.7", T0 + 3600, EPIK_B),
	     /* And its age stays that of the newer sighting. */
	     GET("198.51.100.7", T0 + 3600 + 30 * DAY, EPIK_B),
	     COUNT(1));
	clickmem_free(cm);
}

/* A hit more than a minute before the click never saw it. */
static void test_hit_before_click(void **state)
{
	struct clickmem *cm = clickmem_new(64, 30 * DAY, SALT);
	(void)state;
	PLAY(cm, PUT("198.51.100.7", T0, EPIK_A),
	     GET("198.51.100.7", T0 - 60, EPIK_A),
	     GET("198.51.100.7", T0 - 61, ""),
	     GET("198.51.100.7", T0 - 600, ""),
	     GET("198.51.100.7", T0 - 29 * DAY, ""));
	clickmem_free(cm);
}

/*
 * The clock set back: an epik seen at a time now ahead of the clock gives
 * way to an older-dated click, which is the newer one; without the step,
 * an older line read later does not replace it.
 */
static void test_clock_set_back(void **state)
{
	struct clickmem *cm = clickmem_new(64, 30 * DAY, SALT);
	(void)state;
	wall = T0 + 2 * DAY;
	put(cm, "198.51.100.7", UA, T0 + 2 * DAY, EPIK_A);
	wall = T0 + 2 * DAY + 60; /* no step: an older line read later */
	put(cm, "198.51.100.7", UA, T0, EPIK_B);
	assert_string_equal(get(cm, "198.51.100.7", UA, T0 + 2 * DAY + 60), EPIK_A);
	wall = T0; /* the clock set back two days */
	put(cm, "198.51.100.7", UA, T0, EPIK_B);
	assert_string_equal(get(cm, "198.51.100.7", UA, T0 + 60), EPIK_B);
	/* Within CLICKMEM_AHEAD_MAX of the clock, an epik stands. */
	wall = T0 + 60;
	put(cm, "198.51.100.8", UA, T0 + 60 + CLICKMEM_AHEAD_MAX, EPIK_A);
	put(cm, "198.51.100.8", UA, T0 + 60, EPIK_B);
	assert_string_equal(get(cm, "198.51.100.8", UA, T0 + 60 + CLICKMEM_AHEAD_MAX), EPIK_A);
	wall = T0 + 365 * DAY;
	clickmem_free(cm);
}

/*
 * The file keeps no epik past click_memory: a save leaves out (and the
 * table forgets) those too old at the clock, and so does a load, which then
 * marks the table for saving; with click_memory = 0, all of them.
 */
static void test_save_load_expired(void **state)
{
	char *dir = tu_tmpdir();
	struct clickmem *cm = clickmem_new(1024, 30 * DAY, SALT), *back;
	(void)state;
	put(cm, "203.0.113.5", UA, T0, EPIK_A);
	put(cm, "203.0.113.6", UA, T0 + 20 * DAY, EPIK_B);
	assert_int_equal(clickmem_save(cm, dir, T0 + 40 * DAY), 0);
	assert_int_equal(clickmem_count(cm), 1);
	back = clickmem_load(dir, 1024, 30 * DAY, 0, T0 + 40 * DAY);
	assert_int_equal(clickmem_count(back), 1);
	assert_false(clickmem_dirty(back));
	assert_string_equal(get(back, "203.0.113.6", UA, T0 + 40 * DAY), EPIK_B);
	clickmem_free(back);
	/* Loaded later, the other is too old as well. */
	back = clickmem_load(dir, 1024, 30 * DAY, 0, T0 + 60 * DAY);
	assert_int_equal(clickmem_count(back), 0);
	assert_true(clickmem_dirty(back));
	clickmem_free(back);
	/* click_memory = 0: none is loaded, and the file is to be written again. */
	back = clickmem_load(dir, 1024, 0, 0, T0 + 40 * DAY);
	assert_int_equal(clickmem_count(back), 0);
	assert_true(clickmem_dirty(back));
	assert_int_equal(clickmem_save(back, dir, T0 + 40 * DAY), 0);
	clickmem_free(back);
	back = clickmem_load(dir, 1024, 30 * DAY, 0, T0 + 40 * DAY);
	assert_int_equal(clickmem_count(back), 0);
	clickmem_free(back);
	/* An epik dated ahead of the clock (saved before the clock was set
	 * back) is not loaded. */
	put(cm, "203.0.113.7", UA, T0 + 41 * DAY, EPIK_A);
	assert_int_equal(clickmem_save(cm, dir, T0 + 41 * DAY), 0);
	back = clickmem_load(dir, 1024, 30 * DAY, 0, T0 + 40 * DAY);
	assert_int_equal(clickmem_count(back), 1);
	assert_string_equal(get(back, "203.0.113.6", UA, T0 + 40 * DAY), EPIK_B);
	clickmem_free(back);
	/* A catch-up: hits are read up to max_event_age behind the clock, so
	 * an epik 3 hours old under a click_memory of 1 hour is kept with a
	 * backlog of 7 days, for the hits of its hour; without, it goes. */
	{
		struct clickmem *one = clickmem_new(1024, HOUR_S, SALT);
		char *sub = tu_tmpdir();
		put(one, "203.0.113.8", UA, T0, EPIK_A);
		assert_int_equal(clickmem_save(one, sub, T0), 0);
		clickmem_free(one);
		back = clickmem_load(sub, 1024, HOUR_S, 7 * DAY, T0 + 3 * HOUR_S);
		assert_int_equal(clickmem_count(back), 1);
		assert_string_equal(get(back, "203.0.113.8", UA, T0 + HOUR_S / 2), EPIK_A);
		assert_int_equal(clickmem_save(back, sub, T0 + 3 * HOUR_S), 0);
		assert_int_equal(clickmem_count(back), 1);
		clickmem_free(back);
		back = clickmem_load(sub, 1024, HOUR_S, 0, T0 + 3 * HOUR_S);
		assert_int_equal(clickmem_count(back), 0);
		clickmem_free(back);
		/* A reload that raises max_event_age keeps them too. */
		one = clickmem_new(1024, HOUR_S, SALT);
		put(one, "203.0.113.8", UA, T0, EPIK_A);
		clickmem_set_ttl(one, HOUR_S, 7 * DAY);
		assert_int_equal(clickmem_save(one, sub, T0 + 3 * HOUR_S), 0);
		assert_int_equal(clickmem_count(one), 1);
		clickmem_set_ttl(one, HOUR_S, 0);
		assert_true(clickmem_dirty(one));
		assert_int_equal(clickmem_save(one, sub, T0 + 3 * HOUR_S), 0);
		assert_int_equal(clickmem_count(one), 0);
		clickmem_free(one);
		tu_rmtree(sub);
		free(sub);
	}
	/* A reload that shortens click_memory has the table saved again. */
	clickmem_save(cm, dir, T0 + 41 * DAY);
	assert_false(clickmem_dirty(cm));
	clickmem_set_ttl(cm, DAY, 0);
	assert_true(clickmem_dirty(cm));
	assert_int_equal(clickmem_save(cm, dir, T0 + 41 * DAY), 0);
	assert_int_equal(clickmem_count(cm), 1);
	clickmem_free(cm);
	tu_rmtree(dir);
	free(dir);
}

static void test_bounded(void **state)
{
	static const size_t caps[] = {4, 64, 4096};
	(void)state;
	for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
		size_t cap = caps[c];
		struct clickmem *cm = clickmem_new(cap, 30 * DAY, SALT);
		char ip[64];
		assert_non_null(cm);
		for (size_t i = 0; i < cap * 8; i++) {
			snprintf(ip, sizeof ip, "10.%zu.%zu.%zu", (i >> 16) & 255, (i >> 8) & 255, i & 255);
			put(cm, ip, UA, T0 + (int64_t)i, EPIK_A);
			/* Counting walks the table: not after every put of the big one. */
			if ((cap <= 64 || i % 256 == 255) && clickmem_count(cm) > cap) {
				fail_msg("capacity %zu: %zu entries after %zu puts", cap, clickmem_count(cm), i + 1);
			}
		}
		if (clickmem_count(cm) > cap) {
			fail_msg("capacity %zu: %zu entries at the end", cap, clickmem_count(cm));
		}
		/* Full (or nearly: the table is set-associative). */
		if (clickmem_count(cm) < cap / 2) {
			fail_msg("capacity %zu: only %zu entries kept", cap, clickmem_count(cm));
		}
		/* The most recent visitor is always still there. */
		snprintf(ip, sizeof ip, "10.%zu.%zu.%zu", ((cap * 8 - 1) >> 16) & 255,
			 ((cap * 8 - 1) >> 8) & 255, (cap * 8 - 1) & 255);
		assert_string_equal(get(cm, ip, UA, T0 + (int64_t)cap * 8), EPIK_A);
		clickmem_free(cm);
	}
}

static void test_bounded_uneven_capacity(void **state)
{
	/* "About CAPACITY" entries: never more than the next power of two. */
	struct clickmem *cm = clickmem_new(100, 30 * DAY, SALT);
	char ip[64];
	(void)state;
	for (int i = 0; i < 2000; i++) {
		snprintf(ip, sizeof ip, "192.0.%d.%d", i / 256, i % 256);
		put(cm, ip, UA, T0 + i, EPIK_B);
	}
	if (clickmem_count(cm) > 128) {
		fail_msg("capacity 100: %zu entries", clickmem_count(cm));
	}
	clickmem_free(cm);
}

static void test_evicts_oldest(void **state)
{
	/* Capacity 4: one set of four ways, so the fifth visitor evicts the oldest. */
	struct clickmem *cm = clickmem_new(4, 30 * DAY, SALT);
	(void)state;
	PLAY(cm, PUT("192.0.2.2", T0 + 2, "two"),
	     PUT("192.0.2.1", T0 + 1, "one"),
	     PUT("192.0.2.3", T0 + 3, "three"),
	     PUT("192.0.2.4", T0 + 4, "four"),
	     COUNT(4),
	     PUT("192.0.2.5", T0 + 5, "five"),
	     COUNT(4),
	     GET("192.0.2.1", T0 + 5, ""),
	     GET("192.0.2.2", T0 + 5, "two"),
	     GET("192.0.2.3", T0 + 5, "three"),
	     GET("192.0.2.4", T0 + 5, "four"),
	     GET("192.0.2.5", T0 + 5, "five"),
	     /* Updating a known visitor evicts nobody. */
	     PUT("192.0.2.2", T0 + 6, "two again"),
	     COUNT(4),
	     GET("192.0.2.2", T0 + 6, "two again"),
	     GET("192.0.2.3", T0 + 6, "three"));
	clickmem_free(cm);
}

/* Saved and loaded back; a damaged entry ends the load without harm. */
static void test_save_load_damaged(void **state)
{
	char *dir = tu_tmpdir(), *path;
	struct clickmem *cm = clickmem_new(1024, 30 * DAY, SALT), *back;
	FILE *f;
	uint8_t junk[CLICKMEM_KEY_LEN + 8 + 1] = {0};
	(void)state;
	put(cm, "203.0.113.5", UA, T0, EPIK_A);
	assert_int_equal(clickmem_save(cm, dir, T0), 0);
	back = clickmem_load(dir, 1024, 30 * DAY, 0, T0);
	assert_non_null(back);
	assert_string_equal(get(back, "203.0.113.5", UA, T0 + 1), EPIK_A);
	clickmem_free(back);

	/* An entry claiming 250 bytes of epik (more than any epik kept). */
	assert_true(asprintf(&path, "%s/clickmem", dir) > 0);
	f = fopen(path, "ab");
	assert_non_null(f);
	junk[sizeof junk - 1] = 250;
	fwrite(junk, 1, sizeof junk, f);
	for (int i = 0; i < 250; i++) {
		fputc('x', f);
	}
	fclose(f);
	back = clickmem_load(dir, 1024, 30 * DAY, 0, T0);
	assert_non_null(back);
	assert_string_equal(get(back, "203.0.113.5", UA, T0 + 1), EPIK_A);
	assert_int_equal(clickmem_count(back), 1);
	clickmem_free(back);
	clickmem_free(cm);
	free(path);
	tu_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_put_get),
		cmocka_unit_test(test_ttl),
		cmocka_unit_test(test_off),
		cmocka_unit_test(test_rejected_values),
		cmocka_unit_test(test_forget),
		cmocka_unit_test(test_newer_replaces_older),
		cmocka_unit_test(test_older_does_not_replace),
		cmocka_unit_test(test_hit_before_click),
		cmocka_unit_test(test_clock_set_back),
		cmocka_unit_test(test_save_load_expired),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_bounded_uneven_capacity),
		cmocka_unit_test(test_evicts_oldest),
		cmocka_unit_test(test_save_load_damaged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
