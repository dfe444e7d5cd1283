/*
 * transfer.c - the child-side transfer state machine (RFC 1350, 1123, 2347).
 *
 * A read request is served in lock-step: one DATA block, then wait for its
 * ACK. The packet in flight is resent only when its timer runs out, never
 * because a duplicate or stale ACK arrived (RFC 1123 4.2.3.1, the
 * Sorcerer's Apprentice). Block numbers wrap past 65535 to job->rollover.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>

#include "tftp-packet.h"
#include "transfer.h"

struct xfer {
	const struct psep_job *job;
	const struct transfer_io *io;
	uint8_t *pkt;        /* the packet in flight */
	size_t pkt_len;
	uint8_t *rx;         /* receive buffer */
	size_t rx_size;
	uint64_t start_us;
	uint64_t deadline_us;
	int acked_once;      /* the client has acknowledged something */
	struct psep_result *res;
};

size_t transfer_buffer_size(const struct psep_job *job)
{
	/* One outgoing packet (DATA or OACK) and one incoming datagram. */
	size_t out = job->blksize + TFTP_DATA_HDR;

	if (job->oack_len > out)
		out = job->oack_len;
	return out + job->blksize + TFTP_DATA_HDR;
}

static uint16_t next_block(const struct xfer *x, uint16_t block)
{
	return block == 65535 ? x->job->rollover : (uint16_t)(block + 1);
}

static void finish(struct xfer *x, enum psep_status status)
{
	x->res->status = status;
	x->res->duration_usec = x->io->now_us(x->io->ctx) - x->start_us;
}

/* Tell the client why we stop; best effort, it may be gone already. */
static void send_error(struct xfer *x, enum tftp_error code, const char *text)
{
	int n = tftp_pkt_build_error(x->pkt, x->job->blksize + TFTP_DATA_HDR, code, text);

	if (n > 0)
		(void)x->io->send(x->io->ctx, x->pkt, (size_t)n);
}

/* The client gave up with an ERROR: record its code and (escaped) text. */
static void peer_error(struct xfer *x, const uint8_t *buf, size_t len, int probe_possible)
{
	uint16_t code = 0;
	char msg[PSEP_PEER_MSG_MAX];

	if (tftp_pkt_parse_error(buf, len, &code, msg, sizeof(msg)) < 0) {
		finish(x, PSEP_PROTOCOL);
		return;
	}
	if (code > TFTP_ERR_OPTNEG)
		code = TFTP_ERR_UNDEF;
	x->res->peer_error = code;
	memset(x->res->peer_message, 0, sizeof(x->res->peer_message));
	/* msg is already printable ASCII; the result field has the same size. */
	memcpy(x->res->peer_message, msg, strnlen(msg, sizeof(msg) - 1));
	/* RFC 2347: ERROR 8 in answer to an OACK is how UEFI/PXE clients end
	 * their size probe; it is not a failure. */
	if (probe_possible && code == TFTP_ERR_OPTNEG)
		finish(x, PSEP_PROBE);
	else
		finish(x, PSEP_PEER_ERROR);
}

/*
 * Send the packet in flight and wait for the ACK of block `want`,
 * resending on timeout. Returns 1 when acknowledged, 0 when the transfer
 * ended (result already filled in).
 */
static int send_and_wait_ack(struct xfer *x, uint16_t want, int is_oack)
{
	const struct transfer_io *io = x->io;
	unsigned tries = 0;

	for (;;) {
		uint64_t now = io->now_us(io->ctx);
		uint64_t timer;

		if (now >= x->deadline_us) {
			send_error(x, TFTP_ERR_UNDEF, "Transfer took too long");
			finish(x, PSEP_DEADLINE);
			return 0;
		}
		if (io->send(io->ctx, x->pkt, x->pkt_len) < 0) {
			finish(x, PSEP_INTERNAL);
			return 0;
		}
		timer = now + (uint64_t)x->job->timeout_ms * 1000;
		if (timer > x->deadline_us)
			timer = x->deadline_us;

		for (;;) {
			ssize_t n = io->recv(io->ctx, x->rx, x->rx_size, timer);
			uint16_t block;
			int op;

			if (n == -ETIMEDOUT)
				break;
			if (n < 0) {
				finish(x, PSEP_INTERNAL);
				return 0;
			}
			op = tftp_pkt_opcode(x->rx, (size_t)n);
			if (op == TFTP_OP_ACK && tftp_pkt_parse_ack(x->rx, (size_t)n, &block) == 0) {
				if (block == want) {
					x->acked_once = 1;
					return 1;
				}
				continue; /* stale or duplicate: never resend for it */
			}
			if (op == TFTP_OP_ERROR) {
				peer_error(x, x->rx, (size_t)n, is_oack);
				return 0;
			}
			if ((op == TFTP_OP_RRQ || op == TFTP_OP_WRQ) && !x->acked_once) {
				/* The client resent its request because our first
				 * packet was lost: answer it again now. */
				x->res->retransmits++;
				if (io->send(io->ctx, x->pkt, x->pkt_len) < 0) {
					finish(x, PSEP_INTERNAL);
					return 0;
				}
				continue;
			}
			/* Anything else from the client is ignored. */
		}
		if (++tries > x->job->retries) {
			finish(x, PSEP_TIMEOUT);
			return 0;
		}
		x->res->retransmits++;
	}
}

static int serve_read(struct xfer *x)
{
	const struct psep_job *job = x->job;
	uint16_t block = 1;
	uint64_t off = 0;

	if (job->oack_len > 0) {
		memcpy(x->pkt, job->oack, job->oack_len);
		x->pkt_len = job->oack_len;
		/* RFC 2347: the client acknowledges an OACK with ACK 0. */
		if (!send_and_wait_ack(x, 0, 1))
			return 0;
	}
	for (;;) {
		ssize_t n = x->io->read(x->io->ctx, x->pkt + TFTP_DATA_HDR, job->blksize, off);

		if (n < 0) {
			send_error(x, TFTP_ERR_UNDEF, "Read error");
			finish(x, PSEP_IO_ERROR);
			return 0;
		}
		tftp_pkt_put_data_header(x->pkt, TFTP_DATA_HDR, block);
		x->pkt_len = TFTP_DATA_HDR + (size_t)n;
		if (!send_and_wait_ack(x, block, 0))
			return 0;
		off += (uint64_t)n;
		x->res->bytes = off;
		x->res->blocks++;
		/* A short block, including an empty one, ends the transfer. */
		if ((size_t)n < job->blksize) {
			finish(x, PSEP_OK);
			return 1;
		}
		block = next_block(x, block);
	}
}

int transfer_run(const struct psep_job *job, const struct transfer_io *io,
		 uint8_t *buf, size_t bufsize, struct psep_result *ret)
{
	struct xfer x = { .job = job, .io = io, .res = ret };
	size_t out;

	memset(ret, 0, sizeof(*ret));
	ret->transfer_id = job->transfer_id;
	x.start_us = io->now_us(io->ctx);
	x.deadline_us = x.start_us + (uint64_t)job->deadline_s * 1000000;
	if (bufsize < transfer_buffer_size(job) || job->opcode != TFTP_OP_RRQ ||
	    job->mode != TFTP_MODE_OCTET) {
		finish(&x, PSEP_INTERNAL);
		return -EINVAL;
	}
	out = bufsize - (job->blksize + TFTP_DATA_HDR);
	x.pkt = buf;
	x.rx = buf + out;
	x.rx_size = job->blksize + TFTP_DATA_HDR;
	serve_read(&x);
	return 0;
}
