/*
 * test_linebuf — splitting input into lines: offsets, a last line without
 * its newline, lines over max_line skipped whole, and each line's
 * "holds a backslash" mark, which the buffer answers from one search kept
 * across lines and reads.  The random test feeds the same text in pieces
 * of every size through a pipe and checks every line against the text.
 */
#include "testutil.h"

#include "linebuf.h"

/* One line as the text says it should come out. */
struct want {
	size_t off, n;
	int too_long, backslash;
};

/*
 * The lines of TEXT (LEN bytes) for MAX_LINE, as linebuf should give them:
 * at most CAP entries into W; returns their count.
 */
static size_t expected(const char *text, size_t len, size_t max_line, struct want *w, size_t cap)
{
	size_t count = 0, s = 0;
	while (s < len) {
		const char *nl = memchr(text + s, '\n', len - s);
		size_t e = nl ? (size_t)(nl - text) : len;
		assert_true(count < cap);
		w[count].off = s;
		w[count].n = e - s;
		w[count].too_long = e - s > max_line;
		w[count].backslash = memchr(text + s, '\\', e - s) != NULL;
		count++;
		s = e + 1;
	}
	return count;
}

/* Checks the lines LB has now against W from *GOT on. */
static void drain(struct linebuf *lb, const char *text, const struct want *w, size_t nw, size_t *got)
{
	struct lb_line line;
	enum lb_result r;

	while ((r = linebuf_next(lb, &line)) != LB_NEED_MORE) {
		assert_true(*got < nw);
		assert_int_equal(line.off, w[*got].off);
		assert_int_equal(r == LB_TOO_LONG, w[*got].too_long);
		if (r == LB_LINE) {
			assert_int_equal(line.n, w[*got].n);
			assert_memory_equal(line.p, text + w[*got].off, line.n);
			assert_int_equal(line.backslash, w[*got].backslash);
		}
		(*got)++;
	}
}

/*
 * Feeds TEXT to a linebuf (MAX_LINE, CHUNK) through a pipe, PIECE bytes at
 * a time (0: random sizes), and checks each line against W.
 */
static void feed(const char *text, size_t len, size_t max_line, size_t chunk, size_t piece,
		 const struct want *w, size_t nw)
{
	struct linebuf lb;
	struct lb_line line;
	int fds[2];
	size_t sent = 0, taken = 0, got = 0;

	assert_int_equal(pipe(fds), 0);
	assert_int_equal(linebuf_init(&lb, max_line, chunk, 0), 0);
	while (sent < len) {
		size_t k = piece ? piece : 1 + (size_t)rand() % (3 * chunk);
		if (k > len - sent) {
			k = len - sent;
		}
		assert_int_equal(write(fds[1], text + sent, k), (ssize_t)k);
		sent += k;
		/* After each drain the buffer has room: a held line is at most
		 * max_line bytes, the rest is skipped. */
		while (taken < sent) {
			ssize_t n = linebuf_read(&lb, fds[0]);
			assert_true(n > 0);
			taken += (size_t)n;
			drain(&lb, text, w, nw, &got);
		}
	}
	close(fds[1]);
	assert_int_equal(linebuf_read(&lb, fds[0]), 0);
	if (linebuf_rest(&lb, &line)) {
		assert_true(got < nw);
		assert_false(w[got].too_long);
		assert_int_equal(line.off, w[got].off);
		assert_int_equal(line.n, w[got].n);
		assert_memory_equal(line.p, text + w[got].off, line.n);
		assert_int_equal(line.backslash, w[got].backslash);
		got++;
	}
	assert_int_equal(got, nw);
	close(fds[0]);
	linebuf_free(&lb);
}

/* The cases that matter, each at every piece size from 1 to 40 bytes. */
static void test_backslash_marks(void **state)
{
	static const char text[] =
		"plain line\n"
		"\\ at the start\n"
		"at the end \\\n"
		"\n"
		"two \\x22 in \\x22 a row\n"
		"after two, none\n"
		"none again, then one in the next\n"
		"x\\\n"
		"a line much longer than max_line with a \\ inside it, skipped\n"
		"after the long line, none\n"
		"a long one without any backslash at all, skipped too....\n"
		"\\\n"
		"last, unterminated \\";
	struct want w[32];
	size_t nw = expected(text, sizeof text - 1, 40, w, 32);
	(void)state;
	for (size_t piece = 1; piece <= 40; piece++) {
		feed(text, sizeof text - 1, 40, 8, piece, w, nw);
	}
}

/* Random text with few and many backslashes, fed in random pieces. */
static void test_random(void **state)
{
	enum { LEN = 20000 };
	char *text = malloc(LEN);
	struct want *w = malloc(LEN * sizeof *w);
	(void)state;
	assert_non_null(text);
	assert_non_null(w);
	srand(7);
	for (int round = 0; round < 60; round++) {
		/* A backslash every 5 to 3,000 bytes, a newline every 1 to 60. */
		int bs_every = 5 + round * 50, nl_every = 1 + round % 60;
		size_t max_line = 16 + (size_t)(round % 7) * 9, chunk = 1 + (size_t)(round % 13) * 5;
		for (size_t i = 0; i < LEN; i++) {
			int r = rand();
			text[i] = r % bs_every == 0 ? '\\' : (r / 7) % nl_every == 0 ? '\n' : 'a' + r % 26;
		}
		size_t len = LEN - (size_t)(round % 3); /* sometimes unterminated */
		size_t nw = expected(text, len, max_line, w, LEN);
		feed(text, len, max_line, chunk, 0, w, nw);
	}
	free(w);
	free(text);
}

/*
 * While a line too long is being skipped, the offset to resume from (the
 * checkpoint's) is that line's start, not a point inside it: a restart
 * then skips it whole again, instead of taking its tail for a line.  Once
 * its newline is read, the offset is past it.
 */
static void test_offset_inside_long_line(void **state)
{
	struct linebuf lb;
	struct lb_line line;
	char big[300];
	int fds[2];
	(void)state;

	memset(big, 'Z', sizeof big);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(linebuf_init(&lb, 100, 64, 1000), 0);
	assert_int_equal(write(fds[1], "ok\n", 3), 3);
	assert_int_equal(write(fds[1], big, sizeof big), (ssize_t)sizeof big);
	while (linebuf_read(&lb, fds[0]) > 0 && linebuf_read_end(&lb) < 1000 + 3 + sizeof big) {
	}
	assert_int_equal(linebuf_next(&lb, &line), LB_LINE);
	assert_int_equal(linebuf_offset(&lb), 1003);
	assert_int_equal(linebuf_next(&lb, &line), LB_TOO_LONG);
	assert_int_equal(line.off, 1003);
	assert_int_equal(linebuf_next(&lb, &line), LB_NEED_MORE);
	assert_int_equal(linebuf_offset(&lb), 1003); /* not 1303 */
	assert_int_equal(write(fds[1], "tail\nnext\n", 10), 10);
	assert_true(linebuf_read(&lb, fds[0]) > 0);
	assert_int_equal(linebuf_next(&lb, &line), LB_LINE);
	assert_int_equal(line.off, 1308);
	assert_int_equal(line.n, 4);
	assert_memory_equal(line.p, "next", 4);
	assert_int_equal(linebuf_offset(&lb), 1313);
	close(fds[0]);
	close(fds[1]);
	linebuf_free(&lb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backslash_marks),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_offset_inside_long_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
