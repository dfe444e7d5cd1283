/*
 * loadclient.c - a TFTP read client that measures, for the benchmark.
 *
 * Real clients cannot give the latency of each transfer, run a thousand
 * requests without a thousand process start-ups, or keep up with a large
 * window (their socket buffers are the default size). This one can: it
 * downloads one file COUNT times in a row from each of WORKERS threads
 * at once, each transfer from a new socket (as a boot loader does), and
 * checks the size and a 64-bit hash of every transfer against the
 * expected file. A transfer that fails, stalls, or delivers other bytes
 * counts as a failure, never as a time.
 *
 * The receiver follows RFC 7440 with the rules below (RFC 1350 lock-step
 * is the case windowsize = 1):
 *  - ACK after every windowsize blocks received in order since the last
 *    ACK, and on the last (short) block;
 *  - on a gap (a block ahead of the next expected one) or a duplicate,
 *    ACK the last block received in order, once until the transfer moves
 *    on: the server restarts its window from there, and the rest of the
 *    window it already sent must not make it restart again and again;
 *  - when nothing arrives for REXMT_MS, send that ACK again (the RRQ
 *    before the first reply, ACK 0 after an OACK);
 *  - block numbers roll over 65535 -> 0.
 *
 * Output: one line of key=value pairs on stdout (see print_summary), so
 * that the benchmark can read it with a pattern; the first error of each
 * worker on stderr. Exit status 0 when every transfer succeeded, 1 when
 * one failed, 2 for a bad command line or a local error.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

enum {
	RC_OK = 0,    /* every transfer succeeded */
	RC_FAIL = 1,  /* at least one transfer failed */
	RC_USAGE = 2, /* bad command line, or a local error before any transfer */
};

enum {
	OP_RRQ = 1,
	OP_DATA = 3,
	OP_ACK = 4,
	OP_ERROR = 5,
	OP_OACK = 6,
};

#define BLKSIZE_DEFAULT 512 /* RFC 1350, when blksize is not granted */
#define BLKSIZE_MIN 8       /* RFC 2348 */
#define BLKSIZE_MAX 65464
#define WINDOWSIZE_MAX 65535 /* RFC 7440 */
#define WORKERS_MAX 1024
#define COUNT_MAX 10000000
#define DEADLINE_S_DEFAULT 120
#define DEADLINE_S_MAX 86400
#define REXMT_MS 500    /* our own timer: resend our last packet */
#define RETRIES_MAX 10  /* silent timeouts in a row before a transfer fails */
#define BATCH_MAX 64    /* datagrams taken per recvmmsg() */
#define NAME_MAX_LEN 255
/* Room for a whole window of the largest blocks with the kernel's
 * per-datagram overhead on top (64 x 65468 bytes fit twice), so that a
 * burst is never dropped at our socket: loss here would measure us. */
#define RCVBUF_BYTES (32 * 1024 * 1024)
#define ERRMSG_LEN 160

struct config {
	struct sockaddr_storage server;
	socklen_t server_len;
	const char *file;
	unsigned blksize;    /* requested; 0: do not ask */
	unsigned windowsize; /* requested; 0: do not ask */
	bool tsize;          /* ask for tsize and check it */
	unsigned count;      /* transfers in a row per worker */
	unsigned workers;
	unsigned deadline_s; /* per transfer */
	uint64_t size;       /* of the expected file */
	uint64_t hash;       /* of the expected file */
};

/* Streaming 64-bit hash: 8 bytes per step (FNV-1a's constants, a word at a
 * time, with a shift so that high bits reach low ones). Fast enough that it
 * does not limit a transfer; independent of how the stream is cut into
 * blocks, so the expected file is hashed with the same code in one go. */
struct hash64 {
	uint64_t h;
	uint64_t len;
	uint8_t tail[8];
	unsigned tail_len;
};

#define HASH_SEED UINT64_C(0xcbf29ce484222325)
#define HASH_PRIME UINT64_C(0x100000001b3)

static inline uint64_t hash_step(uint64_t h, uint64_t w)
{
	h = (h ^ w) * HASH_PRIME;
	return h ^ (h >> 29);
}

static void hash_init(struct hash64 *s)
{
	*s = (struct hash64){.h = HASH_SEED};
}

