/*
 * check-handshake.c - the monitor's part of a transfer's first exchange
 * (src/handshake.c): what the client's first datagram means, and when the
 * first packet goes out again.
 *
 * Every datagram is handed over in a buffer of exactly the bytes the
 * monitor peeked, so that a sanitizer build catches a read past them.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "handshake.h"
#include "msg.h"
#include "tftp-packet.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define SEC 1000000u

/* The schedule of an OACK, written out here so that a change of it
 * breaks these tests (FIRST_OACK_RESEND_US in transfer-common.h). */
#define OACK_RESEND_US (7 * SEC)

enum job_kind {
	RRQ,        /* DATA 1 went out */
	RRQ_OACK,   /* an OACK went out */
	WRQ,        /* ACK 0 went out */
	WRQ_OACK,   /* an OACK went out */
};

static struct psep_job make_job(enum job_kind kind, uint32_t blksize, uint8_t rollover)
{
	static const char oack[] = "\0\6blksize\0" "1428";
	struct psep_job job;

	memset(&job, 0, sizeof(job));
	job.transfer_id = 1;
	job.opcode = kind == WRQ || kind == WRQ_OACK ? TFTP_OP_WRQ : TFTP_OP_RRQ;
	job.mode = TFTP_MODE_OCTET;
	job.rollover = rollover;
	job.blksize = blksize;
	job.windowsize = 1;
	job.timeout_ms = 1000;
	job.rto_min_ms = 1;
	job.rto_max_ms = 60000;
	job.retries = 5;
	job.deadline_s = 300;
	job.initial_window = 1;
	job.first_sent_usec = 1;
	if (kind == RRQ_OACK || kind == WRQ_OACK) {
		memcpy(job.oack, oack, sizeof(oack));
		job.oack_len = sizeof(oack);
	}
	return job;
}

/* Classify the first len bytes of pkt, copied alone to the heap, as the
 * peek of a datagram of full_len bytes. */
static enum handshake_answer classify(const struct psep_job *job, bool first_is_last,
				      const uint8_t *pkt, size_t len, size_t full_len)
{
	uint8_t *peek = malloc(len ? len : 1);
	struct psep_job before = *job;
	enum handshake_answer a;

	ck_assert_ptr_nonnull(peek);
	memcpy(peek, pkt, len);
	a = handshake_classify(job, first_is_last, len ? peek : NULL, len, full_len);
	free(peek);
	ck_assert_mem_eq(job, &before, sizeof(before));
	return a;
}

/* A datagram as a literal: its bytes, and its length without the NUL. */
#define P(s) (const uint8_t *)(s), sizeof(s) - 1

/* The same job for the bytes the monitor would also have peeked whole. */
#define WHOLE -1

