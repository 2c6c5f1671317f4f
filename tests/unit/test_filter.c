/*
 * test_filter — [filter]: the built-in bot list (parsers/bots.txt),
 * exclude_agents, exclude_paths, exclude_ips (CIDR, IPv4 and IPv6) and
 * status ranges.
 */
#include "testutil.h"

#include "cidr.h"
#include "filter.h"
#include "parser.h"
#include "pipeline.h"
#include "rx.h"

/* ---- a configuration in a temporary folder ------------------------------ */

struct fx {
	struct tu_tmpconf conf;
	struct agent_cache *cache;
	struct rx *bots; /* the bot list in place of the configuration's, or NULL */
	struct pipeline *pl;
	char *line;
	struct scratch s;
	struct hit hit;
};

static void fx_free(struct fx *f);

static void fx_load(struct fx *f, const char *site_text)
{
	fx_free(f);
	tu_tmpconf_write(&f->conf, NULL, "shop", site_text);
	tu_tmpconf_load(&f->conf, "shop");
	f->cache = agent_cache_new();
	assert_non_null(f->cache);
}

/* Frees F (if loaded); also the teardown of every test, which runs when one fails. */
static void fx_free(struct fx *f)
{
	if (f->conf.dir == NULL) {
		return;
	}
	pipeline_free(f->pl);
	rx_free(f->bots);
	agent_cache_free(f->cache);
	free(f->line);
	free(f->s.p);
	tu_tmpconf_free(&f->conf);
	memset(f, 0, sizeof *f);
}

/* The test's configuration: one at a time, freed by the teardown. */
static struct fx F;

static int fx_teardown(void **state)
{
	(void)state;
	fx_free(&F);
	return 0;
}

/* The verdict of the site's filter on a hit, built as nginx's combined line. */
static enum filter_reason verdict(struct fx *f, const char *ip, const char *target, int status,
				  const char *ua)
{
	int n;
	enum parse_result r;

	free(f->line);
	free(f->s.p);
	n = asprintf(&f->line,
		     "%s - - [28/Nov/2026:10:00:00 +0000] \"GET %s HTTP/1.1\" %d 512 \"https://shop.example.com/\" \"%s\"",
		     ip, target, status, ua ? ua : "-");
	assert_true(n > 0);
	f->s.cap = 2 * (size_t)n + 64;
	f->s.p = malloc(f->s.cap);
	assert_non_null(f->s.p);
	r = parser_parse(f->conf.site->parser, f->line, (size_t)n, 0, &f->s, &f->hit);
	if (r != PARSE_OK) {
		fail_msg("the test line does not parse: %s", f->line);
	}
	return filter_hit(f->conf.site, f->bots ? f->bots : f->conf.l.cfg->bots, f->cache, &f->hit,
			  &f->hit.f[FIELD_REMOTE_ADDR], NULL);
}

static const char *reason(enum filter_reason r) { return filter_reason_name(r); }

#define EXPECT(f, ip, target, status, ua, want)                                                   \
	do {                                                                                      \
		enum filter_reason got_ = verdict(f, ip, target, status, ua);                     \
		if (got_ != (want)) {                                                             \
			fail_msg("%s %s %d \"%s\": filtered as \"%s\", want \"%s\"", ip, target, status, \
				 (const char *)(ua ? ua : "-"), reason(got_), reason(want));      \
		}                                                                                 \
	} while (0)

/* ---- user agents -------------------------------------------------------- */

static const char *const BOTS[] = {
	/* Googlebot, desktop and smartphone. */
	"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
	"Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.199 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
	"Googlebot-Image/1.0",
	"Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
	"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36",
	/* Pinterest's crawler, in both its forms. */
	"Pinterest/0.2 (+https://www.pinterest.com/bot.html)",
	"Mozilla/5.0 (compatible; Pinterestbot/1.0; +https://www.pinterest.com/bot.html)",
	"Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36 (compatible; Pinterestbot/1.0; +https://www.pinterest.com/bot.html)",
	"Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)",
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.109 Safari/537.36",
	"curl/8.5.0",
	"curl/7.68.0",
	"python-requests/2.31.0",
	"Wget/1.21.4",
	"Go-http-client/1.1",
	"facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
	"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.2; +https://openai.com/gptbot)",
	"Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
	"Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.1.1 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
	"Twitterbot/1.0",
	"Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
	"Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
	"Mozilla/5.0 (compatible; Pingdom.com_bot_version_1.4; +http://www.pingdom.com/)",
	"kube-probe/1.28",
	"GOOGLEBOT", /* case-insensitive */
};

