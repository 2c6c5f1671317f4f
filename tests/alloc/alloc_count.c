/*
 * The hot path allocates nothing for a line that yields no event.
 *
 * This binary is built without sanitizers and interposes malloc, calloc and
 * realloc, so that calls made inside libpcre2, libcjson and libc are counted
 * too.  It loads a real site, warms the pipeline up, then runs 10,000 lines
 * that yield no event (static files, bots, statuses outside the filter,
 * paths of no rule, unparsable and too-long lines, JSON lines) and asserts
 * that not one allocation happened — with PCRE2's JIT, and again without.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "diag.h"
#include "pipeline.h"
#include "rx.h"

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static int counting;
static unsigned long allocations;

void *malloc(size_t n)
{
	allocations += counting;
	return __libc_malloc(n);
}

void *calloc(size_t a, size_t b)
{
	allocations += counting;
	return __libc_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
	allocations += counting;
	return __libc_realloc(p, n);
}

static const char *const combined_lines[] = {
	"198.51.100.7 - - [28/Nov/2026:10:00:01 +0000] \"GET /static/js/app.1a2b3c.js HTTP/2.0\" 200 30126 \"https://shop.example.com/\" \"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36\"",
	"2001:db8::7 - - [28/Nov/2026:10:00:02 +0000] \"GET /cdn/shop/products/mug_800x.jpg?v=17 HTTP/1.1\" 200 9797 \"https://shop.example.com/products/mug\" \"Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1\"",
	"66.249.66.1 - - [28/Nov/2026:10:00:03 +0000] \"GET /products/blue-mug HTTP/1.1\" 200 5123 \"-\" \"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)\"",
	"203.0.113.9 - - [28/Nov/2026:10:00:04 +0000] \"GET /products/missing HTTP/1.1\" 404 120 \"-\" \"Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0\"",
	"203.0.113.9 - - [28/Nov/2026:10:00:05 +0000] \"GET /robots.txt HTTP/1.1\" 200 50 \"-\" \"Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0\"",
	"203.0.113.10 - - [28/Nov/2026:10:00:06 +0000] \"POST /api/track%20me?x=1 HTTP/1.1\" 204 0 \"-\" \"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15\"",
	"203.0.113.11 - - [28/Nov/2026:10:00:07 +0000] \"\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xFC\\x03\\x03\" 400 157 \"-\" \"-\"",
	"garbage that is no access log line at all",
	"198.51.100.8 - - [28/Nov/2026:10:00:08 +0000] \"GET /favicon.ico HTTP/1.1\" 200 1150 \"-\" \"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36 \\x22quoted\\x22\"",
	"198.51.100.9 - - [28/Nov/2026:10:00:09 +0000] \"HEAD /products/blue-mug HTTP/1.1\" 200 0 \"-\" \"curl/7.88.1\"",
};

static const char *const json_lines[] = {
	"{\"time_iso8601\":\"2026-11-28T10:00:01+00:00\",\"remote_addr\":\"198.51.100.7\",\"request\":\"GET /static/app.js HTTP/1.1\",\"status\":\"200\",\"http_referer\":\"\",\"http_user_agent\":\"Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0\",\"host\":\"shop.example.com\",\"request_id\":\"\",\"cookie__epik\":\"\",\"http_sec_gpc\":\"\",\"http_x_forwarded_for\":\"\"}",
	"{\"time_iso8601\":\"2026-11-28T10:00:02+00:00\",\"remote_addr\":\"66.249.66.1\",\"request\":\"GET /products/a HTTP/1.1\",\"status\":200,\"http_referer\":\"\",\"http_user_agent\":\"Googlebot/2.1\",\"host\":\"shop.example.com\"}",
	"{\"broken json",
};

static int failures;

#define CHECK(cond, ...)                                    \
	do {                                                \
		if (!(cond)) {                              \
			fprintf(stderr, "FAIL: " __VA_ARGS__); \
			fputc('\n', stderr);                \
			failures++;                         \
		}                                           \
	} while (0)

static int no_event(void *ctx, const struct event_out *ev)
{
	(void)ctx;
	fprintf(stderr, "FAIL: unexpected event: %.*s\n", (int)ev->len, ev->json);
	failures++;
	return 0;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (f == NULL) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
}

static struct config *load(const char *dir, const char *parser)
{
	char path[512], text[16384];
	const char *top = getenv("PINTAIL_TOP") ? getenv("PINTAIL_TOP") : ".";
	char rtop[4096];
	struct diag d = {0};

	if (realpath(top, rtop) == NULL) {
		perror(top);
		exit(1);
	}
	snprintf(path, sizeof path, "%s/conf.d", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/token", dir);
	write_file(path, "alloc-test-token\n");
	chmod(path, 0600);
	snprintf(path, sizeof path, "%s/pintail.conf", dir);
	snprintf(text, sizeof text,
		 "[agent]\nstate_dir = %s/state\nparsers = %s/parsers\nbots_file = %s/parsers/bots.txt\nmax_line = 1K\n",
		 dir, rtop, rtop);
	write_file(path, text);
	snprintf(path, sizeof path, "%s/conf.d/shop.conf", dir);
	snprintf(text, sizeof text,
		 "[site]\nurl = https://shop.example.com\nlogs = %s/access.log\nparser = %s\n"
		 "[pinterest]\nad_account_id = 549755885175\naccess_token_file = %s/token\n"
		 "[event page_visit]\ntype = page_visit\npath = ^/(products|collections|pages|blog)?(/|$)\n"
		 "[event checkout]\ntype = checkout\npath = ^/checkout/thank-you\nvalue = query:value\ncurrency = query:currency | USD\n"
		 "[event add_to_cart]\ntype = add_to_cart\npath = ^/cart/add$\nmethods = POST\n",
		 dir, parser, dir);
	write_file(path, text);
	snprintf(path, sizeof path, "%s/pintail.conf", dir);
	return config_load(path, 0, &d); /* as parse: no token needed */
}

