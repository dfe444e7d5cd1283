/*
 * log.h - the daemon's one way to say something.
 *
 * Only the monitor logs; children report through their RESULT message.
 */
#ifndef CLOISTER_LOG_H
#define CLOISTER_LOG_H

#include <stdbool.h>
#include <syslog.h>

enum log_target {
	LOG_TARGET_STDERR = 0, /* started by hand, or by systemd (stderr is the journal) */
	LOG_TARGET_SYSLOG = 1, /* started by inetd: stderr goes nowhere useful */
};

/* Choose the target; for syslog, connect now (LOG_NDELAY) so the socket
 * survives chroot. verbose enables LOG_INFO-level detail (LOG_DEBUG). */
void log_open(enum log_target target, bool verbose);

/* printf-style; messages at LOG_DEBUG are dropped unless verbose. */
void log_msg(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