static const char *const PEOPLE[] = {
	/* Pinterest's in-app browser is a person. */
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [Pinterest/iOS]",
	"Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [Pinterest/iOS]",
	"Mozilla/5.0 (Linux; Android 14; Pixel 8 Build/UD1A.231105.004; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.163 Mobile Safari/537.36 [Pinterest/Android]",
	"Mozilla/5.0 (Linux; Android 13; SM-S918B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.43 Mobile Safari/537.36 [Pinterest/Android]",
	/* Ordinary browsers. */
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1.2 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
	"Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
	/* A Cubot phone: "bot" inside a brand name. */
	"Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.43 Mobile Safari/537.36",
	/* Other in-app browsers. */
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/442.0.0.38.109;FBBV/540766512;FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;FBSV/17.1;FBSS/3;FBCR/;FBID/phone;FBLC/en_US;FBOP/5]",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 307.0.0.22.109 (iPhone15,2; iOS 17_1; en_US; en; scale=3.00; 1179x2556; 530584080)",
};

/* A hit by an ordinary browser (PEOPLE[4]): from IP, for TARGET, answered STATUS. */
struct visit {
	const char *ip;
	const char *target;
	int status;
	enum filter_reason want; /* the filter's verdict */
};

static void expect_visits(struct fx *f, const struct visit *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		EXPECT(f, v[i].ip, v[i].target, v[i].status, PEOPLE[4], v[i].want);
	}
}

/* EXPECT for each visit: EXPECT_VISITS(f, {ip, target, status, want}, ...). */
#define EXPECT_VISITS(f, ...)                                                                     \
	expect_visits(f, (const struct visit[]){__VA_ARGS__},                                     \
		      sizeof((const struct visit[]){__VA_ARGS__}) / sizeof(struct visit))

static void test_bots_dropped(void **state)
{
	struct fx *f = &F;
	(void)state;
	fx_load(f, TU_SITE_HEAD("nginx_combined") TU_PINTEREST);
	assert_non_null(f->conf.l.cfg->bots);
	for (size_t i = 0; i < sizeof BOTS / sizeof BOTS[0]; i++) {
		EXPECT(f, "66.249.66.1", "/products/blue-mug", 200, BOTS[i], FILTER_BOT);
		/* Cached: the same verdict the second time. */
		EXPECT(f, "66.249.66.1", "/products/blue-mug", 200, BOTS[i], FILTER_BOT);
	}
	/* No user agent at all: only bots send none. */
	EXPECT(f, "66.249.66.1", "/", 200, NULL, FILTER_BOT);
	fx_free(f);
}

static void test_people_kept(void **state)
{
	struct fx *f = &F;
	(void)state;
	fx_load(f, TU_SITE_HEAD("nginx_combined") TU_PINTEREST);
	for (size_t i = 0; i < sizeof PEOPLE / sizeof PEOPLE[0]; i++) {
		EXPECT(f, "203.0.113.5", "/products/blue-mug", 200, PEOPLE[i], FILTER_PASS);
		EXPECT(f, "203.0.113.5", "/products/blue-mug", 200, PEOPLE[i], FILTER_PASS);
	}
	fx_free(f);
}

static void test_bots_uncached(void **state)
{
	/* The verdicts without the agent cache are the same. */
	struct fx *f = &F;
	(void)state;
	fx_load(f, TU_SITE_HEAD("nginx_combined") TU_PINTEREST);
	agent_cache_free(f->cache);
	f->cache = NULL;
	EXPECT(f, "66.249.66.1", "/", 200, BOTS[0], FILTER_BOT);
	EXPECT(f, "203.0.113.5", "/", 200, PEOPLE[0], FILTER_PASS);
	fx_free(f);
}

/*
 * A hundred agents seen in turn, over and over: each is checked against
 * the lists once.  (A direct-mapped cache fails this: among a hundred
 * agents some share a slot, and then evict each other on every line.)
 */
