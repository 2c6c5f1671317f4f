/*
 * test_checkpoint — the checkpoint file: entries saved and loaded back, an
 * entry without identity keeping its offset (a file that could not be
 * opened yet, to begin where it ended at the first start), a file written
 * by hand in the documented format, and damaged files refused.
 */
#include "testutil.h"

#include "checkpoint.h"

#define ID_A "63bc6ac53b95506eb22c7f8f7e3b59ac44b170ece8966bfa92d48865d04c6a9b"

/* Saved and loaded back, the entry without identity with its offset. */
static void test_round_trip(void **state)
{
	char *dir = tu_tmpdir();
	struct ckpt_entry in[3] = {
		{.dev = 65024, .ino = 11061571, .offset = 7450, .identity = ID_A, .path = "/var/log/a b.log"},
		{.dev = 65024, .ino = 11061573, .offset = 3310, .identity = "", .path = "/var/log/unread.log"},
		/* Any name a log folder may hold: a newline does not cut the line. */
		{.dev = 65024, .ino = 11061575, .offset = 1, .identity = ID_A,
		 .path = "/var/log/evil\n1 2 0 - /x\t\\x41\\\x7f.log"},
	};
	struct ckpt_list out;
	struct buf text = {0};
	const char *step = NULL;
	(void)state;
	for (size_t i = 0; i < 3; i++) {
		checkpoint_format(&text, &in[i]);
	}
	assert_int_equal(checkpoint_save(dir, &text, &step), 0);
	assert_int_equal(checkpoint_load(dir, &out), 1);
	assert_int_equal(out.n, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(out.e[i].dev, in[i].dev);
		assert_int_equal(out.e[i].ino, in[i].ino);
		assert_int_equal(out.e[i].offset, in[i].offset);
		assert_string_equal(out.e[i].identity, in[i].identity);
		assert_string_equal(out.e[i].path, in[i].path);
	}
	ckpt_list_free(&out);
	buf_free(&text);
	tu_rmtree(dir);
	free(dir);
}

/* The format as checkpoint.h documents it: "-" for no identity. */
static void test_written_by_hand(void **state)
{
	char *dir = tu_tmpdir(), *path;
	struct ckpt_list out;
	(void)state;
	path = tu_write(dir, CHECKPOINT_FILE,
			"pintail-checkpoint 1\n"
			"1 2 0 - /l/new.log\n"
			"1 3 3310 - /l/unread.log\n"
			"1 4 99 " ID_A " /l/a.log\n",
			0600);
	assert_int_equal(checkpoint_load(dir, &out), 1);
	assert_int_equal(out.n, 3);
	assert_string_equal(out.e[0].identity, "");
	assert_int_equal(out.e[0].offset, 0);
	assert_string_equal(out.e[1].identity, "");
	assert_int_equal(out.e[1].offset, 3310);
	assert_int_equal(out.e[1].ino, 3);
	assert_string_equal(out.e[1].path, "/l/unread.log");
	assert_string_equal(out.e[2].identity, ID_A);
	ckpt_list_free(&out);
	free(path);
	tu_rmtree(dir);
	free(dir);
}

/* Another version, or an identity that is neither a hash nor "-": refused. */
static void test_refused(void **state)
{
	static const char *const bad[] = {
		"pintail-checkpoint 2\n1 2 0 - /l/a.log\n",
		"pintail-checkpoint 1\n1 2 0 ? /l/a.log\n",
		"pintail-checkpoint 1\n1 2 /l/a.log\n",
	};
	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char *dir = tu_tmpdir(), *path = tu_write(dir, CHECKPOINT_FILE, bad[i], 0600);
		struct ckpt_list out;
		assert_int_equal(checkpoint_load(dir, &out), -1);
		assert_int_equal(out.n, 0);
		free(path);
		tu_rmtree(dir);
		free(dir);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_written_by_hand),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
