/*
 * handshake.c - classifying the first answer, timing the first resends.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "handshake.h"
#include "tftp-packet.h"
#include "transfer-common.h"

static enum handshake_answer classify_rrq(const struct psep_job *job, bool first_is_last,
					  uint16_t block)
{
	/* After an OACK the client acknowledges it with ACK 0 (RFC 2347);
	 * without one, DATA 1 with ACK 1. */
	if (job->oack_len > 0)
		return block == 0 ? HS_ANSWER : HS_IGNORE;
	if (block != 1)
		return HS_IGNORE;
	return first_is_last ? HS_DONE : HS_ANSWER;
}

enum handshake_answer handshake_classify(const struct psep_job *job, bool first_is_last,
					 const uint8_t *buf, size_t len, size_t full_len)
{
	int op = tftp_pkt_opcode(buf, len);
	uint16_t block;

	if (op == TFTP_OP_RRQ || op == TFTP_OP_WRQ)
		return op == job->opcode ? HS_REQUEST : HS_IGNORE;
	if (op == TFTP_OP_ERROR)
		return HS_PEER_ERROR;
	if (len < 4)
		return HS_IGNORE;
	block = (uint16_t)(buf[2] << 8 | buf[3]);
	/* A padded ACK is an ACK, as the codec and the child take it: some
	 * clients pad short datagrams. */
	if (job->opcode == TFTP_OP_RRQ)
		return op == TFTP_OP_ACK ? classify_rrq(job, first_is_last, block) : HS_IGNORE;
	/* An upload begins with DATA 1, at most a block long. */
	if (op == TFTP_OP_DATA && block == 1 && full_len <= TFTP_DATA_HDR + (size_t)job->blksize)
		return HS_ANSWER;
	return HS_IGNORE;
}

uint64_t handshake_next(const struct psep_job *job, unsigned sends, bool *ret_give_up)
{
	uint64_t t0 = (uint64_t)job->timeout_ms * 1000;

	if (job->oack_len > 0) {
		*ret_give_up = sends >= 2;
		return FIRST_OACK_RESEND_US;
	}
	/* Sent at 0, t0 and 3 t0; given up at 7 t0 (1, 3, 7 s by default). */
	*ret_give_up = sends > (job->retries < UNVERIFIED_RESENDS_MAX ? job->retries
								   : UNVERIFIED_RESENDS_MAX);
	return t0 << (sends - 1 < 8 ? sends - 1 : 8);
}