static void test_cache_keeps_many_agents(void **state)
{
	struct fx *f = &F;
	char buf[128];
	const char *ua = buf;
	(void)state;
	fx_load(f, TU_SITE_HEAD("nginx_combined") TU_PINTEREST);
	for (int round = 0; round < 5; round++) {
		for (int i = 0; i < 100; i++) {
			snprintf(buf, sizeof buf,
				 "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/%d.0.%d Safari/537.36",
				 100 + i % 23, i);
			EXPECT(f, "203.0.113.5", "/products/blue-mug", 200, ua, FILTER_PASS);
		}
	}
	assert_int_equal(agent_cache_misses(f->cache), 100);
	fx_free(f);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * The cache's hash reads every byte of an agent, whatever its length: an
 * agent of 1 to 200 bytes with one byte changed, anywhere, hashes to a
 * value of its own (a skipped byte would make two of them equal).
 */
static void test_cache_hash_every_byte(void **state)
{
	enum { MAXLEN = 200 };
	uint64_t *h = malloc(sizeof *h * (MAXLEN * (MAXLEN + 3) / 2));
	char buf[MAXLEN];
	size_t n = 0;
	(void)state;
	assert_non_null(h);
	for (size_t len = 1; len <= MAXLEN; len++) {
		memset(buf, 'a', len);
		h[n++] = agent_cache_hash(buf, len);
		for (size_t i = 0; i < len; i++) {
			buf[i] = 'b';
			h[n++] = agent_cache_hash(buf, len);
			buf[i] = 'a';
		}
	}
	qsort(h, n, sizeof *h, cmp_u64);
	for (size_t i = 1; i < n; i++) {
		if (h[i] == h[i - 1]) {
			fail_msg("two of %zu agents share the hash %016llx", n, (unsigned long long)h[i]);
		}
	}
	free(h);
}

static void test_exclude_bots_off(void **state)
{
	struct fx *f = &F;
	char err[128];

	(void)state;
	fx_load(f, TU_SITE_HEAD("nginx_combined") TU_PINTEREST "[filter]\nexclude_bots = false\n");
	EXPECT(f, "66.249.66.1", "/", 200, BOTS[0], FILTER_PASS);
	EXPECT(f, "203.0.113.5", "/", 200, "curl/8.5.0", FILTER_PASS);
	EXPECT(f, "203.0.113.5", "/", 200, PEOPLE[0], FILTER_PASS);
	/* Another site wants the bot list: the agent has it, this site
	 * still keeps the bots' hits. */
	f->bots = rx_compile("Googlebot|^curl/", 0, err, sizeof err);
	assert_non_null(f->bots);
	agent_cache_free(f->cache); /* the verdicts above, without the list */
	f->cache = agent_cache_new();
	assert_non_null(f->cache);
	EXPECT(f, "66.249.66.1", "/", 200, BOTS[0], FILTER_PASS);
	EXPECT(f, "203.0.113.5", "/", 200, "curl/8.5.0", FILTER_PASS);
	/* No user agent at all: a bot whatever exclude_bots says (Pinterest
	 * needs one; SPEC §4: no empty value). */
	EXPECT(f, "203.0.113.5", "/", 200, NULL, FILTER_BOT);
	fx_free(f);
}

static void test_exclude_agents(void **state)
{
	struct fx *f = &F;
	(void)state;
	fx_load(f, TU_SITE_HEAD("nginx_combined") TU_PINTEREST
		"[filter]\nexclude_agents = ^ShopMonitor/|\\binternal-checker\\b\n");
	EXPECT(f, "203.0.113.5", "/", 200, "ShopMonitor/2.1 (+ops)", FILTER_AGENT);
	EXPECT(f, "203.0.113.5", "/", 200, "Mozilla/5.0 internal-checker 1.0", FILTER_AGENT);
	/* Unanchored where not anchored; case-sensitive unless the pattern says (?i). */
	EXPECT(f, "203.0.113.5", "/", 200, "Mozilla/5.0 ShopMonitor/2.1", FILTER_PASS);
	EXPECT(f, "203.0.113.5", "/", 200, "shopmonitor/2.1", FILTER_PASS);
	/* The built-in list still applies, and comes first. */
	EXPECT(f, "203.0.113.5", "/", 200, "curl/8.5.0", FILTER_BOT);
	EXPECT(f, "203.0.113.5", "/", 200, PEOPLE[0], FILTER_PASS);
	fx_free(f);

	fx_load(f, TU_SITE_HEAD("nginx_combined") TU_PINTEREST
		"[filter]\nexclude_bots = no\nexclude_agents = (?i)^shopmonitor/\n");
	EXPECT(f, "203.0.113.5", "/", 200, "ShopMonitor/2.1", FILTER_AGENT);
	EXPECT(f, "203.0.113.5", "/", 200, "curl/8.5.0", FILTER_PASS);
	fx_free(f);
}

/* ---- paths -------------------------------------------------------------- */

static void test_exclude_paths_default(void **state)
{
	static const char *const assets[] = {
		"/static/app.css", "/static/app.js", "/static/app.mjs", "/static/app.js.map",
		"/img/mug.png", "/img/mug.jpg", "/img/mug.jpeg", "/img/a.gif", "/logo.svg",
		"/favicon.ico", "/img/mug.webp", "/img/mug.avif", "/fonts/a.woff", "/fonts/a.woff2",
		"/fonts/a.ttf", "/fonts/a.eot",
		/* The query is not part of the path. */
		"/static/app.js?v=3", "/img/mug.png?w=300&h=300",
		/* Matched on the decoded path. */
		"/static/app%2Ejs",
	};
	static const char *const pages[] = {
		"/", "/products/blue-mug", "/products/js", "/blog/learn-css", "/search?q=a.png",
		"/checkout/thank-you?order=1001", "/img/mug.png/details", "/style.cssx",
	};
	struct fx *f = &F;
	(void)state;
	fx_load(f, TU_SITE_HEAD("nginx_combined") TU_PINTEREST);
	for (size_t i = 0; i < sizeof assets / sizeof assets[0]; i++) {
		EXPECT(f, "203.0.113.5", assets[i], 200, PEOPLE[4], FILTER_PATH);
	}
	for (size_t i = 0; i < sizeof pages / sizeof pages[0]; i++) {
		EXPECT(f, "203.0.113.5", pages[i], 200, PEOPLE[4], FILTER_PASS);
	}
	/* The path is checked before the agent: a bot fetching CSS is a path. */
	EXPECT(f, "66.249.66.1", "/static/app.css", 200, BOTS[0], FILTER_PATH);
	fx_free(f);
}

static void test_exclude_paths_custom_and_empty(void **state)
{
	struct fx *f = &F;
	(void)state;
	fx_load(f, TU_SITE_HEAD("nginx_combined") TU_PINTEREST "[filter]\nexclude_paths = ^/(admin|api)/\n");
	EXPECT_VISITS(f,
		{"203.0.113.5", "/admin/orders", 200, FILTER_PATH},
		{"203.0.113.5", "/api/cart", 200, FILTER_PATH},
		{"203.0.113.5", "/static/app.css", 200, FILTER_PASS},
		{"203.0.113.5", "/products/admin/", 200, FILTER_PASS});
	fx_free(f);

	/* "exclude_paths =" excludes no path. */
	fx_load(f, TU_SITE_HEAD("nginx_combined") TU_PINTEREST "[filter]\nexclude_paths =\n");
	EXPECT_VISITS(f,
		{"203.0.113.5", "/static/app.css", 200, FILTER_PASS},
		{"203.0.113.5", "/favicon.ico", 200, FILTER_PASS});
	fx_free(f);
}

/* ---- addresses ---------------------------------------------------------- */

static void test_exclude_ips(void **state)
{
	struct fx *f = &F;
	(void)state;
	fx_load(f, TU_SITE_HEAD("nginx_combined") TU_PINTEREST
		"[filter]\nexclude_ips = 203.0.113.0/24 198.51.100.7/32 192.0.2.128/25 2001:db8:1::/48 2001:db8:7000::1/128 2001:db8:8000::/33\n");
	/* IPv4 networks. */
	EXPECT_VISITS(f,
		{"203.0.113.5", "/", 200, FILTER_IP},
		{"203.0.113.255", "/", 200, FILTER_IP},
		{"203.0.114.5", "/", 200, FILTER_PASS},
		/* A single address, /32. */
		{"198.51.100.7", "/", 200, FILTER_IP},
		{"198.51.100.8", "/", 200, FILTER_PASS},
		/* A prefix that is not a whole byte. */
		{"192.0.2.128", "/", 200, FILTER_IP},
		{"192.0.2.200", "/", 200, FILTER_IP},
		{"192.0.2.127", "/", 200, FILTER_PASS},
		/* IPv4-mapped IPv6, as a dual-stack nginx logs IPv4 clients. */
		{"::ffff:203.0.113.5", "/", 200, FILTER_IP},
		{"::ffff:198.51.100.8", "/", 200, FILTER_PASS},
		/* IPv6 networks. */
		{"2001:db8:1::5", "/", 200, FILTER_IP},
		{"2001:db8:1:ffff:ffff:ffff:ffff:ffff", "/", 200, FILTER_IP},
		{"2001:db8:2::5", "/", 200, FILTER_PASS},
		{"2001:DB8:1::5", "/", 200, FILTER_IP},
		/* /128. */
		{"2001:db8:7000::1", "/", 200, FILTER_IP},
		{"2001:db8:7000:0:0:0:0:1", "/", 200, FILTER_IP},
		{"2001:db8:7000::2", "/", 200, FILTER_PASS},
		/* /33. */
		{"2001:db8:8000::1", "/", 200, FILTER_IP},
		{"2001:db8:ffff:ffff::1", "/", 200, FILTER_IP},
		{"2001:db8:7fff::1", "/", 200, FILTER_PASS},
		/* What is not an address is not excluded (and does not crash). */
		{"unknown", "/", 200, FILTER_PASS},
		{"fe80::1%eth0", "/", 200, FILTER_PASS},
		{"203.0.113.5.6", "/", 200, FILTER_PASS});
	fx_free(f);
}

static void test_exclude_ips_all(void **state)
{
	struct fx *f = &F;
	(void)state;
	/* 0.0.0.0/0 is every IPv4 client (mapped ones too), no IPv6 one. */
	fx_load(f, TU_SITE_HEAD("nginx_combined") TU_PINTEREST "[filter]\nexclude_ips = 0.0.0.0/0\n");
	EXPECT_VISITS(f,
		{"203.0.113.5", "/", 200, FILTER_IP},
		{"0.0.0.0", "/", 200, FILTER_IP},
		{"255.255.255.255", "/", 200, FILTER_IP},
		{"::ffff:10.1.2.3", "/", 200, FILTER_IP},
		{"2001:db8::1", "/", 200, FILTER_PASS});
	fx_free(f);

	/* ::/0 is every client. */
	fx_load(f, TU_SITE_HEAD("nginx_combined") TU_PINTEREST "[filter]\nexclude_ips = ::/0\n");
	EXPECT_VISITS(f,
		{"2001:db8::1", "/", 200, FILTER_IP},
		{"::1", "/", 200, FILTER_IP},
		{"203.0.113.5", "/", 200, FILTER_IP});
	fx_free(f);

	/* A mapped network excludes plain IPv4 clients; host bits are ignored. */
	fx_load(f, TU_SITE_HEAD("nginx_combined") TU_PINTEREST
		"[filter]\nexclude_ips = ::ffff:10.0.0.0/104, 172.16.99.99/12\n");
	EXPECT_VISITS(f,
		{"10.200.3.4", "/", 200, FILTER_IP},
		{"11.0.0.1", "/", 200, FILTER_PASS},
		{"172.31.255.1", "/", 200, FILTER_IP},
		{"172.32.0.1", "/", 200, FILTER_PASS});
	fx_free(f);
}

static void test_cidr_parse(void **state)
{
	struct cidr c;
	uint8_t a[16];
	struct cidr_list l = {.items = &c, .n = 1};
	static const char *const bad[] = {
		"", "10.0.0.0/33", "2001:db8::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8x",
		"/8", "300.1.2.3", "10.0.0/8", "2001:db8:::1", "host.example.com", "10.0.0.0/ 8",
	};
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (cidr_parse(bad[i], &c) != -1) {
			fail_msg("cidr_parse accepted \"%s\"", bad[i]);
		}
	}
	assert_int_equal(cidr_parse("10.0.0.0/8", &c), 0);
	assert_int_equal(c.prefix, 104);
	assert_int_equal(cidr_parse("2001:db8::/32", &c), 0);
	assert_int_equal(c.prefix, 32);
	assert_int_equal(cidr_parse("192.0.2.1", &c), 0);
	assert_int_equal(c.prefix, 128);
	assert_int_equal(cidr_addr("192.0.2.1", 9, a), 0);
	assert_true(cidr_list_match(&l, a));
	assert_int_equal(cidr_addr("192.0.2.2", 9, a), 0);
	assert_false(cidr_list_match(&l, a));
	/* Addresses are slices of a line: not NUL-terminated. */
	assert_int_equal(cidr_addr("192.0.2.1 - -", 9, a), 0);
	assert_true(cidr_list_match(&l, a));
	assert_int_equal(cidr_addr("", 0, a), -1);
	assert_int_equal(cidr_addr("1234:5678:9abc:def0:1234:5678:9abc:def0:1234:5678", 49, a), -1);
}