static const struct {
	const char *name;
	enum job_kind kind;
	uint32_t blksize;
	bool first_is_last;
	const uint8_t *pkt;
	size_t pkt_len;  /* the bytes in pkt */
	long peeked;     /* bytes of it peeked, WHOLE for all */
	size_t full_len; /* the datagram's length, 0 for pkt_len */
	enum handshake_answer want;
} rows[] = {
	/* A download without options: DATA 1 went out, ACK 1 answers. */
	{ "ACK 1 of a one-block file", RRQ, 512, true, P("\0\4\0\1"), WHOLE, 0, HS_DONE },
	{ "ACK 1 of a longer file", RRQ, 512, false, P("\0\4\0\1"), WHOLE, 0, HS_ANSWER },
	{ "ACK 0 without an OACK", RRQ, 512, false, P("\0\4\0\0"), WHOLE, 0, HS_IGNORE },
	{ "ACK 0 of a one-block file", RRQ, 512, true, P("\0\4\0\0"), WHOLE, 0, HS_IGNORE },
	{ "ACK 2", RRQ, 512, false, P("\0\4\0\2"), WHOLE, 0, HS_IGNORE },
	{ "ACK 2 of a one-block file", RRQ, 512, true, P("\0\4\0\2"), WHOLE, 0, HS_IGNORE },
	{ "ACK 256 (byte order)", RRQ, 512, true, P("\0\4\1\0"), WHOLE, 0, HS_IGNORE },
	{ "ACK 257", RRQ, 512, false, P("\0\4\1\1"), WHOLE, 0, HS_IGNORE },
	{ "ACK 65535", RRQ, 512, false, P("\0\4\377\377"), WHOLE, 0, HS_IGNORE },
	/* Padded ACKs are ACKs (tftp_pkt_parse_ack); the child takes them. */
	{ "padded ACK 1 of a one-block file", RRQ, 512, true, P("\0\4\0\1\0\0"), WHOLE, 0,
	  HS_DONE },
	{ "padded ACK 1", RRQ, 512, false, P("\0\4\0\1pad"), WHOLE, 0, HS_ANSWER },
	{ "DATA 1 to a download", RRQ, 512, false, P("\0\3\0\1x"), WHOLE, 0, HS_IGNORE },
	{ "ACK with high opcode byte", RRQ, 512, true, P("\1\4\0\1"), WHOLE, 0, HS_IGNORE },
	{ "ACK truncated to 3", RRQ, 512, true, P("\0\4\0"), WHOLE, 0, HS_IGNORE },
	{ "ACK peeked 3 of 4", RRQ, 512, true, P("\0\4\0\1"), 3, 0, HS_IGNORE },
	{ "ACK peeked 2 of 4", RRQ, 512, false, P("\0\4\0\1"), 2, 0, HS_IGNORE },
	{ "opcode only", RRQ, 512, false, P("\0\4"), WHOLE, 0, HS_IGNORE },
	{ "one byte", RRQ, 512, false, P("\0"), WHOLE, 0, HS_IGNORE },
	{ "empty datagram", RRQ, 512, true, P(""), WHOLE, 0, HS_IGNORE },
	{ "opcode 0", RRQ, 512, false, P("\0\0\0\1"), WHOLE, 0, HS_IGNORE },
	{ "opcode 7", RRQ, 512, false, P("\0\7\0\1"), WHOLE, 0, HS_IGNORE },
	{ "an OACK from the client", RRQ, 512, false, P("\0\6blksize\0" "8\0"), WHOLE, 0,
	  HS_IGNORE },
	{ "the RRQ again", RRQ, 512, true, P("\0\1f\0octet\0"), WHOLE, 0, HS_REQUEST },
	{ "an RRQ peeked 2 bytes", RRQ, 512, false, P("\0\1f\0octet\0"), 2, 0, HS_REQUEST },
	{ "a WRQ to a download", RRQ, 512, false, P("\0\2f\0octet\0"), WHOLE, 0, HS_IGNORE },
	{ "ERROR", RRQ, 512, true, P("\0\5\0\1no\0"), WHOLE, 0, HS_PEER_ERROR },
	{ "ERROR opcode only", RRQ, 512, false, P("\0\5"), WHOLE, 0, HS_PEER_ERROR },
	{ "ERROR peeked 4 of 600", RRQ, 512, false, P("\0\5\0\0"), 4, 600, HS_PEER_ERROR },

	/* A download with options: the OACK went out, ACK 0 answers. */
	{ "ACK 0 of the OACK", RRQ_OACK, 1428, false, P("\0\4\0\0"), WHOLE, 0, HS_ANSWER },
	{ "ACK 0 of the OACK, one block", RRQ_OACK, 1428, true, P("\0\4\0\0"), WHOLE, 0,
	  HS_ANSWER },
	{ "padded ACK 0 of the OACK", RRQ_OACK, 1428, true, P("\0\4\0\0\0"), WHOLE, 0,
	  HS_ANSWER },
	{ "ACK 1 after an OACK", RRQ_OACK, 1428, true, P("\0\4\0\1"), WHOLE, 0, HS_IGNORE },
	{ "ACK 1 after an OACK, more", RRQ_OACK, 1428, false, P("\0\4\0\1"), WHOLE, 0,
	  HS_IGNORE },
	{ "ACK 0 peeked 3", RRQ_OACK, 1428, false, P("\0\4\0\0"), 3, 0, HS_IGNORE },
	{ "ERROR 8 ends a size probe", RRQ_OACK, 1428, false, P("\0\5\0\10\0"), WHOLE, 0,
	  HS_PEER_ERROR },
	{ "the RRQ again after an OACK", RRQ_OACK, 1428, false,
	  P("\0\1f\0octet\0blksize\0" "1428\0"), WHOLE, 0, HS_REQUEST },

	/* An upload without options: ACK 0 went out, DATA 1 answers. */
	{ "DATA 1, a full block", WRQ, 512, false, P("\0\3\0\1"), WHOLE, 516, HS_ANSWER },
	{ "DATA 1, empty", WRQ, 512, false, P("\0\3\0\1"), WHOLE, 0, HS_ANSWER },
	{ "DATA 1 is never DONE", WRQ, 512, true, P("\0\3\0\1x"), WHOLE, 0, HS_ANSWER },
	{ "DATA 1, a byte too long", WRQ, 512, false, P("\0\3\0\1"), WHOLE, 517, HS_IGNORE },
	{ "DATA 1 peeked 4 of 300", WRQ, 512, false, P("\0\3\0\1"), 4, 300, HS_ANSWER },
	{ "DATA 1 peeked 3 of 516", WRQ, 512, false, P("\0\3\0\1"), 3, 516, HS_IGNORE },
	{ "DATA 0", WRQ, 512, false, P("\0\3\0\0x"), WHOLE, 0, HS_IGNORE },
	{ "DATA 2", WRQ, 512, false, P("\0\3\0\2x"), WHOLE, 0, HS_IGNORE },
	{ "DATA 256 (byte order)", WRQ, 512, false, P("\0\3\1\0x"), WHOLE, 0, HS_IGNORE },
	{ "DATA truncated to 3", WRQ, 512, false, P("\0\3\0"), WHOLE, 0, HS_IGNORE },
	{ "ACK 0 to an upload", WRQ, 512, false, P("\0\4\0\0"), WHOLE, 0, HS_IGNORE },
	{ "ACK 1 to an upload", WRQ, 512, true, P("\0\4\0\1"), WHOLE, 0, HS_IGNORE },
	{ "the WRQ again", WRQ, 512, false, P("\0\2up\0octet\0"), WHOLE, 0, HS_REQUEST },
	{ "an RRQ to an upload", WRQ, 512, false, P("\0\1up\0octet\0"), WHOLE, 0, HS_IGNORE },
	{ "ERROR to an upload", WRQ, 512, false, P("\0\5\0\3full\0"), WHOLE, 0, HS_PEER_ERROR },
	{ "garbage to an upload", WRQ, 512, false, P("\377\377\377\377"), WHOLE, 0, HS_IGNORE },
	{ "empty to an upload", WRQ, 512, false, P(""), WHOLE, 0, HS_IGNORE },

	/* An upload with options: the OACK went out, DATA 1 answers it in
	 * blocks of the size granted. */
	{ "DATA 1 of blksize 1428", WRQ_OACK, 1428, false, P("\0\3\0\1"), 4, 1432, HS_ANSWER },
	{ "DATA 1 over blksize 1428", WRQ_OACK, 1428, false, P("\0\3\0\1"), 4, 1433,
	  HS_IGNORE },
	{ "DATA 1 of blksize 8", WRQ_OACK, 8, false, P("\0\3\0\1" "12345678"), WHOLE, 0,
	  HS_ANSWER },
	{ "DATA 1 over blksize 8", WRQ_OACK, 8, false, P("\0\3\0\1" "123456789"), WHOLE, 0,
	  HS_IGNORE },
	{ "DATA 1 of blksize 65464", WRQ_OACK, 65464, false, P("\0\3\0\1"), 4, 65468,
	  HS_ANSWER },
	{ "ACK 0 to an upload's OACK", WRQ_OACK, 1428, false, P("\0\4\0\0"), WHOLE, 0,
	  HS_IGNORE },
};

