/*
 * Unit tests of the INI reader (agent/ini.c): sections with and without an
 * argument, trimming, comments (whole-line and inline " ;"), long and empty
 * values, CRLF, a UTF-8 byte-order mark, and every syntax error reported
 * as "FILE:LINE: message" with the right line while reading goes on.
 */
#include "testutil.h"

#include "ini.h"

/* What the handler saw (one line per item) and what went to the diag. */
struct run {
	char *items;
	char *diag;
	int errors, warnings;
	int rc;
	int calls;
};

struct rec {
	FILE *f;
	int calls;
	int stop_after; /* return -1 on this call (1-based); 0: never */
	const char *expect_file;
};

/*
 * Records an item as "LINE [SECTION|ARG]" for a header or
 * "LINE SECTION|ARG@SECTION_LINE KEY=<VALUE>" for a key.
 */
static int rec_item(void *ctx, const struct ini_item *it)
{
	struct rec *r = ctx;
	const char *arg = it->section_arg ? it->section_arg : "-";

	r->calls++;
	if (r->expect_file != NULL) {
		assert_string_equal(it->file, r->expect_file);
	}
	assert_non_null(it->section);
	if (it->key == NULL) {
		assert_int_equal(it->section_line, it->line);
		fprintf(r->f, "%d [%s|%s]\n", it->line, it->section, arg);
	} else {
		assert_non_null(it->value);
		fprintf(r->f, "%d %s|%s@%d %s=<%s>\n", it->line, it->section, arg, it->section_line,
			it->key, it->value);
	}
	return r->stop_after != 0 && r->calls == r->stop_after ? -1 : 0;
}

/*
 * Buffers of the current test, freed by its teardown too, so that a failed
 * assertion (which leaves the test at once) leaks nothing.
 */
static char *kept[16];

static char *keep(char *p)
{
	for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
		if (kept[i] == NULL) {
			kept[i] = p;
			return p;
		}
	}
	fail_msg("too many buffers kept");
	return p;
}

static void unkeep_free(char *p)
{
	for (size_t i = 0; p != NULL && i < sizeof kept / sizeof kept[0]; i++) {
		if (kept[i] == p) {
			kept[i] = NULL;
		}
	}
	free(p);
}

static int teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
		free(kept[i]);
		kept[i] = NULL;
	}
	return 0;
}

static struct run run_any(const char *name, const char *text, const char *path, int stop_after)
{
	struct run out = {0};
	size_t ilen = 0, dlen = 0;
	struct rec r = {.stop_after = stop_after};
	FILE *dm;
	struct diag d = {0};

	r.f = open_memstream(&out.items, &ilen);
	dm = open_memstream(&out.diag, &dlen);
	assert_non_null(r.f);
	assert_non_null(dm);
	d.out = dm;
	if (path != NULL) {
		r.expect_file = path;
		out.rc = ini_parse_file(path, rec_item, &r, &d);
	} else {
		r.expect_file = name;
		out.rc = ini_parse_string(name, text, rec_item, &r, &d);
	}
	fclose(r.f);
	fclose(dm);
	keep(out.items);
	keep(out.diag);
	out.errors = d.errors;
	out.warnings = d.warnings;
	out.calls = r.calls;
	return out;
}

static struct run run_string(const char *text)
{
	return run_any("t.conf", text, NULL, 0);
}

/*
 * Reads TEXT as t.conf and asserts it was read to its end (0) with ERRORS
 * errors, handing on ITEMS.  Returns the run for further checks.
 */
static struct run read_ok(const char *text, int errors, const char *items)
{
	struct run r = run_string(text);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.errors, errors);
	assert_string_equal(r.items, items);
	return r;
}

static void run_free(struct run *r)
{
	unkeep_free(r->items);
	unkeep_free(r->diag);
	r->items = r->diag = NULL;
}

static void test_sections_and_keys(void **state)
{
	struct run r;
	(void)state;

	r = read_ok("[site]\n"
		    "url = https://shop.example.com\n"
		    "\n"
		    "[event checkout]\n"
		    "type = checkout\n"
		    "[ pinterest ]\n"
		    "[event   spaced-arg.1 ]\n"
		    "x=1\n",
		    0,
		    "1 [site|-]\n"
		    "2 site|-@1 url=<https://shop.example.com>\n"
		    "4 [event|checkout]\n"
		    "5 event|checkout@4 type=<checkout>\n"
		    "6 [pinterest|-]\n"
		    "7 [event|spaced-arg.1]\n"
		    "8 event|spaced-arg.1@7 x=<1>\n");
	assert_string_equal(r.diag, "");
	run_free(&r);
}