static void test_bad_cidr_refused(void **state)
{
	struct tu_tmpconf *c = &F.conf;
	(void)state;
	tu_tmpconf_write(c, NULL, "shop",
			 TU_SITE_HEAD("nginx_combined") TU_PINTEREST "[filter]\nexclude_ips = 10.0.0.0/8 10.0.0.0/33\n");
	c->l = tu_load(c->path);
	assert_null(c->l.cfg);
	assert_contains(c->l.out, "shop.conf:");
	assert_contains(c->l.out, "exclude_ips");
	tu_tmpconf_free(c);
}

/* ---- statuses ----------------------------------------------------------- */

static void test_status_default(void **state)
{
	static const int pass[] = {200, 201, 204, 206, 301, 302, 304, 307, 399};
	static const int drop[] = {100, 101, 199, 400, 401, 403, 404, 410, 429, 444, 499, 500, 502, 503, 599};
	struct fx *f = &F;
	(void)state;
	fx_load(f, TU_SITE_HEAD("nginx_combined") TU_PINTEREST);
	for (size_t i = 0; i < sizeof pass / sizeof pass[0]; i++) {
		EXPECT(f, "203.0.113.5", "/", pass[i], PEOPLE[4], FILTER_PASS);
	}
	for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++) {
		EXPECT(f, "203.0.113.5", "/", drop[i], PEOPLE[4], FILTER_STATUS);
	}
	/* The status is checked first. */
	EXPECT(f, "66.249.66.1", "/static/app.css", 404, BOTS[0], FILTER_STATUS);
	fx_free(f);
}

