#include "agent.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#else
/* Without libsystemd there is no one to tell. */
#define sd_notify(unset, state) ((void)(unset), (void)(state))
#endif

#include "buf.h"
#include "checkpoint.h"
#include "clickmem.h"
#include "commands.h"
#include "config.h"
#include "diag.h"
#include "jlog.h"
#include "log.h"
#include "loop.h"
#include "pipeline.h"
#include "shipper.h"
#include "spool.h"
#include "statedir.h"
#include "tailer.h"

#define COMMIT_DELAY_MS 200       /* appended events are made durable this soon */
#define COMMIT_BYTES (4u << 20)   /* ... or as soon as this much is appended */
#define COMMIT_BYTES_MIN (64u << 10) /* ... in smaller pieces after a disk failure */
#define DISK_RETRY_MS 5000        /* a failing state disk is tried again this often */
#define START_RETRY_MS 5000       /* a site that could not start: first retry, then doubled... */
#define START_RETRY_MAX_MS 60000  /* ...up to this */
#define CLICKMEM_SAVE_MS 60000    /* the click memory is saved at most this often */
#define STATUS_EVERY_MS 5000
#define STOP_GRACE_MS 2000        /* at a stop, a request in flight may finish this long */

struct agent;

/* One site at work. */
struct asite {
	struct agent *a;
	struct site *site;           /* in a->cfg */
	char *dir;                   /* STATE/SITE */
	struct pipeline *pl;
	struct clickmem *cm;
	struct spool *spool;
	struct tsite *ts;
	struct shipper *sh;
	struct jlog *delivery;
	struct jlog *rejected;
	struct loop_timer *commit_timer;
	struct loop_timer *disk_timer;
	int disk_failed;             /* the state disk refused a write */
	int emit_failed;             /* set by emit() during one line */
	int appended;                /* emit() spooled an event of the line */
	int backpressured;
	uint64_t commit_bytes;       /* commit once this much is appended */
	int64_t clickmem_saved_at;
	struct buf line;             /* for delivery/rejected log lines */
	struct {
		uint64_t spooled;    /* events put in the spool */
		uint64_t rejected;   /* events written to rejected.log */
	} counters;
};

struct agent {
	const char *config_path;
	struct config *cfg;
	struct loop *loop;
	struct tailer *tailer;
	struct ship *ship;
	struct asite **sites;
	size_t nsites;
	int sigfd;
	int lockfd;
	int stopping;
	int64_t started;
	struct loop_timer *status_timer;
	/* Sites of the configuration that could not start (a full or failing
	 * state disk): tried again by on_start_timer(), until they do. */
	struct site **waiting;
	size_t nwaiting;
	struct loop_timer *start_timer;
	int64_t start_delay;
};

static void site_commit(struct asite *as);

/* A commit within COMMIT_DELAY_MS, unless one is due already. */
static void commit_soon(struct asite *as)
{
	if (!loop_timer_armed(as->commit_timer)) {
		loop_timer_arm(as->commit_timer, COMMIT_DELAY_MS);
	}
}
static void agent_reload(struct agent *a);
static void status_news(struct agent *a);
static void write_status(struct agent *a);

/* ---- the state disk ---- */

static void disk_failed(struct asite *as, const char *what, const char *path)
{
	if (!as->disk_failed) {
		log_err("site %s: the state disk failed (%s %s: %s): reading paused, nothing is lost; "
			"retrying every %ds", as->site->name, what, path, strerror(errno), DISK_RETRY_MS / 1000);
	}
	as->disk_failed = 1;
	/* Smaller pieces from now on: on a nearly full disk, what fits is
	 * committed, shipped, and so makes room. */
	as->commit_bytes = COMMIT_BYTES_MIN;
	/* Back to what is durable: the spool to its last commit, the files to
	 * the last saved checkpoint.  Lines since are read again later. */
	spool_rollback(as->spool);
	tsite_rewind(as->ts);
	tsite_mark_recovery(as->ts);
	tsite_pause(as->ts, 1);
	loop_timer_disarm(as->commit_timer);
	loop_timer_arm(as->disk_timer, DISK_RETRY_MS);
}

static void disk_retry(void *ctx)
{
	struct asite *as = ctx;
	if (as->a->stopping) {
		return;
	}
	tsite_pause(as->ts, as->backpressured);
	as->emit_failed = 0;
	tsite_read(as->ts);
	site_commit(as);
	if (!loop_timer_armed(as->disk_timer) && as->disk_failed) {
		log_info("site %s: the state disk takes writes again; reading resumed", as->site->name);
		as->disk_failed = 0;
	}
}

/* ---- lines and events ---- */

