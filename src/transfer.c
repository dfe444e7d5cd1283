/*
 * transfer.c - what the read and write engines share: set-up, timers,
 * errors, the block-number arithmetic and the report.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>

#include "transfer-internal.h"

static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

static size_t rx_size(const struct psep_job *job)
{
	size_t n = job->blksize + TFTP_DATA_HDR;

	return n < RX_MIN ? RX_MIN : n;
}

size_t transfer_buffer_size(const struct psep_job *job)
{
	size_t stride = job->blksize + TFTP_DATA_HDR;

	return align8((size_t)job->windowsize * stride) +
	       align8((size_t)job->windowsize * sizeof(struct slot)) + align8(rx_size(job)) +
	       align8(job->blksize);
}

uint16_t xfer_wire_block(const struct xfer *x, uint64_t index)
{
	/* RFC 1350 numbers blocks from 1 in 16 bits. Past 65535 the common
	 * convention wraps to 0; the rollover option may ask for 1. */
	if (index == 0)
		return 0;
	if (x->job->rollover == 1)
		return (uint16_t)((index - 1) % 65535 + 1);
	return (uint16_t)index;
}

static int report(struct xfer *x, enum psep_status status)
{
	int answer = 0;

	x->res->status = status;
	x->res->duration_usec = x->io->now_us(x->io->ctx) - x->start_us;
	if (x->rto.have_sample)
		x->res->rtt_usec = x->rto.srtt_us;
	if (!x->reported && x->io->report != NULL)
		answer = x->io->report(x->io->ctx, x->res);
	x->reported = true;
	return answer;
}

bool xfer_finish(struct xfer *x, enum psep_status status)
{
	(void)report(x, status);
	return false;
}

int xfer_report_ok(struct xfer *x)
{
	return report(x, PSEP_OK);
}

void xfer_send_error(struct xfer *x, enum tftp_error code, const char *text)
{
	uint8_t pkt[128];
	int n = tftp_pkt_build_error(pkt, sizeof(pkt), code, text);

	if (n > 0)
		(void)x->io->send(x->io->ctx, pkt, (size_t)n);
}

bool xfer_fail(struct xfer *x, enum tftp_error code, const char *text, enum psep_status status)
{
	xfer_send_error(x, code, text);
	return xfer_finish(x, status);
}

bool xfer_peer_error(struct xfer *x, const uint8_t *buf, size_t len, bool after_oack)
{
	uint16_t code = 0;
	char msg[PSEP_PEER_MSG_MAX];

	if (tftp_pkt_parse_error(buf, len, &code, msg, sizeof(msg)) < 0)
		return xfer_finish(x, PSEP_PROTOCOL);
	if (code > TFTP_ERR_OPTNEG)
		code = TFTP_ERR_UNDEF;
	x->res->peer_error = code;
	/* msg is printable ASCII and NUL-terminated; the report must carry
	 * zeros after the NUL, and has the same size. */
	memset(x->res->peer_message, 0, sizeof(x->res->peer_message));
	memcpy(x->res->peer_message, msg, strnlen(msg, sizeof(msg) - 1));
	/* RFC 2347: ERROR 8 in answer to an OACK is how UEFI/PXE clients end
	 * their size probe. */
	if (after_oack && code == TFTP_ERR_OPTNEG)
		return xfer_finish(x, PSEP_PROBE);
	return xfer_finish(x, PSEP_PEER_ERROR);
}

static uint64_t quiet_period(const struct xfer *x)
{
	return 4 * (uint64_t)x->job->rto_max_ms * 1000;
}

uint64_t xfer_timer(const struct xfer *x)
{
	uint64_t t = x->holding ? x->sent_us + quiet_period(x)
				: x->io->now_us(x->io->ctx) + rto_timeout(&x->rto);

	return t < x->deadline_us ? t : x->deadline_us;
}

unsigned xfer_resend_limit(const struct xfer *x)
{
	if (!x->acked_once && x->job->retries > UNVERIFIED_RESENDS_MAX)
		return UNVERIFIED_RESENDS_MAX;
	return x->job->retries;
}

void xfer_heard(struct xfer *x)
{
	x->acked_once = true;
	x->holding = false;
	x->heard_us = x->io->now_us(x->io->ctx);
}

void xfer_sent(struct xfer *x)
{
	x->sent_us = x->io->now_us(x->io->ctx);
}

enum timeout_action xfer_on_timeout(struct xfer *x, unsigned tries)
{
	if (tries <= xfer_resend_limit(x))
		return TIMEOUT_RESEND;
	if (!x->acked_once)
		return TIMEOUT_GIVE_UP;
	if (x->io->now_us(x->io->ctx) - x->sent_us >= quiet_period(x))
		return TIMEOUT_GIVE_UP;
	x->holding = true;
	return TIMEOUT_HOLD;
}

bool xfer_check_deadline(struct xfer *x)
{
	if (x->io->now_us(x->io->ctx) < x->deadline_us)
		return true;
	return xfer_fail(x, TFTP_ERR_UNDEF, "Transfer took too long", PSEP_DEADLINE);
}

bool xfer_answer_resent_request(struct xfer *x, const uint8_t *pkt, size_t len)
{
	x->res->retransmits++;
	if (x->io->send(x->io->ctx, pkt, len) < 0)
		return xfer_finish(x, PSEP_INTERNAL);
	return true;
}

static bool job_runnable(const struct psep_job *job, size_t bufsize)
{
	if (job->opcode != TFTP_OP_RRQ && job->opcode != TFTP_OP_WRQ)
		return false;
	if (job->mode != TFTP_MODE_OCTET && job->mode != TFTP_MODE_NETASCII)
		return false;
	if ((uint64_t)job->windowsize * (job->blksize + TFTP_DATA_HDR) > TRANSFER_WINDOW_BYTES_MAX)
		return false;
	return bufsize >= transfer_buffer_size(job);
}

static void carve(struct xfer *x, uint8_t *buf)
{
	const struct psep_job *job = x->job;

	x->stride = job->blksize + TFTP_DATA_HDR;
	x->win = buf;
	buf += align8((size_t)job->windowsize * x->stride);
	x->slots = (struct slot *)(void *)buf;
	buf += align8((size_t)job->windowsize * sizeof(struct slot));
	x->rx = buf;
	x->rx_size = rx_size(job);
	buf += align8(x->rx_size);
	x->aux = buf;
}

int transfer_run(const struct psep_job *job, const struct transfer_io *io,
		 uint8_t *buf, size_t bufsize, struct psep_result *ret)
{
	struct xfer x = { .job = job, .io = io, .res = ret };

	memset(ret, 0, sizeof(*ret));
	ret->transfer_id = job->transfer_id;
	x.start_us = io->now_us(io->ctx);
	x.deadline_us = x.start_us + (uint64_t)job->deadline_s * 1000000;
	if (!job_runnable(job, bufsize)) {
		xfer_finish(&x, PSEP_INTERNAL);
		return -EINVAL;
	}
	carve(&x, buf);
	memset(x.slots, 0, (size_t)job->windowsize * sizeof(struct slot));
	/* A timeout the client negotiated comes as min == max: honoured
	 * exactly (RFC 2349), without adaptation. */
	rto_init(&x.rto, job->timeout_ms * 1000u, job->rto_min_ms * 1000u,
		 job->rto_max_ms * 1000u);
	if (job->opcode == TFTP_OP_RRQ)
		xfer_run_read(&x);
	else
		xfer_run_write(&x);
	return 0;
}
