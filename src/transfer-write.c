/*
 * transfer-write.c - receiving an upload (WRQ), with windows (RFC 7440).
 *
 * Blocks arriving in order are gathered (netascii decoded on the fly) and
 * written once per window; the window is acknowledged when it is full, on
 * the last block, and once when a gap or a duplicate shows that the client
 * missed our ACK. A short block ends the upload: the data is made durable,
 * the final ACK sent and the outcome reported, then the child lingers
 * briefly to acknowledge a resent last block in case that ACK was lost.
 *
 * Data goes into the temporary file the monitor created; the monitor
 * renames it into place only after a successful report.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>

#include "transfer-internal.h"

#define DALLY_MAX_US 2000000 /* linger after the last ACK, at most */

struct writer {
	uint64_t expected;   /* block index we wait for */
	size_t in_window;    /* blocks received since our last ACK */
	size_t wlen;         /* file bytes gathered, not yet written */
	uint64_t file_off;   /* file bytes written */
	uint8_t ack[TFTP_ACK_LEN];
	const uint8_t *answer; /* what we resend on timeout: OACK or last ACK */
	size_t answer_len;
	uint64_t answer_at;  /* when it was first sent */
	uint64_t sent_at;    /* when it was last sent: the timer runs from here */
	bool answer_resent;
	bool gap_acked;      /* already re-acknowledged since the last progress */
	unsigned tries;
};

static bool send_answer(struct xfer *x, struct writer *w, bool again)
{
	if (x->io->send(x->io->ctx, w->answer, w->answer_len) < 0)
		return xfer_finish(x, PSEP_INTERNAL);
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
	w->in_window = 0;
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
	/* The final ACK tells the client its file is safe: only once the
	 * monitor has put it in place. */
	e = xfer_report_ok(x);
	if (e != 0) {
		xfer_send_error(x, (enum tftp_error)e, "Could not store the file");
		return false;
	}
	if (!acknowledge(x, w))
		return false;
	dally(x, w);
	return true;
}

/* The block we wait for arrived. */
static bool take_block(struct xfer *x, struct writer *w, const uint8_t *data, size_t len)
{
	uint64_t now = x->io->now_us(x->io->ctx);

	/* The first block after our answer times the round trip (Karn: only
	 * when the answer was sent once). */
	if (w->in_window == 0 && !w->answer_resent && now >= w->answer_at)
		rto_sample(&x->rto, (uint32_t)(now - w->answer_at > UINT32_MAX ? UINT32_MAX
										: now - w->answer_at));
	xfer_heard(x);
	w->tries = 0;
	w->gap_acked = false;
	if (!gather(x, w, data, len))
		return false;
	x->res->blocks++;
	x->res->bytes = w->file_off + w->wlen; /* so far, also if it stops here */
	w->expected++;
	w->in_window++;
	if (len < x->job->blksize)
		return finish_upload(x, w);
	if (w->in_window == x->job->windowsize)
		return acknowledge(x, w);
	return true;
}

enum step { STEP_ON, STEP_TIMEOUT, STEP_END };

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
		return xfer_finish(x, PSEP_INTERNAL), STEP_END;
	op = tftp_pkt_opcode(x->rx, (size_t)n);
	if (op == TFTP_OP_DATA && tftp_pkt_parse_data(x->rx, (size_t)n, &block, &data, &len) == 0) {
		if (len > x->job->blksize)
			return xfer_fail(x, TFTP_ERR_BADOP, "Block larger than negotiated",
					 PSEP_PROTOCOL), STEP_END;
		if (block == xfer_wire_block(x, w->expected))
			return take_block(x, w, data, len) ? STEP_ON : STEP_END;
		/* A gap, or a window resent because our ACK was lost: say
		 * once where we are, then wait for the client to catch up.
		 * While we hold, silent, the client resending is the sign it
		 * is waiting for us: answer it again. */
		if (x->holding) {
			xfer_heard(x);
			w->tries = 0;
			w->gap_acked = false;
		}
		if (!w->gap_acked && x->acked_once) {
			w->gap_acked = true;
			return acknowledge(x, w) ? STEP_ON : STEP_END;
		}
		return STEP_ON;
	}
	if (op == TFTP_OP_ERROR)
		return xfer_peer_error(x, x->rx, (size_t)n, !x->acked_once && x->job->oack_len > 0),
		       STEP_END;
	if (op == TFTP_OP_WRQ && !x->acked_once)
		return xfer_answer_resent_request(x, w->answer, w->answer_len) ? STEP_ON : STEP_END;
	return STEP_ON;
}

bool xfer_run_write(struct xfer *x)
{
	struct writer w = { .expected = 1 };

	/* RFC 2347: an OACK answers a WRQ with options, else ACK 0. */
	if (x->job->oack_len > 0) {
		w.answer = x->job->oack;
		w.answer_len = x->job->oack_len;
	} else {
		tftp_pkt_build_ack(w.ack, sizeof(w.ack), 0);
		w.answer = w.ack;
		w.answer_len = sizeof(w.ack);
	}
	if (!send_answer(x, &w, false))
		return false;
	for (;;) {
		enum step s;

		do {
			uint64_t timer = x->holding ? xfer_timer(x) : w.sent_at + rto_timeout(&x->rto);

			s = receive(x, &w, timer < x->deadline_us ? timer : x->deadline_us);
		} while (s == STEP_ON && !x->reported);
		if (x->reported)
			return x->res->status == PSEP_OK;
		if (s == STEP_END)
			return false;
		if (!xfer_check_deadline(x))
			return false;
		switch (xfer_on_timeout(x, ++w.tries)) {
		case TIMEOUT_GIVE_UP:
			return xfer_finish(x, PSEP_TIMEOUT);
		case TIMEOUT_HOLD:
			continue;
		case TIMEOUT_RESEND:
			break;
		}
		rto_backoff(&x->rto);
		w.in_window = 0;
		if (!send_answer(x, &w, true))
			return false;
	}
}