/* Starts a line of delivery.log or rejected.log: {"time":...,"site":... */
static struct buf *log_line_start(struct asite *as)
{
	struct buf *b = &as->line;
	buf_reset(b);
	buf_adds(b, "{\"time\":");
	buf_add_i64(b, (int64_t)time(NULL));
	buf_adds(b, ",\"site\":");
	buf_add_json_str(b, as->site->name, strlen(as->site->name));
	return b;
}

static void write_rejected(struct asite *as, const char *event_id, const char *name, const char *json,
			   size_t len, const char *message)
{
	struct buf *b = log_line_start(as);
	buf_adds(b, ",\"event_id\":");
	buf_add_json_str(b, event_id, strlen(event_id));
	buf_adds(b, ",\"event_name\":");
	buf_add_json_str(b, name, strlen(name));
	buf_adds(b, ",\"message\":");
	buf_add_json_str(b, message, strlen(message));
	if (len > 0) {
		buf_adds(b, ",\"event\":");
		buf_add(b, json, len);
	}
	buf_addc(b, '}');
	jlog_write(as->rejected, b->p, b->len);
	as->counters.rejected++;
}

static int emit(void *ctx, const struct event_out *ev)
{
	struct asite *as = ctx;
	struct spool_rec r = {.identity = ev->src->identity, .offset = ev->src->offset, .time = ev->time,
			      .type = ev->type, .event_id = ev->event_id, .json = ev->json, .len = ev->len};

	/* After a crash between the spool's fsync and the checkpoint's, or a
	 * rollback, lines already in the spool are read again: their events
	 * are not spooled twice, and a line whose events a crash cut in two
	 * gives the one missing. */
	if (spool_seen(as->spool, ev->event_id, ev->type)) {
		return 0;
	}
	if (ev->reject != NULL) {
		write_rejected(as, ev->event_id, event_type_name(ev->type), ev->json, ev->len, ev->reject);
		return 0;
	}
	if (spool_append(as->spool, &r) < 0) {
		as->emit_failed = 1;
		return -1;
	}
	as->counters.spooled++;
	as->appended = 1;
	return 0;
}

static int on_line(void *ctx, const char *line, size_t n, const struct line_src *src)
{
	struct asite *as = ctx;

	if (line == NULL) {
		pipeline_too_long(as->pl);
		return 0;
	}
	as->emit_failed = as->appended = 0;
	pipeline_line(as->pl, line, n, src, (int64_t)time(NULL), emit, as);
	if (as->emit_failed) {
		disk_failed(as, spool_failed_step(as->spool), spool_dir(as->spool));
		return -1;
	}
	if (!as->appended) {
		/* Nothing spooled (most lines; every line of a crash's window
		 * read again): no room taken, so a full spool does not pause
		 * reading on them.  The checkpoint still moves on. */
		commit_soon(as);
		return 0;
	}
	/* A long backlog is committed in pieces: what is durable can be
	 * shipped (and a full state disk loses only the last piece). */
	if (spool_uncommitted_bytes(as->spool) >= as->commit_bytes) {
		site_commit(as);
		if (as->disk_failed && loop_timer_armed(as->disk_timer)) {
			return -1;
		}
	} else {
		commit_soon(as);
	}
	if (spool_bytes(as->spool) >= as->a->cfg->agent.spool_max && !as->backpressured) {
		log_warn("site %s: the spool is full (spool_max %" PRIu64 " bytes): reading paused until "
			 "Pinterest takes events again; the logs are the buffer meanwhile",
			 as->site->name, as->a->cfg->agent.spool_max);
		as->backpressured = 1;
		tsite_pause(as->ts, 1);
	}
	return 0;
}

/* Makes appended events durable, then saves where each file is read up to. */
static void site_commit(struct asite *as)
{
	struct buf text = {0};
	const char *step = NULL;

	if (as->disk_failed && loop_timer_armed(as->disk_timer)) {
		return;
	}
	if (spool_commit(as->spool) < 0) {
		disk_failed(as, spool_failed_step(as->spool), spool_dir(as->spool));
		return;
	}
	tsite_checkpoint(as->ts, &text);
	if (checkpoint_save(as->dir, &text, &step) < 0) {
		char what[64];
		snprintf(what, sizeof what, "%s of", step ? step : "write");
		buf_free(&text);
		disk_failed(as, what, "the checkpoint");
		return;
	}
	buf_free(&text);
	spool_checkpointed(as->spool, !spool_recovering(as->spool) || tsite_recovered(as->ts));
	tsite_saved(as->ts);
	status_news(as->a);
	if (as->commit_bytes < COMMIT_BYTES) {
		as->commit_bytes *= 2; /* back to large pieces as commits succeed */
	}
	if (clickmem_dirty(as->cm) && loop_now_ms() - as->clickmem_saved_at >= CLICKMEM_SAVE_MS) {
		clickmem_save(as->cm, as->dir, (int64_t)time(NULL));
		as->clickmem_saved_at = loop_now_ms();
	}
	shipper_kick(as->sh);
}

