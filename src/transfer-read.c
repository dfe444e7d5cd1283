/*
 * transfer-read.c - serving a read request (RRQ), with windows (RFC 7440)
 * and congestion control (RFC 7440 section 6, RFC 8085).
 *
 * Rules, none of which anything below bends:
 * - no block beyond the last ACK + windowsize is ever sent (RFC 7440 4);
 * - windowsize 1 is RFC 1350: one block, resent when the timer runs out;
 * - a duplicate ACK never makes us send anything (RFC 1123 4.2.3.1, no
 *   Sorcerer's Apprentice): only a new ACK or the timer does.
 *
 * The window buffer holds the packets of the blocks not yet acknowledged,
 * headers included, back to back, so that a round leaves in one send (UDP
 * GSO) and is read from the file in one preadv.
 *
 * A round sends up to cwnd blocks from the last ACK on. cwnd starts at the
 * job's initial window (so that one ACK, which anybody can forge, releases
 * only a few blocks), doubles with each round acknowledged whole up to
 * ssthresh, then grows by one block per round; a loss halves it, a timeout
 * drops it to one (TCP's AIMD, RFC 5681). It never exceeds windowsize.
 *
 * A client acknowledges when windowsize blocks have come in since its last
 * ACK (or the last block, or a gap). A round shorter than that ends with a
 * copy of its first block: a client that has it sees a duplicate and
 * acknowledges what it holds at once (atftp, EDK2 and RFC 7440 receivers
 * do), instead of waiting seconds for its own timer. An ACK short of the
 * round's end says where the client lost the rest: the next round starts
 * after it.
 *
 * A round larger than what a receiver's default socket buffer holds (about
 * 208 KiB with the kernel's accounting: three 64 KiB blocks) goes out in
 * bursts that fit, a gap apart, so that the tail is not dropped before the
 * client reads the head: nothing in TFTP tells how large the client's
 * buffer is, and few clients size theirs for the window they ask for. The
 * gap doubles when a paced round loses something, and shrinks by an
 * eighth with each one that does not, down to nothing for a client that
 * keeps up.
 *
 * On a path that loses packets, a client that answers those copies gets
 * rounds a little shorter than the window: the window keeps room for new
 * blocks, which such a client takes in order when its ACK was lost (atftp
 * answers nothing else after its one extra ACK), so that lost ACKs do not
 * cost its 5 s timer. A client
 * that ignores them (U-Boot, node-tftp: they acknowledge whole windows
 * only) gets whole windows, whatever is lost.
 *
 * When the timer runs out, the last ACK sets where the next round begins
 * (RFC 7440 4): the blocks in flight again, the one after them while the
 * window has room, and a copy of the first (see send_probe).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>

#include "transfer-common.h"

#define IOV_BATCH 64
/* Paced bursts: room they may take in a receiver's socket buffer, and what
 * the kernel counts for a datagram besides its bytes. */
#define BURST_BUDGET (160u << 10)
#define DATAGRAM_OVERHEAD 640u
#define GAP_INITIAL_US 200u
#define GAP_MIN_US 50u
#define GAP_MAX_US 10000u

/*
 * The sender's state. Invariants:
 * - the client has every block before base; base >= 1;
 * - slot j holds block base + j, for j < filled <= windowsize +
 *   XFER_READ_AHEAD (what is read ahead is never sent before the window
 *   reaches it);
 * - base <= next <= sent_hi + 1 <= base + windowsize (RFC 7440);
 * - last, once known (non-zero), is the final block: last >= base;
 * - 1 <= cwnd <= round_max() <= windowsize; blocks from recover on are not
 *   part of the loss that last cut cwnd.
 */
