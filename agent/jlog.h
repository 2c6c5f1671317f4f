/*
 * jlog — an append-only log of JSON lines (delivery.log, rejected.log),
 * rotated by size: at the cap, FILE becomes FILE.1 (replacing an older
 * one) and a new FILE is started.
 */
#ifndef PINTAIL_JLOG_H
#define PINTAIL_JLOG_H

#include <stddef.h>
#include <stdint.h>

#define JLOG_MAX (10u << 20) /* 10 MiB */

struct jlog;

/* Opens PATH for appending (mode 0600); one that cannot be opened now is
 * logged, and opened at a later line.  NULL when out of memory. */
struct jlog *jlog_open(const char *path, uint64_t max);
void jlog_close(struct jlog *j);

/* Appends LINE (N bytes, without its newline) and a newline. */
void jlog_write(struct jlog *j, const char *line, size_t n);

#endif