static void on_commit_timer(void *ctx) { site_commit(ctx); }

/* A rotated file was read to its end: saved soon, so that it is closed
 * (a deleted file's space freed, its folder let go) even if no line comes. */
static void on_file_finished(void *ctx) { commit_soon(ctx); }

/* ---- what the shipper says ---- */

static void hook_request(void *ctx, int status, size_t events, size_t processed, size_t failed,
			 int64_t latency_ms, const char *error)
{
	struct asite *as = ctx;
	struct buf *b = log_line_start(as);
	buf_adds(b, ",\"events\":");
	buf_add_i64(b, (int64_t)events);
	buf_adds(b, ",\"status\":");
	buf_add_i64(b, status);
	buf_adds(b, ",\"processed\":");
	buf_add_i64(b, (int64_t)processed);
	buf_adds(b, ",\"failed\":");
	buf_add_i64(b, (int64_t)failed);
	buf_adds(b, ",\"latency_ms\":");
	buf_add_i64(b, latency_ms);
	if (error != NULL) {
		buf_adds(b, ",\"error\":");
		buf_add_json_str(b, error, strlen(error));
	}
	buf_addc(b, '}');
	jlog_write(as->delivery, b->p, b->len);
	status_news(as->a);
}

static void hook_rejected(void *ctx, const char *event_id, int type, const char *json, size_t len,
			  const char *message)
{
	struct asite *as = ctx;
	write_rejected(as, event_id, type >= 0 && type < EV_COUNT ? event_type_name((enum event_type)type) : "?",
		       json, len, message);
}

static void hook_acked(void *ctx)
{
	struct asite *as = ctx;
	/* Backpressure ends below 90% of spool_max, so it does not flap. */
	if (as->backpressured && spool_bytes(as->spool) < as->a->cfg->agent.spool_max / 10 * 9) {
		log_info("site %s: the spool has room again; reading resumed", as->site->name);
		as->backpressured = 0;
		if (!as->disk_failed) {
			tsite_pause(as->ts, 0);
			tsite_read(as->ts);
		}
	}
}

static int hook_reload_token(void *ctx)
{
	struct asite *as = ctx;
	struct diag d = {0};
	return site_read_token(as->site, &d);
}

static void shipper_conf_of(const struct agent *a, const struct site *s, struct shipper_conf *c)
{
	memset(c, 0, sizeof *c);
	c->site = s->name;
	c->api_url = s->api_url;
	c->ad_account_id = s->ad_account_id;
	c->tag_id = s->tag_id;
	c->token = (const char *const *)&s->token;
	c->ca_file = s->ca_file;
	c->test_mode = s->test_mode;
	c->batch_max = (size_t)s->batch_max;
	c->flush_interval_ms = s->flush_interval;
	c->timeout_ms = s->timeout;
	c->retry_min_ms = a->cfg->agent.retry_min;
	c->retry_max_ms = a->cfg->agent.retry_max;
	c->pause_retry_ms = a->cfg->agent.pause_retry;
	c->outage_warn_ms = a->cfg->agent.outage_warn;
	c->max_event_age_ms = s->max_event_age;
}

/* ---- sites ---- */

static void site_stop(struct asite *as)
{
	if (as == NULL) {
		return;
	}
	if (as->ts != NULL) {
		tsite_pause(as->ts, 1);
		if (!as->disk_failed) {
			site_commit(as);
		}
		tailer_remove_site(as->a->tailer, as->ts);
	}
	shipper_free(as->sh);
	if (as->cm != NULL) {
		if (clickmem_dirty(as->cm)) {
			clickmem_save(as->cm, as->dir, (int64_t)time(NULL));
		}
		clickmem_free(as->cm);
	}
	pipeline_free(as->pl);
	spool_close(as->spool);
	jlog_close(as->delivery);
	jlog_close(as->rejected);
	loop_timer_free(as->commit_timer);
	loop_timer_free(as->disk_timer);
	buf_free(&as->line);
	free(as->dir);
	free(as);
}

static struct asite *site_start(struct agent *a, struct site *s)
{
	struct asite *as = calloc(1, sizeof *as);
	struct ckpt_list ck = {0};
	struct shipper_conf sc;
	struct shipper_hooks hooks = {.request = hook_request, .rejected = hook_rejected,
				      .acked = hook_acked, .reload_token = hook_reload_token};
	struct tsite_conf tc = {0};
	char path[4096];
	int loaded;

