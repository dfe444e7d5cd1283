/*
 * transfer-write.c - receiving an upload (WRQ), with windows (RFC 7440).
 *
 * Blocks arriving in order are gathered (netascii decoded on the fly) and
 * written once per window; the window is acknowledged when it is full, on
 * the last block, once when a gap or a duplicate shows that the client
 * missed our ACK, and when the timer runs out: an ACK of the last block in
 * order tells the client where to go on from (RFC 7440 4), and whatever
 * was gathered is written first, so the buffer never holds more than one
 * window.
 *
 * A short block ends the upload: the data is made durable and the outcome
 * reported. The final ACK tells the client its file is safe, so it is sent
 * only when the report says the file is stored; the monitor, which stores
 * it, sends it itself (TRANSFER_ACK_DEFERRED).
 *
 * Data goes into the temporary file the monitor created; the monitor
 * renames it into place only after a successful report.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>

#include "transfer-common.h"

#define DALLY_MAX_US 2000000 /* linger after the last ACK, at most */
/*
 * The client sends, and resends on its own timer; ours speaks only when
 * the client may need it, no sooner than these, and backs off from there:
 * - with a window, our ACK on the timer is how the client learns where to
 *   go on after losing the end of a window, or all of it (RFC 7440 4; a
 *   window sent in one GSO datagram is lost whole): soon, though above the
 *   pauses of a sender that reads its file between windows;
 * - in lock-step, a lost block is the client's to resend, and our ACK lost
 *   is answered by that resend too (a lock-step sender must not answer a
 *   duplicate ACK, RFC 1123 4.2.3.1): ours is a backstop, as slow as
 *   tftp-hpa's default. A duplicate ACK that reaches a sender during a
 *   pause makes some resend and go on as if acknowledged (node-tftp's
 *   writer: lib/protocol/writer.js, resume()).
 * A timeout the client negotiated is kept as it is (RFC 2349).
 */
#define RECEIVER_WINDOW_MIN_US 20000
#define RECEIVER_LOCKSTEP_MIN_US 1000000

/*
 * The receiver's state. Invariants:
 * - the client was acknowledged every block before `acked`, and we hold
 *   every block before `expected`: acked <= expected;
 * - in_window = expected - acked blocks are gathered, their file bytes
 *   (wlen of them) not yet written: wlen <= in_window * blksize + 1 (a
 *   netascii CR held back) <= the window buffer;
 * - file_off file bytes are written, in order, from 0.
 */
struct writer {
	uint64_t expected;   /* block index we wait for */
	uint64_t acked;      /* the block after our last ACK */
	size_t wlen;         /* file bytes gathered, not yet written */
	uint64_t file_off;   /* file bytes written */
	uint8_t ack[TFTP_ACK_LEN];
	const uint8_t *answer; /* what we resend on timeout: OACK or last ACK */
	size_t answer_len;
	bool answer_is_oack;
	uint64_t answer_at;  /* when it was first sent */
	uint64_t sent_at;    /* when it was last sent: the timer runs from here */
	bool answer_resent;
	bool gap_acked;      /* already re-acknowledged since the last progress */
};

static bool send_answer(struct xfer *x, struct writer *w, bool again)
{
	int e = x->io->send(x->io->ctx, w->answer, w->answer_len);

	if (e < 0)
		return xfer_io_failed(x, e);
	xfer_sent(x);
	w->sent_at = x->sent_us;
	if (again) {
		w->answer_resent = true;
		x->res->retransmits++;
	} else {
		w->answer_at = w->sent_at;
		w->answer_resent = false;
	}
	return true;
}

/* Write what was gathered. Disk full is ERROR 3 (RFC 1350). */
static bool flush(struct xfer *x, struct writer *w)
{
	int e;

	if (w->wlen == 0)
		return true;
	e = x->io->write(x->io->ctx, x->win, w->wlen, w->file_off);
	if (e == -ENOSPC || e == -EDQUOT || e == -EFBIG)
		return xfer_fail(x, TFTP_ERR_NOSPACE, "Disk full or allocation exceeded",
				 PSEP_NO_SPACE);
	if (e < 0)
		return xfer_fail(x, TFTP_ERR_UNDEF, "Write error", PSEP_IO_ERROR);
	w->file_off += w->wlen;
	w->wlen = 0;
	return true;
}

