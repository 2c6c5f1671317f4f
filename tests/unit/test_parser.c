/*
 * test_parser — the packaged parsers (parsers/NAME.conf) on real-shaped lines:
 * nginx_combined, apache_combined, nginx_json and nginx_pintail.
 *
 * Every line is copied into a buffer of exactly its length (no NUL after
 * it) and parsed with a scratch buffer of exactly the documented minimum
 * (2 * N + 64 bytes), so that ASan catches any read or write past either.
 */
#include "testutil.h"

#include "parser.h"

#define T0 INT64_C(1795860000) /* 28/Nov/2026:10:00:00 +0000 */

static const char CHROME[] =
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";

static struct {
	struct tu_tmpconf conf;
	char *line;
	struct scratch s;
	struct hit hit;
} g;

static int group_setup(void **state)
{
	(void)state;
	tu_tmpconf_write(&g.conf, NULL, "shop", TU_SITE_HEAD("nginx_combined") TU_PINTEREST);
	tu_tmpconf_load(&g.conf, NULL);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	free(g.line);
	free(g.s.p);
	tu_tmpconf_free(&g.conf);
	return 0;
}

static const struct parser_def *P(const char *name)
{
	for (size_t i = 0; i < g.conf.l.cfg->nparsers; i++) {
		if (strcmp(g.conf.l.cfg->parsers[i]->name, name) == 0) {
			return g.conf.l.cfg->parsers[i];
		}
	}
	fail_msg("no packaged parser called %s", name);
	return NULL;
}

static enum parse_result parse_n(const char *parser, const char *line, size_t n)
{
	free(g.line);
	free(g.s.p);
	g.line = malloc(n ? n : 1);
	assert_non_null(g.line);
	memcpy(g.line, line, n);
	g.s.cap = 2 * n + 64;
	g.s.p = malloc(g.s.cap);
	assert_non_null(g.s.p);
	g.s.used = 12345; /* parser_parse resets it */
	return parser_parse(P(parser), g.line, n, 0, &g.s, &g.hit);
}

static enum parse_result parse(const char *parser, const char *line)
{
	return parse_n(parser, line, strlen(line));
}

/* Parses LINE with PARSER and fails, showing the line, unless it parses. */
static void parse_ok(const char *parser, const char *line)
{
	enum parse_result r = parse(parser, line);
	if (r != PARSE_OK) {
		fail_msg("%s did not parse (result %d):\n%s", parser, (int)r, line);
	}
}

static void parse_bad(const char *parser, const char *line)
{
	size_t n = strlen(line);
	enum parse_result r = parse_n(parser, line, n);
	if (r == PARSE_OK) {
		fail_msg("%s parsed what it should refuse:\n%.*s", parser, (int)n, line);
	}
}

/* LINE (nginx_combined) is of the format but names no path: PARSE_NO_TARGET, with its STATUS. */
static void parse_no_target(const char *line, int status)
{
	enum parse_result r = parse("nginx_combined", line);
	if (r != PARSE_NO_TARGET) {
		fail_msg("want PARSE_NO_TARGET, got result %d:\n%s", (int)r, line);
	}
	assert_int_equal(g.hit.status, status);
}

/* Checks slice S (named WHAT) against WANT (WLEN bytes); WANT NULL: absent. */
static void expect_n(const char *what, const struct slice *s, const char *want, size_t wlen)
{
	if (want == NULL) {
		if (s->p != NULL) {
			fail_msg("%s: want absent, got \"%.*s\"", what, (int)s->n, s->p);
		}
		return;
	}
	if (s->p == NULL) {
		fail_msg("%s: want \"%.*s\", got absent", what, (int)wlen, want);
	}
	if (s->n != wlen || memcmp(s->p, want, wlen) != 0) {
		fail_msg("%s: want \"%.*s\" (%zu bytes), got \"%.*s\" (%zu bytes)", what, (int)wlen, want,
			 wlen, (int)s->n, s->p, s->n);
	}
}

static void expect(const char *what, const struct slice *s, const char *want)
{
	expect_n(what, s, want, want ? strlen(want) : 0);
}

#define FIELD(id, want) expect(field_name(id), &g.hit.f[id], want)

static void expect_request(const char *method, const char *uri, const char *path, const char *query)
{
	expect("method", &g.hit.method, method);
	expect("uri", &g.hit.uri, uri);
	expect("path", &g.hit.path, path);
	expect("query", &g.hit.query, query);
}

/* Parses an nginx_combined line whose request is REQUEST and checks how it was split. */
static void request_ok(const char *request, const char *method, const char *uri, const char *path,
		       const char *query)
{
	char line[1024];
	snprintf(line, sizeof line,
		 "203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"%s\" 200 5 \"-\" \"Mozilla/5.0\"", request);
	parse_ok("nginx_combined", line);
	expect_request(method, uri, path, query);
}

static void expect_time(const char *parser, int64_t want)
{
	int64_t t = 0;
	assert_int_equal(parser_time(P(parser), &g.hit, &t), 0);
	assert_int_equal(t, want);
}

/* ---- nginx_combined ---------------------------------------------------- */