static void hash_update(struct hash64 *s, const uint8_t *p, size_t n)
{
	uint64_t w;

	s->len += n;
	while (s->tail_len > 0 && n > 0) {
		s->tail[s->tail_len++] = *p++;
		n--;
		if (s->tail_len == 8) {
			memcpy(&w, s->tail, 8);
			s->h = hash_step(s->h, w);
			s->tail_len = 0;
		}
	}
	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		s->h = hash_step(s->h, w);
	}
	memcpy(s->tail, p, n);
	s->tail_len = (unsigned)n;
}

static uint64_t hash_final(const struct hash64 *s)
{
	uint64_t h = s->h;

	for (unsigned i = 0; i < s->tail_len; i++)
		h = hash_step(h, s->tail[i]);
	return hash_step(h, s->len);
}

/* ---- one transfer ------------------------------------------------------- */

enum xfer_state {
	XFER_RUNNING = 0,
	XFER_DONE = 1,
	XFER_FAILED = 2,
};

struct xfer {
	const struct config *cfg;
	int fd;
	bool connected;   /* to the server's transfer address (its TID) */
	bool oack_seen;
	bool data_seen;
	unsigned blksize;    /* granted */
	unsigned windowsize; /* granted */
	uint64_t next;    /* next block expected, counted from 1 without rollover */
	uint64_t acked;   /* the block of our latest ACK */
	bool repeated;    /* a gap or duplicate was answered since the last progress */
	uint64_t bytes;
	struct hash64 hash;
	unsigned retransmits; /* of our own packets, on our timer */
	enum xfer_state state;
	char error[ERRMSG_LEN];
};

/* What one transfer tells its worker. */
struct xfer_result {
	bool ok;
	unsigned blksize;
	unsigned windowsize;
	unsigned retransmits;
	char error[ERRMSG_LEN];
};

