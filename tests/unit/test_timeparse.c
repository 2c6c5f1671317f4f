/*
 * test_timeparse — the time formats of access logs: nginx's $time_local,
 * $time_iso8601 and $msec, epoch milliseconds, custom strftime formats.
 */
#include "testutil.h"

#include "timeparse.h"

#define T_2026_11_28_10 INT64_C(1795860000) /* 2026-11-28T10:00:00Z */

static struct timefmt fmt_of(const char *spec)
{
	struct timefmt tf;
	char err[256] = "";
	if (timefmt_parse(spec, &tf, err, sizeof err) != 0) {
		fail_msg("timefmt_parse(\"%s\") failed: %s", spec, err);
	}
	return tf;
}

/* Parses S with SPEC and checks it gives WANT. */
static void check_ok(const char *spec, const char *s, int64_t want)
{
	struct timefmt tf = fmt_of(spec);
	int64_t got = -12345;
	int rc = time_parse(&tf, s, strlen(s), &got);
	if (rc != 0) {
		fail_msg("time_parse(\"%s\", \"%s\") refused it, want %lld", spec, s, (long long)want);
	}
	if (got != want) {
		fail_msg("time_parse(\"%s\", \"%s\") = %lld, want %lld (off by %lld s)", spec, s,
			 (long long)got, (long long)want, (long long)(got - want));
	}
}

/* Checks that SPEC refuses S. */
static void check_bad(const char *spec, const char *s)
{
	struct timefmt tf = fmt_of(spec);
	int64_t got = -12345;
	int rc = time_parse(&tf, s, strlen(s), &got);
	if (rc != -1) {
		fail_msg("time_parse(\"%s\", \"%s\") accepted it (%lld), want it refused", spec, s,
			 (long long)got);
	}
}

#define NGINX "%d/%b/%Y:%H:%M:%S %z"

static void test_civil(void **state)
{
	(void)state;
	assert_int_equal(time_from_civil(1970, 1, 1, 0, 0, 0), 0);
	assert_int_equal(time_from_civil(2026, 11, 28, 10, 0, 0), T_2026_11_28_10);
	assert_int_equal(time_from_civil(2028, 2, 29, 0, 0, 0), 1835395200);
	assert_int_equal(time_from_civil(2000, 2, 29, 12, 0, 0), 951825600);
	assert_int_equal(time_from_civil(2100, 3, 1, 0, 0, 0), INT64_C(4107542400));
	assert_int_equal(time_from_civil(2038, 1, 19, 3, 14, 8), INT64_C(2147483648));
}

static void test_time_local_zones(void **state)
{
	(void)state;
	check_ok(NGINX, "28/Nov/2026:10:00:00 +0000", T_2026_11_28_10);
	/* Local 10:00 at -07:00 is 17:00 UTC; at +05:30 it is 04:30 UTC. */
	check_ok(NGINX, "28/Nov/2026:10:00:00 -0700", T_2026_11_28_10 + 7 * 3600);
	check_ok(NGINX, "28/Nov/2026:10:00:00 +0530", T_2026_11_28_10 - 5 * 3600 - 30 * 60);
	check_ok(NGINX, "28/Nov/2026:10:00:00 +0100", T_2026_11_28_10 - 3600);
	check_ok(NGINX, "28/Nov/2026:10:00:00 -0000", T_2026_11_28_10);
	check_ok(NGINX, "28/Nov/2026:10:00:00 +1400", T_2026_11_28_10 - 14 * 3600);
	check_ok(NGINX, "28/Nov/2026:10:00:00 -1200", T_2026_11_28_10 + 12 * 3600);
	/* Crossing midnight and the year. */
	check_ok(NGINX, "01/Jan/2025:01:00:00 +0200", 1735689599 + 1 - 3600);
	check_ok(NGINX, "31/Dec/2024:23:59:59 +0000", 1735689599);
}

static void test_time_local_fields(void **state)
{
	(void)state;
	/* Month names in any case. */
	check_ok(NGINX, "28/nov/2026:10:00:00 +0000", T_2026_11_28_10);
	check_ok(NGINX, "28/NOV/2026:10:00:00 +0000", T_2026_11_28_10);
	check_ok(NGINX, "05/Jan/2026:07:08:09 +0000", 1767596889);
	check_ok(NGINX, "29/Feb/2028:00:00:00 +0000", 1835395200);
	check_ok(NGINX, "29/Feb/2000:12:00:00 +0000", 951825600);
	check_ok(NGINX, "01/Jan/1970:00:00:00 +0000", 0);
}

