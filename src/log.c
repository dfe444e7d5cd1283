/*
 * log.c - stderr or syslog, chosen once at start.
 *
 * Client-controlled text never reaches this file unescaped: callers pass
 * it through tftp_escape first.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdarg.h>
#include <stdio.h>

#include "log.h"

static enum log_target log_target = LOG_TARGET_STDERR;
static bool log_verbose;

void log_open(enum log_target target, bool verbose)
{
	log_target = target;
	log_verbose = verbose;
	if (target == LOG_TARGET_SYSLOG)
		openlog("tftpd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void log_msg(int priority, const char *fmt, ...)
{
	va_list ap;

	if (priority == LOG_DEBUG && !log_verbose)
		return;
	va_start(ap, fmt);
	if (log_target == LOG_TARGET_SYSLOG) {
		vsyslog(priority, fmt, ap);
	} else {
		/* One fprintf per line: lines from one process never interleave. */
		char line[2048];

		vsnprintf(line, sizeof(line), fmt, ap);
		fprintf(stderr, "tftpd: %s\n", line);
	}
	va_end(ap);
}
