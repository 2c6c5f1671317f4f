#include "spool.h"

#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libdeflate.h>

#include "hash.h"
#include "decode.h"
#include "log.h"
#include "statedir.h"

#define SEG_MAGIC "PTSPOOL\0"
#define SEG_VERSION 1
#define SEG_HEADER 16
#define SEG_MAX (8u << 20)     /* a new segment past this size */
#define REC_MAGIC 0x31525450u  /* "PTR1" */
#define REC_HEADER 16
#define REC_FIXED 50           /* offset 8, identity 32, time 8, type 1, id length 1 */
#define REC_MAX (16u << 20)    /* no record is larger: a bigger length is corrupt */
#define WBUF_FLUSH (256u << 10) /* appends are written in pieces of about this size */
#define RETIRE_MIN (64u << 10)  /* a drained segment this big is emptied in place */

struct seg {
	uint64_t id;
	uint64_t size;
	uint32_t gen;  /* bumped each time the segment is emptied in place */
};

/*
 * The events a restart or a rollback may meet again: those of the records
 * appended after the spool position the last saved checkpoint covers.
 * Their lines lie past the files' checkpointed offsets and are read again;
 * their events are not spooled twice.  Kept as 64-bit hashes of (event_id,
 * type), the pair Pinterest deduplicates on: an event met again with the
 * same pair is the same event (SPEC §4), so no other line is ever taken
 * for it, whatever its file.  Empty (NULL) but after a crash or a rollback,
 * and emptied once the site has read again every line its files held then
 * (those of these records among them): the position then moves on, and not
 * before, so that a second stop before that knows them again.
 */
struct seen {
	uint64_t *slot; /* open addressing; 0 is empty */
	size_t cap, n;   /* cap a power of two */
};

/* At most this many events are remembered, the newest (those of the lines
 * read last before a crash); past it, an event met again may be spooled
 * twice (same event_id: Pinterest counts it once). */
#define SEEN_MAX (1u << 17)

struct spool {
	char *dir;                /* .../SITE/spool */
	struct seg *segs;         /* ascending; the last one takes appends */
	size_t nsegs;
	int wfd;                  /* the last segment, for appending */
	struct spool_pos ack;     /* first unacknowledged byte */
	uint32_t ack_gen;         /* the generation of ack.seg the ack was made in */
	int ack_unsaved;          /* the last save of the ack failed (logged once) */
	struct spool_pos commit;  /* end of what is durable */
	struct spool_pos read;    /* where the next batch starts */
	uint64_t events;          /* unacknowledged events */
	uint64_t uncommitted;     /* events appended since the last commit */
	uint64_t uncommitted_bytes;
	uint64_t corrupt;
	int new_segment;          /* a segment was made since the last commit */
	struct spool_pos ckpt;    /* the commit the last saved checkpoint covers... */
	uint32_t ckpt_gen;        /* ...in this generation of its segment */
	int have_ckpt;            /* ckpt known (else: everything after the ack) */
	struct seen seen;
	struct spool_pos seen_to; /* records up to here are in SEEN (seg 0: none)... */
	uint32_t seen_to_gen;     /* ...in this generation of its segment */
	int rfd;                  /* cached reader fd */
	uint64_t rseg;
	struct buf wbuf;          /* records appended, not yet written */
	struct buf rbuf;          /* the record being read */
	struct buf ra;            /* read-ahead of the batch reader... */
	uint64_t ra_seg, ra_off;  /* ...what it holds: segment and offset */
	const char *step;         /* what failed last (spool_failed_step()) */
	int read_failing;         /* a batch could not be read (said once) */
	int cut_pending;          /* a rollback could not cut the segment back to commit... */
	int gen_pending;          /* ...or retire() its generation: done before any write */
	char append_hex[64];      /* the last appended record's identity... */
	uint8_t append_raw[32];   /* ...in raw form */
};

static void seg_path(const struct spool *sp, uint64_t id, char *out, size_t len)
{
	snprintf(out, len, "%s/%016" PRIx64 ".seg", sp->dir, id);
}

