/*
 * check-transfer.c - the transfer state machine against a scripted client.
 *
 * The fake I/O answers each packet the server sends according to a policy
 * (acknowledge, lose, duplicate, fail), and its clock jumps to the deadline
 * whenever the server waits with nothing queued, so timeouts cost nothing.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tftp-packet.h"
#include "transfer.h"

#define QUEUE_MAX 8

enum policy {
	ACK_ALL,          /* acknowledge every DATA (and ACK 0 for an OACK) */
	ACK_TWICE,        /* acknowledge everything twice: duplicate ACKs */
	LOSE_FIRST,       /* lose the first `lose` packets, then ACK_ALL */
	SILENT,           /* never answer */
	ERROR_ON_OACK,    /* answer the OACK with ERROR `error_code` */
	ERROR_MIDWAY,     /* ERROR 0 after block 3 */
	RESEND_REQUEST,   /* answer the first packet with the request again */
	STALE_ACKS,       /* before each real ACK, an ACK for an older block */
};

struct fake {
	enum policy policy;
	unsigned lose;
	uint16_t error_code;
	uint64_t now;
	const uint8_t *file;
	size_t file_len;
	unsigned sends;        /* datagrams the server sent */
	unsigned data_sends;   /* of which DATA */
	uint64_t received;     /* payload bytes of new blocks */
	uint16_t expect_block; /* next block the client wants */
	uint16_t rollover;
	unsigned wraps;
	int corrupt;           /* a block arrived with wrong data */
	uint8_t queue[QUEUE_MAX][64];
	size_t queue_len[QUEUE_MAX];
	unsigned head, tail;
};

static void enqueue(struct fake *f, const uint8_t *pkt, size_t len)
{
	ck_assert_uint_lt(f->tail - f->head, QUEUE_MAX);
	memcpy(f->queue[f->tail % QUEUE_MAX], pkt, len);
	f->queue_len[f->tail % QUEUE_MAX] = len;
	f->tail++;
}

static void enqueue_ack(struct fake *f, uint16_t block)
{
	uint8_t pkt[4];

	tftp_pkt_build_ack(pkt, sizeof(pkt), block);
	enqueue(f, pkt, sizeof(pkt));
}

/* What a correct client does with a DATA packet: check and acknowledge. */
static uint16_t client_takes_data(struct fake *f, const uint8_t *buf, size_t len)
{
	uint16_t block = (uint16_t)(buf[2] << 8 | buf[3]);
	size_t n = len - 4;

	if (block == f->expect_block) {
		if (f->received + n > f->file_len ||
		    memcmp(buf + 4, f->file + f->received, n) != 0)
			f->corrupt = 1;
		f->received += n;
		if (block == 65535)
			f->wraps++;
		f->expect_block = block == 65535 ? f->rollover : (uint16_t)(block + 1);
	}
	return block;
}

static int fake_send(void *ctx, const uint8_t *buf, size_t len)
{
	struct fake *f = ctx;
	int op = tftp_pkt_opcode(buf, len);
	uint16_t block = 0;

	f->sends++;
	if (op == TFTP_OP_DATA) {
		f->data_sends++;
		block = client_takes_data(f, buf, len);
	}
	if (op == TFTP_OP_ERROR)
		return 0;
	switch (f->policy) {
	case LOSE_FIRST:
		if (f->lose > 0) {
			f->lose--;
			return 0;
		}
		/* fall through */
	case ACK_ALL:
		enqueue_ack(f, block);
		break;
	case ACK_TWICE:
		enqueue_ack(f, block);
		enqueue_ack(f, block);
		break;
	case STALE_ACKS:
		enqueue_ack(f, (uint16_t)(block - 1));
		enqueue_ack(f, block);
		break;
	case SILENT:
		break;
	case ERROR_ON_OACK: {
		uint8_t pkt[64];
		int n = tftp_pkt_build_error(pkt, sizeof(pkt), f->error_code, "no thanks");

		if (op == TFTP_OP_OACK)
			enqueue(f, pkt, (size_t)n);
		else
			enqueue_ack(f, block);
		break;
	}
	case ERROR_MIDWAY: {
		uint8_t pkt[64];
		int n = tftp_pkt_build_error(pkt, sizeof(pkt), 0, "cancelled\x01");

		if (block == 3)
			enqueue(f, pkt, (size_t)n);
		else
			enqueue_ack(f, block);
		break;
	}
	case RESEND_REQUEST:
		if (f->sends == 1) {
			static const uint8_t rrq[] = "\0\1file\0octet";

			enqueue(f, rrq, sizeof(rrq));
		} else {
			enqueue_ack(f, block);
		}
		break;
	}
	return 0;
}

