/*
 * tftpc-handshake.c - the request and the first answer.
 *
 * RFC 1350: the server answers from a new port (its TID), and every later
 * packet of the transfer goes there; cloister answers from port 69 itself.
 * Either way the answer must come from the address we asked: anything
 * else on our port is someone else's and is ignored.
 *
 * RFC 2347: a server that knows no options ignores them and answers as
 * RFC 1350 says; one that refuses them answers ERROR 8; a client refuses
 * an OACK it cannot use with ERROR 8. In the last two cases we ask again
 * without options, so that a working transfer never depends on them.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>

#include "tftpc-handshake.h"
#include "util.h"

#define WAIT_MAX_MS 4000 /* the longest wait between two copies of the request */

enum answer {
	ANSWER_NONE,     /* ignored: keep waiting */
	ANSWER_DONE,     /* *ret is filled */
	ANSWER_REFUSED,  /* ERROR 8, or an OACK we refused: ask without options */
	ANSWER_ERROR,    /* ERROR: in *ret */
	ANSWER_BAD,      /* an answer we cannot use */
};

static bool same_host(const struct sockaddr_storage *a, const struct sockaddr *b)
{
	if (a->ss_family != b->sa_family)
		return false;
	if (b->sa_family == AF_INET)
		return ((const struct sockaddr_in *)(const void *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)(const void *)b)->sin_addr.s_addr;
	if (b->sa_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)(const void *)a)->sin6_addr,
			      &((const struct sockaddr_in6 *)(const void *)b)->sin6_addr,
			      sizeof(struct in6_addr)) == 0;
	return false;
}

static int send_request(int sock, const struct sockaddr *srv, socklen_t srv_len,
			const struct tftpc_request *rq, bool options, uint8_t *buf, size_t size)
{
	struct tftp_opt_ask_text t;
	size_t n = options ? tftp_opt_ask_pairs(&rq->ask, rq->op, &t) : 0;
	int len = tftp_pkt_build_request(buf, size, rq->op, rq->file, rq->mode, t.names, t.values,
					 n);

	if (len < 0)
		return len;
	if (sendto(sock, buf, (size_t)len, 0, srv, srv_len) < 0)
		return -errno;
	return 0;
}

/* Tell the server why its OACK is refused, at its transfer port. */
static void refuse_oack(int sock, const struct tftpc_handshake *h)
{
	uint8_t pkt[64];
	int n = tftp_pkt_build_error(pkt, sizeof(pkt), TFTP_ERR_OPTNEG, "OACK not acceptable");

	if (n > 0)
		(void)sendto(sock, pkt, (size_t)n, 0, (const struct sockaddr *)&h->peer, h->peer_len);
}

static enum answer take_error(const uint8_t *buf, size_t len, bool options,
			      struct tftpc_handshake *h)
{
	if (tftp_pkt_parse_error(buf, len, &h->error_code, h->error_msg, sizeof(h->error_msg)) < 0)
		return ANSWER_NONE;
	return options && h->error_code == TFTP_ERR_OPTNEG ? ANSWER_REFUSED : ANSWER_ERROR;
}

static enum answer take_oack(int sock, const uint8_t *buf, size_t len,
			     const struct tftpc_request *rq, bool options, struct tftpc_handshake *h)
{
	struct tftp_request oack;

	if (options && tftp_pkt_parse_oack(buf, len, &oack) == 0 &&
	    tftp_opt_accept(&rq->ask, &oack, &h->opts) == 0) {
		h->oack = true;
		return ANSWER_DONE;
	}
	refuse_oack(sock, h);
	/* Without options, an OACK is no answer we can use at all. */
	return options ? ANSWER_REFUSED : ANSWER_BAD;
}

/* One datagram from the server's address. */
static enum answer take(int sock, const uint8_t *buf, size_t len, const struct tftpc_request *rq,
			bool options, struct tftpc_handshake *h)
{
	const uint8_t *payload;
	size_t plen;
	uint16_t block;

	switch (tftp_pkt_opcode(buf, len)) {
	case TFTP_OP_OACK:
		return take_oack(sock, buf, len, rq, options, h);
	case TFTP_OP_ERROR:
		return take_error(buf, len, options, h);
	case TFTP_OP_DATA:
		if (rq->op != TFTP_OP_RRQ ||
		    tftp_pkt_parse_data(buf, len, &block, &payload, &plen) < 0 || block != 1)
			return ANSWER_NONE;
		h->first_len = len;
		return ANSWER_DONE;
	case TFTP_OP_ACK:
		if (rq->op != TFTP_OP_WRQ || tftp_pkt_parse_ack(buf, len, &block) < 0 || block != 0)
			return ANSWER_NONE;
		return ANSWER_DONE;
	}
	return ANSWER_NONE;
}