	if (as == NULL) {
		return NULL;
	}
	as->a = a;
	as->site = s;
	as->commit_bytes = COMMIT_BYTES;
	hooks.ctx = as;
	snprintf(path, sizeof path, "%s/%s", a->cfg->agent.state_dir, s->name);
	as->dir = strdup(path);
	if (as->dir == NULL || statedir_mkdir(as->dir, 0700) < 0) {
		goto fail;
	}
	as->spool = spool_open(as->dir);
	as->cm = clickmem_load(as->dir, CLICKMEM_CAPACITY, s->click_memory / 1000, s->max_event_age / 1000,
			       (int64_t)time(NULL));
	as->pl = as->cm ? pipeline_new(a->cfg, s, as->cm) : NULL;
	snprintf(path, sizeof path, "%s/delivery.log", as->dir);
	as->delivery = jlog_open(path, JLOG_MAX);
	snprintf(path, sizeof path, "%s/rejected.log", as->dir);
	as->rejected = jlog_open(path, JLOG_MAX);
	as->commit_timer = loop_timer_new(a->loop, on_commit_timer, as);
	as->disk_timer = loop_timer_new(a->loop, disk_retry, as);
	if (as->spool == NULL || as->pl == NULL || as->commit_timer == NULL || as->disk_timer == NULL) {
		goto fail;
	}
	as->clickmem_saved_at = loop_now_ms();
	shipper_conf_of(a, s, &sc);
	as->sh = shipper_new(a->ship, &sc, as->spool, &hooks);
	if (as->sh == NULL) {
		goto fail;
	}
	loaded = checkpoint_load(as->dir, &ck);
	if (loaded == -2) {
		/* Unreadable now (an I/O error): starting afresh would read every
		 * file again and save over the good checkpoint. */
		goto fail;
	}
	tc.name = s->name;
	tc.patterns = s->logs;
	tc.max_line = (size_t)a->cfg->agent.max_line;
	tc.rotate_wait_ms = a->cfg->agent.rotate_wait;
	tc.finished = on_file_finished;
	/* An unreadable checkpoint reads files from their beginning: events
	 * already sent keep their ids, and Pinterest counts them once. */
	tc.read_from_end = loaded == 0 && s->read_from == READ_FROM_END;
	tc.fn = on_line;
	tc.ctx = as;
	as->ts = tailer_add_site(a->tailer, &tc, loaded == 1 ? &ck : NULL);
	ckpt_list_free(&ck);
	if (as->ts == NULL) {
		goto fail;
	}
	/* The lines a crash may have spooled already lie below the sizes
	 * the files have now (spool_seen()). */
	tsite_mark_recovery(as->ts);
	if (loaded != 1) {
		/* Saves the first start's offsets at once: read_from = end holds
		 * only for the very first start. */
		site_commit(as);
	}
	/* What the spool holds from before goes out now, whatever becomes of
	 * the first save: with the state disk full at the start, the
	 * shipper, started by successful saves alone, never started, and the
	 * spool, which it alone empties, never made room. */
	shipper_kick(as->sh);
	return as;
fail:
	site_stop(as);
	return NULL;
}

/*
 * Starts site S; one that cannot (its state cannot be made or opened: a
 * full or failing disk) is tried again later, 5 s then longer, up to a
 * minute, until it does or a reload drops it.
 */
static struct asite *start_or_wait(struct agent *a, struct site *s)
{
	struct asite *as = site_start(a, s);

	if (as != NULL || a->waiting == NULL) {
		return as;
	}
	a->waiting[a->nwaiting++] = s;
	if (!loop_timer_armed(a->start_timer)) {
		a->start_delay = START_RETRY_MS;
		loop_timer_arm(a->start_timer, a->start_delay);
	}
	log_err("site %s: cannot start (see above); trying again in %d s, and later every minute at most",
		s->name, START_RETRY_MS / 1000);
	return NULL;
}

static void on_start_timer(void *ctx)
{
	struct agent *a = ctx;
	size_t left = 0;

	if (a->stopping) {
		return; /* not started while the others stop */
	}
	for (size_t i = 0; i < a->nwaiting; i++) {
		struct asite *as = site_start(a, a->waiting[i]);
		if (as == NULL) {
			a->waiting[left++] = a->waiting[i];
			continue;
		}
		log_info("site %s: started", as->site->name);
		a->sites[a->nsites++] = as;
		tsite_read(as->ts);
		site_commit(as);
	}
	if (left < a->nwaiting) {
		a->nwaiting = left;
		write_status(a);
	}
	if (left > 0) {
		a->start_delay = a->start_delay * 2 < START_RETRY_MAX_MS ? a->start_delay * 2 : START_RETRY_MAX_MS;
		loop_timer_arm(a->start_timer, a->start_delay);
	}
}

