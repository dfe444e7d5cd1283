/*
 * udp-ceiling.c - how fast the kernel moves UDP over loopback: the ceiling
 * that no TFTP server on this machine can pass.
 *
 * One process sends VOLUME bytes in datagrams of SIZE bytes to a receiver
 * process with a large socket buffer, which counts them. The sender
 * hands the kernel many datagrams per system call (sendmmsg, or one UDP
 * GSO super-packet per message with -g), so that the figure is the
 * kernel's, not a send loop's. UDP has no flow control, and a receiver
 * that falls behind loses datagrams, which would measure the drop path:
 * the receiver reports its count through a pipe after every CREDIT_STEP
 * bytes, and the sender keeps at most WINDOW_BYTES beyond that count in
 * flight (the same idea as a TFTP window, without its protocol).
 *
 * Usage: udp-ceiling [-g] [-m MIB] SIZE
 * Output: one line of key=value pairs; exit 0 when every byte arrived,
 * 1 when some were lost, 2 for bad usage or a local error.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103 /* linux/udp.h; glibc's netinet/udp.h has it since 2.29 */
#endif

enum {
	RC_OK = 0,
	RC_LOSS = 1,
	RC_USAGE = 2,
};

#define SIZE_MIN 1
#define SIZE_MAX_UDP 65507         /* largest IPv4 UDP payload */
#define GSO_BYTES_MAX 65000        /* one GSO message: under 64 KiB with headers */
#define GSO_SEGS_MAX 64            /* the kernel's UDP_MAX_SEGMENTS */
#define MIB_DEFAULT 256
#define MIB_MAX 65536
#define BATCH 32                   /* messages per sendmmsg / recvmmsg */
#define RCVBUF_BYTES (64 << 20)
#define WINDOW_BYTES (8 << 20)     /* in flight beyond the receiver's report */
#define CREDIT_STEP (1 << 20)      /* the receiver reports after this many bytes */
#define IDLE_MS 2000               /* the receiver gives up after this silence */

struct plan {
	size_t size;      /* datagram payload */
	uint64_t volume;  /* bytes to send, a multiple of size */
	bool gso;
};

/* ---- receiver (child process) ------------------------------------------- */

static int report(int fd, uint64_t count)
{
	const uint8_t *p = (const uint8_t *)&count;
	size_t left = sizeof(count);

	while (left > 0) {
		ssize_t n = write(fd, p, left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		left -= (size_t)n;
	}
	return 0;
}

/* Counts until the whole volume arrived or IDLE_MS passed without a
 * datagram; the last report is the final count. */
static int receiver(int sock, int credit_fd, const struct plan *pl)
{
	static uint8_t buf[BATCH][SIZE_MAX_UDP + 1];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	uint64_t count = 0, reported = 0;

	for (int i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){.iov_base = buf[i], .iov_len = sizeof(buf[i])};
		msgs[i].msg_hdr = (struct msghdr){.msg_iov = &iov[i], .msg_iovlen = 1};
	}
	while (count < pl->volume) {
		struct pollfd pfd = {.fd = sock, .events = POLLIN};
		int r = poll(&pfd, 1, IDLE_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		int n = recvmmsg(sock, msgs, BATCH, MSG_DONTWAIT, NULL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			return -errno;
		for (int i = 0; i < n; i++)
			count += msgs[i].msg_len;
		if (count - reported >= CREDIT_STEP || count >= pl->volume) {
			if (report(credit_fd, count) < 0)
				return -errno;
			reported = count;
		}
	}
	return report(credit_fd, count);
}

/* ---- sender ------------------------------------------------------------- */

/* The receiver's latest count; waits up to timeout_ms for one (-1: no
 * wait). Returns 0, 1 when the receiver has finished (EOF), or -errno. */
static int read_credit(int fd, int timeout_ms, uint64_t *count)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	uint64_t v;
	int r = poll(&pfd, 1, timeout_ms < 0 ? 0 : timeout_ms);

	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	if (r == 0)
		return 0;
	/* Reports are 8 bytes, written whole, so a pipe read returns them whole. */
	ssize_t n = read(fd, &v, sizeof(v));
	if (n == 0)
		return 1;
	if (n != (ssize_t)sizeof(v))
		return n < 0 ? -errno : -EPROTO;
	*count = v;
	return 0;
}

/* Bytes carried by one message, and how it is laid out. */
static size_t message_bytes(const struct plan *pl)
{
	size_t segs;

	if (!pl->gso)
		return pl->size;
	segs = GSO_BYTES_MAX / pl->size;
	if (segs > GSO_SEGS_MAX)
		segs = GSO_SEGS_MAX;
	return segs * pl->size;
}

static int sender(int sock, int credit_fd, const struct plan *pl, uint64_t *ret_received)
{
	static uint8_t payload[SIZE_MAX_UDP + 1];
	size_t msg_bytes = message_bytes(pl);
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	uint64_t sent = 0, received = 0;
	int r = 0;

	memset(payload, 0x5a, sizeof(payload));
	for (int i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){.iov_base = payload, .iov_len = msg_bytes};
		msgs[i].msg_hdr = (struct msghdr){.msg_iov = &iov[i], .msg_iovlen = 1};
	}
	while (received < pl->volume && r == 0) {
		/* Wait for the receiver only when the window is full. */
		if (sent >= pl->volume || sent - received + msg_bytes * BATCH > WINDOW_BYTES) {
			r = read_credit(credit_fd, IDLE_MS * 2, &received);
			continue;
		}
		r = read_credit(credit_fd, -1, &received);
		unsigned n = 0;
		uint64_t batch_bytes = 0;
		while (n < BATCH && sent + batch_bytes < pl->volume) {
			uint64_t left = pl->volume - sent - batch_bytes;
			iov[n].iov_len = left < msg_bytes ? (size_t)left : msg_bytes;
			batch_bytes += iov[n].iov_len;
			n++;
		}
		int k = sendmmsg(sock, msgs, n, 0);
		if (k < 0 && (errno == EINTR || errno == ENOBUFS || errno == EAGAIN))
			continue;
		if (k < 0)
			return -errno;
		for (int i = 0; i < k; i++)
			sent += iov[i].iov_len;
	}
	*ret_received = received;
	return r < 0 ? r : 0;
}

