/*
 * test_pipeline — from an access-log line to events: event ids (the SPEC
 * §4 test vector), rules, opt-out, click ids and the click memory, hashed
 * user data, host routing, max_event_age, and the counts of `parse`.
 */
#include "testutil.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <time.h>

#include "clickmem.h"
#include "hash.h"
#include "pipeline.h"

#define T0 INT64_C(1795860000) /* 28/Nov/2026:10:00:00 +0000 */
#define HOUR INT64_C(3600)
#define DAY INT64_C(86400)

/* The SPEC §4 test vector. */
#define SPEC_LINE                                                                                    \
	"203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET /products/blue-mug HTTP/1.1\" 200 5123 \"-\" " \
	"\"Mozilla/5.0\""
#define SPEC_IDENTITY "8b050241b791a447aaeb8c6afec011bed6f299c4cf63596437cbd537cb233ca6"
#define SPEC_EVENT_ID "1b70c215e1cbaff707aa377aa1536e8c"

#define SHA_EMAIL "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b" /* test@example.com */
#define SHA_PHONE_US "413ba75461ab5f99d36820e561ea97e2bd80f9cb586f7ecea6cf4c496518950a" /* 14155550123 */

#define UA_IPHONE_PIN                                                                               \
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) " \
	"Mobile/15E148 [Pinterest/iOS]"
#define UA_FIREFOX "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
#define EPIK "dj0yJnU9b2JDcFFHekV4SHJNcmVrbFBkUEdqakh0akdUT1VjVVUmcD0yJm49cnNBQ3F2Q2dOVDBXWWhkWklrUGxBUSZ0PUFBQUFBR1BaY3Bv"

#define SHOP_HOSTS "hosts = shop.example.com www.shop.example.com\n"

/* ---- fixture ------------------------------------------------------------ */

#define MAXEV 16

struct got {
	int n;
	char *json[MAXEV];
	char *id[MAXEV];
	const char *reject[MAXEV];
	int type[MAXEV];
	int64_t time[MAXEV];
	int stop_after; /* the emit callback stops after this many; 0: never */
};

struct fx {
	struct tu_tmpconf conf;
	struct pipeline *pl;
	struct clickmem *cm;
	struct got got;
	cJSON *json[MAXEV];
};

static struct fx F;

static void got_clear(struct got *g)
{
	for (int i = 0; i < g->n; i++) {
		free(g->json[i]);
		free(g->id[i]);
		cJSON_Delete(F.json[i]);
		F.json[i] = NULL;
	}
	g->n = 0;
}

static void fx_free(void)
{
	if (F.conf.dir == NULL) {
		return;
	}
	got_clear(&F.got);
	pipeline_free(F.pl);
	clickmem_free(F.cm);
	tu_tmpconf_free(&F.conf);
	memset(&F, 0, sizeof F);
}

static int fx_teardown(void **state)
{
	(void)state;
	fx_free();
	return 0;
}

/*
 * Loads a configuration with site "shop" (SHOP_TEXT) and optionally a
 * second site OTHER (OTHER_TEXT); "@DIR@" stands for the temporary folder.
 * AGENT_EXTRA goes to [agent].  Makes the pipeline of SITE_NAME.
 */
static void fx_load_full(const char *agent_extra, const char *shop_text, const char *other,
			 const char *other_text, const char *site_name)
{
	char *text, *sub, *name;
	fx_free();
	tu_tmpconf_write(&F.conf, agent_extra, "shop", shop_text);
	if (other != NULL) {
		assert_true(asprintf(&sub, "%s/conf.d", F.conf.dir) > 0);
		assert_true(asprintf(&name, "%s.conf", other) > 0);
		text = tu_replace_all(other_text, "@DIR@", F.conf.dir);
		free(tu_write(sub, name, text, 0600));
		free(text);
		free(name);
		free(sub);
	}
	tu_tmpconf_load(&F.conf, site_name);
	F.pl = pipeline_new(F.conf.l.cfg, F.conf.site, NULL);
	assert_non_null(F.pl);
}

static void fx_load(const char *shop_text) { fx_load_full(NULL, shop_text, NULL, NULL, "shop"); }

static int collect(void *ctx, const struct event_out *ev)
{
	struct got *g = ctx;
	assert_true(g->n < MAXEV);
	assert_non_null(ev->json);
	assert_non_null(ev->event_id);
	g->json[g->n] = strndup(ev->json, ev->len);
	assert_non_null(g->json[g->n]);
	/* The object is the whole of ev->json: no NUL inside, no newline. */
	assert_int_equal(strlen(g->json[g->n]), ev->len);
	assert_null(memchr(ev->json, '\n', ev->len));
	g->id[g->n] = strdup(ev->event_id);
	g->reject[g->n] = ev->reject;
	g->type[g->n] = (int)ev->type;
	g->time[g->n] = ev->time;
	g->n++;
	return g->stop_after > 0 && g->n >= g->stop_after;
}

/* ---- checking the JSON -------------------------------------------------- */

/*
 * Checks JSON has the shape of SPEC §4: what tu_event_shape checks, every
 * key an event must have, and custom data typed.
 */
static cJSON *check_event(const char *json)
{
	static const char *const required[] = {"event_name", "action_source", "event_time", "event_id",
					       "event_source_url", "user_data", NULL};
	cJSON *root = tu_event_shape(json, strlen(json));
	const cJSON *cd, *v;

	for (size_t i = 0; required[i]; i++) {
		if (cJSON_GetObjectItemCaseSensitive(root, required[i]) == NULL) {
			fail_msg("no %s: %s", required[i], json);
		}
	}
	cd = cJSON_GetObjectItemCaseSensitive(root, "custom_data");
	if (cd != NULL) {
		v = cJSON_GetObjectItemCaseSensitive(cd, "value");
		if (v != NULL && !cJSON_IsString(v)) {
			fail_msg("value is not a string: %s", json);
		}
		v = cJSON_GetObjectItemCaseSensitive(cd, "num_items");
		if (v != NULL && (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble))) {
			fail_msg("num_items is not an integer: %s", json);
		}
		v = cJSON_GetObjectItemCaseSensitive(cd, "content_ids");
		if (v != NULL && !cJSON_IsArray(v)) {
			fail_msg("content_ids is not an array: %s", json);
		}
	}
	return root;
}

/* Asserts event I's string at PATH is WANT (NULL: absent). */
#define EXPECT_STR(i, path, want)                                                                 \
	do {                                                                                      \
		const char *got_ = tu_jstr(F.json[i], path), *want_ = (want);                        \
		if (want_ == NULL && tu_jget(F.json[i], path) != NULL) {                             \
			fail_msg("event %d: %s: want absent in %s", i, path, F.got.json[i]);      \
		} else if (want_ != NULL && (got_ == NULL || strcmp(got_, want_) != 0)) {        \
			fail_msg("event %d: %s: want \"%s\", got %s%s%s in %s", i, path, want_,   \
				 got_ ? "\"" : "", got_ ? got_ : "absent", got_ ? "\"" : "",      \
				 F.got.json[i]);                                                  \
		}                                                                                 \
	} while (0)

/* ---- running lines ------------------------------------------------------ */

static struct line_src SRC = {.identity = SPEC_IDENTITY};

/* Runs LINE at OFFSET with clock NOW; checks every event; returns pipeline_line's result. */
static int run_at(const char *line, uint64_t offset, int64_t now)
{
	size_t n = strlen(line);
	char *copy = malloc(n ? n : 1);
	int r;
	assert_non_null(copy);
	memcpy(copy, line, n); /* exactly N bytes: ASan sees reads past the line */
	got_clear(&F.got);
	SRC.offset = offset;
	r = pipeline_line(F.pl, copy, n, &SRC, now, collect, &F.got);
	free(copy);
	for (int i = 0; i < F.got.n; i++) {
		F.json[i] = check_event(F.got.json[i]);
	}
	if (r >= 0 && r != F.got.n) {
		fail_msg("pipeline_line returned %d, emitted %d", r, F.got.n);
	}
	return r;
}

