/*
 * check-transfer.c - the transfer state machine against a scripted client.
 *
 * The fake I/O plays the client: it answers each packet the server sends
 * according to a policy (acknowledge, lose, duplicate, fail, send data),
 * and its clock jumps to the deadline whenever the server waits with
 * nothing queued, so timeouts cost nothing. Every datagram the server
 * sends is counted.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "netascii.h"
#include "tftp-packet.h"
#include "transfer.h"

#define QUEUE_MAX 1024
#define PKT_MAX 1100

enum policy {
	ACK_ALL,        /* acknowledge every DATA (and ACK 0 for an OACK) */
	ACK_WINDOW,     /* RFC 7440 client: ACK at the end of each window */
	ACK_TWICE,      /* acknowledge everything twice: duplicate ACKs */
	LOSE_FIRST,     /* lose the first `lose` packets, then ACK_ALL */
	LOSE_BLOCK,     /* lose block `lose_block` once; ACK_WINDOW client */
	SILENT,         /* never answer */
	ERROR_ON_OACK,  /* answer the OACK with ERROR `error_code` */
	ERROR_MIDWAY,   /* ERROR 0 after block 3 */
	RESEND_REQUEST, /* answer the first packet with the request again */
	STALE_ACKS,     /* before each real ACK, an ACK for an older block */
	ATFTP,          /* ACK_WINDOW, but for blocks out of order only one
	                 * extra ACK until an in-order block or its timer */
	UPLOADER,       /* WRQ client: send a window of DATA after each ACK */
};

struct fake {
	enum policy policy;
	unsigned lose;
	uint64_t lose_block;
	uint16_t error_code;
	uint32_t window;       /* the client's window (ACK_WINDOW, UPLOADER) */
	uint32_t blksize;
	uint8_t rollover;
	uint64_t now;
	/* RRQ: the file and what the client received */
	const uint8_t *file;
	size_t file_len;
	uint8_t *got;          /* the client's copy */
	uint64_t received;
	uint64_t expect;       /* next block index the client wants */
	uint16_t expect_wire;
	uint64_t in_window;
	int corrupt;
	/* counters */
	unsigned sends, data_sends, batches, error_sends;
	unsigned sends_before_first_answer;
	int answered;
	/* WRQ: what the client uploads and what the server wrote */
	const uint8_t *upload;
	size_t upload_len;
	uint8_t *written;
	size_t written_len;
	int synced;
	int wrq_fail_write;    /* -errno to return from write */
	unsigned upload_sent_blocks;
	int reported;
	int commit_error;      /* the monitor's answer to a finished upload */
	unsigned stop_after;   /* answer only this many DATA packets, then none */
	unsigned drop_from;    /* lose DATA sends number drop_from.. (1-based) */
	unsigned drop_count;   /* ..for this many sends */
	uint64_t client_timer_us; /* the client's own timer: 0 = none; restarted
	                           * by every packet it gets (as atftp does) */
	uint64_t last_rx_us;   /* when the client last got a packet */
	int extra_ack_sent;    /* ATFTP: out-of-order blocks answered once */
	unsigned acks;         /* ACKs the client sent (lost ones included) */
	unsigned ack_drop_from; /* lose ACKs number ack_drop_from.. (1-based) */
	unsigned ack_drop_count; /* ..for this many */
	int final_acked;       /* UPLOADER: the ACK of the last block arrived */
	struct psep_result report;
	/* the client's packets, waiting to be received by the server */
	uint8_t (*queue)[PKT_MAX];
	size_t queue_len[QUEUE_MAX];
	unsigned head, tail;
};

static uint16_t wire(const struct fake *f, uint64_t index)
{
	if (index == 0)
		return 0;
	if (f->rollover == 1)
		return (uint16_t)((index - 1) % 65535 + 1);
	return (uint16_t)index;
}

static void enqueue(struct fake *f, const uint8_t *pkt, size_t len)
{
	ck_assert_uint_lt(f->tail - f->head, QUEUE_MAX);
	ck_assert_uint_le(len, PKT_MAX);
	memcpy(f->queue[f->tail % QUEUE_MAX], pkt, len);
	f->queue_len[f->tail % QUEUE_MAX] = len;
	f->tail++;
}

static void enqueue_ack(struct fake *f, uint16_t block)
{
	uint8_t pkt[4];

	f->acks++;
	if (f->acks >= f->ack_drop_from && f->acks < f->ack_drop_from + f->ack_drop_count)
		return;

	tftp_pkt_build_ack(pkt, sizeof(pkt), block);
	enqueue(f, pkt, sizeof(pkt));
}

static void enqueue_error(struct fake *f, uint16_t code, const char *text)
{
	uint8_t pkt[64];
	int n = tftp_pkt_build_error(pkt, sizeof(pkt), code, text);

	enqueue(f, pkt, (size_t)n);
}

/* UPLOADER: send blocks from `from` (index), a window of them. */
static void upload_window(struct fake *f, uint64_t from)
{
	for (uint32_t k = 0; k < f->window; k++) {
		uint64_t idx = from + k;
		uint64_t off = (idx - 1) * f->blksize;
		size_t n;
		uint8_t pkt[PKT_MAX];

		if (off > f->upload_len)
			return;
		n = f->upload_len - off < f->blksize ? f->upload_len - off : f->blksize;
		tftp_pkt_put_data_header(pkt, 4, wire(f, idx));
		memcpy(pkt + 4, f->upload + off, n);
		enqueue(f, pkt, n + 4);
		f->upload_sent_blocks++;
		if (n < f->blksize)
			return;
	}
}

