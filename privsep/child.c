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
#include <netinet/udp.h>
#include <stdbool.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "child.h"
#include "msg.h"
#include "tftp-packet.h"
#include "transfer.h"
#include "util.h"

struct child_io {
	int file;
	int sock;
	int monitor;      /* socketpair end, for the report */
	bool gso;         /* UDP_SEGMENT works on this socket */
	size_t gso_seg;   /* segment size currently set */
	bool upload;      /* WRQ: the report waits for the monitor's commit */
	bool reported;
};

/* Largest payload one GSO send may carry (an IP datagram's limit, minus
 * headers), and the kernel's segment limit per send. */
#define GSO_BYTES_MAX 65000
#define GSO_SEGMENTS_MAX 64

static int send_once(int sock, const uint8_t *buf, size_t len)
{
	for (;;) {
		/* send() is sendto without an address: the filter allows
		 * nothing else, so a child can only reach its own client. */
		ssize_t n = send(sock, buf, len, MSG_NOSIGNAL);

		if (n >= 0)
			return 0;
		/* ECONNREFUSED: an ICMP port unreachable from an earlier send;
		 * the client may still be there, the retry logic decides. */
		if (errno == EINTR || errno == ECONNREFUSED)
			continue;
		/* A full queue, a local firewall dropping the packet (EPERM)
		 * or a route that comes and goes: the packet is lost, and
		 * the retransmission timer repairs loss. */
		switch (errno) {
		case ENOBUFS:
		case EAGAIN:
		case EPERM:
		case EHOSTUNREACH:
		case ENETUNREACH:
		case EHOSTDOWN:
		case ENETDOWN:
			return 0;
		}
		return -errno;
	}
}

/* Stop segmenting for good (the path cannot carry our segments whole). */
static void gso_off(struct child_io *c)
{
	int zero = 0;

	if (c->gso_seg != 0)
		(void)setsockopt(c->sock, SOL_UDP, UDP_SEGMENT, &zero, sizeof(zero));
	c->gso = false;
	c->gso_seg = 0;
}

static bool set_gso(struct child_io *c, size_t seg)
{
	int v = (int)seg;

	if (c->gso && c->gso_seg != seg) {
		if (setsockopt(c->sock, SOL_UDP, UDP_SEGMENT, &v, sizeof(v)) < 0)
			gso_off(c);
		else
			c->gso_seg = seg;
	}
	return c->gso;
}

/* One datagram, or with GSO set a train of them. EINVAL with GSO set
 * means a segment does not fit the path MTU: retry without GSO. */
static int send_gso_aware(struct child_io *c, const uint8_t *buf, size_t len)
{
	int r = send_once(c->sock, buf, len);

	if (r == -EINVAL && c->gso_seg != 0) {
		gso_off(c);
		r = send_once(c->sock, buf, len);
	}
	return r;
}

static int io_send(void *ctx, const uint8_t *buf, size_t len)
{
	return send_gso_aware(ctx, buf, len);
}

static int io_send_batch(void *ctx, const uint8_t *buf, size_t len, size_t seg)
{
	struct child_io *c = ctx;
	size_t per_send = GSO_BYTES_MAX / seg;

	if (per_send > GSO_SEGMENTS_MAX)
		per_send = GSO_SEGMENTS_MAX;
	while (len > 0) {
		size_t chunk = len > seg ? seg : len;
		int r;

		/* A window in as few sends as the kernel takes: one per
		 * GSO_BYTES_MAX, never one per block. */
		if (len > seg && per_send >= 2 && set_gso(c, seg)) {
			chunk = len < per_send * seg ? len : per_send * seg;
			r = send_once(c->sock, buf, chunk);
			if (r == -EINVAL || r == -EIO) {
				gso_off(c);
				continue;
			}
		} else {
			r = send_gso_aware(c, buf, chunk);
		}
		if (r < 0)
			return r;
		buf += chunk;
		len -= chunk;
	}
	return 0;
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

static ssize_t io_readv(void *ctx, const struct iovec *iov, int iovcnt, uint64_t off)
{
	struct child_io *c = ctx;
	struct iovec v[64];
	size_t want = 0, done = 0;

	if (iovcnt > 64)
		return -EINVAL;
	memcpy(v, iov, sizeof(*iov) * (size_t)iovcnt);
	for (int i = 0; i < iovcnt; i++)
		want += v[i].iov_len;
	/* Fill every buffer: a short read means the end of the file. */
	while (done < want) {
		ssize_t n = preadv(c->file, v, iovcnt, (off_t)(off + done));
		size_t left;

		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += (size_t)n;
		left = (size_t)n;
		while (iovcnt > 0 && left >= v[0].iov_len) {
			left -= v[0].iov_len;
			memmove(v, v + 1, sizeof(*v) * (size_t)--iovcnt);
		}
		if (iovcnt > 0) {
			v[0].iov_base = (uint8_t *)v[0].iov_base + left;
			v[0].iov_len -= left;
		}
	}
	return (ssize_t)done;
}

static int io_write(void *ctx, const uint8_t *buf, size_t len, uint64_t off)
{
	struct child_io *c = ctx;

	while (len > 0) {
		ssize_t n = pwrite(c->file, buf, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int io_sync(void *ctx)
{
	return fdatasync(((struct child_io *)ctx)->file) < 0 ? -errno : 0;
}

static uint64_t io_now(void *ctx)
{
	return now_usec();
}

/* The outcome is final: tell the monitor now, even if the engine still
 * lingers to acknowledge a resent last block. A successful upload waits
 * for the monitor's word that the file is in place. */
static int io_report(void *ctx, const struct psep_result *res)
{
	struct child_io *c = ctx;
	struct psep_msg out = { .type = PSEP_MSG_RESULT, .result = *res }, in;
	int fds[PSEP_MSG_MAX_FDS];

	if (psep_msg_send(c->monitor, &out, NULL, 0) < 0)
		_exit(CHILD_EXIT_PROTOCOL);
	c->reported = true;
	if (!c->upload || res->status != PSEP_OK)
		return 0;
	if (psep_msg_recv(c->monitor, &in, fds) < 0 || in.type != PSEP_MSG_COMMIT ||
	    in.commit.transfer_id != res->transfer_id)
		_exit(CHILD_EXIT_PROTOCOL);
	return in.commit.error;
}

static noreturn void run_job(int sock, const struct psep_job *job, int fds[PSEP_MSG_MAX_FDS])
{
	struct child_io c = { .file = fds[PSEP_FD_FILE], .sock = fds[PSEP_FD_SOCKET],
			      .monitor = sock, .gso = true,
			      .upload = job->opcode == TFTP_OP_WRQ };
	struct transfer_io io = {
		.ctx = &c, .send = io_send, .send_batch = io_send_batch, .recv = io_recv,
		.readv = io_readv, .write = io_write, .sync = io_sync, .now_us = io_now,
		.report = io_report,
	};
	struct psep_result res;
	size_t size = transfer_buffer_size(job);
	uint8_t *buf = malloc(size);

	if (buf == NULL) {
		memset(&res, 0, sizeof(res));
		res.transfer_id = job->transfer_id;
		res.status = PSEP_INTERNAL;
		io_report(&c, &res);
	} else {
		transfer_run(job, &io, buf, size, &res);
		if (!c.reported)
			io_report(&c, &res);
	}
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