static int run(const char *line) { return run_at(line, 0, T0); }

/* An nginx "combined" line at time T (UTC) from IP with UA. */
static const char *combined(const char *ip, int64_t t, const char *method, const char *target, int status,
			    const char *referer, const char *ua)
{
	static char line[4096];
	static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	snprintf(line, sizeof line,
		 "%s - - [%02d/%s/%04d:%02d:%02d:%02d +0000] \"%s %s HTTP/1.1\" %d 512 \"%s\" \"%s\"", ip,
		 tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, method,
		 target, status, referer ? referer : "-", ua ? ua : UA_FIREFOX);
	return line;
}

/* An nginx_pintail line: combined plus host, request id, _epik cookie, Sec-GPC. */
static const char *pintail(const char *ip, int64_t t, const char *target, const char *referer,
			   const char *ua, const char *host, const char *rid, const char *cookie,
			   const char *gpc)
{
	static char line[4096];
	snprintf(line, sizeof line, "%s \"%s\" \"%s\" \"%s\" \"%s\"",
		 combined(ip, t, "GET", target, 200, referer, ua), host ? host : "-", rid ? rid : "-",
		 cookie ? cookie : "-", gpc ? gpc : "-");
	return line;
}

static const struct pipeline_stats *stats(void) { return pipeline_stats(F.pl); }

/* ---- event ids ---------------------------------------------------------- */

static void test_spec_vector(void **state)
{
	char identity[SHA256_HEX_LEN + 1];
	(void)state;
	hash_identity(SPEC_LINE, strlen(SPEC_LINE), identity);
	assert_string_equal(identity, SPEC_IDENTITY);

	/* No [event] section: the implicit page_visit rule. */
	fx_load(TU_SITE_HEAD("nginx_combined") TU_PINTEREST);
	assert_int_equal(F.conf.site->nrules, 1);
	assert_int_equal(run(SPEC_LINE), 1);
	assert_string_equal(F.got.id[0], SPEC_EVENT_ID);
	assert_int_equal(F.got.type[0], EV_PAGE_VISIT);
	assert_null(F.got.reject[0]);
	assert_int_equal(F.got.time[0], T0);
	assert_string_equal(F.got.json[0],
			    "{\"event_name\":\"page_visit\",\"action_source\":\"web\",\"event_time\":1795860000,"
			    "\"event_id\":\"" SPEC_EVENT_ID "\","
			    "\"event_source_url\":\"https://shop.example.com/products/blue-mug\","
			    "\"user_data\":{\"client_ip_address\":\"203.0.113.5\",\"client_user_agent\":\"Mozilla/5.0\"}}");
	assert_int_equal(stats()->events[EV_PAGE_VISIT], 1);

	/* Deterministic: the same line of the same input, in a fresh pipeline. */
	pipeline_free(F.pl);
	F.pl = pipeline_new(F.conf.l.cfg, F.conf.site, NULL);
	assert_non_null(F.pl);
	run(SPEC_LINE);
	assert_string_equal(F.got.id[0], SPEC_EVENT_ID);
}

static void test_offsets_give_distinct_ids(void **state)
{
	char first[64], second[64];
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") TU_PINTEREST);
	run_at(SPEC_LINE, 0, T0);
	snprintf(first, sizeof first, "%s", F.got.id[0]);
	run_at(SPEC_LINE, strlen(SPEC_LINE) + 1, T0);
	snprintf(second, sizeof second, "%s", F.got.id[0]);
	assert_string_not_equal(first, second);
	assert_int_equal(strlen(second), 32);
	assert_int_equal(strspn(second, "0123456789abcdef"), 32);
	/* Another input (identity), same offset: another id. */
	SRC.identity = "0000000000000000000000000000000000000000000000000000000000000000";
	run_at(SPEC_LINE, 0, T0);
	SRC.identity = SPEC_IDENTITY;
	assert_string_not_equal(F.got.id[0], first);
	/* Same place again: the first id. */
	run_at(SPEC_LINE, 0, T0);
	assert_string_equal(F.got.id[0], first);
	/* The id does not depend on the clock. */
	run_at(SPEC_LINE, 0, T0 + DAY);
	assert_string_equal(F.got.id[0], first);
}

static void test_request_id_is_event_id(void **state)
{
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_pintail") SHOP_HOSTS TU_PINTEREST
		"[event visit]\ntype = page_visit\n"
		"[event checkout]\ntype = checkout\npath = ^/checkout/thank-you\n");
	assert_int_equal(run(pintail("203.0.113.5", T0, "/checkout/thank-you?order=1", NULL, NULL,
				     "shop.example.com", "9f2c1a7be0d34c55a1e6f0b2c3d4e5f6", NULL, NULL)),
			 2);
	/* Every event of the hit carries the request id; they differ by event_name. */
	assert_string_equal(F.got.id[0], "9f2c1a7be0d34c55a1e6f0b2c3d4e5f6");
	assert_string_equal(F.got.id[1], "9f2c1a7be0d34c55a1e6f0b2c3d4e5f6");
	EXPECT_STR(0, "event_id", "9f2c1a7be0d34c55a1e6f0b2c3d4e5f6");
	EXPECT_STR(0, "event_name", "page_visit");
	EXPECT_STR(1, "event_name", "checkout");
	/* No request id ("-"): derived, and different per event name. */
	assert_int_equal(run(pintail("203.0.113.5", T0, "/checkout/thank-you?order=1", NULL, NULL,
				     "shop.example.com", NULL, NULL, NULL)),
			 2);
	assert_int_equal(strlen(F.got.id[0]), 32);
	assert_int_equal(strlen(F.got.id[1]), 32);
	assert_string_not_equal(F.got.id[0], F.got.id[1]);
	assert_string_not_equal(F.got.id[0], "-");
	/* A request id holding a NUL (logged as "\x00") is not cut short, nor
	 * sent empty: the id is derived. */
	assert_int_equal(run(pintail("203.0.113.5", T0, "/checkout/thank-you?order=1", NULL, NULL,
				     "shop.example.com", "\\x00abc", NULL, NULL)),
			 2);
	assert_int_equal(strlen(F.got.id[0]), 32);
	/* Nor one with a byte that is not printable ASCII: "\xFF" and "\xFE"
	 * would both come out of JSON as U+FFFD, two hits one id. */
	assert_int_equal(run(pintail("203.0.113.5", T0, "/checkout/thank-you?order=1", NULL, NULL,
				     "shop.example.com", "\\xFF", NULL, NULL)),
			 2);
	assert_int_equal(strlen(F.got.id[0]), 32);
	assert_string_not_equal(F.got.id[0], "\xef\xbf\xbd");
	EXPECT_STR(0, "event_id", F.got.id[0]);
	assert_int_equal(run(pintail("203.0.113.5", T0, "/checkout/thank-you?order=1", NULL, NULL,
				     "shop.example.com", "ab\\x00c", NULL, NULL)),
			 2);
	assert_int_equal(strlen(F.got.id[0]), 32);
}

/* ---- rules -------------------------------------------------------------- */

static void test_two_rules_two_events(void **state)
{
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") TU_PINTEREST
		"[event visit]\ntype = page_visit\npath = ^/\n"
		"[event checkout]\ntype = checkout\npath = ^/checkout/thank-you\nvalue = query:total\n"
		"currency = query:currency | USD\norder_id = query:order\n");
	assert_int_equal(run(combined("203.0.113.5", T0, "GET", "/checkout/thank-you?order=1001&total=49.95", 200,
				      NULL, NULL)),
			 2);
	assert_int_equal(F.got.type[0], EV_PAGE_VISIT);
	assert_int_equal(F.got.type[1], EV_CHECKOUT);
	EXPECT_STR(0, "custom_data", NULL);
	EXPECT_STR(1, "custom_data.value", "49.95");
	EXPECT_STR(1, "custom_data.currency", "USD");
	EXPECT_STR(1, "custom_data.order_id", "1001");
	assert_string_not_equal(F.got.id[0], F.got.id[1]);
	assert_int_equal(stats()->events[EV_PAGE_VISIT], 1);
	assert_int_equal(stats()->events[EV_CHECKOUT], 1);
	/* Only the page_visit elsewhere. */
	assert_int_equal(run(combined("203.0.113.5", T0, "GET", "/products/blue-mug", 200, NULL, NULL)), 1);
	assert_int_equal(F.got.type[0], EV_PAGE_VISIT);
}