/* What a correct client does with a DATA packet: keep it if it is the one
 * it waits for. Returns 1 if it was in order. */
static int client_takes_data(struct fake *f, const uint8_t *buf, size_t len)
{
	uint16_t block = (uint16_t)(buf[2] << 8 | buf[3]);
	size_t n = len - 4;

	if (block != wire(f, f->expect))
		return 0;
	if (f->received + n > f->file_len + f->file_len / 2 + 8)
		f->corrupt = 1;
	else
		memcpy(f->got + f->received, buf + 4, n);
	f->received += n;
	f->expect++;
	return 1;
}

static void answer_data(struct fake *f, const uint8_t *buf, size_t len)
{
	uint16_t block = (uint16_t)(buf[2] << 8 | buf[3]);
	int in_order, last = len - 4 < f->blksize;

	if (f->stop_after > 0 && f->data_sends > f->stop_after)
		return;

	switch (f->policy) {
	case LOSE_FIRST:
		if (f->lose > 0) {
			f->lose--;
			return;
		}
		break;
	case LOSE_BLOCK:
		if (f->lose > 0 && block == wire(f, f->lose_block)) {
			f->lose--;
			/* RFC 7440: the client acknowledges what it has. */
			enqueue_ack(f, wire(f, f->expect - 1));
			f->in_window = 0;
			return;
		}
		break;
	default:
		break;
	}
	in_order = client_takes_data(f, buf, len);
	switch (f->policy) {
	case ACK_WINDOW:
	case LOSE_BLOCK:
		if (in_order && (++f->in_window == f->window || last)) {
			enqueue_ack(f, wire(f, f->expect - 1));
			f->in_window = 0;
		}
		break;
	case ATFTP:
		if (!in_order) {
			if (!f->extra_ack_sent)
				enqueue_ack(f, wire(f, f->expect - 1));
			f->extra_ack_sent = 1;
		} else {
			f->extra_ack_sent = 0;
			if (++f->in_window == f->window || last) {
				enqueue_ack(f, wire(f, f->expect - 1));
				f->in_window = 0;
			}
		}
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
	case ERROR_MIDWAY:
		if (block == 3)
			enqueue_error(f, 0, "cancelled\x01");
		else
			enqueue_ack(f, block);
		break;
	case RESEND_REQUEST:
		if (f->sends == 1) {
			static const uint8_t rrq[] = "\0\1file\0octet";

			enqueue(f, rrq, sizeof(rrq));
			return;
		}
		enqueue_ack(f, block);
		break;
	default:
		enqueue_ack(f, block);
		break;
	}
}

static int fake_send(void *ctx, const uint8_t *buf, size_t len)
{
	struct fake *f = ctx;
	int op = tftp_pkt_opcode(buf, len);

	f->sends++;
	if (!f->answered)
		f->sends_before_first_answer++;
	if (op == TFTP_OP_ERROR) {
		f->error_sends++;
		return 0;
	}
	if (op == TFTP_OP_DATA) {
		f->data_sends++;
		if (f->data_sends >= f->drop_from && f->data_sends < f->drop_from + f->drop_count)
			return 0;
		f->last_rx_us = f->now;
		answer_data(f, buf, len);
		return 0;
	}
	if (op == TFTP_OP_OACK) {
		if (f->policy == SILENT)
			return 0;
		if (f->policy == ERROR_ON_OACK)
			enqueue_error(f, f->error_code, "no thanks");
		else if (f->policy == UPLOADER)
			upload_window(f, 1);
		else
			enqueue_ack(f, 0);
		return 0;
	}
	if (op == TFTP_OP_ACK && f->policy == UPLOADER) {
		uint16_t block = (uint16_t)(buf[2] << 8 | buf[3]);
		uint64_t idx = 0;

		if (block == wire(f, f->upload_len / f->blksize + 1))
			f->final_acked = 1;

		/* The ACK names the last block the server has, in its window. */
		for (uint64_t i = f->upload_sent_blocks + 1; i-- > 0;)
			if (wire(f, i) == block) {
				idx = i;
				break;
			}
		if ((idx) * f->blksize <= f->upload_len)
			upload_window(f, idx + 1);
	}
	return 0;
}

static int fake_send_batch(void *ctx, const uint8_t *buf, size_t len, size_t seg)
{
	struct fake *f = ctx;

	f->batches++;
	while (len > 0) {
		size_t n = len < seg ? len : seg;

		fake_send(ctx, buf, n);
		buf += n;
		len -= n;
	}
	return 0;
}

static ssize_t fake_recv(void *ctx, uint8_t *buf, size_t size, uint64_t deadline_us)
{
	struct fake *f = ctx;
	size_t len;

	if (f->head == f->tail && f->client_timer_us != 0 && f->last_rx_us != 0 &&
	    f->last_rx_us + f->client_timer_us <= deadline_us) {
		/* The client's timer runs out first: it says where it is. */
		f->now = f->last_rx_us + f->client_timer_us;
		f->last_rx_us = f->now;
		f->extra_ack_sent = 0;
		f->in_window = 0;
		enqueue_ack(f, wire(f, f->expect - 1));
	}
	if (f->head == f->tail) {
		if (deadline_us > f->now)
			f->now = deadline_us;
		return -ETIMEDOUT;
	}
	f->answered = 1;
	len = f->queue_len[f->head % QUEUE_MAX];
	if (len > size)
		len = size;
	memcpy(buf, f->queue[f->head % QUEUE_MAX], len);
	f->head++;
	f->now += 10; /* a round trip of 10 µs */
	return (ssize_t)len;
}