/* ---- signals and the loop ---- */

static void on_signal(void *ctx, int fd, uint32_t events)
{
	struct agent *a = ctx;
	struct signalfd_siginfo si;

	(void)events;
	while (read(fd, &si, sizeof si) == sizeof si) {
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			log_info("%s: stopping", si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
			a->stopping = 1;
		} else if (si.ssi_signo == SIGHUP) {
			agent_reload(a);
		}
	}
}

static int setup_signals(struct agent *a)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0) {
		return -1;
	}
	signal(SIGPIPE, SIG_IGN);
	a->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (a->sigfd < 0) {
		log_err("signalfd: %s", strerror(errno));
		return -1;
	}
	return loop_watch(a->loop, a->sigfd, EPOLLIN, on_signal, a);
}

/* ---- status.json ---- */

struct file_ctx {
	struct buf *b;
	int first;
};

static void status_file(void *ctx, const char *path, uint64_t ino, uint64_t offset, uint64_t size,
			int rotated, const char *error)
{
	struct file_ctx *fc = ctx;
	struct buf *b = fc->b;
	buf_adds(b, fc->first ? "{\"path\":" : ",{\"path\":");
	buf_add_json_str(b, path, strlen(path));
	buf_addf(b, ",\"inode\":%" PRIu64 ",\"offset\":%" PRIu64 ",\"size\":%" PRIu64
		    ",\"lag\":%" PRIu64,
		 ino, offset, size, size > offset ? size - offset : 0);
	if (rotated) {
		buf_adds(b, ",\"rotated\":true");
	}
	if (error != NULL) {
		buf_adds(b, ",\"error\":");
		buf_add_json_str(b, error, strlen(error));
	}
	buf_addc(b, '}');
	fc->first = 0;
}

static void status_site(struct buf *b, struct asite *as)
{
	const struct shipper_stats *st = shipper_stats(as->sh);
	const struct pipeline_stats *ps = pipeline_stats(as->pl);
	struct file_ctx fc = {.b = b, .first = 1};
	uint64_t filtered = 0;

	for (int i = 1; i < FILTER_REASONS; i++) {
		filtered += ps->filtered[i];
	}
	buf_adds(b, "{\"name\":");
	buf_add_json_str(b, as->site->name, strlen(as->site->name));
	buf_addf(b, ",\"ad_account_id\":\"%s\",\"test_mode\":%s", as->site->ad_account_id,
		 as->site->test_mode ? "true" : "false");
	buf_addf(b, ",\"spooled\":%" PRIu64 ",\"spool_events\":%" PRIu64 ",\"spool_bytes\":%" PRIu64
		    ",\"delivered\":%" PRIu64 ",\"rejected\":%" PRIu64 ",\"lost\":%" PRIu64
		    ",\"corrupt\":%" PRIu64 ",\"retries\":%" PRIu64 ",\"requests\":%" PRIu64
		    ",\"warnings\":%" PRIu64,
		 as->counters.spooled, spool_events(as->spool), spool_bytes(as->spool), st->delivered,
		 as->counters.rejected, tsite_lost(as->ts), spool_corrupt(as->spool), st->retries,
		 st->requests, st->warnings);
	buf_addf(b, ",\"lines\":%" PRIu64 ",\"unparsable\":%" PRIu64 ",\"too_long\":%" PRIu64
		    ",\"filtered\":%" PRIu64 ",\"unrouted\":%" PRIu64,
		 ps->lines, ps->unparsable, ps->too_long, filtered, ps->unrouted);
	buf_addf(b, ",\"last_success\":%lld", (long long)st->last_success);
	buf_adds(b, ",\"last_error\":");
	buf_add_json_str(b, st->last_error, strlen(st->last_error));
	buf_addf(b, ",\"paused\":%s,\"pause_reason\":", st->paused ? "true" : "false");
	buf_add_json_str(b, st->pause_reason, strlen(st->pause_reason));
	buf_addf(b, ",\"backpressured\":%s,\"disk_failed\":%s,\"in_flight\":%s,\"files\":[",
		 as->backpressured ? "true" : "false", as->disk_failed ? "true" : "false",
		 st->in_flight ? "true" : "false");
	tsite_each_file(as->ts, status_file, &fc);
	buf_adds(b, "]}");
}