static ssize_t fake_recv(void *ctx, uint8_t *buf, size_t size, uint64_t deadline_us)
{
	struct fake *f = ctx;
	size_t len;

	if (f->head == f->tail) {
		if (deadline_us > f->now)
			f->now = deadline_us;
		return -ETIMEDOUT;
	}
	len = f->queue_len[f->head % QUEUE_MAX];
	if (len > size)
		len = size;
	memcpy(buf, f->queue[f->head % QUEUE_MAX], len);
	f->head++;
	f->now += 10; /* a round trip of 10 µs */
	return (ssize_t)len;
}

static ssize_t fake_read(void *ctx, uint8_t *buf, size_t len, uint64_t off)
{
	struct fake *f = ctx;

	if (off >= f->file_len)
		return 0;
	if (len > f->file_len - off)
		len = f->file_len - off;
	memcpy(buf, f->file + off, len);
	return (ssize_t)len;
}

static uint64_t fake_now(void *ctx)
{
	return ((struct fake *)ctx)->now;
}

static uint8_t *make_file(size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	ck_assert_ptr_nonnull(p);
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + (i >> 9));
	return p;
}

static void make_job(struct psep_job *job, uint32_t blksize)
{
	memset(job, 0, sizeof(*job));
	job->transfer_id = 42;
	job->opcode = TFTP_OP_RRQ;
	job->mode = TFTP_MODE_OCTET;
	job->blksize = blksize;
	job->windowsize = 1;
	job->timeout_ms = 1000;
	job->rto_min_ms = 1000;
	job->rto_max_ms = 1000;
	job->retries = 6;
	job->deadline_s = 3600;
}

static void run(struct fake *f, const struct psep_job *job, size_t file_len,
		struct psep_result *res)
{
	struct transfer_io io = {
		.ctx = f, .send = fake_send, .recv = fake_recv, .read = fake_read, .now_us = fake_now,
	};
	size_t size = transfer_buffer_size(job);
	uint8_t *buf = malloc(size);
	uint8_t *file = make_file(file_len);

	f->file = file;
	f->file_len = file_len;
	f->expect_block = 1;
	f->rollover = job->rollover;
	ck_assert_int_eq(transfer_run(job, &io, buf, size, res), 0);
	free(buf);
	free(file);
	f->file = NULL;
}

/* File sizes around the block size: the last block is short, maybe empty. */
static const size_t sizes[] = { 0, 1, 511, 512, 513, 1024, 5000 };

START_TEST(test_sizes)
{
	struct fake f = { .policy = ACK_ALL };
	struct psep_job job;
	struct psep_result res;
	size_t len = sizes[_i];

	make_job(&job, 512);
	run(&f, &job, len, &res);
	ck_assert_uint_eq(res.status, PSEP_OK);
	ck_assert_uint_eq(res.bytes, len);
	ck_assert_uint_eq(res.blocks, len / 512 + 1);
	ck_assert_uint_eq(f.received, len);
	ck_assert_int_eq(f.corrupt, 0);
	ck_assert_uint_eq(res.retransmits, 0);
	ck_assert_uint_eq(f.sends, len / 512 + 1);
	ck_assert_uint_eq(res.transfer_id, 42);
}
END_TEST