static int hex_to_raw(const char *hex, uint8_t raw[32])
{
	for (int i = 0; i < 32; i++) {
		int hi = hexval((unsigned char)hex[2 * i]), lo = hexval((unsigned char)hex[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			return -1;
		}
		raw[i] = (uint8_t)(hi * 16 + lo);
	}
	return 0;
}

/* ---- opening: segments, the ack position, a scan of what is pending ---- */

static int cmp_seg(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int list_segments(struct spool *sp)
{
	DIR *d = opendir(sp->dir);
	struct dirent *de;

	if (d == NULL) {
		log_err("open %s: %s", sp->dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		char *end;
		uint64_t id = strtoull(de->d_name, &end, 16);
		struct seg *ns;
		if (strlen(de->d_name) != 20 || strcmp(end, ".seg") != 0) {
			continue;
		}
		ns = realloc(sp->segs, (sp->nsegs + 1) * sizeof *ns);
		if (ns == NULL) {
			closedir(d);
			return -1;
		}
		sp->segs = ns;
		sp->segs[sp->nsegs].id = id;
		sp->segs[sp->nsegs].size = 0;
		sp->segs[sp->nsegs].gen = 0;
		sp->nsegs++;
	}
	closedir(d);
	if (sp->nsegs > 1) {
		qsort(sp->segs, sp->nsegs, sizeof *sp->segs, cmp_seg);
	}
	return 0;
}

/* Reads the ack: 0, or -1 when it cannot be read now (logged): taken for
 * absent, it would send again everything acknowledged. */
static int load_ack(struct spool *sp)
{
	char path[4096];
	unsigned long long seg, off;
	FILE *f;
	unsigned gen = 0;
	int got;

	snprintf(path, sizeof path, "%s/ack", sp->dir);
	f = fopen(path, "re");
	sp->ack.seg = sp->nsegs ? sp->segs[0].id : 1;
	sp->ack.off = SEG_HEADER;
	if (f == NULL) {
		if (errno == ENOENT) {
			return 0;
		}
		log_err("open %s: %s; the site starts later", path, strerror(errno));
		return -1;
	}
	got = fscanf(f, "pintail-spool-ack 1 %llu %llu %u", &seg, &off, &gen);
	if (ferror(f)) {
		log_err("read %s: %s; the site starts later", path, strerror(errno ? errno : EIO));
		fclose(f);
		return -1;
	}
	if (got >= 2) {
		sp->ack.seg = seg;
		sp->ack.off = off;
		sp->ack_gen = gen;
	} else {
		log_err("%s: unreadable; sending every pending event again", path);
	}
	fclose(f);
	return 0;
}

/* ---- events met again (see struct seen) ---- */

static uint64_t seen_key(const char *event_id, size_t idlen, uint8_t type)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a, then the type mixed in */
	for (size_t i = 0; i < idlen; i++) {
		h = (h ^ (uint8_t)event_id[i]) * 0x100000001b3ULL;
	}
	h ^= (uint64_t)(type + 1) * 0x9e3779b97f4a7c15ULL;
	h ^= h >> 29;
	return h != 0 ? h : 1;
}

static int seen_has(const struct seen *st, uint64_t k)
{
	for (size_t i = k & (st->cap - 1);; i = (i + 1) & (st->cap - 1)) {
		if (st->slot[i] == k) {
			return 1;
		}
		if (st->slot[i] == 0) {
			return 0;
		}
	}
}

static void seen_add(struct seen *st, uint64_t k)
{
	if (st->n >= SEEN_MAX) {
		return;
	}
	if (st->cap == 0 || (st->n + 1) * 2 > st->cap) {
		size_t cap = st->cap ? st->cap * 2 : 1024;
		uint64_t *slot = calloc(cap, sizeof *slot), *old = st->slot;
		size_t oldcap = st->cap;
		if (slot == NULL) {
			return; /* not remembered: at worst spooled twice, same event_id */
		}
		st->slot = slot;
		st->cap = cap;
		st->n = 0;
		for (size_t i = 0; i < oldcap; i++) {
			if (old[i] != 0) {
				seen_add(st, old[i]);
			}
		}
		free(old);
	}
	for (size_t i = k & (st->cap - 1);; i = (i + 1) & (st->cap - 1)) {
		if (st->slot[i] == k) {
			return;
		}
		if (st->slot[i] == 0) {
			st->slot[i] = k;
			st->n++;
			return;
		}
	}
}

/* The ckpt file: the spool position the last saved checkpoint covers. */
static void load_ckpt(struct spool *sp)
{
	char path[4096];
	unsigned long long seg, off;
	unsigned gen;
	FILE *f;

	snprintf(path, sizeof path, "%s/ckpt", sp->dir);
	f = fopen(path, "re");
	if (f == NULL) {
		return; /* an older agent's spool, or none saved yet: from the ack */
	}
	if (fscanf(f, "pintail-spool-ckpt 1 %llu %llu %u", &seg, &off, &gen) == 3) {
		sp->ckpt.seg = seg;
		sp->ckpt.off = off;
		sp->ckpt_gen = gen;
		sp->have_ckpt = 1;
	}
	fclose(f);
}

/*
 * Reads the record at OFF of FD (file size SIZE) into BUF.  Returns its
 * total length, with the payload at BUF->p, when it is sound; 0 when the
 * bytes at OFF are not a sound record; REC_UNREAD (errno set) when they
 * could not be read (an I/O error, out of memory): that is no corruption,
 * and nothing may be cut or skipped for it.  The CRC is checked when
 * VERIFY is set: always when a spool is opened, and afterwards only where
 * the open found corruption (records this process wrote are known sound).
 */
#define REC_UNREAD UINT64_MAX

/* Reads N bytes at OFF: 1 when all came, 0 when the file ended before,
 * -1 on an error (errno). */
static int read_at(int fd, void *p, size_t n, uint64_t off)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = pread(fd, (char *)p + got, n - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR) {
			continue;
		}
		if (r < 0) {
			return -1;
		}
		if (r == 0) {
			return 0;
		}
		got += (size_t)r;
	}
	return 1;
}

static uint64_t read_record(int fd, uint64_t off, uint64_t size, struct buf *buf, int verify)
{
	uint32_t h[4];
	uint32_t len;
	int r;

	if (size - off < REC_HEADER) {
		return 0;
	}
	if ((r = read_at(fd, h, REC_HEADER, off)) <= 0) {
		return r < 0 ? REC_UNREAD : 0;
	}
	len = le32toh(h[1]);
	if (le32toh(h[0]) != REC_MAGIC || len < REC_FIXED || len > REC_MAX ||
	    size - off - REC_HEADER < len) {
		return 0;
	}
	buf_reset(buf);
	if (buf_reserve(buf, len) < 0) {
		return REC_UNREAD;
	}
	if ((r = read_at(fd, buf->p, len, off + REC_HEADER)) <= 0) {
		return r < 0 ? REC_UNREAD : 0;
	}
	if (verify && libdeflate_crc32(0, buf->p, len) != le32toh(h[2])) {
		return 0;
	}
	buf->len = len;
	return REC_HEADER + len;
}

#define READ_AHEAD (1u << 20)

/*
 * The batch reader's record at OFF of segment SEG (FD, readable up to
 * SIZE), served from a read-ahead buffer so that a batch costs a few large
 * reads, not two small ones per event.  Returns the record's total length
 * and points *PAYLOAD into the buffer, 0 when it is not sound, or RA_ERROR
 * when it could not be read (out of memory, an I/O error): that is no
 * corruption, and the record must not be skipped.
 */
#define RA_ERROR UINT64_MAX

