/*
 * check-transfer.c - the transfer state machine against a scripted client.
 *
 * The fake I/O plays the client: it answers each packet the server sends
 * according to a policy (acknowledge, lose, duplicate, fail, send data),
 * and its clock jumps to the deadline whenever the server waits with
 * nothing queued, so timeouts cost nothing. Every datagram the server
 * sends is counted, and every DATA block is checked against RFC 7440's
 * bound: never beyond the last ACK the server received + windowsize.
 * FAKE_TRACE=1 in the environment prints every datagram, with the clock.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "netascii.h"
#include "tftp-packet.h"
#include "transfer.h"

#define QUEUE_MAX 1024
#define PKT_MAX 1100

enum policy {
	ACK_ALL,        /* acknowledge every DATA (and ACK 0 for an OACK) */
	ACK_WINDOW,     /* RFC 7440 receiver (EDK2): ACK after windowsize blocks
	                 * in order since its last ACK, at the last block, and at
	                 * every block out of order (a gap or a duplicate) */
	WINDOW_DEAF,    /* ACK_WINDOW, but out-of-order blocks are ignored
	                 * (U-Boot, node-tftp): only its own timer speaks */
	ACK_TWICE,      /* acknowledge everything twice: duplicate ACKs */
	LOSE_FIRST,     /* lose the first `lose` packets, then ACK_ALL */
	LOSE_BLOCK,     /* lose block `lose_block` `lose` times; ACK_WINDOW client */
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
	uint32_t server_window; /* what the job granted: the bound checked */
	uint8_t rollover;
	uint64_t now;
	/* RRQ: the file and what the client received */
	const uint8_t *file;
	size_t file_len;
	uint8_t *got;          /* the client's copy */
	uint64_t received;
	uint64_t expect;       /* next block index the client wants */
	uint64_t in_window;
	uint64_t server_acked; /* the highest ACK the server has received */
	uint64_t data_hi;      /* the highest block the server has sent */
	uint64_t distinct_before_data_ack; /* blocks sent before any DATA was acknowledged */
	uint64_t lose_block_first_us;  /* when lose_block went out first */
	uint64_t lose_block_resent_us; /* when it went out again */
	int corrupt;
	/* counters */
	unsigned sends, data_sends, batches, error_sends, oack_sends;
	unsigned sends_before_first_answer;
	int answered;
	/* WRQ: what the client uploads and what the server wrote */
	const uint8_t *upload;
	size_t upload_len;
	uint32_t upload_per_ack; /* blocks sent per ACK (0: window) */
	uint8_t *written;
	size_t written_len;
	int synced;
	int wrq_fail_write;    /* -errno to return from write */
	unsigned upload_sent_blocks;
	int reported;
	int report_answer;     /* what report() returns: 0, a TFTP error, DEFERRED */
	int send_error;        /* -errno for every send from send number send_error_from */
	unsigned send_error_from;
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
	unsigned ack_drop2_from, ack_drop2_count; /* a second such run */
	int final_acked;       /* UPLOADER: the ACK of the last block arrived */
	uint64_t pause_after;  /* UPLOADER: after the ACK of this block (0: none) */
	uint64_t pause_us;     /* ..send nothing for this long */
	uint64_t resume_at;    /* when the pause ends (0: not paused) */
	uint64_t resume_from;  /* the block it then sends from */
	unsigned pause_acks;   /* ACKs that came during the pause */
	struct psep_result report;
	/* the client's packets, waiting to be received by the server */
	uint8_t (*queue)[PKT_MAX];
	size_t queue_len[QUEUE_MAX];
	uint64_t queue_ack[QUEUE_MAX]; /* an ACK's block index, else UINT64_MAX */
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

/* The block index (>= min) of a wire number, the one nearest to ref. */
static uint64_t index_near(const struct fake *f, uint16_t block, uint64_t ref, uint64_t min)
{
	for (uint64_t d = 0; d < 70000; d++) {
		if (wire(f, ref + d) == block)
			return ref + d;
		if (ref >= min + d && wire(f, ref - d) == block)
			return ref - d;
	}
	ck_abort_msg("block %u is nowhere near %llu", block, (unsigned long long)ref);
	return 0;
}

static void enqueue_raw(struct fake *f, const uint8_t *pkt, size_t len, uint64_t ack)
{
	ck_assert_uint_lt(f->tail - f->head, QUEUE_MAX);
	ck_assert_uint_le(len, PKT_MAX);
	memcpy(f->queue[f->tail % QUEUE_MAX], pkt, len);
	f->queue_len[f->tail % QUEUE_MAX] = len;
	f->queue_ack[f->tail % QUEUE_MAX] = ack;
	f->tail++;
}

static void enqueue(struct fake *f, const uint8_t *pkt, size_t len)
{
	enqueue_raw(f, pkt, len, UINT64_MAX);
}