static void test_status_custom(void **state)
{
	struct fx *f = &F;
	(void)state;
	fx_load(f, TU_SITE_HEAD("nginx_combined") TU_PINTEREST "[filter]\nstatus = 200-299 304\n");
	EXPECT_VISITS(f,
		{"203.0.113.5", "/", 200, FILTER_PASS},
		{"203.0.113.5", "/", 299, FILTER_PASS},
		{"203.0.113.5", "/", 304, FILTER_PASS},
		{"203.0.113.5", "/", 301, FILTER_STATUS},
		{"203.0.113.5", "/", 302, FILTER_STATUS},
		{"203.0.113.5", "/", 404, FILTER_STATUS});
	fx_free(f);

	fx_load(f, TU_SITE_HEAD("nginx_combined") TU_PINTEREST "[filter]\nstatus = 2xx,404\n");
	EXPECT_VISITS(f,
		{"203.0.113.5", "/", 250, FILTER_PASS},
		{"203.0.113.5", "/", 404, FILTER_PASS},
		{"203.0.113.5", "/", 304, FILTER_STATUS});
	fx_free(f);
}

/* ---- through the pipeline: counted by reason, client_ip ----------------- */

static int count_events(void *ctx, const struct event_out *ev)
{
	(void)ev;
	(*(int *)ctx)++;
	return 0;
}