/* The first block is block 1 with rollover to 0 or to 1 alike. */
START_TEST(test_classify)
{
	size_t len = rows[_i].peeked == WHOLE ? rows[_i].pkt_len : (size_t)rows[_i].peeked;
	size_t full = rows[_i].full_len ? rows[_i].full_len : rows[_i].pkt_len;

	for (uint8_t rollover = 0; rollover <= 1; rollover++) {
		struct psep_job job = make_job(rows[_i].kind, rows[_i].blksize, rollover);
		enum handshake_answer got =
			classify(&job, rows[_i].first_is_last, rows[_i].pkt, len, full);

		ck_assert_msg(got == rows[_i].want, "%s (rollover %u): got %d, want %d",
			      rows[_i].name, rollover, (int)got, (int)rows[_i].want);
	}
}
END_TEST

/* What each kind of job takes for its request and for the answer to its
 * first packet, from handshake.h: ACK 1 of DATA 1 (HS_DONE when DATA 1 was
 * the whole file), ACK 0 of an OACK, DATA 1 of ACK 0 or of an OACK. */
static const struct {
	unsigned request, answer_op, answer_block;
	enum handshake_answer answer[2]; /* by first_is_last */
} takes[] = {
	[RRQ] = { TFTP_OP_RRQ, TFTP_OP_ACK, 1, { HS_ANSWER, HS_DONE } },
	[RRQ_OACK] = { TFTP_OP_RRQ, TFTP_OP_ACK, 0, { HS_ANSWER, HS_ANSWER } },
	[WRQ] = { TFTP_OP_WRQ, TFTP_OP_DATA, 1, { HS_ANSWER, HS_ANSWER } },
	[WRQ_OACK] = { TFTP_OP_WRQ, TFTP_OP_DATA, 1, { HS_ANSWER, HS_ANSWER } },
};