static void write_status(struct agent *a)
{
	struct buf b = {0};
	const char *step = NULL;

	buf_addf(&b, "{\"version\":1,\"pid\":%ld,\"written\":%lld,\"started\":%lld,\"stopped\":%s,\"sites\":[",
		 (long)getpid(), (long long)time(NULL), (long long)a->started, a->stopping ? "true" : "false");
	for (size_t i = 0; i < a->nsites; i++) {
		if (i > 0) {
			buf_addc(&b, ',');
		}
		status_site(&b, a->sites[i]);
	}
	/* Sites that could not start yet (start_or_wait()): named, so that
	 * status says why they show nothing. */
	for (size_t i = 0; i < a->nwaiting; i++) {
		const struct site *s = a->waiting[i];
		if (a->nsites > 0 || i > 0) {
			buf_addc(&b, ',');
		}
		buf_adds(&b, "{\"name\":");
		buf_add_json_str(&b, s->name, strlen(s->name));
		buf_addf(&b, ",\"ad_account_id\":\"%s\",\"test_mode\":%s,\"waiting\":true,\"files\":[]}",
			 s->ad_account_id, s->test_mode ? "true" : "false");
	}
	buf_adds(&b, "]}\n");
	if (statedir_replace(a->cfg->agent.state_dir, "status.json", b.p, b.len, &step) < 0) {
		log_debug("write status.json (%s): %s", step, strerror(errno));
	}
	buf_free(&b);
}

static void on_status_timer(void *ctx) { write_status(ctx); }

/* Something changed: status.json is written within a few seconds.  An
 * idle agent writes nothing and arms no timer. */
static void status_news(struct agent *a)
{
	if (!loop_timer_armed(a->status_timer)) {
		loop_timer_arm(a->status_timer, STATUS_EVERY_MS);
	}
}

/* ---- reload ---- */

static struct asite *find_asite(struct agent *a, const char *name)
{
	for (size_t i = 0; i < a->nsites; i++) {
		if (a->sites[i] != NULL && strcmp(a->sites[i]->site->name, name) == 0) {
			return a->sites[i];
		}
	}
	return NULL;
}

/* 1 when the site's files are followed the same way in both configurations. */
static int same_files(const struct site *x, const struct site *y)
{
	size_t n = words_count(x->logs);
	if (n != words_count(y->logs) || strcmp(x->parser_name, y->parser_name) != 0 ||
	    x->read_from != y->read_from) {
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(x->logs[i], y->logs[i]) != 0) {
			return 0;
		}
	}
	return 1;
}

/*
 * 1 when the [agent] settings a running tailer holds are the same in X and
 * Y: its line buffers are as long as max_line, and rotate_wait times its
 * renamed files.  When they differ, sites restart to take the new ones.
 */
static int same_reading(const struct config *x, const struct config *y)
{
	return x->agent.max_line == y->agent.max_line && x->agent.rotate_wait == y->agent.rotate_wait;
}

static struct asite *find_in(struct asite **list, size_t n, const struct site *s)
{
	for (size_t i = 0; i < n; i++) {
		if (list[i] != NULL && list[i]->site == s) {
			return list[i];
		}
	}
	return NULL;
}

/*
 * SIGHUP: the configuration and token files are read again.  A
 * configuration with errors is refused and the running one kept.  Sites
 * whose files are followed the same way (same files, parser, read_from,
 * max_line and rotate_wait) keep their tailer, spool and connection, with
 * the new settings; others are restarted from their checkpoint; removed
 * sites stop (their state is kept).  state_dir changes only at a restart.
 */