static void test_trimming(void **state)
{
	struct run r;
	(void)state;

	r = read_ok("  [a]  \n"
		    "key=value\n"
		    "   key2   =    value two   \n"
		    "\tkey3\t=\tv3\t\n"
		    "k4 = a = b\n"
		    "k5 = https://x.example/#frag # not a comment\n"
		    "   \t \n"
		    "k6 = last line without a newline",
		    0,
		    "1 [a|-]\n"
		    "2 a|-@1 key=<value>\n"
		    "3 a|-@1 key2=<value two>\n"
		    "4 a|-@1 key3=<v3>\n"
		    "5 a|-@1 k4=<a = b>\n"
		    "6 a|-@1 k5=<https://x.example/#frag # not a comment>\n"
		    "8 a|-@1 k6=<last line without a newline>\n");
	run_free(&r);
}

static void test_comment_lines(void **state)
{
	struct run r;
	(void)state;

	r = read_ok("# a comment\n"
		    "; another\n"
		    "[a]\n"
		    "   # indented hash = not a key\n"
		    "\t; indented semicolon = not a key\n"
		    "#k = v\n"
		    ";[b]\n"
		    "k = v\n",
		    0,
		    "3 [a|-]\n"
		    "8 a|-@3 k=<v>\n");
	assert_string_equal(r.diag, "");
	run_free(&r);
}

static void test_inline_comments(void **state)
{
	struct run r;
	(void)state;

	r = read_ok("[a]\n"
		    "k1 = value ; a comment\n"
		    "k2 = value\t; after a tab\n"
		    "k3 = a;b\n"
		    "k4 = a; b\n"
		    "k5 = x ;\n"
		    "k6 = ;only a comment\n"
		    "k7 =;kept\n"
		    "k8 = value    ; several ; semicolons ;\n"
		    "k9 = (?<a>x);(?<b>y) ; the regex keeps its semicolon\n",
		    0,
		    "1 [a|-]\n"
		    "2 a|-@1 k1=<value>\n"
		    "3 a|-@1 k2=<value>\n"
		    "4 a|-@1 k3=<a;b>\n"
		    "5 a|-@1 k4=<a; b>\n"
		    "6 a|-@1 k5=<x>\n"
		    "7 a|-@1 k6=<>\n"
		    "8 a|-@1 k7=<;kept>\n"
		    "9 a|-@1 k8=<value>\n"
		    "10 a|-@1 k9=<(?<a>x);(?<b>y)>\n");
	run_free(&r);
}

/* SPEC §3's own example writes "[event checkout]   ; one section per rule". */
static void test_inline_comment_after_section(void **state)
{
	struct run r;
	(void)state;

	r = run_string("[site]            ; the site\n"
		       "url = https://a.example\n"
		       "[event checkout]   ; one section per rule; the name is free\n"
		       "type = checkout\n");
	assert_string_equal(r.diag, "");
	assert_int_equal(r.errors, 0);
	assert_string_equal(r.items, "1 [site|-]\n"
				     "2 site|-@1 url=<https://a.example>\n"
				     "3 [event|checkout]\n"
				     "4 event|checkout@3 type=<checkout>\n");
	run_free(&r);
}

static void test_empty_values(void **state)
{
	struct run r;
	(void)state;

	r = read_ok("[a]\n"
		    "k1 =\n"
		    "k2 =    \n"
		    "k3=\n"
		    "k4 = ; comment\n",
		    0,
		    "1 [a|-]\n"
		    "2 a|-@1 k1=<>\n"
		    "3 a|-@1 k2=<>\n"
		    "4 a|-@1 k3=<>\n"
		    "5 a|-@1 k4=<>\n");
	run_free(&r);
}

/* A value far longer than any fixed buffer, and the line count after it. */
static void test_long_value(void **state)
{
	size_t n = 100000;
	char *value = malloc(n + 1), *text, *expect;
	struct run r;
	(void)state;

	assert_non_null(value);
	for (size_t i = 0; i < n; i++) {
		value[i] = (char)('a' + i % 26);
	}
	value[n] = '\0';
	assert_true(asprintf(&text, "[a]\nlong = %s ; comment\nnext = 2\nerr\n", value) > 0);
	assert_true(asprintf(&expect, "1 [a|-]\n2 a|-@1 long=<%s>\n3 a|-@1 next=<2>\n", value) > 0);
	r = run_string(text);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.errors, 1);
	assert_true(strcmp(r.items, expect) == 0);
	assert_contains(r.diag, "t.conf:4: ");
	run_free(&r);
	free(text);
	free(expect);

	/* 5,000 bytes exactly as the brief asks, from a file this time. */
	{
		char *dir = tu_tmpdir(), *path;
		char big[5200];
		memset(big, 'x', sizeof big);
		memcpy(big, "[a]\nk = ", 8);
		memcpy(big + sizeof big - 9, "\nz = 1\n", 7);
		big[sizeof big - 2] = '\n';
		path = tu_write_n(dir, "big.conf", big, sizeof big - 1, 0644);
		r = run_any(NULL, NULL, path, 0);
		assert_int_equal(r.rc, 0);
		assert_int_equal(r.errors, 0);
		assert_int_equal(r.calls, 3);
		assert_contains(r.items, "3 a|-@1 z=<1>\n");
		assert_true(strlen(r.items) > 5000);
		run_free(&r);
		free(path);
		tu_rmtree(dir);
		free(dir);
	}
	free(value);
}

