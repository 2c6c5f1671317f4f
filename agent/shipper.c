#include "shipper.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <time.h>

#include "buf.h"
#include "log.h"
#include "loop.h"
#include "spool.h"

#define ANSWER_MAX (1u << 20)     /* a longer answer is cut: we need its start */
#define BODY_MAX (8u << 20)       /* about this much JSON per request at most */
#define RETRY_AFTER_MAX_MS (3600 * 1000)
#define BACKOFF_FLOOR_MS 100      /* the shortest backoff, whatever retry_min says */
#define SYSTEMIC_LIMIT 10         /* single events refused with one message in a row */

struct ship {
	struct loop *loop;
	CURLM *multi;
	struct loop_timer *timer;
};

enum ship_state { SH_IDLE, SH_FLIGHT, SH_BACKOFF, SH_PAUSED };

/* A part of the batch still to be answered for (400/413 split batches). */
struct range {
	size_t from, to;
};

struct shipper {
	struct ship *ship;
	struct shipper_conf conf;
	struct shipper_hooks hooks;
	struct spool *spool;
	CURL *easy;
	struct curl_slist *headers;
	char *header_token;         /* the token the headers were made with */
	char url[2048];
	enum ship_state state;
	struct loop_timer *timer;   /* flush, backoff or pause */
	struct spool_batch batch;
	size_t batch_read;          /* events read from the spool for it */
	size_t delivered_in_batch;  /* events answered for so far */
	struct range *stack;        /* ranges to send, top last */
	size_t nstack, capstack;
	struct buf body;
	struct buf answer;
	int answer_cut;             /* the answer was longer than ANSWER_MAX */
	int64_t retry_after_ms;
	int64_t retry_until;        /* a Retry-After's end, while backing off for it; else 0 */
	char rid[64];               /* the answer's x-pinterest-rid, for support cases */
	char errbuf[CURL_ERROR_SIZE];
	int64_t sent_at;
	int attempt;
	int64_t failing_since;      /* 0: not failing */
	int outage_warned;
	char last_single_msg[512];  /* systemic 400 detection */
	int single_rejects;
	struct shipper_stats st;
	int64_t warn_logged_at;
	uint64_t expired_unsaid;    /* events dropped as too old since the last such line */
	int64_t expired_said_at;    /* when that line was logged; 0: never */
	struct loop_timer *say_timer; /* says the rest of them a minute after it */
	int quiesced;               /* no new request starts (shutting down) */
};

/* ---- the curl multi glue ---- */

static void ship_check_done(struct ship *s);

static void on_socket_event(void *ctx, int fd, uint32_t events)
{
	struct ship *s = ctx;
	int running, flags = 0;

	if (events & EPOLLIN) {
		flags |= CURL_CSELECT_IN;
	}
	if (events & EPOLLOUT) {
		flags |= CURL_CSELECT_OUT;
	}
	if (events & (EPOLLERR | EPOLLHUP)) {
		flags |= CURL_CSELECT_ERR;
	}
	curl_multi_socket_action(s->multi, fd, flags, &running);
	ship_check_done(s);
}

static int socket_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct ship *s = userp;
	(void)easy;
	(void)socketp;
	if (what == CURL_POLL_REMOVE) {
		loop_unwatch(s->loop, fd);
		return 0;
	}
	loop_watch(s->loop, fd,
		   (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0),
		   on_socket_event, s);
	return 0;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct ship *s = userp;
	(void)multi;
	if (timeout_ms < 0) {
		loop_timer_disarm(s->timer);
	} else {
		loop_timer_arm(s->timer, timeout_ms);
	}
	return 0;
}