static void xfer_fail(struct xfer *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void xfer_fail(struct xfer *x, const char *fmt, ...)
{
	va_list ap;

	if (x->state == XFER_FAILED)
		return;
	va_start(ap, fmt);
	vsnprintf(x->error, sizeof(x->error), fmt, ap);
	va_end(ap);
	x->state = XFER_FAILED;
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static unsigned get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* Append "name\0value\0"; returns the new length, or 0 when it does not fit. */
static size_t put_option(uint8_t *buf, size_t len, size_t size, const char *name, unsigned value)
{
	int n = snprintf((char *)buf + len, size - len, "%s%c%u", name, '\0', value);

	if (n < 0 || (size_t)n + 1 > size - len)
		return 0;
	return len + (size_t)n + 1;
}

/* The RRQ for cfg's file and options; returns its length (> 0). */
static size_t build_rrq(const struct config *cfg, uint8_t *buf, size_t size)
{
	size_t len = 2;
	int n;

	put16(buf, OP_RRQ);
	n = snprintf((char *)buf + len, size - len, "%s%coctet", cfg->file, '\0');
	if (n < 0 || (size_t)n + 1 > size - len)
		return 0;
	len += (size_t)n + 1;
	if (cfg->blksize > 0)
		len = len ? put_option(buf, len, size, "blksize", cfg->blksize) : 0;
	if (cfg->windowsize > 0)
		len = len ? put_option(buf, len, size, "windowsize", cfg->windowsize) : 0;
	if (cfg->tsize)
		len = len ? put_option(buf, len, size, "tsize", 0) : 0;
	return len;
}

/* Send one datagram. A send that a local firewall or a full queue refuses
 * is loss (our timer covers it); anything else ends the transfer. */
static void xfer_send(struct xfer *x, const uint8_t *buf, size_t len)
{
	ssize_t n;

	if (x->connected)
		n = send(x->fd, buf, len, 0);
	else
		n = sendto(x->fd, buf, len, 0, (const struct sockaddr *)&x->cfg->server,
			   x->cfg->server_len);
	if (n >= 0 || errno == EPERM || errno == ENOBUFS || errno == EAGAIN)
		return;
	xfer_fail(x, "send: %s", strerror(errno));
}

static void xfer_ack(struct xfer *x, uint64_t block)
{
	uint8_t ack[4];

	put16(ack, OP_ACK);
	put16(ack + 2, (unsigned)(block & 0xffff));
	x->acked = block;
	xfer_send(x, ack, sizeof(ack));
}

/* One option of an OACK; the server may lower what we asked, never raise
 * it, and may not grant what we did not ask (RFC 2347). */
static void xfer_oack_option(struct xfer *x, const char *name, const char *value)
{
	const struct config *cfg = x->cfg;
	uint64_t v;

	if (strcasecmp(name, "blksize") == 0 && cfg->blksize > 0) {
		if (parse_bounded(value, BLKSIZE_MIN, cfg->blksize, &v) < 0)
			xfer_fail(x, "OACK blksize %s: not in %d..%u", value, BLKSIZE_MIN,
				  cfg->blksize);
		else
			x->blksize = (unsigned)v;
	} else if (strcasecmp(name, "windowsize") == 0 && cfg->windowsize > 0) {
		if (parse_bounded(value, 1, cfg->windowsize, &v) < 0)
			xfer_fail(x, "OACK windowsize %s: not in 1..%u", value, cfg->windowsize);
		else
			x->windowsize = (unsigned)v;
	} else if (strcasecmp(name, "tsize") == 0 && cfg->tsize) {
		if (parse_bounded(value, 0, UINT64_MAX, &v) < 0 || v != cfg->size)
			xfer_fail(x, "OACK tsize %s: the file has %" PRIu64 " bytes", value,
				  cfg->size);
	} else {
		xfer_fail(x, "OACK option %.40s was not requested", name);
	}
}

static void xfer_oack(struct xfer *x, const uint8_t *pkt, size_t len)
{
	const char *p = (const char *)pkt + 2;
	const char *end = (const char *)pkt + len;

	if (x->data_seen)
		return; /* a late copy: the transfer has moved on */
	if (x->oack_seen) {
		xfer_ack(x, 0); /* our ACK 0 was lost: the server sent its OACK again */
		return;
	}
	/* Every field ends with NUL, so the walk below stays inside. */
	if (len < 4 || pkt[len - 1] != '\0') {
		xfer_fail(x, "malformed OACK (%zu bytes)", len);
		return;
	}
	while (p < end && x->state == XFER_RUNNING) {
		const char *name = p;
		const char *value = name + strlen(name) + 1;
		if (value >= end) {
			xfer_fail(x, "OACK option %.40s without a value", name);
			return;
		}
		xfer_oack_option(x, name, value);
		p = value + strlen(value) + 1;
	}
	if (x->state != XFER_RUNNING)
		return;
	x->oack_seen = true;
	xfer_ack(x, 0);
}

/* The block in order: hash it, and ACK when the window is complete or the
 * file ends. */
static void xfer_data_in_order(struct xfer *x, const uint8_t *data, size_t n)
{
	if (x->bytes + n > x->cfg->size) {
		xfer_fail(x, "more than the %" PRIu64 " bytes expected", x->cfg->size);
		return;
	}
	hash_update(&x->hash, data, n);
	x->bytes += n;
	x->next++;
	x->repeated = false;
	if (n < x->blksize) {
		xfer_ack(x, x->next - 1);
		if (x->bytes != x->cfg->size)
			xfer_fail(x, "%" PRIu64 " bytes, expected %" PRIu64, x->bytes, x->cfg->size);
		else if (hash_final(&x->hash) != x->cfg->hash)
			xfer_fail(x, "the content differs from the expected file");
		else if (x->state == XFER_RUNNING)
			x->state = XFER_DONE;
		return;
	}
	if (x->next - 1 - x->acked >= x->windowsize)
		xfer_ack(x, x->next - 1);
}

static void xfer_data(struct xfer *x, const uint8_t *pkt, size_t len)
{
	unsigned block = get16(pkt + 2);
	size_t n = len - 4;

	/* DATA before any OACK: the server ignored our options (RFC 2347). */
	x->data_seen = true;
	if (n > x->blksize) {
		xfer_fail(x, "DATA %u of %zu bytes, blksize is %u", block, n, x->blksize);
		return;
	}
	if (block == (x->next & 0xffff)) {
		xfer_data_in_order(x, pkt + 4, n);
		return;
	}
	/* A gap or a duplicate: tell the server where we are, once. */
	if (!x->repeated) {
		x->repeated = true;
		xfer_ack(x, x->next - 1);
	}
}

static void xfer_error(struct xfer *x, const uint8_t *pkt, size_t len)
{
	int mlen = 0;

	/* The message is NUL-terminated; a server that forgets the NUL still
	 * gets its text shown, bounded by the datagram. */
	if (len > 4)
		mlen = (int)strnlen((const char *)pkt + 4, len - 4);
	xfer_fail(x, "ERROR %u from the server: %.*s", len >= 4 ? get16(pkt + 2) : 0,
		  mlen > 80 ? 80 : mlen, (const char *)pkt + 4);
}

static void xfer_packet(struct xfer *x, const uint8_t *pkt, size_t len)
{
	if (len < 4)
		return; /* nothing a server sends is this short: ignore it */
	switch (get16(pkt)) {
	case OP_DATA:
		xfer_data(x, pkt, len);
		break;
	case OP_OACK:
		xfer_oack(x, pkt, len);
		break;
	case OP_ERROR:
		xfer_error(x, pkt, len);
		break;
	default:
		break;
	}
}

/* Our timer fired: send our latest packet again, or give up. */
static void xfer_timeout(struct xfer *x, const uint8_t *rrq, size_t rrq_len, unsigned *tries)
{
	if (++*tries > RETRIES_MAX) {
		xfer_fail(x, "no answer after %d resends (block %" PRIu64 " expected)", RETRIES_MAX,
			  x->next);
		return;
	}
	x->retransmits++;
	if (!x->oack_seen && !x->data_seen)
		xfer_send(x, rrq, rrq_len);
	else
		xfer_ack(x, x->next - 1);
}

static bool same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		      &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr)) == 0;
}

