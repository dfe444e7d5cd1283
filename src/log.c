/*
 * log.c - where log records go: stderr, the journal or syslog, chosen once
 * at start.
 *
 * The journal: sd_journal_send() would be the obvious call, but it names
 * /run/systemd/journal/socket in every sendmsg(), and after our chroot that
 * path no longer resolves: every entry would be dropped without a word
 * (it ignores ENOENT). So the monitor connects its own datagram socket to
 * the journal before the chroot and sends the native protocol over it;
 * log-format.c builds the datagrams. When a send fails (journald gone,
 * its queue full) the record goes to stderr, which systemd also connects to
 * the journal, rather than nowhere.
 *
 * Client-controlled text never reaches this file unescaped: callers pass
 * it through tftp_escape first.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

static struct {
	enum log_target target;
	enum log_format format;
	bool verbose;
	int journal_fd;
} log_state = { .journal_fd = -1 };

bool log_stderr_is_journal(void)
{
	const char *env = getenv("JOURNAL_STREAM");
	uintmax_t dev, ino;
	struct stat st;
	char tail;

	/* "DEV:INODE" of the stream systemd connected; a process started
	 * from a service (inetd under systemd) inherits the variable but
	 * not the stream, hence the comparison with what stderr really is. */
	if (env == NULL || sscanf(env, "%ju:%ju%c", &dev, &ino, &tail) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) < 0)
		return false;
	return (uintmax_t)st.st_dev == dev && (uintmax_t)st.st_ino == ino;
}

static int journal_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = JOURNAL_SOCKET };
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

int log_open(enum log_target target, enum log_format format, bool verbose)
{
	log_state.format = format;
	log_state.verbose = verbose;
	if (target == LOG_TARGET_SYSLOG) {
		openlog("tftpd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	} else if (target == LOG_TARGET_JOURNAL) {
		int fd = journal_connect();

		if (fd < 0)
			return fd; /* stays on stderr */
		log_state.journal_fd = fd;
	}
	log_state.target = target;
	return 0;
}

/* Never blocks: a stalled journal must not stall the monitor's loop. */
static int journal_send(int priority, const char *text, const struct log_field *f, size_t n)
{
	char dgram[LOG_LINE_MAX];
	int len = log_fmt_journal(priority, text, f, n, dgram, sizeof(dgram));

	if (len < 0)
		return len;
	if (send(log_state.journal_fd, dgram, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

/* One record to the chosen target. text is the human line (without the
 * "tftpd: " prefix); fields are its structured form. */
static void emit(int priority, const char *event, const char *text, const struct log_field *f,
		 size_t n)
{
	char json[LOG_LINE_MAX];

	switch (log_state.target) {
	case LOG_TARGET_SYSLOG:
		syslog(priority, "%s", text);
		return;
	case LOG_TARGET_JOURNAL:
		if (journal_send(priority, text, f, n) == 0)
			return;
		break;
	case LOG_TARGET_STDERR:
		break;
	}
	/* One fprintf per line: lines from one process never interleave. */
	if (log_state.format == LOG_FORMAT_JSON &&
	    log_fmt_json(event, priority, text, f, n, json, sizeof(json)) >= 0)
		fprintf(stderr, "%s\n", json);
	else
		fprintf(stderr, "tftpd: %s\n", text);
}

void log_msg(int priority, const char *fmt, ...)
{
	char line[2048];
	va_list ap;

	if (priority == LOG_DEBUG && !log_state.verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	emit(priority, "message", line, NULL, 0);
}

void log_transfer(int priority, const struct log_transfer *t)
{
	struct log_field f[LOG_FIELDS_MAX];
	char line[LOG_LINE_MAX];

	if (priority == LOG_DEBUG && !log_state.verbose)
		return;
	/* A line too long for the buffer is cut, but still written. */
	(void)log_fmt_transfer_text(t, line, sizeof(line));
	emit(priority, "transfer", line, f, log_fmt_transfer_fields(t, f));
}

void log_refusal(const char *op, const char *client, const char *file, unsigned error,
		 const char *reason)
{
	const struct log_refusal r = { .op = op, .client = client, .file = file, .error = error,
				       .reason = reason };
	struct log_field f[LOG_FIELDS_MAX];
	char line[LOG_LINE_MAX];

	(void)log_fmt_refusal_text(&r, line, sizeof(line));
	emit(LOG_NOTICE, "refusal", line, f, log_fmt_refusal_fields(&r, f));
}