static void test_crlf(void **state)
{
	struct run r;
	(void)state;

	r = read_ok("# comment\r\n"
		    "[site]\r\n"
		    "url = https://a.example\r\n"
		    "\r\n"
		    "empty =\r\n"
		    "c = v ; comment\r\n"
		    "[event x]\r\n"
		    "type = checkout",
		    0,
		    "2 [site|-]\n"
		    "3 site|-@2 url=<https://a.example>\n"
		    "5 site|-@2 empty=<>\n"
		    "6 site|-@2 c=<v>\n"
		    "7 [event|x]\n"
		    "8 event|x@7 type=<checkout>\n");
	assert_string_equal(r.diag, "");
	run_free(&r);
}

static void test_key_outside_section(void **state)
{
	struct run r;
	(void)state;

	r = read_ok("# header\n"
		    "\n"
		    "orphan = SECRETVALUE123\n"
		    "[a]\n"
		    "k = v\n",
		    1,
		    /* Reading goes on. */
		    "4 [a|-]\n5 a|-@4 k=<v>\n");
	assert_contains(r.diag, "t.conf:3: ");
	assert_contains(r.diag, "orphan");
	assert_contains(r.diag, "outside of any [section]");
	assert_not_contains(r.diag, "SECRETVALUE123");
	run_free(&r);
}

static void test_line_without_equals(void **state)
{
	struct run r;
	(void)state;

	r = read_ok("[a]\n"
		    "k = v\n"
		    "pina_SECRETVALUE123\n"
		    "j = w\n"
		    "   another line\n",
		    2,
		    "1 [a|-]\n2 a|-@1 k=<v>\n4 a|-@1 j=<w>\n");
	assert_string_equal(r.diag, "t.conf:3: expected \"key = value\" or \"[section]\"\n"
				    "t.conf:5: expected \"key = value\" or \"[section]\"\n");
	assert_not_contains(r.diag, "SECRETVALUE123");
	run_free(&r);
}

static void test_bad_key_name(void **state)
{
	struct run r;
	(void)state;

	r = run_string("[a]\n"
		       "two words = SECRETVALUE123\n"
		       "= novalue\n"
		       "ok = 1\n");
	assert_int_equal(r.errors, 2);
	assert_contains(r.diag, "t.conf:2: bad key name");
	assert_contains(r.diag, "t.conf:3: bad key name");
	assert_not_contains(r.diag, "SECRETVALUE123");
	assert_string_equal(r.items, "1 [a|-]\n4 a|-@1 ok=<1>\n");
	run_free(&r);
}

static void test_bad_section_headers(void **state)
{
	struct run r;
	(void)state;

	r = read_ok("[good]\n"       /* 1 */
		    "a = 1\n"        /* 2 */
		    "[unclosed\n"    /* 3 */
		    "[x] trailing\n" /* 4 */
		    "[]\n"           /* 5 */
		    "[si/te]\n"      /* 6 */
		    "skipped = 1\n"  /* 7: under a bad header, not passed on */
		    "[event a b]\n"  /* 8 */
		    "[again]\n"      /* 9 */
		    "b = 2\n",       /* 10 */
		    5,
		    "1 [good|-]\n"
		    "2 good|-@1 a=<1>\n"
		    "9 [again|-]\n"
		    "10 again|-@9 b=<2>\n");
	assert_contains(r.diag, "t.conf:3: a section header must be");
	assert_contains(r.diag, "t.conf:4: a section header must be");
	assert_contains(r.diag, "t.conf:5: bad section name");
	assert_contains(r.diag, "t.conf:6: bad section name");
	assert_contains(r.diag, "t.conf:8: bad section name");
	assert_not_contains(r.diag, "t.conf:7:");
	run_free(&r);
}

