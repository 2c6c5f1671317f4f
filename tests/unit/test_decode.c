/*
 * test_decode — percent-decoding and the escapes of access logs.
 */
#include "testutil.h"

#include "decode.h"

/*
 * Decodes SRC (LEN bytes) with decode_percent (PLUS 0 or 1) or, PLUS -1,
 * decode_log_escapes, and checks the result is WANT (WLEN bytes).
 */
static void check_decode(const char *src, size_t len, int plus, const char *want, size_t wlen)
{
	char dst[256], args[32] = "";
	size_t n;

	assert_true(len < sizeof dst);
	memset(dst, 0x55, sizeof dst);
	if (plus < 0) {
		n = decode_log_escapes(src, len, dst);
	} else {
		n = decode_percent(src, len, dst, plus);
		snprintf(args, sizeof args, ", plus=%d", plus);
	}
	dst[n] = '\0';
	if (n != wlen || memcmp(dst, want, wlen) != 0) {
		fail_msg("%s(\"%.*s\"%s): got \"%s\" (%zu bytes), want \"%.*s\" (%zu bytes)",
			 plus < 0 ? "decode_log_escapes" : "decode_percent", (int)len, src, args, dst, n,
			 (int)wlen, want, wlen);
	}
}

#define PCT(src, plus, want) check_decode(src, sizeof(src) - 1, plus, want, sizeof(want) - 1)
#define ESC(src, want) check_decode(src, sizeof(src) - 1, -1, want, sizeof(want) - 1)

static void test_hexval(void **state)
{
	(void)state;
	assert_int_equal(hexval('0'), 0);
	assert_int_equal(hexval('9'), 9);
	assert_int_equal(hexval('a'), 10);
	assert_int_equal(hexval('f'), 15);
	assert_int_equal(hexval('A'), 10);
	assert_int_equal(hexval('F'), 15);
	assert_int_equal(hexval('g'), -1);
	assert_int_equal(hexval('G'), -1);
	assert_int_equal(hexval('/'), -1);
	assert_int_equal(hexval(':'), -1);
	assert_int_equal(hexval('@'), -1);
	assert_int_equal(hexval('`'), -1);
	assert_int_equal(hexval(0), -1);
	assert_int_equal(hexval(0xc3), -1);
}

static void test_percent_plain(void **state)
{
	(void)state;
	PCT("", 0, "");
	PCT("/products/blue-mug", 0, "/products/blue-mug");
	PCT("%41%42%43", 0, "ABC");
	PCT("/caf%C3%A9", 0, "/caf\xc3\xa9");
	PCT("/caf%c3%a9", 0, "/caf\xc3\xa9");
	PCT("a%2Fb", 0, "a/b");
	PCT("%25", 0, "%");
	/* Decoded once only: %2541 is "%41", not "A". */
	PCT("%2541", 0, "%41");
}

static void test_percent_invalid_kept(void **state)
{
	(void)state;
	PCT("%zz", 0, "%zz");
	PCT("a%zzb", 0, "a%zzb");
	PCT("%4g", 0, "%4g");
	PCT("%g4", 0, "%g4");
	/* A trailing '%', and '%' with one digit at the end, are kept. */
	PCT("%", 0, "%");
	PCT("abc%", 0, "abc%");
	PCT("abc%2", 0, "abc%2");
	PCT("%2", 1, "%2");
	/* An escape that ends the input exactly is decoded. */
	PCT("abc%2F", 0, "abc/");
	PCT("%%41", 0, "%A");
}

static void test_percent_plus(void **state)
{
	(void)state;
	/* '+' is a space in a query, itself in a path. */
	PCT("a+b", 1, "a b");
	PCT("a+b", 0, "a+b");
	PCT("+++", 1, "   ");
	/* An encoded '+' is a plus in both. */
	PCT("a%2Bb", 1, "a+b");
	PCT("a%2Bb", 0, "a+b");
	PCT("a%20b", 0, "a b");
}

static void test_percent_nul(void **state)
{
	char dst[16];
	size_t n;
	(void)state;
	n = decode_percent("a%00b", 5, dst, 1);
	assert_int_equal(n, 3);
	assert_int_equal(dst[0], 'a');
	assert_int_equal(dst[1], '\0');
	assert_int_equal(dst[2], 'b');
	PCT("%FF%fe", 0, "\xff\xfe");
}