static ssize_t fake_readv(void *ctx, const struct iovec *iov, int iovcnt, uint64_t off)
{
	struct fake *f = ctx;
	size_t done = 0;

	for (int i = 0; i < iovcnt; i++) {
		size_t n = iov[i].iov_len;

		if (off + done >= f->file_len)
			break;
		if (n > f->file_len - (off + done))
			n = f->file_len - (off + done);
		memcpy(iov[i].iov_base, f->file + off + done, n);
		done += n;
		if (n < iov[i].iov_len)
			break;
	}
	return (ssize_t)done;
}

static int fake_write(void *ctx, const uint8_t *buf, size_t len, uint64_t off)
{
	struct fake *f = ctx;

	if (f->wrq_fail_write)
		return f->wrq_fail_write;
	ck_assert_uint_le(off + len, f->upload_len * 2 + 16);
	memcpy(f->written + off, buf, len);
	if (off + len > f->written_len)
		f->written_len = off + len;
	return 0;
}

static int fake_sync(void *ctx)
{
	((struct fake *)ctx)->synced++;
	return 0;
}

static uint64_t fake_now(void *ctx)
{
	return ((struct fake *)ctx)->now;
}

static int fake_report(void *ctx, const struct psep_result *res)
{
	struct fake *f = ctx;

	f->reported++;
	f->report = *res;
	return f->commit_error;
}

static uint8_t *make_file(size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	ck_assert_ptr_nonnull(p);
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + (i >> 9));
	return p;
}

static void make_job(struct psep_job *job, uint8_t opcode, uint32_t blksize, uint32_t window)
{
	memset(job, 0, sizeof(*job));
	job->transfer_id = 42;
	job->opcode = opcode;
	job->mode = TFTP_MODE_OCTET;
	job->blksize = blksize;
	job->windowsize = window;
	job->timeout_ms = 1000;
	job->rto_min_ms = 1000;
	job->rto_max_ms = 1000;
	job->retries = 6;
	job->deadline_s = 3600;
}

static void fake_init(struct fake *f, const struct psep_job *job)
{
	f->queue = malloc(sizeof(*f->queue) * QUEUE_MAX);
	ck_assert_ptr_nonnull(f->queue);
	f->blksize = job->blksize;
	f->rollover = job->rollover;
	f->expect = 1;
	if (f->window == 0)
		f->window = job->windowsize;
}

static void run(struct fake *f, const struct psep_job *job, struct psep_result *res)
{
	struct transfer_io io = {
		.ctx = f, .send = fake_send, .send_batch = fake_send_batch, .recv = fake_recv,
		.readv = fake_readv, .write = fake_write, .sync = fake_sync, .now_us = fake_now,
		.report = fake_report,
	};
	size_t size = transfer_buffer_size(job);
	uint64_t *buf = malloc(size + 8);

	ck_assert_int_eq(transfer_run(job, &io, (uint8_t *)buf, size, res), 0);
	free(buf);
	free(f->queue);
	f->queue = NULL;
	ck_assert_int_eq(f->reported, 1);
	ck_assert_mem_eq(&f->report, res, sizeof(*res) - sizeof(res->peer_message));
}

static void run_read(struct fake *f, const struct psep_job *job, size_t file_len,
		     struct psep_result *res)
{
	uint8_t *file = make_file(file_len);

	f->file = file;
	f->file_len = file_len;
	f->got = malloc(file_len * 2 + 16);
	fake_init(f, job);
	run(f, job, res);
	if (!f->corrupt && res->status == PSEP_OK && job->mode == TFTP_MODE_OCTET)
		f->corrupt = f->received != file_len || memcmp(f->got, file, file_len) != 0;
	free(file);
	f->file = NULL;
}

static void oack_job(struct psep_job *job, uint8_t opcode, uint32_t window);

/* A fast RTT makes our timer fast, but a client that has answered is
 * given up only after `retries` resends and then four of our longest
 * timeouts of silence on our side: its own timer may be seconds, and
 * some clients restart it on every packet, duplicates included. */
START_TEST(test_quiet_floor)
{
	struct fake f = { .policy = ACK_ALL, .stop_after = 1 };
	struct psep_job job;
	struct psep_result res;

	make_job(&job, TFTP_OP_RRQ, 512, 1);
	job.timeout_ms = 10;
	job.rto_min_ms = 10;
	job.rto_max_ms = 1000;
	job.retries = 2;
	run_read(&f, &job, 5000, &res);
	ck_assert_uint_eq(res.status, PSEP_TIMEOUT);
	ck_assert_uint_eq(res.retransmits, 2); /* then silence */
	ck_assert_uint_ge(res.duration_usec, 4000000);
	ck_assert_uint_lt(res.duration_usec, 4100000);
	free(f.got);
}
END_TEST

/* ---- read requests ---------------------------------------------------- */

/* File sizes around the block size: the last block is short, maybe empty. */
static const size_t sizes[] = { 0, 1, 511, 512, 513, 1024, 5000 };