static void test_pipeline_counts_reasons(void **state)
{
	static const char *const lines[] = {
		"203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET /p HTTP/1.1\" 404 1 \"-\" \"Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\"",
		"203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET /a.css HTTP/1.1\" 200 1 \"-\" \"Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\"",
		"66.249.66.1 - - [28/Nov/2026:10:00:00 +0000] \"GET /p HTTP/1.1\" 200 1 \"-\" \"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)\"",
		"203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET /p HTTP/1.1\" 200 1 \"-\" \"ShopMonitor/1\"",
		"10.1.2.3 - - [28/Nov/2026:10:00:00 +0000] \"GET /p HTTP/1.1\" 200 1 \"-\" \"Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\"",
		"203.0.113.5 - - [28/Nov/2026:10:00:00 +0000] \"GET /p HTTP/1.1\" 200 1 \"-\" \"Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\"",
	};
	struct fx *f = &F;
	struct line_src src = {.identity = "0000000000000000000000000000000000000000000000000000000000000000"};
	const struct pipeline_stats *st;
	int events = 0;
	(void)state;
	fx_load(f, TU_SITE_HEAD("nginx_combined") TU_PINTEREST
		"[filter]\nexclude_agents = ^ShopMonitor/\nexclude_ips = 10.0.0.0/8\n");
	f->pl = pipeline_new(f->conf.l.cfg, f->conf.site, NULL);
	assert_non_null(f->pl);
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		src.offset = i * 200;
		pipeline_line(f->pl, lines[i], strlen(lines[i]), &src, INT64_C(1795860000), count_events, &events);
	}
	st = pipeline_stats(f->pl);
	assert_int_equal(st->lines, 6);
	assert_int_equal(st->parsed, 6);
	assert_int_equal(st->filtered[FILTER_STATUS], 1);
	assert_int_equal(st->filtered[FILTER_PATH], 1);
	assert_int_equal(st->filtered[FILTER_BOT], 1);
	assert_int_equal(st->filtered[FILTER_AGENT], 1);
	assert_int_equal(st->filtered[FILTER_IP], 1);
	assert_int_equal(st->filtered[FILTER_PASS], 0);
	assert_int_equal(events, 1);
	assert_int_equal(st->events[EV_PAGE_VISIT], 1);
	fx_free(f);
}