static void test_nginx_combined_ipv4(void **state)
{
	char line[1024];
	(void)state;
	snprintf(line, sizeof line,
		 "203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET /products/blue-mug?utm_source=pinterest&epik=dj0yJnU9abc HTTP/1.1\" 200 5123 \"https://www.pinterest.com/\" \"%s\"",
		 CHROME);
	parse_ok("nginx_combined", line);
	FIELD(FIELD_REMOTE_ADDR, "203.0.113.5");
	FIELD(FIELD_TIME_LOCAL, "28/Nov/2026:10:00:00 +0000");
	FIELD(FIELD_REQUEST, "GET /products/blue-mug?utm_source=pinterest&epik=dj0yJnU9abc HTTP/1.1");
	FIELD(FIELD_STATUS, "200");
	FIELD(FIELD_HTTP_REFERER, "https://www.pinterest.com/");
	FIELD(FIELD_HTTP_USER_AGENT, CHROME);
	FIELD(FIELD_HOST, NULL);
	FIELD(FIELD_REQUEST_ID, NULL);
	FIELD(FIELD_COOKIE_EPIK, NULL);
	FIELD(FIELD_HTTP_SEC_GPC, NULL);
	assert_int_equal(g.hit.status, 200);
	expect_request("GET", "/products/blue-mug?utm_source=pinterest&epik=dj0yJnU9abc",
		       "/products/blue-mug", "utm_source=pinterest&epik=dj0yJnU9abc");
	expect_time("nginx_combined", T0);
}

static void test_nginx_combined_ipv6(void **state)
{
	(void)state;
	parse_ok("nginx_combined",
		 "2001:db8:85a3::8a2e:370:7334 - alice [28/Nov/2026:10:00:00 -0700] \"GET / HTTP/2.0\" 304 0 \"-\" \"Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15\"");
	FIELD(FIELD_REMOTE_ADDR, "2001:db8:85a3::8a2e:370:7334");
	FIELD(FIELD_HTTP_REFERER, NULL);
	assert_int_equal(g.hit.status, 304);
	expect_request("GET", "/", "/", NULL);
	expect_time("nginx_combined", T0 + 7 * 3600);

	parse_ok("nginx_combined",
		 "::ffff:203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET /a HTTP/1.1\" 200 1 \"-\" \"Mozilla/5.0\"");
	FIELD(FIELD_REMOTE_ADDR, "::ffff:203.0.113.5");
	parse_ok("nginx_combined",
		 "::1 - - [28/Nov/2026:10:00:00 +0000] \"GET /a HTTP/1.1\" 200 1 \"-\" \"Mozilla/5.0\"");
	FIELD(FIELD_REMOTE_ADDR, "::1");
}

static void test_nginx_combined_dashes(void **state)
{
	(void)state;
	/* nginx writes "-" for an empty referer and user agent: absent. */
	parse_ok("nginx_combined",
		 "198.51.100.23 - - [28/Nov/2026:10:00:00 +0000] \"GET /about HTTP/1.1\" 200 - \"-\" \"-\"");
	FIELD(FIELD_HTTP_REFERER, NULL);
	FIELD(FIELD_HTTP_USER_AGENT, NULL);
	FIELD(FIELD_REMOTE_ADDR, "198.51.100.23");
	expect_request("GET", "/about", "/about", NULL);
	/* An empty quoted field is absent too. */
	parse_ok("nginx_combined",
		 "198.51.100.23 - - [28/Nov/2026:10:00:00 +0000] \"GET /about HTTP/1.1\" 200 12 \"\" \"\"");
	FIELD(FIELD_HTTP_REFERER, NULL);
	FIELD(FIELD_HTTP_USER_AGENT, NULL);
	/* "--" or " - " are values, not nginx's empty marker. */
	parse_ok("nginx_combined",
		 "198.51.100.23 - - [28/Nov/2026:10:00:00 +0000] \"GET /about HTTP/1.1\" 200 12 \"--\" \" - \"");
	FIELD(FIELD_HTTP_REFERER, "--");
	FIELD(FIELD_HTTP_USER_AGENT, " - ");
}

static void test_nginx_combined_escapes(void **state)
{
	(void)state;
	/* nginx writes '"' as \x22, '\' as \x5C and bytes outside ASCII as \xHH. */
	parse_ok("nginx_combined",
		 "203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET /search?q=\\x22mug\\x22 HTTP/1.1\" 200 5 \"https://shop.example.com/?a=\\x5C\" \"Mozilla/5.0 \\x22quoted\\x22 caf\\xC3\\xA9 \\xFF\"");
	FIELD(FIELD_HTTP_USER_AGENT, "Mozilla/5.0 \"quoted\" caf\xc3\xa9 \xff");
	FIELD(FIELD_HTTP_REFERER, "https://shop.example.com/?a=\\");
	FIELD(FIELD_REQUEST, "GET /search?q=\"mug\" HTTP/1.1");
	expect_request("GET", "/search?q=\"mug\"", "/search", "q=\"mug\"");
}

static void test_nginx_combined_methods(void **state)
{
	(void)state;
	parse_ok("nginx_combined",
		 "203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"HEAD /products/blue-mug HTTP/1.1\" 200 0 \"-\" \"Mozilla/5.0\"");
	expect_request("HEAD", "/products/blue-mug", "/products/blue-mug", NULL);
	parse_ok("nginx_combined",
		 "203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"POST /cart/add HTTP/1.1\" 302 0 \"https://shop.example.com/products/blue-mug\" \"Mozilla/5.0\"");
	expect_request("POST", "/cart/add", "/cart/add", NULL);
	assert_int_equal(g.hit.status, 302);
	/* "OPTIONS *" asks for no page (test_request_without_protocol has more). */
	parse_no_target("203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"OPTIONS * HTTP/1.1\" 204 0 \"-\" \"Mozilla/5.0\"",
			204);
}