START_TEST(test_sizes)
{
	struct fake f = { .policy = ACK_ALL };
	struct psep_job job;
	struct psep_result res;
	size_t len = sizes[_i];

	make_job(&job, TFTP_OP_RRQ, 512, 1);
	run_read(&f, &job, len, &res);
	ck_assert_uint_eq(res.status, PSEP_OK);
	ck_assert_uint_eq(res.bytes, len);
	ck_assert_uint_eq(res.blocks, len / 512 + 1);
	ck_assert_int_eq(f.corrupt, 0);
	ck_assert_uint_eq(res.retransmits, 0);
	ck_assert_uint_eq(f.sends, len / 512 + 1);
	ck_assert_uint_eq(res.transfer_id, 42);
	free(f.got);
}
END_TEST

/*
 * Lock-step losses: each lost DATA or ACK costs exactly one resend of the
 * block, found by the timer. With a lost ACK the block is resent, never
 * the next one: without a window nothing goes past it (no probe ahead).
 */
static const struct lockstep_case {
	enum policy policy;
	unsigned lose;                          /* LOSE_FIRST: DATA lost */
	unsigned ack_drop_from, ack_drop_count; /* ACKs lost */
	size_t len;
	unsigned data_sends, retransmits;
} lockstep_cases[] = {
	{ LOSE_FIRST, 2, 0, 0, 2000, 4 + 2, 2 },
	/* block 2 sent four times (three ACKs lost), every other once */
	{ ACK_ALL, 0, 2, 3, 10 * 512, 11 + 3, 3 },
};

START_TEST(test_lockstep_losses)
{
	const struct lockstep_case *c = &lockstep_cases[_i];
	struct fake f = { .policy = c->policy, .lose = c->lose,
			  .ack_drop_from = c->ack_drop_from, .ack_drop_count = c->ack_drop_count };
	struct psep_job job;
	struct psep_result res;

	make_job(&job, TFTP_OP_RRQ, 512, 1);
	run_read(&f, &job, c->len, &res);
	ck_assert_uint_eq(res.status, PSEP_OK);
	ck_assert_int_eq(f.corrupt, 0);
	ck_assert_uint_eq(res.retransmits, c->retransmits);
	ck_assert_uint_eq(f.data_sends, c->data_sends);
	ck_assert_uint_eq(f.sends, c->data_sends); /* and nothing else */
	free(f.got);
}
END_TEST

/* RFC 1123 4.2.3.1: a duplicate ACK must not trigger a resend. */
START_TEST(test_duplicate_acks_no_sorcerer)
{
	struct fake f = { .policy = ACK_TWICE };
	struct psep_job job;
	struct psep_result res;

	make_job(&job, TFTP_OP_RRQ, 512, 1);
	run_read(&f, &job, 100 * 512 + 1, &res);
	ck_assert_uint_eq(res.status, PSEP_OK);
	ck_assert_uint_eq(f.data_sends, 101);
	ck_assert_uint_eq(res.retransmits, 0);
	free(f.got);
}
END_TEST

START_TEST(test_stale_acks_ignored)
{
	struct fake f = { .policy = STALE_ACKS };
	struct psep_job job;
	struct psep_result res;

	make_job(&job, TFTP_OP_RRQ, 512, 1);
	run_read(&f, &job, 10 * 512, &res);
	ck_assert_uint_eq(res.status, PSEP_OK);
	ck_assert_uint_eq(f.data_sends, 11);
	ck_assert_int_eq(f.corrupt, 0);
	free(f.got);
}
END_TEST

/* A client that never answers (a spoofed request) gets the first packet
 * and at most 2 resends (fewer when --retries says so), nothing more,
 * whatever window it asked for. */
START_TEST(test_silent_client_bounded)
{
	struct fake f = { .policy = SILENT };
	struct psep_job job;
	struct psep_result res;
	unsigned retries = _i < 2 ? 6 : 1;

	make_job(&job, TFTP_OP_RRQ, 512, (uint32_t)(_i & 1 ? 64 : 1));
	job.retries = retries;
	run_read(&f, &job, 100000, &res);
	ck_assert_uint_eq(res.status, PSEP_TIMEOUT);
	ck_assert_uint_eq(f.sends, 1 + (retries < 2 ? retries : 2));
	ck_assert_uint_eq(f.data_sends, f.sends);
	ck_assert_uint_eq(res.bytes, 0);
	free(f.got);
}
END_TEST

/* Once the client has answered, a stall gets the full --retries. */
START_TEST(test_retries_after_contact)
{
	struct fake f = { .policy = LOSE_FIRST };
	struct psep_job job;
	struct psep_result res;

	make_job(&job, TFTP_OP_RRQ, 512, 1);
	job.retries = 4;
	f.lose = 0;
	f.policy = ACK_ALL;
	/* Acknowledge block 1, then go silent: 1 + 4 sends of block 2. */
	f.stop_after = 1;
	run_read(&f, &job, 5000, &res);
	ck_assert_uint_eq(res.status, PSEP_TIMEOUT);
	ck_assert_uint_eq(f.data_sends, 1 + 1 + 4);
	ck_assert_uint_eq(res.retransmits, 4);
	free(f.got);
}
END_TEST

START_TEST(test_deadline)
{
	struct fake f = { .policy = SILENT };
	struct psep_job job;
	struct psep_result res;

	make_job(&job, TFTP_OP_RRQ, 512, 1);
	job.retries = 255;
	job.deadline_s = 2;
	run_read(&f, &job, 5000, &res);
	ck_assert_uint_eq(res.status, PSEP_DEADLINE);
	ck_assert_uint_eq(res.duration_usec, 2 * 1000000ULL);
	ck_assert_uint_eq(f.error_sends, 1);
	free(f.got);
}
END_TEST