static void test_same_type_first_wins(void **state)
{
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") TU_PINTEREST
		"[event thanks]\ntype = checkout\npath = ^/checkout/thank-you\nvalue = query:total\n"
		"[event all_checkout]\ntype = checkout\npath = ^/checkout/\nvalue = 1\n"
		"[event visit]\ntype = page_visit\n");
	assert_int_equal(run(combined("203.0.113.5", T0, "GET", "/checkout/thank-you?total=49.95", 200, NULL,
				      NULL)),
			 2);
	assert_int_equal(F.got.type[0], EV_CHECKOUT);
	EXPECT_STR(0, "custom_data.value", "49.95");
	assert_int_equal(F.got.type[1], EV_PAGE_VISIT);
	assert_int_equal(stats()->events[EV_CHECKOUT], 1);
	/* Where only the second matches, it gives the checkout. */
	assert_int_equal(run(combined("203.0.113.5", T0, "GET", "/checkout/step-2", 200, NULL, NULL)), 2);
	assert_int_equal(F.got.type[0], EV_CHECKOUT);
	EXPECT_STR(0, "custom_data.value", "1");
}

static void test_implicit_rule(void **state)
{
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") TU_PINTEREST);
	assert_int_equal(F.conf.site->implicit_rule, 1);
	assert_int_equal(run(combined("203.0.113.5", T0, "GET", "/", 200, NULL, NULL)), 1);
	assert_int_equal(run(combined("203.0.113.5", T0, "GET", "/a", 204, NULL, NULL)), 1);
	assert_int_equal(run(combined("203.0.113.5", T0, "GET", "/a", 299, NULL, NULL)), 1);
	assert_int_equal(run(combined("203.0.113.5", T0, "GET", "/a", 304, NULL, NULL)), 1);
	/* Redirects are not page views; nor are other methods. */
	assert_int_equal(run(combined("203.0.113.5", T0, "GET", "/a", 301, NULL, NULL)), 0);
	assert_int_equal(run(combined("203.0.113.5", T0, "GET", "/a", 302, NULL, NULL)), 0);
	assert_int_equal(run(combined("203.0.113.5", T0, "POST", "/a", 200, NULL, NULL)), 0);
	assert_int_equal(run(combined("203.0.113.5", T0, "HEAD", "/a", 200, NULL, NULL)), 0);
	assert_int_equal(stats()->no_event, 4);
	assert_int_equal(stats()->events[EV_PAGE_VISIT], 4);
	/* Excluded by [filter]. */
	assert_int_equal(run(combined("203.0.113.5", T0, "GET", "/a", 404, NULL, NULL)), 0);
	assert_int_equal(run(combined("203.0.113.5", T0, "GET", "/app.js", 200, NULL, NULL)), 0);
	assert_int_equal(stats()->filtered[FILTER_STATUS], 1);
	assert_int_equal(stats()->filtered[FILTER_PATH], 1);
}

static void test_rule_methods_and_status(void **state)
{
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") TU_PINTEREST
		"[event cart]\ntype = add_to_cart\npath = ^/cart/add$\nmethods = POST\nstatus = 200-302\n");
	assert_int_equal(run(combined("203.0.113.5", T0, "POST", "/cart/add", 302, NULL, NULL)), 1);
	EXPECT_STR(0, "event_name", "add_to_cart");
	assert_int_equal(run(combined("203.0.113.5", T0, "GET", "/cart/add", 200, NULL, NULL)), 0);
	assert_int_equal(run(combined("203.0.113.5", T0, "POST", "/cart/add", 303, NULL, NULL)), 0);
	assert_int_equal(run(combined("203.0.113.5", T0, "POST", "/cart/add/x", 200, NULL, NULL)), 0);
	/* The path is matched decoded. */
	assert_int_equal(run(combined("203.0.113.5", T0, "POST", "/cart/%61dd", 200, NULL, NULL)), 1);
	/* A method with an escaped NUL is not "POST". */
	assert_int_equal(run(combined("203.0.113.5", T0, "POST\\x00AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
				      "/cart/add", 200, NULL, NULL)), 0);
}

/* ---- opt-out ------------------------------------------------------------ */

static void test_opt_out(void **state)
{
	static const struct {
		const char *gpc;
		int opt_out;
	} cases[] = {{"1", 1}, {"0", 0}, {NULL, 0}, {"true", 0}, {"11", 0}, {"", 0}, {" 1", 0}};
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_pintail") SHOP_HOSTS TU_PINTEREST);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const cJSON *o;
		assert_int_equal(run(pintail("203.0.113.5", T0, "/", NULL, NULL, "shop.example.com", NULL, NULL,
					     cases[i].gpc)),
				 1);
		o = tu_jget(F.json[0], "opt_out");
		if (cases[i].opt_out ? !cJSON_IsTrue(o) : o != NULL) {
			fail_msg("Sec-GPC \"%s\": %s", cases[i].gpc ? cases[i].gpc : "-", F.got.json[0]);
		}
	}
}

/* ---- click ids ---------------------------------------------------------- */

static void test_click_id_from_query(void **state)
{
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") TU_PINTEREST);
	/* URL-decoded once, then sent as it is (not lower-cased). */
	run(combined("203.0.113.5", T0, "GET", "/products/blue-mug?utm_source=pinterest&epik=dj0yJnU9ab%2Bc%3D", 200,
		     NULL, NULL));
	EXPECT_STR(0, "user_data.click_id", "dj0yJnU9ab+c=");
	/* The epik stays in event_source_url (it is not a secret). */
	EXPECT_STR(0, "event_source_url",
		   "https://shop.example.com/products/blue-mug?utm_source=pinterest&epik=dj0yJnU9ab%2Bc%3D");
	/* The first epik; "xepik" and "epiks" are other parameters. */
	run(combined("198.51.100.1", T0, "GET", "/?xepik=no&epiks=no&epik=" EPIK "&epik=second", 200, NULL, NULL));
	EXPECT_STR(0, "user_data.click_id", EPIK);
	/* Empty epik: none. */
	run(combined("198.51.100.2", T0, "GET", "/?epik=", 200, NULL, NULL));
	EXPECT_STR(0, "user_data.click_id", NULL);
	/* Names are compared decoded: "e%70ik" is "epik". */
	run(combined("198.51.100.3", T0, "GET", "/?e%70ik=dj0yJnU9encoded", 200, NULL, NULL));
	EXPECT_STR(0, "user_data.click_id", "dj0yJnU9encoded");
}

static void test_click_id_from_cookie(void **state)
{
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_pintail") SHOP_HOSTS TU_PINTEREST);
	run(pintail("203.0.113.5", T0, "/products/blue-mug", NULL, NULL, "shop.example.com", NULL, "dj0yJnU9cookie",
		    NULL));
	EXPECT_STR(0, "user_data.click_id", "dj0yJnU9cookie");
	/* A fresher epik in the query wins over the cookie. */
	run(pintail("203.0.113.6", T0, "/products/blue-mug?epik=dj0yJnU9query", NULL, NULL, "shop.example.com",
		    NULL, "dj0yJnU9cookie", NULL));
	EXPECT_STR(0, "user_data.click_id", "dj0yJnU9query");
	/* "-": no cookie. */
	run(pintail("203.0.113.7", T0, "/", NULL, NULL, "shop.example.com", NULL, "-", NULL));
	EXPECT_STR(0, "user_data.click_id", NULL);
	/* The cookie comes before a referer's epik. */
	run(pintail("203.0.113.8", T0, "/", "https://shop.example.com/?epik=dj0yJnU9referer", NULL, "shop.example.com",
		    NULL, "dj0yJnU9cookie", NULL));
	EXPECT_STR(0, "user_data.click_id", "dj0yJnU9cookie");
}

