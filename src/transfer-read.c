/*
 * transfer-read.c - serving a read request (RRQ), with windows (RFC 7440).
 *
 * The window buffer holds the packets of the blocks not yet acknowledged,
 * headers included, back to back, so that a whole window leaves in one
 * send (UDP GSO) and is read from the file in one preadv. An ACK slides the
 * window; an ACK inside the window (the client saw a gap) restarts sending
 * from the block after it. The packets in flight are resent only when the
 * timer runs out, never because of a duplicate ACK (RFC 1123 4.2.3.1).
 *
 * Until the client has answered once, only one packet is in flight and it
 * is resent at most UNVERIFIED_RESENDS_MAX times: a spoofed request cannot
 * turn us into an amplifier.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>

#include "transfer-internal.h"

#define IOV_BATCH 64

struct reader {
	uint64_t base;     /* block index in slot 0 */
	size_t filled;     /* slots holding a packet */
	size_t sent;       /* slots sent in this round */
	uint64_t last;     /* index of the final block, 0 while unknown */
	uint64_t raw_off;  /* netascii: next file offset to read */
	size_t raw_len;    /* netascii: bytes in the staging buffer */
	size_t raw_pos;
	bool raw_eof;
	unsigned tries;    /* timeouts since the last progress */
};

static uint8_t *slot_pkt(const struct xfer *x, size_t j)
{
	return x->win + j * x->stride;
}

static void slot_ready(struct xfer *x, struct reader *r, size_t j, uint32_t len)
{
	tftp_pkt_put_data_header(slot_pkt(x, j), TFTP_DATA_HDR, xfer_wire_block(x, r->base + j));
	x->slots[j] = (struct slot){ .len = len };
	if (len < x->job->blksize)
		r->last = r->base + j; /* a short block, maybe empty, ends the file */
}

/* Octet: read the blocks for free slots straight into their packets. */
static int fill_octet(struct xfer *x, struct reader *r)
{
	const size_t blk = x->job->blksize;

	while (r->last == 0 && r->filled < x->job->windowsize) {
		struct iovec iov[IOV_BATCH];
		size_t k = x->job->windowsize - r->filled, full;
		uint64_t off = (r->base + r->filled - 1) * blk;
		ssize_t n;

		if (k > IOV_BATCH)
			k = IOV_BATCH;
		for (size_t j = 0; j < k; j++)
			iov[j] = (struct iovec){ slot_pkt(x, r->filled + j) + TFTP_DATA_HDR, blk };
		n = x->io->readv(x->io->ctx, iov, (int)k, off);
		if (n < 0)
			return (int)n;
		full = (size_t)n / blk;
		for (size_t j = 0; j < full; j++)
			slot_ready(x, r, r->filled + j, (uint32_t)blk);
		r->filled += full;
		if (full < k) {
			slot_ready(x, r, r->filled, (uint32_t)((size_t)n % blk));
			r->filled++;
		}
	}
	return 0;
}

/* Netascii: encode file bytes into one slot; the encoder carries a pair
 * cut by the block boundary into the next block. */
static int fill_netascii_slot(struct xfer *x, struct reader *r, uint8_t *out)
{
	const size_t blk = x->job->blksize;
	size_t len = 0;

	while (len < blk) {
		size_t used;

		if (r->raw_pos == r->raw_len && !r->raw_eof) {
			struct iovec iov = { x->aux, blk };
			ssize_t n = x->io->readv(x->io->ctx, &iov, 1, r->raw_off);

			if (n < 0)
				return (int)n;
			r->raw_off += (uint64_t)n;
			r->raw_len = (size_t)n;
			r->raw_pos = 0;
			r->raw_eof = n == 0;
		}
		len += netascii_encode(&x->enc, x->aux + r->raw_pos, r->raw_len - r->raw_pos, &used,
				       out + len, blk - len);
		r->raw_pos += used;
		if (r->raw_eof && !x->enc.has_pending)
			break;
	}
	return (int)len;
}

