/*
 * test_event — one event's JSON (event_write, event_source_url): exactly
 * the shape of SPEC §4, no key outside it, none empty; custom data checked
 * and typed; user data normalised and hashed; strings valid UTF-8.
 */
#include "testutil.h"

#include <cjson/cJSON.h>
#include <math.h>

#include "buf.h"
#include "event.h"
#include "parser.h"
#include "rules.h"

#define T0 INT64_C(1795860000) /* 28/Nov/2026:10:00:00 +0000 */

/* SHA-256 of the normalised values (sha256sum). */
#define SHA_EMAIL "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b" /* test@example.com */
#define SHA_PHONE_US "413ba75461ab5f99d36820e561ea97e2bd80f9cb586f7ecea6cf4c496518950a" /* 14155550123 */
#define SHA_PHONE_UK "35e206e5dec4c89b9e8b71b8c32724a5bb518483ac5a20c6617d738375b3b823" /* 442079460958 */
#define SHA_CUST "772b91cabe669ed0525030074170426af10a5688a186c35b19bf5e84305ffdd1" /* Cust-42 */

#define UA_FIREFOX "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"

/* ---- a configuration in a temporary folder ------------------------------ */

/* The rules most tests use: every custom and user field. */
#define RULES                                                                                    \
	"[event checkout]\ntype = checkout\npath = ^/checkout/thank-you\n"                       \
	"value = query:total\ncurrency = query:currency\norder_id = query:order\n"               \
	"content_ids = query:ids\nnum_items = query:n\ncontent_name = query:name\n"              \
	"search_string = query:q\nem = query:email\nph = query:phone\nexternal_id = query:cid\n" \
	"[event category]\ntype = view_category\npath = ^/c/(?<cat>[^/]+)$\n"                   \
	"content_category = group:cat\ncurrency = query:cur | usd\n"                             \
	"[event visit]\ntype = page_visit\n"

struct fx {
	struct tu_tmpconf conf;
	char *line;
	struct scratch s;
	struct hit hit;
	struct buf out;
	cJSON *json;
};

static struct fx F;

static void fx_free(struct fx *f)
{
	if (f->conf.dir == NULL) {
		return;
	}
	cJSON_Delete(f->json);
	buf_free(&f->out);
	free(f->line);
	free(f->s.p);
	tu_tmpconf_free(&f->conf);
	memset(f, 0, sizeof *f);
}

static int fx_teardown(void **state)
{
	(void)state;
	fx_free(&F);
	return 0;
}

static void fx_load(const char *site_text)
{
	fx_free(&F);
	tu_tmpconf_write(&F.conf, NULL, "shop", site_text);
	tu_tmpconf_load(&F.conf, "shop");
}

static struct rule *rule_named(const char *name)
{
	for (size_t i = 0; i < F.conf.site->nrules; i++) {
		if (strcmp(F.conf.site->rules[i]->name, name) == 0) {
			return F.conf.site->rules[i];
		}
	}
	fail_msg("no rule %s", name);
	return NULL;
}

/* ---- checking the JSON -------------------------------------------------- */

static int is_hex64(const char *s)
{
	if (strlen(s) != 64) {
		return 0;
	}
	for (size_t i = 0; i < 64; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
			return 0;
		}
	}
	return 1;
}

/*
 * Parses JSON (LEN bytes) and checks it has the shape of SPEC §4: what
 * tu_event_shape checks, and no NUL or raw control byte, a known
 * event_name, a positive event_time, the ids and URL as strings, hashed
 * user data as SHA-256 hex, and custom data typed.
 */