/* The first reply names the server's transfer address: connect to it, so
 * that the kernel keeps anything else away from this socket. */
static void xfer_first_reply(struct xfer *x, uint8_t *buf, size_t size)
{
	struct sockaddr_storage from;
	socklen_t from_len = sizeof(from);
	ssize_t n;

	n = recvfrom(x->fd, buf, size, MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&from,
		     &from_len);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			xfer_fail(x, "recvfrom: %s", strerror(errno));
		return;
	}
	if (!same_host(&from, &x->cfg->server))
		return;
	if ((size_t)n > size) {
		xfer_fail(x, "a datagram of %zd bytes, more than blksize allows", n);
		return;
	}
	if (connect(x->fd, (struct sockaddr *)&from, from_len) < 0) {
		xfer_fail(x, "connect: %s", strerror(errno));
		return;
	}
	x->connected = true;
	xfer_packet(x, buf, (size_t)n);
}

/* Receive buffers for one worker: BATCH_MAX datagrams of the largest block
 * the configuration may be granted, reused by every transfer. */
struct rxbuf {
	size_t slot;     /* bytes per datagram */
	unsigned batch;  /* datagrams per recvmmsg() */
	uint8_t *mem;
	struct mmsghdr msgs[BATCH_MAX];
	struct iovec iov[BATCH_MAX];
};

static int rxbuf_init(struct rxbuf *rb, const struct config *cfg)
{
	unsigned window = cfg->windowsize > 0 ? cfg->windowsize : 1;

	rb->slot = (cfg->blksize > 0 ? cfg->blksize : BLKSIZE_DEFAULT) + 4;
	rb->batch = window < BATCH_MAX ? window : BATCH_MAX;
	rb->mem = malloc(rb->slot * rb->batch);
	if (!rb->mem)
		return -ENOMEM;
	for (unsigned i = 0; i < rb->batch; i++) {
		rb->iov[i] = (struct iovec){.iov_base = rb->mem + i * rb->slot, .iov_len = rb->slot};
		rb->msgs[i].msg_hdr = (struct msghdr){.msg_iov = &rb->iov[i], .msg_iovlen = 1};
	}
	return 0;
}

/* Everything that is queued, in arrival order. */
static void xfer_receive(struct xfer *x, struct rxbuf *rb)
{
	int n = recvmmsg(x->fd, rb->msgs, rb->batch, MSG_DONTWAIT, NULL);

	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			xfer_fail(x, "recvmmsg: %s", strerror(errno));
		return;
	}
	for (int i = 0; i < n && x->state == XFER_RUNNING; i++) {
		if (rb->msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
			xfer_fail(x, "a datagram larger than the %zu bytes blksize allows",
				  rb->slot);
		else
			xfer_packet(x, rb->iov[i].iov_base, rb->msgs[i].msg_len);
	}
}

