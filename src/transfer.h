/*
 * transfer.h - the transfer state machine, as the jailed child runs it.
 *
 * Layers, each calling only downward:
 *   transfer.c          this interface: check the job, carve the buffer,
 *                       run the engine the opcode names
 *   transfer-read.c     the sender of a download (RRQ): windows, the
 *   transfer-write.c    receiver of an upload (WRQ)
 *   transfer-common.c   what both share: timers and the hold, errors, the
 *                       report, block-number arithmetic
 *
 * It runs behind an injected I/O and clock interface, so the same code runs
 * in the jailed child (real sockets, real file) and in the unit tests and
 * fuzzers (scripted loss, duplicates, wrong packets, a fake clock).
 */
#ifndef CLOISTER_TRANSFER_H
#define CLOISTER_TRANSFER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "msg.h"

/* No transfer holds more than this in its window buffer (msg.h). */
#define TRANSFER_WINDOW_BYTES_MAX PSEP_WINDOW_BYTES_MAX

/* report()'s answer for an upload whose final ACK the caller sends once
 * it has stored the file: the engine ends at once. */
#define TRANSFER_ACK_DEFERRED (-1)

/*
 * psep_job.flags: the engine runs in a client (tftpc), not in the server's
 * child. Outside PSEP_JOB_FLAGS_ALL, so the monitor's codec refuses it and
 * no child ever runs with it. The peer is the server the user named, and it
 * has answered the request already (OACK, DATA 1 or ACK 0): the bounds for
 * an unverified, possibly forged client do not apply, and there is no hold
 * for a client's slow timer: after job->retries resends the transfer ends.
 * A download (the write engine) ends at its final ACK, without the dally.
 */
#define TRANSFER_JOB_CLIENT (1u << 7)

struct transfer_io {
	void *ctx;
	/* Send one datagram to the client. 0 or -errno; -ECONNREFUSED,
	 * -EHOSTUNREACH, -ENETUNREACH, -EHOSTDOWN: an ICMP error said the
	 * client is gone. */
	int (*send)(void *ctx, const uint8_t *buf, size_t len);
	/*
	 * Send len bytes as consecutive datagrams of seg bytes each (the last
	 * may be shorter), in as few system calls as the kernel allows (UDP
	 * GSO). 0 or -errno, as send.
	 */
	int (*send_batch)(void *ctx, const uint8_t *buf, size_t len, size_t seg);
	/* Wait until the monotonic time deadline_us for one datagram from the
	 * client. Its length, -ETIMEDOUT, or -errno (as send). */
	ssize_t (*recv)(void *ctx, uint8_t *buf, size_t size, uint64_t deadline_us);
	/* Fill the buffers from the file at off: bytes read (less only at the
	 * end of the file), or -errno. */
	ssize_t (*readv)(void *ctx, const struct iovec *iov, int iovcnt, uint64_t off);
	/* Write all of buf at off: 0 or -errno (-ENOSPC, -EDQUOT, -EFBIG...). */
	int (*write)(void *ctx, const uint8_t *buf, size_t len, uint64_t off);
	/* Make written data durable: 0 or -errno. */
	int (*sync)(void *ctx);
	/* Monotonic clock, microseconds. */
	uint64_t (*now_us)(void *ctx);
	/*
	 * Optional: the outcome is final; called at most once. For a
	 * successful upload the answer decides the end: 0, send the final ACK
	 * (and linger for a resent last block); a TFTP error code, send that
	 * ERROR instead; TRANSFER_ACK_DEFERRED, end now and send nothing (the
	 * caller acknowledges once the file is stored).
	 */
	int (*report)(void *ctx, const struct psep_result *res);
};

/* Room a transfer needs in its buffer for this job. */
size_t transfer_buffer_size(const struct psep_job *job);

/*
 * Run the transfer the job describes, using buf (at least
 * transfer_buffer_size bytes, suitably aligned for uint64_t). Always
 * fills *ret (status, counters, duration) and returns 0; -EINVAL for a
 * job it cannot run.
 */
int transfer_run(const struct psep_job *job, const struct transfer_io *io,
		 uint8_t *buf, size_t bufsize, struct psep_result *ret);

#endif