/* SPEC §4: click-id values "are URL-decoded and sent as they are" — the cookie's too. */
static void test_click_id_cookie_url_decoded(void **state)
{
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_pintail") SHOP_HOSTS TU_PINTEREST);
	run(pintail("203.0.113.5", T0, "/", NULL, NULL, "shop.example.com", NULL, "dj0yJnU9abc%3D%3D", NULL));
	EXPECT_STR(0, "user_data.click_id", "dj0yJnU9abc==");
}

static void test_click_id_referer_before_memory(void **state)
{
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") SHOP_HOSTS TU_PINTEREST);
	run(combined("203.0.113.5", T0, "GET", "/?epik=dj0yJnU9first", 200, NULL, NULL));
	EXPECT_STR(0, "user_data.click_id", "dj0yJnU9first");
	/* A later click (the epik in the referer of a page of the site) wins over the memory... */
	run(combined("203.0.113.5", T0 + 10, "GET", "/p", 200, "https://shop.example.com/landing?epik=dj0yJnU9second",
		     NULL));
	EXPECT_STR(0, "user_data.click_id", "dj0yJnU9second");
	/* ...and is what the memory keeps. */
	run(combined("203.0.113.5", T0 + 20, "GET", "/q", 200, NULL, NULL));
	EXPECT_STR(0, "user_data.click_id", "dj0yJnU9second");
}

static void test_click_id_from_referer(void **state)
{
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") SHOP_HOSTS TU_PINTEREST "[event checkout]\ntype = checkout\npath = ^/checkout\n");
	/* A referer on one of the site's hosts. */
	run(combined("203.0.113.5", T0, "GET", "/checkout", 200,
		     "https://www.shop.example.com/products/blue-mug?utm_source=pinterest&epik=dj0yJnU9ref%3D#top", NULL));
	EXPECT_STR(0, "user_data.click_id", "dj0yJnU9ref=");
	run(combined("203.0.113.6", T0, "GET", "/checkout", 200, "http://SHOP.example.com:8080/?epik=dj0yJnU9port",
		     NULL));
	EXPECT_STR(0, "user_data.click_id", "dj0yJnU9port");
	/* A name written with an escape is still "epik". */
	run(combined("203.0.113.11", T0, "GET", "/checkout", 200, "https://shop.example.com/?%65pik=dj0yJnU9esc",
		     NULL));
	EXPECT_STR(0, "user_data.click_id", "dj0yJnU9esc");
	/* A "?epik=" inside the fragment is no query parameter. */
	run(combined("203.0.113.12", T0, "GET", "/checkout", 200, "https://shop.example.com/x#?epik=dj0yJnU9frag",
		     NULL));
	EXPECT_STR(0, "user_data.click_id", NULL);
	/* A foreign referer's epik is not the visitor's click on this site. */
	run(combined("203.0.113.7", T0, "GET", "/checkout", 200, "https://evil.example.net/?epik=dj0yJnU9evil", NULL));
	EXPECT_STR(0, "user_data.click_id", NULL);
	run(combined("203.0.113.8", T0, "GET", "/checkout", 200,
		     "https://shop.example.com.evil.example.net/?epik=dj0yJnU9evil", NULL));
	EXPECT_STR(0, "user_data.click_id", NULL);
	run(combined("203.0.113.9", T0, "GET", "/checkout", 200, "https://evil.example.net/shop.example.com?epik=x",
		     NULL));
	EXPECT_STR(0, "user_data.click_id", NULL);
	run(combined("203.0.113.9", T0, "GET", "/checkout", 200, "https://shop.example.com@evil.example.net/?epik=x",
		     NULL));
	EXPECT_STR(0, "user_data.click_id", NULL);
	run(combined("203.0.113.9", T0, "GET", "/checkout", 200, "https://shop.example.co/?epik=x", NULL));
	EXPECT_STR(0, "user_data.click_id", NULL);
	/* The site's name as user information: the host is evil's. */
	run(combined("203.0.113.9", T0, "GET", "/checkout", 200, "https://shop.example.com:x@evil.example.net/?epik=x",
		     NULL));
	EXPECT_STR(0, "user_data.click_id", NULL);
	/* The request's own epik comes first. */
	run(combined("203.0.113.10", T0, "GET", "/checkout?epik=dj0yJnU9own", 200,
		     "https://shop.example.com/?epik=dj0yJnU9ref", NULL));
	EXPECT_STR(0, "user_data.click_id", "dj0yJnU9own");
}

static void test_click_memory(void **state)
{
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") TU_PINTEREST
		"[event visit]\ntype = page_visit\n[event checkout]\ntype = checkout\npath = ^/checkout/thank-you\n");
	/* Landing from a Pinterest ad. */
	run(combined("203.0.113.5", T0, "GET", "/products/blue-mug?epik=" EPIK, 200, "https://www.pinterest.com/",
		     UA_IPHONE_PIN));
	EXPECT_STR(0, "user_data.click_id", EPIK);
	/* Hours later, the same visitor checks out: the epik is remembered. */
	assert_int_equal(run_at(combined("203.0.113.5", T0 + 3 * HOUR, "GET", "/checkout/thank-you?order=1", 200, NULL,
					 UA_IPHONE_PIN),
				900, T0 + 3 * HOUR),
			 2);
	EXPECT_STR(0, "user_data.click_id", EPIK);
	EXPECT_STR(1, "user_data.click_id", EPIK);
	/* Not for another agent on the same address, nor another address. */
	run_at(combined("203.0.113.5", T0 + 3 * HOUR, "GET", "/checkout/thank-you", 200, NULL, UA_FIREFOX), 0,
	       T0 + 3 * HOUR);
	EXPECT_STR(0, "user_data.click_id", NULL);
	run_at(combined("203.0.113.6", T0 + 3 * HOUR, "GET", "/checkout/thank-you", 200, NULL, UA_IPHONE_PIN), 0,
	       T0 + 3 * HOUR);
	EXPECT_STR(0, "user_data.click_id", NULL);
	/* A newer epik replaces it. */
	run_at(combined("203.0.113.5", T0 + 4 * HOUR, "GET", "/?epik=dj0yJnU9newer", 200, NULL, UA_IPHONE_PIN), 0,
	       T0 + 4 * HOUR);
	run_at(combined("203.0.113.5", T0 + 5 * HOUR, "GET", "/checkout/thank-you", 200, NULL, UA_IPHONE_PIN), 0,
	       T0 + 5 * HOUR);
	EXPECT_STR(0, "user_data.click_id", "dj0yJnU9newer");
	/* A hit before that click, read later (another log of the site, caught
	 * up): it never saw the click.  A minute before, it may have. */
	run_at(combined("203.0.113.7", T0 + 4 * HOUR, "GET", "/?epik=dj0yJnU9late", 200, NULL, UA_IPHONE_PIN), 0,
	       T0 + 5 * HOUR);
	run_at(combined("203.0.113.7", T0 + 4 * HOUR - 600, "GET", "/products/x", 200, NULL, UA_IPHONE_PIN), 0,
	       T0 + 5 * HOUR);
	EXPECT_STR(0, "user_data.click_id", NULL);
	run_at(combined("203.0.113.7", T0 + 4 * HOUR - 60, "GET", "/products/x", 200, NULL, UA_IPHONE_PIN), 0,
	       T0 + 5 * HOUR);
	EXPECT_STR(0, "user_data.click_id", "dj0yJnU9late");
	/* 30 days later (the default click_memory) it is forgotten. */
	run_at(combined("203.0.113.5", T0 + 4 * HOUR + 31 * DAY, "GET", "/checkout/thank-you", 200, NULL,
			UA_IPHONE_PIN),
	       1000, T0 + 4 * HOUR + 31 * DAY);
	EXPECT_STR(0, "user_data.click_id", NULL);
}