static int open_socket(int family)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int size = RCVBUF_BYTES;

	if (fd < 0)
		return -errno;
	/* FORCE passes net.core.rmem_max when we are root; else the plain
	 * option gets what the limit allows. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	return fd;
}

static void transfer_run(const struct config *cfg, struct rxbuf *rb, struct xfer_result *ret)
{
	struct xfer x = {
		.cfg = cfg,
		.blksize = BLKSIZE_DEFAULT,
		.windowsize = 1,
		.next = 1,
	};
	uint8_t rrq[NAME_MAX_LEN + 128];
	size_t rrq_len = build_rrq(cfg, rrq, sizeof(rrq));
	uint64_t deadline = now_usec() + (uint64_t)cfg->deadline_s * 1000000u;
	unsigned tries = 0;

	hash_init(&x.hash);
	x.fd = -1;
	if (rrq_len == 0) {
		xfer_fail(&x, "the request does not fit in %zu bytes", sizeof(rrq));
		goto out;
	}
	x.fd = open_socket(cfg->server.ss_family);
	if (x.fd < 0) {
		xfer_fail(&x, "socket: %s", strerror(-x.fd));
		goto out;
	}
	xfer_send(&x, rrq, rrq_len);
	while (x.state == XFER_RUNNING) {
		uint64_t now = now_usec();
		if (now >= deadline) {
			xfer_fail(&x, "deadline of %u s passed at block %" PRIu64, cfg->deadline_s,
				  x.next);
			break;
		}
		uint64_t left_ms = (deadline - now + 999) / 1000;
		struct pollfd pfd = {.fd = x.fd, .events = POLLIN};
		int r = poll(&pfd, 1, left_ms < REXMT_MS ? (int)left_ms : REXMT_MS);
		if (r < 0 && errno != EINTR) {
			xfer_fail(&x, "poll: %s", strerror(errno));
		} else if (r == 0) {
			xfer_timeout(&x, rrq, rrq_len, &tries);
		} else if (r > 0) {
			tries = 0;
			if (x.connected)
				xfer_receive(&x, rb);
			else
				xfer_first_reply(&x, rb->mem, rb->slot);
		}
	}
out:
	closep(&x.fd);
	*ret = (struct xfer_result){
		.ok = x.state == XFER_DONE,
		.blksize = x.blksize,
		.windowsize = x.windowsize,
		.retransmits = x.retransmits,
	};
	memcpy(ret->error, x.error, sizeof(ret->error));
}

/* ---- workers ------------------------------------------------------------ */

struct worker {
	pthread_t thread;
	unsigned id;
	const struct config *cfg;
	pthread_barrier_t *start;
	uint64_t *latency_us; /* cfg->count entries; the first ok ones are set */
	unsigned ok;
	unsigned failed;
	unsigned retransmits;
	unsigned blksize; /* as granted to the first successful transfer */
	unsigned windowsize;
	int rc; /* 0, or -errno of a local failure before any transfer */
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct rxbuf rb;
	struct xfer_result res;

	w->rc = rxbuf_init(&rb, w->cfg);
	pthread_barrier_wait(w->start);
	if (w->rc < 0)
		return NULL;
	for (unsigned i = 0; i < w->cfg->count; i++) {
		uint64_t t0 = now_usec();
		transfer_run(w->cfg, &rb, &res);
		uint64_t t1 = now_usec();
		w->retransmits += res.retransmits;
		if (!res.ok) {
			if (w->failed++ == 0)
				fprintf(stderr, "loadclient: worker %u, transfer %u: %s\n", w->id,
					i + 1, res.error);
			continue;
		}
		if (w->ok == 0) {
			w->blksize = res.blksize;
			w->windowsize = res.windowsize;
		}
		w->latency_us[w->ok++] = t1 - t0;
	}
	free(rb.mem);
	return NULL;
}

/* ---- set-up and summary ------------------------------------------------- */