static cJSON *check_event(const char *json, size_t len)
{
	static const char *const names[] = {"add_payment_info", "add_to_cart", "add_to_wishlist",
					    "checkout", "custom", "initiate_checkout", "lead",
					    "page_visit", "search", "signup", "subscribe",
					    "view_category", "view_content", "watch_video", NULL};
	static const char *const hashed[] = {"em", "ph", "external_id"};
	cJSON *root;
	const cJSON *v, *ud, *cd;

	if (strlen(json) != len) {
		fail_msg("a NUL byte inside the JSON: %s", json);
	}
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)json[i] < 0x20) {
			fail_msg("a raw control byte 0x%02x in the JSON: %s", (unsigned char)json[i], json);
		}
	}
	root = tu_event_shape(json, len);

	v = cJSON_GetObjectItemCaseSensitive(root, "event_name");
	if (!cJSON_IsString(v) || !tu_in_list(v->valuestring, names)) {
		fail_msg("bad event_name: %s", json);
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "event_time");
	if (v->valuedouble <= 0) {
		fail_msg("event_time is not positive: %s", json);
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "event_id");
	if (!cJSON_IsString(v)) {
		fail_msg("event_id is not a string: %s", json);
	}
	v = cJSON_GetObjectItemCaseSensitive(root, "event_source_url");
	if (v != NULL && (!cJSON_IsString(v) || strncmp(v->valuestring, "http", 4) != 0)) {
		fail_msg("event_source_url is not a URL: %s", json);
	}

	ud = cJSON_GetObjectItemCaseSensitive(root, "user_data");
	v = cJSON_GetObjectItemCaseSensitive(ud, "click_id");
	if (v != NULL && !cJSON_IsString(v)) {
		fail_msg("click_id is not a string: %s", json);
	}
	for (size_t k = 0; k < sizeof hashed / sizeof hashed[0]; k++) {
		const cJSON *a = cJSON_GetObjectItemCaseSensitive(ud, hashed[k]), *e;
		if (a == NULL) {
			continue;
		}
		if (!cJSON_IsArray(a)) {
			fail_msg("%s is not an array: %s", hashed[k], json);
		}
		cJSON_ArrayForEach(e, a)
		{
			if (!cJSON_IsString(e) || !is_hex64(e->valuestring)) {
				fail_msg("%s holds something other than lower-case SHA-256 hex: %s", hashed[k], json);
			}
		}
	}

	cd = cJSON_GetObjectItemCaseSensitive(root, "custom_data");
	if (cd != NULL) {
		const cJSON *e;
		if (!cJSON_IsObject(cd)) {
			fail_msg("custom_data is not an object: %s", json);
		}
		for (const cJSON *c = cd->child; c; c = c->next) {
			if (strcmp(c->string, "num_items") == 0) {
				if (!cJSON_IsNumber(c) || c->valuedouble != floor(c->valuedouble) || c->valuedouble < 0) {
					fail_msg("num_items is not an integer: %s", json);
				}
			} else if (strcmp(c->string, "content_ids") == 0) {
				if (!cJSON_IsArray(c)) {
					fail_msg("content_ids is not an array: %s", json);
				}
				cJSON_ArrayForEach(e, c)
				{
					if (!cJSON_IsString(e)) {
						fail_msg("content_ids holds a non-string: %s", json);
					}
				}
			} else if (!cJSON_IsString(c)) {
				fail_msg("custom_data.%s is not a string: %s", c->string, json);
			}
		}
		v = cJSON_GetObjectItemCaseSensitive(cd, "value");
		if (v != NULL) {
			const char *p = v->valuestring;
			size_t d = strspn(p, "0123456789");
			if (d == 0 || (p[d] != '\0' && !(p[d] == '.' && p[d + 1] != '\0' &&
							 strspn(p + d + 1, "0123456789") == strlen(p + d + 1)))) {
				fail_msg("value is not a decimal: %s", json);
			}
		}
		v = cJSON_GetObjectItemCaseSensitive(cd, "currency");
		if (v != NULL && (strlen(v->valuestring) != 3 ||
				  strspn(v->valuestring, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3)) {
			fail_msg("currency is not three upper-case letters: %s", json);
		}
	}
	return root;
}

#define EXPECT_STR(root, path, want)                                                            \
	do {                                                                                    \
		const char *got_ = tu_jstr(root, path), *want_ = (want);                           \
		if (want_ == NULL && got_ != NULL) {                                            \
			fail_msg("%s: want absent, got \"%s\" in %s", path, got_, F.out.p);     \
		} else if (want_ != NULL && (got_ == NULL || strcmp(got_, want_) != 0)) {      \
			fail_msg("%s: want \"%s\", got %s%s%s in %s", path, want_, got_ ? "\"" : "", \
				 got_ ? got_ : "absent", got_ ? "\"" : "", F.out.p);            \
		}                                                                               \
	} while (0)

#define EXPECT_ABSENT(root, path)                                                               \
	do {                                                                                    \
		if (tu_jget(root, path) != NULL) {                                                 \
			fail_msg("%s: want absent in %s", path, F.out.p);                       \
		}                                                                               \
	} while (0)

/* ---- writing events ----------------------------------------------------- */

struct opts {
	const char *click_id;
	int opt_out;
	const char *event_id;
};

/* What event_write gets for F's hit and rule R: event EVENT_ID at T0. */
static struct event_in event_in_for(struct rule *r, const char *event_id)
{
	struct event_in in = {.site = F.conf.site,
			      .rule = r,
			      .hit = &F.hit,
			      .client = F.hit.f[FIELD_REMOTE_ADDR],
			      .event_id = event_id,
			      .time = T0};
	return in;
}

/*
 * Parses LINE with the site's parser, matches RULE and writes the event.
 * Returns the parsed JSON (owned by F); *DROPPED gets the dropped count.
 */
static cJSON *write_event(const char *line, const char *rule, const struct opts *o, unsigned *dropped)
{
	size_t n = strlen(line);
	struct rule *r = rule_named(rule);
	struct event_in in;
	unsigned d = 0;

	free(F.line);
	free(F.s.p);
	cJSON_Delete(F.json);
	F.json = NULL;
	F.line = malloc(n + 1);
	assert_non_null(F.line);
	memcpy(F.line, line, n);
	F.s.cap = 3 * n + 4096;
	F.s.p = malloc(F.s.cap);
	assert_non_null(F.s.p);
	if (parser_parse(F.conf.site->parser, F.line, n, 0, &F.s, &F.hit) != PARSE_OK) {
		fail_msg("the test line does not parse: %s", line);
	}
	if (rule_match(r, &F.hit) != 1) {
		fail_msg("rule %s does not match: %s", rule, line);
	}
	in = event_in_for(r, o && o->event_id ? o->event_id : "0123456789abcdef0123456789abcdef");
	if (o && o->click_id) {
		in.click_id.p = o->click_id;
		in.click_id.n = strlen(o->click_id);
	}
	in.opt_out = o ? o->opt_out : 0;
	buf_reset(&F.out);
	F.out.max = 1 << 20;
	assert_int_equal(event_write(&F.out, &in, &F.s, &d), 0);
	if (dropped) {
		*dropped = d;
	}
	F.json = check_event(F.out.p, F.out.len);
	return F.json;
}