static void test_absolute_form(void **state)
{
	(void)state;
	request_ok("GET http://shop.example.com/a?b=1 HTTP/1.1", "GET", "/a?b=1", "/a", "b=1");
	request_ok("GET https://shop.example.com:8443/products/x HTTP/1.1", "GET", "/products/x", "/products/x",
		   NULL);
	parse_ok("nginx_combined",
		 "203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET http://shop.example.com HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0\"");
	expect("path", &g.hit.path, "/");
	expect("query", &g.hit.query, NULL);
	/* A relative target that merely starts like a scheme stays as it is. */
	request_ok("GET /http://x/y HTTP/1.1", "GET", "/http://x/y", "/http://x/y", NULL);
}

/*
 * "http://host?x=1" (no path, a query) has the path "/" (RFC 9112 3.2.2:
 * an empty path is "/"), and the query "x=1".
 */
static void test_absolute_form_query_without_path(void **state)
{
	(void)state;
	parse_ok("nginx_combined",
		 "203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET http://shop.example.com?x=1 HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0\"");
	expect("query", &g.hit.query, "x=1");
	expect("path", &g.hit.path, "/");
	/* A '/' in that query is no path: the path stays "/". */
	parse_ok("nginx_combined",
		 "203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET http://shop.example.com?next=/checkout/thank-you HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0\"");
	expect("path", &g.hit.path, "/");
	expect("query", &g.hit.query, "next=/checkout/thank-you");
	/* Nor in a fragment. */
	request_ok("GET http://shop.example.com#/x HTTP/1.1", "GET", "/", "/", NULL);
	/* The scheme in any case. */
	request_ok("GET HTTP://shop.example.com/products/q HTTP/1.1", "GET", "/products/q", "/products/q", NULL);
	request_ok("GET Https://shop.example.com:8443/a?b=1 HTTP/1.1", "GET", "/a?b=1", "/a", "b=1");
}

static void test_request_without_protocol(void **state)
{
	(void)state;
	/* HTTP/0.9-style: "GET /path". */
	request_ok("GET /legacy?x=1", "GET", "/legacy?x=1", "/legacy", "x=1");
	/* A space inside the target: the URI runs to the protocol. */
	request_ok("GET /a b HTTP/1.1", "GET", "/a b", "/a b", NULL);
	/* Only a method, or "-" (the client sent nothing), or a TLS handshake
	 * on the HTTP port: a hit with a status, but no page. */
	parse_no_target("203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET\" 400 0 \"-\" \"-\"", 400);
	parse_no_target("203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"-\" 400 0 \"-\" \"-\"", 400);
	parse_no_target("203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"\" 408 0 \"-\" \"-\"", 408);
	parse_no_target("203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"\\x16\\x03\\x01\\x00\" 400 0 \"-\" \"-\"",
			400);
	/* Targets that are no path: asterisk-form, authority-form, junk. */
	parse_no_target("203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"OPTIONS * HTTP/1.1\" 200 0 \"-\" \"-\"", 200);
	parse_no_target("203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"CONNECT shop.example.com:443 HTTP/1.1\" 200 0 \"-\" \"-\"",
			200);
	parse_no_target("203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET foo?x=1 HTTP/1.1\" 200 0 \"-\" \"-\"", 200);
}

static void test_percent_encoded_path(void **state)
{
	(void)state;
	parse_ok("nginx_combined",
		 "203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET /caf%C3%A9/%E2%9C%93+x%2Fy?q=caf%C3%A9+au+lait&e=a%40b.c HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0\"");
	/* The path is decoded ('+' stays a plus), the query and URI stay raw. */
	expect("path", &g.hit.path, "/caf\xc3\xa9/\xe2\x9c\x93+x/y");
	expect("query", &g.hit.query, "q=caf%C3%A9+au+lait&e=a%40b.c");
	expect("uri", &g.hit.uri, "/caf%C3%A9/%E2%9C%93+x%2Fy?q=caf%C3%A9+au+lait&e=a%40b.c");
	/* Invalid escapes are kept; %00 becomes a NUL byte. */
	parse_ok("nginx_combined",
		 "203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET /a%zz%00b% HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0\"");
	expect_n("path", &g.hit.path, "/a%zz\0b%", 8);
}

/*
 * The path ends at the first '?', found sixteen bytes at a time: a '?' and
 * a '%' (before or after it) at every position of the first blocks.
 */