/* Flush, then acknowledge everything up to the block before `expected`. */
static bool acknowledge(struct xfer *x, struct writer *w)
{
	if (!flush(x, w))
		return false;
	tftp_pkt_build_ack(w->ack, sizeof(w->ack), xfer_wire_block(x, w->expected - 1));
	w->answer = w->ack;
	w->answer_len = sizeof(w->ack);
	w->answer_is_oack = false;
	w->acked = w->expected;
	return send_answer(x, w, false);
}

/* --max-upload-size counts file bytes: written and gathered. */
static bool within_limit(struct xfer *x, const struct writer *w)
{
	const uint64_t max = x->job->max_size;

	if (max != 0 && w->file_off + w->wlen > max)
		return xfer_fail(x, TFTP_ERR_NOSPACE, "File exceeds the upload size limit",
				 PSEP_NO_SPACE);
	return true;
}

static bool gather(struct xfer *x, struct writer *w, const uint8_t *data, size_t len)
{
	/* Never past the buffer, whatever the window accounting says: a
	 * netascii block decodes to at most its length plus a held CR. */
	if (w->wlen + len + 1 > (size_t)x->job->windowsize * x->stride && !flush(x, w))
		return false;
	if (x->job->mode == TFTP_MODE_NETASCII)
		w->wlen += netascii_decode(&x->dec, data, len, x->win + w->wlen);
	else {
		memcpy(x->win + w->wlen, data, len);
		w->wlen += len;
	}
	return within_limit(x, w);
}

/* Answer a resent last block until the dally time is over. */
static void dally(struct xfer *x, struct writer *w)
{
	uint64_t wait = 2 * (uint64_t)rto_timeout(&x->rto);
	uint64_t until = x->io->now_us(x->io->ctx) + (wait < DALLY_MAX_US ? wait : DALLY_MAX_US);
	uint16_t last = xfer_wire_block(x, w->expected - 1), block;

	for (;;) {
		const uint8_t *payload;
		size_t plen;
		ssize_t n = x->io->recv(x->io->ctx, x->rx, x->rx_size, until);

		if (n < 0)
			return;
		if (tftp_pkt_parse_data(x->rx, (size_t)n, &block, &payload, &plen) == 0 &&
		    block == last)
			(void)x->io->send(x->io->ctx, w->ack, sizeof(w->ack));
	}
}

static bool finish_upload(struct xfer *x, struct writer *w)
{
	int e;

	/* A CR that ended the upload is kept. */
	if (x->job->mode == TFTP_MODE_NETASCII)
		w->wlen += netascii_decode_finish(&x->dec, x->win + w->wlen);
	if (!within_limit(x, w) || !flush(x, w))
		return false;
	if (x->io->sync(x->io->ctx) < 0)
		return xfer_fail(x, TFTP_ERR_UNDEF, "Write error", PSEP_IO_ERROR);
	x->res->bytes = w->file_off;
	e = xfer_report_ok(x);
	if (e == TRANSFER_ACK_DEFERRED)
		return true;
	if (e != 0) {
		xfer_send_error(x, (enum tftp_error)e, "Could not store the file");
		return false;
	}
	if (!acknowledge(x, w))
		return false;
	/* A client does not dally: only a wait longer than the server's
	 * timeout (1 s and more) would catch its resent last block, every
	 * lock-step download would take that much longer, and a lost final
	 * ACK costs the client nothing (it has the file; the server logs a
	 * timeout). tftp-hpa's and atftp's clients do not dally either. */
	if (!(x->job->flags & TRANSFER_JOB_CLIENT))
		dally(x, w);
	return true;
}

/* The block we wait for arrived. */
static bool take_block(struct xfer *x, struct writer *w, const uint8_t *data, size_t len)
{
	/* The first block after our answer times the round trip (Karn: only
	 * when the answer was sent once). */
	if (w->expected == w->acked && !w->answer_resent)
		xfer_rtt_sample(x, w->answer_at, w->answer_is_oack || w->expected == 1);
	xfer_progress(x);
	w->gap_acked = false;
	w->answer_is_oack = false; /* data came: from now on we answer with ACKs */
	if (!gather(x, w, data, len))
		return false;
	x->res->blocks++;
	x->res->bytes = w->file_off + w->wlen; /* so far, also if it stops here */
	w->expected++;
	if (len < x->job->blksize)
		return finish_upload(x, w);
	if (w->expected - w->acked == x->job->windowsize)
		return acknowledge(x, w);
	return true;
}

enum step { STEP_ON, STEP_TIMEOUT, STEP_END };

/* A block out of order: a gap, or a window resent because our ACK was
 * lost. Say once where we are, then wait for the client to catch up. While
 * we hold, the client resending is its own timer: answer it again. */