static char *combined(const char *target, const char *ua)
{
	static char line[8192];
	snprintf(line, sizeof line,
		 "203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET %s HTTP/1.1\" 200 5123 \"-\" \"%s\"",
		 target, ua ? ua : UA_FIREFOX);
	return line;
}

/* ---- tests -------------------------------------------------------------- */

static void test_exact_minimal(void **state)
{
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") TU_PINTEREST);
	write_event("203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET /products/blue-mug HTTP/1.1\" 200 5123 \"-\" \"Mozilla/5.0\"",
		    "page_visit", NULL, NULL);
	assert_string_equal(F.out.p,
			    "{\"event_name\":\"page_visit\",\"action_source\":\"web\",\"event_time\":1795860000,"
			    "\"event_id\":\"0123456789abcdef0123456789abcdef\","
			    "\"event_source_url\":\"https://shop.example.com/products/blue-mug\","
			    "\"user_data\":{\"client_ip_address\":\"203.0.113.5\",\"client_user_agent\":\"Mozilla/5.0\"}}");
}

static void test_exact_full(void **state)
{
	struct opts o = {.click_id = "dj0yJnU9abc", .opt_out = 1, .event_id = "req-1"};
	unsigned dropped = 99;
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") TU_PINTEREST RULES);
	write_event(combined("/checkout/thank-you?order=1001&total=49.95&currency=eur&ids=sku-1,sku-2&n=2&name=Blue+Mug&q=mug&email=Test%40Example.com&phone=%2B1+415+555+0123&cid=Cust-42&utm_source=pinterest", "Mozilla/5.0"),
		    "checkout", &o, &dropped);
	assert_int_equal(dropped, 0);
	assert_string_equal(F.out.p,
			    "{\"event_name\":\"checkout\",\"action_source\":\"web\",\"event_time\":1795860000,"
			    "\"event_id\":\"req-1\","
			    "\"event_source_url\":\"https://shop.example.com/checkout/thank-you?order=1001&total=49.95&currency=eur&ids=sku-1,sku-2&n=2&name=Blue+Mug&q=mug&utm_source=pinterest\","
			    "\"user_data\":{\"client_ip_address\":\"203.0.113.5\",\"client_user_agent\":\"Mozilla/5.0\","
			    "\"click_id\":\"dj0yJnU9abc\","
			    "\"em\":[\"" SHA_EMAIL "\"],\"ph\":[\"" SHA_PHONE_US "\"],\"external_id\":[\"" SHA_CUST "\"]},"
			    "\"custom_data\":{\"value\":\"49.95\",\"currency\":\"EUR\",\"order_id\":\"1001\","
			    "\"content_ids\":[\"sku-1\",\"sku-2\"],\"content_name\":\"Blue Mug\",\"num_items\":2,"
			    "\"search_string\":\"mug\"},"
			    "\"opt_out\":true}");
}

static void test_custom_data_values(void **state)
{
	cJSON *j;
	unsigned dropped;
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") TU_PINTEREST RULES);
	j = write_event(combined("/checkout/thank-you?total=1200&currency=usd&n=007&order=A%2F1001", NULL),
			"checkout", NULL, &dropped);
	assert_int_equal(dropped, 0);
	EXPECT_STR(j, "custom_data.value", "1200");
	EXPECT_STR(j, "custom_data.currency", "USD");
	EXPECT_STR(j, "custom_data.order_id", "A/1001");
	assert_true(cJSON_IsNumber(tu_jget(j, "custom_data.num_items")));
	assert_int_equal(tu_jget(j, "custom_data.num_items")->valueint, 7);
	assert_contains(F.out.p, "\"num_items\":7");
	assert_contains(F.out.p, "\"value\":\"1200\"");
	/* Mixed case, and percent-encoded values. */
	j = write_event(combined("/checkout/thank-you?total=49%2E95&currency=gBp", NULL), "checkout", NULL,
			&dropped);
	assert_int_equal(dropped, 0);
	EXPECT_STR(j, "custom_data.value", "49.95");
	EXPECT_STR(j, "custom_data.currency", "GBP");
	/* The first occurrence of a parameter counts. */
	j = write_event(combined("/checkout/thank-you?total=10&total=20", NULL), "checkout", NULL, &dropped);
	EXPECT_STR(j, "custom_data.value", "10");
}

