/*
 * fuzz-handshake.c - the monitor's classification of a client's first
 * datagram (handshake.c), the one place after the request where the
 * monitor looks at a client's bytes.
 *
 * The input is a script (fuzz-engine.h): a few bytes choose the job (RRQ
 * or WRQ, OACK or not, blksize, rollover), whether DATA 1 was the whole
 * file and how much of the datagram was peeked; the rest is the datagram.
 * Only the peeked bytes are handed over, in a buffer of exactly that size,
 * so ASan catches any read past them.
 *
 * Checked: the answer is one of the enum's; HS_DONE only for ACK 1 of a
 * file that fit in DATA 1 sent without an OACK; HS_ANSWER only for the
 * answer the job expects (ACK 0 of an OACK, ACK 1 of DATA 1, DATA 1 of at
 * most a block); HS_REQUEST only for the job's own request, HS_PEER_ERROR
 * only for an ERROR; the job is not written; and the answer depends on the
 * first four bytes and the datagram's length alone.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-engine.h"
#include "handshake.h"
#include "tftp-packet.h"

/* How much of the datagram the monitor peeked: all of it, its receive
 * buffer's worth, or a few bytes. */
static size_t peek_len(uint8_t choice, size_t datagram)
{
	static const size_t caps[] = {
		SIZE_MAX, TFTP_DATA_HDR + TFTP_BLKSIZE_DEFAULT, 4, 3, 2, 1, 0,
	};
	size_t cap;

	if (choice % 8 == 7)
		return datagram ? datagram - 1 : 0;
	cap = caps[choice % 8];
	return datagram < cap ? datagram : cap;
}

static enum handshake_answer classify_copy(const struct psep_job *job, bool first_is_last,
					   const uint8_t *bytes, size_t len, size_t full_len)
{
	uint8_t *peek = malloc(len ? len : 1);
	enum handshake_answer a;

	CHECK(peek);
	memcpy(peek, bytes, len);
	a = handshake_classify(job, first_is_last, len ? peek : NULL, len, full_len);
	free(peek);
	return a;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct script s = { data, size };
	struct psep_job job, before;
	enum handshake_answer a;
	uint8_t opcode = (script_byte(&s) & 1) ? TFTP_OP_WRQ : TFTP_OP_RRQ;
	uint8_t flags;
	bool first_is_last, oack;
	size_t len, full_len, extra;
	unsigned op = 0, block = 0;

	script_job(&s, &job, opcode);
	flags = script_byte(&s);
	first_is_last = flags & 1;
	/* Any blksize the options allow, beyond the script's few. */
	if (flags & 2)
		job.blksize = script_pick(&s, 8, 65464);
	oack = job.oack_len > 0;
	/* The rest is the datagram; it may have been longer than what the
	 * input holds (a peek of a datagram bigger than the buffer). */
	extra = (flags & 0x40) ? script_u16(&s) : 0;
	full_len = s.left + extra;
	len = peek_len((uint8_t)(flags >> 3), s.left);
	CHECK(len <= full_len);
	before = job;
	a = classify_copy(&job, first_is_last, s.p, len, full_len);
	CHECK(memcmp(&job, &before, sizeof(job)) == 0);
	CHECK(a == HS_ANSWER || a == HS_DONE || a == HS_REQUEST || a == HS_PEER_ERROR ||
	      a == HS_IGNORE);

	if (len >= 2)
		op = (unsigned)s.p[0] << 8 | s.p[1];
	if (len >= 4)
		block = (unsigned)s.p[2] << 8 | s.p[3];
	switch (a) {
	case HS_DONE:
		CHECK(first_is_last && !oack && opcode == TFTP_OP_RRQ);
		CHECK(len >= 4 && op == TFTP_OP_ACK && block == 1);
		break;
	case HS_ANSWER:
		CHECK(len >= 4);
		if (opcode == TFTP_OP_RRQ)
			CHECK(op == TFTP_OP_ACK && block == (oack ? 0u : 1u) &&
			      (oack || !first_is_last));
		else
			CHECK(op == TFTP_OP_DATA && block == 1 &&
			      full_len <= TFTP_DATA_HDR + (size_t)job.blksize);
		break;
	case HS_REQUEST:
		CHECK(len >= 2 && op == opcode);
		break;
	case HS_PEER_ERROR:
		CHECK(len >= 2 && op == TFTP_OP_ERROR);
		break;
	case HS_IGNORE:
		/* Nothing that plainly answers is dropped. */
		CHECK(len < 2 || (op != opcode && op != TFTP_OP_ERROR));
		if (len >= 4 && opcode == TFTP_OP_RRQ)
			CHECK(op != TFTP_OP_ACK || block != (oack ? 0u : 1u));
		if (len >= 4 && opcode == TFTP_OP_WRQ && op == TFTP_OP_DATA && block == 1)
			CHECK(full_len > TFTP_DATA_HDR + (size_t)job.blksize);
		break;
	}
	/* Only the header counts: the first four bytes tell the same. */
	if (len > 4)
		CHECK(classify_copy(&job, first_is_last, s.p, 4, full_len) == a);
	return 0;
}
