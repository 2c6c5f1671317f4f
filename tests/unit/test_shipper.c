/*
 * test_shipper — the shipper's arithmetic of waiting: what a Retry-After
 * header asks for (delay-seconds or an HTTP-date, capped at an hour, never
 * negative) and the bounds of the exponential backoff with full jitter
 * (never a wait under 100 ms, even when retry_min is 0).
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

/* The largest wait attempt A can draw: the cap doubled from LO, up to HI. */
static int64_t cap_of(int64_t lo, int64_t hi, int a)
{
	int64_t cap = lo;
	for (int i = 0; i < a && cap < hi; i++) {
		cap *= 2;
	}
	return cap < hi ? cap : hi;
}

/* Every attempt's waits lie in [LO, its cap], both ends reached. */
static void check_bounds(int64_t retry_min, int64_t retry_max, int64_t lo, int64_t hi)
{
	static const uint32_t rs[] = {0, 1, 7, 12345, 99999, 0x7fffffffu, 0xfffffffeu, 0xffffffffu};
	for (int a = 0; a < 40; a++) {
		int64_t cap = cap_of(lo, hi, a);
		for (size_t k = 0; k < sizeof rs / sizeof *rs; k++) {
			int64_t d = shipper_backoff_ms(retry_min, retry_max, a, rs[k]);
			if (d < lo || d > cap) {
				fail_msg("retry_min %lld, retry_max %lld, attempt %d, r %u: %lld ms, not in [%lld, %lld]",
					 (long long)retry_min, (long long)retry_max, a, rs[k], (long long)d,
					 (long long)lo, (long long)cap);
			}
		}
		/* R chosen to reach the bottom and the top of the range. */
		assert_int_equal(shipper_backoff_ms(retry_min, retry_max, a, 0), lo);
		assert_int_equal(shipper_backoff_ms(retry_min, retry_max, a, (uint32_t)(cap - lo)), cap);
	}
}

static void test_backoff_bounds(void **state)
{
	(void)state;
	/* The defaults: 1 s, 2 s, 4 s... up to 5 min. */
	check_bounds(1000, 300000, 1000, 300000);
	assert_int_equal(shipper_backoff_ms(1000, 300000, 0, 0xffffffffu), 1000);
	assert_int_equal(cap_of(1000, 300000, 3), 8000);
	assert_int_equal(shipper_backoff_ms(1000, 300000, 1000000, 299000), 300000);
	/* Equal bounds: always that. */
	check_bounds(2000, 2000, 2000, 2000);
	/* retry_max up to a day, attempts past any doubling. */
	check_bounds(1000, 86400000, 1000, 86400000);
	assert_true(shipper_backoff_ms(1000, INT64_MAX, 200, 0xffffffffu) >= 1000);
}

/* A retry_min of 0 (which check is to refuse; say one got through) starts the doubling at 100 ms. */
static void test_backoff_zero_min(void **state)
{
	(void)state;
	check_bounds(0, 300000, 100, 300000);
	assert_int_equal(shipper_backoff_ms(0, 300000, 0, 0), 100);
	assert_int_equal(cap_of(100, 300000, 5), 3200);
	/* The cap grows: late attempts can wait minutes. */
	assert_int_equal(shipper_backoff_ms(0, 300000, 30, 299900), 300000);
	/* Below the floor, or both bounds 0: never under 100 ms. */
	check_bounds(10, 50, 100, 100);
	check_bounds(0, 0, 100, 100);
	check_bounds(-5, -5, 100, 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_after_seconds),
		cmocka_unit_test(test_retry_after_date),
		cmocka_unit_test(test_retry_after_garbage),
		cmocka_unit_test(test_backoff_bounds),
		cmocka_unit_test(test_backoff_zero_min),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