static void on_curl_timer(void *ctx)
{
	struct ship *s = ctx;
	int running;
	curl_multi_socket_action(s->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	ship_check_done(s);
}

struct ship *ship_new(struct loop *loop)
{
	struct ship *s = calloc(1, sizeof *s);

	if (s == NULL) {
		return NULL;
	}
	s->loop = loop;
	s->multi = curl_multi_init();
	s->timer = loop_timer_new(loop, on_curl_timer, s);
	if (s->multi == NULL || s->timer == NULL) {
		ship_free(s);
		return NULL;
	}
	curl_multi_setopt(s->multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(s->multi, CURLMOPT_SOCKETDATA, s);
	curl_multi_setopt(s->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(s->multi, CURLMOPT_TIMERDATA, s);
	return s;
}

void ship_free(struct ship *s)
{
	if (s == NULL) {
		return;
	}
	if (s->multi != NULL) {
		curl_multi_cleanup(s->multi);
	}
	loop_timer_free(s->timer);
	free(s);
}

/* ---- requests ---- */

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct shipper *sh = ctx;
	size_t len = size * n;
	size_t room = ANSWER_MAX - sh->answer.len;
	if (len > room) {
		sh->answer_cut = 1;
	}
	buf_add(&sh->answer, p, len < room ? len : room);
	return len;
}

int64_t shipper_retry_after_ms(const char *value, int64_t now)
{
	const char *p = value;
	int64_t secs;

	while (*p == ' ' || *p == '\t') {
		p++;
	}
	if (*p >= '0' && *p <= '9') {
		/* delay-seconds: digits only.  Read digit by digit, stopping at
		 * the cap: the value is the server's, of any length. */
		secs = 0;
		for (; *p >= '0' && *p <= '9'; p++) {
			if (secs <= RETRY_AFTER_MAX_MS / 1000) {
				secs = secs * 10 + (*p - '0');
			}
		}
		while (*p == ' ' || *p == '\t') {
			p++;
		}
		if (*p != '\0') {
			return 0;
		}
	} else {
		/* An HTTP-date: a delay from now; one in the past asks for none.
		 * curl_getdate() knows the three forms of RFC 9110 and answers
		 * -1 for anything else. */
		time_t t = curl_getdate(p, NULL);
		if (t < 0 || (int64_t)t <= now) {
			return 0;
		}
		secs = (int64_t)t - now;
	}
	/* Compared before multiplying. */
	return secs > RETRY_AFTER_MAX_MS / 1000 ? RETRY_AFTER_MAX_MS : secs * 1000;
}

/* The value of header NAME (NAMELEN bytes, with its colon) in curl's header
 * line P (LEN bytes, not NUL-terminated, ending in CRLF), trimmed, into OUT
 * (OUTLEN bytes).  Returns 1 when the line is that header and its value fits. */
static int header_value(const char *p, size_t len, const char *name, size_t namelen, char *out,
			size_t outlen)
{
	size_t vlen;

	if (len <= namelen || strncasecmp(p, name, namelen) != 0) {
		return 0;
	}
	p += namelen;
	vlen = len - namelen;
	while (vlen > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		vlen--;
	}
	while (vlen > 0 && (p[vlen - 1] == '\r' || p[vlen - 1] == '\n' || p[vlen - 1] == ' ' ||
			    p[vlen - 1] == '\t')) {
		vlen--;
	}
	if (vlen >= outlen) {
		return 0;
	}
	memcpy(out, p, vlen);
	out[vlen] = '\0';
	return 1;
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct shipper *sh = ctx;
	size_t len = size * n;
	char value[128]; /* longer than any date or count */

	if (header_value(p, len, "Retry-After:", 12, value, sizeof value)) {
		sh->retry_after_ms = shipper_retry_after_ms(value, (int64_t)time(NULL));
	} else if (header_value(p, len, "x-pinterest-rid:", 16, value, sizeof value)) {
		/* Logged: printable ASCII only, whatever the server sent. */
		size_t i;
		for (i = 0; value[i] != '\0' && i + 1 < sizeof sh->rid; i++) {
			sh->rid[i] = value[i] > ' ' && value[i] < 0x7f ? value[i] : '?';
		}
		sh->rid[i] = '\0';
	}
	return len;
}

/* Frees a header list, first wiping it: its first entry holds the token. */
static void headers_free(struct curl_slist *h)
{
	for (struct curl_slist *i = h; i != NULL; i = i->next) {
		explicit_bzero(i->data, strlen(i->data));
	}
	curl_slist_free_all(h);
}

static void set_headers(struct shipper *sh)
{
	const char *token = *sh->conf.token ? *sh->conf.token : "";
	struct buf auth = {0};

	if (sh->headers != NULL && sh->header_token != NULL && strcmp(sh->header_token, token) == 0) {
		return;
	}
	headers_free(sh->headers);
	if (sh->header_token != NULL) {
		explicit_bzero(sh->header_token, strlen(sh->header_token));
		free(sh->header_token);
	}
	buf_adds(&auth, "Authorization: Bearer ");
	buf_adds(&auth, token);
	sh->headers = curl_slist_append(NULL, auth.p);
	sh->headers = curl_slist_append(sh->headers, "Content-Type: application/json");
	sh->headers = curl_slist_append(sh->headers, "Expect:");
	sh->header_token = strdup(token);
	explicit_bzero(auth.p, auth.len);
	buf_free(&auth);
}

/* Options of a request, for the daemon and for send-test alike. */
static void setup_easy(CURL *e, const struct shipper_conf *c, const char *url)
{
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "pintail/" PINTAIL_VERSION);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)c->timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(c->timeout_ms < 10000 ? c->timeout_ms : 10000));
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	/* Plain http only where `check` allows it (a loopback api_url). */
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR,
			 strncasecmp(c->api_url, "http://", 7) == 0 ? "http" : "https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (c->ca_file != NULL) {
		/* The only bundle trusted: a local endpoint's CA. */
		curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
		curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	} else {
		/* libcurl's own bundle and folder, for a reload that removed
		 * ca_file (NULL would trust no bundle at all, not the default). */
		char *def = NULL;
		curl_easy_getinfo(e, CURLINFO_CAINFO, &def);
		curl_easy_setopt(e, CURLOPT_CAINFO, def);
		def = NULL;
		curl_easy_getinfo(e, CURLINFO_CAPATH, &def);
		curl_easy_setopt(e, CURLOPT_CAPATH, def);
	}
}

static void make_url(const struct shipper_conf *c, char *out, size_t len)
{
	snprintf(out, len, "%s/ad_accounts/%s/events%s", c->api_url, c->ad_account_id,
		 c->test_mode ? "?test=true" : "");
}

static void backoff(struct shipper *sh);