static void test_invalid_values_dropped(void **state)
{
	static const struct {
		const char *query;
		unsigned dropped;
	} cases[] = {
		{"total=abc", 1},      {"total=49.", 1},      {"total=.5", 1},
		{"total=-1", 1},       {"total=1e3", 1},      {"total=49,95", 1},
		{"total=+5", 1},       {"total=4%209", 1},    {"total=1.2.3", 1},
		{"currency=US", 1},    {"currency=USDX", 1},  {"currency=U%24D", 1},
		{"currency=12A", 1},   {"currency=%C3%A9ur", 1},
		{"n=3.0", 1},          {"n=-1", 1},           {"n=three", 1},
		{"n=1234567890", 1},   {"n=1e2", 1},
		{"total=x&currency=xx&n=y", 3},
	};
	char target[256];
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") TU_PINTEREST RULES);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		unsigned dropped = 0;
		cJSON *j;
		snprintf(target, sizeof target, "/checkout/thank-you?order=1&%s", cases[i].query);
		j = write_event(combined(target, NULL), "checkout", NULL, &dropped);
		if (dropped != cases[i].dropped) {
			fail_msg("%s: %u dropped, want %u: %s", cases[i].query, dropped, cases[i].dropped, F.out.p);
		}
		EXPECT_ABSENT(j, "custom_data.value");
		EXPECT_ABSENT(j, "custom_data.currency");
		EXPECT_ABSENT(j, "custom_data.num_items");
		/* The rest of the event stays. */
		EXPECT_STR(j, "custom_data.order_id", "1");
	}
}

static void test_empty_values_omitted(void **state)
{
	cJSON *j;
	unsigned dropped = 9;
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") TU_PINTEREST RULES);
	/* Empty parameters are no values: omitted, not counted. */
	j = write_event(combined("/checkout/thank-you?total=&currency=&order=&ids=&n=&name=&q=&email=&phone=&cid=", NULL),
			"checkout", NULL, &dropped);
	assert_int_equal(dropped, 0);
	EXPECT_ABSENT(j, "custom_data");
	EXPECT_ABSENT(j, "user_data.em");
	EXPECT_ABSENT(j, "user_data.ph");
	EXPECT_ABSENT(j, "user_data.external_id");
	assert_not_contains(F.out.p, "\"\"");
	/* No query at all. */
	j = write_event(combined("/checkout/thank-you", NULL), "checkout", NULL, &dropped);
	assert_int_equal(dropped, 0);
	EXPECT_ABSENT(j, "custom_data");
	/* A literal alternative fills in. */
	j = write_event(combined("/c/mugs?cur=", NULL), "category", NULL, &dropped);
	EXPECT_STR(j, "custom_data.currency", "USD");
	j = write_event(combined("/c/mugs?cur=eur", NULL), "category", NULL, &dropped);
	EXPECT_STR(j, "custom_data.currency", "EUR");
	/* Empty click id and event flags: absent. */
	{
		struct opts o = {.click_id = "", .opt_out = 0};
		j = write_event(combined("/about", NULL), "visit", &o, &dropped);
		EXPECT_ABSENT(j, "user_data.click_id");
		EXPECT_ABSENT(j, "opt_out");
		EXPECT_ABSENT(j, "custom_data");
	}
}

static void test_content_ids(void **state)
{
	static const struct {
		const char *ids;
		const char *want; /* the array, as written */
	} cases[] = {
		{"sku-1", "[\"sku-1\"]"},
		{"sku-1,sku-2,sku-3", "[\"sku-1\",\"sku-2\",\"sku-3\"]"},
		{"a,,b,", "[\"a\",\"b\"]"},
		{",a", "[\"a\"]"},
		{"+a+,+b+", "[\"a\",\"b\"]"},
		{"a%2Cb", "[\"a\",\"b\"]"},
		{"caf%C3%A9,%22q%22", "[\"caf\xc3\xa9\",\"\\\"q\\\"\"]"},
	};
	char target[256], want[256];
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") TU_PINTEREST RULES);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		snprintf(target, sizeof target, "/checkout/thank-you?ids=%s", cases[i].ids);
		write_event(combined(target, NULL), "checkout", NULL, NULL);
		snprintf(want, sizeof want, "\"content_ids\":%s", cases[i].want);
		assert_contains(F.out.p, want);
	}
	/* Only commas and blanks: no ids, no key. */
	write_event(combined("/checkout/thank-you?ids=,+,", NULL), "checkout", NULL, NULL);
	assert_not_contains(F.out.p, "content_ids");
	assert_not_contains(F.out.p, "custom_data");
}

static void test_group_source(void **state)
{
	cJSON *j;
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") TU_PINTEREST RULES);
	/* Groups read the decoded path. */
	j = write_event(combined("/c/Home%20%26%20Kitchen", NULL), "category", NULL, NULL);
	EXPECT_STR(j, "custom_data.content_category", "Home & Kitchen");
	EXPECT_STR(j, "event_name", "view_category");
	EXPECT_STR(j, "event_source_url", "https://shop.example.com/c/Home%20%26%20Kitchen");
}