static int fill_netascii(struct xfer *x, struct reader *r)
{
	while (r->last == 0 && r->filled < x->job->windowsize) {
		int n = fill_netascii_slot(x, r, slot_pkt(x, r->filled) + TFTP_DATA_HDR);

		if (n < 0)
			return n;
		slot_ready(x, r, r->filled, (uint32_t)n);
		r->filled++;
	}
	return 0;
}

/* Send the slots not yet sent in this round, in one batch. */
static bool send_round(struct xfer *x, struct reader *r)
{
	size_t limit = x->acked_once ? r->filled : 1, count, len;
	uint64_t now = x->io->now_us(x->io->ctx);

	if (r->sent >= limit)
		return true;
	count = limit - r->sent;
	/* All packets are full-size but the file's last one. */
	len = (count - 1) * x->stride + TFTP_DATA_HDR + x->slots[limit - 1].len;
	if (x->io->send_batch(x->io->ctx, slot_pkt(x, r->sent), len, x->stride) < 0)
		return xfer_finish(x, PSEP_INTERNAL);
	xfer_sent(x);
	for (size_t j = r->sent; j < limit; j++) {
		if (!x->slots[j].sent) {
			x->slots[j].sent = true;
			x->slots[j].first_sent_us = now;
		} else {
			x->slots[j].resent = true;
			x->res->retransmits++;
		}
	}
	r->sent = limit;
	return true;
}

/* Which block in flight an ACK names: the slot index + 1, or 0 for the
 * block before the window (a duplicate) and for anything unknown. */
static size_t acked_slots(const struct xfer *x, const struct reader *r, uint16_t block)
{
	for (size_t j = 0; j < r->sent; j++)
		if (xfer_wire_block(x, r->base + j) == block)
			return j + 1;
	return 0;
}

static uint64_t payload_of(const struct xfer *x, size_t n)
{
	uint64_t sum = 0;

	for (size_t j = 0; j < n; j++)
		sum += x->slots[j].len;
	return sum;
}

/* The client has everything up to slot n-1: slide the window. */
static bool slide(struct xfer *x, struct reader *r, size_t n)
{
	const struct slot *s = &x->slots[n - 1];
	uint64_t now = x->io->now_us(x->io->ctx);

	if (!s->resent && now >= s->first_sent_us)
		rto_sample(&x->rto, (uint32_t)(now - s->first_sent_us > UINT32_MAX
							? UINT32_MAX
							: now - s->first_sent_us));
	xfer_heard(x);
	r->tries = 0;
	x->res->blocks += n;
	x->res->bytes += payload_of(x, n);
	if (r->last != 0 && r->base + n - 1 == r->last) {
		if (x->job->mode == TFTP_MODE_NETASCII)
			x->res->bytes = r->raw_off; /* report file bytes, not wire bytes */
		return xfer_finish(x, PSEP_OK);
	}
	memmove(x->win, slot_pkt(x, n), (r->filled - n) * x->stride);
	memmove(x->slots, x->slots + n, (r->filled - n) * sizeof(*x->slots));
	r->base += n;
	r->filled -= n;
	/* Either the whole round was acknowledged, or the ACK fell inside it
	 * because the client lost the block after it: send from there
	 * (RFC 7440). Both start the next round at slot 0. */
	r->sent = 0;
	return true;
}

enum wait_result { WAIT_PROGRESS, WAIT_TIMEOUT, WAIT_END };

static enum wait_result wait_ack(struct xfer *x, struct reader *r)
{
	uint64_t timer = xfer_timer(x);