static uint64_t read_record_ra(struct spool *sp, int fd, uint64_t seg, uint64_t off,
			       uint64_t size, const uint8_t **payload, int verify)
{
	uint32_t h[4], len;
	const uint8_t *p;
	ssize_t n;

	if (size - off < REC_HEADER) {
		return 0; /* too short for a record: counted at open, stepped over */
	}
	for (int pass = 0; pass < 2; pass++) {
		if (sp->ra.len > 0 && seg == sp->ra_seg && off >= sp->ra_off &&
		    off + REC_HEADER <= sp->ra_off + sp->ra.len) {
			p = (const uint8_t *)sp->ra.p + (off - sp->ra_off);
			memcpy(h, p, REC_HEADER);
			len = le32toh(h[1]);
			if (le32toh(h[0]) != REC_MAGIC || len < REC_FIXED || len > REC_MAX ||
			    size - off - REC_HEADER < len) {
				return 0;
			}
			if (off + REC_HEADER + len <= sp->ra_off + sp->ra.len) {
				if (verify && libdeflate_crc32(0, p + REC_HEADER, len) != le32toh(h[2])) {
					return 0;
				}
				*payload = p + REC_HEADER;
				return REC_HEADER + len;
			}
		}
		if (pass == 1) {
			break;
		}
		/* Refill from OFF: at least the record's header, or all of it. */
		buf_reset(&sp->ra);
		if (buf_reserve(&sp->ra, READ_AHEAD) < 0) {
			return RA_ERROR;
		}
		n = pread(fd, sp->ra.p, (size_t)(size - off < READ_AHEAD ? size - off : READ_AHEAD),
			  (off_t)off);
		if (n < 0) {
			return RA_ERROR;
		}
		if (n >= REC_HEADER) {
			memcpy(h, sp->ra.p, REC_HEADER);
			len = le32toh(h[1]);
			if ((size_t)n < REC_HEADER + len && len <= REC_MAX && size - off >= REC_HEADER + len) {
				if (buf_reserve(&sp->ra, REC_HEADER + len) < 0 ||
				    read_at(fd, sp->ra.p + n, REC_HEADER + len - (size_t)n, off + (uint64_t)n) < 0) {
					buf_reset(&sp->ra);
					return RA_ERROR;
				}
				n = (ssize_t)(REC_HEADER + len);
			}
		}
		sp->ra.len = n > 0 ? (size_t)n : 0;
		sp->ra_seg = seg;
		sp->ra_off = off;
	}
	/* The refill read less than a whole record the size vouches for (a
	 * short read): no corruption, tried again later. */
	buf_reset(&sp->ra);
	errno = EIO;
	return RA_ERROR;
}

/* Forgets the read-ahead (a segment was cut back or emptied). */
static void ra_forget(struct spool *sp) { buf_reset(&sp->ra); }

/* The next offset after OFF where a sound record starts, or SIZE;
 * REC_UNREAD (errno set) when the segment could not be read. */
static uint64_t resync(int fd, uint64_t off, uint64_t size)
{
	uint8_t buf[65536];
	const uint32_t magic = htole32(REC_MAGIC);

	for (uint64_t pos = off + 1; pos < size;) {
		ssize_t n = pread(fd, buf, sizeof buf, (off_t)pos);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n < 0) {
			return REC_UNREAD;
		}
		if (n == 0) {
			break;
		}
		for (ssize_t i = 0; i + 4 <= n; i++) {
			struct buf rec = {0};
			uint64_t len;
			if (memcmp(buf + i, &magic, 4) != 0) {
				continue;
			}
			len = read_record(fd, pos + (uint64_t)i, size, &rec, 1);
			buf_free(&rec);
			if (len == REC_UNREAD) {
				return REC_UNREAD;
			}
			if (len > 0) {
				return pos + (uint64_t)i;
			}
		}
		pos += (uint64_t)(n > 3 ? n - 3 : n);
	}
	return size;
}

/* Reads the generation of segment S from its header: 0, or -1 when it
 * could not be read (logged). */
static int seg_gen(const struct spool *sp, struct seg *s)
{
	char path[4096], head[SEG_HEADER];
	int fd, r = 0;
	uint32_t g;

	seg_path(sp, s->id, path, sizeof path);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || (r = read_at(fd, head, SEG_HEADER, 0)) < 0) {
		log_err("read %s: %s", path, strerror(errno));
		if (fd >= 0) {
			close(fd);
		}
		return -1;
	}
	if (r > 0) {
		memcpy(&g, head + 12, 4);
		s->gen = le32toh(g);
	}
	close(fd);
	return 0;
}

/* Checks one segment from START: counts records and corrupt stretches. */
static int scan_segment(struct spool *sp, struct seg *s, uint64_t start, int last)
{
	char path[4096];
	struct stat st;
	int fd;
	uint64_t off = start;
	char head[SEG_HEADER];

	seg_path(sp, s->id, path, sizeof path);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		log_err("open %s: %s", path, strerror(errno));
		if (fd >= 0) {
			close(fd);
		}
		return -1;
	}
	s->size = (uint64_t)st.st_size;
	memset(head, 0, sizeof head);
	int r = read_at(fd, head, SEG_HEADER, 0);
	if (r < 0) {
		goto unread;
	}
	if (r > 0) {
		uint32_t g;
		memcpy(&g, head + 12, 4);
		s->gen = le32toh(g);
	}
	if (s->size < SEG_HEADER || memcmp(head, SEG_MAGIC, 8) != 0) {
		log_err("%s: not a pintail spool segment of version %d; its events are counted as corrupt",
			path, SEG_VERSION);
		sp->corrupt++;
		s->size = SEG_HEADER;
		close(fd);
		return 0;
	}
	while (off < s->size) {
		uint64_t len = read_record(fd, off, s->size, &sp->rbuf, 1), next;
		if (len == REC_UNREAD) {
			goto unread;
		}
		if (len > 0) {
			sp->events++;
			off += len;
			continue;
		}
		next = resync(fd, off, s->size);
		if (next == REC_UNREAD) {
			goto unread;
		}
		sp->corrupt++;
		if (next >= s->size && last) {
			/* A torn tail (a crash mid-write): cut it off, so that
			 * appends continue on a sound end. */
			log_warn("%s: torn record at offset %" PRIu64 " (%" PRIu64
				 " bytes) after a crash: counted as corrupt and cut off",
				 path, off, s->size - off);
			if (ftruncate(fd, (off_t)off) == 0) {
				s->size = off;
			}
			break;
		}
		log_warn("%s: corrupt record at offset %" PRIu64 ": %" PRIu64
			 " bytes skipped, counted as corrupt",
			 path, off, next - off);
		off = next;
	}
	close(fd);
	return 0;