static void test_path_query_split_positions(void **state)
{
	(void)state;
	for (int qpos = 1; qpos < 40; qpos++) {
		for (int ppos = 1; ppos < 44; ppos++) {
			char uri[64], request[96], want_path[64];
			size_t wn = 0;
			memset(uri, 'a', 44);
			uri[0] = '/';
			uri[44] = '\0';
			uri[qpos] = '?';
			if (ppos != qpos && ppos + 2 < 44) {
				memcpy(uri + ppos, "%41", 3); /* "A" */
			}
			if (ppos < qpos && ppos + 2 >= qpos) {
				continue; /* the escape would straddle the '?' */
			}
			/* The expected path: decoded when the escape is in it. */
			for (int i = 0; i < qpos; i++) {
				if (ppos < qpos && i == ppos && ppos + 2 < 44) {
					want_path[wn++] = 'A';
					i += 2;
				} else {
					want_path[wn++] = uri[i];
				}
			}
			want_path[wn] = '\0';
			snprintf(request, sizeof request, "GET %s HTTP/1.1", uri);
			request_ok(request, "GET", uri, want_path, uri + qpos + 1);
		}
	}
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	/* Raw bytes that are not UTF-8 are kept as they are. */
	parse_ok("nginx_combined",
		 "203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET /\xff\xfe HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0 \xc3\x28 \xed\xa0\x80 \xf8\x88\x80\x80\x80\"");
	FIELD(FIELD_HTTP_USER_AGENT, "Mozilla/5.0 \xc3\x28 \xed\xa0\x80 \xf8\x88\x80\x80\x80");
	expect("path", &g.hit.path, "/\xff\xfe");
	/* Escaped by nginx, decoded to the same bytes. */
	parse_ok("nginx_combined",
		 "203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0 \\xC3\\x28\"");
	FIELD(FIELD_HTTP_USER_AGENT, "Mozilla/5.0 \xc3\x28");
}

static void test_nul_bytes(void **state)
{
	static const char line[] =
		"203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET /a\0b?x=\0 HTTP/1.1\" 200 5 \"-\" \"Mozilla\0/5.0\"";
	(void)state;
	assert_int_equal(parse_n("nginx_combined", line, sizeof line - 1), PARSE_OK);
	expect_n("user agent", &g.hit.f[FIELD_HTTP_USER_AGENT], "Mozilla\0/5.0", 12);
	expect_n("path", &g.hit.path, "/a\0b", 4);
	expect_n("query", &g.hit.query, "x=\0", 3);
	/* A NUL in the address makes the line unparsable (\S matches NUL, but
	 * the line is still complete): at least it must not crash. */
	{
		static const char l2[] =
			"203.0\0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0\"";
		enum parse_result r = parse_n("nginx_combined", l2, sizeof l2 - 1);
		if (r == PARSE_OK) {
			expect_n("remote_addr", &g.hit.f[FIELD_REMOTE_ADDR], "203.0\0.113.5", 12);
		}
	}
}