/* Wait until deadline for an answer from srv. */
static enum answer wait_answer(int sock, const struct sockaddr *srv,
			       const struct tftpc_request *rq, bool options, uint8_t *buf,
			       size_t size, uint64_t deadline, struct tftpc_handshake *h, int *ret_e)
{
	for (;;) {
		struct pollfd pfd = { .fd = sock, .events = POLLIN };
		uint64_t now = now_usec();
		enum answer a;
		ssize_t n;
		int r;

		if (rq->interrupted && *rq->interrupted)
			return *ret_e = -EINTR, ANSWER_BAD;
		if (now >= deadline)
			return ANSWER_NONE;
		r = poll(&pfd, 1, (int)((deadline - now + 999) / 1000));
		if (r < 0 && errno != EINTR)
			return *ret_e = -errno, ANSWER_BAD;
		if (r <= 0)
			continue;
		h->peer_len = sizeof(h->peer);
		n = recvfrom(sock, buf, size, MSG_DONTWAIT, (struct sockaddr *)&h->peer,
			     &h->peer_len);
		if (n < 0) {
			/* An ICMP error: the port is closed or the host is
			 * gone; resending may still reach a server that is
			 * starting, so it only ends the wait. */
			if (errno == EAGAIN || errno == EINTR || errno == ECONNREFUSED)
				continue;
			return *ret_e = -errno, ANSWER_BAD;
		}
		if (!same_host(&h->peer, srv))
			continue;
		a = take(sock, buf, (size_t)n, rq, options, h);
		if (a != ANSWER_NONE)
			return a;
	}
}

/* Ask, with or without options, until an answer or the retries end. */
static int ask(int sock, const struct sockaddr *srv, socklen_t srv_len,
	       const struct tftpc_request *rq, bool options, uint8_t *buf, size_t size,
	       struct tftpc_handshake *h, enum answer *ret_a)
{
	uint32_t wait_ms = rq->timeout_ms > 0 ? rq->timeout_ms : 1000;

	for (unsigned attempt = 0; attempt <= rq->retries; attempt++) {
		uint64_t sent;
		int e = send_request(sock, srv, srv_len, rq, options, buf, size);

		if (e < 0)
			return e;
		sent = now_usec();
		if (attempt > 0)
			h->resends++;
		*ret_a = wait_answer(sock, srv, rq, options, buf, size,
				     sent + (uint64_t)wait_ms * 1000, h, &e);
		if (e < 0)
			return e;
		if (*ret_a != ANSWER_NONE) {
			/* Karn: a resent request times nothing. */
			h->rtt_us = attempt == 0 ? (uint32_t)(now_usec() - sent) : 0;
			return 0;
		}
		wait_ms = wait_ms * 2 > WAIT_MAX_MS ? WAIT_MAX_MS : wait_ms * 2;
	}
	return -ETIMEDOUT;
}

/* Each attempt starts from the RFC 1350 values: 512-byte blocks,
 * lock-step. */
static void plain_defaults(struct tftp_opt_result *o)
{
	memset(o, 0, sizeof(*o));
	o->blksize = TFTP_BLKSIZE_DEFAULT;
	o->windowsize = 1;
}

int tftpc_handshake_run(int sock, const struct sockaddr *srv, socklen_t srv_len,
			const struct tftpc_request *rq, uint8_t *buf, size_t bufsize,
			struct tftpc_handshake *ret)
{
	bool options = rq->options;
	enum answer a = ANSWER_NONE;
	int e;

	memset(ret, 0, sizeof(*ret));
	for (;;) {
		plain_defaults(&ret->opts);
		e = ask(sock, srv, srv_len, rq, options, buf, bufsize, ret, &a);
		if (e < 0)
			return e;
		if (a == ANSWER_REFUSED && options) {
			options = false;
			ret->fell_back = true;
			continue;
		}
		break;
	}
	if (a == ANSWER_ERROR)
		return -EREMOTEIO;
	return a == ANSWER_DONE ? 0 : -EPROTO;
}