static void test_time_local_bad(void **state)
{
	(void)state;
	check_bad(NGINX, "");
	check_bad(NGINX, "-");
	check_bad(NGINX, "28/Foo/2026:10:00:00 +0000");
	check_bad(NGINX, "28/Nov/2026:10:00:00");          /* no zone */
	check_bad(NGINX, "28/Nov/2026:10:00:00 0000");     /* zone without sign */
	check_bad(NGINX, "28/Nov/2026:10:00:00 +00");      /* short zone */
	check_bad(NGINX, "28/Nov/2026:10:00:00 +0000 ");   /* trailing blank */
	check_bad(NGINX, "28/Nov/2026:10:00:00 +0000x");
	check_bad(NGINX, "28/Nov/2026 10:00:00 +0000");    /* wrong separator */
	check_bad(NGINX, "28/Nov/26:10:00:00 +0000");      /* 2-digit year for %Y */
	check_bad(NGINX, "28/Nov/2026:10:00 +0000");       /* no seconds */
	check_bad(NGINX, "2026-11-28T10:00:00+00:00");     /* another format */
	check_bad(NGINX, "28/Nov/2026:10:00:00 +2500");    /* zone hours */
	check_bad(NGINX, "28/Nov/2026:10:00:00 +0075");    /* zone minutes */
	check_bad(NGINX, "28/Nov/1969:10:00:00 +0000");    /* before the epoch */
}

static void test_time_local_invalid_dates(void **state)
{
	(void)state;
	check_bad(NGINX, "00/Nov/2026:10:00:00 +0000");
	check_bad(NGINX, "32/Nov/2026:10:00:00 +0000");
	check_bad(NGINX, "28/Nov/2026:24:00:00 +0000");
	check_bad(NGINX, "28/Nov/2026:10:60:00 +0000");
	check_bad(NGINX, "28/Nov/2026:10:00:61 +0000");
	check_bad("%d/%m/%Y:%H:%M:%S %z", "28/13/2026:10:00:00 +0000");
	check_bad("%d/%m/%Y:%H:%M:%S %z", "28/00/2026:10:00:00 +0000");
}

/*
 * Days that do not exist in their month must be refused, not rolled over
 * into the next month (30 Feb is not 2 Mar).
 */
static void test_time_local_day_of_month(void **state)
{
	(void)state;
	check_bad(NGINX, "30/Feb/2026:10:00:00 +0000");
	check_bad(NGINX, "29/Feb/2026:10:00:00 +0000"); /* 2026 is no leap year */
	check_bad(NGINX, "29/Feb/2100:10:00:00 +0000"); /* nor is 2100 */
	check_bad(NGINX, "31/Apr/2026:10:00:00 +0000");
	check_bad(NGINX, "31/Nov/2026:10:00:00 +0000");
	check_bad("iso8601", "2026-02-30T10:00:00Z");
	check_bad("iso8601", "2026-06-31T10:00:00+02:00");
}

static void test_strf_other_conversions(void **state)
{
	(void)state;
	check_ok("%Y-%m-%d %T %z", "2026-11-28 10:00:00 +0000", T_2026_11_28_10);
	check_ok("%Y-%m-%dT%H:%M:%S%z", "2026-11-28T10:00:00+05:30", T_2026_11_28_10 - 19800);
	check_ok("%Y-%m-%dT%H:%M:%S%z", "2026-11-28T10:00:00Z", T_2026_11_28_10);
	check_ok("%d/%h/%y:%H:%M:%S %z", "28/Nov/26:10:00:00 +0000", T_2026_11_28_10);
	check_ok("%b %e %H:%M:%S %Y %z", "Jan  5 07:08:09 2026 +0000", 1767596889);
	check_ok("%b %e %H:%M:%S %Y %z", "Nov 28 10:00:00 2026 +0000", T_2026_11_28_10);
	check_ok("[%d/%b/%Y:%H:%M:%S %z] 100%%", "[28/Nov/2026:10:00:00 +0000] 100%", T_2026_11_28_10);
	/* Without %z the time is UTC. */
	check_ok("%Y-%m-%d %H:%M:%S", "2026-11-28 10:00:00", T_2026_11_28_10);
	check_bad("%Y-%m-%d %T %z", "2026-11-28 10:00 +0000");
	check_bad("[%d/%b/%Y:%H:%M:%S %z] 100%%", "[28/Nov/2026:10:00:00 +0000] 100");
}

