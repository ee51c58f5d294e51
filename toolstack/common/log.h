/* Logging: stderr in the foreground, syslog as a daemon, one process tag. */
#ifndef BL_LOG_H
#define BL_LOG_H

#include <stdbool.h>
#include <stddef.h>

#define BL_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* tag prefixes every message (e.g. "blanket" or "agent/node1"). */
void log_init(const char *tag, bool to_syslog, bool debug);
void log_warn(const char *fmt, ...)
    BL_PRINTF(1, 2); /* appends strerror(errno) */
void log_warnx(const char *fmt, ...) BL_PRINTF(1, 2);
void log_info(const char *fmt, ...) BL_PRINTF(1, 2);
void log_debug(const char *fmt, ...) BL_PRINTF(1, 2);
/* While gate is set, a line is logged only if gate(arg) says so (NULL:
 * every line): how a process bounds what strangers can make it log. */
void log_set_gate(bool (*gate)(void *arg), void *arg);
/* s with control characters, backslashes and bytes above 0x7e written as
 * \n, \t, \\ or \xNN, into buf (size bytes, at least 4; cut short with
 * "..." when it does not fit): how a value from outside goes into a message.
 * Returns buf. Every log line has its control characters escaped so too, so
 * that one message is always one line. */
const char *log_escape(const char *s, char *buf, size_t size);
/* Broken invariants only, never bad input: log and exit(1). */
void fatal(const char *fmt, ...) BL_PRINTF(1, 2) __attribute__((noreturn));
void fatalx(const char *fmt, ...) BL_PRINTF(1, 2) __attribute__((noreturn));

#endif