static void test_exclude_ips_forwarded_for(void **state)
{
	/* Behind a proxy, exclude_ips applies to the first X-Forwarded-For address. */
	static const char fmt[] =
		"{\"time_iso8601\":\"2026-11-28T10:00:00+00:00\",\"remote_addr\":\"%s\",\"request\":\"GET /p HTTP/1.1\",\"status\":\"200\",\"http_user_agent\":\"Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0\",\"http_x_forwarded_for\":\"%s\"}";
	struct fx *f = &F;
	struct line_src src = {.identity = "0000000000000000000000000000000000000000000000000000000000000000"};
	char line[512];
	int events = 0;
	(void)state;
	fx_load(f, "[site]\nurl = https://shop.example.com\nlogs = @DIR@/access.log\nparser = nginx_json\n"
		    "client_ip = http_x_forwarded_for\n" TU_PINTEREST "[filter]\nexclude_ips = 10.0.0.0/8\n");
	f->pl = pipeline_new(f->conf.l.cfg, f->conf.site, NULL);
	assert_non_null(f->pl);
	snprintf(line, sizeof line, fmt, "192.0.2.10", "10.1.2.3, 192.0.2.10");
	pipeline_line(f->pl, line, strlen(line), &src, INT64_C(1795860000), count_events, &events);
	assert_int_equal(pipeline_stats(f->pl)->filtered[FILTER_IP], 1);
	assert_int_equal(events, 0);
	snprintf(line, sizeof line, fmt, "10.0.0.2", " 203.0.113.5 , 10.0.0.2");
	pipeline_line(f->pl, line, strlen(line), &src, INT64_C(1795860000), count_events, &events);
	assert_int_equal(pipeline_stats(f->pl)->filtered[FILTER_IP], 1);
	assert_int_equal(events, 1);
	fx_free(f);
}

/* ---- the bot list file -------------------------------------------------- */

