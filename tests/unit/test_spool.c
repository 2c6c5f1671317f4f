/*
 * test_spool — acknowledging when the ack cannot be saved (a full state
 * disk): segments wholly acknowledged are deleted all the same, a start
 * afterwards falls back to the first segment left (resending, never
 * skipping), and the failed save is logged once per spell of failures.
 *
 * The save is made to fail by a folder where statedir_replace() makes its
 * temporary file (spool/.ack.tmp): open() then fails with EISDIR, for root
 * too, while the segments can still be deleted, as on a full disk.
 *
 * Also: which events a restart or a rollback meets again (those committed
 * after the last checkpoint), a line cut in two by a crash, an ack file
 * naming a segment that is not there, a byte of a record changed on disk,
 * and an ack of a segment since emptied in place.
 */
#include "testutil.h"

#include <dirent.h>
#include <endian.h>
#include <fcntl.h>
#include <inttypes.h>

#include "spool.h"

#define IDENTITY "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define JSON_LEN (64u << 10) /* 140 events make two segments (8 MiB each at most) */
#define EVENTS 140

static char *json;

static int setup(void **state)
{
	(void)state;
	/* The log's lines as on a terminal: "pintail: warning: ...". */
	unsetenv("JOURNAL_STREAM");
	json = malloc(JSON_LEN + 1);
	if (json == NULL) {
		return -1;
	}
	memset(json, 'x', JSON_LEN);
	json[0] = '{';
	json[JSON_LEN - 1] = '}';
	json[JSON_LEN] = '\0';
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(json);
	return 0;
}

/* N events "ev-FROM"... of the JSON TEXT (LEN bytes), appended and committed. */
static void append_text(struct spool *sp, int from, int n, const char *text, size_t len)
{
	char id[32];
	for (int i = from; i < from + n; i++) {
		snprintf(id, sizeof id, "ev-%d", i);
		struct spool_rec r = {.identity = IDENTITY, .offset = (uint64_t)i * 100, .time = 1795860000,
				      .type = 0, .event_id = id, .json = text, .len = len};
		assert_int_equal(spool_append(sp, &r), 0);
	}
	assert_int_equal(spool_commit(sp), 0);
}

/* N events of 64 KiB each. */
static void append_events(struct spool *sp, int from, int n) { append_text(sp, from, n, json, JSON_LEN); }

/* N events of a few bytes each. */
static void append_small(struct spool *sp, int from, int n) { append_text(sp, from, n, "{\"a\":1}", 7); }

/* The segment files in DIR/spool, in order, into IDS; their number. */
static size_t segments(const char *dir, uint64_t *ids, size_t max)
{
	char path[4096];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof path, "%s/spool", dir);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strstr(de->d_name, ".seg") != NULL && n < max) {
			ids[n++] = strtoull(de->d_name, NULL, 16);
		}
	}
	closedir(d);
	for (size_t i = 1; i < n; i++) {
		for (size_t j = i; j > 0 && ids[j - 1] > ids[j]; j--) {
			uint64_t t = ids[j];
			ids[j] = ids[j - 1];
			ids[j - 1] = t;
		}
	}
	return n;
}

/*
 * Reads a batch of N events (all there must be) and acknowledges it:
 * spool_ack's result, or -2 when the batch was not N events.  Asserts
 * nothing, as it runs while the log is captured (and cmocka's own
 * messages with it).
 */
static int read_ack(struct spool *sp, size_t n, struct spool_pos *end)
{
	struct spool_batch b = {0};
	int rc = -2;
	if (spool_read_batch(sp, n, SIZE_MAX, &b) == (int)n) {
		if (end != NULL) {
			*end = b.end;
		}
		rc = spool_ack(sp, b.end, b.n);
	}
	spool_batch_free(&b);
	return rc;
}

/* Makes the ack's save fail (ON) or work again. */
static void ack_save_fails(const char *dir, int on)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/spool/.ack.tmp", dir);
	if (on) {
		assert_int_equal(mkdir(path, 0700), 0);
	} else {
		assert_int_equal(rmdir(path), 0);
	}
}

/* Sends stderr (the log) to a file while a test looks at what is logged. */
struct capture {
	int saved;
	char path[64];
};