static void send_top(struct shipper *sh)
{
	struct range r = sh->stack[sh->nstack - 1];
	CURLMcode mc;

	if (sh->quiesced) {
		sh->state = SH_BACKOFF; /* what is left of the batch stays spooled */
		return;
	}
	spool_batch_body(&sh->batch, r.from, r.to, &sh->body);
	buf_reset(&sh->answer);
	sh->answer_cut = 0;
	sh->retry_after_ms = 0;
	sh->retry_until = 0;
	sh->rid[0] = '\0';
	sh->errbuf[0] = '\0';
	set_headers(sh);
	curl_easy_setopt(sh->easy, CURLOPT_HTTPHEADER, sh->headers);
	curl_easy_setopt(sh->easy, CURLOPT_POSTFIELDS, sh->body.p);
	curl_easy_setopt(sh->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)sh->body.len);
	sh->sent_at = loop_now_ms();
	sh->state = SH_FLIGHT;
	sh->st.in_flight = 1;
	mc = curl_multi_add_handle(sh->ship->multi, sh->easy);
	if (mc != CURLM_OK) {
		log_err("site %s: curl_multi_add_handle: %s; retrying", sh->conf.site,
			curl_multi_strerror(mc));
		sh->st.in_flight = 0;
		/* The batch stays in hand: idle here would let the next batch
		 * read past it, and its ack skip it unsent. */
		backoff(sh);
	}
}

static void push_range(struct shipper *sh, size_t from, size_t to)
{
	if (sh->nstack == sh->capstack) {
		size_t cap = sh->capstack ? sh->capstack * 2 : 16;
		struct range *ns = realloc(sh->stack, cap * sizeof *ns);
		if (ns == NULL) {
			return;
		}
		sh->stack = ns;
		sh->capstack = cap;
	}
	sh->stack[sh->nstack].from = from;
	sh->stack[sh->nstack].to = to;
	sh->nstack++;
}

/*
 * Events that waited in the spool past max_event_age (an outage of days)
 * would be refused by Pinterest: they go to rejected.log instead.  Keeps
 * the others of items [FROM, TO) at the front of that stretch and returns
 * how many there are.
 */
static size_t drop_expired(struct shipper *sh, size_t from, size_t to)
{
	int64_t oldest = (int64_t)time(NULL) - sh->conf.max_event_age_ms / 1000;
	size_t kept = from;

	for (size_t i = from; i < to; i++) {
		const struct spool_item *it = &sh->batch.items[i];
		if (sh->conf.max_event_age_ms > 0 && it->time < oldest) {
			sh->st.rejected++;
			sh->hooks.rejected(sh->hooks.ctx, it->event_id, it->type, sh->batch.raw.p + it->json_off,
					   it->json_len, "too old (waited in the spool past max_event_age)");
			continue;
		}
		sh->batch.items[kept++] = *it;
	}
	if (kept < to) {
		/* A week's conversions may go this way: worth a human's look,
		 * said once a minute at most, with every one counted: the rest
		 * of a minute's are said at its end. */
		sh->expired_unsaid += to - kept;
		if (!loop_timer_armed(sh->say_timer)) {
			int64_t wait = sh->expired_said_at == 0 ? 0 : sh->expired_said_at + 60000 - loop_now_ms();
			loop_timer_arm(sh->say_timer, wait > 0 ? wait : 0);
		}
	}
	return kept - from;
}

static void say_expired(void *ctx)
{
	struct shipper *sh = ctx;

	if (sh->expired_unsaid == 0) {
		return;
	}
	log_warn("site %s: %llu events waited in the spool past max_event_age (%llds), which Pinterest "
		 "would refuse: not sent, written to rejected.log (status counts them as REJECTED; said "
		 "once a minute at most)",
		 sh->conf.site, (unsigned long long)sh->expired_unsaid,
		 (long long)(sh->conf.max_event_age_ms / 1000));
	sh->expired_unsaid = 0;
	sh->expired_said_at = loop_now_ms();
}

/* Drops expired events from the ranges still to send.  1 when none is left. */
static int expire_in_ranges(struct shipper *sh)
{
	size_t n = 0;
	for (size_t i = 0; i < sh->nstack; i++) {
		struct range *r = &sh->stack[i];
		r->to = r->from + drop_expired(sh, r->from, r->to);
		if (r->to > r->from) {
			sh->stack[n++] = *r;
		}
	}
	sh->nstack = n;
	return n == 0;
}

static void finish_batch(struct shipper *sh);

/* Starts a new batch from the spool when one is due. */
static void start_batch(struct shipper *sh)
{
	int n;

	if (sh->state != SH_IDLE || sh->quiesced) {
		return;
	}
	for (;;) {
		n = spool_read_batch(sh->spool, sh->conf.batch_max, BODY_MAX, &sh->batch);
		if (n < 0) {
			/* The spool could not be read (an I/O error, logged): tried
			 * again, not only when more events come. */
			loop_timer_arm(sh->timer, sh->conf.retry_min_ms > 1000 ? sh->conf.retry_min_ms : 1000);
			return;
		}
		if (n == 0) {
			return;
		}
		sh->batch_read = (size_t)n;
		n = (int)drop_expired(sh, 0, (size_t)n);
		if (n > 0) {
			break;
		}
		/* Every event waited past max_event_age (a long outage): they
		 * are in rejected.log, and the batch is answered for. */
		spool_ack(sh->spool, sh->batch.end, sh->batch_read);
		if (sh->hooks.acked != NULL) {
			sh->hooks.acked(sh->hooks.ctx);
		}
	}
	sh->nstack = 0;
	sh->delivered_in_batch = 0;
	push_range(sh, 0, (size_t)n);
	send_top(sh);
}

