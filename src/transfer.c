/*
 * transfer.c - check a job, carve its buffer, run the engine it names.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>

#include "tftp-options.h"
#include "transfer-common.h"

_Static_assert((TRANSFER_JOB_CLIENT & PSEP_JOB_FLAGS_ALL) == 0,
	       "the client's flag must be one the monitor's codec refuses");

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

	size_t slots = (size_t)job->windowsize + XFER_READ_AHEAD;

	return align8(slots * stride) + align8(slots * sizeof(struct slot)) + align8(rx_size(job)) +
	       align8(job->blksize);
}

static bool job_runnable(const struct psep_job *job, size_t bufsize)
{
	if (job->opcode != TFTP_OP_RRQ && job->opcode != TFTP_OP_WRQ)
		return false;
	if (job->mode != TFTP_MODE_OCTET && job->mode != TFTP_MODE_NETASCII)
		return false;
	if (job->blksize < TFTP_BLKSIZE_MIN || job->blksize > TFTP_BLKSIZE_MAX ||
	    job->windowsize < 1 || job->initial_window < 1)
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
	buf += align8(((size_t)job->windowsize + XFER_READ_AHEAD) * x->stride);
	x->slots = (struct slot *)(void *)buf;
	buf += align8(((size_t)job->windowsize + XFER_READ_AHEAD) * sizeof(struct slot));
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
	/* A server we asked is as real as a client that sent DATA. */
	if (job->flags & TRANSFER_JOB_CLIENT)
		x.answered = x.verified = true;
	memset(x.slots, 0, (size_t)job->windowsize * sizeof(struct slot));
	/* A timeout the client negotiated comes as min == max: honoured
	 * exactly (RFC 2349), without adaptation. */
	rto_init(&x.rto, job->timeout_ms * 1000u, job->rto_min_ms * 1000u,
		 job->rto_max_ms * 1000u);
	/* The monitor's measure of the first round trip, taken when the answer
	 * arrived: the child reads that answer later, after a queue. */
	if (job->first_rtt_usec > 0 && job->rto_min_ms != job->rto_max_ms)
		rto_sample(&x.rto, job->first_rtt_usec);
	if (job->opcode == TFTP_OP_RRQ)
		xfer_run_read(&x);
	else
		xfer_run_write(&x);
	return 0;
}