static int hash_file(const char *path, uint64_t *ret_size, uint64_t *ret_hash)
{
	static uint8_t buf[1 << 20];
	struct hash64 h;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	hash_init(&h);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		hash_update(&h, buf, (size_t)n);
	if (n < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	close(fd);
	*ret_size = h.len;
	*ret_hash = hash_final(&h);
	return 0;
}

static int resolve(const char *host, const char *port, struct config *cfg)
{
	struct addrinfo hints = {
		.ai_socktype = SOCK_DGRAM,
		.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
	};
	struct addrinfo *ai;
	int r = getaddrinfo(host, port, &hints, &ai);

	if (r != 0) {
		fprintf(stderr, "loadclient: %s port %s: %s\n", host, port, gai_strerror(r));
		return -EINVAL;
	}
	memcpy(&cfg->server, ai->ai_addr, ai->ai_addrlen);
	cfg->server_len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least q of them at or below. */
static uint64_t percentile(const uint64_t *sorted, size_t n, double q)
{
	size_t rank;

	if (n == 0)
		return 0;
	rank = (size_t)(q * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	return sorted[(rank > n ? n : rank) - 1];
}

static double tv_seconds(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

static void print_summary(const struct config *cfg, struct worker *w, double seconds,
			  const struct rusage *ru0, const struct rusage *ru1)
{
	unsigned ok = 0, failed = 0, retransmits = 0, blksize = 0, windowsize = 0;
	uint64_t *all = calloc((size_t)cfg->count * cfg->workers + 1, sizeof(*all));
	size_t n = 0;

	for (unsigned i = 0; i < cfg->workers; i++) {
		ok += w[i].ok;
		failed += w[i].failed + (w[i].rc < 0 ? cfg->count : 0);
		retransmits += w[i].retransmits;
		if (blksize == 0 && w[i].ok > 0) {
			blksize = w[i].blksize;
			windowsize = w[i].windowsize;
		}
		if (all) {
			memcpy(all + n, w[i].latency_us, w[i].ok * sizeof(*all));
			n += w[i].ok;
		}
	}
	if (all)
		qsort(all, n, sizeof(*all), cmp_u64);
	double user = tv_seconds(&ru1->ru_utime) - tv_seconds(&ru0->ru_utime);
	double sys = tv_seconds(&ru1->ru_stime) - tv_seconds(&ru0->ru_stime);
	if (seconds <= 0)
		seconds = 1e-6;
	printf("requests=%u ok=%u failed=%u seconds=%.3f req_per_s=%.1f mb_per_s=%.1f "
	       "p50_us=%" PRIu64 " p99_us=%" PRIu64 " max_us=%" PRIu64 " "
	       "cpu_s=%.3f cpu_user_s=%.3f cpu_sys_s=%.3f "
	       "blksize=%u windowsize=%u retransmits=%u\n",
	       cfg->count * cfg->workers, ok, failed, seconds, ok / seconds,
	       (double)ok * (double)cfg->size / seconds / 1e6, percentile(all, n, 0.50),
	       percentile(all, n, 0.99), n ? all[n - 1] : 0, user + sys, user, sys, blksize,
	       windowsize, retransmits);
	free(all);
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: loadclient [OPTION]... HOST PORT FILE EXPECTED\n"
		"Download FILE from the TFTP server at HOST (numeric) PORT, check every copy\n"
		"against the local file EXPECTED, and print one summary line.\n"
		"\n"
		"  -b BLKSIZE     ask for blksize (%d..%d)\n"
		"  -w WINDOWSIZE  ask for windowsize (1..%d)\n"
		"  -t             ask for tsize and check it\n"
		"  -n COUNT       transfers in a row per worker, a new socket each (default 1)\n"
		"  -c WORKERS     workers at once (default 1, at most %d)\n"
		"  -T SECONDS     deadline of one transfer (default %d)\n"
		"  -h             this help\n"
		"\n"
		"Summary: requests ok failed seconds req_per_s mb_per_s (10^6 bytes) p50_us\n"
		"p99_us max_us (per transfer), cpu_s cpu_user_s cpu_sys_s (this process),\n"
		"blksize windowsize (as granted), retransmits (on our timer).\n"
		"Exit status: 0 all transfers ok, 1 one failed, 2 bad usage or local error.\n",
		BLKSIZE_MIN, BLKSIZE_MAX, WINDOWSIZE_MAX, WORKERS_MAX, DEADLINE_S_DEFAULT);
}

/* -X VALUE within bounds, or a message and false. */
static bool opt_number(int opt, const char *arg, uint64_t min, uint64_t max, unsigned *ret)
{
	uint64_t v;

	if (parse_bounded(arg, min, max, &v) < 0) {
		fprintf(stderr, "loadclient: -%c %s: expected %" PRIu64 "..%" PRIu64 "\n", opt, arg,
			min, max);
		return false;
	}
	*ret = (unsigned)v;
	return true;
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
	int opt;
	bool ok = true;

	while (ok && (opt = getopt(argc, argv, "b:w:tn:c:T:h")) != -1) {
		switch (opt) {
		case 'b':
			ok = opt_number(opt, optarg, BLKSIZE_MIN, BLKSIZE_MAX, &cfg->blksize);
			break;
		case 'w':
			ok = opt_number(opt, optarg, 1, WINDOWSIZE_MAX, &cfg->windowsize);
			break;
		case 't':
			cfg->tsize = true;
			break;
		case 'n':
			ok = opt_number(opt, optarg, 1, COUNT_MAX, &cfg->count);
			break;
		case 'c':
			ok = opt_number(opt, optarg, 1, WORKERS_MAX, &cfg->workers);
			break;
		case 'T':
			ok = opt_number(opt, optarg, 1, DEADLINE_S_MAX, &cfg->deadline_s);
			break;
		case 'h':
			usage(stdout);
			exit(RC_OK);
		default:
			ok = false;
		}
	}
	if (!ok || argc - optind != 4) {
		usage(stderr);
		return -EINVAL;
	}
	cfg->file = argv[optind + 2];
	if (strlen(cfg->file) > NAME_MAX_LEN) {
		fprintf(stderr, "loadclient: file name longer than %d bytes\n", NAME_MAX_LEN);
		return -EINVAL;
	}
	return resolve(argv[optind], argv[optind + 1], cfg);
}

int main(int argc, char **argv)
{
	struct config cfg = {.count = 1, .workers = 1, .deadline_s = DEADLINE_S_DEFAULT};
	struct worker *w;
	pthread_barrier_t start;
	struct rusage ru0, ru1;
	unsigned failed = 0;
	int r;

	if (parse_args(argc, argv, &cfg) < 0)
		return RC_USAGE;
	r = hash_file(argv[argc - 1], &cfg.size, &cfg.hash);
	if (r < 0) {
		fprintf(stderr, "loadclient: %s: %s\n", argv[argc - 1], strerror(-r));
		return RC_USAGE;
	}
	w = calloc(cfg.workers, sizeof(*w));
	if (!w || pthread_barrier_init(&start, NULL, cfg.workers + 1) != 0) {
		fprintf(stderr, "loadclient: out of memory\n");
		return RC_USAGE;
	}
	for (unsigned i = 0; i < cfg.workers; i++) {
		w[i] = (struct worker){.id = i + 1, .cfg = &cfg, .start = &start};
		w[i].latency_us = calloc(cfg.count, sizeof(uint64_t));
		if (!w[i].latency_us || pthread_create(&w[i].thread, NULL, worker_main, &w[i])) {
			fprintf(stderr, "loadclient: cannot start worker %u\n", i + 1);
			return RC_USAGE;
		}
	}
	/* All workers are ready: the clock and the CPU account start now, so
	 * thread creation and the expected file's hash are not measured. */
	getrusage(RUSAGE_SELF, &ru0);
	uint64_t t0 = now_usec();
	pthread_barrier_wait(&start);
	for (unsigned i = 0; i < cfg.workers; i++)
		pthread_join(w[i].thread, NULL);
	uint64_t t1 = now_usec();
	getrusage(RUSAGE_SELF, &ru1);

	print_summary(&cfg, w, (double)(t1 - t0) / 1e6, &ru0, &ru1);
	for (unsigned i = 0; i < cfg.workers; i++) {
		if (w[i].rc < 0)
			fprintf(stderr, "loadclient: worker %u: %s\n", w[i].id, strerror(-w[i].rc));
		failed += w[i].failed + (w[i].rc < 0);
		free(w[i].latency_us);
	}
	free(w);
	return failed ? RC_FAIL : RC_OK;
}