/* A hit refused as in the future (or too old) neither teaches the memory
 * nor is taught by it: a stray line dated days ahead would otherwise stand
 * in the way of the visitor's real clicks. */
static void test_click_memory_refused_hits(void **state)
{
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") TU_PINTEREST);
	run_at(combined("203.0.113.5", T0 - 60, "GET", "/?epik=dj0yJnU9real", 200, NULL, NULL), 0, T0);
	EXPECT_STR(0, "user_data.click_id", "dj0yJnU9real");
	run_at(combined("203.0.113.5", T0 + 2 * DAY, "GET", "/?epik=dj0yJnU9ahead", 200, NULL, NULL), 100, T0);
	assert_int_equal(pipeline_stats(F.pl)->future, 1);
	run_at(combined("203.0.113.5", T0, "GET", "/p", 200, NULL, NULL), 200, T0);
	EXPECT_STR(0, "user_data.click_id", "dj0yJnU9real");
	run_at(combined("203.0.113.5", T0 - 8 * DAY, "GET", "/?epik=dj0yJnU9old", 200, NULL, NULL), 300, T0);
	assert_int_equal(pipeline_stats(F.pl)->too_old, 1);
	run_at(combined("203.0.113.6", T0 - 8 * DAY, "GET", "/?epik=dj0yJnU9old", 200, NULL, NULL), 400, T0);
	run_at(combined("203.0.113.6", T0, "GET", "/p", 200, NULL, NULL), 500, T0);
	EXPECT_STR(0, "user_data.click_id", NULL);
}

static void test_click_memory_ttl_and_off(void **state)
{
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") "click_memory = 1h\n" TU_PINTEREST);
	run(combined("203.0.113.5", T0, "GET", "/?epik=dj0yJnU9a", 200, NULL, NULL));
	run_at(combined("203.0.113.5", T0 + 3000, "GET", "/p", 200, NULL, NULL), 100, T0 + 3000);
	EXPECT_STR(0, "user_data.click_id", "dj0yJnU9a");
	run_at(combined("203.0.113.5", T0 + 2 * HOUR, "GET", "/p", 200, NULL, NULL), 200, T0 + 2 * HOUR);
	EXPECT_STR(0, "user_data.click_id", NULL);

	fx_load(TU_SITE_HEAD("nginx_combined") "click_memory = 0\n" TU_PINTEREST);
	run(combined("203.0.113.5", T0, "GET", "/?epik=dj0yJnU9a", 200, NULL, NULL));
	EXPECT_STR(0, "user_data.click_id", "dj0yJnU9a");
	run(combined("203.0.113.5", T0 + 60, "GET", "/p", 200, NULL, NULL));
	EXPECT_STR(0, "user_data.click_id", NULL);
}

static void test_click_memory_learns_from_non_events(void **state)
{
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") TU_PINTEREST);
	/* The landing redirects (302: no page_visit) but teaches the memory its epik. */
	assert_int_equal(run(combined("203.0.113.5", T0, "GET", "/go?epik=dj0yJnU9redirected", 302, NULL, NULL)), 0);
	assert_int_equal(run(combined("203.0.113.5", T0 + 1, "GET", "/products/blue-mug", 200, NULL, NULL)), 1);
	EXPECT_STR(0, "user_data.click_id", "dj0yJnU9redirected");
	/* Also when the name is written with an escape. */
	assert_int_equal(run(combined("203.0.113.6", T0, "GET", "/go?e%70ik=dj0yJnU9esc", 302, NULL, NULL)), 0);
	assert_int_equal(run(combined("203.0.113.6", T0 + 1, "GET", "/products/blue-mug", 200, NULL, NULL)), 1);
	EXPECT_STR(0, "user_data.click_id", "dj0yJnU9esc");
}

static void test_click_memory_shared(void **state)
{
	/* A memory handed in is used (and not freed) by the pipeline. */
	uint8_t salt[16] = {7};
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") TU_PINTEREST);
	pipeline_free(F.pl);
	F.cm = clickmem_new(1024, 30 * DAY, salt);
	assert_non_null(F.cm);
	F.pl = pipeline_new(F.conf.l.cfg, F.conf.site, F.cm);
	assert_non_null(F.pl);
	run(combined("203.0.113.5", T0, "GET", "/?epik=dj0yJnU9shared", 200, NULL, NULL));
	assert_int_equal(clickmem_count(F.cm), 1);
	/* A second pipeline on the same memory knows the visitor. */
	pipeline_free(F.pl);
	F.pl = pipeline_new(F.conf.l.cfg, F.conf.site, F.cm);
	run(combined("203.0.113.5", T0 + 10, "GET", "/p", 200, NULL, NULL));
	EXPECT_STR(0, "user_data.click_id", "dj0yJnU9shared");
}

/* Sec-GPC: 1 forgets the visitor even with click_memory = 0: the memory
 * may hold what it saved while the setting was on. */
static void test_gpc_forgets_with_memory_off(void **state)
{
	uint8_t salt[16] = {9}, key[CLICKMEM_KEY_LEN];
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_pintail") SHOP_HOSTS "click_memory = 0\n" TU_PINTEREST);
	pipeline_free(F.pl);
	F.cm = clickmem_new(1024, 30 * DAY, salt);
	assert_non_null(F.cm);
	clickmem_key(F.cm, "203.0.113.5", 11, UA_FIREFOX, strlen(UA_FIREFOX), key);
	clickmem_put(F.cm, key, T0, T0, "dj0yJnU9old", 11);
	F.pl = pipeline_new(F.conf.l.cfg, F.conf.site, F.cm);
	assert_non_null(F.pl);
	run(pintail("203.0.113.5", T0 + 10, "/a", NULL, NULL, "shop.example.com", NULL, NULL, NULL));
	EXPECT_STR(0, "user_data.click_id", NULL); /* off: the memory is not read */
	assert_int_equal(clickmem_count(F.cm), 1);
	/* ...nor written: another visitor's landing is not kept. */
	run(pintail("203.0.113.6", T0 + 15, "/?epik=dj0yJnU9new", NULL, NULL, "shop.example.com", NULL, NULL, NULL));
	EXPECT_STR(0, "user_data.click_id", "dj0yJnU9new");
	assert_int_equal(clickmem_count(F.cm), 1);
	run(pintail("203.0.113.5", T0 + 20, "/b", NULL, NULL, "shop.example.com", NULL, NULL, "1"));
	assert_int_equal(clickmem_count(F.cm), 0);
}

static void test_gpc_forgets(void **state)
{
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_pintail") SHOP_HOSTS TU_PINTEREST);
	run(pintail("203.0.113.5", T0, "/?epik=dj0yJnU9gpc", NULL, NULL, "shop.example.com", NULL, NULL, NULL));
	EXPECT_STR(0, "user_data.click_id", "dj0yJnU9gpc");
	run(pintail("203.0.113.5", T0 + 10, "/a", NULL, NULL, "shop.example.com", NULL, NULL, NULL));
	EXPECT_STR(0, "user_data.click_id", "dj0yJnU9gpc");
	/* The visitor sends Sec-GPC: 1: opted out, and no epik from the memory. */
	run(pintail("203.0.113.5", T0 + 20, "/b", NULL, NULL, "shop.example.com", NULL, NULL, "1"));
	EXPECT_STR(0, "user_data.click_id", NULL);
	assert_true(cJSON_IsTrue(tu_jget(F.json[0], "opt_out")));
	/* ...and is forgotten: later hits without the header get no epik either. */
	run(pintail("203.0.113.5", T0 + 30, "/c", NULL, NULL, "shop.example.com", NULL, NULL, NULL));
	EXPECT_STR(0, "user_data.click_id", NULL);
	/* An opted-out landing does not teach the memory. */
	run(pintail("203.0.113.9", T0, "/?epik=dj0yJnU9optout", NULL, NULL, "shop.example.com", NULL, NULL, "1"));
	run(pintail("203.0.113.9", T0 + 10, "/a", NULL, NULL, "shop.example.com", NULL, NULL, NULL));
	EXPECT_STR(0, "user_data.click_id", NULL);
}