static void capture_start(struct capture *c)
{
	int fd;
	snprintf(c->path, sizeof c->path, "/tmp/pintail-unit-log-XXXXXX");
	fd = mkstemp(c->path);
	assert_true(fd >= 0);
	fflush(stderr);
	c->saved = dup(2);
	assert_true(c->saved >= 0);
	assert_true(dup2(fd, 2) == 2);
	close(fd);
}

/* Stops capturing; the lines logged (caller frees). */
static char *capture_end(struct capture *c)
{
	char *text = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;

	fflush(stderr);
	assert_true(dup2(c->saved, 2) == 2);
	close(c->saved);
	f = fopen(c->path, "r");
	assert_non_null(f);
	n = getdelim(&text, &cap, '\0', f);
	fclose(f);
	unlink(c->path);
	if (n < 0) {
		free(text);
		return strdup("");
	}
	return text;
}

static int count(const char *text, const char *needle)
{
	int n = 0;
	for (const char *p = strstr(text, needle); p != NULL; p = strstr(p + 1, needle)) {
		n++;
	}
	return n;
}

/*
 * A spool of two segments on a disk that refuses the ack: acknowledging
 * into the second segment still deletes the first (on a full disk, that is
 * the room that lets reading resume), and the save's failure is one line.
 */
static void test_ack_unsaved_deletes_segments(void **state)
{
	char *dir = tu_tmpdir(), *log;
	struct spool *sp;
	struct spool_pos end;
	struct capture c;
	uint64_t ids[8];
	size_t in_first;
	int rc[3];

	(void)state;
	sp = spool_open(dir);
	assert_non_null(sp);
	append_events(sp, 0, EVENTS);
	assert_int_equal(segments(dir, ids, 8), 2);
	{
		char path[4096];
		struct stat st;
		snprintf(path, sizeof path, "%s/spool/%016" PRIx64 ".seg", dir, ids[0]);
		assert_int_equal(stat(path, &st), 0);
		/* Records: a 16-byte header, 50 fixed bytes, the id, the JSON. */
		uint64_t off = 16;
		char id[32];
		for (in_first = 0; off < (uint64_t)st.st_size; in_first++) {
			off += 16 + 50 + (uint64_t)snprintf(id, sizeof id, "ev-%zu", in_first) + JSON_LEN;
		}
		assert_int_equal(off, st.st_size);
		assert_true(in_first > 100 && in_first < EVENTS - 10);
	}
	/* A first ack saved: it points into the first segment. */
	assert_int_equal(read_ack(sp, 10, &end), 0);
	assert_int_equal(end.seg, ids[0]);

	ack_save_fails(dir, 1);
	capture_start(&c);
	/* Into the second segment: the first goes, unsaved ack or not. */
	rc[0] = read_ack(sp, in_first - 10 + 2, &end);
	/* More requests answered while the disk stays full: no new line. */
	rc[1] = read_ack(sp, 1, NULL);
	rc[2] = read_ack(sp, 1, NULL);
	log = capture_end(&c);
	assert_int_equal(rc[0], -1);
	assert_int_equal(rc[1], -1);
	assert_int_equal(rc[2], -1);
	assert_int_equal(end.seg, ids[1]);
	assert_int_equal(segments(dir, ids, 8), 1);
	assert_int_equal(ids[0], end.seg);
	assert_int_equal(count(log, "/ack"), 1);
	assert_contains(log, "Is a directory");
	free(log);
	assert_int_equal(spool_events(sp), EVENTS - in_first - 4);
	spool_close(sp);

	/* A start now finds the saved ack's segment gone: everything of the
	 * first segment left is sent again, nothing is skipped. */
	ack_save_fails(dir, 0);
	sp = spool_open(dir);
	assert_non_null(sp);
	assert_int_equal(spool_events(sp), EVENTS - in_first);
	{
		struct spool_batch b = {0};
		char want[32];
		assert_int_equal(spool_read_batch(sp, 1, SIZE_MAX, &b), 1);
		snprintf(want, sizeof want, "ev-%zu", in_first);
		assert_string_equal(b.items[0].event_id, want);
		spool_batch_free(&b);
	}
	spool_close(sp);
	tu_rmtree(dir);
	free(dir);
}

