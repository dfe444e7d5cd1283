/*
 * fuzz-engine.h - what the engine harnesses share: reading the fuzz input
 * as a script, a fake clock, and a check that aborts.
 *
 * The input is a script: a few bytes choose the job, the rest, one step
 * at a time, what the client does when the engine waits for it (a packet,
 * or silence until the timer runs out). Once the script is used up the
 * client is silent for good, and the engine must end on its own.
 *
 * A download may read its file as the child reads a relayed stream: a
 * pipe through the child's own reader (file-io.c), which takes only the
 * next offset; the harness aborts when the engine asks for any other.
 */
#ifndef CLOISTER_FUZZ_ENGINE_H
#define CLOISTER_FUZZ_ENGINE_H

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file-io.h"
#include "fuzz-check.h"
#include "tftp-packet.h"
#include "transfer.h"

struct script {
	const uint8_t *p;
	size_t left;
};

/* The next byte of the script, 0 once it is used up. */
static inline uint8_t script_byte(struct script *s)
{
	if (s->left == 0)
		return 0;
	s->left--;
	return *s->p++;
}

static inline uint16_t script_u16(struct script *s)
{
	uint16_t hi = script_byte(s);

	return (uint16_t)(hi << 8 | script_byte(s));
}

/* A value in [lo, hi] from one or two bytes. */
static inline uint32_t script_pick(struct script *s, uint32_t lo, uint32_t hi)
{
	uint32_t span = hi - lo + 1, v = span > 256 ? script_u16(s) : script_byte(s);

	return lo + v % span;
}

/* A job both engines can run, its shape taken from the script. Small
 * blocks and files keep a run short and block numbers below 65536. */
static inline void script_job(struct script *s, struct psep_job *job, uint8_t opcode)
{
	static const uint32_t blksizes[] = { 8, 9, 16, 100, 512, 513, 1024, 1468 };
	uint8_t b;

	memset(job, 0, sizeof(*job));
	job->transfer_id = 7;
	job->opcode = opcode;
	job->mode = (script_byte(s) & 1) ? TFTP_MODE_NETASCII : TFTP_MODE_OCTET;
	job->blksize = blksizes[script_byte(s) % (sizeof(blksizes) / sizeof(blksizes[0]))];
	job->windowsize = script_pick(s, 1, 64);
	job->initial_window = script_pick(s, 1, 16);
	job->rollover = script_byte(s) & 1;
	job->retries = script_pick(s, 1, 8);
	job->timeout_ms = script_pick(s, 1, 2000);
	job->rto_min_ms = script_pick(s, 1, 50);
	job->rto_max_ms = job->rto_min_ms + script_pick(s, 0, 5000);
	if (job->timeout_ms > job->rto_max_ms)
		job->timeout_ms = job->rto_max_ms;
	job->deadline_s = script_pick(s, 1, 120);
	b = script_byte(s);
	if (b & 1) {
		static const char oack[] = "\0\6blksize\0" "512";

		memcpy(job->oack, oack, sizeof(oack));
		job->oack_len = sizeof(oack);
	} else if (b & 2) {
		/* tftpc's job: no OACK to send, the server answered already
		 * (the bit was unused: earlier inputs keep their meaning). */
		job->flags |= TRANSFER_JOB_CLIENT;
	}
	if (script_byte(s) & 1) {
		job->first_sent_usec = 1;
		job->first_rtt_usec = script_pick(s, 0, 3000);
		if (script_byte(s) & 1)
			job->flags |= PSEP_JOB_FIRST_RESENT;
	}
}

/*
 * Up to 40 bytes of noise from the script into buf, the client's next
 * datagram: anything but a packet of opcode never, which becomes one of
 * opcode instead (a packet the model did not make would move the engine
 * behind its back; the harnesses send those through their model). Its
 * length.
 */
static inline size_t script_noise(struct script *s, uint8_t *buf, uint16_t never,
				  uint16_t instead)
{
	size_t n = script_pick(s, 0, 40);

	for (size_t i = 0; i < n; i++)
		buf[i] = script_byte(s);
	if (n >= 2 && tftp_pkt_opcode(buf, n) == never)
		buf[1] = (uint8_t)instead;
	return n;
}

/* The client's request again ("file", octet) into buf: its length. */
static inline size_t request_again(uint8_t *buf, uint16_t opcode)
{
	static const uint8_t rest[] = "file\0octet";

	buf[0] = 0;
	buf[1] = (uint8_t)opcode;
	memcpy(buf + 2, rest, sizeof(rest));
	return 2 + sizeof(rest);
}

/*
 * A stream of `announced` bytes that carries the first len of file, as a
 * fetcher would (fewer: the origin closed early). It all fits the pipe,
 * whose writer is closed at once: reads never block.
 */
static inline void stream_open(struct file_stream *st, const uint8_t *file, size_t len,
			       uint64_t announced)
{
	int p[2];

	CHECK(pipe2(p, O_CLOEXEC) == 0);
	CHECK(fcntl(p[1], F_SETPIPE_SZ, 1 << 16) >= (int)len);
	CHECK(file_write_full(p[1], file, len) == 0);
	close(p[1]);
	*st = (struct file_stream){ .fd = p[0], .size = announced };
}

/* What the child's io does for a stream, and the rule the engine keeps
 * for it: each byte once, in order. */
static inline ssize_t stream_readv(struct file_stream *st, const struct iovec *iov, int iovcnt,
				   uint64_t off)
{
	CHECK(off == st->done);
	return file_stream_readv(st, iov, iovcnt, off);
}

/* The engine must end by its deadline, with room for the slow resends of
 * the hold; a run past this never would. */
static inline uint64_t engine_time_limit(const struct psep_job *job)
{
	return ((uint64_t)job->deadline_s + 60) * 1000000;
}

#endif
