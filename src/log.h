/*
 * log.h - the daemon's one way to say something.
 *
 * Only the monitor logs; children report through their RESULT message and
 * the monitor writes what they report. Three kinds of record:
 *   log_msg       a plain message (start-up, errors, signals);
 *   log_transfer  one per transfer, when it ends;
 *   log_refusal   one per request turned down.
 * Each goes to one target, chosen at start (log_open) and never changed:
 *   stderr   text lines "tftpd: ..." (default), or JSON lines
 *            (--log-format=json);
 *   journal  started by systemd with stderr connected to the journal
 *            (JOURNAL_STREAM): native journal entries with the text line as
 *            MESSAGE plus TFTP_* fields, over a socket connected before the
 *            chroot;
 *   syslog   started by inetd: the text line, through a socket opened
 *            before the chroot (LOG_NDELAY).
 */
#ifndef CLOISTER_LOG_H
#define CLOISTER_LOG_H

#include <stdbool.h>
#include <syslog.h>

#include "log-format.h"

enum log_target {
	LOG_TARGET_STDERR = 0,  /* started by hand */
	LOG_TARGET_SYSLOG = 1,  /* started by inetd: stderr goes nowhere useful */
	LOG_TARGET_JOURNAL = 2, /* started by systemd */
};

enum log_format {
	LOG_FORMAT_TEXT = 0,
	LOG_FORMAT_JSON = 1, /* stderr only */
};

/*
 * Choose the target and format; connect to syslog or the journal now, so
 * that the socket survives chroot. verbose lets LOG_DEBUG through. Returns
 * 0, or -errno when the target could not be reached (the target then stays
 * stderr, which is still usable).
 */
int log_open(enum log_target target, enum log_format format, bool verbose);

/* Is stderr the journal's stream for this process (systemd's
 * JOURNAL_STREAM names stderr's device and inode)? */
bool log_stderr_is_journal(void);

/* printf-style; messages at LOG_DEBUG are dropped unless verbose. */
void log_msg(int priority, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One transfer's record; see struct log_transfer. */
void log_transfer(int priority, const struct log_transfer *t);

/* One refused request, at LOG_NOTICE. All strings printable (escaped). */
void log_refusal(const char *op, const char *client, const char *file, unsigned error,
		 const char *reason);

#endif