/* Each spell of failed saves is logged once; the save that works again is told. */
static void test_ack_unsaved_logged_once_per_spell(void **state)
{
	char *dir = tu_tmpdir(), *log, path[4096];
	struct spool *sp;
	struct capture c;
	int rc[6], rmdir_rc, mkdir_rc;

	(void)state;
	snprintf(path, sizeof path, "%s/spool/.ack.tmp", dir);
	sp = spool_open(dir);
	assert_non_null(sp);
	append_events(sp, 0, 8);
	ack_save_fails(dir, 1);
	capture_start(&c);
	rc[0] = read_ack(sp, 1, NULL);
	rc[1] = read_ack(sp, 1, NULL);
	rmdir_rc = rmdir(path);
	rc[2] = read_ack(sp, 1, NULL);
	rc[3] = read_ack(sp, 1, NULL);
	mkdir_rc = mkdir(path, 0700);
	rc[4] = read_ack(sp, 1, NULL);
	rc[5] = read_ack(sp, 1, NULL);
	log = capture_end(&c);
	assert_int_equal(rmdir_rc, 0);
	assert_int_equal(mkdir_rc, 0);
	for (int i = 0; i < 6; i++) {
		assert_int_equal(rc[i], i == 2 || i == 3 ? 0 : -1);
	}
	assert_int_equal(count(log, "warning: save "), 2);
	assert_int_equal(count(log, "saved again"), 1);
	free(log);
	ack_save_fails(dir, 0);
	spool_close(sp);
	tu_rmtree(dir);
	free(dir);
}

/* One small event of TYPE for the line at OFFSET of input ID. */
static void append_one(struct spool *sp, const char *id, uint64_t offset, int type)
{
	char eid[48];
	snprintf(eid, sizeof eid, "ev-%.4s-%" PRIu64 "-%d", id, offset, type);
	struct spool_rec r = {.identity = id, .offset = offset, .time = 1795860000, .type = type,
			      .event_id = eid, .json = "{}", .len = 2};
	assert_int_equal(spool_append(sp, &r), 0);
}

#define OTHER "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"

/* Whether the event append_one() gave for OFFSET and TYPE is known as seen. */
static int seen(struct spool *sp, uint64_t offset, int type)
{
	char eid[48];
	snprintf(eid, sizeof eid, "ev-%.4s-%" PRIu64 "-%d", IDENTITY, offset, type);
	return spool_seen(sp, eid, type);
}

static void test_seen(void **state)
{
	char *dir = tu_tmpdir(), path[4096];
	struct spool *sp;
	(void)state;

	/* Line 0 (two events, types 2 and 5) committed and checkpointed;
	 * lines 100 (two events) and 200 (its first event only: a crash
	 * cut it) committed, then a crash before the checkpoint. */
	sp = spool_open(dir);
	assert_non_null(sp);
	append_one(sp, IDENTITY, 0, 2);
	append_one(sp, IDENTITY, 0, 5);
	assert_int_equal(spool_commit(sp), 0);
	spool_checkpointed(sp, 1);
	append_one(sp, IDENTITY, 100, 2);
	append_one(sp, IDENTITY, 100, 5);
	append_one(sp, IDENTITY, 200, 2);
	append_one(sp, OTHER, 0, 2);
	assert_int_equal(spool_commit(sp), 0);
	/* Read forward, nothing is ever met again. */
	assert_false(seen(sp, 100, 2));
	spool_close(sp);

	/* The restart: the events after the checkpointed position are known,
	 * those before it and the one the crash cut off are not. */
	sp = spool_open(dir);
	assert_non_null(sp);
	assert_true(seen(sp, 100, 2));
	assert_true(seen(sp, 100, 5));
	assert_true(seen(sp, 200, 2));
	assert_false(seen(sp, 200, 5));
	assert_false(seen(sp, 0, 2));
	assert_false(seen(sp, 0, 5));
	/* One event_id, another type: another event. */
	assert_false(spool_seen(sp, "ev-0011-100-2", 5));

	/* A checkpoint saved before those lines were read again leaves them
	 * known, here and after another stop. */
	spool_checkpointed(sp, 0);
	assert_true(seen(sp, 100, 2));
	spool_close(sp);
	sp = spool_open(dir);
	assert_non_null(sp);
	assert_true(seen(sp, 100, 2));
	assert_true(seen(sp, 200, 2));
	/* Read again to the end: forgotten, the position moves on. */
	spool_checkpointed(sp, 1);
	assert_false(seen(sp, 100, 2));

	/* A rollback (the files back to their saved checkpoints): what was
	 * committed since is known too, what was rolled back is not. */
	append_one(sp, IDENTITY, 300, 2);
	assert_int_equal(spool_commit(sp), 0);
	append_one(sp, IDENTITY, 400, 2);
	spool_rollback(sp);
	assert_true(seen(sp, 300, 2));
	assert_false(seen(sp, 400, 2));
	spool_close(sp);

	/* A spool without its ckpt file (an older agent's): everything
	 * pending is known. */
	snprintf(path, sizeof path, "%s/spool/ckpt", dir);
	assert_int_equal(unlink(path), 0);
	sp = spool_open(dir);
	assert_non_null(sp);
	assert_true(seen(sp, 0, 2));
	assert_true(seen(sp, 300, 2));
	assert_false(seen(sp, 400, 2));
	spool_close(sp);
	tu_rmtree(dir);
	free(dir);
}