static void test_user_data_hashed(void **state)
{
	static const struct {
		const char *query;
		const char *field;
		const char *want;
	} cases[] = {
		{"email=test%40example.com", "em", SHA_EMAIL},
		{"email=Test%40Example.COM", "em", SHA_EMAIL},
		{"email=++TEST%40example.com+", "em", SHA_EMAIL},
		{"email=%20test@example.com%09", "em", SHA_EMAIL},
		/* Already a SHA-256: passed through, lower-cased. */
		{"email=973DFE463EC85785F5F95AF5BA3906EEDB2D931C24E69824A89EA65DBA4E813B", "em", SHA_EMAIL},
		{"phone=%2B1+(415)+555-0123", "ph", SHA_PHONE_US},
		{"phone=14155550123", "ph", SHA_PHONE_US},
		{"phone=1-415-555-0123", "ph", SHA_PHONE_US},
		{"phone=0044+20+7946+0958", "ph", SHA_PHONE_UK},
		{"phone=%2B44+20+7946+0958", "ph", SHA_PHONE_UK},
		{"cid=Cust-42", "external_id", SHA_CUST},
		{"cid=+Cust-42+", "external_id", SHA_CUST},
	};
	char target[256], path[64];
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") TU_PINTEREST RULES);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		unsigned dropped = 9;
		cJSON *j;
		const cJSON *a;
		snprintf(target, sizeof target, "/checkout/thank-you?%s", cases[i].query);
		j = write_event(combined(target, NULL), "checkout", NULL, &dropped);
		assert_int_equal(dropped, 0);
		snprintf(path, sizeof path, "user_data.%s", cases[i].field);
		a = tu_jget(j, path);
		if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != 1 || !cJSON_IsString(a->child) ||
		    strcmp(a->child->valuestring, cases[i].want) != 0) {
			fail_msg("%s: want %s [\"%s\"], got %s", cases[i].query, cases[i].field, cases[i].want, F.out.p);
		}
		/* The clear value never appears, and the IP and agent are not hashed. */
		assert_not_contains(F.out.p, "example.com\"");
		assert_not_contains(F.out.p, "Cust-42");
		EXPECT_STR(j, "user_data.client_ip_address", "203.0.113.5");
		EXPECT_STR(j, "user_data.client_user_agent", UA_FIREFOX);
	}
	/* Nothing left to hash after normalising: dropped and counted. */
	{
		unsigned dropped = 0;
		cJSON *j = write_event(combined("/checkout/thank-you?email=+++&phone=call-me&cid=%20", NULL),
				       "checkout", NULL, &dropped);
		assert_int_equal(dropped, 3);
		EXPECT_ABSENT(j, "user_data.em");
		EXPECT_ABSENT(j, "user_data.ph");
		EXPECT_ABSENT(j, "user_data.external_id");
	}
}

static void test_url_strips_params(void **state)
{
	cJSON *j;
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") TU_PINTEREST RULES);
	/* The default strip_params, and the hashed fields' sources (email, phone, cid). */
	j = write_event(combined("/checkout/thank-you?utm_source=pinterest&email=a%40b.c&e=x&Token=t&PASSWORD=p&session&sid=1&auth=2&code=3&key=4&secret=5&pwd=6&passwd=7&mail=8&tel=9&phone=10&cid=11&order=1001&epik=dj0y", NULL),
			"checkout", NULL, NULL);
	EXPECT_STR(j, "event_source_url",
		   "https://shop.example.com/checkout/thank-you?utm_source=pinterest&order=1001&epik=dj0y");
	/* Names are compared decoded; similar names are kept; empty pieces go. */
	j = write_event(combined("/checkout/thank-you?e%6Dail=a%40b.c&ee=1&emails=2&&x=1&=y&order=2", NULL), "checkout",
			NULL, NULL);
	EXPECT_STR(j, "event_source_url", "https://shop.example.com/checkout/thank-you?ee=1&emails=2&x=1&=y&order=2");
	/* A decoded NUL makes another name: "e\0..." is not "e". */
	j = write_event(combined("/checkout/thank-you?e%00aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=1&order=3", NULL), "checkout", NULL, NULL);
	EXPECT_STR(j, "event_source_url",
		   "https://shop.example.com/checkout/thank-you?e%00aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=1&order=3");
	/* Everything stripped: no '?' left. */
	j = write_event(combined("/checkout/thank-you?email=a%40b.c&token=t", NULL), "checkout", NULL, NULL);
	EXPECT_STR(j, "event_source_url", "https://shop.example.com/checkout/thank-you");
	/* The hashed sources are stripped from every event of the site, not only the rule's. */
	j = write_event(combined("/about?email=a%40b.c&cid=5&page=2", NULL), "visit", NULL, NULL);
	EXPECT_STR(j, "event_source_url", "https://shop.example.com/about?page=2");
	/* The path is sent as logged (still encoded). */
	j = write_event(combined("/caf%C3%A9/a+b?q=caf%C3%A9+x", NULL), "visit", NULL, NULL);
	EXPECT_STR(j, "event_source_url", "https://shop.example.com/caf%C3%A9/a+b?q=caf%C3%A9+x");
}

static void test_url_custom_strip_params(void **state)
{
	cJSON *j;
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") "strip_params = fbclid gclid\n" TU_PINTEREST "[event visit]\ntype = page_visit\n");
	j = write_event(combined("/?fbclid=1&email=a%40b.c&GCLID=2&utm_medium=social", NULL), "visit", NULL, NULL);
	/* Only the configured ones: email is no longer stripped. */
	EXPECT_STR(j, "event_source_url", "https://shop.example.com/?email=a%40b.c&utm_medium=social");
	fx_load(TU_SITE_HEAD("nginx_combined") "strip_params =\n" TU_PINTEREST "[event visit]\ntype = page_visit\n");
	j = write_event(combined("/?token=1&x=2", NULL), "visit", NULL, NULL);
	EXPECT_STR(j, "event_source_url", "https://shop.example.com/?token=1&x=2");
}