static void agent_reload(struct agent *a)
{
	struct diag d = {0};
	struct config *cfg;
	struct asite **next;
	size_t n = 0;

	log_info("SIGHUP: reading the configuration again");
	sd_notify(0, "RELOADING=1");
	cfg = config_load(a->config_path, CONFIG_TOKENS, &d);
	if (cfg == NULL) {
		log_err("reload refused: %s has %d error(s) (above); the running configuration is kept",
			a->config_path, d.errors);
		sd_notify(0, "READY=1");
		return;
	}
	if (strcmp(cfg->agent.state_dir, a->cfg->agent.state_dir) != 0) {
		log_warn("reload: state_dir changes only at a restart; keeping %s", a->cfg->agent.state_dir);
		free(cfg->agent.state_dir);
		cfg->agent.state_dir = strdup(a->cfg->agent.state_dir);
	}
	log_set_level((enum log_level)cfg->agent.log_level);
	next = calloc(cfg->nsites + 1, sizeof *next);
	if (next == NULL) {
		log_err("reload: out of memory; the running configuration is kept");
		config_free(cfg);
		sd_notify(0, "READY=1");
		return;
	}
	for (size_t i = 0; i < cfg->nsites; i++) {
		struct site *s = cfg->sites[i];
		struct asite *old = find_asite(a, s->name);
		struct pipeline *pl = NULL;
		/* Without memory for its new pipeline, a site is restarted below. */
		if (old != NULL && same_files(old->site, s) && same_reading(a->cfg, cfg) &&
		    (pl = pipeline_new(cfg, s, old->cm)) != NULL) {
			struct shipper_conf sc;
			/* Same files: new settings, same tailer, spool and connection. */
			site_commit(old);
			pipeline_carry_stats(pl, old->pl);
			pipeline_free(old->pl);
			old->site = s;
			old->pl = pl;
			clickmem_set_ttl(old->cm, s->click_memory / 1000, s->max_event_age / 1000);
			shipper_conf_of(a, s, &sc);
			sc.site = s->name;
			shipper_reconfigure(old->sh, &sc);
			shipper_unpause(old->sh);
			next[n++] = old;
		} else {
			if (old != NULL) {
				log_info("site %s: %s changed; restarting it from its checkpoint", s->name,
					 same_reading(a->cfg, cfg) ? "its files" : "max_line or rotate_wait");
				site_stop(old);
			} else {
				log_info("site %s: added", s->name);
			}
			for (size_t j = 0; j < a->nsites; j++) {
				if (a->sites[j] == old) {
					a->sites[j] = NULL;
				}
			}
			next[n] = NULL;
		}
	}
	/* Removed sites stop; their state stays for when they come back. */
	for (size_t j = 0; j < a->nsites; j++) {
		struct asite *as = a->sites[j];
		int kept = 0;
		for (size_t k = 0; k < n && as != NULL; k++) {
			kept |= next[k] == as;
		}
		if (as != NULL && !kept) {
			log_info("site %s: removed from the configuration; stopped (its state is kept)",
				 as->site->name);
			site_stop(as);
		}
	}
	free(a->sites);
	config_free(a->cfg);
	a->cfg = cfg;
	/* The running list is built apart from NEXT, which is still read.
	 * Sites waiting to start are tried again now, as any new one. */
	a->sites = calloc(cfg->nsites + 1, sizeof *a->sites);
	a->nsites = 0;
	free(a->waiting);
	a->waiting = calloc(cfg->nsites + 1, sizeof *a->waiting);
	a->nwaiting = 0;
	loop_timer_disarm(a->start_timer);
	for (size_t i = 0; i < cfg->nsites && a->sites != NULL; i++) {
		struct asite *as = find_in(next, n, cfg->sites[i]);
		if (as == NULL) {
			as = start_or_wait(a, cfg->sites[i]);
		}
		if (as != NULL) {
			a->sites[a->nsites++] = as;
		}
	}
	for (size_t i = 0; i < a->nsites; i++) {
		/* A kept site looks at its files again (a started one just did). */
		if (find_in(next, n, a->sites[i]->site) != NULL) {
			tsite_rescan(a->sites[i]->ts);
		} else {
			tsite_read(a->sites[i]->ts);
		}
		site_commit(a->sites[i]);
	}
	free(next);
	log_info("configuration reloaded (%zu site%s)", a->nsites, a->nsites == 1 ? "" : "s");
	write_status(a);
	sd_notify(0, "READY=1");
}

/* ---- running ---- */

/*
 * A request in flight at a stop gets a moment to be answered, so that a
 * clean stop does not send its events twice; after STOP_GRACE_MS it is
 * abandoned, its events still spooled.
 */
static void wait_in_flight(struct agent *a)
{
	int64_t until = loop_now_ms() + STOP_GRACE_MS;
	struct loop_timer *t = loop_timer_new(a->loop, NULL, NULL);

	for (;;) {
		int busy = 0;
		for (size_t i = 0; i < a->nsites; i++) {
			busy |= shipper_in_flight(a->sites[i]->sh);
		}
		if (!busy || loop_now_ms() >= until || t == NULL) {
			break;
		}
		loop_timer_arm(t, until - loop_now_ms()); /* wakes the loop at the deadline */
		if (loop_run_once(a->loop) < 0) {
			break;
		}
	}
	loop_timer_free(t);
}

static void agent_stop_all(struct agent *a)
{
	for (size_t i = 0; i < a->nsites; i++) {
		site_stop(a->sites[i]);
	}
	free(a->sites);
	a->sites = NULL;
	a->nsites = 0;
}

