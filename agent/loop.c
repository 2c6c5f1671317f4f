#include "loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

struct watch {
	int fd;
	loop_fd_fn fn;
	void *ctx;
	struct watch *next;
};

struct loop_timer {
	struct loop *loop;
	loop_timer_fn fn;
	void *ctx;
	int64_t at;            /* monotonic ms; -1: not armed */
	struct loop_timer *next;
};

struct loop {
	int ep;
	int tfd;
	struct watch *watches;
	struct loop_timer *timers;
	int64_t tfd_at;        /* when the timerfd is set to fire; -1: not set */
	int timer_failed;      /* timerfd_settime() failed: said once */
};

int64_t loop_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct loop *loop_new(void)
{
	struct loop *l = calloc(1, sizeof *l);
	struct epoll_event ev = {.events = EPOLLIN};

	if (l == NULL) {
		return NULL;
	}
	l->ep = epoll_create1(EPOLL_CLOEXEC);
	l->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	l->tfd_at = -1;
	ev.data.ptr = NULL; /* NULL marks the timerfd */
	if (l->ep < 0 || l->tfd < 0 || epoll_ctl(l->ep, EPOLL_CTL_ADD, l->tfd, &ev) < 0) {
		log_err("epoll/timerfd: %s", strerror(errno));
		loop_free(l);
		return NULL;
	}
	return l;
}

void loop_free(struct loop *l)
{
	if (l == NULL) {
		return;
	}
	while (l->watches != NULL) {
		struct watch *w = l->watches;
		l->watches = w->next;
		free(w);
	}
	while (l->timers != NULL) {
		loop_timer_free(l->timers);
	}
	if (l->tfd >= 0) {
		close(l->tfd);
	}
	if (l->ep >= 0) {
		close(l->ep);
	}
	free(l);
}

static struct watch *find_watch(struct loop *l, int fd)
{
	for (struct watch *w = l->watches; w != NULL; w = w->next) {
		if (w->fd == fd) {
			return w;
		}
	}
	return NULL;
}

int loop_watch(struct loop *l, int fd, uint32_t events, loop_fd_fn fn, void *ctx)
{
	struct watch *w = find_watch(l, fd);
	struct epoll_event ev = {.events = events};
	int op = w ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;

	if (w == NULL) {
		w = calloc(1, sizeof *w);
		if (w == NULL) {
			return -1;
		}
		w->fd = fd;
		w->next = l->watches;
		l->watches = w;
	}
	w->fn = fn;
	w->ctx = ctx;
	ev.data.ptr = w;
	if (epoll_ctl(l->ep, op, fd, &ev) < 0) {
		log_err("epoll_ctl fd %d: %s", fd, strerror(errno));
		return -1;
	}
	return 0;
}

void loop_unwatch(struct loop *l, int fd)
{
	for (struct watch **pw = &l->watches; *pw != NULL; pw = &(*pw)->next) {
		if ((*pw)->fd == fd) {
			struct watch *w = *pw;
			*pw = w->next;
			epoll_ctl(l->ep, EPOLL_CTL_DEL, fd, NULL);
			free(w);
			return;
		}
	}
}

struct loop_timer *loop_timer_new(struct loop *l, loop_timer_fn fn, void *ctx)
{
	struct loop_timer *t = calloc(1, sizeof *t);
	if (t == NULL) {
		return NULL;
	}
	t->loop = l;
	t->fn = fn;
	t->ctx = ctx;
	t->at = -1;
	t->next = l->timers;
	l->timers = t;
	return t;
}

void loop_timer_free(struct loop_timer *t)
{
	if (t == NULL) {
		return;
	}
	for (struct loop_timer **pt = &t->loop->timers; *pt != NULL; pt = &(*pt)->next) {
		if (*pt == t) {
			*pt = t->next;
			break;
		}
	}
	free(t);
}

void loop_timer_arm(struct loop_timer *t, int64_t ms)
{
	t->at = loop_now_ms() + (ms > 0 ? ms : 0);
}

void loop_timer_arm_before(struct loop_timer *t, int64_t at_ms)
{
	if (t->at < 0 || at_ms < t->at) {
		t->at = at_ms;
	}
}

void loop_timer_disarm(struct loop_timer *t) { t->at = -1; }

int loop_timer_armed(const struct loop_timer *t) { return t->at >= 0; }

/* Sets the timerfd to the earliest armed timer, or disarms it. */
static void set_timerfd(struct loop *l)
{
	int64_t next = -1;
	struct itimerspec its = {0};

	for (struct loop_timer *t = l->timers; t != NULL; t = t->next) {
		if (t->at >= 0 && (next < 0 || t->at < next)) {
			next = t->at;
		}
	}
	if (next == l->tfd_at) {
		return;
	}
	l->tfd_at = next;
	if (next >= 0) {
		/* Absolute time; at least 1 ns, since zero disarms. */
		its.it_value.tv_sec = next / 1000;
		its.it_value.tv_nsec = (next % 1000) * 1000000 + 1;
	}
	if (timerfd_settime(l->tfd, TFD_TIMER_ABSTIME, &its, NULL) < 0 && !l->timer_failed) {
		/* Cannot happen with a valid time; if it did, every timer of
		 * the agent (flushes, retries, saves) would stall unsaid. */
		l->timer_failed = 1;
		log_err("timerfd_settime: %s: the agent's timers may not fire", strerror(errno));
	}
}

static void run_timers(struct loop *l)
{
	int64_t now = loop_now_ms();
	int again = 1;
	uint64_t expirations;

	if (read(l->tfd, &expirations, sizeof expirations) < 0) {
		/* EAGAIN: fired already, or re-armed since; nothing to read. */
	}
	l->tfd_at = -1;
	/* A callback may arm or free timers: restart the scan after each. */
	while (again) {
		again = 0;
		for (struct loop_timer *t = l->timers; t != NULL; t = t->next) {
			if (t->at >= 0 && t->at <= now) {
				t->at = -1;
				if (t->fn != NULL) {
					t->fn(t->ctx);
				}
				again = 1;
				break;
			}
		}
	}
}

int loop_run_once(struct loop *l)
{
	struct epoll_event evs[64];
	int n;

	set_timerfd(l);
	n = epoll_wait(l->ep, evs, 64, -1);
	if (n < 0) {
		if (errno == EINTR) {
			return 0;
		}
		log_err("epoll_wait: %s", strerror(errno));
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct watch *w = evs[i].data.ptr;
		if (w == NULL) {
			run_timers(l);
			continue;
		}
		/* The watch may be removed by an earlier callback of this round:
		 * only call it if it is still registered. */
		for (struct watch *x = l->watches; x != NULL; x = x->next) {
			if (x == w) {
				w->fn(w->ctx, w->fd, evs[i].events);
				break;
			}
		}
	}
	return 0;
}