	for (;;) {
		ssize_t n = x->io->recv(x->io->ctx, x->rx, x->rx_size, timer);
		uint16_t block;
		size_t k;
		int op;

		if (n == -ETIMEDOUT)
			return WAIT_TIMEOUT;
		if (n < 0)
			return xfer_finish(x, PSEP_INTERNAL), WAIT_END;
		op = tftp_pkt_opcode(x->rx, (size_t)n);
		if (op == TFTP_OP_ACK && tftp_pkt_parse_ack(x->rx, (size_t)n, &block) == 0) {
			k = acked_slots(x, r, block);
			if (k > 0)
				return slide(x, r, k) ? WAIT_PROGRESS : WAIT_END;
			/* A duplicate never triggers a resend (RFC 1123), except
			 * once we hold, silent: then it is the client's own
			 * timer telling us where it is, and the only way out. */
			if (x->holding && block == xfer_wire_block(x, r->base - 1)) {
				xfer_heard(x);
				r->tries = 0;
				r->sent = 0;
				return WAIT_PROGRESS;
			}
			continue;
		}
		if (op == TFTP_OP_ERROR)
			return xfer_peer_error(x, x->rx, (size_t)n, false), WAIT_END;
		if (op == TFTP_OP_RRQ && !x->acked_once) {
			/* Our first packet was lost: the client asked again. */
			if (!xfer_answer_resent_request(x, slot_pkt(x, 0),
							TFTP_DATA_HDR + x->slots[0].len))
				return WAIT_END;
			x->slots[0].resent = true;
		}
	}
}

/* RFC 2347: the OACK is acknowledged with ACK 0 before DATA 1. */
static bool oack_phase(struct xfer *x)
{
	const struct psep_job *job = x->job;
	unsigned tries = 0;
	uint64_t sent_at = 0;
	bool resent = false;

	for (;;) {
		uint64_t timer;

		if (!xfer_check_deadline(x))
			return false;
		if (x->io->send(x->io->ctx, job->oack, job->oack_len) < 0)
			return xfer_finish(x, PSEP_INTERNAL);
		xfer_sent(x);
		if (sent_at != 0) {
			resent = true;
			x->res->retransmits++;
		}
		sent_at = x->io->now_us(x->io->ctx);
		timer = xfer_timer(x);
		for (;;) {
			ssize_t n = x->io->recv(x->io->ctx, x->rx, x->rx_size, timer);
			uint16_t block;
			int op;

			if (n == -ETIMEDOUT)
				break;
			if (n < 0)
				return xfer_finish(x, PSEP_INTERNAL);
			op = tftp_pkt_opcode(x->rx, (size_t)n);
			if (op == TFTP_OP_ACK && tftp_pkt_parse_ack(x->rx, (size_t)n, &block) == 0 &&
			    block == 0) {
				if (!resent)
					rto_sample(&x->rto, (uint32_t)(x->io->now_us(x->io->ctx) - sent_at));
				xfer_heard(x);
				return true;
			}
			if (op == TFTP_OP_ERROR)
				return xfer_peer_error(x, x->rx, (size_t)n, true);
			if (op == TFTP_OP_RRQ) {
				if (!xfer_answer_resent_request(x, job->oack, job->oack_len))
					return false;
				resent = true;
			}
		}
		/* Before ACK 0 the client has not answered: never held. */
		if (xfer_on_timeout(x, ++tries) != TIMEOUT_RESEND)
			return xfer_finish(x, PSEP_TIMEOUT);
		rto_backoff(&x->rto);
	}
}

bool xfer_run_read(struct xfer *x)
{
	struct reader r = { .base = 1 };

	if (x->job->oack_len > 0 && !oack_phase(x))
		return false;
	for (;;) {
		int e = x->job->mode == TFTP_MODE_NETASCII ? fill_netascii(x, &r)
							    : fill_octet(x, &r);

		if (e < 0)
			return xfer_fail(x, TFTP_ERR_UNDEF, "Read error", PSEP_IO_ERROR);
		if (!xfer_check_deadline(x) || !send_round(x, &r))
			return false;
		switch (wait_ack(x, &r)) {
		case WAIT_END:
			return x->res->status == PSEP_OK;
		case WAIT_PROGRESS:
			break;
		case WAIT_TIMEOUT:
			switch (xfer_on_timeout(x, ++r.tries)) {
			case TIMEOUT_GIVE_UP:
				return xfer_finish(x, PSEP_TIMEOUT);
			case TIMEOUT_HOLD:
				break;
			case TIMEOUT_RESEND:
				rto_backoff(&x->rto);
				r.sent = 0; /* resend the window from its first block */
				break;
			}
			break;
		}
	}
}