unread:
	/* An I/O error is no corruption: nothing is cut or counted, and the
	 * spool is opened later (the site's start is tried again). */
	log_err("read %s: %s; nothing of it is dropped, and the site starts later", path, strerror(errno));
	close(fd);
	return -1;
}

static int new_segment(struct spool *sp)
{
	char path[4096], head[SEG_HEADER] = SEG_MAGIC;
	uint64_t id = sp->nsegs ? sp->segs[sp->nsegs - 1].id + 1 : 1;
	uint32_t v = htole32(SEG_VERSION);
	struct seg *ns = realloc(sp->segs, (sp->nsegs + 1) * sizeof *ns);
	int fd;

	if (ns == NULL) {
		errno = ENOMEM;
		return -1;
	}
	sp->segs = ns;
	memcpy(head + 8, &v, 4);
	seg_path(sp, id, path, sizeof path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0) {
		return -1;
	}
	if (write(fd, head, SEG_HEADER) != SEG_HEADER) {
		int saved = errno ? errno : EIO;
		close(fd);
		unlink(path);
		errno = saved;
		return -1;
	}
	if (sp->wfd >= 0) {
		/* The full segment's last records become durable here: the
		 * next commit syncs only the new segment. */
		if (fdatasync(sp->wfd) < 0) {
			int saved = errno;
			close(fd);
			unlink(path);
			errno = saved;
			return -1;
		}
		close(sp->wfd);
	}
	sp->wfd = fd;
	sp->segs[sp->nsegs].id = id;
	sp->segs[sp->nsegs].size = SEG_HEADER;
	sp->segs[sp->nsegs].gen = 0;
	sp->nsegs++;
	sp->new_segment = 1;
	return 0;
}

static void drop_segment(struct spool *sp, size_t i)
{
	char path[4096];
	seg_path(sp, sp->segs[i].id, path, sizeof path);
	if (unlink(path) < 0 && errno != ENOENT) {
		log_warn("unlink %s: %s", path, strerror(errno));
	}
	memmove(&sp->segs[i], &sp->segs[i + 1], (sp->nsegs - i - 1) * sizeof *sp->segs);
	sp->nsegs--;
}

static const struct seg *find_seg(const struct spool *sp, uint64_t id);

static int pos_before(struct spool_pos a, struct spool_pos b);

/* Appends key K to RING (at most SEEN_MAX, the oldest overwritten). */
static void ring_add(uint64_t **ring, size_t *cap, size_t *count, uint64_t k)
{
	if (*count < SEEN_MAX && *count == *cap) {
		size_t ncap = *cap ? *cap * 2 : 1024;
		uint64_t *n = realloc(*ring, (ncap < SEEN_MAX ? ncap : SEEN_MAX) * sizeof *n);
		if (n == NULL) {
			return;
		}
		*ring = n;
		*cap = ncap < SEEN_MAX ? ncap : SEEN_MAX;
	}
	(*ring)[*count % SEEN_MAX] = k;
	(*count)++;
}

/*
 * Notes the events of the records from the position the last saved
 * checkpoint covers (else from the ack), or from where the last call
 * stopped, up to the commit: those a restart or a rollback meets again
 * (struct seen).  Only sound records (CRC checked): a damaged one is not
 * sent, and its event must not be taken for sent when met again.
 */
static int seen_range(struct spool *sp)
{
	int result = 0;
	struct spool_pos from = sp->have_ckpt ? sp->ckpt : sp->ack;
	int check_gen = sp->have_ckpt;
	uint32_t gen = sp->ckpt_gen;
	uint64_t *ring = NULL;
	size_t cap = 0, count = 0;
	char path[4096];

	if (sp->seen_to.seg != 0 && !pos_before(sp->seen_to, from)) {
		from = sp->seen_to;
		gen = sp->seen_to_gen;
		check_gen = 1;
	}
	for (size_t i = 0; i < sp->nsegs; i++) {
		const struct seg *sg = &sp->segs[i];
		uint64_t off = SEG_HEADER, end = sg->size;
		int fd;

		if (sg->id < from.seg || sg->id > sp->commit.seg) {
			continue;
		}
		/* A position counts in the generation it was taken in: a
		 * segment emptied in place since holds only newer records. */
		if (sg->id == from.seg && (!check_gen || sg->gen == gen)) {
			off = from.off;
		}
		if (sg->id == sp->commit.seg && sp->commit.off < end) {
			end = sp->commit.off;
		}
		seg_path(sp, sg->id, path, sizeof path);
		if (off >= end) {
			continue;
		}
		if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
			log_err("open %s: %s", path, strerror(errno));
			result = -1;
			break;
		}
		while (off < end) {
			uint64_t len = read_record(fd, off, end, &sp->rbuf, 1);
			const uint8_t *p = (const uint8_t *)sp->rbuf.p;
			if (len == 0) {
				len = resync(fd, off, end);
				if (len != REC_UNREAD) {
					off = len;
					continue;
				}
			}
			if (len == REC_UNREAD) {
				log_err("read %s: %s", path, strerror(errno));
				result = -1;
				break;
			}
			if (REC_FIXED + (size_t)p[49] <= sp->rbuf.len) {
				ring_add(&ring, &cap, &count, seen_key((const char *)p + REC_FIXED, p[49], p[48]));
			}
			off += len;
		}
		close(fd);
		if (result < 0) {
			break;
		}
	}
	/* The newest are those to keep: when the set cannot take them all,
	 * what it holds (all older) goes. */
	if (sp->seen.n + (count < SEEN_MAX ? count : SEEN_MAX) > SEEN_MAX) {
		free(sp->seen.slot);
		memset(&sp->seen, 0, sizeof sp->seen);
	}
	for (size_t i = 0; i < count && i < cap; i++) {
		seen_add(&sp->seen, ring[i]);
	}
	free(ring);
	sp->seen_to = sp->commit;
	sp->seen_to_gen = sp->segs[sp->nsegs - 1].gen;
	return result;
}