static void test_iso8601(void **state)
{
	(void)state;
	check_ok("iso8601", "2026-11-28T10:00:00+00:00", T_2026_11_28_10);
	check_ok("iso8601", "2026-11-28T10:00:00Z", T_2026_11_28_10);
	check_ok("iso8601", "2026-11-28T10:00:00z", T_2026_11_28_10);
	check_ok("iso8601", "2026-11-28t10:00:00z", T_2026_11_28_10); /* RFC 3339: either case */
	check_ok("iso8601", "2026-11-28T10:00:00-07:00", T_2026_11_28_10 + 7 * 3600);
	check_ok("iso8601", "2026-11-28T10:00:00+05:30", T_2026_11_28_10 - 19800);
	check_ok("iso8601", "2026-11-28T10:00:00+0530", T_2026_11_28_10 - 19800);
	check_ok("iso8601", "2026-11-28 10:00:00+00:00", T_2026_11_28_10);
	/* Fractions are allowed and dropped (not rounded). */
	check_ok("iso8601", "2026-11-28T10:00:00.123Z", T_2026_11_28_10);
	check_ok("iso8601", "2026-11-28T10:00:00.999999+00:00", T_2026_11_28_10);
	check_ok("iso8601", "2026-11-28T10:00:00,5Z", T_2026_11_28_10);
	check_ok("iso8601", "2026-11-28T10:00:00.123456789012-07:00", T_2026_11_28_10 + 7 * 3600);
	check_ok("iso8601", "2028-02-29T00:00:00Z", 1835395200);
}

static void test_iso8601_bad(void **state)
{
	(void)state;
	check_bad("iso8601", "");
	check_bad("iso8601", "2026-11-28T10:00:00");       /* no zone */
	check_bad("iso8601", "2026-11-28");
	check_bad("iso8601", "2026-11-28T10:00Z");
	check_bad("iso8601", "2026-11-28T10:00:00.Z");     /* empty fraction */
	check_bad("iso8601", "2026-11-28T10:00:00+00:00 "); /* trailing blank */
	check_bad("iso8601", "2026-11-28T10:00:00+00:00x");
	check_bad("iso8601", "2026/11/28T10:00:00Z");
	check_bad("iso8601", "26-11-28T10:00:00Z");
	check_bad("iso8601", "2026-13-28T10:00:00Z");
	check_bad("iso8601", "2026-00-28T10:00:00Z");
	check_bad("iso8601", "2026-11-00T10:00:00Z");
	check_bad("iso8601", "2026-11-32T10:00:00Z");
	check_bad("iso8601", "2026-11-28T25:00:00Z");
	check_bad("iso8601", "2026-11-28T10:61:00Z");
	check_bad("iso8601", "2026-11-28T10:00:00+24:00");
	check_bad("iso8601", "28/Nov/2026:10:00:00 +0000");
	check_bad("iso8601", "1732788000");
}

static void test_epoch(void **state)
{
	(void)state;
	/* nginx's $msec: seconds with milliseconds. */
	check_ok("epoch", "1732788000.123", INT64_C(1732788000));
	check_ok("epoch", "1732788000.999", INT64_C(1732788000));
	check_ok("epoch", "1732788000", INT64_C(1732788000));
	check_ok("epoch", "0", 0);
	check_ok("epoch", "1795860000.000", T_2026_11_28_10);
	check_bad("epoch", "");
	check_bad("epoch", "-");
	check_bad("epoch", "-1732788000");
	check_bad("epoch", "+1732788000");
	check_bad("epoch", ".123");
	check_bad("epoch", "1732788000.123x");
	check_bad("epoch", "1732788000.1.2");
	check_bad("epoch", "1.7e9");
	check_bad("epoch", " 1732788000");
	check_bad("epoch", "1732788000 ");
	check_bad("epoch", "abc");
	/* Too many digits for 64 bits. */
	check_bad("epoch", "99999999999999999999999");
}

static void test_epoch_ms(void **state)
{
	(void)state;
	check_ok("epoch_ms", "1732788000123", INT64_C(1732788000));
	check_ok("epoch_ms", "1732788000999", INT64_C(1732788000));
	check_ok("epoch_ms", "1795860000000", T_2026_11_28_10);
	check_ok("epoch_ms", "999", 0);
	check_bad("epoch_ms", "");
	check_bad("epoch_ms", "1732788000123.5");
	check_bad("epoch_ms", "-1732788000123");
	check_bad("epoch_ms", "1732788000123ms");
}

static void test_slice_not_nul_terminated(void **state)
{
	struct timefmt tf = fmt_of(NGINX);
	const char s[] = "28/Nov/2026:10:00:00 +0000] \"GET / HTTP/1.1\"";
	int64_t t = 0;
	(void)state;
	assert_int_equal(time_parse(&tf, s, 26, &t), 0);
	assert_int_equal(t, T_2026_11_28_10);
	/* Cut short: refused, and nothing past N is read. */
	assert_int_equal(time_parse(&tf, s, 25, &t), -1);
	assert_int_equal(time_parse(&tf, s, 0, &t), -1);
}