static void test_truncated(void **state)
{
	static const char *const parsers[] = {"nginx_combined", "apache_combined"};
	char line[512];
	size_t n;
	(void)state;
	n = (size_t)snprintf(line, sizeof line,
			     "203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET /products/blue-mug?x=1 HTTP/1.1\" 200 5123 \"https://shop.example.com/\" \"%s\"",
			     CHROME);
	for (size_t p = 0; p < 2; p++) {
		assert_int_equal(parse_n(parsers[p], line, n), PARSE_OK);
		/* Every prefix is unparsable: a line cut by a crash or a full disk. */
		for (size_t k = 0; k < n; k++) {
			if (parse_n(parsers[p], line, k) == PARSE_OK) {
				fail_msg("%s parsed a line cut to %zu of %zu bytes: %.*s", parsers[p], k, n,
					 (int)k, line);
			}
		}
	}
	/* Cut in the middle of an escape. */
	parse_bad("nginx_combined",
		  "203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"Mozilla\\x2");
}

static void test_junk(void **state)
{
	(void)state;
	/* A TLS handshake sent to the plain-HTTP port, as nginx logs it. */
	parse_bad("nginx_combined",
		  "203.0.113.9 - - [28/Nov/2026:10:00:00 +0000] \"\\x16\\x03\\x01\\x00\\xF1\\x01\\x00\\x00\\xED\\x03\\x03\\x8B\\x1E\" 400 157 \"-\" \"-\"");
	/* Lines that are not access-log lines at all. */
	parse_bad("nginx_combined", "");
	parse_bad("nginx_combined", "\n");
	parse_bad("nginx_combined", "2026/11/28 10:00:00 [error] 123#0: *1 open() failed");
	parse_bad("nginx_combined", "{\"remote_addr\":\"203.0.113.5\"}");
	/* A status that is not one. */
	parse_bad("nginx_combined",
		  "203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 999 5 \"-\" \"Mozilla/5.0\"");
	parse_bad("nginx_combined",
		  "203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 099 5 \"-\" \"Mozilla/5.0\"");
}

static void test_scan_lines_parse(void **state)
{
	(void)state;
	/* Scanner noise is an ordinary line: parsed, and left to the filter. */
	parse_ok("nginx_combined",
		 "45.148.10.20 - - [28/Nov/2026:10:00:00 +0000] \"GET /index.php?s=/Index/\\x5Cthink\\x5Capp/invokefunction&function=call_user_func_array HTTP/1.1\" 404 153 \"-\" \"Mozilla/5.0 (Windows NT 10.0; Win64; x64)\"");
	assert_int_equal(g.hit.status, 404);
	expect("path", &g.hit.path, "/index.php");
	expect("query", &g.hit.query, "s=/Index/\\think\\app/invokefunction&function=call_user_func_array");
}

/* ---- apache_combined ---------------------------------------------------- */

static void test_apache_combined(void **state)
{
	(void)state;
	parse_ok("apache_combined",
		 "203.0.113.5 - frank [28/Nov/2026:10:00:00 +0530] \"GET /checkout/thank-you?order=1001&total=49.95 HTTP/1.1\" 200 2326 \"https://shop.example.com/checkout\" \"Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\"");
	FIELD(FIELD_REMOTE_ADDR, "203.0.113.5");
	FIELD(FIELD_HTTP_REFERER, "https://shop.example.com/checkout");
	FIELD(FIELD_HTTP_USER_AGENT, "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0");
	expect_request("GET", "/checkout/thank-you?order=1001&total=49.95", "/checkout/thank-you",
		       "order=1001&total=49.95");
	expect_time("apache_combined", T0 - 19800);

	parse_ok("apache_combined",
		 "2001:db8::5 - - [28/Nov/2026:10:00:00 +0000] \"POST /cart/add HTTP/1.1\" 302 - \"-\" \"-\"");
	FIELD(FIELD_REMOTE_ADDR, "2001:db8::5");
	FIELD(FIELD_HTTP_REFERER, NULL);
	FIELD(FIELD_HTTP_USER_AGENT, NULL);
	expect_request("POST", "/cart/add", "/cart/add", NULL);
}

static void test_apache_escapes(void **state)
{
	(void)state;
	/* Apache escapes '"' and '\' with a backslash, other bytes as \xhh. */
	parse_ok("apache_combined",
		 "203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET /a\\\"b HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0 \\\"quoted\\\" back\\\\slash \\xc3\\xa9\"");
	FIELD(FIELD_HTTP_USER_AGENT, "Mozilla/5.0 \"quoted\" back\\slash \xc3\xa9");
	expect_request("GET", "/a\"b", "/a\"b", NULL);
	/* An escaped quote at the very end of a field. */
	parse_ok("apache_combined",
		 "203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"HEAD / HTTP/1.0\" 200 - \"x\\\"\" \"UA \\\\\"");
	FIELD(FIELD_HTTP_REFERER, "x\"");
	FIELD(FIELD_HTTP_USER_AGENT, "UA \\");
	expect_request("HEAD", "/", "/", NULL);
}

static void test_apache_junk(void **state)
{
	(void)state;
	/* Apache logs a TLS handshake on its plain port as \x16\x03... too. */
	parse_bad("apache_combined",
		  "203.0.113.9 - - [28/Nov/2026:10:00:00 +0000] \"\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xfc\\x03\\x03\" 400 226 \"-\" \"-\"");
	/* An unescaped quote inside a field (a broken writer): unparsable or
	 * parsed, but never a crash. */
	(void)parse("apache_combined",
		    "203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET /a\"b HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0\"");
}

/* ---- nginx_pintail ------------------------------------------------------ */

static void test_nginx_pintail(void **state)
{
	char line[1024];
	(void)state;
	snprintf(line, sizeof line,
		 "203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET /checkout/thank-you?order=1001 HTTP/1.1\" 200 812 \"https://shop.example.com/checkout\" \"%s\" \"shop.example.com\" \"9f2c1a7be0d34c55a1e6f0b2c3d4e5f6\" \"dj0yJnU9b2JDcFFHekV4\" \"1\"",
		 CHROME);
	parse_ok("nginx_pintail", line);
	FIELD(FIELD_HOST, "shop.example.com");
	FIELD(FIELD_REQUEST_ID, "9f2c1a7be0d34c55a1e6f0b2c3d4e5f6");
	FIELD(FIELD_COOKIE_EPIK, "dj0yJnU9b2JDcFFHekV4");
	FIELD(FIELD_HTTP_SEC_GPC, "1");
	FIELD(FIELD_HTTP_USER_AGENT, CHROME);
	FIELD(FIELD_HTTP_REFERER, "https://shop.example.com/checkout");
	expect_request("GET", "/checkout/thank-you?order=1001", "/checkout/thank-you", "order=1001");
	expect_time("nginx_pintail", T0);
}

static void test_nginx_pintail_dashes(void **state)
{
	(void)state;
	parse_ok("nginx_pintail",
		 "2001:db8::7 - - [28/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 812 \"-\" \"Mozilla/5.0\" \"-\" \"-\" \"-\" \"-\"");
	FIELD(FIELD_REMOTE_ADDR, "2001:db8::7");
	FIELD(FIELD_HOST, NULL);
	FIELD(FIELD_REQUEST_ID, NULL);
	FIELD(FIELD_COOKIE_EPIK, NULL);
	FIELD(FIELD_HTTP_SEC_GPC, NULL);
	FIELD(FIELD_HTTP_REFERER, NULL);
	FIELD(FIELD_HTTP_USER_AGENT, "Mozilla/5.0");
	/* Empty strings too (nginx logs "" for some empty variables in quotes). */
	parse_ok("nginx_pintail",
		 "203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 812 \"-\" \"Mozilla/5.0\" \"shop.example.com\" \"\" \"\" \"0\"");
	FIELD(FIELD_HOST, "shop.example.com");
	FIELD(FIELD_REQUEST_ID, NULL);
	FIELD(FIELD_COOKIE_EPIK, NULL);
	FIELD(FIELD_HTTP_SEC_GPC, "0");
}

static void test_nginx_pintail_escapes(void **state)
{
	(void)state;
	parse_ok("nginx_pintail",
		 "203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 812 \"-\" \"Mozilla/5.0 \\x22x\\x22\" \"Shop.Example.com\" \"abc\" \"dj0y\\x22JnU9\" \"1\"");
	FIELD(FIELD_HTTP_USER_AGENT, "Mozilla/5.0 \"x\"");
	FIELD(FIELD_HOST, "Shop.Example.com");
	FIELD(FIELD_COOKIE_EPIK, "dj0y\"JnU9");
	/* The combined part alone is not enough for nginx_pintail. */
	parse_bad("nginx_pintail",
		  "203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 812 \"-\" \"Mozilla/5.0\"");
}

/* ---- nginx_json --------------------------------------------------------- */

static void test_nginx_json(void **state)
{
	(void)state;
	parse_ok("nginx_json",
		 "{\"time_iso8601\":\"2026-11-28T10:00:00+00:00\",\"remote_addr\":\"203.0.113.5\",\"request\":\"GET /products/blue-mug?epik=dj0y HTTP/1.1\",\"status\":\"200\",\"http_referer\":\"https://www.pinterest.com/\",\"http_user_agent\":\"Mozilla/5.0\",\"host\":\"shop.example.com\",\"request_id\":\"0123456789abcdef0123456789abcdef\",\"cookie__epik\":\"dj0yJnU9\",\"http_sec_gpc\":\"1\",\"http_x_forwarded_for\":\"198.51.100.1, 10.0.0.1\"}");
	FIELD(FIELD_TIME_ISO8601, "2026-11-28T10:00:00+00:00");
	FIELD(FIELD_REMOTE_ADDR, "203.0.113.5");
	FIELD(FIELD_HTTP_REFERER, "https://www.pinterest.com/");
	FIELD(FIELD_HTTP_USER_AGENT, "Mozilla/5.0");
	FIELD(FIELD_HOST, "shop.example.com");
	FIELD(FIELD_REQUEST_ID, "0123456789abcdef0123456789abcdef");
	FIELD(FIELD_COOKIE_EPIK, "dj0yJnU9");
	FIELD(FIELD_HTTP_SEC_GPC, "1");
	FIELD(FIELD_HTTP_X_FORWARDED_FOR, "198.51.100.1, 10.0.0.1");
	assert_int_equal(g.hit.status, 200);
	expect_request("GET", "/products/blue-mug?epik=dj0y", "/products/blue-mug", "epik=dj0y");
	expect_time("nginx_json", T0);
}

static void test_nginx_json_empty_and_numbers(void **state)
{
	(void)state;
	/* escape=json writes empty variables as "": absent.  Numbers are read. */
	parse_ok("nginx_json",
		 "{\"time_iso8601\":\"2026-11-28T10:00:00-07:00\",\"remote_addr\":\"2001:db8::1\",\"request\":\"POST /cart/add HTTP/2.0\",\"status\":302,\"http_referer\":\"\",\"http_user_agent\":\"Mozilla/5.0\",\"host\":\"\",\"request_id\":\"\",\"cookie__epik\":\"\",\"http_sec_gpc\":\"\",\"http_x_forwarded_for\":\"\"}");
	assert_int_equal(g.hit.status, 302);
	FIELD(FIELD_STATUS, "302");
	FIELD(FIELD_REMOTE_ADDR, "2001:db8::1");
	FIELD(FIELD_HTTP_REFERER, NULL);
	FIELD(FIELD_HOST, NULL);
	FIELD(FIELD_REQUEST_ID, NULL);
	FIELD(FIELD_COOKIE_EPIK, NULL);
	FIELD(FIELD_HTTP_SEC_GPC, NULL);
	FIELD(FIELD_HTTP_X_FORWARDED_FOR, NULL);
	expect_request("POST", "/cart/add", "/cart/add", NULL);
	expect_time("nginx_json", T0 + 7 * 3600);
	/* "-" is absent here too; null and booleans are absent; a float status is not a status. */
	parse_ok("nginx_json",
		 "{\"time_iso8601\":\"2026-11-28T10:00:00Z\",\"remote_addr\":\"203.0.113.5\",\"request\":\"GET / HTTP/1.1\",\"status\":200.0,\"http_referer\":\"-\",\"http_user_agent\":\"Mozilla/5.0\",\"host\":null,\"request_id\":true,\"cookie__epik\":{\"a\":1},\"http_sec_gpc\":1}");
	assert_int_equal(g.hit.status, 200);
	FIELD(FIELD_HTTP_REFERER, NULL);
	FIELD(FIELD_HOST, NULL);
	FIELD(FIELD_REQUEST_ID, NULL);
	FIELD(FIELD_COOKIE_EPIK, NULL);
	FIELD(FIELD_HTTP_SEC_GPC, "1");
	parse_bad("nginx_json",
		  "{\"time_iso8601\":\"2026-11-28T10:00:00Z\",\"remote_addr\":\"203.0.113.5\",\"request\":\"GET / HTTP/1.1\",\"status\":200.5,\"http_user_agent\":\"x\"}");
	/* Numbers too large to print as a field are absent, never garbage;
	 * whole numbers past int64 are printed without casting them. */
	parse_ok("nginx_json",
		 "{\"time_iso8601\":\"2026-11-28T10:00:00Z\",\"remote_addr\":\"203.0.113.5\",\"request\":\"GET / HTTP/1.1\",\"status\":200,\"http_user_agent\":\"x\",\"http_referer\":1e300,\"request_id\":-1e40,\"http_sec_gpc\":9.5e18}");
	FIELD(FIELD_HTTP_REFERER, NULL);
	FIELD(FIELD_REQUEST_ID, NULL);
	FIELD(FIELD_HTTP_SEC_GPC, "9500000000000000000.000000");
}

static void test_nginx_json_escapes(void **state)
{
	(void)state;
	/* escape=json: \" \\ and \u00XX for control bytes; other bytes raw. */
	parse_ok("nginx_json",
		 "{\"time_iso8601\":\"2026-11-28T10:00:00+00:00\",\"remote_addr\":\"203.0.113.5\",\"request\":\"GET /s?q=\\\"a\\\\b\\\" HTTP/1.1\",\"status\":\"200\",\"http_user_agent\":\"Mozilla/5.0 \\\"x\\\" \\u001f caf\xc3\xa9 \\u00e9 \\/\",\"unknown_key\":\"ignored\"}");
	FIELD(FIELD_HTTP_USER_AGENT, "Mozilla/5.0 \"x\" \x1f caf\xc3\xa9 \xc3\xa9 /");
	expect_request("GET", "/s?q=\"a\\b\"", "/s", "q=\"a\\b\"");
	/* The first of two keys of the same name is used. */
	parse_ok("nginx_json",
		 "{\"time_iso8601\":\"2026-11-28T10:00:00Z\",\"remote_addr\":\"203.0.113.5\",\"remote_addr\":\"192.0.2.1\",\"request\":\"GET / HTTP/1.1\",\"status\":\"200\",\"http_user_agent\":\"x\"}");
	FIELD(FIELD_REMOTE_ADDR, "203.0.113.5");
}

static void test_nginx_json_not_objects(void **state)
{
	static const char *const bad[] = {
		"",
		"[]",
		"[{\"remote_addr\":\"203.0.113.5\"}]",
		"\"GET / HTTP/1.1\"",
		"42",
		"null",
		"true",
		"{",
		"{\"time_iso8601\":\"2026-11-28T10:00:00Z\",\"remote_addr\":\"203.0.113.5\",\"request\":\"GET / HTTP/1.1\",\"status\":\"200\",\"http_user_agent\":\"Mozil",
		"203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\" 200 5 \"-\" \"Mozilla/5.0\"",
		/* Objects lacking what every hit needs. */
		"{}",
		"{\"time_iso8601\":\"2026-11-28T10:00:00Z\",\"request\":\"GET / HTTP/1.1\",\"status\":\"200\",\"http_user_agent\":\"x\"}",
		"{\"time_iso8601\":\"2026-11-28T10:00:00Z\",\"remote_addr\":\"203.0.113.5\",\"request\":\"GET / HTTP/1.1\",\"http_user_agent\":\"x\"}",
		"{\"time_iso8601\":\"2026-11-28T10:00:00Z\",\"remote_addr\":\"203.0.113.5\",\"status\":\"200\",\"http_user_agent\":\"x\"}",
		"{\"time_iso8601\":\"2026-11-28T10:00:00Z\",\"remote_addr\":\"203.0.113.5\",\"request\":\"GET / HTTP/1.1\",\"status\":\"abc\",\"http_user_agent\":\"x\"}",
	};
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		parse_bad("nginx_json", bad[i]);
	}
	/* A NUL inside the line: never read past it as if it were the end. */
	{
		static const char l[] =
			"{\"time_iso8601\":\"2026-11-28T10:00:00Z\",\"remote_addr\":\"203.0.113.5\",\"request\":\"GET / HTTP/1.1\",\"status\":\"200\",\"http_user_agent\":\"a\0b\"}";
		(void)parse_n("nginx_json", l, sizeof l - 1);
	}
	/* A good line after bad ones still parses (no state left behind). */
	parse_ok("nginx_json",
		 "{\"time_iso8601\":\"2026-11-28T10:00:00Z\",\"remote_addr\":\"203.0.113.5\",\"request\":\"GET / HTTP/1.1\",\"status\":\"200\",\"http_user_agent\":\"x\"}");
	FIELD(FIELD_HTTP_USER_AGENT, "x");
}

