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
 *
 * A window resent without an answer may mean that the client has it all
 * and its ACKs were lost. Some clients (atftp) answer a resent window only
 * once and then wait for their own timer, seconds, which every packet we
 * send restarts. So every second resend of a whole octet window sends the
 * next window instead ("probing ahead"): a client that has the window
 * takes it in order and acknowledges it at once; one that lacks some of it
 * ignores blocks beyond its window or acknowledges where it is, and the
 * next timeout goes back to the window. The file is simply read again.
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
	uint64_t last;     /* index of the final block once read, 0 before */
	uint32_t last_len; /* its payload */
	uint64_t acked;    /* the client has every block up to this index;
	                    * not base - 1 only after probing ahead */
	uint64_t sent_hi;  /* the highest block index ever sent */
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
	if (len < x->job->blksize) {
		r->last = r->base + j; /* a short block, maybe empty, ends the file */
		r->last_len = len;
	}
}

/* Is the final block still beyond the slots filled so far? */
static bool more_to_read(const struct reader *r)
{
	return r->last == 0 || r->base + r->filled <= r->last;
}

/* Octet: read the blocks for free slots straight into their packets. */
static int fill_octet(struct xfer *x, struct reader *r)
{
	const size_t blk = x->job->blksize;

	while (more_to_read(r) && r->filled < x->job->windowsize) {
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
	while (more_to_read(r) && r->filled < x->job->windowsize) {
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
		if (r->base + j > r->sent_hi) {
			r->sent_hi = r->base + j;
			x->slots[j].first_sent_us = now;
		} else {
			x->slots[j].resent = true;
			x->res->retransmits++;
		}
	}
	r->sent = limit;
	return true;
}

/* Which block an ACK names, from the last one acknowledged to the last
 * one ever sent: at most two windows, so the 16-bit number is
 * unambiguous. False for anything older or unknown. */
static bool ack_index(const struct xfer *x, const struct reader *r, uint16_t block,
		      uint64_t *index)
{
	for (uint64_t i = r->acked; i <= r->sent_hi; i++)
		if (xfer_wire_block(x, i) == block) {
			*index = i;
			return true;
		}
	return false;
}

static uint64_t payload_of(const struct xfer *x, size_t n)
{
	uint64_t sum = 0;

	for (size_t j = 0; j < n; j++)
		sum += x->slots[j].len;
	return sum;
}

/* The client confirmed the blocks after r->acked up to index, outside
 * the window because we probed ahead (octet: all full but the final one). */
static void credit_skipped(struct xfer *x, struct reader *r, uint64_t index)
{
	if (index <= r->acked)
		return;
	x->res->blocks += index - r->acked;
	x->res->bytes += (index - r->acked) * x->job->blksize;
	if (index == r->last)
		x->res->bytes -= x->job->blksize - r->last_len;
	r->acked = index;
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
	credit_skipped(x, r, r->base - 1);
	r->acked = r->base + n - 1;
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

/*
 * Send from the block after index next: the window moves there, read
 * again from the file, unless it starts there already. Only octet windows
 * ever move this way: netascii never probes ahead.
 */
static void restart_after(struct reader *r, uint64_t index)
{
	r->sent = 0;
	if (r->base == index + 1)
		return;
	r->base = index + 1;
	r->filled = 0;
}

/* May the next resend of this window be the window after it instead? */
static bool may_probe_ahead(const struct xfer *x, const struct reader *r)
{
	return x->acked_once && x->job->mode == TFTP_MODE_OCTET && x->job->windowsize > 1 &&
	       more_to_read(r) && r->filled == x->job->windowsize && r->base == r->acked + 1;
}

/* The timer ran out again: resend the window, or probe ahead (see top). */
static void after_timeout(struct xfer *x, struct reader *r)
{
	if (r->base > r->acked + 1) {
		restart_after(r, r->acked); /* the probe went unanswered */
		return;
	}
	if (r->tries % 2 == 0 && may_probe_ahead(x, r)) {
		r->base += r->filled;
		r->filled = 0;
	}
	r->sent = 0;
}

enum wait_result { WAIT_PROGRESS, WAIT_TIMEOUT, WAIT_END };

static enum wait_result wait_ack(struct xfer *x, struct reader *r)
{
	uint64_t timer = xfer_timer(x);

	for (;;) {
		ssize_t n = x->io->recv(x->io->ctx, x->rx, x->rx_size, timer);
		uint64_t index;
		uint16_t block;
		int op;

		if (n == -ETIMEDOUT)
			return WAIT_TIMEOUT;
		if (n < 0)
			return xfer_finish(x, PSEP_INTERNAL), WAIT_END;
		op = tftp_pkt_opcode(x->rx, (size_t)n);
		if (op == TFTP_OP_ACK && tftp_pkt_parse_ack(x->rx, (size_t)n, &block) == 0) {
			if (!ack_index(x, r, block, &index))
				continue;
			if (index >= r->base && index < r->base + r->sent)
				return slide(x, r, (size_t)(index - r->base + 1)) ? WAIT_PROGRESS
										   : WAIT_END;
			if (index > r->acked) {
				/* Outside this round, after probing ahead: a late
				 * ACK for the window before it (the probe was
				 * right if it names all of it), or for the probe
				 * after we went back. */
				xfer_heard(x);
				r->tries = 0;
				credit_skipped(x, r, index);
				if (index == r->last)
					return xfer_finish(x, PSEP_OK), WAIT_END;
				if (index + 1 != r->base)
					restart_after(r, index);
				return WAIT_PROGRESS;
			}
			/* A duplicate never triggers a resend (RFC 1123),
			 * except when it answers a probe ahead (the client
			 * lacks the window before), or once we hold, silent:
			 * then it is the client's own timer telling us where
			 * it is, and the only way out. */
			if (x->holding) {
				xfer_heard(x);
				r->tries = 0;
			} else if (r->base == r->acked + 1) {
				continue;
			}
			restart_after(r, index);
			return WAIT_PROGRESS;
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
				after_timeout(x, &r);
				break;
			}
			break;
		}
	}
}