START_TEST(test_lost_data_resent)
{
	struct fake f = { .policy = LOSE_FIRST, .lose = 3 };
	struct psep_job job;
	struct psep_result res;

	make_job(&job, 512);
	run(&f, &job, 2000, &res);
	ck_assert_uint_eq(res.status, PSEP_OK);
	ck_assert_uint_eq(res.retransmits, 3);
	ck_assert_uint_eq(f.sends, 4 + 3);
	ck_assert_uint_eq(f.received, 2000);
	ck_assert_int_eq(f.corrupt, 0);
}
END_TEST

/* RFC 1123 4.2.3.1: a duplicate ACK must not trigger a resend. */
START_TEST(test_duplicate_acks_no_sorcerer)
{
	struct fake f = { .policy = ACK_TWICE };
	struct psep_job job;
	struct psep_result res;

	make_job(&job, 512);
	run(&f, &job, 100 * 512 + 1, &res);
	ck_assert_uint_eq(res.status, PSEP_OK);
	ck_assert_uint_eq(f.data_sends, 101);
	ck_assert_uint_eq(res.retransmits, 0);
}
END_TEST

START_TEST(test_stale_acks_ignored)
{
	struct fake f = { .policy = STALE_ACKS };
	struct psep_job job;
	struct psep_result res;

	make_job(&job, 512);
	run(&f, &job, 10 * 512, &res);
	ck_assert_uint_eq(res.status, PSEP_OK);
	ck_assert_uint_eq(f.data_sends, 11);
	ck_assert_int_eq(f.corrupt, 0);
}
END_TEST

START_TEST(test_silent_client_times_out)
{
	struct fake f = { .policy = SILENT };
	struct psep_job job;
	struct psep_result res;

	make_job(&job, 512);
	job.retries = 4;
	run(&f, &job, 5000, &res);
	ck_assert_uint_eq(res.status, PSEP_TIMEOUT);
	/* The first packet and 4 resends: no more, whoever asked. */
	ck_assert_uint_eq(f.sends, 5);
	ck_assert_uint_eq(res.retransmits, 4);
	ck_assert_uint_eq(res.bytes, 0);
	ck_assert_uint_eq(res.duration_usec, 5 * 1000000ULL);
}
END_TEST

START_TEST(test_deadline)
{
	struct fake f = { .policy = SILENT };
	struct psep_job job;
	struct psep_result res;

	make_job(&job, 512);
	job.retries = 255;
	job.deadline_s = 3;
	run(&f, &job, 5000, &res);
	ck_assert_uint_eq(res.status, PSEP_DEADLINE);
	ck_assert_uint_eq(res.duration_usec, 3 * 1000000ULL);
}
END_TEST

/* More than 131072 blocks: the block number wraps twice. */
START_TEST(test_rollover_twice)
{
	struct fake f = { .policy = ACK_ALL };
	struct psep_job job;
	struct psep_result res;
	size_t len = 8 * 140000 + 3;

	make_job(&job, 8);
	job.rollover = (uint8_t)_i;
	run(&f, &job, len, &res);
	ck_assert_uint_eq(res.status, PSEP_OK);
	ck_assert_uint_eq(res.bytes, len);
	ck_assert_uint_eq(res.blocks, 140001);
	ck_assert_uint_eq(f.wraps, 2);
	ck_assert_uint_eq(f.received, len);
	ck_assert_int_eq(f.corrupt, 0);
}
END_TEST

START_TEST(test_client_error_midway)
{
	struct fake f = { .policy = ERROR_MIDWAY };
	struct psep_job job;
	struct psep_result res;

	make_job(&job, 512);
	run(&f, &job, 10 * 512, &res);
	ck_assert_uint_eq(res.status, PSEP_PEER_ERROR);
	ck_assert_uint_eq(res.peer_error, 0);
	/* Control characters from the client never reach the report. */
	ck_assert_str_eq(res.peer_message, "cancelled?");
	ck_assert_uint_eq(f.data_sends, 3);
	ck_assert_uint_eq(res.bytes, 2 * 512);
}
END_TEST

static void oack_job(struct psep_job *job)
{
	static const char oack[] = "\0\6tsize\0" "5000";

	make_job(job, 512);
	memcpy(job->oack, oack, sizeof(oack));
	job->oack_len = sizeof(oack);
}