static void test_url_host(void **state)
{
	static const char fmt[] =
		"203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET /products/blue-mug?x=1 HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0\" \"%s\" \"-\" \"-\" \"-\"";
	char line[512];
	cJSON *j;
	(void)state;
	fx_load("[site]\nurl = https://shop.example.com/\nhosts = shop.example.com www.shop.example.com\n"
		"logs = @DIR@/access.log\nparser = nginx_pintail\n" TU_PINTEREST "[event visit]\ntype = page_visit\n");
	snprintf(line, sizeof line, fmt, "www.shop.example.com");
	j = write_event(line, "visit", NULL, NULL);
	EXPECT_STR(j, "event_source_url", "https://www.shop.example.com/products/blue-mug?x=1");
	/* A host that is not the site's: the site's URL. */
	snprintf(line, sizeof line, fmt, "evil.example.net");
	j = write_event(line, "visit", NULL, NULL);
	EXPECT_STR(j, "event_source_url", "https://shop.example.com/products/blue-mug?x=1");
	snprintf(line, sizeof line, fmt, "-");
	j = write_event(line, "visit", NULL, NULL);
	EXPECT_STR(j, "event_source_url", "https://shop.example.com/products/blue-mug?x=1");
	/* Absolute-form targets: the path only. */
	j = write_event("203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET http://shop.example.com/a?b=1 HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0\" \"shop.example.com\" \"-\" \"-\" \"-\"",
			"visit", NULL, NULL);
	EXPECT_STR(j, "event_source_url", "https://shop.example.com/a?b=1");
	/* A url with a path (a proxy strips it from the requests): the path
	 * stays whichever host names the site. */
	fx_load("[site]\nurl = https://shop.example.com/shop/\nhosts = shop.example.com www.shop.example.com\n"
		"logs = @DIR@/access.log\nparser = nginx_pintail\n" TU_PINTEREST "[event visit]\ntype = page_visit\n");
	snprintf(line, sizeof line, fmt, "www.shop.example.com");
	j = write_event(line, "visit", NULL, NULL);
	EXPECT_STR(j, "event_source_url", "https://www.shop.example.com/shop/products/blue-mug?x=1");
	snprintf(line, sizeof line, fmt, "evil.example.net");
	j = write_event(line, "visit", NULL, NULL);
	EXPECT_STR(j, "event_source_url", "https://shop.example.com/shop/products/blue-mug?x=1");
	/* A url with a port: nginx's $host has none, the URL keeps url's. */
	fx_load("[site]\nurl = https://shop.example.com:8443/shop\nhosts = shop.example.com www.shop.example.com\n"
		"logs = @DIR@/access.log\nparser = nginx_pintail\n" TU_PINTEREST "[event visit]\ntype = page_visit\n");
	snprintf(line, sizeof line, fmt, "www.shop.example.com");
	j = write_event(line, "visit", NULL, NULL);
	EXPECT_STR(j, "event_source_url", "https://www.shop.example.com:8443/shop/products/blue-mug?x=1");
	fx_load("[site]\nurl = https://[2001:db8::1]:8443\nhosts = 2001:db8::1\n"
		"logs = @DIR@/access.log\nparser = nginx_pintail\n" TU_PINTEREST "[event visit]\ntype = page_visit\n");
	snprintf(line, sizeof line, fmt, "evil.example.net");
	j = write_event(line, "visit", NULL, NULL);
	EXPECT_STR(j, "event_source_url", "https://[2001:db8::1]:8443/products/blue-mug?x=1");
}

static void test_invalid_utf8_replaced(void **state)
{
	cJSON *j;
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") TU_PINTEREST RULES);
	/* Raw invalid bytes, and nginx's \xHH escapes of them. */
	j = write_event(combined("/p", "Mozilla/5.0 \xff\xfe caf\xc3\xa9 \xc3\x28 \xed\xa0\x80 \\xC0\\xAF end"), "visit",
			NULL, NULL);
	EXPECT_STR(j, "user_data.client_user_agent",
		   "Mozilla/5.0 \xef\xbf\xbd\xef\xbf\xbd caf\xc3\xa9 \xef\xbf\xbd( \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd end");
	/* A sequence cut at the end of the string. */
	j = write_event(combined("/p", "Mozilla/5.0 \xe2\x9c"), "visit", NULL, NULL);
	EXPECT_STR(j, "user_data.client_user_agent", "Mozilla/5.0 \xef\xbf\xbd\xef\xbf\xbd");
	/* Valid multi-byte characters pass untouched. */
	j = write_event(combined("/p", "Mozilla/5.0 \xe2\x9c\x93 \xf0\x9f\x98\x80"), "visit", NULL, NULL);
	EXPECT_STR(j, "user_data.client_user_agent", "Mozilla/5.0 \xe2\x9c\x93 \xf0\x9f\x98\x80");
	/* Invalid bytes in the path of the URL and in decoded values. */
	j = write_event(combined("/checkout/thank-you\xff?name=%FF%FEmug&q=a%C3", NULL), "checkout", NULL, NULL);
	EXPECT_STR(j, "event_source_url", "https://shop.example.com/checkout/thank-you\xef\xbf\xbd?name=%FF%FEmug&q=a%C3");
	EXPECT_STR(j, "custom_data.content_name", "\xef\xbf\xbd\xef\xbf\xbdmug");
	EXPECT_STR(j, "custom_data.search_string", "a\xef\xbf\xbd");
}