/* More than 131072 blocks: the block number wraps twice, with and
 * without windows, to 0 or to 1. */
START_TEST(test_rollover_twice)
{
	struct fake f = { .policy = ACK_WINDOW };
	struct psep_job job;
	struct psep_result res;
	size_t len = 8 * 140000 + 3;

	/* A window is only ever granted in an OACK. */
	if (_i >= 2)
		oack_job(&job, TFTP_OP_RRQ, 16);
	else
		make_job(&job, TFTP_OP_RRQ, 512, 1);
	job.blksize = 8;
	job.rollover = (uint8_t)(_i & 1);
	run_read(&f, &job, len, &res);
	ck_assert_uint_eq(res.status, PSEP_OK);
	ck_assert_uint_eq(res.bytes, len);
	ck_assert_uint_eq(res.blocks, 140001);
	ck_assert_int_eq(f.corrupt, 0);
	free(f.got);
}
END_TEST

START_TEST(test_client_error_midway)
{
	struct fake f = { .policy = ERROR_MIDWAY };
	struct psep_job job;
	struct psep_result res;

	make_job(&job, TFTP_OP_RRQ, 512, 1);
	run_read(&f, &job, 10 * 512, &res);
	ck_assert_uint_eq(res.status, PSEP_PEER_ERROR);
	ck_assert_uint_eq(res.peer_error, 0);
	/* Control characters from the client never reach the report. */
	ck_assert_str_eq(res.peer_message, "cancelled?");
	ck_assert_uint_eq(f.data_sends, 3);
	ck_assert_uint_eq(res.bytes, 2 * 512);
	free(f.got);
}
END_TEST

static void oack_job(struct psep_job *job, uint8_t opcode, uint32_t window)
{
	static const char oack[] = "\0\6tsize\0" "5000";

	make_job(job, opcode, 512, window);
	memcpy(job->oack, oack, sizeof(oack));
	job->oack_len = sizeof(oack);
}

/* RFC 2347: after an OACK the client answers ACK 0, then DATA 1 follows. */
START_TEST(test_oack_then_data)
{
	struct fake f = { .policy = ACK_ALL };
	struct psep_job job;
	struct psep_result res;

	oack_job(&job, TFTP_OP_RRQ, 1);
	run_read(&f, &job, 5000, &res);
	ck_assert_uint_eq(res.status, PSEP_OK);
	ck_assert_uint_eq(f.sends, 1 + 10);
	ck_assert_int_eq(f.corrupt, 0);
	free(f.got);
}
END_TEST

/* The UEFI size probe: ERROR 8 after the OACK, reported as a probe, with
 * no resend of anything. */
START_TEST(test_probe_after_oack)
{
	struct fake f = { .policy = ERROR_ON_OACK, .error_code = TFTP_ERR_OPTNEG };
	struct psep_job job;
	struct psep_result res;

	oack_job(&job, TFTP_OP_RRQ, 1);
	run_read(&f, &job, 5000, &res);
	ck_assert_uint_eq(res.status, PSEP_PROBE);
	ck_assert_uint_eq(res.peer_error, 8);
	ck_assert_uint_eq(f.sends, 1);
	ck_assert_uint_eq(res.retransmits, 0);
	free(f.got);
}
END_TEST

START_TEST(test_other_error_after_oack)
{
	struct fake f = { .policy = ERROR_ON_OACK, .error_code = TFTP_ERR_ACCESS };
	struct psep_job job;
	struct psep_result res;

	oack_job(&job, TFTP_OP_RRQ, 1);
	run_read(&f, &job, 5000, &res);
	ck_assert_uint_eq(res.status, PSEP_PEER_ERROR);
	ck_assert_uint_eq(res.peer_error, 2);
	free(f.got);
}
END_TEST

/* A lost OACK is resent by the timer; nothing else goes out before ACK 0. */
START_TEST(test_oack_lost)
{
	struct fake f = { .policy = SILENT };
	struct psep_job job;
	struct psep_result res;

	oack_job(&job, TFTP_OP_RRQ, 16);
	job.retries = 6;
	run_read(&f, &job, 50000, &res);
	ck_assert_uint_eq(res.status, PSEP_TIMEOUT);
	ck_assert_uint_eq(f.sends, 3); /* the OACK, resent twice at most */
	ck_assert_uint_eq(f.data_sends, 0);
	free(f.got);
}
END_TEST

/* The client's request came again before anything was acknowledged: the
 * first packet is answered once more, at once. */
START_TEST(test_resent_request_answered)
{
	struct fake f = { .policy = RESEND_REQUEST };
	struct psep_job job;
	struct psep_result res;

	make_job(&job, TFTP_OP_RRQ, 512, 1);
	run_read(&f, &job, 1000, &res);
	ck_assert_uint_eq(res.status, PSEP_OK);
	ck_assert_uint_eq(res.retransmits, 1);
	ck_assert_int_eq(f.corrupt, 0);
	/* No timer ran out: the resend answered the request immediately. */
	ck_assert_uint_lt(res.duration_usec, 1000000);
	free(f.got);
}
END_TEST