static void test_percent_not_nul_terminated(void **state)
{
	/* The input is a slice: bytes past N are never looked at. */
	const char src[] = "ab%41";
	(void)state;
	check_decode(src, 3, 0, "ab%", 3);
	check_decode(src, 4, 0, "ab%4", 4);
	check_decode(src, 5, 0, "abA", 3);
}

static void test_percent_in_place(void **state)
{
	/* Decoding never lengthens, so DST may be SRC. */
	char s[] = "/a%20b+c%zz";
	size_t n;
	(void)state;
	n = decode_percent(s, strlen(s), s, 1);
	assert_int_equal(n, 9);
	s[n] = '\0';
	assert_string_equal(s, "/a b c%zz");
}

static void test_escapes_nginx(void **state)
{
	(void)state;
	ESC("", "");
	ESC("Mozilla/5.0", "Mozilla/5.0");
	ESC("say \\x22hi\\x22", "say \"hi\"");
	ESC("\\x5C", "\\");
	ESC("\\x5c", "\\");
	ESC("caf\\xC3\\xA9", "caf\xc3\xa9");
	ESC("\\xff", "\xff");
	ESC("\\x00", "\0");
	ESC("\\x16\\x03\\x01", "\x16\x03\x01");
	/* An escape ending the input exactly is decoded. */
	ESC("ab\\x41", "abA");
}

static void test_escapes_apache(void **state)
{
	(void)state;
	ESC("say \\\"hi\\\"", "say \"hi\"");
	ESC("a\\\\b", "a\\b");
	/* Apache writes a literal "\x41" as "\\x41": decoded back to "\x41". */
	ESC("\\\\x41", "\\x41");
}

static void test_escapes_kept(void **state)
{
	(void)state;
	/* A lone backslash at the end stays. */
	ESC("abc\\", "abc\\");
	ESC("\\", "\\");
	/* Invalid or short \x escapes stay as they are. */
	ESC("\\xZZ", "\\xZZ");
	ESC("\\x4", "\\x4");
	ESC("\\x4Z", "\\x4Z");
	ESC("a\\x", "a\\x");
	/* Apache's names for five control bytes. */
	ESC("a\\tb\\nc\\rd\\be\\vf", "a\tb\nc\rd\be\vf");
	ESC("C:\\\\bin", "C:\\bin"); /* Apache's "\\" before a 'b' */
	/* Any other backslash is kept. */
	ESC("C:\\Windows", "C:\\Windows");
	ESC("x\\", "x\\");
}

/* \xHH alone (the checkpoint's paths): other escapes are kept as they are. */
static void test_hex_escapes(void **state)
{
	char s[] = "/l/a\\x0ab\\x5cc\\n\\x4";
	size_t n;
	(void)state;
	n = decode_hex_escapes(s, strlen(s), s);
	assert_int_equal(n, 13);
	assert_memory_equal(s, "/l/a\nb\\c\\n\\x4", 13);
}

static void test_escapes_slice(void **state)
{
	const char src[] = "ab\\x41";
	char dst[16];
	size_t n;
	(void)state;
	/* Cut in the middle of the escape: it is not decoded. */
	n = decode_log_escapes(src, 5, dst);
	assert_int_equal(n, 5);
	assert_memory_equal(dst, "ab\\x4", 5);
	n = decode_log_escapes(src, 6, dst);
	assert_int_equal(n, 3);
	assert_memory_equal(dst, "abA", 3);
}

static void test_escapes_in_place(void **state)
{
	char s[] = "x\\x22y\\\"z";
	size_t n;
	(void)state;
	n = decode_log_escapes(s, strlen(s), s);
	s[n] = '\0';
	assert_string_equal(s, "x\"y\"z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hexval),
		cmocka_unit_test(test_percent_plain),
		cmocka_unit_test(test_percent_invalid_kept),
		cmocka_unit_test(test_percent_plus),
		cmocka_unit_test(test_percent_nul),
		cmocka_unit_test(test_percent_not_nul_terminated),
		cmocka_unit_test(test_percent_in_place),
		cmocka_unit_test(test_escapes_nginx),
		cmocka_unit_test(test_escapes_apache),
		cmocka_unit_test(test_escapes_kept),
		cmocka_unit_test(test_hex_escapes),
		cmocka_unit_test(test_escapes_slice),
		cmocka_unit_test(test_escapes_in_place),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