static void on_timer(void *ctx)
{
	struct shipper *sh = ctx;

	if (sh->quiesced) {
		return;
	}
	if (sh->state == SH_PAUSED) {
		log_info("site %s: retrying delivery (paused: %s)", sh->conf.site, sh->st.pause_reason);
		if (sh->hooks.reload_token != NULL && sh->hooks.reload_token(sh->hooks.ctx) < 0) {
			loop_timer_arm(sh->timer, sh->conf.pause_retry_ms);
			return;
		}
	}
	if (sh->state == SH_BACKOFF || sh->state == SH_PAUSED) {
		/* A long outage: events of the batch in hand may have passed
		 * max_event_age while it waited. */
		if (expire_in_ranges(sh)) {
			sh->state = SH_IDLE;
			finish_batch(sh);
			return;
		}
		sh->state = SH_FLIGHT;
		send_top(sh);
		return;
	}
	start_batch(sh);
}

void shipper_quiesce(struct shipper *sh)
{
	sh->quiesced = 1;
	loop_timer_disarm(sh->timer);
}

int shipper_in_flight(const struct shipper *sh) { return sh->state == SH_FLIGHT; }

void shipper_kick(struct shipper *sh)
{
	if (sh->state != SH_IDLE || sh->quiesced || !spool_readable(sh->spool)) {
		return;
	}
	if (spool_events(sh->spool) >= sh->conf.batch_max) {
		loop_timer_disarm(sh->timer);
		start_batch(sh);
	} else if (!loop_timer_armed(sh->timer)) {
		loop_timer_arm(sh->timer, sh->conf.flush_interval_ms);
	}
}

void shipper_unpause(struct shipper *sh)
{
	/* Not before the end of a Retry-After: Pinterest asked for that wait
	 * (a 429), and a reload does not change its mind. */
	if (sh->state == SH_BACKOFF && sh->retry_until > loop_now_ms()) {
		return;
	}
	if (sh->state == SH_PAUSED || sh->state == SH_BACKOFF) {
		loop_timer_arm(sh->timer, 0);
	}
}

/* ---- answers ---- */

static void note_failure(struct shipper *sh, const char *error)
{
	int64_t now = loop_now_ms();
	str_copy(sh->st.last_error, sizeof sh->st.last_error, error);
	if (sh->failing_since == 0) {
		sh->failing_since = now;
	}
	if (!sh->outage_warned && now - sh->failing_since >= sh->conf.outage_warn_ms) {
		log_warn("site %s: delivery has been failing for %llds (last error: %s); events stay spooled and are retried",
			 sh->conf.site, (long long)((now - sh->failing_since) / 1000), error);
		sh->outage_warned = 1;
	}
}

static void note_success(struct shipper *sh)
{
	if (sh->failing_since != 0 && (sh->outage_warned || sh->st.paused)) {
		log_info("site %s: delivery works again, after %llds of failures", sh->conf.site,
			 (long long)((loop_now_ms() - sh->failing_since) / 1000));
	}
	sh->failing_since = 0;
	sh->outage_warned = 0;
	sh->attempt = 0;
	sh->st.paused = 0;
	sh->st.pause_reason[0] = '\0';
	sh->st.last_success = (int64_t)time(NULL);
}

int64_t shipper_backoff_ms(int64_t retry_min, int64_t retry_max, int attempt, uint32_t r)
{
	/* A floor under both bounds: a retry_min of 0 (or a retry_max below
	 * the floor) would otherwise double 0 forever, a loop of requests
	 * as fast as the endpoint answers its 429 or 503. */
	int64_t lo = retry_min > BACKOFF_FLOOR_MS ? retry_min : BACKOFF_FLOOR_MS;
	int64_t hi = retry_max > lo ? retry_max : lo;
	int64_t cap = lo;

	for (int i = 0; i < attempt && cap < hi; i++) {
		cap = cap > hi / 2 ? hi : cap * 2;
	}
	/* Full jitter between retry_min and the exponential cap. */
	return lo + (cap > lo ? (int64_t)(r % (uint64_t)(cap - lo + 1)) : 0);
}

static void backoff(struct shipper *sh)
{
	int64_t delay;
	uint32_t r = 0;

	if (getrandom(&r, sizeof r, GRND_NONBLOCK) != sizeof r) {
		r = (uint32_t)loop_now_ms();
	}
	delay = shipper_backoff_ms(sh->conf.retry_min_ms, sh->conf.retry_max_ms, sh->attempt, r);
	if (sh->retry_after_ms > delay) {
		delay = sh->retry_after_ms;
		sh->retry_until = loop_now_ms() + delay;
		/* A wait of minutes is news: nothing is sent meanwhile. */
		if (delay >= 60000) {
			log_warn("site %s: Pinterest asks for a wait of %llds before the next request "
				 "(Retry-After); events keep being spooled",
				 sh->conf.site, (long long)(delay / 1000));
		}
	}
	sh->attempt++;
	sh->st.retries++;
	sh->state = SH_BACKOFF;
	loop_timer_arm(sh->timer, delay);
	log_debug("site %s: retry in %lld ms", sh->conf.site, (long long)delay);
}