/*
 * Keys under a malformed header must not be filed under the previous
 * section (nor reported as outside any section): like keys under a bad
 * section name, they are skipped, the header's error being enough.
 */
static void test_keys_after_malformed_header(void **state)
{
	struct run r;
	(void)state;

	r = run_string("[site]\n"            /* 1 */
		       "url = https://a\n"   /* 2 */
		       "[event x] trailing\n" /* 3 */
		       "type = checkout\n"   /* 4 */
		       "[event y\n"          /* 5 */
		       "type = lead\n"       /* 6 */
		       "[pinterest]\n"       /* 7 */
		       "k = v\n");           /* 8 */
	assert_int_equal(r.errors, 2);
	assert_contains(r.diag, "t.conf:3: a section header must be");
	assert_contains(r.diag, "t.conf:5: a section header must be");
	assert_string_equal(r.items, "1 [site|-]\n"
				     "2 site|-@1 url=<https://a>\n"
				     "7 [pinterest|-]\n"
				     "8 pinterest|-@7 k=<v>\n");
	run_free(&r);

	/* At the top of a file: no cascade of "outside of any [section]". */
	r = run_string("[agent] x\nk = v\n");
	assert_int_equal(r.errors, 1);
	assert_contains(r.diag, "t.conf:1: a section header must be");
	assert_not_contains(r.diag, "outside");
	run_free(&r);
}

static void test_nul_byte(void **state)
{
	static const char data[] = "[a]\n"
				   "k = 1\n"
				   "bad = x\0y\n"
				   "\0\n"
				   "m = 2\n"
				   "tail = z\0";
	char *dir = tu_tmpdir(), *path;
	struct run r;
	(void)state;

	path = tu_write_n(dir, "nul.conf", data, sizeof data - 1, 0644);
	r = run_any(NULL, NULL, path, 0);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.errors, 3);
	{
		char *expect;
		assert_true(asprintf(&expect,
				     "%s:3: NUL byte in line\n%s:4: NUL byte in line\n%s:6: NUL byte in line\n",
				     path, path, path) > 0);
		assert_string_equal(r.diag, expect);
		free(expect);
	}
	assert_string_equal(r.items, "1 [a|-]\n2 a|-@1 k=<1>\n5 a|-@1 m=<2>\n");
	run_free(&r);
	free(path);
	tu_rmtree(dir);
	free(dir);
}

static void test_file_errors_and_lines(void **state)
{
	char *dir = tu_tmpdir(), *path, *missing, *expect;
	struct run r;
	(void)state;

	path = tu_write(dir, "f.conf", "[a]\r\nk = v\r\nnope\r\n", 0644);
	r = run_any(NULL, NULL, path, 0);
	assert_int_equal(r.rc, 0);
	assert_true(asprintf(&expect, "%s:3: expected \"key = value\" or \"[section]\"\n", path) > 0);
	assert_string_equal(r.diag, expect);
	free(expect);
	assert_string_equal(r.items, "1 [a|-]\n2 a|-@1 k=<v>\n");
	run_free(&r);

	/* A file that does not exist: -1, reported for the file as a whole. */
	assert_true(asprintf(&missing, "%s/missing.conf", dir) > 0);
	r = run_any(NULL, NULL, missing, 0);
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.errors, 1);
	assert_int_equal(r.calls, 0);
	assert_true(asprintf(&expect, "%s: cannot open: No such file or directory\n", missing) > 0);
	assert_string_equal(r.diag, expect);
	free(expect);
	run_free(&r);

	/* A folder where a file is expected: -1 and one error. */
	r = run_any(NULL, NULL, dir, 0);
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.errors, 1);
	assert_contains(r.diag, dir);
	run_free(&r);

	free(missing);
	free(path);
	tu_rmtree(dir);
	free(dir);
}

static void test_handler_stops(void **state)
{
	struct run r;
	(void)state;

	r = run_any("t.conf", "[a]\nk = 1\nj = 2\n[b]\n", NULL, 2);
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.calls, 2);
	assert_int_equal(r.errors, 0);
	assert_string_equal(r.items, "1 [a|-]\n2 a|-@1 k=<1>\n");
	run_free(&r);

	r = run_any("t.conf", "[a]\nk = 1\n", NULL, 1);
	assert_int_equal(r.rc, -1);
	assert_int_equal(r.calls, 1);
	run_free(&r);
}

static void test_empty_input(void **state)
{
	struct run r;
	(void)state;

	r = run_string("");
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.calls, 0);
	assert_int_equal(r.errors, 0);
	run_free(&r);

	r = run_string("\n\n# only comments\n;\n");
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.calls, 0);
	assert_int_equal(r.errors, 0);
	run_free(&r);
}