/*
 * Sec-GPC: 1 on a hit that is no event (here: no rule matches it) must
 * forget the visitor too.
 */
static void test_gpc_forgets_on_non_event_hit(void **state)
{
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_pintail") SHOP_HOSTS TU_PINTEREST
		"[event checkout]\ntype = checkout\npath = ^/checkout/thank-you\n");
	/* The landing (no event) teaches the memory. */
	assert_int_equal(run(pintail("203.0.113.5", T0, "/?epik=dj0yJnU9gpc", NULL, NULL, "shop.example.com", NULL,
				     NULL, NULL)),
			 0);
	/* A page view with Sec-GPC: 1, no event either. */
	assert_int_equal(run(pintail("203.0.113.5", T0 + 10, "/about", NULL, NULL, "shop.example.com", NULL, NULL,
				     "1")),
			 0);
	/* The checkout, without the header: the visitor was forgotten. */
	assert_int_equal(run(pintail("203.0.113.5", T0 + 20, "/checkout/thank-you", NULL, NULL, "shop.example.com",
				     NULL, NULL, NULL)),
			 1);
	EXPECT_STR(0, "user_data.click_id", NULL);

	/* The same when the hit with the header is filtered: a page's
	 * stylesheet (exclude_paths), or an error (status). */
	for (int i = 0; i < 2; i++) {
		static const char *const filtered[] = {"/assets/site.css", "/no-such-page"};
		static const int status[] = {200, 404};
		char line[4096];
		assert_int_equal(run(pintail("203.0.113.6", T0, "/?epik=dj0yJnU9gpc2", NULL, NULL, "shop.example.com",
					     NULL, NULL, NULL)),
				 0);
		snprintf(line, sizeof line, "%s \"shop.example.com\" \"-\" \"-\" \"1\"",
			 combined("203.0.113.6", T0 + 10, "GET", filtered[i], status[i], NULL, NULL));
		assert_int_equal(run(line), 0);
		assert_int_equal(stats()->filtered[i == 0 ? FILTER_PATH : FILTER_STATUS] > 0, 1);
		assert_int_equal(run(pintail("203.0.113.6", T0 + 20, "/checkout/thank-you", NULL, NULL,
					     "shop.example.com", NULL, NULL, NULL)),
				 1);
		EXPECT_STR(0, "user_data.click_id", NULL);
	}
}

/* ---- user data and the URL ---------------------------------------------- */

static void test_hashed_user_data(void **state)
{
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") TU_PINTEREST
		"[event lead]\ntype = lead\npath = ^/newsletter/thanks$\nem = query:email\nph = query:phone\n");
	assert_int_equal(run(combined("203.0.113.5", T0, "GET",
				      "/newsletter/thanks?utm_source=pin&email=+Test%40Example.COM+&phone=%2B1+(415)+555-0123&token=abc&ref=home",
				      200, NULL, NULL)),
			 1);
	{
		const cJSON *em = tu_jget(F.json[0], "user_data.em"), *ph = tu_jget(F.json[0], "user_data.ph");
		assert_true(cJSON_IsArray(em));
		assert_int_equal(cJSON_GetArraySize(em), 1);
		assert_string_equal(em->child->valuestring, SHA_EMAIL);
		assert_true(cJSON_IsArray(ph));
		assert_string_equal(ph->child->valuestring, SHA_PHONE_US);
	}
	/* The clear values are nowhere; their parameters and strip_params are not in the URL. */
	assert_not_contains(F.got.json[0], "Example.COM");
	assert_not_contains(F.got.json[0], "415");
	assert_not_contains(F.got.json[0], "token");
	EXPECT_STR(0, "event_source_url", "https://shop.example.com/newsletter/thanks?utm_source=pin&ref=home");
	EXPECT_STR(0, "user_data.client_ip_address", "203.0.113.5");
	EXPECT_STR(0, "user_data.client_user_agent", UA_FIREFOX);
}

static void test_dropped_fields_counted(void **state)
{
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") TU_PINTEREST
		"[event checkout]\ntype = checkout\npath = ^/checkout/thank-you\nvalue = query:total\n"
		"currency = query:currency\nnum_items = query:n\ncontent_ids = query:ids\n");
	assert_int_equal(run(combined("203.0.113.5", T0, "GET",
				      "/checkout/thank-you?total=49.95&currency=eur&n=3&ids=sku-1,sku-2", 200, NULL, NULL)),
			 1);
	EXPECT_STR(0, "custom_data.value", "49.95");
	EXPECT_STR(0, "custom_data.currency", "EUR");
	assert_int_equal(tu_jget(F.json[0], "custom_data.num_items")->valueint, 3);
	assert_int_equal(cJSON_GetArraySize(tu_jget(F.json[0], "custom_data.content_ids")), 2);
	assert_int_equal(stats()->dropped_fields, 0);
	/* Three values that do not fit: dropped, counted, the event still sent. */
	assert_int_equal(run(combined("203.0.113.5", T0, "GET", "/checkout/thank-you?total=49,95&currency=euro&n=two",
				      200, NULL, NULL)),
			 1);
	EXPECT_STR(0, "custom_data", NULL);
	assert_int_equal(stats()->dropped_fields, 3);
	assert_int_equal(stats()->events[EV_CHECKOUT], 2);
}