/* More events than the set keeps: the newest are kept, also those a
 * rollback adds to a full set (older ones give way). */
static void test_seen_cap(void **state)
{
	char *dir = tu_tmpdir();
	struct spool *sp;
	(void)state;

	sp = spool_open(dir);
	assert_non_null(sp);
	for (uint64_t i = 0; i < 140000; i++) {
		append_one(sp, IDENTITY, i, 1);
	}
	assert_int_equal(spool_commit(sp), 0);
	spool_close(sp);
	sp = spool_open(dir); /* no checkpoint noted: all pending are met again */
	assert_non_null(sp);
	assert_true(seen(sp, 139999, 1));
	assert_false(seen(sp, 0, 1)); /* the oldest gave way */
	spool_checkpointed(sp, 0); /* not read again yet: kept */
	append_one(sp, IDENTITY, 200000, 1);
	assert_int_equal(spool_commit(sp), 0);
	append_one(sp, IDENTITY, 200001, 1);
	spool_rollback(sp);
	assert_true(seen(sp, 200000, 1));
	assert_false(seen(sp, 200001, 1));
	spool_close(sp);
	tu_rmtree(dir);
	free(dir);
}

/* An ack naming a segment that is not there: every pending event is kept. */
static void test_ack_damaged(void **state)
{
	char *dir = tu_tmpdir(), path[4096];
	uint64_t ids[8];
	struct spool *sp;
	FILE *f;
	(void)state;

	sp = spool_open(dir);
	assert_non_null(sp);
	append_events(sp, 0, EVENTS);
	spool_close(sp);
	assert_int_equal(segments(dir, ids, 8), 2);
	snprintf(path, sizeof path, "%s/spool/ack", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "pintail-spool-ack 1 %" PRIu64 " 16 0\n", ids[1] + 7);
	fclose(f);
	sp = spool_open(dir);
	assert_non_null(sp);
	assert_int_equal(spool_events(sp), EVENTS);
	assert_int_equal(segments(dir, ids, 8), 2);
	spool_close(sp);
	tu_rmtree(dir);
	free(dir);
}

/* The event ids of a batch of all there is (at most 8), "ev-0,ev-2". */
static void batch_ids(struct spool *sp, char *out, size_t len)
{
	struct spool_batch b = {0};
	out[0] = '\0';
	assert_true(spool_read_batch(sp, 8, SIZE_MAX, &b) >= 0);
	for (size_t i = 0; i < b.n; i++) {
		size_t k = strlen(out);
		snprintf(out + k, len - k, "%s%s", i ? "," : "", b.items[i].event_id);
	}
	spool_batch_free(&b);
}

/* The one segment file of DIR's spool, its path into PATH. */
static void only_segment(const char *dir, char *path, size_t len)
{
	uint64_t ids[4];
	assert_int_equal(segments(dir, ids, 4), 1);
	snprintf(path, len, "%s/spool/%016" PRIx64 ".seg", dir, ids[0]);
}

/*
 * A byte of a record changed on disk (a bad sector, a stray write), the
 * rest of the segment sound: the spool's open checks every record's CRC,
 * counts that one corrupt and never sends it; the others are sent.
 */