/* RFC 7440: a window goes out in one batch, acknowledged once. */
START_TEST(test_window_batches)
{
	struct fake f = { .policy = ACK_WINDOW };
	struct psep_job job;
	struct psep_result res;

	oack_job(&job, TFTP_OP_RRQ, 16);
	run_read(&f, &job, 160 * 512 + 100, &res);
	ck_assert_uint_eq(res.status, PSEP_OK);
	ck_assert_int_eq(f.corrupt, 0);
	ck_assert_uint_eq(f.data_sends, 161);
	ck_assert_uint_eq(res.retransmits, 0);
	/* 161 blocks in windows of 16: 11 batches, not 161 sends. */
	ck_assert_uint_eq(f.batches, 11);
	free(f.got);
}
END_TEST

/* Without an OACK, the first window is one packet until the client has
 * answered once: then the window opens. */
START_TEST(test_window_opens_after_first_ack)
{
	struct fake f = { .policy = ACK_WINDOW, .window = 8 };
	struct psep_job job;
	struct psep_result res;

	make_job(&job, TFTP_OP_RRQ, 512, 8);
	f.window = 1; /* the client acknowledges DATA 1 alone */
	run_read(&f, &job, 64 * 512, &res);
	ck_assert_uint_eq(f.sends_before_first_answer, 1);
	free(f.got);
}
END_TEST

/* A block lost inside a window: the client acknowledges the block before
 * it, and the server sends again from the lost one (RFC 7440). */
START_TEST(test_window_partial_ack)
{
	struct fake f = { .policy = LOSE_BLOCK, .lose = 1, .lose_block = 20 };
	struct psep_job job;
	struct psep_result res;

	oack_job(&job, TFTP_OP_RRQ, 8);
	run_read(&f, &job, 64 * 512, &res);
	ck_assert_uint_eq(res.status, PSEP_OK);
	ck_assert_int_eq(f.corrupt, 0);
	ck_assert_uint_eq(res.bytes, 64 * 512);
	/* The rest of the window after the lost block is sent again, and no
	 * timer was needed: the partial ACK said where to restart. */
	ck_assert_uint_gt(res.retransmits, 0);
	ck_assert_uint_lt(res.duration_usec, 1000000);
	free(f.got);
}
END_TEST

/* The first block of a window lost: the client's ACK is a duplicate of
 * the previous one, which must not trigger a resend; the timer does. */
START_TEST(test_window_first_block_lost)
{
	struct fake f = { .policy = LOSE_BLOCK, .lose = 1, .lose_block = 17 };
	struct psep_job job;
	struct psep_result res;

	oack_job(&job, TFTP_OP_RRQ, 8);
	run_read(&f, &job, 64 * 512, &res);
	ck_assert_uint_eq(res.status, PSEP_OK);
	ck_assert_int_eq(f.corrupt, 0);
	ck_assert_uint_ge(res.duration_usec, 1000000);
	free(f.got);
}
END_TEST

START_TEST(test_netascii_read)
{
	struct fake f = { .policy = ACK_WINDOW };
	struct psep_job job;
	struct psep_result res;
	static const uint8_t text[] = "line one\nline two\r\nbare cr\r at block end\n";
	uint8_t *file = malloc(5000), *want = malloc(12000);
	size_t n = 0, wlen, used;
	struct netascii_enc enc = { 0 };

	/* A CR lands on every block boundary somewhere in this file. */
	while (n + sizeof(text) - 1 <= 5000) {
		memcpy(file + n, text, sizeof(text) - 1);
		n += sizeof(text) - 1;
	}
	wlen = netascii_encode(&enc, file, n, &used, want, 12000);
	ck_assert_uint_eq(used, n);
	oack_job(&job, TFTP_OP_RRQ, 4);
	job.blksize = 64;
	job.mode = TFTP_MODE_NETASCII;
	f.file = file;
	f.file_len = n;
	f.got = malloc(12000);
	fake_init(&f, &job);
	run(&f, &job, &res);
	ck_assert_uint_eq(res.status, PSEP_OK);
	ck_assert_uint_eq(f.received, wlen);
	ck_assert_mem_eq(f.got, want, wlen);
	ck_assert_uint_eq(res.bytes, n); /* file bytes, not wire bytes */
	free(file);
	free(want);
	free(f.got);
}
END_TEST

START_TEST(test_refuses_bad_job)
{
	struct fake f = { .policy = ACK_ALL };
	struct transfer_io io = {
		.ctx = &f, .send = fake_send, .send_batch = fake_send_batch, .recv = fake_recv,
		.readv = fake_readv, .write = fake_write, .sync = fake_sync, .now_us = fake_now,
	};
	struct psep_job job;
	struct psep_result res;
	uint64_t buf[4];

	make_job(&job, TFTP_OP_RRQ, 512, 1);
	/* A buffer too small for the block size is refused, not overrun. */
	ck_assert_int_eq(transfer_run(&job, &io, (uint8_t *)buf, sizeof(buf), &res), -EINVAL);
	ck_assert_uint_eq(res.status, PSEP_INTERNAL);
	ck_assert_uint_eq(f.sends, 0);
}
END_TEST

/* A whole window and its resends lost: the server falls silent; the
 * client's own timer then repeats its last ACK, a duplicate, which must
 * wake the server up instead of being ignored until it gives up. */