static void test_invalid_utf8_gives_valid_json(void **state)
{
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") TU_PINTEREST);
	/* nginx escapes such bytes as \xHH; the parser decodes them; the JSON replaces them. */
	assert_int_equal(run("203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET /caf\\xC3\\xA9\\xFF HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0 \\xC3\\x28 \\xFF \\xE2\\x9C\\x93\""),
			 1);
	EXPECT_STR(0, "user_data.client_user_agent", "Mozilla/5.0 \xef\xbf\xbd( \xef\xbf\xbd \xe2\x9c\x93");
	EXPECT_STR(0, "event_source_url", "https://shop.example.com/caf\xc3\xa9\xef\xbf\xbd");
	/* Raw bytes too. */
	assert_int_equal(run("203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0 \xc0\xaf\xed\xa0\x80\""),
			 1);
	EXPECT_STR(0, "user_data.client_user_agent",
		   "Mozilla/5.0 \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

static void test_client_ip_forwarded_for(void **state)
{
	static const char fmt[] =
		"{\"time_iso8601\":\"2026-11-28T10:00:00+00:00\",\"remote_addr\":\"10.0.0.2\",\"request\":\"GET /p HTTP/1.1\",\"status\":200,\"http_user_agent\":\"Mozilla/5.0\",\"http_x_forwarded_for\":\"%s\"}";
	static const struct {
		const char *xff, *want;
	} cases[] = {
		{" 2001:db8::5 , 198.51.100.1, 10.0.0.1", "2001:db8::5"},
		/* No X-Forwarded-For, or only blanks: the peer's address. */
		{"", "10.0.0.2"},
		{" ", "10.0.0.2"},
		/* Empty elements, tabs and what is no address are passed over. */
		{", 198.51.100.8", "198.51.100.8"},
		{"unknown,\t198.51.100.10", "198.51.100.10"},
		/* A port is dropped, IPv4 and bracketed IPv6. */
		{"198.51.100.9:41234", "198.51.100.9"},
		{"[2001:db9::1]:443, 10.0.0.1", "2001:db9::1"},
	};
	char line[512];
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_json") "client_ip = http_x_forwarded_for\n" TU_PINTEREST);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		snprintf(line, sizeof line, fmt, cases[i].xff);
		assert_int_equal(run(line), 1);
		EXPECT_STR(0, "user_data.client_ip_address", cases[i].want);
	}
	/* And exclude_ips sees the address without its port. */
	fx_load(TU_SITE_HEAD("nginx_json") "client_ip = http_x_forwarded_for\n[filter]\nexclude_ips = 192.0.2.0/24\n"
		TU_PINTEREST);
	snprintf(line, sizeof line, fmt, "192.0.2.5:41234");
	assert_int_equal(run(line), 0);
}

/* ---- host routing ------------------------------------------------------- */

#define BLOG_TEXT                                                                                  \
	"[site]\nurl = https://blog.example.com\nhosts = blog.example.com\nlogs = @DIR@/access.log\n" \
	"parser = nginx_pintail\n" TU_PINTEREST

static void test_routing(void **state)
{
	const struct pipeline_stats *st;
	(void)state;
	fx_load_full(NULL, TU_SITE_HEAD("nginx_pintail") SHOP_HOSTS TU_PINTEREST, "blog", BLOG_TEXT, "shop");
	assert_int_equal(F.conf.site->routed, 1);
	assert_int_equal(config_site(F.conf.l.cfg, "blog")->routed, 1);
	assert_int_equal(run(pintail("203.0.113.5", T0, "/p", NULL, NULL, "shop.example.com", NULL, NULL, NULL)), 1);
	EXPECT_STR(0, "event_source_url", "https://shop.example.com/p");
	assert_int_equal(run(pintail("203.0.113.5", T0, "/p", NULL, NULL, "www.shop.example.com", NULL, NULL, NULL)), 1);
	EXPECT_STR(0, "event_source_url", "https://www.shop.example.com/p");
	assert_int_equal(run(pintail("203.0.113.5", T0, "/p", NULL, NULL, "WWW.Shop.Example.COM", NULL, NULL, NULL)), 1);
	/* The other site's hits, and hits of no site. */
	assert_int_equal(run(pintail("203.0.113.5", T0, "/post", NULL, NULL, "blog.example.com", NULL, NULL, NULL)), 0);
	assert_int_equal(run(pintail("203.0.113.5", T0, "/", NULL, NULL, "unknown.example.org", NULL, NULL, NULL)), 0);
	assert_int_equal(run(pintail("203.0.113.5", T0, "/", NULL, NULL, "203.0.113.80", NULL, NULL, NULL)), 0);
	assert_int_equal(run(pintail("203.0.113.5", T0, "/", NULL, NULL, NULL, NULL, NULL, NULL)), 0);
	st = stats();
	assert_int_equal(st->other_site, 1);
	assert_int_equal(st->unrouted, 3);
	assert_int_equal(st->events[EV_PAGE_VISIT], 3);
	assert_int_equal(st->parsed, 7);

	/* The blog's pipeline takes the blog's hits. */
	fx_load_full(NULL, TU_SITE_HEAD("nginx_pintail") SHOP_HOSTS TU_PINTEREST, "blog", BLOG_TEXT, "blog");
	assert_int_equal(run(pintail("203.0.113.5", T0, "/post", NULL, NULL, "blog.example.com", NULL, NULL, NULL)), 1);
	EXPECT_STR(0, "event_source_url", "https://blog.example.com/post");
	assert_int_equal(run(pintail("203.0.113.5", T0, "/p", NULL, NULL, "www.shop.example.com", NULL, NULL, NULL)), 0);
	assert_int_equal(stats()->other_site, 1);
}

static void test_not_routed_takes_every_host(void **state)
{
	(void)state;
	/* A site alone on its file takes every hit, whatever its host. */
	fx_load(TU_SITE_HEAD("nginx_pintail") SHOP_HOSTS TU_PINTEREST);
	assert_int_equal(F.conf.site->routed, 0);
	assert_int_equal(run(pintail("203.0.113.5", T0, "/p", NULL, NULL, "other.example.org", NULL, NULL, NULL)), 1);
	EXPECT_STR(0, "event_source_url", "https://shop.example.com/p");
	assert_int_equal(stats()->unrouted, 0);
}

/* ---- time --------------------------------------------------------------- */

static void test_max_event_age(void **state)
{
	const struct pipeline_stats *st;
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") TU_PINTEREST "max_event_age = 1d\n");
	/* Within the age, and exactly at it. */
	assert_int_equal(run_at(combined("203.0.113.5", T0 - HOUR, "GET", "/", 200, NULL, NULL), 0, T0), 1);
	assert_null(F.got.reject[0]);
	assert_int_equal(run_at(combined("203.0.113.5", T0 - DAY, "GET", "/", 200, NULL, NULL), 0, T0), 1);
	assert_null(F.got.reject[0]);
	/* Too old: emitted with a reason, so that it is logged and counted, not sent. */
	assert_int_equal(run_at(combined("203.0.113.5", T0 - DAY - 1, "GET", "/", 200, NULL, NULL), 0, T0), 1);
	assert_non_null(F.got.reject[0]);
	assert_contains(F.got.reject[0], "old");
	assert_int_equal(F.got.time[0], T0 - DAY - 1);
	/* Up to 5 minutes ahead is clock skew; more is the future. */
	assert_int_equal(run_at(combined("203.0.113.5", T0 + 300, "GET", "/", 200, NULL, NULL), 0, T0), 1);
	assert_null(F.got.reject[0]);
	assert_int_equal(run_at(combined("203.0.113.5", T0 + 301, "GET", "/", 200, NULL, NULL), 0, T0), 1);
	assert_non_null(F.got.reject[0]);
	assert_contains(F.got.reject[0], "future");
	st = stats();
	assert_int_equal(st->too_old, 1);
	assert_int_equal(st->future, 1);
	assert_int_equal(st->events[EV_PAGE_VISIT], 3);
}

static void test_max_event_age_default(void **state)
{
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") TU_PINTEREST);
	assert_int_equal(run_at(combined("203.0.113.5", T0 - 7 * DAY, "GET", "/", 200, NULL, NULL), 0, T0), 1);
	assert_null(F.got.reject[0]);
	assert_int_equal(run_at(combined("203.0.113.5", T0 - 8 * DAY, "GET", "/", 200, NULL, NULL), 0, T0), 1);
	assert_non_null(F.got.reject[0]);
	assert_int_equal(stats()->too_old, 1);
}

static void test_bad_time(void **state)
{
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") TU_PINTEREST);
	assert_int_equal(run("203.0.113.5 - - [32/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0\""), 0);
	assert_int_equal(run("203.0.113.5 - - [yesterday] \"GET / HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0\""), 0);
	assert_int_equal(stats()->bad_time, 2);
	assert_int_equal(stats()->events[EV_PAGE_VISIT], 0);
	/* Counted once: a rule matched, so they are not "no rule matched". */
	assert_int_equal(stats()->no_event, 0);
}

/* ---- lines that are no events ------------------------------------------- */

static void test_unparsable_lines(void **state)
{
	static const char *const lines[] = {
		"",
		"203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"Mozil",
		"2026/11/28 10:00:00 [error] 1234#1234: *1 open() \"/var/www/favicon.ico\" failed",
		"{\"remote_addr\":\"203.0.113.5\"}",
	};
	/* Of the format, but no page asked for: filtered, by status first. */
	static const char *const no_page[] = {
		"203.0.113.9 - - [28/Nov/2026:10:00:00 +0000] \"\\x16\\x03\\x01\\x00\\xF1\\x01\\x00\\x00\\xED\\x03\\x03\" 400 157 \"-\" \"-\"",
		"203.0.113.9 - - [28/Nov/2026:10:00:00 +0000] \"-\" 400 0 \"-\" \"-\"",
		"203.0.113.9 - - [28/Nov/2026:10:00:00 +0000] \"\" 408 0 \"-\" \"-\"",
		"203.0.113.9 - - [28/Nov/2026:10:00:00 +0000] \"OPTIONS * HTTP/1.1\" 200 0 \"-\" \"curl/8.0\"",
		"203.0.113.9 - - [28/Nov/2026:10:00:00 +0000] \"GET foo?x=1 HTTP/1.1\" 200 0 \"-\" \"Mozilla/5.0\"",
	};
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") TU_PINTEREST);
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		assert_int_equal(run(lines[i]), 0);
	}
	for (size_t i = 0; i < sizeof no_page / sizeof no_page[0]; i++) {
		assert_int_equal(run(no_page[i]), 0);
	}
	assert_int_equal(stats()->lines, 9);
	assert_int_equal(stats()->unparsable, 4);
	assert_int_equal(stats()->parsed, 5);
	assert_int_equal(stats()->filtered[FILTER_STATUS], 3);
	assert_int_equal(stats()->filtered[FILTER_PATH], 2);
	/* A NUL inside a line is just a byte. */
	{
		static const char l[] = "203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET /a HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0\0x\"";
		got_clear(&F.got);
		SRC.offset = 0;
		assert_int_equal(pipeline_line(F.pl, l, sizeof l - 1, &SRC, T0, collect, &F.got), 1);
		F.json[0] = check_event(F.got.json[0]);
		assert_contains(F.got.json[0], "\"client_user_agent\":\"Mozilla/5.0\\u0000x\"");
	}
}