/*
 * One JSON object per line: what follows the object (another object whose
 * newline was lost, junk) makes the line unparsable, so that it is counted
 * rather than half-read; trailing blanks (a CRLF's CR) are fine.
 */
static void test_nginx_json_one_object_per_line(void **state)
{
#define OBJ(path)                                                                                    \
	"{\"time_iso8601\":\"2026-11-28T10:00:00Z\",\"remote_addr\":\"203.0.113.5\",\"request\":\"GET " \
	path " HTTP/1.1\",\"status\":\"200\",\"http_user_agent\":\"x\"}"
	(void)state;
	parse_ok("nginx_json", OBJ("/a") " \r");
	expect("path", &g.hit.path, "/a");
	parse_bad("nginx_json", OBJ("/a") OBJ("/b"));
	parse_bad("nginx_json", OBJ("/a") " trailing junk");
	parse_bad("nginx_json", OBJ("/a") ",");
#undef OBJ
}

static void test_nginx_json_big_line(void **state)
{
	/* A line whose tree does not fit the parser's arena still parses. */
	size_t n = 0, cap = 256u << 10; /* ~15,000 values: some 4 MB of nodes */
	char *line = malloc(cap);
	(void)state;
	assert_non_null(line);
	n += (size_t)sprintf(line + n,
			     "{\"time_iso8601\":\"2026-11-28T10:00:00Z\",\"remote_addr\":\"203.0.113.5\",\"request\":\"GET / HTTP/1.1\",\"status\":\"200\",\"http_user_agent\":\"big\"");
	for (int i = 0; n + 64 < cap - 64; i++) {
		n += (size_t)sprintf(line + n, ",\"k%d\":[1,2,3]", i);
	}
	line[n++] = '}';
	line[n] = '\0';
	parse_ok("nginx_json", line);
	FIELD(FIELD_HTTP_USER_AGENT, "big");
	free(line);
	parse_ok("nginx_json",
		 "{\"time_iso8601\":\"2026-11-28T10:00:00Z\",\"remote_addr\":\"203.0.113.5\",\"request\":\"GET / HTTP/1.1\",\"status\":\"200\",\"http_user_agent\":\"small\"}");
	FIELD(FIELD_HTTP_USER_AGENT, "small");
}