struct spool *spool_open(const char *dir)
{
	struct spool *sp = calloc(1, sizeof *sp);
	char path[4096];

	if (sp == NULL) {
		return NULL;
	}
	sp->wfd = sp->rfd = -1;
	snprintf(path, sizeof path, "%s/spool", dir);
	sp->dir = strdup(path);
	if (sp->dir == NULL || statedir_mkdir(sp->dir, 0700) < 0 || list_segments(sp) < 0) {
		spool_close(sp);
		return NULL;
	}
	if (load_ack(sp) < 0) {
		spool_close(sp);
		return NULL;
	}
	load_ckpt(sp);
	/* An ack older than every segment is normal (its segment went after
	 * a later, unsaved ack); one naming a segment that is not there while
	 * an older one is, or one past the last, is damaged: trusting it
	 * would delete events never sent. */
	if (sp->nsegs > 0 && sp->ack.seg > sp->segs[0].id && find_seg(sp, sp->ack.seg) == NULL) {
		log_err("%s/ack names segment %" PRIu64 ", which is not there: damaged; sending every "
			"pending event again", sp->dir, sp->ack.seg);
		sp->ack.seg = sp->segs[0].id;
		sp->ack.off = SEG_HEADER;
		sp->ack_gen = 0; /* from its top whatever its generation */
	}
	/* Segments wholly acknowledged (a crash before their deletion). */
	while (sp->nsegs > 0 && sp->segs[0].id < sp->ack.seg) {
		drop_segment(sp, 0);
	}
	for (size_t i = 0; i < sp->nsegs; i++) {
		struct seg *sg = &sp->segs[i];
		uint64_t start = SEG_HEADER;
		if (sg->id == sp->ack.seg) {
			/* The ack counts only for the generation it was made in: a
			 * segment emptied in place since starts over from its top. */
			if (seg_gen(sp, sg) < 0) {
				spool_close(sp);
				return NULL;
			}
			start = sg->gen == sp->ack_gen ? sp->ack.off : SEG_HEADER;
			sp->ack.off = start;
		}
		if (scan_segment(sp, sg, start, i + 1 == sp->nsegs) < 0) {
			/* Unreadable is not corrupt: left as it is for a later
			 * start, never dropped with its events. */
			spool_close(sp);
			return NULL;
		}
		if (sg->id == sp->ack.seg && sp->ack.off > sg->size) {
			/* Emptied in place (retire()) without its next generation
			 * saved (a crash between, a failed write): the saved ack,
			 * past the end, would skip the records appended from now
			 * on.  The generation is bumped before the next write. */
			if (sg->gen == sp->ack_gen && i + 1 == sp->nsegs && sg->size == SEG_HEADER) {
				sp->gen_pending = 1;
			}
			sp->ack.off = sg->size;
		}
	}
	if (sp->nsegs == 0) {
		if (new_segment(sp) < 0) {
			log_err("create a spool segment in %s: %s", sp->dir, strerror(errno));
			spool_close(sp);
			return NULL;
		}
		sp->ack.seg = sp->segs[0].id;
		sp->ack.off = SEG_HEADER;
	} else {
		seg_path(sp, sp->segs[sp->nsegs - 1].id, path, sizeof path);
		sp->wfd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
		if (sp->wfd < 0) {
			log_err("open %s: %s", path, strerror(errno));
			spool_close(sp);
			return NULL;
		}
	}
	if (sp->ack.seg < sp->segs[0].id) {
		sp->ack.seg = sp->segs[0].id;
		sp->ack.off = SEG_HEADER;
	}
	sp->commit.seg = sp->segs[sp->nsegs - 1].id;
	sp->commit.off = sp->segs[sp->nsegs - 1].size;
	sp->read = sp->ack;
	/* After a crash between the spool's fsync and the checkpoint's, the
	 * files are read again from their checkpoints: what they give that
	 * the spool holds already is known (a read error: the site starts
	 * later, rather than send those events twice). */
	if (seen_range(sp) < 0) {
		spool_close(sp);
		return NULL;
	}
	if (sp->corrupt > 0) {
		log_warn("spool %s: %" PRIu64 " corrupt record(s) skipped; %" PRIu64 " events pending",
			 sp->dir, sp->corrupt, sp->events);
	}
	return sp;
}

void spool_close(struct spool *sp)
{
	if (sp == NULL) {
		return;
	}
	if (sp->wfd >= 0) {
		close(sp->wfd);
	}
	if (sp->rfd >= 0) {
		close(sp->rfd);
	}
	free(sp->segs);
	free(sp->seen.slot);
	free(sp->dir);
	buf_free(&sp->wbuf);
	buf_free(&sp->rbuf);
	buf_free(&sp->ra);
	free(sp);
}

/* ---- writing ---- */

static int bump_gen(struct spool *sp);

/*
 * Cuts the last segment back to the commit (a rollback): 0, or -1 (errno)
 * with cut_pending set, nothing more being written until it is made.
 */
static int cut_to_commit(struct spool *sp)
{
	struct seg *last = &sp->segs[sp->nsegs - 1];

	if (sp->wfd < 0) {
		char path[4096];
		seg_path(sp, last->id, path, sizeof path);
		sp->wfd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	}
	if (sp->wfd < 0 || ftruncate(sp->wfd, (off_t)sp->commit.off) < 0) {
		sp->cut_pending = 1;
		return -1;
	}
	last->size = sp->commit.off;
	sp->cut_pending = 0;
	return 0;
}

/*
 * Finishes what a failed step left half done before anything more is
 * written: the cut of a rollback (else the records it took back would
 * count as committed with the next commit, and be spooled twice), the
 * generation of an emptied segment (else an ack of the old one would skip
 * new records).  0, or -1 with errno while it still cannot be done.
 */