static void run(const char *dir, const char *parser, const char *const *lines, size_t nlines,
		const char *label)
{
	struct config *cfg = load(dir, parser);
	struct pipeline *pl;
	struct line_src src = {.identity = "0000000000000000000000000000000000000000000000000000000000000000"};
	char longline[2048];
	unsigned long used;
	uint64_t parsed0;

	CHECK(cfg != NULL, "%s: configuration refused", label);
	if (cfg == NULL) {
		return;
	}
	pl = pipeline_new(cfg, config_site(cfg, "shop"), NULL);
	memset(longline, 'a', sizeof longline);
	/* Warm-up: first matches may size PCRE2's frames, once. */
	for (size_t i = 0; i < nlines * 3; i++) {
		pipeline_line(pl, lines[i % nlines], strlen(lines[i % nlines]), &src, 1795860000, no_event, NULL);
	}
	parsed0 = pipeline_stats(pl)->parsed;
	allocations = 0;
	counting = 1;
	for (int i = 0; i < 10000; i++) {
		const char *l = lines[i % nlines];
		src.offset = (uint64_t)i * 200;
		if (i % 1000 == 999) {
			pipeline_line(pl, longline, sizeof longline, &src, 1795860000, no_event, NULL);
		} else {
			pipeline_line(pl, l, strlen(l), &src, 1795860000, no_event, NULL);
		}
	}
	counting = 0;
	used = allocations;
	CHECK(used == 0, "%s: 10,000 lines yielding no event made %lu allocations, expected 0", label,
	      used);
	CHECK(pipeline_stats(pl)->lines >= 10000, "%s: lines counted", label);
	/* The lines went through the whole pipeline: most parsed (a parser
	 * refusing everything would allocate nothing too), every 1000th too
	 * long. */
	CHECK(pipeline_stats(pl)->parsed - parsed0 >= 5000, "%s: only %llu of 10,000 lines parsed", label,
	      (unsigned long long)(pipeline_stats(pl)->parsed - parsed0));
	CHECK(pipeline_stats(pl)->too_long == 10, "%s: %llu lines too long, expected 10", label,
	      (unsigned long long)pipeline_stats(pl)->too_long);
	printf("%s: 10000 lines, %lu allocations, unparsable=%llu too_long=%llu\n", label, used,
	       (unsigned long long)pipeline_stats(pl)->unparsable,
	       (unsigned long long)pipeline_stats(pl)->too_long);
	pipeline_free(pl);
	config_free(cfg);
}

int main(void)
{
	char dir[] = "/tmp/pintail-alloc-XXXXXX";
	char cmd[600];

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	run(dir, "nginx_combined", combined_lines, sizeof combined_lines / sizeof *combined_lines,
	    "regex, JIT");
	run(dir, "nginx_json", json_lines, sizeof json_lines / sizeof *json_lines, "json, JIT");
	rx_set_jit(0);
	run(dir, "nginx_combined", combined_lines, sizeof combined_lines / sizeof *combined_lines,
	    "regex, interpreter");
	run(dir, "nginx_json", json_lines, sizeof json_lines / sizeof *json_lines, "json, interpreter");
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0) {
		failures++;
	}
	printf("%d passed, %d failed\n", failures ? 0 : 1, failures ? 1 : 0);
	return failures ? 1 : 0;
}