static void test_json_parser_pipeline(void **state)
{
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_json") SHOP_HOSTS TU_PINTEREST);
	assert_int_equal(run("{\"time_iso8601\":\"2026-11-28T11:00:00+01:00\",\"remote_addr\":\"203.0.113.5\",\"request\":\"GET /p?epik=dj0yJnU9json HTTP/2.0\",\"status\":200,\"http_referer\":\"\",\"http_user_agent\":\"Mozilla/5.0 \\\"x\\\"\",\"host\":\"www.shop.example.com\",\"request_id\":\"\",\"cookie__epik\":\"\",\"http_sec_gpc\":\"1\",\"http_x_forwarded_for\":\"\"}"),
			 1);
	EXPECT_STR(0, "user_data.client_user_agent", "Mozilla/5.0 \"x\"");
	EXPECT_STR(0, "user_data.click_id", "dj0yJnU9json");
	EXPECT_STR(0, "event_source_url", "https://www.shop.example.com/p?epik=dj0yJnU9json");
	assert_true(cJSON_IsTrue(tu_jget(F.json[0], "opt_out")));
	assert_int_equal(F.got.time[0], T0);
	assert_int_equal(strlen(F.got.id[0]), 32);
	assert_int_equal(run("[1,2,3]"), 0);
	assert_int_equal(run("not json"), 0);
	assert_int_equal(stats()->unparsable, 2);
}

static void test_too_long(void **state)
{
	char *line;
	(void)state;
	fx_load_full("max_line = 1K\n", TU_SITE_HEAD("nginx_combined") TU_PINTEREST, NULL, NULL, "shop");
	line = malloc(2048);
	assert_non_null(line);
	snprintf(line, 2048, "%s", combined("203.0.113.5", T0, "GET", "/p", 200, NULL, NULL));
	/* Padded past 1 KiB with a long query. */
	{
		char target[1100];
		memset(target, 'a', sizeof target - 1);
		memcpy(target, "/p?q=", 5);
		target[sizeof target - 1] = '\0';
		snprintf(line, 2048, "%s", combined("203.0.113.5", T0, "GET", target, 200, NULL, NULL));
	}
	assert_true(strlen(line) > 1024);
	assert_int_equal(run(line), 0);
	pipeline_too_long(F.pl);
	assert_int_equal(stats()->too_long, 2);
	assert_int_equal(stats()->lines, 2);
	assert_int_equal(stats()->parsed, 0);
	free(line);
	assert_int_equal(run(combined("203.0.113.5", T0, "GET", "/p", 200, NULL, NULL)), 1);
}

static void test_emit_stops(void **state)
{
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") TU_PINTEREST
		"[event visit]\ntype = page_visit\n[event checkout]\ntype = checkout\npath = ^/checkout\n");
	F.got.stop_after = 1;
	assert_int_equal(run(combined("203.0.113.5", T0, "GET", "/checkout", 200, NULL, NULL)), -1);
	assert_int_equal(F.got.n, 1);
	F.got.stop_after = 0;
	assert_int_equal(run(combined("203.0.113.5", T0, "GET", "/checkout", 200, NULL, NULL)), 2);
}

/* The number after LABEL at the start of a line of OUT must be WANT. */
static void expect_count(const char *out, const char *label, unsigned long long want)
{
	const char *p = out;
	size_t n = strlen(label);
	while (p != NULL && *p) {
		if (strncmp(p, label, n) == 0) {
			char *end;
			unsigned long long v = strtoull(p + n, &end, 10);
			if (end == p + n || v != want) {
				fail_msg("\"%s\" %llu, want %llu, in:\n%s", label, v, want, out);
			}
			return;
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	fail_msg("no line \"%s\" in:\n%s", label, out);
}

static void test_stats_summary(void **state)
{
	char *out = NULL;
	size_t len = 0;
	FILE *mem;
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") TU_PINTEREST);
	run(SPEC_LINE);
	run("garbage");
	run(combined("66.249.66.1", T0, "GET", "/", 200, NULL, "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"));
	mem = open_memstream(&out, &len);
	pipeline_stats_print(stats(), mem);
	fclose(mem);
	expect_count(out, "lines read:", 3);
	expect_count(out, "parsed:", 2);
	expect_count(out, "unparsable:", 1);
	assert_contains(out, "bot=1");
	assert_contains(out, "page_visit=1");
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_spec_vector, fx_teardown),
		cmocka_unit_test_teardown(test_offsets_give_distinct_ids, fx_teardown),
		cmocka_unit_test_teardown(test_request_id_is_event_id, fx_teardown),
		cmocka_unit_test_teardown(test_two_rules_two_events, fx_teardown),
		cmocka_unit_test_teardown(test_same_type_first_wins, fx_teardown),
		cmocka_unit_test_teardown(test_implicit_rule, fx_teardown),
		cmocka_unit_test_teardown(test_rule_methods_and_status, fx_teardown),
		cmocka_unit_test_teardown(test_opt_out, fx_teardown),
		cmocka_unit_test_teardown(test_click_id_from_query, fx_teardown),
		cmocka_unit_test_teardown(test_click_id_from_cookie, fx_teardown),
		cmocka_unit_test_teardown(test_click_id_cookie_url_decoded, fx_teardown),
		cmocka_unit_test_teardown(test_click_id_referer_before_memory, fx_teardown),
		cmocka_unit_test_teardown(test_click_id_from_referer, fx_teardown),
		cmocka_unit_test_teardown(test_click_memory, fx_teardown),
		cmocka_unit_test_teardown(test_click_memory_ttl_and_off, fx_teardown),
		cmocka_unit_test_teardown(test_click_memory_refused_hits, fx_teardown),
		cmocka_unit_test_teardown(test_click_memory_learns_from_non_events, fx_teardown),
		cmocka_unit_test_teardown(test_click_memory_shared, fx_teardown),
		cmocka_unit_test_teardown(test_gpc_forgets, fx_teardown),
		cmocka_unit_test_teardown(test_gpc_forgets_with_memory_off, fx_teardown),
		cmocka_unit_test_teardown(test_gpc_forgets_on_non_event_hit, fx_teardown),
		cmocka_unit_test_teardown(test_hashed_user_data, fx_teardown),
		cmocka_unit_test_teardown(test_dropped_fields_counted, fx_teardown),
		cmocka_unit_test_teardown(test_invalid_utf8_gives_valid_json, fx_teardown),
		cmocka_unit_test_teardown(test_client_ip_forwarded_for, fx_teardown),
		cmocka_unit_test_teardown(test_routing, fx_teardown),
		cmocka_unit_test_teardown(test_not_routed_takes_every_host, fx_teardown),
		cmocka_unit_test_teardown(test_max_event_age, fx_teardown),
		cmocka_unit_test_teardown(test_max_event_age_default, fx_teardown),
		cmocka_unit_test_teardown(test_bad_time, fx_teardown),
		cmocka_unit_test_teardown(test_unparsable_lines, fx_teardown),
		cmocka_unit_test_teardown(test_json_parser_pipeline, fx_teardown),
		cmocka_unit_test_teardown(test_too_long, fx_teardown),
		cmocka_unit_test_teardown(test_emit_stops, fx_teardown),
		cmocka_unit_test_teardown(test_stats_summary, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