static int mend(struct spool *sp)
{
	if (sp->cut_pending) {
		if (cut_to_commit(sp) < 0) {
			sp->step = "cut back a segment of";
			return -1;
		}
		log_info("spool %s: cut back now", sp->dir);
	}
	if (sp->gen_pending && bump_gen(sp) < 0) {
		sp->step = "save the generation of a segment of";
		return -1;
	}
	return 0;
}

/* Writes the buffered records to the last segment. 0, or -1 with errno. */
static int flush_buffer(struct spool *sp)
{
	size_t done = 0;
	struct seg *last = &sp->segs[sp->nsegs - 1];

	if ((sp->cut_pending || sp->gen_pending) && mend(sp) < 0) {
		return -1;
	}

	while (done < sp->wbuf.len) {
		ssize_t n = write(sp->wfd, sp->wbuf.p + done, sp->wbuf.len - done);
		if (n < 0) {
			if (errno == EINTR) {
				continue;
			}
			sp->step = "write";
			return -1;
		}
		done += (size_t)n;
		last->size += (uint64_t)n;
	}
	buf_reset(&sp->wbuf);
	return 0;
}

int spool_append(struct spool *sp, const struct spool_rec *r)
{
	size_t idlen = strlen(r->event_id);
	size_t plen = REC_FIXED + idlen + r->len;
	uint8_t rec[REC_HEADER + REC_FIXED];
	uint32_t h[4];
	uint64_t off = htole64(r->offset), t = htole64((uint64_t)r->time);
	uint32_t crc;
	size_t start;

	sp->step = NULL;
	if (idlen > 255 || plen > REC_MAX) {
		errno = E2BIG;
		return -1;
	}
	/* A full segment: write out what is buffered for it, start the next. */
	if (sp->segs[sp->nsegs - 1].size + sp->wbuf.len >= SEG_MAX && flush_buffer(sp) < 0) {
		return -1;
	}
	if (sp->segs[sp->nsegs - 1].size + sp->wbuf.len >= SEG_MAX && new_segment(sp) < 0) {
		sp->step = "create a segment in";
		return -1;
	}
	memcpy(rec + REC_HEADER, &off, 8);
	if (memcmp(sp->append_hex, r->identity, 64) != 0) {
		if (hex_to_raw(r->identity, sp->append_raw) < 0) {
			errno = EINVAL;
			return -1;
		}
		memcpy(sp->append_hex, r->identity, 64);
	}
	memcpy(rec + REC_HEADER + 8, sp->append_raw, 32);
	memcpy(rec + REC_HEADER + 40, &t, 8);
	rec[REC_HEADER + 48] = (uint8_t)r->type;
	rec[REC_HEADER + 49] = (uint8_t)idlen;
	h[0] = htole32(REC_MAGIC);
	h[1] = htole32((uint32_t)plen);
	h[2] = 0; /* the CRC, below */
	h[3] = 0;
	memcpy(rec, h, REC_HEADER);
	start = sp->wbuf.len;
	if (buf_add(&sp->wbuf, rec, sizeof rec) < 0 || buf_add(&sp->wbuf, r->event_id, idlen) < 0 ||
	    buf_add(&sp->wbuf, r->json, r->len) < 0) {
		/* Never half a record in the buffer. */
		sp->wbuf.len = start;
		if (sp->wbuf.p != NULL) {
			sp->wbuf.p[start] = '\0';
		}
		errno = ENOMEM;
		return -1;
	}
	/* One pass over the payload as it lies in the buffer. */
	crc = libdeflate_crc32(0, sp->wbuf.p + start + REC_HEADER, plen);
	h[2] = htole32((uint32_t)crc);
	memcpy(sp->wbuf.p + start + 8, &h[2], 4);
	sp->events++;
	sp->uncommitted++;
	sp->uncommitted_bytes += sizeof rec + idlen + r->len;
	if (sp->wbuf.len >= WBUF_FLUSH && flush_buffer(sp) < 0) {
		return -1;
	}
	return 0;
}

static int spool_dirty(const struct spool *sp) { return sp->uncommitted > 0 || sp->new_segment || sp->wbuf.len > 0; }

int spool_commit(struct spool *sp)
{
	sp->step = NULL;
	if (!spool_dirty(sp)) {
		return 0;
	}
	if (flush_buffer(sp) < 0) {
		return -1;
	}
	if (fdatasync(sp->wfd) < 0) {
		sp->step = "fsync";
		return -1;
	}
	if (sp->new_segment && statedir_sync_dir(sp->dir) < 0) {
		sp->step = "fsync the folder of";
		return -1;
	}
	sp->new_segment = 0;
	sp->uncommitted = 0;
	sp->uncommitted_bytes = 0;
	sp->commit.seg = sp->segs[sp->nsegs - 1].id;
	sp->commit.off = sp->segs[sp->nsegs - 1].size;
	return 0;
}

void spool_rollback(struct spool *sp)
{
	int was_pending = sp->cut_pending;

	buf_reset(&sp->wbuf);
	ra_forget(sp);
	/* Segments made since the commit go; the committed one is cut back. */
	while (sp->nsegs > 1 && sp->segs[sp->nsegs - 1].id > sp->commit.seg) {
		close(sp->wfd);
		sp->wfd = -1;
		drop_segment(sp, sp->nsegs - 1);
	}
	if (cut_to_commit(sp) < 0 && !was_pending) {
		int err = errno;
		char path[4096];
		seg_path(sp, sp->segs[sp->nsegs - 1].id, path, sizeof path);
		log_warn("cut back %s: %s; nothing more is written to the spool until it is", path,
			 strerror(err));
	}
	sp->events -= sp->uncommitted;
	sp->uncommitted = 0;
	sp->uncommitted_bytes = 0;
	sp->new_segment = 0;
	/* The files go back to their saved checkpoints (tsite_rewind()):
	 * the events committed since are met again. */
	if (seen_range(sp) < 0) {
		log_warn("spool %s: the events committed since the last checkpoint could not all be read "
			 "again: those met again may be spooled twice (with the same event_id, which "
			 "Pinterest counts once)", sp->dir);
	}
}

