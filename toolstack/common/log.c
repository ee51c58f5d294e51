#include "toolstack/common/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

static const char *log_tag = "blanket";
static bool log_syslog;
static bool log_debugging;
static bool (*log_gate)(void *arg);
static void *log_gate_arg;

void log_set_gate(bool (*gate)(void *arg), void *arg)
{
	log_gate = gate;
	log_gate_arg = arg;
}

void log_init(const char *tag, bool to_syslog, bool debug)
{
	log_tag = tag;
	log_syslog = to_syslog;
	log_debugging = debug;
	if (to_syslog)
		openlog(tag, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

/* log_escape(), or with all false only what would break the line:
 * control characters. */
static const char *escape(const char *s, char *buf, size_t size, bool all)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char e[4] = {(char)c};
		size_t n = 1;

		if (c < 0x20 || c == 0x7f || (all && (c > 0x7f || c == '\\'))) {
			e[0] = '\\';
			e[1] = c == '\n' ? 'n' : c == '\t' ? 't' : 'x';
			n = 2;
			if (c == '\\')
				e[1] = '\\';
			else if (e[1] == 'x') {
				e[2] = hex[c >> 4];
				e[3] = hex[c & 15];
				n = 4;
			}
		}
		if (o + n + sizeof("...") > size)
			break; /* room is kept for "..." */
		memcpy(buf + o, e, n);
		o += n;
	}
	if (*s) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

const char *log_escape(const char *s, char *buf, size_t size)
{
	return escape(s, buf, size, true);
}

static void vlog(int prio, const char *err, const char *fmt, va_list ap)
{
	char raw[1024], msg[1024];

	if (log_gate && !log_gate(log_gate_arg))
		return;
	vsnprintf(raw, sizeof(raw), fmt, ap);
	escape(raw, msg, sizeof(msg), false);
	if (log_syslog) {
		if (err)
			syslog(prio, "%s: %s", msg, err);
		else
			syslog(prio, "%s", msg);
		return;
	}
	if (err)
		fprintf(stderr, "%s: %s: %s\n", log_tag, msg, err);
	else
		fprintf(stderr, "%s: %s\n", log_tag, msg);
}

#define LOG_BODY(prio, err)                                                    \
	do {                                                                   \
		va_list ap;                                                    \
		va_start(ap, fmt);                                             \
		vlog((prio), (err), fmt, ap);                                  \
		va_end(ap);                                                    \
	} while (0)

void log_warn(const char *fmt, ...)
{
	const char *err = strerror(errno);

	LOG_BODY(LOG_WARNING, err);
}

void log_warnx(const char *fmt, ...)
{
	LOG_BODY(LOG_WARNING, NULL);
}

void log_info(const char *fmt, ...)
{
	LOG_BODY(LOG_INFO, NULL);
}

void log_debug(const char *fmt, ...)
{
	if (!log_debugging)
		return;
	LOG_BODY(LOG_DEBUG, NULL);
}

void fatal(const char *fmt, ...)
{
	const char *err = strerror(errno);

	LOG_BODY(LOG_CRIT, err);
	exit(1);
}

void fatalx(const char *fmt, ...)
{
	LOG_BODY(LOG_CRIT, NULL);
	exit(1);
}
