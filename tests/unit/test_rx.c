/* Unit tests: regex matching (rx.c), above all its literal-prefix shortcut. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "testutil.h"

#include <pcre2.h>

#include "rx.h"

struct prefix_case {
	const char *pattern;
	uint32_t options;
	const char *prefix; /* what rx_literal_prefix() must find */
};

static const struct prefix_case PREFIXES[] = {
	{"^/checkout/thank-you", 0, "/checkout/thank-you"},
	{"^/search$", 0, "/search"},
	{"^/cart/add$", 0, "/cart/add"},
	{"^/(products|collections|pages|blog)?(/|$)", 0, "/"},
	{"^/products/(?<sku>[^/]+)$", 0, "/products/"},
	{"^/a\\.b\\/c", 0, "/a.b/c"},
	{"^/ab?c", 0, "/a"},       /* b may be absent */
	{"^/ab*", 0, "/a"},
	{"^/ab{0,2}", 0, "/a"},
	{"^/ab+c", 0, "/ab"},      /* at least one b, then unknown */
	{"^/a.c", 0, "/a"},
	{"^/a[bc]", 0, "/a"},
	{"^/a\\d", 0, "/a"},       /* \d is a class, not a letter */
	{"^/a|^/b", 0, ""},        /* top-level alternatives: nothing certain */
	{"^/a(b|c)", 0, "/a"},     /* an alternative inside a group is fine */
	{"^/a[|]x|/b", 0, ""},     /* a '|' in a class does not hide the real one */
	{"^/a[]|]x", 0, "/a"},
	{"^/a\\Q|\\E", 0, ""},     /* quoting: no prefix at all */
	{"^/a(?#(|)", 0, ""},      /* comments: no prefix at all */
	{"/checkout", 0, ""},      /* not anchored */
	{"(?i)^/Search", 0, ""},
	{"^(?i)/Search", 0, ""},
	{"^/Search", PCRE2_CASELESS, ""},
	{"^/a b", PCRE2_EXTENDED, ""},
	{"^/caf\xc3\xa9", 0, "/caf"},
	{"^", 0, ""},
	{"^/x$", 0, "/x"},
	/* Unanchored: no prefix, but a byte every match holds (see rx.c). */
	{"\\.(css|js|mjs|map|png|jpe?g|gif|svg|ico|webp|avif|woff2?|ttf|eot)$", 0, ""},
	{"(cat|cow)", 0, ""},
	{"b+a", 0, ""},
	{"a?b", 0, ""},
	{"(?i)Cat", 0, ""},
	{"x(?i)Y", 0, ""},
	{"(?mi:Y)", 0, ""},
	{"Cat", PCRE2_CASELESS, ""},
	{"(*COMMIT)abc", 0, ""},
	{"(?<=x)a", 0, ""},
};

static void test_prefixes(void **state)
{
	char out[RX_PREFIX_MAX];
	(void)state;
	for (size_t i = 0; i < sizeof PREFIXES / sizeof PREFIXES[0]; i++) {
		size_t n = rx_literal_prefix(PREFIXES[i].pattern, PREFIXES[i].options, out);
		if (n != strlen(PREFIXES[i].prefix) || memcmp(out, PREFIXES[i].prefix, n) != 0) {
			fail_msg("%s: prefix \"%.*s\", expected \"%s\"", PREFIXES[i].pattern, (int)n, out,
				 PREFIXES[i].prefix);
		}
	}
}

static void test_prefix_is_capped(void **state)
{
	char pattern[128] = "^/", out[RX_PREFIX_MAX];
	(void)state;
	memset(pattern + 2, 'a', 100);
	pattern[102] = '\0';
	assert_int_equal(rx_literal_prefix(pattern, 0, out), RX_PREFIX_MAX);
}

static const char *const SUBJECTS[] = {
	"", "/", "/a", "/ab", "/abc", "/ac", "/a.b/c", "/a.b/cd", "/axb/c", "/b", "/abbc",
	"/a5", "/a|x", "/ax", "/search", "/search/", "/Search", "/search\n", "/checkout/thank-you",
	"/checkout/thank-yo", "/cart/add", "/cart/add?x", "/products/blue-mug", "/products/",
	"/collections", "/blog/post", "/caf\xc3\xa9", "/a b", "/x", "/x\n", "/ab{0,2}",
	"/style.css", "/style.css?v=1", "/img/a.JPEG", "/app.mjs", "/x.woff", "/a.b.c", "/cat", "/CAT",
	"/cow", "/co", "/b", "/bba", "/Xy", "/xy", "/xY", "/Y", "/y", "/abc", "abc", "xa", "a",
};

/* Plain PCRE2, no shortcut: what rx_match() must agree with. */
static int reference_match(const char *pattern, uint32_t options, const char *subject)
{
	int err, rc;
	PCRE2_SIZE off;
	pcre2_code *code =
		pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, options, &err, &off, NULL);
	pcre2_match_data *md;

	assert_non_null(code);
	md = pcre2_match_data_create_from_pattern(code, NULL);
	rc = pcre2_match(code, (PCRE2_SPTR)subject, strlen(subject), 0, 0, md, NULL);
	pcre2_match_data_free(md);
	pcre2_code_free(code);
	return rc >= 0;
}

static void test_same_answers_as_pcre2(void **state)
{
	char err[256];
	(void)state;
	for (size_t i = 0; i < sizeof PREFIXES / sizeof PREFIXES[0]; i++) {
		struct rx *rx = rx_compile(PREFIXES[i].pattern, PREFIXES[i].options, err, sizeof err);
		assert_non_null(rx);
		for (size_t j = 0; j < sizeof SUBJECTS / sizeof SUBJECTS[0]; j++) {
			const char *s = SUBJECTS[j];
			int want = reference_match(PREFIXES[i].pattern, PREFIXES[i].options, s);
			if (rx_match(rx, s, strlen(s)) != want) {
				fail_msg("/%s/ on \"%s\": rx_match disagrees with PCRE2 (%d)",
					 PREFIXES[i].pattern, s, want);
			}
		}
		rx_free(rx);
	}
}

static void test_groups_after_shortcut(void **state)
{
	char err[256];
	size_t start, end;
	struct rx *rx = rx_compile("^/products/(?<sku>[^/]+)$", 0, err, sizeof err);
	(void)state;
	assert_non_null(rx);
	assert_int_equal(rx_match(rx, "/products/blue-mug", 18), 1);
	assert_int_equal(rx_group(rx, rx_group_number(rx, "sku"), &start, &end), 1);
	assert_int_equal(start, 10);
	assert_int_equal(end, 18);
	/* Refused by the prefix: no match, whatever the match data held. */
	assert_int_equal(rx_match(rx, "/product/blue-mug", 17), 0);
	rx_free(rx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_prefix_is_capped),
		cmocka_unit_test(test_same_answers_as_pcre2),
		cmocka_unit_test(test_groups_after_shortcut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