static void pause_site(struct shipper *sh, const char *why)
{
	if (!sh->st.paused || strcmp(sh->st.pause_reason, why) != 0) {
		log_err("site %s: delivery paused: %s (events keep being spooled; retrying every %llds and on SIGHUP)",
			sh->conf.site, why, (long long)(sh->conf.pause_retry_ms / 1000));
	}
	sh->st.paused = 1;
	str_copy(sh->st.pause_reason, sizeof sh->st.pause_reason, why);
	note_failure(sh, why);
	sh->state = SH_PAUSED;
	loop_timer_arm(sh->timer, sh->conf.pause_retry_ms);
}

/* Pinterest's "message" of an error answer, into OUT. */
static void answer_message(const char *body, char *out, size_t len)
{
	cJSON *j = cJSON_Parse(body ? body : "");
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(j, "message");
	snprintf(out, len, "%s", cJSON_IsString(m) && m->valuestring ? m->valuestring : "");
	cJSON_Delete(j);
}

/* The words of SPEC §5 for an answer that stops delivery. */
static void describe_refusal(const struct shipper_conf *c, long status, const char *message,
			     char *out, size_t len)
{
	switch (status) {
	case 401:
		snprintf(out, len, "the access token was refused (401): it is invalid or has expired, "
			 "or lacks the ads:write scope; generate a new one");
		break;
	case 403:
		snprintf(out, len, "not permitted for ad account %s (403): the token lacks the ads:write "
			 "scope or its user has no access to this ad account; check the Ad Account ID "
			 "(not the Tag ID%s%s)", c->ad_account_id, c->tag_id ? " " : "", c->tag_id ? c->tag_id : "");
		break;
	case 404:
		snprintf(out, len, "ad account %s not found (404): check the numeric Ad Account ID, and "
			 "that it is not the Tag ID", c->ad_account_id);
		break;
	default:
		if (status >= 300 && status < 400) {
			snprintf(out, len, "the endpoint answered %ld, a redirect, which pintail does not follow "
				 "(the token goes to api_url alone): check api_url", status);
			break;
		}
		snprintf(out, len, "Pinterest answered %ld%s%s", status, message[0] ? ": " : "", message);
		break;
	}
}

/* Per-event results of a 200 or 422: rejects the failed ones.  Returns the number failed. */
static size_t per_event(struct shipper *sh, struct range r, const cJSON *events)
{
	size_t failed = 0, i = 0;
	const cJSON *ev;

	cJSON_ArrayForEach(ev, events)
	{
		const cJSON *status = cJSON_GetObjectItemCaseSensitive(ev, "status");
		const cJSON *err = cJSON_GetObjectItemCaseSensitive(ev, "error_message");
		const cJSON *warn = cJSON_GetObjectItemCaseSensitive(ev, "warning_message");
		size_t idx = r.from + i++;
		if (idx >= r.to) {
			break;
		}
		if (cJSON_IsString(status) && strcmp(status->valuestring, "failed") == 0) {
			const struct spool_item *it = &sh->batch.items[idx];
			failed++;
			sh->st.rejected++;
			sh->hooks.rejected(sh->hooks.ctx, it->event_id, it->type,
					   sh->batch.raw.p + it->json_off, it->json_len,
					   cJSON_IsString(err) && err->valuestring ? err->valuestring : "failed");
		} else if (cJSON_IsString(warn) && warn->valuestring[0]) {
			sh->st.warnings++;
			/* At most one warning line a minute. */
			if (loop_now_ms() - sh->warn_logged_at > 60000) {
				log_warn("site %s: Pinterest warns about event %s: %s", sh->conf.site,
					 sh->batch.items[idx].event_id, warn->valuestring);
				sh->warn_logged_at = loop_now_ms();
			}
		}
	}
	return failed;
}

/* The top range is answered for: pop it; the batch is done when none is left. */
static void range_done(struct shipper *sh, size_t processed)
{
	struct range r = sh->stack[--sh->nstack];
	(void)r;
	sh->delivered_in_batch += processed;
	sh->st.delivered += processed;
	if (sh->nstack > 0) {
		send_top(sh);
		return;
	}
	sh->state = SH_IDLE;
	finish_batch(sh);
}

/* Everything of the batch is answered for: it leaves the spool. */
static void finish_batch(struct shipper *sh)
{
	/* When the position cannot be saved, this batch is sent again after
	 * a restart (Pinterest deduplicates it by event_id). */
	spool_ack(sh->spool, sh->batch.end, sh->batch_read);
	if (sh->hooks.acked != NULL) {
		sh->hooks.acked(sh->hooks.ctx);
	}
	/* More may be waiting: a full batch goes at once. */
	shipper_kick(sh);
}

/* Range R, the top one, is sent again as two halves. */
static void split_range(struct shipper *sh, struct range r)
{
	size_t mid = r.from + (r.to - r.from) / 2;
	sh->nstack--;
	push_range(sh, mid, r.to);
	push_range(sh, r.from, mid);
	send_top(sh);
}