static void test_timefmt_parse(void **state)
{
	struct timefmt tf;
	char err[256];
	char longspec[200];
	(void)state;

	assert_int_equal(timefmt_parse("iso8601", &tf, err, sizeof err), 0);
	assert_int_equal(tf.kind, TIME_ISO8601);
	assert_int_equal(timefmt_parse("epoch", &tf, err, sizeof err), 0);
	assert_int_equal(tf.kind, TIME_EPOCH);
	assert_int_equal(timefmt_parse("epoch_ms", &tf, err, sizeof err), 0);
	assert_int_equal(tf.kind, TIME_EPOCH_MS);
	assert_int_equal(timefmt_parse(NGINX, &tf, err, sizeof err), 0);
	assert_int_equal(tf.kind, TIME_STRF);
	assert_string_equal(tf.fmt, NGINX);
	assert_int_equal(timefmt_parse("%d %e %m %b %h %Y %y %H %M %S %T %z %%", &tf, err, sizeof err), 0);

	/* Unsupported conversions are refused, naming the conversion. */
	static const char *const bad[] = {"%s", "%j", "%a %d/%b/%Y", "%Y-%m-%dT%H:%M:%S.%f%z", "%c",
					  "%D", "%Z", "%p", "%I:%M", "%Q"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err[0] = '\0';
		if (timefmt_parse(bad[i], &tf, err, sizeof err) != -1) {
			fail_msg("timefmt_parse(\"%s\") accepted it", bad[i]);
		}
		assert_contains(err, "unsupported conversion");
	}
	err[0] = '\0';
	assert_int_equal(timefmt_parse("%d/%b/%Y %", &tf, err, sizeof err), -1);
	assert_contains(err, "unsupported");
	err[0] = '\0';
	assert_int_equal(timefmt_parse("%Y-%m-%d %j", &tf, err, sizeof err), -1);
	assert_contains(err, "%j");
	/* Names in any case. */
	assert_int_equal(timefmt_parse("ISO8601", &tf, err, sizeof err), 0);
	assert_int_equal(tf.kind, TIME_ISO8601);
	assert_int_equal(timefmt_parse("Epoch_MS", &tf, err, sizeof err), 0);
	assert_int_equal(tf.kind, TIME_EPOCH_MS);
	/* A format that lacks a part of the date or time would give a wrong
	 * time on every line: refused, naming the part. */
	{
		static const struct {
			const char *spec, *lacks;
		} partial[] = {
			{"%d/%b:%H:%M:%S %z", "no year (%Y or %y)"},
			{"%Y-%d %H:%M:%S", "no month (%m or %b)"},
			{"%Y-%m %H:%M:%S", "no day (%d or %e)"},
			{"%Y-%m-%d %M:%S", "no hour (%H or %T)"},
			{"%Y-%m-%d %H", "no minutes (%M or %T)"},
			{"strftime", "no year"},
		};
		for (size_t i = 0; i < sizeof partial / sizeof partial[0]; i++) {
			err[0] = '\0';
			assert_int_equal(timefmt_parse(partial[i].spec, &tf, err, sizeof err), -1);
			assert_contains(err, partial[i].lacks);
		}
	}
	/* %T stands for hour, minutes and seconds; %z is noted. */
	assert_int_equal(timefmt_parse("%Y-%m-%d %T", &tf, err, sizeof err), 0);
	assert_int_equal(tf.zone, 0);
	assert_int_equal(timefmt_parse(NGINX, &tf, err, sizeof err), 0);
	assert_int_equal(tf.zone, 1);
	/* A format longer than fits is refused, not cut. */
	memset(longspec, 'x', sizeof longspec - 1);
	longspec[sizeof longspec - 1] = '\0';
	err[0] = '\0';
	assert_int_equal(timefmt_parse(longspec, &tf, err, sizeof err), -1);
	assert_contains(err, "too long");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_civil),
		cmocka_unit_test(test_time_local_zones),
		cmocka_unit_test(test_time_local_fields),
		cmocka_unit_test(test_time_local_bad),
		cmocka_unit_test(test_time_local_invalid_dates),
		cmocka_unit_test(test_time_local_day_of_month),
		cmocka_unit_test(test_strf_other_conversions),
		cmocka_unit_test(test_iso8601),
		cmocka_unit_test(test_iso8601_bad),
		cmocka_unit_test(test_epoch),
		cmocka_unit_test(test_epoch_ms),
		cmocka_unit_test(test_slice_not_nul_terminated),
		cmocka_unit_test(test_timefmt_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
