/* Unit tests: configuration values (values.c) and CIDR matching (cidr.c). */
#include "testutil.h"

#include "cidr.h"
#include "values.h"

static void test_durations(void **state)
{
	int64_t ms;
	(void)state;
	assert_int_equal(value_duration_ms("30", &ms), 0);
	assert_int_equal(ms, 30000);
	assert_int_equal(value_duration_ms("30s", &ms), 0);
	assert_int_equal(ms, 30000);
	assert_int_equal(value_duration_ms("5m", &ms), 0);
	assert_int_equal(ms, 300000);
	assert_int_equal(value_duration_ms("2h", &ms), 0);
	assert_int_equal(ms, 7200000);
	assert_int_equal(value_duration_ms("7d", &ms), 0);
	assert_int_equal(ms, 7LL * 86400 * 1000);
	assert_int_equal(value_duration_ms("0", &ms), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(value_duration_ms("5x", &ms), -1);
	assert_int_equal(value_duration_ms("5ms", &ms), -1);
	assert_int_equal(value_duration_ms("-5s", &ms), -1);
	assert_int_equal(value_duration_ms("1.5s", &ms), -1);
	assert_int_equal(value_duration_ms("", &ms), -1);
	assert_int_equal(value_duration_ms("s", &ms), -1);
	assert_int_equal(value_duration_ms("99999999999999999999d", &ms), -1);
	/* Up to 100 years: a timer adds the duration to the clock. */
	assert_int_equal(value_duration_ms("36600d", &ms), 0);
	assert_int_equal(value_duration_ms("36601d", &ms), -1);
	assert_int_equal(value_duration_ms("106751991167d", &ms), -1);
}

static void test_sizes(void **state)
{
	uint64_t b;
	(void)state;
	assert_int_equal(value_size("512", &b), 0);
	assert_int_equal(b, 512);
	assert_int_equal(value_size("64K", &b), 0);
	assert_int_equal(b, 65536);
	assert_int_equal(value_size("512M", &b), 0);
	assert_int_equal(b, 512ULL << 20);
	assert_int_equal(value_size("1G", &b), 0);
	assert_int_equal(b, 1ULL << 30);
	/* Lower case too, as nginx takes them. */
	assert_int_equal(value_size("64k", &b), 0);
	assert_int_equal(b, 65536);
	assert_int_equal(value_size("512m", &b), 0);
	assert_int_equal(b, 512ULL << 20);
	assert_int_equal(value_size("1g", &b), 0);
	assert_int_equal(b, 1ULL << 30);
	assert_int_equal(value_size("1T", &b), -1);
	assert_int_equal(value_size("1KB", &b), -1);
	assert_int_equal(value_size("K", &b), -1);
	assert_int_equal(value_size(" 1K", &b), -1);
}

static void test_bool_int_id(void **state)
{
	int v;
	long n;
	(void)state;
	assert_int_equal(value_bool("true", &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(value_bool("Off", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(value_bool("maybe", &v), -1);
	assert_int_equal(value_int("1000", 1, 1000, &n), 0);
	assert_int_equal(n, 1000);
	assert_int_equal(value_int("1001", 1, 1000, &n), -1);
	assert_int_equal(value_int("0", 1, 1000, &n), -1);
	assert_int_equal(value_int("12a", 1, 1000, &n), -1);
	assert_int_equal(value_numeric_id("549755885175"), 0);
	assert_int_equal(value_numeric_id("123456789012345678"), 0);
	assert_int_equal(value_numeric_id("1234567890123456789"), -1);
	assert_int_equal(value_numeric_id("5497x"), -1);
	assert_int_equal(value_numeric_id(""), -1);
}

static void test_status_sets(void **state)
{
	struct status_set s, t;
	(void)state;
	assert_int_equal(value_status_set("200-399", &s), 0);
	assert_true(status_set_has(&s, 200));
	assert_true(status_set_has(&s, 304));
	assert_true(status_set_has(&s, 399));
	assert_false(status_set_has(&s, 400));
	assert_false(status_set_has(&s, 199));
	assert_int_equal(value_status_set("2xx 304", &s), 0);
	assert_true(status_set_has(&s, 299));
	assert_true(status_set_has(&s, 304));
	assert_false(status_set_has(&s, 301));
	assert_int_equal(value_status_set("200,204", &t), 0);
	assert_true(status_set_overlaps(&s, &t));
	assert_int_equal(value_status_set("500-599", &t), 0);
	assert_false(status_set_overlaps(&s, &t));
	assert_int_equal(value_status_set("700-800", &s), -1);
	assert_int_equal(value_status_set("300-200", &s), -1);
	assert_int_equal(value_status_set("abc", &s), -1);
	assert_int_equal(value_status_set("", &s), -1);
	assert_int_equal(value_status_set("99", &s), -1);
}

static void test_words(void **state)
{
	char **w;
	(void)state;
	w = words_split("  a b\tc  ", 0);
	assert_int_equal(words_count(w), 3);
	assert_string_equal(w[2], "c");
	assert_true(words_has(w, "b"));
	assert_false(words_has(w, "d"));
	words_free(w);
	w = words_split("GET,POST HEAD", 1);
	assert_int_equal(words_count(w), 3);
	words_free(w);
	w = words_split("", 0);
	assert_non_null(w);
	assert_int_equal(words_count(w), 0);
	words_free(w);
}

static void test_suggest(void **state)
{
	static const char *const keys[] = {"ad_account_id", "access_token_file", "tag_id", NULL};
	(void)state;
	assert_string_equal(value_suggest("ad_acount_id", keys), "ad_account_id");
	assert_string_equal(value_suggest("tagid", keys), "tag_id");
	assert_null(value_suggest("completely_else", keys));
}

static int in(const char *net, const char *addr)
{
	struct cidr c;
	struct cidr_list l = {.items = &c, .n = 1};
	uint8_t a[16];
	assert_int_equal(cidr_parse(net, &c), 0);
	assert_int_equal(cidr_addr(addr, strlen(addr), a), 0);
	return cidr_list_match(&l, a);
}

static void test_cidr(void **state)
{
	struct cidr c;
	uint8_t a[16];
	(void)state;
	assert_true(in("192.0.2.0/24", "192.0.2.77"));
	assert_false(in("192.0.2.0/24", "192.0.3.1"));
	assert_true(in("10.0.0.0/8", "10.255.255.255"));
	assert_true(in("0.0.0.0/0", "203.0.113.5"));
	assert_false(in("0.0.0.0/0", "2001:db8::1"));
	assert_true(in("203.0.113.5", "203.0.113.5"));
	assert_false(in("203.0.113.5/32", "203.0.113.6"));
	assert_true(in("192.0.2.128/25", "192.0.2.200"));
	assert_false(in("192.0.2.128/25", "192.0.2.100"));
	assert_true(in("2001:db8::/32", "2001:db8:1234::1"));
	assert_false(in("2001:db8::/32", "2001:db9::1"));
	assert_true(in("::/0", "::1"));
	assert_true(in("2001:db8::1/128", "2001:db8::1"));
	assert_false(in("2001:db8::1/128", "2001:db8::2"));
	/* IPv4-mapped IPv6 addresses are the IPv4 address. */
	assert_true(in("192.0.2.0/24", "::ffff:192.0.2.9"));
	/* Host bits in the network are ignored. */
	assert_true(in("192.0.2.99/24", "192.0.2.1"));
	/* ... and said: the text had host bits set. */
	{
		char t[CIDR_TEXT_MAX];
		assert_int_equal(cidr_parse("10.1.2.3/8", &c), 0);
		assert_true(c.trimmed);
		cidr_text(&c, t);
		assert_string_equal(t, "10.0.0.0/8");
		assert_int_equal(cidr_parse("2001:db8::1/32", &c), 0);
		assert_true(c.trimmed);
		cidr_text(&c, t);
		assert_string_equal(t, "2001:db8::/32");
		assert_int_equal(cidr_parse("10.0.0.0/8", &c), 0);
		assert_false(c.trimmed);
		assert_int_equal(cidr_parse("203.0.113.5", &c), 0);
		assert_false(c.trimmed);
		cidr_text(&c, t);
		assert_string_equal(t, "203.0.113.5/32");
	}
	/* An IPv4-mapped address with a prefix under 96 would cover every
	 * IPv4 client ("::ffff:10.0.0.0/8" is ::/8); refused.  From 96 on, it
	 * is an IPv4 network. */
	assert_int_equal(cidr_parse("::ffff:10.0.0.0/8", &c), CIDR_MAPPED_SHORT);
	assert_int_equal(cidr_parse("::ffff:0:0/95", &c), CIDR_MAPPED_SHORT);
	assert_true(in("::ffff:10.0.0.0/104", "10.9.9.9"));
	assert_false(in("::ffff:10.0.0.0/104", "11.0.0.1"));
	assert_true(in("::ffff:0:0/96", "198.51.100.1"));
	assert_false(in("::ffff:0:0/96", "2001:db8::1"));
	assert_int_equal(cidr_parse("192.0.2.0/33", &c), -1);
	assert_int_equal(cidr_parse("2001:db8::/129", &c), -1);
	assert_int_equal(cidr_parse("192.0.2/24", &c), -1);
	assert_int_equal(cidr_parse("example.com", &c), -1);
	assert_int_equal(cidr_parse("192.0.2.0/", &c), -1);
	assert_int_equal(cidr_addr("-", 1, a), -1);
}

/* Hosts in URLs: userinfo, ports, IPv6, and where the authority ends. */
static void test_url_hosts(void **state)
{
	static const struct {
		const char *authority, *host, *rest;
	} cases[] = {
		{"shop.example.com/a?b", "shop.example.com", "/a?b"},
		{"SHOP.example.com:8080/?epik=x", "SHOP.example.com", "/?epik=x"},
		{"u:p@evil.example.net:8443/", "evil.example.net", "/"},
		{"shop.example.com:x@evil.example.net/?e", "evil.example.net", "/?e"},
		{"a@b@c", "c", ""},
		{"[2001:db8::1]:443/x", "[2001:db8::1]", "/x"},
		{"host?q=1", "host", "?q=1"},
		{"host#top", "host", "#top"},
		{"", "", ""},
	};
	char out[64];
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *a = cases[i].authority, *rest;
		size_t n;
		const char *h = authority_host(a, strlen(a), &n, &rest);
		if (n != strlen(cases[i].host) || memcmp(h, cases[i].host, n) != 0 || strcmp(rest, cases[i].rest) != 0) {
			fail_msg("\"%s\": host \"%.*s\", rest \"%s\"", a, (int)n, h, rest);
		}
	}
	url_host("https://localhost@evil.example.net/x", out, sizeof out);
	assert_string_equal(out, "evil.example.net");
	url_host("http://127.0.0.1:8080/v5", out, sizeof out);
	assert_string_equal(out, "127.0.0.1");
	url_host("https://a-very-long-host.example.com/", out, 8);
	assert_string_equal(out, "a-very-");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durations), cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_bool_int_id), cmocka_unit_test(test_status_sets),
		cmocka_unit_test(test_words), cmocka_unit_test(test_suggest),
		cmocka_unit_test(test_cidr), cmocka_unit_test(test_url_hosts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