/* A 400 or 413 for range R: split it, or reject a single event. */
static void split_or_reject(struct shipper *sh, struct range r, const char *message)
{
	if (r.to - r.from > 1) {
		split_range(sh, r);
		return;
	}
	/* One event refused on its own.  The same message again and again,
	 * with nothing accepted in between, is a fault of ours or a change at
	 * Pinterest: pause rather than throw everything away. */
	/* (A message longer than the copy kept is compared on what was kept.) */
	if (strncmp(message, sh->last_single_msg, sizeof sh->last_single_msg - 1) == 0) {
		sh->single_rejects++;
	} else {
		snprintf(sh->last_single_msg, sizeof sh->last_single_msg, "%s", message);
		sh->single_rejects = 1;
	}
	if (sh->single_rejects >= SYSTEMIC_LIMIT) {
		char why[1024];
		/* The count stays at the limit: after each retry the same refusal
		 * pauses again at once; only an accepted event resets it. */
		sh->single_rejects = SYSTEMIC_LIMIT;
		snprintf(why, sizeof why,
			 "Pinterest refused %d events in a row, each on its own, with the same message (%.300s): "
			 "a systemic fault (pintail's output or a change of the API), so nothing is thrown away",
			 SYSTEMIC_LIMIT, message);
		pause_site(sh, why);
		return;
	}
	{
		const struct spool_item *it = &sh->batch.items[r.from];
		sh->st.rejected++;
		sh->hooks.rejected(sh->hooks.ctx, it->event_id, it->type, sh->batch.raw.p + it->json_off,
				   it->json_len, message[0] ? message : "refused (400)");
	}
	range_done(sh, 0);
}

/*
 * 1 when a 2xx answer reports nothing to act on: no event "failed" and no
 * non-empty warning.  Saves building a tree of a thousand results for the
 * answer nearly every request gets.
 */
static int all_processed(const struct buf *answer)
{
	static const char warn[] = "warning_message\":";
	const char *p, *end;

	if (answer->p == NULL || memmem(answer->p, answer->len, "\"failed\"", 8) != NULL) {
		return 0;
	}
	end = answer->p + answer->len;
	/* A thousand results, each with its "warning_message": found by its
	 * 'w' (memmem would set up its tables once per result). */
	p = answer->p + (answer->len > 0);
	while (p < end && (p = memchr(p, 'w', (size_t)(end - p))) != NULL) {
		if ((size_t)(end - p) < sizeof warn - 1 || p[-1] != '"' || memcmp(p, warn, sizeof warn - 1) != 0) {
			p++;
			continue;
		}
		p += sizeof warn - 1;
		while (p < end && *p == ' ') {
			p++;
		}
		/* "" or null is no warning; anything else is one. */
		if (p < end && !(p + 1 < end && p[0] == '"' && p[1] == '"') && !(end - p >= 4 && memcmp(p, "null", 4) == 0)) {
			return 0;
		}
	}
	return 1;
}

/* 1 when ANSWER ends as a JSON object does: a body cut short does not. */
static int ends_as_object(const struct buf *answer)
{
	size_t n = answer->len;
	while (n > 0 && (answer->p[n - 1] == ' ' || answer->p[n - 1] == '\n' || answer->p[n - 1] == '\r' ||
			 answer->p[n - 1] == '\t')) {
		n--;
	}
	return n > 0 && answer->p[n - 1] == '}';
}

/*
 * A 2xx for N events that is not Pinterest's whole answer (WHAT it lacks):
 * nothing in it can be trusted, so the events are sent again later.
 */
static void not_pinterest(struct shipper *sh, long status, size_t n, int64_t latency, const char *what)
{
	char why[768];
	snprintf(why, sizeof why,
		 "HTTP %ld, but not Pinterest's answer for %zu events (%s): a proxy or firewall in the way?  "
		 "Sent again later",
		 status, n, what);
	sh->hooks.request(sh->hooks.ctx, (int)status, n, 0, 0, latency, why);
	note_failure(sh, why);
	backoff(sh);
}

/*
 * 1 when a 2xx ANSWER is Pinterest's for N events: its num_events_received
 * is N.  A proxy, firewall or captive portal answering 200 with a page of
 * its own has not passed the events on: they are not to count as sent.
 */
static int received_all(const struct buf *answer, size_t n)
{
	static const char key[] = "\"num_events_received\"";
	const char *p = answer->p ? memmem(answer->p, answer->len, key, sizeof key - 1) : NULL;
	const char *end = answer->p + answer->len;
	size_t v = 0;
	int digits = 0;

	if (p == NULL) {
		return 0;
	}
	for (p += sizeof key - 1; p < end && (*p == ' ' || *p == ':'); p++) {
	}
	for (; p < end && *p >= '0' && *p <= '9' && digits < 12; p++, digits++) {
		v = v * 10 + (size_t)(*p - '0');
	}
	return digits > 0 && v == n;
}

