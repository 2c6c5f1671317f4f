/*
 * shipper — delivery of a site's spooled events to the Pinterest
 * Conversions API, with libcurl's multi interface in the agent's loop.
 *
 * One struct ship per agent holds the curl multi handle and ties its
 * sockets and timer to the loop; one struct shipper per site owns a curl
 * handle (so a kept-alive connection), the batch in hand and the state of
 * its delivery: idle, in flight, backing off, or paused.  A batch leaves
 * the spool only once Pinterest answered for every event in it.
 */
#ifndef PINTAIL_SHIPPER_H
#define PINTAIL_SHIPPER_H

#include <stddef.h>
#include <stdint.h>

struct loop;
struct spool;
struct ship;
struct shipper;

/* What the agent hears from a shipper. */
struct shipper_hooks {
	void *ctx;
	/* One request was answered (or failed): for delivery.log. */
	void (*request)(void *ctx, int status, size_t events, size_t processed, size_t failed,
			int64_t latency_ms, const char *error);
	/* Pinterest refused one event: for rejected.log. */
	void (*rejected)(void *ctx, const char *event_id, int type, const char *json, size_t len,
			 const char *message);
	/* Events left the spool (delivered or rejected): backpressure may end. */
	void (*acked)(void *ctx);
	/* Before a retry of a paused site: re-read the token.  0 if it is readable. */
	int (*reload_token)(void *ctx);
};

struct shipper_conf {
	const char *site;        /* for log lines */
	const char *api_url;     /* without a trailing '/' */
	const char *ad_account_id;
	const char *tag_id;      /* for messages; may be NULL */
	const char *const *token; /* where the current token is (re-read on retries) */
	const char *ca_file;     /* may be NULL */
	int test_mode;
	size_t batch_max;
	int64_t flush_interval_ms;
	int64_t timeout_ms;
	int64_t retry_min_ms;
	int64_t retry_max_ms;
	int64_t pause_retry_ms;
	int64_t outage_warn_ms;
	int64_t max_event_age_ms; /* events older when sent are rejected */
};

struct ship *ship_new(struct loop *loop);
void ship_free(struct ship *s);

/* A shipper for one site's SPOOL.  NULL when out of memory. */
struct shipper *shipper_new(struct ship *s, const struct shipper_conf *conf, struct spool *spool,
			    const struct shipper_hooks *hooks);

/* Abandons a request in flight (its events stay spooled) and frees SH. */
void shipper_free(struct shipper *sh);

/* New events were committed to the spool: send when a batch is due. */
void shipper_kick(struct shipper *sh);

/*
 * Shutting down: starts no new request; one in flight may still finish.
 * shipper_in_flight() tells whether one is.
 */
void shipper_quiesce(struct shipper *sh);
int shipper_in_flight(const struct shipper *sh);

/* Retries a paused site now (SIGHUP). */
void shipper_unpause(struct shipper *sh);

/* Replaces the configuration (a reload); takes effect at the next request. */
void shipper_reconfigure(struct shipper *sh, const struct shipper_conf *conf);

/* For status. */
struct shipper_stats {
	uint64_t delivered;      /* events Pinterest processed */
	uint64_t rejected;       /* events Pinterest refused */
	uint64_t warnings;
	uint64_t retries;        /* requests that will be tried again */
	uint64_t requests;
	int64_t last_success;    /* Unix seconds; 0: never */
	char last_error[256];
	int paused;
	char pause_reason[512];
	int in_flight;
};
const struct shipper_stats *shipper_stats(const struct shipper *sh);

/*
 * The delay a Retry-After header's VALUE (without the name) asks for, in
 * ms: delay-seconds or an HTTP-date, the date counted from NOW (Unix
 * seconds); at most an hour.  0 when it asks for none: a date in the past,
 * or a value that is neither form.
 */
int64_t shipper_retry_after_ms(const char *value, int64_t now);

/*
 * The wait before retry ATTEMPT (0: the first), with R a random number:
 * exponential backoff with full jitter, between retry_min and a cap that
 * doubles from retry_min up to retry_max.  Never under 100 ms, whatever
 * the bounds (a retry_min of 0 must not make a loop of requests).
 */
int64_t shipper_backoff_ms(int64_t retry_min, int64_t retry_max, int attempt, uint32_t r);

/*
 * Sends one page_visit (JSON in EVENT) in test mode and waits for the
 * answer, outside any loop: `pintail send-test`.  Writes the outcome in
 * words to MSG.  Returns 0 when Pinterest accepted it, 2 otherwise.
 */
int shipper_send_test(const struct shipper_conf *conf, const char *event, char *msg, size_t msglen);

#endif