/* The client acknowledges block index `index`. */
static void enqueue_ack(struct fake *f, uint64_t index)
{
	uint8_t pkt[4];

	f->acks++;
	if (f->acks >= f->ack_drop_from && f->acks < f->ack_drop_from + f->ack_drop_count)
		return;
	if (f->acks >= f->ack_drop2_from && f->acks < f->ack_drop2_from + f->ack_drop2_count)
		return;
	tftp_pkt_build_ack(pkt, sizeof(pkt), wire(f, index));
	enqueue_raw(f, pkt, sizeof(pkt), index);
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
	uint32_t count = f->upload_per_ack ? f->upload_per_ack : f->window;

	for (uint32_t k = 0; k < count; k++) {
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

/* RFC 7440: the receiver acknowledges windowsize blocks, the last one,
 * and (most receivers) whatever comes out of order. */
static void window_client(struct fake *f, int in_order, int last, int answer_out_of_order)
{
	if (in_order && (++f->in_window == f->window || last)) {
		enqueue_ack(f, f->expect - 1);
		f->in_window = 0;
	} else if (!in_order && answer_out_of_order) {
		enqueue_ack(f, f->expect - 1);
		f->in_window = 0;
	}
}

static void atftp_client(struct fake *f, int in_order, int last)
{
	if (!in_order) {
		/* One extra ACK, which restarts its count, until a block
		 * comes in order (tftp_file.c). */
		if (!f->extra_ack_sent) {
			enqueue_ack(f, f->expect - 1);
			f->in_window = 0;
		}
		f->extra_ack_sent = 1;
		return;
	}
	f->extra_ack_sent = 0;
	if (++f->in_window == f->window || last) {
		enqueue_ack(f, f->expect - 1);
		f->in_window = 0;
	}
}

static void answer_data(struct fake *f, const uint8_t *buf, size_t len)
{
	uint16_t block = (uint16_t)(buf[2] << 8 | buf[3]);
	int in_order, last = len - 4 < f->blksize;

	if (f->stop_after > 0 && f->data_sends > f->stop_after)
		return;
	if (f->policy == LOSE_FIRST && f->lose > 0) {
		f->lose--;
		return;
	}
	if (f->policy == LOSE_BLOCK && f->lose > 0 && block == wire(f, f->lose_block)) {
		f->lose--;
		return;
	}
	in_order = client_takes_data(f, buf, len);
	switch (f->policy) {
	case ACK_WINDOW:
	case LOSE_BLOCK:
		window_client(f, in_order, last, 1);
		break;
	case WINDOW_DEAF:
		window_client(f, in_order, last, 0);
		break;
	case ATFTP:
		atftp_client(f, in_order, last);
		break;
	case ACK_TWICE:
		enqueue_ack(f, f->expect - 1);
		enqueue_ack(f, f->expect - 1);
		break;
	case STALE_ACKS:
		if (f->expect >= 2)
			enqueue_ack(f, f->expect - 2);
		enqueue_ack(f, f->expect - 1);
		break;
	case SILENT:
		break;
	case ERROR_MIDWAY:
		if (block == 3)
			enqueue_error(f, 0, "cancelled\x01");
		else
			enqueue_ack(f, f->expect - 1);
		break;
	case RESEND_REQUEST:
		if (f->sends == 1) {
			static const uint8_t rrq[] = "\0\1file\0octet";

			enqueue(f, rrq, sizeof(rrq));
			return;
		}
		enqueue_ack(f, f->expect - 1);
		break;
	default:
		enqueue_ack(f, f->expect - 1);
		break;
	}
}

/* Every DATA block the server sends obeys RFC 7440. */
static void check_data_bound(struct fake *f, const uint8_t *buf)
{
	uint16_t block = (uint16_t)(buf[2] << 8 | buf[3]);
	uint64_t index = index_near(f, block, f->server_acked + 1, 1);

	ck_assert_msg(index >= 1 && index <= f->server_acked + f->server_window,
		      "block %llu sent with the last ACK at %llu and windowsize %u",
		      (unsigned long long)index, (unsigned long long)f->server_acked,
		      f->server_window);
	/* Sent again later than the round that sent it first (its copy at
	 * the end of that round is no resend). */
	if (index == f->lose_block && index <= f->data_hi && f->lose_block_resent_us == 0 &&
	    f->now > f->lose_block_first_us)
		f->lose_block_resent_us = f->now;
	if (index == f->lose_block && index > f->data_hi)
		f->lose_block_first_us = f->now;
	if (index > f->data_hi)
		f->data_hi = index;
	if (f->server_acked == 0)
		f->distinct_before_data_ack = f->data_hi;
}

static void answer_oack(struct fake *f)
{
	f->oack_sends++;
	if (f->policy == SILENT)
		return;
	if (f->policy == ERROR_ON_OACK)
		enqueue_error(f, f->error_code, "no thanks");
	else if (f->policy == UPLOADER)
		upload_window(f, 1);
	else
		enqueue_ack(f, 0);
}

/* UPLOADER: the server's ACK names the last block it has. */
static void answer_ack(struct fake *f, const uint8_t *buf)
{
	uint16_t block = (uint16_t)(buf[2] << 8 | buf[3]);
	uint64_t idx = index_near(f, block, f->upload_sent_blocks, 0);

	if (block == wire(f, f->upload_len / f->blksize + 1))
		f->final_acked = 1;
	if (f->resume_at != 0) {
		f->pause_acks++;
		return;
	}
	if (f->pause_after != 0 && idx == f->pause_after) {
		/* A sender busy reading its file: it goes on later. */
		f->pause_after = 0;
		f->resume_at = f->now + f->pause_us;
		f->resume_from = idx + 1;
		return;
	}
	if (idx * f->blksize <= f->upload_len)
		upload_window(f, idx + 1);
}

static int fake_send(void *ctx, const uint8_t *buf, size_t len)
{
	struct fake *f = ctx;
	int op = tftp_pkt_opcode(buf, len);

	if (getenv("FAKE_TRACE"))
		fprintf(stderr, "%llu send op=%d block=%u len=%zu\n", (unsigned long long)f->now, op,
			len >= 4 ? (unsigned)(buf[2] << 8 | buf[3]) : 0, len);

	f->sends++;
	if (f->send_error != 0 && f->sends >= f->send_error_from)
		return f->send_error;
	if (!f->answered)
		f->sends_before_first_answer++;
	if (op == TFTP_OP_ERROR) {
		f->error_sends++;
		return 0;
	}
	if (op == TFTP_OP_DATA) {
		f->data_sends++;
		check_data_bound(f, buf);
		if (f->data_sends >= f->drop_from && f->data_sends < f->drop_from + f->drop_count)
			return 0;
		f->last_rx_us = f->now;
		answer_data(f, buf, len);
		return 0;
	}
	if (op == TFTP_OP_OACK)
		answer_oack(f);
	else if (op == TFTP_OP_ACK && f->policy == UPLOADER)
		answer_ack(f, buf);
	return 0;
}

static int fake_send_batch(void *ctx, const uint8_t *buf, size_t len, size_t seg)
{
	struct fake *f = ctx;

	f->batches++;
	while (len > 0) {
		size_t n = len < seg ? len : seg;
		int e = fake_send(ctx, buf, n);

		if (e < 0)
			return e;
		buf += n;
		len -= n;
	}
	return 0;
}

static ssize_t fake_recv(void *ctx, uint8_t *buf, size_t size, uint64_t deadline_us)
{
	struct fake *f = ctx;
	size_t len;
	uint64_t ack;

	if (f->head == f->tail && f->client_timer_us != 0 && f->last_rx_us != 0 &&
	    f->last_rx_us + f->client_timer_us <= deadline_us) {
		/* The client's timer runs out first: it says where it is. */
		f->now = f->last_rx_us + f->client_timer_us;
		f->last_rx_us = f->now;
		f->extra_ack_sent = 0;
		f->in_window = 0;
		enqueue_ack(f, f->expect - 1);
	}
	if (f->head == f->tail && f->resume_at != 0 && f->resume_at <= deadline_us) {
		f->now = f->resume_at;
		f->resume_at = 0;
		upload_window(f, f->resume_from);
	}
	if (f->head == f->tail) {
		if (deadline_us > f->now)
			f->now = deadline_us;
		return -ETIMEDOUT;
	}
	f->answered = 1;
	len = f->queue_len[f->head % QUEUE_MAX];
	if (getenv("FAKE_TRACE"))
		fprintf(stderr, "%llu recv %02x%02x %02x%02x\n", (unsigned long long)f->now,
			f->queue[f->head % QUEUE_MAX][0], f->queue[f->head % QUEUE_MAX][1],
			f->queue[f->head % QUEUE_MAX][2], f->queue[f->head % QUEUE_MAX][3]);
	ack = f->queue_ack[f->head % QUEUE_MAX];
	if (ack != UINT64_MAX && ack > f->server_acked)
		f->server_acked = ack;
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
	/* Written in order, each byte once. */
	ck_assert_uint_eq(off, f->written_len);
	ck_assert_uint_le(off + len, f->upload_len * 2 + 16);
	memcpy(f->written + off, buf, len);
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
	return f->report_answer;
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
	job->initial_window = 4;
}

static void fake_init(struct fake *f, const struct psep_job *job)
{
	f->queue = malloc(sizeof(*f->queue) * QUEUE_MAX);
	ck_assert_ptr_nonnull(f->queue);
	f->blksize = job->blksize;
	f->rollover = job->rollover;
	f->server_window = job->windowsize;
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

static void oack_job(struct psep_job *job, uint8_t opcode, uint32_t window)
{
	static const char oack[] = "\0\6tsize\0" "5000";

	make_job(job, opcode, 512, window);
	memcpy(job->oack, oack, sizeof(oack));
	job->oack_len = sizeof(oack);
}

/* ---- read requests: lock-step (RFC 1350) ------------------------------- */

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
 * the next one: windowsize 1 is RFC 1350.
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
	ck_assert_uint_eq(f.data_hi, 1);
	ck_assert_uint_eq(res.bytes, 0);
	free(f.got);
}
END_TEST

/*
 * Once the client has acknowledged data, a stall gets the --retries quick
 * resends, then the hold: three resends 7 s apart (so that a client whose
 * own timer every packet restarts gets to speak), then it is given up.
 */
START_TEST(test_retries_then_hold)
{
	struct fake f = { .policy = ACK_ALL, .stop_after = 1 };
	struct psep_job job;
	struct psep_result res;

	make_job(&job, TFTP_OP_RRQ, 512, 1);
	job.timeout_ms = job.rto_min_ms = 10;
	job.rto_max_ms = 1000;
	job.retries = 4;
	run_read(&f, &job, 5000, &res);
	ck_assert_uint_eq(res.status, PSEP_TIMEOUT);
	/* block 1, block 2, 4 quick resends of it and 3 slow ones */
	ck_assert_uint_eq(f.data_sends, 1 + 1 + 4 + 3);
	ck_assert_uint_eq(res.retransmits, 4 + 3);
	/* 10+20+40+80 ms, three holds of 7 s, the silence after the last */
	ck_assert_uint_ge(res.duration_usec, 4 * 7000000ULL);
	ck_assert_uint_lt(res.duration_usec, 4 * 7000000ULL + 500000);
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

/* An ICMP error (the client's port is closed) ends the transfer. */
START_TEST(test_unreachable_ends)
{
	struct fake f = { .policy = ACK_ALL, .send_error = -ECONNREFUSED, .send_error_from = 3 };
	struct psep_job job;
	struct psep_result res;

	make_job(&job, TFTP_OP_RRQ, 512, 1);
	run_read(&f, &job, 10 * 512, &res);
	ck_assert_uint_eq(res.status, PSEP_UNREACHABLE);
	ck_assert_uint_eq(f.sends, 3);
	free(f.got);
}
END_TEST

/* ---- the OACK ------------------------------------------------------------ */

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

/*
 * An OACK the client never acknowledges goes out once more, 7 s later, and
 * no earlier: atftp and node-tftp abort on a second OACK, which an early
 * resend is when only their ACK 0 was lost. Nothing else goes out.
 */
START_TEST(test_oack_resent_once_late)
{
	struct fake f = { .policy = SILENT };
	struct psep_job job;
	struct psep_result res;

	oack_job(&job, TFTP_OP_RRQ, 16);
	run_read(&f, &job, 50000, &res);
	ck_assert_uint_eq(res.status, PSEP_TIMEOUT);
	ck_assert_uint_eq(f.oack_sends, 2);
	ck_assert_uint_eq(f.sends, 2);
	ck_assert_uint_eq(res.duration_usec, 14000000);
	free(f.got);
}
END_TEST

/* ---- windows (RFC 7440) and congestion control ------------------------- */

/*
 * A window opens with the initial window (4 packets: 3 blocks and the
 * copy that draws the ACK), doubles with each round acknowledged whole,
 * and then goes out whole, in one batch, acknowledged once.
 */
START_TEST(test_window_slow_start)
{
	struct fake f = { .policy = ACK_WINDOW };
	struct psep_job job;
	struct psep_result res;

	oack_job(&job, TFTP_OP_RRQ, 16);
	run_read(&f, &job, 160 * 512 + 100, &res);
	ck_assert_uint_eq(res.status, PSEP_OK);
	ck_assert_int_eq(f.corrupt, 0);
	/* rounds of 3, 6 and 12 blocks, each with a copy of its first, then
	 * the rest in whole windows of 16: 139 blocks, 9 rounds */
	ck_assert_uint_eq(res.retransmits, 3);
	ck_assert_uint_eq(f.data_sends, 161 + 3);
	ck_assert_uint_eq(f.batches, 3 + 9);
	free(f.got);
}
END_TEST

/* Without an OACK, only DATA 1 goes out until the client has answered. */
START_TEST(test_window_opens_after_first_ack)
{
	struct fake f = { .policy = ACK_WINDOW };
	struct psep_job job;
	struct psep_result res;

	make_job(&job, TFTP_OP_RRQ, 512, 8);
	f.window = 1; /* the client acknowledges DATA 1 alone */
	run_read(&f, &job, 64 * 512, &res);
	ck_assert_uint_eq(f.sends_before_first_answer, 1);
	free(f.got);
}
END_TEST

/*
 * One blind ACK releases at most 4 packets: a forged client that answers
 * the OACK (ACK 0 is predictable) and nothing more gets the initial window,
 * then the first block at most twice more, whatever window it asked for.
 */
START_TEST(test_blind_ack_bounded)
{
	struct fake f = { .policy = SILENT };
	struct psep_job job;
	struct psep_result res;

	oack_job(&job, TFTP_OP_RRQ, 65535);
	job.blksize = 8; /* a window of 65535 blocks fits the buffer */
	job.first_sent_usec = 1; /* the monitor sent the OACK... */
	f.now = 2;
	f.file = make_file(1 << 20);
	f.file_len = 1 << 20;
	f.got = malloc(2 << 20);
	fake_init(&f, &job);
	enqueue_ack(&f, 0); /* ...and this is the blind ACK */
	run(&f, &job, &res);
	ck_assert_uint_eq(res.status, PSEP_TIMEOUT);
	ck_assert_uint_le(f.distinct_before_data_ack, 3);
	ck_assert_uint_le(f.data_sends, 4 + 2);
	free((void *)f.file);
	free(f.got);
}
END_TEST

/* A block lost inside a window: the client acknowledges the block before
 * it, and the server sends again from the lost one (RFC 7440). */
START_TEST(test_window_partial_ack)
{
	struct fake f = { .policy = LOSE_BLOCK, .lose = 1, .lose_block = 44 };
	struct psep_job job;
	struct psep_result res;

	/* rounds begin at blocks 1, 4, 10, 18, 26, 34, 42, 50 */
	oack_job(&job, TFTP_OP_RRQ, 8);
	run_read(&f, &job, 64 * 512, &res);
	ck_assert_uint_eq(res.status, PSEP_OK);
	ck_assert_int_eq(f.corrupt, 0);
	ck_assert_uint_eq(res.bytes, 64 * 512);
	/* No timer was needed: the partial ACK said where to restart. */
	ck_assert_uint_gt(res.retransmits, 0);
	ck_assert_uint_lt(res.duration_usec, 1000000);
	free(f.got);
}
END_TEST

/* The first block of a window lost: the client's ACKs are duplicates of
 * the previous one, which must not trigger a resend; the timer does. */
START_TEST(test_window_first_block_lost)
{
	struct fake f = { .policy = LOSE_BLOCK, .lose = 1, .lose_block = 34 };
	struct psep_job job;
	struct psep_result res;

	/* the first block of a round: 1, 4, 10, 18, 26, 34 */
	oack_job(&job, TFTP_OP_RRQ, 8);
	run_read(&f, &job, 64 * 512, &res);
	ck_assert_uint_eq(res.status, PSEP_OK);
	ck_assert_int_eq(f.corrupt, 0);
	ck_assert_uint_ge(res.duration_usec, 1000000);
	free(f.got);
}
END_TEST

/*
 * An EDK2 receiver acknowledges every block out of order: a lost block in
 * a window of 16 brings up to 15 duplicate ACKs. They are one event: no
 * resend for any of them (the timer resends), and the window is cut once.
 */
START_TEST(test_duplicate_run_one_event)
{
	struct fake f = { .policy = LOSE_BLOCK, .lose = 1, .lose_block = 38 };
	struct psep_job job;
	struct psep_result res;

	/* the first block of a round: 1, 4, 10, 22, 38 */
	oack_job(&job, TFTP_OP_RRQ, 16);
	run_read(&f, &job, 200 * 512, &res);
	ck_assert_uint_eq(res.status, PSEP_OK);
	ck_assert_int_eq(f.corrupt, 0);
	/* Nothing went out again before the timer ran out (1 s)... */
	ck_assert_uint_ge(f.lose_block_resent_us, 1000000);
	/* ...and then the window once more, the timer's two copies, and a copy
	 * per round until cwnd is back to the window: not a window per
	 * duplicate. */
	ck_assert_uint_le(res.retransmits, 16 + 2 + 3 + 16);
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
	oack_job(&job, TFTP_OP_RRQ, 8);
	job.blksize = 64;
	job.mode = TFTP_MODE_NETASCII;
	f.file = file;
	f.file_len = n;
	f.got = malloc(12000);
	f.lose = 1;
	f.lose_block = 30; /* and a go-back, over encoded blocks */
	f.policy = LOSE_BLOCK;
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

/* A whole window and its resends lost: the server holds; the client's own
 * timer then repeats its last ACK, a duplicate, which wakes the server
 * before its next slow resend. */
START_TEST(test_hold_woken_by_client_timer)
{
	/* The fourth round (sends 25..40) and its two quick resends (17 sends
	 * each) are lost. */
	struct fake f = { .policy = ACK_WINDOW, .drop_from = 25, .drop_count = 50,
			  .client_timer_us = 5000000 };
	struct psep_job job;
	struct psep_result res;

	oack_job(&job, TFTP_OP_RRQ, 16);
	job.retries = 2;
	run_read(&f, &job, 64 * 512, &res);
	ck_assert_uint_eq(res.status, PSEP_OK);
	ck_assert_int_eq(f.corrupt, 0);
	ck_assert_uint_ge(res.duration_usec, 5000000);
	ck_assert_uint_lt(res.duration_usec, 7000000);
	free(f.got);
}
END_TEST

/*
 * An atftp-like client: one extra ACK for blocks out of order until one
 * comes in order, and a 5 s timer that every packet restarts.
 */
static const struct atftp_case {
	const char *what;
	unsigned ack_drop_from, ack_drop_count; /* ACKs lost */
	unsigned ack_drop2_from, ack_drop2_count; /* and more */
	unsigned drop_from, drop_count;         /* DATA sends lost */
	size_t len;
	bool client_timer;                      /* only its own timer can help */
} atftp_cases[] = {
	/* A window's ACK lost: the timer's copy draws the extra ACK. */
	{ "ack lost", 4, 1, 0, 0, 0, 0, 100 * 512, false },
	/* Blocks lost: the extra ACK says where; the window goes back. */
	{ "blocks lost", 0, 0, 0, 0, 30, 3, 100 * 512 + 100, false },
	/* In a round short of the window, the window's ACK and the extra
	 * ACK lost: the next new block, in order, draws one more. */
	{ "two acks lost in slow start", 4, 2, 0, 0, 0, 0, 100 * 512 + 7, false },
	/* A whole window's ACK and the extra ACK lost before any other loss:
	 * the window is full, nothing may go beyond it, so only the client's
	 * timer ends it. */
	{ "ack and extra ack lost", 7, 2, 0, 0, 0, 0, 100 * 512 + 7, true },
	/* Once the path has lost something, rounds leave room in the window
	 * for new blocks: three ACKs lost in a row cost no client timer. */
	{ "three acks lost on a lossy path", 5, 1, 10, 3, 0, 0, 100 * 512 + 7, false },
};

START_TEST(test_atftp_losses)
{
	const struct atftp_case *c = &atftp_cases[_i];
	struct fake f = { .policy = ATFTP, .ack_drop_from = c->ack_drop_from,
			  .ack_drop_count = c->ack_drop_count, .ack_drop2_from = c->ack_drop2_from,
			  .ack_drop2_count = c->ack_drop2_count, .drop_from = c->drop_from,
			  .drop_count = c->drop_count, .client_timer_us = 5000000 };
	struct psep_job job;
	struct psep_result res;

	oack_job(&job, TFTP_OP_RRQ, 16);
	run_read(&f, &job, c->len, &res);
	ck_assert_msg(res.status == PSEP_OK, "%s: status %u", c->what, res.status);
	ck_assert_int_eq(f.corrupt, 0);
	ck_assert_uint_eq(res.bytes, c->len);
	ck_assert_uint_eq(res.blocks, c->len / 512 + 1);
	if (c->client_timer)
		ck_assert_msg(res.duration_usec >= 5000000, "%s: took %llu us", c->what,
			      (unsigned long long)res.duration_usec);
	else
		ck_assert_msg(res.duration_usec < 5000000, "%s: took %llu us", c->what,
			      (unsigned long long)res.duration_usec);
	free(f.got);
}
END_TEST

/* A receiver that ignores duplicates (U-Boot, node-tftp) is slow in slow
 * start, through its own timer, but served, and never beyond the window. */
START_TEST(test_deaf_client_served)
{
	struct fake f = { .policy = WINDOW_DEAF, .client_timer_us = 3000000 };
	struct psep_job job;
	struct psep_result res;

	oack_job(&job, TFTP_OP_RRQ, 8);
	job.rto_max_ms = 8000; /* resends at 1 and 3 s: its timer speaks at 6 s */
	run_read(&f, &job, 64 * 512, &res);
	ck_assert_uint_eq(res.status, PSEP_OK);
	ck_assert_int_eq(f.corrupt, 0);
	free(f.got);
}
END_TEST

/* With the initial window as large as the window, whole windows go out
 * from the start (for receivers that only acknowledge whole windows). */
START_TEST(test_initial_window_whole)
{
	struct fake f = { .policy = WINDOW_DEAF };
	struct psep_job job;
	struct psep_result res;

	oack_job(&job, TFTP_OP_RRQ, 16);
	job.initial_window = 16;
	run_read(&f, &job, 64 * 512, &res);
	ck_assert_uint_eq(res.status, PSEP_OK);
	ck_assert_uint_eq(res.retransmits, 0);
	ck_assert_uint_lt(res.duration_usec, 1000000);
	free(f.got);
}
END_TEST

/* The monitor sent the first packet and the client's answer waits: the
 * child goes on from there, sending neither the OACK nor DATA 1 again. */
START_TEST(test_first_packet_by_monitor)
{
	struct fake f = { .policy = ACK_ALL };
	struct psep_job job;
	struct psep_result res;

	if (_i == 0)
		make_job(&job, TFTP_OP_RRQ, 512, 1);
	else
		oack_job(&job, TFTP_OP_RRQ, 4);
	f.now = 1000;
	job.first_sent_usec = 900;
	f.file = make_file(3000);
	f.file_len = 3000;
	f.got = malloc(8000);
	fake_init(&f, &job);
	if (_i == 0) {
		f.expect = 2; /* the client has DATA 1 */
		memcpy(f.got, f.file, 512);
		f.received = 512;
		enqueue_ack(&f, 1);
	} else {
		enqueue_ack(&f, 0);
	}
	run(&f, &job, &res);
	ck_assert_uint_eq(res.status, PSEP_OK);
	ck_assert_uint_eq(f.oack_sends, 0);
	ck_assert_uint_eq(f.data_sends, _i == 0 ? 5 : 6);
	ck_assert_mem_eq(f.got, f.file, 3000);
	ck_assert_uint_eq(res.rtt_usec > 0, 1);
	free((void *)f.file);
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
	if (res->status == PSEP_OK && job->mode == TFTP_MODE_OCTET) {
		ck_assert_uint_eq(f->written_len, len);
		ck_assert_mem_eq(f->written, data, len);
	}
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
	ck_assert_int_eq(f.synced, 1);
	ck_assert_int_eq(f.final_acked, 1);
	ck_assert_uint_eq(res.retransmits, 0);
	/* ACK 0, one ACK per window, and the final one. */
	ck_assert_uint_le(f.sends, 1 + (len / 512 + 1 + window - 1) / window + 1);
}
END_TEST

/*
 * tftpc's jobs (TRANSFER_JOB_CLIENT). A put is the read engine, and the
 * server answered its request already: the first round is the initial
 * window, not DATA 1 alone, and after the retries it gives up, without
 * the hold (_i: with the flag, then without, for contrast).
 */
START_TEST(test_client_job_sender)
{
	struct fake f = { .policy = SILENT };
	struct psep_job job;
	struct psep_result res;

	make_job(&job, TFTP_OP_RRQ, 512, 64);
	job.timeout_ms = job.rto_min_ms = 10;
	job.rto_max_ms = 1000;
	job.retries = 4;
	if (_i == 0)
		job.flags = TRANSFER_JOB_CLIENT;
	run_read(&f, &job, 100000, &res);
	ck_assert_uint_eq(res.status, PSEP_TIMEOUT);
	if (_i == 0) {
		/* initial window 4: three blocks and the copy of the first,
		 * then each probe carries one more block (send_probe) */
		ck_assert_uint_eq(f.data_hi, 3 + job.retries);
		ck_assert_uint_lt(res.duration_usec, 1000000);
	} else {
		ck_assert_uint_eq(f.data_hi, 1);
	}
	free(f.got);
}
END_TEST

/* A get is the write engine: it ends at the final ACK, where the server's
 * child lingers to answer a resent last block (_i as above). */
START_TEST(test_client_job_no_dally)
{
	struct fake f = { 0 };
	struct psep_job job;
	struct psep_result res;

	make_job(&job, TFTP_OP_WRQ, 512, 1);
	if (_i == 0)
		job.flags = TRANSFER_JOB_CLIENT;
	run_write(&f, &job, 5000, &res);
	ck_assert_uint_eq(res.status, PSEP_OK);
	ck_assert_int_eq(f.final_acked, 1);
	if (_i == 0)
		ck_assert_uint_le(f.now, res.duration_usec + 1000);
	else
		ck_assert_uint_ge(f.now, res.duration_usec + 1000000);
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

/*
 * The client sends one block less than the window and waits: the server's
 * timer acknowledges what it has (RFC 7440), and writes it out first, so
 * the buffer never holds more than a window. This overflowed the heap
 * when the gathered bytes were kept across the timeout.
 */
START_TEST(test_upload_short_windows)
{
	struct fake f = { .upload_per_ack = 7 };
	struct psep_job job;
	struct psep_result res;

	make_job(&job, TFTP_OP_WRQ, 512, 8);
	job.timeout_ms = job.rto_min_ms = job.rto_max_ms = 10;
	run_write(&f, &job, 100 * 512 + 3, &res);
	ck_assert_uint_eq(res.status, PSEP_OK);
	ck_assert_uint_eq(res.bytes, 100 * 512 + 3);
	ck_assert_int_eq(f.final_acked, 1);
}
END_TEST

/* An upload of 100 blocks and 3 bytes with an adaptive timer that starts
 * at 1 ms, by a sender that pauses or loses blocks as f says; it must
 * succeed. */
static void run_adaptive_upload(struct fake *f, uint32_t window, struct psep_result *res)
{
	struct psep_job job;

	make_job(&job, TFTP_OP_WRQ, 512, window);
	job.timeout_ms = job.rto_min_ms = 1;
	job.rto_max_ms = 5000;
	run_write(f, &job, 100 * 512 + 3, res);
	ck_assert_uint_eq(res->status, PSEP_OK);
}

/* A lock-step sender that pauses for 800 ms between two blocks gets no
 * duplicate ACK: it resends a lost DATA itself, and some take a duplicate
 * ACK for a request to resend and go on unacknowledged. */
START_TEST(test_upload_lockstep_pause)
{
	struct fake f = { .pause_after = 30, .pause_us = 800000 };
	struct psep_result res;

	run_adaptive_upload(&f, 1, &res);
	ck_assert_uint_eq(f.pause_acks, 0);
	ck_assert_uint_eq(res.retransmits, 0);
}
END_TEST

/* A windowed sender that pauses for 300 ms between two windows: our timer
 * says where to go on (its window may have been lost whole), first after
 * 20 ms and then backing off: 20, 40, 80, 160 ms apart, at most 4. */
START_TEST(test_upload_window_pause_backoff)
{
	struct fake f = { .pause_after = 32, .pause_us = 300000 };
	struct psep_result res;

	run_adaptive_upload(&f, 8, &res);
	ck_assert_uint_ge(f.pause_acks, 1);
	ck_assert_uint_le(f.pause_acks, 4);
}
END_TEST

/* A sender whose windows come 7 blocks of 8 (the eighth lost each time)
 * is told soon where to go on: 100 blocks in 15 rounds well within a
 * second, each partial window acknowledged after 20 ms, not the second of
 * a repeated ACK. */
START_TEST(test_upload_partial_windows_soon)
{
	struct fake f = { .upload_per_ack = 7 };
	struct psep_result res;

	run_adaptive_upload(&f, 8, &res);
	ck_assert_uint_ge(f.now, 14 * 20000);
	ck_assert_uint_lt(f.now, 1000000);
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
	struct fake f = { .report_answer = TFTP_ERR_EXISTS };
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

/* The monitor stores the file and acknowledges it itself: the engine
 * sends nothing after its report. */
START_TEST(test_upload_ack_deferred)
{
	struct fake f = { .report_answer = TRANSFER_ACK_DEFERRED };
	struct psep_job job;
	struct psep_result res;

	make_job(&job, TFTP_OP_WRQ, 512, 4);
	run_write(&f, &job, 5000, &res);
	ck_assert_uint_eq(res.status, PSEP_OK);
	ck_assert_uint_eq(res.blocks, 10);
	ck_assert_int_eq(f.final_acked, 0);
	ck_assert_uint_eq(f.error_sends, 0);
	ck_assert_int_eq(f.synced, 1);
}
END_TEST

/* DATA 1 waits in the socket, the monitor sent ACK 0. */
START_TEST(test_upload_first_by_monitor)
{
	struct fake f = { 0 };
	struct psep_job job;
	struct psep_result res;
	uint8_t *data = make_file(2000);

	make_job(&job, TFTP_OP_WRQ, 512, 1);
	job.first_sent_usec = 5;
	f.now = 10;
	f.policy = UPLOADER;
	f.upload = data;
	f.upload_len = 2000;
	f.written = calloc(1, 4016);
	fake_init(&f, &job);
	upload_window(&f, 1);
	run(&f, &job, &res);
	ck_assert_uint_eq(res.status, PSEP_OK);
	ck_assert_uint_eq(f.written_len, 2000);
	ck_assert_mem_eq(f.written, data, 2000);
	/* ACKs 1 to 4: no ACK 0 from the child */
	ck_assert_uint_eq(f.sends, 4);
	free(data);
	free(f.written);
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
	TCase *win = tcase_create("window");
	TCase *wr = tcase_create("wrq");

	tcase_set_timeout(rd, 60);
	tcase_add_loop_test(rd, test_sizes, 0, sizeof(sizes) / sizeof(sizes[0]));
	tcase_add_loop_test(rd, test_lockstep_losses, 0,
			    sizeof(lockstep_cases) / sizeof(lockstep_cases[0]));
	tcase_add_test(rd, test_duplicate_acks_no_sorcerer);
	tcase_add_test(rd, test_stale_acks_ignored);
	tcase_add_loop_test(rd, test_silent_client_bounded, 0, 4);
	tcase_add_test(rd, test_retries_then_hold);
	tcase_add_test(rd, test_deadline);
	tcase_add_loop_test(rd, test_rollover_twice, 0, 4);
	tcase_add_test(rd, test_client_error_midway);
	tcase_add_test(rd, test_resent_request_answered);
	tcase_add_test(rd, test_unreachable_ends);
	tcase_add_test(rd, test_oack_then_data);
	tcase_add_test(rd, test_probe_after_oack);
	tcase_add_test(rd, test_other_error_after_oack);
	tcase_add_test(rd, test_oack_resent_once_late);
	tcase_add_test(rd, test_netascii_read);
	tcase_add_test(rd, test_refuses_bad_job);
	tcase_add_loop_test(rd, test_first_packet_by_monitor, 0, 2);
	suite_add_tcase(s, rd);

	tcase_set_timeout(win, 60);
	tcase_add_test(win, test_window_slow_start);
	tcase_add_test(win, test_window_opens_after_first_ack);
	tcase_add_test(win, test_blind_ack_bounded);
	tcase_add_test(win, test_window_partial_ack);
	tcase_add_test(win, test_window_first_block_lost);
	tcase_add_test(win, test_duplicate_run_one_event);
	tcase_add_test(win, test_hold_woken_by_client_timer);
	tcase_add_loop_test(win, test_atftp_losses, 0,
			    sizeof(atftp_cases) / sizeof(atftp_cases[0]));
	tcase_add_test(win, test_deaf_client_served);
	tcase_add_test(win, test_initial_window_whole);
	suite_add_tcase(s, win);

	tcase_set_timeout(wr, 60);
	tcase_add_loop_test(wr, test_upload, 0, 10);
	tcase_add_loop_test(wr, test_upload_rollover, 0, 2);
	tcase_add_test(wr, test_upload_short_windows);
	tcase_add_test(wr, test_upload_lockstep_pause);
	tcase_add_test(wr, test_upload_window_pause_backoff);
	tcase_add_test(wr, test_upload_partial_windows_soon);
	tcase_add_test(wr, test_upload_too_large);
	tcase_add_test(wr, test_upload_disk_full);
	tcase_add_test(wr, test_upload_silent_client);
	tcase_add_test(wr, test_upload_not_stored);
	tcase_add_test(wr, test_upload_ack_deferred);
	tcase_add_test(wr, test_upload_first_by_monitor);
	tcase_add_test(wr, test_upload_netascii);
	tcase_add_loop_test(wr, test_client_job_sender, 0, 2);
	tcase_add_loop_test(wr, test_client_job_no_dally, 0, 2);
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
