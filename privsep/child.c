/*
 * child.c - the transfer child.
 *
 * Everything here after jail_enter runs under the seccomp allow-list in
 * seccomp-child.c: the child can move bytes between the two fds it was
 * handed and talk to the monitor, nothing else. It never logs: what it has
 * to say goes into the RESULT message.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "child.h"
#include "msg.h"
#include "tftp-packet.h"
#include "transfer.h"
#include "util.h"

struct child_io {
	int file;
	int sock;
};

static int io_send(void *ctx, const uint8_t *buf, size_t len)
{
	struct child_io *c = ctx;

	for (;;) {
		ssize_t n = send(c->sock, buf, len, MSG_NOSIGNAL);

		if (n >= 0)
			return 0;
		/* ECONNREFUSED: an ICMP port unreachable from an earlier send;
		 * the client may still be there, the retry logic decides. */
		if (errno == EINTR || errno == ECONNREFUSED)
			continue;
		return -errno;
	}
}

static ssize_t io_recv(void *ctx, uint8_t *buf, size_t size, uint64_t deadline_us)
{
	struct child_io *c = ctx;

	for (;;) {
		struct pollfd pfd = { .fd = c->sock, .events = POLLIN };
		uint64_t now = now_usec();
		int timeout_ms, r;
		ssize_t n;

		if (now >= deadline_us)
			return -ETIMEDOUT;
		/* Round up so we never spin on a sub-millisecond remainder. */
		timeout_ms = (int)((deadline_us - now + 999) / 1000);
		r = poll(&pfd, 1, timeout_ms);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r <= 0)
			continue;
		n = recv(c->sock, buf, size, MSG_DONTWAIT);
		if (n >= 0)
			return n;
		if (errno != EINTR && errno != EAGAIN && errno != ECONNREFUSED)
			return -errno;
	}
}

static ssize_t io_read(void *ctx, uint8_t *buf, size_t len, uint64_t off)
{
	struct child_io *c = ctx;
	size_t done = 0;

	/* Fill the block: a short read would end the transfer early. */
	while (done < len) {
		ssize_t n = pread(c->file, buf + done, len - done, (off_t)(off + done));

		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += (size_t)n;
	}
	return (ssize_t)done;
}

static uint64_t io_now(void *ctx)
{
	return now_usec();
}

static noreturn void run_job(int sock, const struct psep_job *job, int fds[PSEP_MSG_MAX_FDS])
{
	struct child_io c = { .file = fds[PSEP_FD_FILE], .sock = fds[PSEP_FD_SOCKET] };
	struct transfer_io io = {
		.ctx = &c, .send = io_send, .recv = io_recv, .read = io_read, .now_us = io_now,
	};
	struct psep_msg out = { .type = PSEP_MSG_RESULT };
	size_t size = transfer_buffer_size(job);
	uint8_t *buf = malloc(size);

	if (buf == NULL) {
		memset(&out.result, 0, sizeof(out.result));
		out.result.transfer_id = job->transfer_id;
		out.result.status = PSEP_INTERNAL;
	} else {
		transfer_run(job, &io, buf, size, &out.result);
	}
	if (psep_msg_send(sock, &out, NULL, 0) < 0)
		_exit(CHILD_EXIT_PROTOCOL);
	_exit(CHILD_EXIT_OK);
}

noreturn void child_main(int sock, const struct jail_ids *ids)
{
	struct psep_msg ready = { .type = PSEP_MSG_READY };
	struct psep_msg job;
	int fds[PSEP_MSG_MAX_FDS] = { -1, -1 };
	int r;

	if (jail_enter(sock, ids) < 0)
		_exit(CHILD_EXIT_JAIL);
	/* From here on the child holds only sock and stderr. */
	if (psep_msg_send(sock, &ready, NULL, 0) < 0)
		_exit(CHILD_EXIT_PROTOCOL);
	r = psep_msg_recv(sock, &job, fds);
	if (r == -ECONNRESET)
		_exit(CHILD_EXIT_OK); /* the monitor is gone or retired us */
	if (r < 0 || job.type != PSEP_MSG_JOB)
		_exit(CHILD_EXIT_PROTOCOL);
	run_job(sock, &job.job, fds);
}
