/*
 * test_shipper — the shipper's arithmetic of waiting: what a Retry-After
 * header asks for (delay-seconds or an HTTP-date, capped at an hour, never
 * negative).
 */
#include "testutil.h"

#include "shipper.h"

#define HOUR_MS INT64_C(3600000)
/* Wed, 21 Oct 2026 07:28:00 GMT: "now" in these tests, not the clock's. */
#define NOW INT64_C(1792567680)

static void test_retry_after_seconds(void **state)
{
	(void)state;
	assert_int_equal(shipper_retry_after_ms("120", NOW), 120000);
	assert_int_equal(shipper_retry_after_ms(" 3", NOW), 3000);
	assert_int_equal(shipper_retry_after_ms("3 ", NOW), 3000);
	assert_int_equal(shipper_retry_after_ms("0", NOW), 0);
	assert_int_equal(shipper_retry_after_ms("3600", NOW), HOUR_MS);
	/* More than an hour, and more than any integer: the cap. */
	assert_int_equal(shipper_retry_after_ms("3601", NOW), HOUR_MS);
	assert_int_equal(shipper_retry_after_ms("86400", NOW), HOUR_MS);
	assert_int_equal(shipper_retry_after_ms("9223372036854775807", NOW), HOUR_MS);
	assert_int_equal(shipper_retry_after_ms("99999999999999999999999999999999", NOW), HOUR_MS);
}

static void test_retry_after_date(void **state)
{
	(void)state;
	/* The preferred form, 90 s and 30 min ahead. */
	assert_int_equal(shipper_retry_after_ms("Wed, 21 Oct 2026 07:29:30 GMT", NOW), 90000);
	assert_int_equal(shipper_retry_after_ms("Wed, 21 Oct 2026 07:58:00 GMT", NOW), 1800000);
	/* The obsolete forms (RFC 850, asctime) are read too. */
	assert_int_equal(shipper_retry_after_ms("Wednesday, 21-Oct-26 07:29:30 GMT", NOW), 90000);
	assert_int_equal(shipper_retry_after_ms("Wed Oct 21 07:29:30 2026", NOW), 90000);
	/* Further than an hour, or in a far year: the cap. */
	assert_int_equal(shipper_retry_after_ms("Thu, 22 Oct 2026 07:28:00 GMT", NOW), HOUR_MS);
	assert_int_equal(shipper_retry_after_ms("Fri, 31 Dec 9999 23:59:59 GMT", NOW), HOUR_MS);
	/* Now, or in the past: no wait, never a negative one. */
	assert_int_equal(shipper_retry_after_ms("Wed, 21 Oct 2026 07:28:00 GMT", NOW), 0);
	assert_int_equal(shipper_retry_after_ms("Wed, 21 Oct 2026 07:27:59 GMT", NOW), 0);
	assert_int_equal(shipper_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", NOW), 0);
	assert_int_equal(shipper_retry_after_ms("Thu, 01 Jan 1970 00:00:00 GMT", NOW), 0);
}

static void test_retry_after_garbage(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", " ", "soon", "-5", "-1", "+5", "1.5", "1e9", "120abc", "12 0", "0x10",
		"Wed, 99 Oct 2026 07:28:00 GMT", "Wed, 21 Oct", NULL,
	};
	for (size_t i = 0; bad[i] != NULL; i++) {
		if (shipper_retry_after_ms(bad[i], NOW) != 0) {
			fail_msg("Retry-After \"%s\" was read as a wait", bad[i]);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_after_seconds),
		cmocka_unit_test(test_retry_after_date),
		cmocka_unit_test(test_retry_after_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