int spool_recovering(const struct spool *sp) { return sp->seen.n > 0; }

int spool_seen(const struct spool *sp, const char *event_id, int type)
{
	if (sp->seen.n == 0) {
		return 0; /* the common case: nothing to meet again */
	}
	return seen_has(&sp->seen, seen_key(event_id, strlen(event_id), (uint8_t)type));
}

void spool_checkpointed(struct spool *sp, int caught_up)
{
	char text[96], tmp[4200], path[4200];
	int n, fd;

	if (sp->seen.n > 0) {
		if (!caught_up) {
			return; /* lines still to be met again: the position stays */
		}
		free(sp->seen.slot);
		memset(&sp->seen, 0, sizeof sp->seen);
	}
	sp->ckpt = sp->commit;
	sp->ckpt_gen = sp->segs[sp->nsegs - 1].gen;
	sp->have_ckpt = 1;
	/* Not synced: a lost or older file only makes more events known at
	 * the next start (from an older position, or from the ack). */
	n = snprintf(text, sizeof text, "pintail-spool-ckpt 1 %" PRIu64 " %" PRIu64 " %u\n", sp->ckpt.seg,
		     sp->ckpt.off, (unsigned)sp->ckpt_gen);
	snprintf(tmp, sizeof tmp, "%s/.ckpt.tmp", sp->dir);
	snprintf(path, sizeof path, "%s/ckpt", sp->dir);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		return;
	}
	if (write(fd, text, (size_t)n) != n || close(fd) < 0 || rename(tmp, path) < 0) {
		unlink(tmp);
	}
}

/* ---- reading and acknowledging ---- */

static int pos_before(struct spool_pos a, struct spool_pos b)
{
	return a.seg < b.seg || (a.seg == b.seg && a.off < b.off);
}

int spool_readable(const struct spool *sp) { return pos_before(sp->read, sp->commit); }

static int reader_fd(struct spool *sp, uint64_t seg)
{
	char path[4096];
	if (sp->rfd >= 0 && sp->rseg == seg) {
		return sp->rfd;
	}
	if (sp->rfd >= 0) {
		close(sp->rfd);
	}
	seg_path(sp, seg, path, sizeof path);
	sp->rfd = open(path, O_RDONLY | O_CLOEXEC);
	sp->rseg = seg;
	if (sp->rfd < 0 && !sp->read_failing) {
		log_err("open %s: %s; tried again shortly", path, strerror(errno));
		sp->read_failing = 1;
	}
	return sp->rfd;
}

static const struct seg *find_seg(const struct spool *sp, uint64_t id)
{
	for (size_t i = 0; i < sp->nsegs; i++) {
		if (sp->segs[i].id == id) {
			return &sp->segs[i];
		}
	}
	return NULL;
}

/* Moves P to the start of the next segment when it is at its segment's end. */
static void next_segment(const struct spool *sp, struct spool_pos *p)
{
	const struct seg *s = find_seg(sp, p->seg);
	if (s != NULL && p->off >= s->size && s != &sp->segs[sp->nsegs - 1]) {
		p->seg = (s + 1)->id;
		p->off = SEG_HEADER;
	}
}

static int batch_add(struct spool_batch *b, const uint8_t *payload, size_t len)
{
	struct spool_item *it;
	int64_t t;
	size_t idlen = payload[49];

	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct spool_item *ni = realloc(b->items, cap * sizeof *ni);
		if (ni == NULL) {
			return -1;
		}
		b->items = ni;
		b->cap = cap;
	}
	if (REC_FIXED + idlen > len || idlen >= sizeof it->event_id) {
		return 0; /* sound CRC but impossible layout: skip */
	}
	it = &b->items[b->n];
	memcpy(&t, payload + 40, 8);
	it->time = (int64_t)le64toh((uint64_t)t);
	it->type = payload[48];
	memcpy(it->event_id, payload + REC_FIXED, idlen);
	it->event_id[idlen] = '\0';
	it->json_off = b->raw.len;
	it->json_len = len - REC_FIXED - idlen;
	if (buf_add(&b->raw, payload + REC_FIXED + idlen, it->json_len) < 0) {
		return -1;
	}
	b->n++;
	return 0;
}

int spool_read_batch(struct spool *sp, size_t max, size_t max_bytes, struct spool_batch *b)
{
	b->n = 0;
	buf_reset(&b->raw);
	next_segment(sp, &sp->read);
	b->start = sp->read;
	while (b->n < max && b->raw.len < max_bytes && pos_before(sp->read, sp->commit)) {
		const struct seg *s = find_seg(sp, sp->read.seg);
		uint64_t size = s->id == sp->commit.seg ? sp->commit.off : s->size;
		int fd = reader_fd(sp, s->id);
		uint64_t len;

		if (fd < 0) {
			goto fail;
		}
		if (sp->read.off >= size) {
			next_segment(sp, &sp->read);
			if (sp->read.off >= size && sp->read.seg == s->id) {
				break;
			}
			continue;
		}
		const uint8_t *payload;
		len = read_record_ra(sp, fd, s->id, sp->read.off, size, &payload, sp->corrupt > 0);
		if (len == 0) {
			/* Counted at open; stepped over here without a word. */
			uint64_t next = resync(fd, sp->read.off, size);
			if (next == REC_UNREAD) {
				/* Not a place to resume from: the rest would be
				 * skipped (and acknowledged with the batch). */
				len = RA_ERROR;
			} else {
				sp->read.off = next;
				continue;
			}
		}
		if (len == RA_ERROR) {
			if (!sp->read_failing) {
				log_err("spool %s: read: %s; tried again shortly", sp->dir,
					strerror(errno ? errno : EIO));
			}
			sp->read_failing = 1;
			goto fail;
		}
		if (batch_add(b, payload, len - REC_HEADER) < 0) {
			goto fail;
		}
		sp->read.off += len;
	}
	b->end = sp->read;
	if (sp->read_failing) {
		sp->read_failing = 0;
		log_info("spool %s: read again", sp->dir);
	}
	return (int)b->n;
fail:
	/* Nothing of this batch is taken: the next read starts where it did. */
	sp->read = b->start;
	b->n = 0;
	return -1;
}