/*
 * Every short datagram of every opcode, block 0..2, in each kind of job:
 * DONE only for ACK 1 of a file that fit in DATA 1, sent without an OACK;
 * ANSWER only for the one answer each job expects.
 */
START_TEST(test_classify_all_short)
{
	enum { OPS = 8, BLOCKS = 3, LENS = 7 };
	uint8_t pkt[LENS - 1] = { 0 };

	for (unsigned c = 0; c < ARRAY_SIZE(takes) * 2 * OPS * BLOCKS * LENS; c++) {
		enum job_kind kind = c % 4;
		unsigned last = c / 4 % 2, op = c / 8 % OPS, block = c / (8 * OPS) % BLOCKS;
		size_t len = c / (8 * OPS * BLOCKS);
		struct psep_job job = make_job(kind, 512, 0);
		enum handshake_answer got, want = HS_IGNORE;

		pkt[1] = (uint8_t)op;
		pkt[3] = (uint8_t)block;
		if (len >= 2 && op == takes[kind].request)
			want = HS_REQUEST;
		else if (len >= 2 && op == TFTP_OP_ERROR)
			want = HS_PEER_ERROR;
		else if (len >= 4 && op == takes[kind].answer_op && block == takes[kind].answer_block)
			want = takes[kind].answer[last];
		got = classify(&job, last, pkt, len, len);
		ck_assert_msg(got == want, "kind %d last %u op %u block %u len %zu: %d, want %d",
			      (int)kind, last, op, block, len, (int)got, (int)want);
	}
}
END_TEST

/* ---- the resend schedule ---- */