static void on_answer(struct shipper *sh, long status)
{
	struct range r = sh->stack[sh->nstack - 1];
	size_t n = r.to - r.from, failed = 0;
	char message[512], why[768];
	int64_t latency = loop_now_ms() - sh->sent_at;
	int ok = status >= 200 && status < 300;

	message[0] = '\0';
	if (sh->rid[0]) {
		log_debug("site %s: HTTP %ld for %zu events, x-pinterest-rid %s", sh->conf.site, status, n, sh->rid);
	}
	if (ok && !received_all(&sh->answer, n)) {
		not_pinterest(sh, status, n, latency, "its num_events_received");
		return;
	}
	if ((ok || status == 422) && sh->answer_cut) {
		/* Its per-event results run past what is kept of an answer.
		 * Halves get shorter answers; Pinterest deduplicates by
		 * event_id the events it has already. */
		if (n == 1) {
			not_pinterest(sh, status, n, latency, "an answer over 1 MiB");
			return;
		}
		sh->hooks.request(sh->hooks.ctx, (int)status, n, 0, 0, latency,
				  "an answer over 1 MiB, not read to its end: the events are sent again in halves");
		split_range(sh, r);
		return;
	}
	if (ok && all_processed(&sh->answer) && ends_as_object(&sh->answer)) {
		/* The common answer: every event processed, no warning. */
		note_success(sh);
		sh->single_rejects = 0;
		sh->hooks.request(sh->hooks.ctx, (int)status, n, n, 0, latency, NULL);
		range_done(sh, n);
		return;
	}
	if (ok || status == 422) {
		cJSON *j = cJSON_Parse(sh->answer.p ? sh->answer.p : "");
		const cJSON *events = cJSON_GetObjectItemCaseSensitive(j, "events");
		if (status == 422) {
			events = cJSON_GetObjectItemCaseSensitive(
				cJSON_GetObjectItemCaseSensitive(j, "details"), "events");
		}
		if (cJSON_IsArray(events) && (size_t)cJSON_GetArraySize(events) == n) {
			failed = per_event(sh, r, events);
		} else if (status != 422) {
			/* Not JSON, cut short, or without a result for each event:
			 * which events failed cannot be told. */
			const char *what = j == NULL ? "not JSON, or cut short" : "not one result per event";
			cJSON_Delete(j);
			not_pinterest(sh, status, n, latency, what);
			return;
		} else {
			/* No per-event detail: nothing can be told apart; retry. */
			cJSON_Delete(j);
			sh->hooks.request(sh->hooks.ctx, (int)status, n, 0, 0, latency, "422 without details");
			note_failure(sh, "422 without per-event details");
			backoff(sh);
			return;
		}
		cJSON_Delete(j);
		if (failed < n) {
			sh->single_rejects = 0;
		}
		note_success(sh);
		sh->hooks.request(sh->hooks.ctx, (int)status, n, n - failed, failed, latency, NULL);
		range_done(sh, n - failed);
		return;
	}
	/* Not a success: Pinterest's message says why (a 2xx is not parsed
	 * for it, its body being a thousand results). */
	answer_message(sh->answer.p, message, sizeof message);
	snprintf(why, sizeof why, "HTTP %ld%s%s", status, message[0] ? ": " : "", message);
	sh->hooks.request(sh->hooks.ctx, (int)status, n, 0, 0, latency, why);
	if (status == 400 || status == 413) {
		split_or_reject(sh, r, message);
		return;
	}
	if (status == 408 || status == 429 || status >= 500) {
		if (status == 429 && strcasestr(message, "spam") != NULL) {
			log_warn("site %s: Pinterest reports a spam block (429: %s); backing off", sh->conf.site,
				 message);
		}
		note_failure(sh, why);
		backoff(sh);
		return;
	}
	describe_refusal(&sh->conf, status, message, why, sizeof why);
	pause_site(sh, why);
}

static void on_done(struct shipper *sh, CURLcode code)
{
	long status = 0;

	curl_multi_remove_handle(sh->ship->multi, sh->easy);
	sh->st.in_flight = 0;
	sh->st.requests++;
	if (code != CURLE_OK) {
		char err[320];
		/* curl's own words for this failure say more than its code's
		 * (which certificate check failed, and why). */
		str_copy(err, sizeof err, sh->errbuf[0] ? sh->errbuf : curl_easy_strerror(code));
		sh->hooks.request(sh->hooks.ctx, 0, sh->stack[sh->nstack - 1].to - sh->stack[sh->nstack - 1].from,
				  0, 0, loop_now_ms() - sh->sent_at, err);
		note_failure(sh, err);
		backoff(sh);
		return;
	}
	curl_easy_getinfo(sh->easy, CURLINFO_RESPONSE_CODE, &status);
	on_answer(sh, status);
}

static void ship_check_done(struct ship *s)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(s->multi, &left)) != NULL) {
		struct shipper *sh = NULL;
		if (msg->msg != CURLMSG_DONE) {
			continue;
		}
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&sh);
		if (sh != NULL) {
			on_done(sh, msg->data.result);
		}
	}
}

/* ---- life ---- */

static void warn_test_mode(const struct shipper_conf *conf)
{
	log_warn("site %s: TEST MODE is on: Pinterest validates the events but records none "
		 "(test_mode = false in [pinterest] for real traffic)", conf->site);
}