static void test_control_and_quotes_escaped(void **state)
{
	cJSON *j;
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") TU_PINTEREST RULES);
	j = write_event(combined("/checkout/thank-you?q=%22a%5Cb%22%0A%09%00x", "Mozilla/5.0 \\x22q\\x22 \\x5C \\x01\\x1F\\x7F"),
			"checkout", NULL, NULL);
	EXPECT_STR(j, "user_data.client_user_agent", "Mozilla/5.0 \"q\" \\ \x01\x1f\x7f");
	assert_contains(F.out.p, "\"client_user_agent\":\"Mozilla/5.0 \\\"q\\\" \\\\ \\u0001\\u001f\x7f\"");
	assert_contains(F.out.p, "\"search_string\":\"\\\"a\\\\b\\\"\\u000a\\u0009\\u0000x\"");
}

/*
 * The string writer copies plain text in blocks of 16 and 8 bytes: a byte
 * needing attention must be seen at every position of a block.
 */
/* Decimal numbers: every length and the extremes, against printf. */
static void test_fmt_numbers(void **state)
{
	char got[FMT_I64_MAX + 1], want[32];
	uint64_t u = 0;
	(void)state;
	for (int i = 0; i < 2000; i++) {
		/* 0..9, 10^k - 1, 10^k, and a spread of others. */
		u = i < 10 ? (uint64_t)i : i % 3 == 0 ? u * 10 + 9 : u * 7 + (uint64_t)i;
		got[fmt_u64(got, u)] = '\0';
		snprintf(want, sizeof want, "%llu", (unsigned long long)u);
		assert_string_equal(got, want);
		got[fmt_i64(got, (int64_t)u)] = '\0';
		snprintf(want, sizeof want, "%lld", (long long)(int64_t)u);
		assert_string_equal(got, want);
	}
	got[fmt_u64(got, UINT64_MAX)] = '\0';
	assert_string_equal(got, "18446744073709551615");
	got[fmt_i64(got, INT64_MIN)] = '\0';
	assert_string_equal(got, "-9223372036854775808");
	got[fmt_i64(got, -1)] = '\0';
	assert_string_equal(got, "-1");
	got[fmt_i64(got, 0)] = '\0';
	assert_string_equal(got, "0");
}

/* str_copy: whole when it fits; cut before a UTF-8 sequence, not within. */
static void test_str_copy(void **state)
{
	char d[8];
	(void)state;
	assert_int_equal(str_copy(d, sizeof d, "abc"), 3);
	assert_string_equal(d, "abc");
	assert_int_equal(str_copy(d, sizeof d, "abcdefg"), 7); /* exactly fits */
	assert_string_equal(d, "abcdefg");
	assert_int_equal(str_copy(d, sizeof d, "abcdefgh"), 7);
	assert_string_equal(d, "abcdefg");
	/* "abcde" + "é" (2 bytes) would end at byte 7: fits. */
	assert_int_equal(str_copy(d, sizeof d, "abcde\xc3\xa9x"), 7);
	assert_string_equal(d, "abcde\xc3\xa9");
	/* "abcdef" + "é": the 7th byte is the lead byte, its second cannot
	 * follow: both are left out. */
	assert_int_equal(str_copy(d, sizeof d, "abcdef\xc3\xa9"), 6);
	assert_string_equal(d, "abcdef");
	/* A 4-byte sequence from byte 5 (only 2 of it would fit). */
	assert_int_equal(str_copy(d, sizeof d, "abcde\xf0\x9f\x90\xa6"), 5);
	assert_string_equal(d, "abcde");
	/* Stray continuation bytes: at most 3 are backed over. */
	assert_int_equal(str_copy(d, sizeof d, "a\x80\x80\x80\x80\x80\x80\x80\x80"), 4);
	assert_int_equal(str_copy(d, 1, "abc"), 0);
	assert_string_equal(d, "");
}

static void test_json_chars_every_position(void **state)
{
	static const struct {
		const char *in, *out;
	} specials[] = {
		{"\"", "\\\""},       {"\\", "\\\\"}, {"\x01", "\\u0001"},
		{"\x1f", "\\u001f"},  {"\n", "\\u000a"},   {"\x7f", "\x7f"},
		{"\x80", "\xef\xbf\xbd"}, {"\xff", "\xef\xbf\xbd"},
		{"\xc3\xa9", "\xc3\xa9"}, {"\xc3", "\xef\xbf\xbd"}, {" ", " "}, {"~", "~"},
	};
	char in[64], want[128];
	struct buf b = {0};
	(void)state;
	for (size_t k = 0; k < sizeof specials / sizeof specials[0]; k++) {
		size_t sl = strlen(specials[k].in), ol = strlen(specials[k].out);
		for (size_t pos = 0; pos + sl <= 40; pos++) {
			memset(in, 'a', 40);
			memcpy(in + pos, specials[k].in, sl);
			memset(want, 'a', pos);
			memcpy(want + pos, specials[k].out, ol);
			memset(want + pos + ol, 'a', 40 - pos - sl);
			want[40 - sl + ol] = '\0';
			buf_reset(&b);
			assert_int_equal(buf_add_json_chars(&b, in, 40), 0);
			if (strcmp(b.p, want) != 0) {
				fail_msg("special %zu at %zu: \"%s\", expected \"%s\"", k, pos, b.p, want);
			}
		}
	}
	buf_free(&b);
}