/* ---- set-up ------------------------------------------------------------- */

static int open_pair(const struct plan *pl, int *ret_rx, int *ret_tx)
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(addr);
	int size = RCVBUF_BYTES, seg = (int)pl->size;
	int rx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int tx = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (rx < 0 || tx < 0)
		goto fail;
	/* Root passes net.core.rmem_max; others get what it allows. */
	if (setsockopt(rx, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(rx, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (setsockopt(tx, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(tx, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	if (bind(rx, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    getsockname(rx, (struct sockaddr *)&addr, &len) < 0 ||
	    connect(tx, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		goto fail;
	if (pl->gso && setsockopt(tx, IPPROTO_UDP, UDP_SEGMENT, &seg, sizeof(seg)) < 0)
		goto fail;
	*ret_rx = rx;
	*ret_tx = tx;
	return 0;
fail:;
	int e = -errno;
	closep(&rx);
	closep(&tx);
	return e;
}

static double cpu_seconds(int who)
{
	struct rusage ru;

	getrusage(who, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: udp-ceiling [-g] [-m MIB] SIZE\n"
		"Send MIB MiB (default %d) in UDP datagrams of SIZE bytes (1..%d) over\n"
		"loopback to a receiver process and print the throughput.\n"
		"  -g   send with UDP GSO (one super-packet per message) instead of one\n"
		"       datagram per message\n"
		"Output: size mode bytes received seconds mb_per_s (10^6 bytes)\n"
		"sender_cpu_s receiver_cpu_s. Exit status: 0 all arrived, 1 loss, 2 error.\n",
		MIB_DEFAULT, SIZE_MAX_UDP);
}

static int parse_args(int argc, char **argv, struct plan *pl)
{
	uint64_t v, mib = MIB_DEFAULT;
	int opt;

	while ((opt = getopt(argc, argv, "gm:h")) != -1) {
		switch (opt) {
		case 'g':
			pl->gso = true;
			break;
		case 'm':
			if (parse_bounded(optarg, 1, MIB_MAX, &mib) < 0) {
				fprintf(stderr, "udp-ceiling: -m %s: expected 1..%d\n", optarg, MIB_MAX);
				return -EINVAL;
			}
			break;
		case 'h':
			usage(stdout);
			exit(RC_OK);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (argc - optind != 1 || parse_bounded(argv[optind], SIZE_MIN, SIZE_MAX_UDP, &v) < 0) {
		usage(stderr);
		return -EINVAL;
	}
	pl->size = (size_t)v;
	if (pl->gso && pl->size * 2 > GSO_BYTES_MAX) {
		fprintf(stderr, "udp-ceiling: -g needs at least two datagrams per message\n");
		return -EINVAL;
	}
	/* Whole datagrams only, so that the receiver's count can reach it. */
	pl->volume = mib * 1048576 / pl->size * pl->size;
	return 0;
}

int main(int argc, char **argv)
{
	struct plan pl = {0};
	int rx = -1, tx = -1, credit[2], r, status;
	uint64_t received = 0;
	pid_t pid;

	if (parse_args(argc, argv, &pl) < 0)
		return RC_USAGE;
	r = open_pair(&pl, &rx, &tx);
	if (r < 0 || pipe2(credit, O_CLOEXEC) < 0) {
		fprintf(stderr, "udp-ceiling: sockets: %s\n", strerror(r < 0 ? -r : errno));
		return RC_USAGE;
	}
	pid = fork();
	if (pid < 0) {
		perror("udp-ceiling: fork");
		return RC_USAGE;
	}
	if (pid == 0) {
		close(tx);
		close(credit[0]);
		_exit(receiver(rx, credit[1], &pl) < 0 ? RC_USAGE : RC_OK);
	}
	close(rx);
	close(credit[1]);

	double cpu0 = cpu_seconds(RUSAGE_SELF);
	uint64_t t0 = now_usec();
	r = sender(tx, credit[0], &pl, &received);
	uint64_t t1 = now_usec();
	double cpu1 = cpu_seconds(RUSAGE_SELF);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		r = r < 0 ? r : -ECHILD;
	if (r < 0) {
		fprintf(stderr, "udp-ceiling: %s\n", strerror(-r));
		return RC_USAGE;
	}

	double seconds = (double)(t1 - t0) / 1e6;
	printf("size=%zu mode=%s bytes=%" PRIu64 " received=%" PRIu64 " seconds=%.3f "
	       "mb_per_s=%.1f sender_cpu_s=%.3f receiver_cpu_s=%.3f\n",
	       pl.size, pl.gso ? "gso" : "sendmmsg", pl.volume, received, seconds,
	       (double)received / (seconds > 0 ? seconds : 1e-6) / 1e6, cpu1 - cpu0,
	       cpu_seconds(RUSAGE_CHILDREN));
	return received == pl.volume ? RC_OK : RC_LOSS;
}