static void test_flipped_byte(void **state)
{
	char *dir = tu_tmpdir(), path[4096], ids[256];
	uint32_t h[4];
	uint64_t off = 16; /* past the segment's header */
	unsigned char c;
	struct spool *sp;
	int fd;
	(void)state;

	sp = spool_open(dir);
	assert_non_null(sp);
	append_small(sp, 0, 3);
	spool_close(sp);

	/* The last byte of the second record's payload. */
	only_segment(dir, path, sizeof path);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, h, sizeof h, (off_t)off), sizeof h);
	off += sizeof h + le32toh(h[1]);
	assert_int_equal(pread(fd, h, sizeof h, (off_t)off), sizeof h);
	off += sizeof h + le32toh(h[1]) - 1;
	assert_int_equal(pread(fd, &c, 1, (off_t)off), 1);
	c ^= 0x20;
	assert_int_equal(pwrite(fd, &c, 1, (off_t)off), 1);
	close(fd);

	sp = spool_open(dir);
	assert_non_null(sp);
	assert_int_equal(spool_corrupt(sp), 1);
	assert_int_equal(spool_events(sp), 2);
	batch_ids(sp, ids, sizeof ids);
	assert_string_equal(ids, "ev-0,ev-2");
	spool_close(sp);
	tu_rmtree(dir);
	free(dir);
}

/*
 * A drained segment emptied in place (it was big enough), new events
 * appended to it, then a stop before they were acknowledged: the saved ack
 * points past the old contents, in the segment's old generation, and must
 * count for nothing: the new events are all sent after the start.
 */
static void test_ack_of_old_generation(void **state)
{
	char *dir = tu_tmpdir(), path[4096], ids[256];
	struct stat st;
	struct spool *sp;
	(void)state;

	sp = spool_open(dir);
	assert_non_null(sp);
	append_events(sp, 0, 1); /* 64 KiB: emptied once acknowledged */
	assert_int_equal(read_ack(sp, 1, NULL), 0);
	only_segment(dir, path, sizeof path);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 16); /* emptied in place */
	append_small(sp, 1, 3);
	spool_close(sp);

	sp = spool_open(dir);
	assert_non_null(sp);
	assert_int_equal(spool_events(sp), 3);
	assert_int_equal(spool_corrupt(sp), 0);
	batch_ids(sp, ids, sizeof ids);
	assert_string_equal(ids, "ev-1,ev-2,ev-3");
	spool_close(sp);
	tu_rmtree(dir);
	free(dir);
}

/*
 * A few bytes of garbage, fewer than a record's header, at the end of a
 * segment that is not the last (disk damage): the open counts them as
 * corrupt, and the batch reader steps over them to the next segment (it
 * took them for a short read and stalled sending for good).
 */
static void test_short_tail_not_last(void **state)
{
	char *dir = tu_tmpdir(), path[4096], ids[256];
	uint64_t segs[4];
	struct spool *sp;
	FILE *f;
	int in, out;
	char head[16];
	(void)state;

	sp = spool_open(dir);
	assert_non_null(sp);
	append_small(sp, 0, 2);
	spool_close(sp);
	only_segment(dir, path, sizeof path);
	f = fopen(path, "ab");
	assert_non_null(f);
	fputs("GARBAGE!!!", f);
	fclose(f);
	/* A second, empty segment after it, with the first one's header. */
	in = open(path, O_RDONLY);
	assert_true(in >= 0);
	assert_int_equal(read(in, head, sizeof head), sizeof head);
	close(in);
	assert_int_equal(segments(dir, segs, 4), 1);
	snprintf(path, sizeof path, "%s/spool/%016" PRIx64 ".seg", dir, segs[0] + 1);
	out = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(out >= 0);
	assert_int_equal(write(out, head, sizeof head), sizeof head);
	close(out);

	sp = spool_open(dir);
	assert_non_null(sp);
	assert_int_equal(spool_corrupt(sp), 1);
	append_small(sp, 2, 1);
	batch_ids(sp, ids, sizeof ids);
	assert_string_equal(ids, "ev-0,ev-1,ev-2");
	spool_close(sp);
	tu_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seen),
		cmocka_unit_test(test_seen_cap),
		cmocka_unit_test(test_ack_damaged),
		cmocka_unit_test(test_flipped_byte),
		cmocka_unit_test(test_ack_of_old_generation),
		cmocka_unit_test(test_short_tail_not_last),
		cmocka_unit_test(test_ack_unsaved_deletes_segments),
		cmocka_unit_test(test_ack_unsaved_logged_once_per_spell),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