static enum step out_of_order(struct xfer *x, struct writer *w)
{
	if (xfer_wake(x))
		w->gap_acked = false;
	if (!w->gap_acked && x->verified) {
		w->gap_acked = true;
		return acknowledge(x, w) ? STEP_ON : STEP_END;
	}
	return STEP_ON;
}

static enum step receive(struct xfer *x, struct writer *w, uint64_t timer)
{
	const uint8_t *data;
	uint16_t block;
	size_t len;
	ssize_t n = x->io->recv(x->io->ctx, x->rx, x->rx_size, timer);
	int op;

	if (n == -ETIMEDOUT)
		return STEP_TIMEOUT;
	if (n < 0)
		return xfer_io_failed(x, (int)n), STEP_END;
	op = tftp_pkt_opcode(x->rx, (size_t)n);
	if (op == TFTP_OP_DATA && tftp_pkt_parse_data(x->rx, (size_t)n, &block, &data, &len) == 0) {
		if (len > x->job->blksize)
			return xfer_fail(x, TFTP_ERR_BADOP, "Block larger than negotiated",
					 PSEP_PROTOCOL), STEP_END;
		if (block == xfer_wire_block(x, w->expected))
			return take_block(x, w, data, len) ? STEP_ON : STEP_END;
		return out_of_order(x, w);
	}
	if (op == TFTP_OP_ERROR)
		return xfer_peer_error(x, x->rx, (size_t)n, !x->verified && x->job->oack_len > 0),
		       STEP_END;
	if (op == TFTP_OP_WRQ && !x->verified)
		return xfer_answer_resent_request(x, w->answer, w->answer_len) ? STEP_ON : STEP_END;
	return STEP_ON;
}

/* When the timer runs out next. An OACK is resent on the timer only once,
 * late (FIRST_OACK_RESEND_US). */
static uint64_t next_timer(const struct xfer *x, const struct writer *w)
{
	uint64_t t;

	if (w->answer_is_oack)
		t = w->sent_at + FIRST_OACK_RESEND_US;
	else if (x->holding)
		t = xfer_timer(x);
	else
		t = w->sent_at + rto_timeout(&x->rto);
	return t < x->deadline_us ? t : x->deadline_us;
}

/* The timer ran out: acknowledge what came in since our last ACK (RFC
 * 7440), else send our last answer again. */
static bool after_timeout(struct xfer *x, struct writer *w)
{
	if (w->answer_is_oack) {
		if (w->answer_resent)
			return xfer_finish(x, PSEP_TIMEOUT);
		return send_answer(x, w, true);
	}
	switch (xfer_on_timeout(x)) {
	case TIMEOUT_GIVE_UP:
		return xfer_finish(x, PSEP_TIMEOUT);
	case TIMEOUT_HOLD:
		return true;
	case TIMEOUT_RESEND:
		break;
	}
	if (w->expected > w->acked)
		return acknowledge(x, w);
	return send_answer(x, w, true);
}

static bool writer_init(struct xfer *x, struct writer *w)
{
	const struct psep_job *job = x->job;

	*w = (struct writer){ .expected = 1, .acked = 1 };
	rto_raise_min(&x->rto,
		      job->windowsize > 1 ? RECEIVER_WINDOW_MIN_US : RECEIVER_LOCKSTEP_MIN_US);
	/* RFC 2347: an OACK answers a WRQ with options, else ACK 0. */
	if (job->oack_len > 0) {
		w->answer = job->oack;
		w->answer_len = job->oack_len;
		w->answer_is_oack = true;
	} else {
		tftp_pkt_build_ack(w->ack, sizeof(w->ack), 0);
		w->answer = w->ack;
		w->answer_len = sizeof(w->ack);
	}
	if (!xfer_first_sent_by_monitor(x))
		return send_answer(x, w, false);
	/* The monitor sent it; the client's DATA 1 waits in the socket. */
	w->answer_at = w->sent_at = x->sent_us = job->first_sent_usec;
	w->answer_resent = true; /* the monitor timed it (transfer.c) */
	return true;
}

bool xfer_run_write(struct xfer *x)
{
	struct writer w;

	if (!writer_init(x, &w))
		return false;
	for (;;) {
		enum step s;

		do
			s = receive(x, &w, next_timer(x, &w));
		while (s == STEP_ON && !x->reported);
		if (x->reported)
			return x->res->status == PSEP_OK;
		if (s == STEP_END || !xfer_check_deadline(x))
			return false;
		if (!after_timeout(x, &w))
			return false;
	}
}