START_TEST(test_hold_woken_by_client_timer)
{
	struct fake f = { .policy = ACK_WINDOW, .drop_from = 17, .drop_count = 48,
			  .client_timer_us = 5000000 };
	struct psep_job job;
	struct psep_result res;

	oack_job(&job, TFTP_OP_RRQ, 16);
	job.retries = 2;
	run_read(&f, &job, 64 * 512, &res);
	ck_assert_uint_eq(res.status, PSEP_OK);
	ck_assert_int_eq(f.corrupt, 0);
	ck_assert_uint_ge(res.duration_usec, 5000000);
	free(f.got);
}
END_TEST

/*
 * An atftp-like client with a 5 s timer that every packet restarts, and
 * losses that leave it waiting for that timer unless the server probes
 * ahead (the next window instead of a second resend of this one). Each
 * case must end in less than the client's timer.
 */
static const struct probe_case {
	const char *what;
	unsigned ack_drop_from, ack_drop_count; /* ACKs lost */
	unsigned drop_from, drop_count;         /* DATA sends lost */
	size_t len;
	unsigned data_sends;                    /* 0: not checked */
} probe_cases[] = {
	/* ACK 32 and the extra ACK for the resent window lost: the probe
	 * (window 3) is taken in order and acknowledged at once. Windows 1
	 * to 4, window 2 once more, the final empty block. */
	{ "acks lost", 2, 2, 0, 0, 64 * 512, 16 * 5 + 1 },
	/* Window 2 and its resend lost: the client lacks the window before
	 * the probe, says so, and the window goes back there at once. */
	{ "client behind", 0, 0, 17, 32, 64 * 512 + 100, 0 },
	/* The probe's ACK lost too: going back to window 2 brings an extra
	 * ACK for the probe's last block, beyond the window: it moves on. */
	{ "probe ack lost", 2, 3, 0, 0, 64 * 512 + 7, 0 },
};

START_TEST(test_probe_ahead)
{
	const struct probe_case *c = &probe_cases[_i];
	struct fake f = { .policy = ATFTP, .ack_drop_from = c->ack_drop_from,
			  .ack_drop_count = c->ack_drop_count, .drop_from = c->drop_from,
			  .drop_count = c->drop_count, .client_timer_us = 5000000 };
	struct psep_job job;
	struct psep_result res;

	oack_job(&job, TFTP_OP_RRQ, 16);
	run_read(&f, &job, c->len, &res);
	ck_assert_msg(res.status == PSEP_OK, "%s: status %u", c->what, res.status);
	ck_assert_int_eq(f.corrupt, 0);
	ck_assert_uint_eq(res.bytes, c->len);
	ck_assert_uint_eq(res.blocks, c->len / 512 + 1);
	ck_assert_msg(res.duration_usec < 5000000, "%s: took %llu us", c->what,
		      (unsigned long long)res.duration_usec);
	if (c->data_sends != 0) {
		ck_assert_uint_eq(f.data_sends, c->data_sends);
		ck_assert_uint_eq(res.retransmits, c->data_sends - (c->len / 512 + 1));
	}
	free(f.got);
}
END_TEST

/* ---- write requests --------------------------------------------------- */

static void run_write(struct fake *f, const struct psep_job *job, size_t len,
		      struct psep_result *res)
{
	uint8_t *data = make_file(len);

	f->policy = UPLOADER;
	f->upload = data;
	f->upload_len = len;
	f->written = calloc(1, len * 2 + 16);
	fake_init(f, job);
	run(f, job, res);
	if (res->status == PSEP_OK && job->mode == TFTP_MODE_OCTET)
		ck_assert_mem_eq(f->written, data, len);
	free(data);
	free(f->written);
}

START_TEST(test_upload)
{
	struct fake f = { 0 };
	struct psep_job job;
	struct psep_result res;
	static const size_t lens[] = { 0, 511, 512, 513, 20000 };
	size_t len = lens[_i % 5];
	uint32_t window = _i < 5 ? 1 : 8;

	make_job(&job, TFTP_OP_WRQ, 512, window);
	run_write(&f, &job, len, &res);
	ck_assert_uint_eq(res.status, PSEP_OK);
	ck_assert_uint_eq(res.bytes, len);
	ck_assert_uint_eq(f.written_len, len);
	ck_assert_int_eq(f.synced, 1);
	ck_assert_int_eq(f.final_acked, 1);
	ck_assert_uint_eq(res.retransmits, 0);
	/* ACK 0, one ACK per window, and the final one. */
	ck_assert_uint_le(f.sends, 1 + (len / 512 + 1 + window - 1) / window + 1);
}
END_TEST

START_TEST(test_upload_rollover)
{
	struct fake f = { 0 };
	struct psep_job job;
	struct psep_result res;

	make_job(&job, TFTP_OP_WRQ, 8, 16);
	job.rollover = (uint8_t)_i;
	run_write(&f, &job, 8 * 140000 + 5, &res);
	ck_assert_uint_eq(res.status, PSEP_OK);
	ck_assert_uint_eq(res.blocks, 140001);
}
END_TEST

START_TEST(test_upload_too_large)
{
	struct fake f = { 0 };
	struct psep_job job;
	struct psep_result res;

	make_job(&job, TFTP_OP_WRQ, 512, 4);
	job.max_size = 3000;
	run_write(&f, &job, 5000, &res);
	ck_assert_uint_eq(res.status, PSEP_NO_SPACE);
	ck_assert_uint_eq(f.error_sends, 1);
	ck_assert_int_eq(f.synced, 0);
}
END_TEST

