/*
 * test_log — log_sanitize(): control bytes become \xHH in place, other
 * bytes (UTF-8 included) stay, and a result too long for the buffer loses
 * whole characters from its end, never half an escape.
 */
#include "testutil.h"

#include "log.h"

static void check(const char *in, size_t size, const char *want)
{
	char buf[256];
	assert_true(size <= sizeof buf);
	memset(buf, '#', sizeof buf);
	snprintf(buf, size, "%s", in);
	log_sanitize(buf, size);
	assert_string_equal(buf, want);
}

static void test_sanitize(void **state)
{
	(void)state;
	check("plain caf\xc3\xa9 text", 64, "plain caf\xc3\xa9 text");
	check("", 8, "");
	check("a\nb", 64, "a\\x0ab");
	check("<3>x\n<0>pintail: FORGED \x1b[2J\x7f\t", 64,
	      "<3>x\\x0a<0>pintail: FORGED \\x1b[2J\\x7f\\x09");
	/* Too long: whole characters dropped from the end. */
	check("ab\ncd", 8, "ab\\x0ac");
	check("ab\ncd", 7, "ab\\x0a");
	check("ab\ncd", 6, "ab");
	check("\n\n", 5, "\\x0a");
	check("\n\n", 4, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sanitize),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