/*
 * A UTF-8 byte-order mark, which editors on Windows write at the start of a
 * file, is skipped there without shifting line numbers; anywhere else it is
 * a stray character and reported as before.
 */
static void test_utf8_bom(void **state)
{
	static const char data[] = "\xef\xbb\xbf[site]\n"
				   "url = https://a.example\n"
				   "bad\n";
	char *dir = tu_tmpdir(), *path, *expect;
	struct run r;
	(void)state;

	path = tu_write_n(dir, "bom.conf", data, sizeof data - 1, 0644);
	r = run_any(NULL, NULL, path, 0);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.errors, 1);
	assert_string_equal(r.items, "1 [site|-]\n2 site|-@1 url=<https://a.example>\n");
	assert_true(asprintf(&expect, "%s:3: expected \"key = value\" or \"[section]\"\n", path) > 0);
	assert_string_equal(r.diag, expect);
	free(expect);
	run_free(&r);
	free(path);

	/* Before a comment or a key, and with CRLF line ends. */
	r = read_ok("\xef\xbb\xbf# written by Notepad\r\n[a]\r\nk = v\r\n", 0, "2 [a|-]\n3 a|-@2 k=<v>\n");
	assert_string_equal(r.diag, "");
	run_free(&r);

	/* Only the first one: a second BOM, one after blanks, or one on a later line is an error. */
	r = read_ok("\xef\xbb\xbf\xef\xbb\xbf[a]\n", 1, "");
	assert_contains(r.diag, "t.conf:1: ");
	run_free(&r);
	r = read_ok(" \xef\xbb\xbf[a]\n", 1, "");
	assert_contains(r.diag, "t.conf:1: ");
	run_free(&r);
	r = read_ok("[a]\n"
		    "\xef\xbb\xbf[b]\n"
		    "k\xef\xbb\xbf = v\n"
		    "j = \xef\xbb\xbfw\n",
		    2, "1 [a|-]\n4 a|-@1 j=<\xef\xbb\xbfw>\n");
	assert_contains(r.diag, "t.conf:2: expected \"key = value\" or \"[section]\" (the line holds a "
				"byte-order mark, U+FEFF, which editors do not show: delete it)");
	assert_contains(r.diag, "t.conf:3: bad key name");
	run_free(&r);

	tu_rmtree(dir);
	free(dir);
}

/* Every problem of a file is reported in one pass, each on its line. */
static void test_all_errors_in_one_pass(void **state)
{
	struct run r;
	(void)state;

	r = read_ok("k = 1\n"   /* 1: outside */
		    "[a]\n"     /* 2 */
		    "junk\n"    /* 3 */
		    "[b\n"      /* 4 */
		    "[c]\n"     /* 5 */
		    "x y = 2\n" /* 6 */
		    "z = 3\n",  /* 7 */
		    4, "2 [a|-]\n5 [c|-]\n7 c|-@5 z=<3>\n");
	assert_int_equal(r.warnings, 0);
	assert_contains(r.diag, "t.conf:1: ");
	assert_contains(r.diag, "t.conf:3: ");
	assert_contains(r.diag, "t.conf:4: ");
	assert_contains(r.diag, "t.conf:6: ");
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_sections_and_keys, teardown),
		cmocka_unit_test_teardown(test_trimming, teardown),
		cmocka_unit_test_teardown(test_comment_lines, teardown),
		cmocka_unit_test_teardown(test_inline_comments, teardown),
		cmocka_unit_test_teardown(test_inline_comment_after_section, teardown),
		cmocka_unit_test_teardown(test_empty_values, teardown),
		cmocka_unit_test_teardown(test_long_value, teardown),
		cmocka_unit_test_teardown(test_crlf, teardown),
		cmocka_unit_test_teardown(test_key_outside_section, teardown),
		cmocka_unit_test_teardown(test_line_without_equals, teardown),
		cmocka_unit_test_teardown(test_bad_key_name, teardown),
		cmocka_unit_test_teardown(test_bad_section_headers, teardown),
		cmocka_unit_test_teardown(test_keys_after_malformed_header, teardown),
		cmocka_unit_test_teardown(test_nul_byte, teardown),
		cmocka_unit_test_teardown(test_file_errors_and_lines, teardown),
		cmocka_unit_test_teardown(test_handler_stops, teardown),
		cmocka_unit_test_teardown(test_empty_input, teardown),
		cmocka_unit_test_teardown(test_all_errors_in_one_pass, teardown),
		cmocka_unit_test_teardown(test_utf8_bom, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