START_TEST(test_upload_disk_full)
{
	struct fake f = { .wrq_fail_write = -ENOSPC };
	struct psep_job job;
	struct psep_result res;

	make_job(&job, TFTP_OP_WRQ, 512, 4);
	run_write(&f, &job, 5000, &res);
	ck_assert_uint_eq(res.status, PSEP_NO_SPACE);
	ck_assert_uint_eq(f.error_sends, 1);
}
END_TEST

START_TEST(test_upload_silent_client)
{
	struct fake f = { 0 };
	struct psep_job job;
	struct psep_result res;

	make_job(&job, TFTP_OP_WRQ, 512, 4);
	job.retries = 3;
	f.policy = SILENT;
	f.written = calloc(1, 16);
	fake_init(&f, &job);
	run(&f, &job, &res);
	ck_assert_uint_eq(res.status, PSEP_TIMEOUT);
	ck_assert_uint_eq(f.sends, 3); /* ACK 0 and 2 resends: never answered */
	free(f.written);
}
END_TEST

/* The monitor could not store the file: the client gets an ERROR, not
 * the final ACK that would tell it all is well. */
START_TEST(test_upload_not_stored)
{
	struct fake f = { .commit_error = TFTP_ERR_EXISTS };
	struct psep_job job;
	struct psep_result res;

	make_job(&job, TFTP_OP_WRQ, 512, 1);
	run_write(&f, &job, 1000, &res);
	ck_assert_uint_eq(res.status, PSEP_OK); /* as reported, before the answer */
	ck_assert_uint_eq(f.error_sends, 1);
	/* ACK 0 and ACK 1 only: never the ACK of the last block, 2. */
	ck_assert_uint_eq(f.sends, 3);
	ck_assert_int_eq(f.final_acked, 0);
}
END_TEST

START_TEST(test_upload_netascii)
{
	struct fake f = { 0 };
	struct psep_job job;
	struct psep_result res;
	static const uint8_t wire_text[] = "a\r\nb\r\0c\r\n";
	uint8_t *data = malloc(3000);
	size_t n = 0;

	while (n + sizeof(wire_text) - 1 <= 3000) {
		memcpy(data + n, wire_text, sizeof(wire_text) - 1);
		n += sizeof(wire_text) - 1;
	}
	make_job(&job, TFTP_OP_WRQ, 16, 4);
	job.mode = TFTP_MODE_NETASCII;
	f.policy = UPLOADER;
	f.upload = data;
	f.upload_len = n;
	f.written = calloc(1, n * 2);
	fake_init(&f, &job);
	run(&f, &job, &res);
	ck_assert_uint_eq(res.status, PSEP_OK);
	/* Each 9-byte unit decodes to "a\nb\rc\n": 6 bytes. */
	ck_assert_uint_eq(res.bytes, n / 9 * 6);
	ck_assert_uint_eq(f.written_len, n / 9 * 6);
	ck_assert_mem_eq(f.written, "a\nb\rc\na\nb\rc\n", 12);
	free(data);
	free(f.written);
}
END_TEST

static Suite *transfer_suite(void)
{
	Suite *s = suite_create("transfer");
	TCase *rd = tcase_create("rrq");
	TCase *wr = tcase_create("wrq");

	tcase_set_timeout(rd, 60);
	tcase_add_loop_test(rd, test_sizes, 0, sizeof(sizes) / sizeof(sizes[0]));
	tcase_add_loop_test(rd, test_lockstep_losses, 0,
			    sizeof(lockstep_cases) / sizeof(lockstep_cases[0]));
	tcase_add_test(rd, test_duplicate_acks_no_sorcerer);
	tcase_add_test(rd, test_stale_acks_ignored);
	tcase_add_loop_test(rd, test_silent_client_bounded, 0, 4);
	tcase_add_test(rd, test_retries_after_contact);
	tcase_add_test(rd, test_quiet_floor);
	tcase_add_test(rd, test_hold_woken_by_client_timer);
	tcase_add_test(rd, test_deadline);
	tcase_add_loop_test(rd, test_rollover_twice, 0, 4);
	tcase_add_test(rd, test_client_error_midway);
	tcase_add_test(rd, test_oack_then_data);
	tcase_add_test(rd, test_probe_after_oack);
	tcase_add_test(rd, test_other_error_after_oack);
	tcase_add_test(rd, test_oack_lost);
	tcase_add_test(rd, test_resent_request_answered);
	tcase_add_test(rd, test_window_batches);
	tcase_add_test(rd, test_window_opens_after_first_ack);
	tcase_add_test(rd, test_window_partial_ack);
	tcase_add_test(rd, test_window_first_block_lost);
	tcase_add_loop_test(rd, test_probe_ahead, 0, sizeof(probe_cases) / sizeof(probe_cases[0]));
	tcase_add_test(rd, test_netascii_read);
	tcase_add_test(rd, test_refuses_bad_job);
	suite_add_tcase(s, rd);

	tcase_set_timeout(wr, 60);
	tcase_add_loop_test(wr, test_upload, 0, 10);
	tcase_add_loop_test(wr, test_upload_rollover, 0, 2);
	tcase_add_test(wr, test_upload_too_large);
	tcase_add_test(wr, test_upload_disk_full);
	tcase_add_test(wr, test_upload_silent_client);
	tcase_add_test(wr, test_upload_not_stored);
	tcase_add_test(wr, test_upload_netascii);
	suite_add_tcase(s, wr);
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