struct shipper *shipper_new(struct ship *s, const struct shipper_conf *conf, struct spool *spool,
			    const struct shipper_hooks *hooks)
{
	struct shipper *sh = calloc(1, sizeof *sh);

	if (sh == NULL) {
		return NULL;
	}
	sh->ship = s;
	sh->conf = *conf;
	sh->hooks = *hooks;
	sh->spool = spool;
	sh->easy = curl_easy_init();
	sh->timer = loop_timer_new(s->loop, on_timer, sh);
	sh->say_timer = loop_timer_new(s->loop, say_expired, sh);
	sh->answer.max = ANSWER_MAX;
	if (sh->easy == NULL || sh->timer == NULL || sh->say_timer == NULL) {
		shipper_free(sh);
		return NULL;
	}
	make_url(conf, sh->url, sizeof sh->url);
	setup_easy(sh->easy, conf, sh->url);
	curl_easy_setopt(sh->easy, CURLOPT_PRIVATE, sh);
	curl_easy_setopt(sh->easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(sh->easy, CURLOPT_WRITEDATA, sh);
	curl_easy_setopt(sh->easy, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(sh->easy, CURLOPT_HEADERDATA, sh);
	curl_easy_setopt(sh->easy, CURLOPT_ERRORBUFFER, sh->errbuf);
	if (conf->test_mode) {
		warn_test_mode(conf);
	}
	return sh;
}

void shipper_reconfigure(struct shipper *sh, const struct shipper_conf *conf)
{
	/* A reload that turns test mode on is said as loudly as a start with
	 * it: from then on nothing sent is recorded. */
	if (conf->test_mode && !sh->conf.test_mode) {
		warn_test_mode(conf);
	} else if (!conf->test_mode && sh->conf.test_mode) {
		log_info("site %s: test mode is off: events are recorded from now on", conf->site);
	}
	sh->conf = *conf;
	make_url(conf, sh->url, sizeof sh->url);
	setup_easy(sh->easy, conf, sh->url);
}

void shipper_free(struct shipper *sh)
{
	if (sh == NULL) {
		return;
	}
	if (sh->state == SH_FLIGHT && sh->easy != NULL) {
		/* Abandoned: its events stay in the spool for the next start.
		 * delivery.log has a line for every request, this one too. */
		struct range r = sh->stack[sh->nstack - 1];
		curl_multi_remove_handle(sh->ship->multi, sh->easy);
		sh->hooks.request(sh->hooks.ctx, 0, r.to - r.from, 0, 0, loop_now_ms() - sh->sent_at,
				  "abandoned unanswered as the site stopped: its events stay spooled and are "
				  "sent again");
	}
	if (sh->easy != NULL) {
		curl_easy_cleanup(sh->easy);
	}
	headers_free(sh->headers);
	if (sh->header_token != NULL) {
		explicit_bzero(sh->header_token, strlen(sh->header_token));
		free(sh->header_token);
	}
	if (sh->say_timer != NULL) {
		say_expired(sh); /* what a stop would leave unsaid */
	}
	loop_timer_free(sh->say_timer);
	loop_timer_free(sh->timer);
	spool_batch_free(&sh->batch);
	buf_free(&sh->body);
	buf_free(&sh->answer);
	free(sh->stack);
	free(sh);
}

const struct shipper_stats *shipper_stats(const struct shipper *sh) { return &sh->st; }

/* ---- send-test ---- */

static size_t collect(char *p, size_t size, size_t n, void *ctx)
{
	struct buf *b = ctx;
	size_t len = size * n, room = ANSWER_MAX - b->len;
	buf_add(b, p, len < room ? len : room);
	return len;
}

int shipper_send_test(const struct shipper_conf *conf, const char *event, char *msg, size_t msglen)
{
	struct shipper_conf c = *conf;
	CURL *e = curl_easy_init();
	struct buf body = {0}, answer = {0}, auth = {0};
	struct curl_slist *h = NULL;
	char url[2048], message[512], errbuf[CURL_ERROR_SIZE] = "";
	long status = 0;
	CURLcode code;
	int result = 2;

	if (e == NULL) {
		snprintf(msg, msglen, "out of memory");
		return 2;
	}
	c.test_mode = 1;
	make_url(&c, url, sizeof url);
	setup_easy(e, &c, url);
	buf_adds(&body, "{\"data\":[");
	buf_adds(&body, event);
	buf_adds(&body, "]}");
	buf_adds(&auth, "Authorization: Bearer ");
	buf_adds(&auth, *c.token ? *c.token : "");
	h = curl_slist_append(NULL, auth.p);
	h = curl_slist_append(h, "Content-Type: application/json");
	explicit_bzero(auth.p, auth.len);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, body.p);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &answer);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
	code = curl_easy_perform(e);
	if (code != CURLE_OK) {
		snprintf(msg, msglen, "network problem: cannot reach %s: %s", c.api_url,
			 errbuf[0] ? errbuf : curl_easy_strerror(code));
	} else {
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
		answer_message(answer.p, message, sizeof message);
		if (status >= 200 && status < 300) {
			cJSON *j = cJSON_Parse(answer.p ? answer.p : "");
			const cJSON *ev = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "events"), 0);
			const cJSON *st = cJSON_GetObjectItemCaseSensitive(ev, "status");
			const cJSON *em = cJSON_GetObjectItemCaseSensitive(ev, "error_message");
			if (!received_all(&answer, 1) || ev == NULL) {
				/* A proxy's or captive portal's page: the event went
				 * no further than it. */
				snprintf(msg, msglen,
					 "HTTP %ld from %s, but not Pinterest's answer (no num_events_received "
					 "and result for the test event): a proxy or firewall in the way?",
					 status, c.api_url);
			} else if (cJSON_IsString(st) && strcmp(st->valuestring, "failed") == 0) {
				snprintf(msg, msglen, "Pinterest refused the test event: %s",
					 cJSON_IsString(em) ? em->valuestring : "failed");
			} else {
				snprintf(msg, msglen, "accepted: Pinterest processed the test event (HTTP %ld) for ad account %s",
					 status, c.ad_account_id);
				result = 0;
			}
			cJSON_Delete(j);
		} else {
			describe_refusal(&c, status, message, msg, msglen);
		}
	}
	headers_free(h);
	curl_easy_cleanup(e);
	buf_free(&body);
	buf_free(&answer);
	buf_free(&auth);
	return result;
}
