/*
 * transfer.h - the child-side transfer state machine.
 *
 * It runs behind an injected I/O and clock interface, so the same code runs
 * in the jailed child (real sockets, real file) and in the unit tests
 * (scripted loss, duplicates, wrong packets, a fake clock).
 */
#ifndef CLOISTER_TRANSFER_H
#define CLOISTER_TRANSFER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "msg.h"

/* No transfer holds more than this in its window buffer; the monitor
 * clamps windowsize so that windowsize * blksize stays below it. */
#define TRANSFER_WINDOW_BYTES_MAX (8u << 20)

struct transfer_io {
	void *ctx;
	/* Send one datagram to the client. 0 or -errno. */
	int (*send)(void *ctx, const uint8_t *buf, size_t len);
	/*
	 * Send len bytes as consecutive datagrams of seg bytes each (the last
	 * may be shorter), in as few system calls as the kernel allows (UDP
	 * GSO). 0 or -errno.
	 */
	int (*send_batch)(void *ctx, const uint8_t *buf, size_t len, size_t seg);
	/* Wait until the monotonic time deadline_us for one datagram from the
	 * client. Its length, -ETIMEDOUT, or -errno. */
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
	 * successful upload the answer says whether the file was stored: 0,
	 * or the TFTP error to send instead of the final ACK.
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
