/*
 * log — messages for a human, one line each, on stderr.
 *
 * Under systemd (JOURNAL_STREAM set) each line carries a "<N>" priority
 * prefix that journald understands; on a terminal it reads "pintail: level: ".
 */
#ifndef PINTAIL_LOG_H
#define PINTAIL_LOG_H

#include <stddef.h>

enum log_level { LOG_ERR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* Sets the most verbose level that is printed (default LOG_INFO). */
void log_set_level(enum log_level level);

/*
 * Rewrites S (a string in a buffer of SIZE bytes) in place with each
 * control byte (below 0x20, and 0x7f) as "\xHH", cutting whole characters
 * from the end when the result would not fit: text from logs, file names
 * or an API's answers then cannot start a forged line in the journal, nor
 * send escape sequences to a terminal.
 */
void log_sanitize(char *s, size_t size);

/* Prints one line at LEVEL, its control bytes escaped (log_sanitize()); a
 * trailing newline is added. */
void log_msg(enum log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