/* RFC 2347: after an OACK the client answers ACK 0, then DATA 1 follows. */
START_TEST(test_oack_then_data)
{
	struct fake f = { .policy = ACK_ALL };
	struct psep_job job;
	struct psep_result res;

	oack_job(&job);
	run(&f, &job, 5000, &res);
	ck_assert_uint_eq(res.status, PSEP_OK);
	ck_assert_uint_eq(f.sends, 1 + 10);
	ck_assert_uint_eq(f.received, 5000);
}
END_TEST

/* The UEFI size probe: ERROR 8 after the OACK, logged as a probe, with no
 * resend of anything. */
START_TEST(test_probe_after_oack)
{
	struct fake f = { .policy = ERROR_ON_OACK, .error_code = TFTP_ERR_OPTNEG };
	struct psep_job job;
	struct psep_result res;

	oack_job(&job);
	run(&f, &job, 5000, &res);
	ck_assert_uint_eq(res.status, PSEP_PROBE);
	ck_assert_uint_eq(res.peer_error, 8);
	ck_assert_uint_eq(f.sends, 1);
	ck_assert_uint_eq(res.retransmits, 0);
}
END_TEST

START_TEST(test_other_error_after_oack)
{
	struct fake f = { .policy = ERROR_ON_OACK, .error_code = TFTP_ERR_ACCESS };
	struct psep_job job;
	struct psep_result res;

	oack_job(&job);
	run(&f, &job, 5000, &res);
	ck_assert_uint_eq(res.status, PSEP_PEER_ERROR);
	ck_assert_uint_eq(res.peer_error, 2);
}
END_TEST

/* The client's request came again before anything was acknowledged: the
 * first packet is answered once more, at once. */
START_TEST(test_resent_request_answered)
{
	struct fake f = { .policy = RESEND_REQUEST };
	struct psep_job job;
	struct psep_result res;

	make_job(&job, 512);
	run(&f, &job, 1000, &res);
	ck_assert_uint_eq(res.status, PSEP_OK);
	ck_assert_uint_eq(res.retransmits, 1);
	ck_assert_uint_eq(f.received, 1000);
	/* No timer ran out: the resend answered the request immediately. */
	ck_assert_uint_lt(res.duration_usec, 1000000);
}
END_TEST

START_TEST(test_refuses_bad_job)
{
	struct fake f = { .policy = ACK_ALL };
	struct transfer_io io = {
		.ctx = &f, .send = fake_send, .recv = fake_recv, .read = fake_read, .now_us = fake_now,
	};
	struct psep_job job;
	struct psep_result res;
	uint8_t buf[16];

	make_job(&job, 512);
	/* A buffer too small for the block size is refused, not overrun. */
	ck_assert_int_eq(transfer_run(&job, &io, buf, sizeof(buf), &res), -EINVAL);
	ck_assert_uint_eq(res.status, PSEP_INTERNAL);
	ck_assert_uint_eq(f.sends, 0);
}
END_TEST

static Suite *transfer_suite(void)
{
	Suite *s = suite_create("transfer");
	TCase *tc = tcase_create("rrq");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_sizes, 0, sizeof(sizes) / sizeof(sizes[0]));
	tcase_add_test(tc, test_lost_data_resent);
	tcase_add_test(tc, test_duplicate_acks_no_sorcerer);
	tcase_add_test(tc, test_stale_acks_ignored);
	tcase_add_test(tc, test_silent_client_times_out);
	tcase_add_test(tc, test_deadline);
	tcase_add_loop_test(tc, test_rollover_twice, 0, 2);
	tcase_add_test(tc, test_client_error_midway);
	tcase_add_test(tc, test_oack_then_data);
	tcase_add_test(tc, test_probe_after_oack);
	tcase_add_test(tc, test_other_error_after_oack);
	tcase_add_test(tc, test_resent_request_answered);
	tcase_add_test(tc, test_refuses_bad_job);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(transfer_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