/* ---- all packaged parsers ----------------------------------------------- */

static void test_all_parsers_have_required(void **state)
{
	static const char *const names[] = {"nginx_combined", "apache_combined", "nginx_json",
					    "nginx_pintail"};
	(void)state;
	for (size_t i = 0; i < 4; i++) {
		const struct parser_def *p = P(names[i]);
		assert_true(p->have & (1u << FIELD_REMOTE_ADDR));
		assert_true(p->have & (1u << FIELD_STATUS));
		assert_true(p->have & (1u << FIELD_HTTP_USER_AGENT));
		assert_true(p->have & (1u << FIELD_REQUEST));
	}
	assert_true(P("nginx_pintail")->have & (1u << FIELD_HOST));
	assert_true(P("nginx_pintail")->have & (1u << FIELD_REQUEST_ID));
	assert_true(P("nginx_pintail")->have & (1u << FIELD_COOKIE_EPIK));
	assert_true(P("nginx_pintail")->have & (1u << FIELD_HTTP_SEC_GPC));
	assert_false(P("nginx_combined")->have & (1u << FIELD_HOST));
	assert_int_equal(P("nginx_json")->time_field, FIELD_TIME_ISO8601);
	assert_int_equal(P("nginx_combined")->time_field, FIELD_TIME_LOCAL);
}