struct reader {
	uint64_t base;      /* first block not acknowledged */
	uint64_t next;      /* next block this round sends */
	uint64_t sent_hi;   /* highest block ever sent, 0 before any */
	size_t filled;      /* slots holding blocks base .. base + filled - 1 */
	uint64_t last;      /* the final (short) block once read, 0 before */
	uint32_t last_len;  /* its payload */
	uint32_t cwnd;      /* blocks a round may send */
	uint32_t ssthresh;  /* slow start below it, one block a round above */
	uint32_t ca_acked;  /* blocks acknowledged towards the next step */
	uint64_t recover;   /* a loss before this block was counted already */
	bool dup_run;       /* in a run of duplicate ACKs, counted once */
	bool copied;        /* the last round or probe ended with a copy */
	uint32_t copy_epoch; /* xfer.epoch when it was sent */
	bool copies_answered; /* the client answers a copy at once */
	bool lossy;         /* a loss was seen */
	unsigned copies_ignored; /* rounds it had whole but answered only later */
	uint32_t burst;     /* blocks sent back to back */
	uint32_t gap_us;    /* between bursts */
	bool paced;         /* the last round went out in bursts */
	bool rx_pending;    /* a datagram came during a gap: in x->rx */
	size_t rx_len;
	uint64_t raw_off;   /* netascii: next file offset to read */
	size_t raw_len;     /* netascii: bytes in the staging buffer */
	size_t raw_pos;
	bool raw_eof;
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

/* Octet: read the blocks for free slots up to index `upto` straight into
 * their packets. */
static int fill_octet(struct xfer *x, struct reader *r, uint64_t upto)
{
	const size_t blk = x->job->blksize;

	while (more_to_read(r) && r->base + r->filled <= upto) {
		struct iovec iov[IOV_BATCH];
		size_t k = (size_t)(upto - (r->base + r->filled) + 1), full;
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

/* Netascii is read in order, once: slots are never dropped before their
 * ACK, so no block is ever encoded twice. */
static int fill_netascii(struct xfer *x, struct reader *r, uint64_t upto)
{
	while (more_to_read(r) && r->base + r->filled <= upto) {
		int n = fill_netascii_slot(x, r, slot_pkt(x, r->filled) + TFTP_DATA_HDR);

		if (n < 0)
			return n;
		slot_ready(x, r, r->filled, (uint32_t)n);
		r->filled++;
	}
	return 0;
}

/* Read the file up to block `upto` (or its end), never past the slots:
 * the window's last block and the ones read ahead. */
static bool fill(struct xfer *x, struct reader *r, uint64_t upto)
{
	uint64_t cap = r->base - 1 + x->job->windowsize + XFER_READ_AHEAD;
	int e;

	if (upto > cap)
		upto = cap;
	e = x->job->mode == TFTP_MODE_NETASCII ? fill_netascii(x, r, upto)
					       : fill_octet(x, r, upto);

	if (e < 0)
		return xfer_fail(x, TFTP_ERR_UNDEF, "Read error", PSEP_IO_ERROR);
	return true;
}

/* The last block RFC 7440 lets us send: the last ACK + windowsize, or the
 * file's end. */
static uint64_t window_end(const struct xfer *x, const struct reader *r)
{
	uint64_t end = r->base - 1 + x->job->windowsize;

	return r->last != 0 && r->last < end ? r->last : end;
}

/* Blocks first .. last_sent went out (now): first sends time the round
 * trip, repeats are counted and excluded from timing (Karn), but for the
 * copy that ends a round: sent with the round, it leaves no doubt which
 * send an ACK answers. */
static void mark_sent(struct xfer *x, struct reader *r, uint64_t first, uint64_t last_sent,
		      bool copy)
{
	uint64_t now = x->io->now_us(x->io->ctx);

	xfer_sent(x);
	for (uint64_t i = first; i <= last_sent; i++) {
		struct slot *s = &x->slots[i - r->base];

		if (i > r->sent_hi) {
			r->sent_hi = i;
			s->first_sent_us = now;
			s->epoch = x->epoch;
			s->resent = x->holding;
			continue;
		}
		x->res->retransmits++;
		if (!copy)
			s->resent = true;
	}
}

/* Send blocks first .. last_sent (filled slots, all full-size but maybe
 * the file's last) in one batch. */
static bool send_blocks(struct xfer *x, struct reader *r, uint64_t first, uint64_t last_sent,
			bool copy)
{
	size_t j = (size_t)(first - r->base), count = (size_t)(last_sent - first + 1);
	size_t len = (count - 1) * x->stride + TFTP_DATA_HDR + x->slots[j + count - 1].len;
	int e = count == 1 ? x->io->send(x->io->ctx, slot_pkt(x, j), len)
			   : x->io->send_batch(x->io->ctx, slot_pkt(x, j), len, x->stride);

	if (e < 0)
		return xfer_io_failed(x, e);
	mark_sent(x, r, first, last_sent, copy);
	return true;
}

/* Wait out the gap between bursts. False when a datagram came meanwhile
 * (kept for wait_ack: the round stops there) or the transfer ended. */
static bool pace(struct xfer *x, struct reader *r, bool *ended)
{
	uint64_t until = x->io->now_us(x->io->ctx) + r->gap_us;
	ssize_t n = x->io->recv(x->io->ctx, x->rx, x->rx_size, until);

	if (n == -ETIMEDOUT)
		return true;
	if (n < 0) {
		*ended = !xfer_io_failed(x, (int)n);
		return false;
	}
	r->rx_pending = true;
	r->rx_len = (size_t)n;
	return false;
}

/*
 * Send blocks first .. last in bursts (see the top). Returns false when the
 * transfer ended; *ret_next is the first block not sent (last + 1, unless
 * a datagram came during a gap).
 */
static bool send_paced(struct xfer *x, struct reader *r, uint64_t first, uint64_t last,
		       uint64_t *ret_next)
{
	uint64_t b = first;
	bool ended = false;

	r->paced = last - first + 1 > r->burst;
	while (b <= last) {
		uint64_t e = last - b + 1 > r->burst ? b + r->burst - 1 : last;

		/* Read each burst just before it leaves, so that the client
		 * takes the first while we read the next; the file may end in
		 * it. */
		if (!fill(x, r, e))
			return false;
		if (last > window_end(x, r))
			last = window_end(x, r);
		if (e > last)
			e = last;
		if (b > e)
			break;
		if (!send_blocks(x, r, b, e, false))
			return false;
		b = e + 1;
		if (b <= last && r->gap_us > 0 && !pace(x, r, &ended)) {
			if (ended)
				return false;
			break;
		}
	}
	*ret_next = b;
	return true;
}

/* A copy of a block of this round, to draw an ACK (see the top). */
static bool send_copy(struct xfer *x, struct reader *r, uint64_t index)
{
	r->copied = true;
	r->copy_epoch = x->epoch;
	return send_blocks(x, r, index, index, true);
}

/* Clients that do not answer copies get whole windows (see the top);
 * copies_ignored twice, never to a client seen answering one. */
static bool deaf(const struct reader *r)
{
	return !r->copies_answered && r->copies_ignored >= 2;
}

/* The most blocks a round may send: the window, but for a client that
 * answers copies on a path that loses packets (a quarter of the window, at
 * most 4, is kept as room; see the top). */
static uint32_t round_max(const struct xfer *x, const struct reader *r)
{
	uint32_t w = x->job->windowsize, room = w / 4;

	if (!r->copies_answered || !r->lossy || w <= 1)
		return w;
	if (room < 1)
		room = 1;
	if (room > 4)
		room = 4;
	return w - room;
}

/* One round: the blocks cwnd allows from next on, then, if that stops
 * short of where the client acknowledges by itself, a copy of the first. */
static bool send_round(struct xfer *x, struct reader *r)
{
	uint64_t limit = r->base + r->cwnd - 1, first = r->next;

	r->copied = false;
	/* Without an OACK, one packet until the client has answered: a
	 * forged request gets DATA 1 and nothing more. */
	if (!x->answered)
		limit = r->base;

	/* The first block tells whether the file ends before it; the rest
	 * is read burst by burst (send_paced). */
	if (!fill(x, r, first < window_end(x, r) ? first : window_end(x, r)))
		return false;
	if (limit > window_end(x, r))
		limit = window_end(x, r);
	if (first > limit)
		return true;
	if (!send_paced(x, r, first, limit, &r->next))
		return false;
	/* Filled up to what was sent: had the file ended there, last would
	 * say so. (A round cut short by a datagram needs no copy: an answer
	 * is in.) */
	if (x->answered && r->next - 1 < window_end(x, r) && !r->rx_pending)
		return send_copy(x, r, first);
	return true;
}

/*
 * The timer ran out: the round that follows (see the top). We do not know
 * how much of what was sent the client has: everything from the last ACK
 * on goes again, the block after the highest sent with it while the
 * window has room, and a copy of the first. Whatever the client holds, one
 * of these is the block it waits for, in order (atftp ignores everything
 * else once it has sent its one extra ACK), and the copy then draws its
 * ACK.
 */
static bool send_probe(struct xfer *x, struct reader *r)
{
	uint64_t last = r->base, sent_to;

	if (x->job->windowsize > 1 && x->verified) {
		/* Everything ever sent past the last ACK may have arrived. */
		last = r->sent_hi > r->base ? r->sent_hi : r->base;
		/* The slots end at the window: fill no further. */
		if (last + 1 <= r->base - 1 + x->job->windowsize && more_to_read(r)) {
			if (!fill(x, r, last + 1))
				return false;
			if (last + 1 <= window_end(x, r))
				last++;
		}
	}
	if (!fill(x, r, last) || !send_paced(x, r, r->base, last, &sent_to))
		return false;
	if (sent_to > r->next)
		r->next = sent_to;
	/* Until it has shown it is real, a client gets no more than the
	 * block itself; windowsize 1 is RFC 1350: the block, once. */
	if (!x->verified || x->job->windowsize == 1 || r->rx_pending)
		return true;
	return send_copy(x, r, r->base);
}

/* Which block an ACK names, from the last one acknowledged to the last one
 * ever sent: at most windowsize + 1 of them, so the 16-bit number is
 * unambiguous. False for anything older or unknown. */
static bool ack_index(const struct xfer *x, const struct reader *r, uint16_t block,
		      uint64_t *index)
{
	for (uint64_t i = r->base - 1; i <= r->sent_hi; i++)
		if (xfer_wire_block(x, i) == block) {
			*index = i;
			return true;
		}
	return false;
}

/* A loss: halve cwnd (to one block after a timeout), once per round of
 * blocks in flight when it was seen. */
static void loss(const struct xfer *x, struct reader *r, bool timeout)
{
	uint32_t max;

	r->lossy = true;
	if (r->paced) {
		r->gap_us = r->gap_us * 2 > GAP_MAX_US ? GAP_MAX_US : r->gap_us * 2;
		if (r->gap_us < GAP_MIN_US)
			r->gap_us = GAP_MIN_US;
	}
	if ((r->base < r->recover && !timeout) || deaf(r))
		return;
	r->ssthresh = r->cwnd / 2 > 2 ? r->cwnd / 2 : 2;
	if (r->ssthresh > x->job->windowsize)
		r->ssthresh = x->job->windowsize;
	r->cwnd = timeout ? 1 : r->ssthresh;
	max = round_max(x, r);
	if (r->cwnd > max)
		r->cwnd = max;
	r->ca_acked = 0;
	r->recover = r->sent_hi + 1;
}

/* n blocks acknowledged, the round whole: slow start or one block more. */
static void grow(const struct xfer *x, struct reader *r, uint64_t n)
{
	uint64_t c = r->cwnd;

	/* Down to nothing for a client that never lost a paced round; one
	 * that did keeps the smallest gap. */
	if (r->paced) {
		r->gap_us -= r->gap_us / 8;
		if (r->gap_us < GAP_MIN_US)
			r->gap_us = r->lossy ? GAP_MIN_US : 0;
	}
	if (c < r->ssthresh) {
		c += n;
	} else {
		r->ca_acked += (uint32_t)(n < UINT32_MAX ? n : UINT32_MAX);
		if (r->ca_acked >= r->cwnd) {
			r->ca_acked = 0;
			c++;
		}
	}
	r->cwnd = (uint32_t)(c < round_max(x, r) ? c : round_max(x, r));
}

/* An ACK after a round or probe that ended with a copy: before the timer
 * ran out, the copy drew it; after, for a round the client had whole, it
 * came from the client's own timer. */
static void learn_from_copy(const struct xfer *x, struct reader *r, uint64_t index,
			    uint64_t round_end)
{
	if (!r->copied)
		return;
	r->copied = false;
	if (r->copy_epoch == x->epoch) {
		r->copies_answered = true;
	} else if (index >= round_end && ++r->copies_ignored >= 2 && deaf(r)) {
		r->cwnd = x->job->windowsize;
	}
}

static uint64_t payload_of(const struct xfer *x, size_t n)
{
	uint64_t sum = 0;

	for (size_t j = 0; j < n; j++)
		sum += x->slots[j].len;
	return sum;
}

/* The client has every block up to index: slide the window there. */
static bool slide(struct xfer *x, struct reader *r, uint64_t index)
{
	size_t n = (size_t)(index - r->base + 1);
	const struct slot *s = &x->slots[n - 1];
	uint64_t round_end = r->next - 1;

	if (!s->resent && s->epoch == x->epoch)
		xfer_rtt_sample(x, s->first_sent_us, false);
	learn_from_copy(x, r, index, round_end);
	xfer_progress(x);
	r->dup_run = false;
	x->res->blocks += n;
	x->res->bytes += payload_of(x, n);
	if (r->last != 0 && index == r->last) {
		if (x->job->mode == TFTP_MODE_NETASCII)
			x->res->bytes = r->raw_off; /* report file bytes, not wire bytes */
		return xfer_finish(x, PSEP_OK);
	}
	memmove(x->win, slot_pkt(x, n), (r->filled - n) * x->stride);
	memmove(x->slots, x->slots + n, (r->filled - n) * sizeof(*x->slots));
	r->base += n;
	r->filled -= n;
	/* Short of the round's end, the ACK says the rest was lost: the next
	 * round starts after it (RFC 7440). */
	if (index < round_end) {
		loss(x, r, false);
		r->next = r->base;
	} else {
		grow(x, r, n);
		if (r->next < r->base)
			r->next = r->base;
	}
	return true;
}

enum wait_result {
	WAIT_PROGRESS, /* send the next round */
	WAIT_TIMEOUT,
	WAIT_END,      /* finished, for better or worse */
	WAIT_MORE,     /* nothing changed: keep waiting */
};

/* A duplicate ACK: the client is where it was. It never makes us send,
 * but while we hold it is the client's own timer, which may end the hold
 * (a bounded number of times); a run of them counts as one loss. */
static enum wait_result on_duplicate(struct xfer *x, struct reader *r)
{
	if (xfer_wake(x)) {
		r->next = r->base;
		return WAIT_PROGRESS;
	}
	if (!r->dup_run && x->job->windowsize > 1) {
		r->dup_run = true;
		loss(x, r, false);
	}
	return WAIT_MORE;
}

/*
 * What the datagrams waiting now say, taken together: ACKs that came in a
 * row (one per block from a client that acknowledges more often than the
 * window asks, a run of duplicates from EDK2) are acted on once, for the
 * highest one, instead of sending again for each.
 */
struct acks {
	bool any;        /* an ACK past the last one */
	uint64_t best;   /* the highest of them */
	bool duplicate;  /* an ACK of the last acknowledged block */
};

/* One datagram. WAIT_MORE to go on, else what ends the wait. */
static enum wait_result take(struct xfer *x, struct reader *r, size_t n, struct acks *a)
{
	int op = tftp_pkt_opcode(x->rx, n);
	uint64_t index;
	uint16_t block;

	if (op == TFTP_OP_ACK && tftp_pkt_parse_ack(x->rx, n, &block) == 0) {
		if (!ack_index(x, r, block, &index))
			return WAIT_MORE; /* older than the last ACK: ignored */
		if (index == r->base - 1) {
			a->duplicate = true;
		} else if (!a->any || index > a->best) {
			a->any = true;
			a->best = index;
		}
	} else if (op == TFTP_OP_ERROR) {
		return xfer_peer_error(x, x->rx, n, false), WAIT_END;
	} else if (op == TFTP_OP_RRQ && !x->answered) {
		/* Our first packet was lost: the client asked again. */
		if (!xfer_answer_resent_request(x, slot_pkt(x, 0), TFTP_DATA_HDR + x->slots[0].len))
			return WAIT_END;
		x->slots[0].resent = true;
	}
	return WAIT_MORE;
}

static enum wait_result wait_ack(struct xfer *x, struct reader *r)
{
	uint64_t timer = xfer_timer(x);

	for (;;) {
		struct acks a = { 0 };
		ssize_t n;

		if (r->rx_pending) {
			r->rx_pending = false;
			n = (ssize_t)r->rx_len;
		} else {
			n = x->io->recv(x->io->ctx, x->rx, x->rx_size, timer);
		}
		if (n == -ETIMEDOUT)
			return WAIT_TIMEOUT;
		/* Then whatever else is waiting already, without waiting. */
		while (n >= 0) {
			enum wait_result w = take(x, r, (size_t)n, &a);

			if (w != WAIT_MORE)
				return w;
			/* Lock-step: the ACK moves the window, and anything
			 * else queued is read at the next wait, where a
			 * duplicate is as harmless. */
			if (a.any && x->job->windowsize == 1)
				break;
			n = x->io->recv(x->io->ctx, x->rx, x->rx_size, x->io->now_us(x->io->ctx));
		}
		if (n < 0 && n != -ETIMEDOUT)
			return xfer_io_failed(x, (int)n), WAIT_END;
		if (a.any)
			return slide(x, r, a.best) ? WAIT_PROGRESS : WAIT_END;
		if (a.duplicate && on_duplicate(x, r) == WAIT_PROGRESS)
			return WAIT_PROGRESS;
	}
}

/* Wait until `until` for ACK 0, the answer to the OACK (RFC 2347). 1 when
 * it came, 0 when the time ran out, -1 when the transfer ended. */
static int wait_oack_ack(struct xfer *x, uint64_t sent_at, bool *resent, uint64_t until)
{
	const struct psep_job *job = x->job;

	for (;;) {
		ssize_t n = x->io->recv(x->io->ctx, x->rx, x->rx_size, until);
		uint16_t block;
		int op;

		if (n == -ETIMEDOUT)
			return 0;
		if (n < 0)
			return xfer_io_failed(x, (int)n), -1;
		op = tftp_pkt_opcode(x->rx, (size_t)n);
		if (op == TFTP_OP_ACK && tftp_pkt_parse_ack(x->rx, (size_t)n, &block) == 0 &&
		    block == 0) {
			if (!*resent)
				xfer_rtt_sample(x, sent_at, true);
			xfer_answered(x);
			return 1;
		}
		if (op == TFTP_OP_ERROR)
			return xfer_peer_error(x, x->rx, (size_t)n, true), -1;
		if (op == TFTP_OP_RRQ) {
			if (!xfer_answer_resent_request(x, job->oack, job->oack_len))
				return -1;
			*resent = true;
		}
	}
}

static bool send_oack(struct xfer *x, bool again)
{
	int e = x->io->send(x->io->ctx, x->job->oack, x->job->oack_len);

	if (e < 0)
		return xfer_io_failed(x, e);
	xfer_sent(x);
	if (again)
		x->res->retransmits++;
	return true;
}

/*
 * RFC 2347: the OACK is acknowledged with ACK 0 before DATA 1. The OACK
 * goes out again at once to answer a resent request, but on the timer only
 * once, late (FIRST_OACK_RESEND_US, see there).
 */
static bool oack_phase(struct xfer *x)
{
	const struct psep_job *job = x->job;
	bool resent = (job->flags & PSEP_JOB_FIRST_RESENT) != 0, by_monitor;
	uint64_t sent_at;
	int got;

	by_monitor = xfer_first_sent_by_monitor(x);
	if (!by_monitor && !send_oack(x, false))
		return false;
	/* The monitor timed its OACK; the ACK 0 it leaves us waited for a
	 * child meanwhile, which times nothing. */
	if (by_monitor)
		resent = true;
	sent_at = by_monitor ? job->first_sent_usec : x->sent_us;
	for (int round = 0; round < 2; round++) {
		uint64_t until = sent_at + FIRST_OACK_RESEND_US;

		if (until > x->deadline_us)
			until = x->deadline_us;
		got = wait_oack_ack(x, sent_at, &resent, until);
		if (got != 0)
			return got > 0;
		if (!xfer_check_deadline(x))
			return false;
		if (round == 0) {
			if (!send_oack(x, true))
				return false;
			resent = true;
			sent_at = x->sent_us;
		}
	}
	return xfer_finish(x, PSEP_TIMEOUT);
}

/* DATA 1 left the monitor already; its ACK waits in the socket. */
static bool adopt_first_block(struct xfer *x, struct reader *r)
{
	if (!fill(x, r, 1))
		return false;
	x->slots[0].first_sent_us = x->job->first_sent_usec;
	x->slots[0].resent = true; /* the monitor timed it (xfer_first_sample) */
	x->sent_us = x->job->first_sent_usec;
	r->sent_hi = 1;
	r->next = 2;
	return true;
}

static void reader_init(const struct xfer *x, struct reader *r)
{
	const uint32_t w = x->job->windowsize, iw = x->job->initial_window;

	*r = (struct reader){ .base = 1, .next = 1, .ssthresh = w, .gap_us = GAP_INITIAL_US };
	r->burst = BURST_BUDGET / ((uint32_t)x->stride + DATAGRAM_OVERHEAD);
	if (r->burst < 1)
		r->burst = 1;
	/* The initial window counts packets: the copy that draws an ACK
	 * from a round shorter than the window is one of them. */
	r->cwnd = w <= iw ? w : (iw > 1 ? iw - 1 : 1);
}

/* The timer ran out for a round: give up, or the round that follows. */
static bool after_timeout(struct xfer *x, struct reader *r)
{
	switch (xfer_on_timeout(x)) {
	case TIMEOUT_GIVE_UP:
		return xfer_finish(x, PSEP_TIMEOUT);
	case TIMEOUT_HOLD:
		r->next = r->sent_hi + 1; /* nothing goes out until the timer */
		return true;
	case TIMEOUT_RESEND:
		break;
	}
	if (x->job->windowsize > 1)
		loss(x, r, true);
	return send_probe(x, r);
}

bool xfer_run_read(struct xfer *x)
{
	struct reader r;

	reader_init(x, &r);
	if (x->job->oack_len > 0 && !oack_phase(x))
		return false;
	if (x->job->oack_len == 0 && xfer_first_sent_by_monitor(x) && !adopt_first_block(x, &r))
		return false;
	for (;;) {
		/* The block after the round is read while the client answers. */
		if (!xfer_check_deadline(x) || !send_round(x, &r) || !fill(x, &r, r.next))
			return false;
		switch (wait_ack(x, &r)) {
		case WAIT_END:
			return x->res->status == PSEP_OK;
		case WAIT_PROGRESS:
		case WAIT_MORE: /* never returned by wait_ack */
			break;
		case WAIT_TIMEOUT:
			if (!xfer_check_deadline(x) || !after_timeout(x, &r))
				return false;
			break;
		}
	}
}
