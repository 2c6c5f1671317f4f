/*
 * loop — the one event loop of `pintail run`: epoll over file descriptors
 * (inotify, signals, libcurl's sockets) and one timerfd for every timer.
 *
 * Timers are few (per site: commit, flush, backoff; per rotated file; one
 * for libcurl), so they live in a short list scanned for the earliest.  An
 * idle loop sleeps in epoll_wait with no timer armed.
 */
#ifndef PINTAIL_LOOP_H
#define PINTAIL_LOOP_H

#include <stdint.h>

struct loop;

/* Called with the fd's epoll events (EPOLLIN, EPOLLOUT, EPOLLERR...). */
typedef void (*loop_fd_fn)(void *ctx, int fd, uint32_t events);
typedef void (*loop_timer_fn)(void *ctx);

struct loop *loop_new(void);
void loop_free(struct loop *l);

/* Watches FD for EVENTS (EPOLLIN, EPOLLOUT); replaces an earlier watch. 0 or -1. */
int loop_watch(struct loop *l, int fd, uint32_t events, loop_fd_fn fn, void *ctx);
void loop_unwatch(struct loop *l, int fd);

/* A timer; it does nothing until armed. */
struct loop_timer;
struct loop_timer *loop_timer_new(struct loop *l, loop_timer_fn fn, void *ctx);
void loop_timer_free(struct loop_timer *t);

/* Fires T once, MS milliseconds from now (replacing an earlier arming). */
void loop_timer_arm(struct loop_timer *t, int64_t ms);
/* Fires T at monotonic time AT_MS unless it is armed earlier already. */
void loop_timer_arm_before(struct loop_timer *t, int64_t at_ms);
void loop_timer_disarm(struct loop_timer *t);
int loop_timer_armed(const struct loop_timer *t);

/* Runs one round: waits for events or the next timer, dispatches them. */
int loop_run_once(struct loop *l);

/* Monotonic milliseconds. */
int64_t loop_now_ms(void);

#endif