/*
 * The agent keeps every log of its sites open: a glob of per-vhost logs
 * may match hundreds.  systemd's default soft limit on descriptors is
 * 1024 (the hard one 524288): the soft one is raised to the hard one, as
 * systemd's own documentation advises programs that need many.
 */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rlim_t was = rl.rlim_cur;
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == 0) {
			log_debug("open files: up to %llu (was %llu)", (unsigned long long)rl.rlim_cur,
				  (unsigned long long)was);
		}
	}
}

int agent_run(const char *config_path)
{
	struct agent a = {.config_path = config_path, .sigfd = -1, .lockfd = -1};
	int status = EXIT_OK;

	a.cfg = cmd_load_config(config_path, CONFIG_TOKENS);
	if (a.cfg == NULL) {
		fprintf(stderr, "%s: configuration refused\n", config_path);
		return EXIT_CONFIG;
	}
	if (geteuid() == 0) {
		log_warn("running as root is not needed: pintail only needs to read the logs "
			 "(the service runs as user pintail)");
	}
	if (statedir_prepare(a.cfg->agent.state_dir) < 0 ||
	    (a.lockfd = statedir_lock(a.cfg->agent.state_dir)) < 0) {
		/* A setup problem is not retried (systemd does not restart exit
		 * status 1); the rest (another agent still running, a disk
		 * that is full or read-only for now) is, after 5 s. */
		status = statedir_setup_problem(errno) ? EXIT_CONFIG : EXIT_RUNTIME;
		config_free(a.cfg);
		return status;
	}
	raise_nofile();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	a.started = (int64_t)time(NULL);
	a.loop = loop_new();
	a.tailer = a.loop ? tailer_new(a.loop) : NULL;
	a.ship = a.loop ? ship_new(a.loop) : NULL;
	a.status_timer = a.loop ? loop_timer_new(a.loop, on_status_timer, &a) : NULL;
	a.start_timer = a.loop ? loop_timer_new(a.loop, on_start_timer, &a) : NULL;
	a.sites = calloc(a.cfg->nsites + 1, sizeof *a.sites);
	a.waiting = calloc(a.cfg->nsites + 1, sizeof *a.waiting);
	if (a.tailer == NULL || a.ship == NULL || a.status_timer == NULL || a.start_timer == NULL ||
	    a.sites == NULL || a.waiting == NULL || setup_signals(&a) < 0) {
		status = EXIT_RUNTIME;
		goto out;
	}
	for (size_t i = 0; i < a.cfg->nsites; i++) {
		struct asite *as = start_or_wait(&a, a.cfg->sites[i]);
		if (as != NULL) {
			a.sites[a.nsites++] = as;
		}
	}
	if (a.cfg->nsites == 0) {
		log_warn("no site is configured: idle until a reload (SIGHUP) brings one");
	}
	{
		char waiting[48] = "";
		if (a.nwaiting > 0) {
			snprintf(waiting, sizeof waiting, "; %zu waiting to start", a.nwaiting);
		}
		log_info("running (%zu site%s%s)", a.nsites, a.nsites == 1 ? "" : "s", waiting);
	}
	for (size_t i = 0; i < a.nsites; i++) {
		tsite_read(a.sites[i]->ts);
		site_commit(a.sites[i]);
	}
	write_status(&a);
	sd_notify(0, "READY=1");
	while (!a.stopping) {
		if (loop_run_once(a.loop) < 0) {
			status = EXIT_RUNTIME;
			break;
		}
	}
out:
	/* Stop reading, make what is in hand durable, abandon a request in
	 * flight (its events stay spooled), save checkpoints. */
	sd_notify(0, "STOPPING=1");
	for (size_t i = 0; i < a.nsites; i++) {
		tsite_pause(a.sites[i]->ts, 1);
		if (!a.sites[i]->disk_failed) {
			site_commit(a.sites[i]);
		}
		shipper_quiesce(a.sites[i]->sh);
	}
	wait_in_flight(&a);
	/* The last known state, marked stopped: with no site running too, so
	 * that status does not take a clean stop for a crash (but not when
	 * the agent could not even start: that is no clean stop). */
	if (a.nsites > 0 || status == EXIT_OK) {
		a.stopping = 1;
		write_status(&a);
	}
	agent_stop_all(&a);
	ship_free(a.ship);
	tailer_free(a.tailer);
	loop_timer_free(a.status_timer);
	loop_timer_free(a.start_timer);
	free(a.waiting);
	if (a.sigfd >= 0) {
		loop_unwatch(a.loop, a.sigfd);
		close(a.sigfd);
	}
	loop_free(a.loop);
	curl_global_cleanup();
	config_free(a.cfg);
	if (a.lockfd >= 0) {
		close(a.lockfd);
	}
	log_info("stopped");
	return status;
}