static void test_opt_out_and_click_id(void **state)
{
	struct opts o = {.click_id = "dj0yJnU9b2JDcFFHekV4SHJNcmVrbFBkUEdqakh0akdUT1VjVVUmcD0yJm49cnNBQ3F2Q2dOVDBXWWhkWklrUGxBUSZ0PUFBQUFBR1BaY3Bv"};
	cJSON *j;
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") TU_PINTEREST RULES);
	j = write_event(combined("/about", NULL), "visit", &o, NULL);
	EXPECT_STR(j, "user_data.click_id", o.click_id);
	EXPECT_ABSENT(j, "opt_out");
	assert_not_contains(F.out.p, "opt_out");
	o.opt_out = 1;
	j = write_event(combined("/about", NULL), "visit", &o, NULL);
	assert_true(cJSON_IsTrue(tu_jget(j, "opt_out")));
	assert_contains(F.out.p, "\"opt_out\":true}");
}

static void test_buffer_cap(void **state)
{
	/* An event that does not fit the output's cap fails as a whole. */
	struct event_in in;
	struct buf out = {.max = 64};
	unsigned dropped = 0;
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") TU_PINTEREST RULES);
	write_event(combined("/about", NULL), "visit", NULL, NULL);
	in = event_in_for(rule_named("visit"), "x");
	assert_int_equal(event_write(&out, &in, &F.s, &dropped), -1);
	buf_free(&out);
}

/*
 * A long value used by several fields must give a whole, valid event or
 * none (-1): never an object with a key whose value failed to fit.  Here a
 * 60 KB path (under max_line = 64K) of "%01" escapes decodes to 20,000
 * control bytes, each written as a 6-byte \u0001, in five fields fed by
 * one group of the rule's path.
 */
static void test_long_values_never_half_written(void **state)
{
	size_t qlen = 60000, n;
	char *line, *q;
	struct event_in in;
	/* What pipeline_new gives for the default max_line (64K). */
	struct buf out = {.max = 8 * 65536 + 65536};
	struct scratch s = {.cap = 3 * 65536 + 4096};
	unsigned dropped = 0;
	int rc;
	(void)state;
	fx_load(TU_SITE_HEAD("nginx_combined") TU_PINTEREST
		"[event search]\ntype = search\npath = ^/s/(?<g>.*)$\nsearch_string = group:g\n"
		"content_name = group:g\ncontent_category = group:g\norder_id = group:g\ncontent_ids = group:g\n");
	q = malloc(qlen + 1);
	assert_non_null(q);
	for (size_t i = 0; i < qlen; i += 3) {
		memcpy(q + i, "%01", 3);
	}
	q[qlen] = '\0';
	assert_true(asprintf(&line,
			     "203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET /s/%s HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0\"",
			     q) > 0);
	free(q);
	n = strlen(line);
	assert_true(n < 65536);
	s.p = malloc(s.cap);
	assert_non_null(s.p);
	assert_int_equal(parser_parse(F.conf.site->parser, line, n, 0, &s, &F.hit), PARSE_OK);
	assert_int_equal(rule_match(rule_named("search"), &F.hit), 1);
	in = event_in_for(rule_named("search"), "x");
	rc = event_write(&out, &in, &s, &dropped);
	if (rc == 0) {
		cJSON *j = cJSON_ParseWithLength(out.p, out.len);
		int ok = cJSON_IsObject(j);
		cJSON_Delete(j);
		if (!ok) {
			char tail[160];
			const char *k = strstr(out.p, "\"search_string\"");
			snprintf(tail, sizeof tail, "%s", k ? k : out.p + (out.len > 40 ? out.len - 40 : 0));
			buf_free(&out);
			free(s.p);
			free(line);
			fail_msg("event_write returned 0 but wrote invalid JSON; it ends: ...%s", tail);
		}
	}
	buf_free(&out);
	free(s.p);
	free(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_exact_minimal, fx_teardown),
		cmocka_unit_test_teardown(test_exact_full, fx_teardown),
		cmocka_unit_test_teardown(test_custom_data_values, fx_teardown),
		cmocka_unit_test_teardown(test_invalid_values_dropped, fx_teardown),
		cmocka_unit_test_teardown(test_empty_values_omitted, fx_teardown),
		cmocka_unit_test_teardown(test_content_ids, fx_teardown),
		cmocka_unit_test_teardown(test_group_source, fx_teardown),
		cmocka_unit_test_teardown(test_user_data_hashed, fx_teardown),
		cmocka_unit_test_teardown(test_url_strips_params, fx_teardown),
		cmocka_unit_test_teardown(test_url_custom_strip_params, fx_teardown),
		cmocka_unit_test_teardown(test_url_host, fx_teardown),
		cmocka_unit_test_teardown(test_invalid_utf8_replaced, fx_teardown),
		cmocka_unit_test_teardown(test_control_and_quotes_escaped, fx_teardown),
		cmocka_unit_test(test_json_chars_every_position),
		cmocka_unit_test(test_fmt_numbers),
		cmocka_unit_test(test_str_copy),
		cmocka_unit_test_teardown(test_opt_out_and_click_id, fx_teardown),
		cmocka_unit_test_teardown(test_buffer_cap, fx_teardown),
		cmocka_unit_test_teardown(test_long_values_never_half_written, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