static void test_field_names(void **state)
{
	(void)state;
	for (int f = 0; f < FIELD_COUNT; f++) {
		assert_int_equal(field_lookup(field_name((enum field_id)f)), f);
	}
	assert_int_equal(field_lookup("cookie__epik"), FIELD_COOKIE_EPIK);
	assert_int_equal(field_lookup("http_sec_gpc"), FIELD_HTTP_SEC_GPC);
	assert_int_equal(field_lookup("remote_user"), -1);
	assert_int_equal(field_lookup(""), -1);
}

static void test_parser_compile_missing_fields(void **state)
{
	struct parser_def *def = calloc(1, sizeof *def);
	char *out = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&out, &len);
	struct diag d = {.out = mem};
	(void)state;
	def->name = strdup("mine");
	def->file = strdup("/etc/pintail/parsers/mine.conf");
	def->line = 3;
	def->format = PARSER_REGEX;
	def->regex = strdup("^(?<remote_addr>\\S+) \\[(?<time_local>[^\\]]+)\\] \"(?<request>[^\"]*)\"");
	assert_int_equal(parser_compile(def, &d), -1);
	fclose(mem);
	assert_int_equal(d.errors, 1);
	assert_contains(out, "/etc/pintail/parsers/mine.conf:3:");
	assert_contains(out, "status");
	assert_contains(out, "http_user_agent");
	assert_not_contains(out, "remote_addr");
	free(out);
	parser_def_free(def);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nginx_combined_ipv4),
		cmocka_unit_test(test_nginx_combined_ipv6),
		cmocka_unit_test(test_nginx_combined_dashes),
		cmocka_unit_test(test_nginx_combined_escapes),
		cmocka_unit_test(test_nginx_combined_methods),
		cmocka_unit_test(test_absolute_form),
		cmocka_unit_test(test_absolute_form_query_without_path),
		cmocka_unit_test(test_request_without_protocol),
		cmocka_unit_test(test_percent_encoded_path),
		cmocka_unit_test(test_path_query_split_positions),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_nul_bytes),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_junk),
		cmocka_unit_test(test_scan_lines_parse),
		cmocka_unit_test(test_apache_combined),
		cmocka_unit_test(test_apache_escapes),
		cmocka_unit_test(test_apache_junk),
		cmocka_unit_test(test_nginx_pintail),
		cmocka_unit_test(test_nginx_pintail_dashes),
		cmocka_unit_test(test_nginx_pintail_escapes),
		cmocka_unit_test(test_nginx_json),
		cmocka_unit_test(test_nginx_json_empty_and_numbers),
		cmocka_unit_test(test_nginx_json_escapes),
		cmocka_unit_test(test_nginx_json_not_objects),
		cmocka_unit_test(test_nginx_json_one_object_per_line),
		cmocka_unit_test(test_nginx_json_big_line),
		cmocka_unit_test(test_all_parsers_have_required),
		cmocka_unit_test(test_field_names),
		cmocka_unit_test(test_parser_compile_missing_fields),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