static const struct {
	const char *name;
	enum job_kind kind;
	uint32_t timeout_ms, retries;
	/* After each send: how long until the next step, and whether that
	 * step gives up. */
	unsigned steps;
	uint64_t after[4];
} schedules[] = {
	/* Sent at 0, 1 s and 3 s; given up at 7 s. */
	{ "DATA 1, 1 s", RRQ, 1000, 5, 3, { 1 * SEC, 2 * SEC, 4 * SEC } },
	{ "ACK 0, 1 s", WRQ, 1000, 5, 3, { 1 * SEC, 2 * SEC, 4 * SEC } },
	{ "DATA 1, 2.5 s", RRQ, 2500, 255, 3, { 2500000, 5 * SEC, 10 * SEC } },
	{ "DATA 1, 1 ms", RRQ, 1, 2, 3, { 1000, 2000, 4000 } },
	/* The largest timeout: 255 s, 510 s, 1020 s, no overflow. */
	{ "ACK 0, 255 s", WRQ, 255000, 3, 3, { 255 * SEC, 510 * SEC, 1020 * SEC } },
	/* No more resends than the job allows. */
	{ "DATA 1, one retry", RRQ, 1000, 1, 2, { 1 * SEC, 2 * SEC } },
	/* An OACK once, 7 s late, whatever the timeout and retries; given
	 * up as long after that. */
	{ "OACK of a download", RRQ_OACK, 1000, 5, 2, { OACK_RESEND_US, OACK_RESEND_US } },
	{ "OACK of an upload", WRQ_OACK, 1000, 5, 2, { OACK_RESEND_US, OACK_RESEND_US } },
	{ "OACK, 50 s timeout", RRQ_OACK, 50000, 255, 2, { OACK_RESEND_US, OACK_RESEND_US } },
	{ "OACK, one retry", WRQ_OACK, 1, 1, 2, { OACK_RESEND_US, OACK_RESEND_US } },
};

START_TEST(test_schedule)
{
	struct psep_job job = make_job(schedules[_i].kind, 512, 0);
	unsigned sends;

	job.timeout_ms = schedules[_i].timeout_ms;
	job.retries = schedules[_i].retries;
	for (sends = 1; sends <= schedules[_i].steps; sends++) {
		bool give_up = !(sends == schedules[_i].steps);
		uint64_t after = handshake_next(&job, sends, &give_up);

		ck_assert_msg(after == schedules[_i].after[sends - 1], "%s: send %u: %llu us",
			      schedules[_i].name, sends, (unsigned long long)after);
		/* give_up is set either way, never left as it was. */
		ck_assert_msg(give_up == (sends == schedules[_i].steps), "%s: send %u: give_up %d",
			      schedules[_i].name, sends, give_up);
	}
}
END_TEST

/* Run the monitor's loop: send, wait, resend until given up. The first
 * packet goes out (steps) times and the wait ends when the table says. */
START_TEST(test_schedule_total)
{
	static const struct {
		enum job_kind kind;
		uint32_t timeout_ms, retries;
		unsigned sends;
		uint64_t give_up_at;
	} t[] = {
		{ RRQ, 1000, 5, 3, 7 * SEC },
		{ WRQ, 3000, 2, 3, 21 * SEC },
		{ RRQ, 1000, 1, 2, 3 * SEC },
		{ RRQ_OACK, 1000, 5, 2, 2 * OACK_RESEND_US },
		{ WRQ_OACK, 255000, 255, 2, 2 * OACK_RESEND_US },
	};

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		struct psep_job job = make_job(t[i].kind, 512, 0);
		uint64_t now = 0;
		unsigned sends = 1;
		bool give_up = false;

		job.timeout_ms = t[i].timeout_ms;
		job.retries = t[i].retries;
		for (;;) {
			now += handshake_next(&job, sends, &give_up);
			if (give_up)
				break;
			sends++;
			ck_assert_uint_le(sends, 10);
		}
		ck_assert_uint_eq(sends, t[i].sends);
		ck_assert_uint_eq(now, t[i].give_up_at);
	}
}
END_TEST

static Suite *handshake_suite(void)
{
	Suite *s = suite_create("handshake");
	TCase *tc;

	tc = tcase_create("classify");
	tcase_add_loop_test(tc, test_classify, 0, (int)ARRAY_SIZE(rows));
	tcase_add_test(tc, test_classify_all_short);
	suite_add_tcase(s, tc);

	tc = tcase_create("resend");
	tcase_add_loop_test(tc, test_schedule, 0, (int)ARRAY_SIZE(schedules));
	tcase_add_test(tc, test_schedule_total);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(handshake_suite());
	int number_failed;

	srunner_run_all(sr, CK_ENV);
	number_failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return number_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