static void test_load_bots(void **state)
{
	char path[PATH_MAX], *dir = tu_tmpdir(), *p, *out = NULL;
	size_t len = 0;
	FILE *mem;
	struct diag d = {0};
	struct rx *rx;
	(void)state;

	snprintf(path, sizeof path, "%s/parsers/bots.txt", tu_top());
	mem = open_memstream(&out, &len);
	d.out = mem;
	rx = filter_load_bots(path, "pintail.conf", 3, &d);
	fclose(mem);
	assert_non_null(rx);
	if (d.errors != 0) {
		fail_msg("bots.txt: %s", out);
	}
	free(out);
	for (size_t i = 0; i < sizeof BOTS / sizeof BOTS[0]; i++) {
		if (rx_match(rx, BOTS[i], strlen(BOTS[i])) != 1) {
			fail_msg("bots.txt does not match \"%s\"", BOTS[i]);
		}
	}
	for (size_t i = 0; i < sizeof PEOPLE / sizeof PEOPLE[0]; i++) {
		if (rx_match(rx, PEOPLE[i], strlen(PEOPLE[i])) != 0) {
			fail_msg("bots.txt matches the person \"%s\"", PEOPLE[i]);
		}
	}
	rx_free(rx);

	/* A bad pattern is reported with its file and line. */
	p = tu_write(dir, "bots.txt", "# comment\nGooglebot\n\nbad(regex\nbingbot\n", 0644);
	out = NULL;
	mem = open_memstream(&out, &len);
	d = (struct diag){.out = mem};
	rx = filter_load_bots(p, "pintail.conf", 3, &d);
	fclose(mem);
	assert_null(rx);
	assert_int_equal(d.errors, 1);
	{
		char want[PATH_MAX + 8];
		snprintf(want, sizeof want, "%s:4:", p);
		assert_contains(out, want);
	}
	free(out);
	free(p);

	/* An empty list (comments only) is an error, and so are a missing
	 * file and a folder: each told where bots_file was set (or that it is
	 * the default). */
	p = tu_write(dir, "empty.txt", "# nothing\n\n", 0644);
	out = NULL;
	mem = open_memstream(&out, &len);
	d = (struct diag){.out = mem};
	assert_null(filter_load_bots(p, "pintail.conf", 3, &d));
	assert_null(filter_load_bots("/nonexistent/pintail/bots.txt", "pintail.conf", 3, &d));
	assert_null(filter_load_bots("/nonexistent/pintail/bots.txt", "pintail.conf", 0, &d));
	assert_null(filter_load_bots(dir, "pintail.conf", 3, &d));
	{
		/* A FIFO: refused, not waited on. */
		char fifo[PATH_MAX];
		snprintf(fifo, sizeof fifo, "%s/bots.fifo", dir);
		assert_int_equal(mkfifo(fifo, 0600), 0);
		assert_null(filter_load_bots(fifo, "pintail.conf", 3, &d));
		fflush(mem);
		assert_contains(out, "bots.fifo: not a regular file (a FIFO, socket or device)\n");
		unlink(fifo);
	}
	fclose(mem);
	assert_int_equal(d.errors, 5);
	{
		char want[PATH_MAX + 64];
		snprintf(want, sizeof want, "pintail.conf:3: bots_file %s: the bot list is empty\n", p);
		assert_contains(out, want);
		snprintf(want, sizeof want, "pintail.conf:3: bots_file %s: a folder, not a file\n", dir);
		assert_contains(out, want);
	}
	assert_contains(out, "pintail.conf:3: bots_file /nonexistent/pintail/bots.txt: No such file or directory\n");
	assert_contains(out, "pintail.conf: bots_file /nonexistent/pintail/bots.txt (the default): No such file or directory\n");
	free(out);
	free(p);
	tu_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_bots_dropped, fx_teardown),
		cmocka_unit_test_teardown(test_people_kept, fx_teardown),
		cmocka_unit_test_teardown(test_bots_uncached, fx_teardown),
		cmocka_unit_test_teardown(test_cache_keeps_many_agents, fx_teardown),
		cmocka_unit_test(test_cache_hash_every_byte),
		cmocka_unit_test_teardown(test_exclude_bots_off, fx_teardown),
		cmocka_unit_test_teardown(test_exclude_agents, fx_teardown),
		cmocka_unit_test_teardown(test_exclude_paths_default, fx_teardown),
		cmocka_unit_test_teardown(test_exclude_paths_custom_and_empty, fx_teardown),
		cmocka_unit_test_teardown(test_exclude_ips, fx_teardown),
		cmocka_unit_test_teardown(test_exclude_ips_all, fx_teardown),
		cmocka_unit_test_teardown(test_cidr_parse, fx_teardown),
		cmocka_unit_test_teardown(test_bad_cidr_refused, fx_teardown),
		cmocka_unit_test_teardown(test_status_default, fx_teardown),
		cmocka_unit_test_teardown(test_status_custom, fx_teardown),
		cmocka_unit_test_teardown(test_pipeline_counts_reasons, fx_teardown),
		cmocka_unit_test_teardown(test_exclude_ips_forwarded_for, fx_teardown),
		cmocka_unit_test_teardown(test_load_bots, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
