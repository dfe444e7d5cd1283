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

#include "msg.h"

struct transfer_io {
	void *ctx;
	/* Send one datagram to the client. 0 or -errno. */
	int (*send)(void *ctx, const uint8_t *buf, size_t len);
	/* Wait until the monotonic time deadline_us for one datagram from the
	 * client. Its length, -ETIMEDOUT, or -errno. */
	ssize_t (*recv)(void *ctx, uint8_t *buf, size_t size, uint64_t deadline_us);
	/* Read up to len bytes of the file at off: count, 0 at end, or -errno. */
	ssize_t (*read)(void *ctx, uint8_t *buf, size_t len, uint64_t off);
	/* Monotonic clock, microseconds. */
	uint64_t (*now_us)(void *ctx);
};

/* Room a transfer needs in its packet buffer for job->blksize. */
size_t transfer_buffer_size(const struct psep_job *job);

/*
 * Run the transfer the job describes, using buf (at least
 * transfer_buffer_size bytes) for packets. Always fills *ret (status,
 * counters, duration) and returns 0; -EINVAL for a job it cannot run.
 */
int transfer_run(const struct psep_job *job, const struct transfer_io *io,
		 uint8_t *buf, size_t bufsize, struct psep_result *ret);

#endif