void spool_batch_body(const struct spool_batch *b, size_t from, size_t to, struct buf *body)
{
	buf_reset(body);
	buf_adds(body, "{\"data\":[");
	for (size_t i = from; i < to; i++) {
		if (i > from) {
			buf_addc(body, ',');
		}
		buf_add(body, b->raw.p + b->items[i].json_off, b->items[i].json_len);
	}
	buf_adds(body, "]}");
}

void spool_batch_free(struct spool_batch *b)
{
	free(b->items);
	buf_free(&b->raw);
	memset(b, 0, sizeof *b);
}

/*
 * Everything in the one segment left is acknowledged: empty it in place,
 * so that a spool that has drained frees its disk (and a full disk gets
 * space back) without needing room for a new file.  It is cut back first,
 * then its generation is bumped, and both made durable before anything is
 * appended again: an ack of the old generation then counts for nothing, so
 * that new events are never skipped for it.  A crash between the two
 * leaves an empty segment of the old generation, and an ack past its end:
 * nothing to send, as it should (bumping first, a crash there sent the
 * whole acknowledged segment again).
 */
static void retire(struct spool *sp)
{
	struct seg *s = &sp->segs[sp->nsegs - 1];
	char path[4096];
	int fd;

	if (sp->nsegs != 1 || s->size < RETIRE_MIN || sp->wbuf.len > 0 || sp->uncommitted > 0 ||
	    sp->ack.seg != s->id || sp->ack.off != s->size || sp->commit.off != s->size) {
		return;
	}
	seg_path(sp, s->id, path, sizeof path);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || ftruncate(fd, SEG_HEADER) < 0) {
		log_warn("empty %s: %s", path, strerror(errno));
		if (fd >= 0) {
			close(fd);
		}
		return;
	}
	close(fd);
	ra_forget(sp);
	s->size = SEG_HEADER;
	sp->ack.off = sp->commit.off = sp->read.off = SEG_HEADER;
	sp->gen_pending = 1;
	if (bump_gen(sp) < 0) {
		log_warn("empty %s: its generation: %s; nothing more is written to the spool until it is "
			 "saved", path, strerror(errno));
	}
}

/* Saves the emptied last segment's next generation (retire()): 0, or -1
 * (errno) with gen_pending left set. */
static int bump_gen(struct spool *sp)
{
	struct seg *s = &sp->segs[sp->nsegs - 1];
	char path[4096];
	uint32_t g = htole32(s->gen + 1);
	int fd;

	seg_path(sp, s->id, path, sizeof path);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || pwrite(fd, &g, 4, 12) != 4 || fdatasync(fd) < 0) {
		int err = errno;
		if (fd >= 0) {
			close(fd);
		}
		errno = err;
		return -1;
	}
	close(fd);
	s->gen++;
	sp->ack_gen = s->gen;
	sp->gen_pending = 0;
	return 0;
}

int spool_ack(struct spool *sp, struct spool_pos end, size_t events)
{
	char text[96];
	int n, saved, err = 0;
	const char *step = NULL;

	next_segment(sp, &end);
	{
		const struct seg *s = find_seg(sp, end.seg);
		sp->ack_gen = s ? s->gen : 0;
	}
	n = snprintf(text, sizeof text, "pintail-spool-ack 1 %" PRIu64 " %" PRIu64 " %u\n", end.seg,
		     end.off, (unsigned)sp->ack_gen);
	sp->ack = end;
	sp->events = sp->events > events ? sp->events - events : 0;
	if (pos_before(sp->read, end)) {
		sp->read = end;
	}
	saved = statedir_replace(sp->dir, "ack", text, (size_t)n, &step) == 0;
	if (!saved) {
		err = errno;
		/* A full disk fails every save until room is made: one line for
		 * the whole spell, not one per request answered. */
		if (!sp->ack_unsaved) {
			log_warn("save %s/ack (%s): %s; the events since the last saved position are sent "
				 "again after a restart", sp->dir, step, strerror(err));
		}
		sp->ack_unsaved = 1;
	} else if (sp->ack_unsaved) {
		log_info("%s/ack saved again", sp->dir);
		sp->ack_unsaved = 0;
	}
	/* Segments wholly acknowledged go even when the ack could not be
	 * saved: on a full disk that is the room that lets reading resume.
	 * It is safe: the saved ack is older, so it points into one of these
	 * segments (or before them), and a start that finds its segment gone
	 * falls back to the first segment left (spool_open), sending again
	 * what was acknowledged since, never skipping anything. */
	while (sp->nsegs > 1 && sp->segs[0].id < sp->ack.seg) {
		if (sp->rfd >= 0 && sp->rseg == sp->segs[0].id) {
			close(sp->rfd);
			sp->rfd = -1;
		}
		drop_segment(sp, 0);
	}
	/* Emptying the last segment gives room back too, and needs none; an
	 * unsaved (stale) ack counts for nothing after it (see retire). */
	retire(sp);
	if (!saved) {
		errno = err;
		return -1;
	}
	return 0;
}

uint64_t spool_bytes(const struct spool *sp)
{
	uint64_t total = 0;
	for (size_t i = 0; i < sp->nsegs; i++) {
		total += sp->segs[i].size;
	}
	total += sp->wbuf.len;
	return total > sp->ack.off ? total - sp->ack.off : 0;
}

uint64_t spool_events(const struct spool *sp) { return sp->events; }

uint64_t spool_uncommitted_bytes(const struct spool *sp) { return sp->uncommitted_bytes; }

uint64_t spool_corrupt(const struct spool *sp) { return sp->corrupt; }

const char *spool_failed_step(const struct spool *sp) { return sp->step ? sp->step : "write"; }

const char *spool_dir(const struct spool *sp) { return sp->dir; }
