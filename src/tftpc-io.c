/*
 * tftpc-io.c - tftpc's side of struct transfer_io: the same engine as the
 * server's child, over a socket tftpc connected itself and a local file
 * that may be a pipe.
 *
 * The engine reads and writes the file in order, each byte once (the
 * window buffer keeps what may be sent again), which is what lets a pipe
 * stand in for a file: the offsets are checked, not used.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "file-io.h"
#include "tftpc-io.h"
#include "util.h"

static int io_send(void *ctx, const uint8_t *buf, size_t len)
{
	return udp_send(&((struct tftpc_io *)ctx)->out, buf, len);
}

static int io_send_batch(void *ctx, const uint8_t *buf, size_t len, size_t seg)
{
	return udp_send_batch(&((struct tftpc_io *)ctx)->out, buf, len, seg);
}

static ssize_t recv_now(struct tftpc_io *c, uint8_t *buf, size_t size)
{
	ssize_t n = recv(c->sock, buf, size, MSG_DONTWAIT);

	return n >= 0 ? n : -errno;
}

static ssize_t io_recv(void *ctx, uint8_t *buf, size_t size, uint64_t deadline_us)
{
	struct tftpc_io *c = ctx;

	if (c->pending) {
		size_t n = c->pending_len < size ? c->pending_len : size;

		memcpy(buf, c->pending, n);
		c->pending = NULL;
		return (ssize_t)n;
	}
	for (;;) {
		struct pollfd pfd = { .fd = c->sock, .events = POLLIN };
		uint64_t now = now_usec(), left;
		struct timespec ts;
		ssize_t n;
		int r;

		if (c->interrupted && *c->interrupted)
			return -EINTR;
		n = recv_now(c, buf, size);
		if (n != -EAGAIN && n != -EINTR)
			return n;
		if (now >= deadline_us)
			return -ETIMEDOUT;
		/* Microseconds: a window's timer on a LAN is milliseconds,
		 * which poll's would round up. */
		left = deadline_us - now;
		ts = (struct timespec){ .tv_sec = (time_t)(left / 1000000),
					.tv_nsec = (long)(left % 1000000) * 1000 };
		r = ppoll(&pfd, 1, &ts, NULL);
		if (r < 0 && errno != EINTR)
			return -errno;
	}
}

static void seen(struct tftpc_io *c, const uint8_t *buf, size_t len)
{
	c->total += len;
	if (c->on_data)
		c->on_data(c->arg, buf, len, c->total);
}

/* A pipe: read until the buffers are full or the input ends. */
static ssize_t read_in_order(int fd, const struct iovec *iov, int iovcnt)
{
	size_t done = 0;

	for (int i = 0; i < iovcnt; i++) {
		size_t got = 0;

		while (got < iov[i].iov_len) {
			ssize_t n = read(fd, (uint8_t *)iov[i].iov_base + got, iov[i].iov_len - got);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return -errno;
			if (n == 0)
				return (ssize_t)(done + got);
			got += (size_t)n;
		}
		done += got;
	}
	return (ssize_t)done;
}

static ssize_t io_readv(void *ctx, const struct iovec *iov, int iovcnt, uint64_t off)
{
	struct tftpc_io *c = ctx;
	size_t left;
	ssize_t n;

	if (off != c->total)
		return -ESPIPE; /* the engine reads each byte once, in order */
	n = c->seekable ? file_preadv_full(c->file, iov, iovcnt, off)
			: read_in_order(c->file, iov, iovcnt);
	left = n > 0 ? (size_t)n : 0;
	for (int i = 0; n > 0 && i < iovcnt && left > 0; i++) {
		size_t part = left < iov[i].iov_len ? left : iov[i].iov_len;

		seen(c, iov[i].iov_base, part);
		left -= part;
	}
	return n;
}

static int io_write(void *ctx, const uint8_t *buf, size_t len, uint64_t off)
{
	struct tftpc_io *c = ctx;
	int e;

	if (off != c->total)
		return -ESPIPE;
	e = c->seekable ? file_pwrite_full(c->file, buf, len, off)
			: file_write_full(c->file, buf, len);
	if (e == 0)
		seen(c, buf, len);
	return e;
}

/* A pipe or a terminal cannot be synchronised, and needs not be. */
static int io_sync(void *ctx)
{
	struct tftpc_io *c = ctx;

	if (!c->seekable || fdatasync(c->file) == 0)
		return 0;
	return -errno;
}

static uint64_t io_now(void *ctx)
{
	return now_usec();
}

void tftpc_io_bind(struct tftpc_io *c, struct transfer_io *io)
{
	c->out = (struct udp_sender){ .sock = c->sock, .gso = true };
	*io = (struct transfer_io){
		.ctx = c, .send = io_send, .send_batch = io_send_batch, .recv = io_recv,
		.readv = io_readv, .write = io_write, .sync = io_sync, .now_us = io_now,
	};
}

/* Room for a window and as much again: the kernel counts a datagram's
 * bookkeeping too, and the engine reads while the next window arrives. */
#define SOCKBUF_MAX (64u << 20)

static void size_buffer(int fd, int opt_force, int opt, size_t want)
{
	int v = want > SOCKBUF_MAX ? (int)SOCKBUF_MAX : (int)want;

	/* As root the limit (net.core.rmem_max) does not apply. */
	if (setsockopt(fd, SOL_SOCKET, opt_force, &v, sizeof(v)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, opt, &v, sizeof(v));
}

int tftpc_socket_open(int family, size_t window_bytes)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	size_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF, 2 * window_bytes);
	size_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, 2 * window_bytes);
	return fd;
}

uint32_t tftpc_path_blksize(const struct sockaddr *srv, socklen_t len)
{
	int fd = socket(srv->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0), mtu = 0;
	socklen_t ml = sizeof(mtu);
	uint32_t hdr = srv->sa_family == AF_INET6 ? 40 + 8 + 4 : 20 + 8 + 4, blk = 512;

	if (fd < 0)
		return blk;
	/* A connected socket knows its route's MTU, before sending anything. */
	if (connect(fd, srv, len) == 0 &&
	    getsockopt(fd, srv->sa_family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
		       srv->sa_family == AF_INET6 ? IPV6_MTU : IP_MTU, &mtu, &ml) == 0 &&
	    mtu > (int)hdr)
		blk = (uint32_t)mtu - hdr;
	close(fd);
	if (blk < 512)
		blk = 512;
	return blk > 65464 ? 65464 : blk;
}
