/*
 * fuzz-write-engine.c - the write engine (transfer-write.c) as a state
 * machine, against an uploading client the fuzz input scripts.
 *
 * Each time the engine waits, the script says what the client sends: the
 * block after the last one acknowledged, the next block it has not sent
 * yet, a block again, any block number, a short block, garbage, an ERROR,
 * the request again, or nothing until the timer runs out. The disk may
 * fail, and the monitor's answer to the report is scripted too.
 *
 * Checked on every step:
 * - the file is written in order, each byte once, and (octet) holds
 *   exactly the data the client sent, in order; no write past the upload
 *   limit;
 * - an ACK never names a block the engine did not receive in order;
 * - sends are bounded by what the client did;
 * - the engine ends, by its deadline, and reports once; an upload reported
 *   ok was made durable first and is the whole of what the client sent up
 *   to its short block; after a deferred report nothing is sent.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-engine.h"
#include "tftp-packet.h"

#define UPLOAD_MAX 20000
#define WRITTEN_MAX (2 * UPLOAD_MAX + 16)

struct client {
	struct script s;
	const struct psep_job *job;
	size_t upload_len;
	uint64_t blocks;         /* the upload's blocks; the last one short */
	uint64_t now;
	uint64_t acked;          /* the highest block the engine acknowledged */
	uint64_t sent_hi;        /* the highest block the client sent */
	uint64_t in_order;       /* blocks the engine can have received in order */
	uint64_t end_off;        /* where the data sent in order ended (a short block) */
	bool ended;
	uint64_t sends, events;
	uint8_t written[WRITTEN_MAX];
	size_t written_len;
	int fail_write;          /* -errno for the next write, once */
	bool synced;
	int reports;
	int report_answer;
	bool deferred;
	struct psep_result report;
	uint8_t pending[1500];
	size_t pending_len;
	bool queued;
};

static uint8_t byte_at(uint64_t off)
{
	return (uint8_t)(off * 13 + (off >> 7));
}

static size_t block_len(const struct client *c, uint64_t index)
{
	uint64_t off = (index - 1) * c->job->blksize;

	if (off >= c->upload_len)
		return 0;
	return c->upload_len - off < c->job->blksize ? c->upload_len - off : c->job->blksize;
}

/* DATA for block index, at most max bytes of it. */
static void make_data(struct client *c, uint64_t index, size_t max)
{
	size_t len = index >= 1 && index <= c->blocks ? block_len(c, index) : 0;
	uint64_t off = (index - 1) * c->job->blksize;

	if (len > max)
		len = max;
	tftp_pkt_put_data_header(c->pending, TFTP_DATA_HDR, (uint16_t)index);
	for (size_t i = 0; i < len; i++)
		c->pending[TFTP_DATA_HDR + i] = byte_at(off + i);
	c->pending_len = TFTP_DATA_HDR + len;
	if (index > c->sent_hi && index <= c->blocks)
		c->sent_hi = index;
	/* In order for the engine: the next after all it may hold. A short
	 * one ends the upload, whatever the client meant. */
	if (index == c->in_order + 1 && index <= c->blocks && !c->ended) {
		c->in_order = index;
		if (len < c->job->blksize) {
			c->ended = true;
			c->end_off = off + len;
		}
	}
}

static void count_send(struct client *c)
{
	c->sends++;
	CHECK(c->sends <= (c->events + 2) * 3);
}

static int io_send(void *ctx, const uint8_t *buf, size_t len)
{
	struct client *c = ctx;
	int op = tftp_pkt_opcode(buf, len);
	uint16_t block;

	CHECK(!c->deferred);
	count_send(c);
	if (op == TFTP_OP_ACK) {
		CHECK(tftp_pkt_parse_ack(buf, len, &block) == 0);
		/* Never an ACK for data not received in order. */
		CHECK(block <= c->in_order);
		if (block > c->acked)
			c->acked = block;
		return 0;
	}
	CHECK(op == TFTP_OP_OACK || op == TFTP_OP_ERROR);
	return 0;
}

static int io_send_batch(void *ctx, const uint8_t *buf, size_t len, size_t seg)
{
	(void)ctx, (void)buf, (void)len, (void)seg;
	abort(); /* the receiver sends one ACK at a time */
}

/* What the client sends next, from the script; false: silence. */
static bool client_step(struct client *c)
{
	uint8_t what = script_byte(&c->s);

	if (c->s.left == 0 && what == 0)
		return false;
	switch (what % 10) {
	case 0:
		return false;
	case 1:
	case 2:
	case 3: /* what a client does: the next block it has not sent */
		make_data(c, c->sent_hi + 1 <= c->blocks ? c->sent_hi + 1 : c->blocks, SIZE_MAX);
		break;
	case 4: /* go back to the block after the last ACK */
		make_data(c, c->acked + 1 <= c->blocks ? c->acked + 1 : c->blocks, SIZE_MAX);
		break;
	case 5: { /* any block number, and any length */
		uint64_t index = script_u16(&c->s) % (c->blocks + 3);

		make_data(c, index, script_pick(&c->s, 0, c->job->blksize));
		break;
	}
	case 6: /* any bytes, but not DATA: a DATA block the model did not
		 * make would be data the engine must write, and case 5
		 * already sends any block of any length */
		c->pending_len = script_noise(&c->s, c->pending, TFTP_OP_DATA, TFTP_OP_ACK);
		break;
	case 7: /* the request again */
		c->pending_len = request_again(c->pending, TFTP_OP_WRQ);
		break;
	case 8: /* the disk fails at the next write */
		c->fail_write = (script_byte(&c->s) & 1) ? -ENOSPC : -EIO;
		return false;
	default:
		if (script_byte(&c->s) < 16) {
			c->pending_len = (size_t)tftp_pkt_build_error(c->pending, sizeof(c->pending),
								  TFTP_ERR_UNDEF, "bye");
		} else {
			make_data(c, c->sent_hi + 1 <= c->blocks ? c->sent_hi + 1 : c->blocks,
				  SIZE_MAX);
		}
		break;
	}
	return true;
}

static ssize_t io_recv(void *ctx, uint8_t *buf, size_t size, uint64_t deadline_us)
{
	struct client *c = ctx;

	CHECK(c->now <= engine_time_limit(c->job));
	c->events++;
	if (c->queued) {
		c->queued = false;
	} else if (!client_step(c)) {
		if (deadline_us > c->now)
			c->now = deadline_us;
		return -ETIMEDOUT;
	}
	c->now += script_pick(&c->s, 0, 3000);
	if (c->pending_len > size)
		c->pending_len = size;
	memcpy(buf, c->pending, c->pending_len);
	return (ssize_t)c->pending_len;
}

static ssize_t io_readv(void *ctx, const struct iovec *iov, int iovcnt, uint64_t off)
{
	(void)ctx, (void)iov, (void)iovcnt, (void)off;
	abort(); /* an upload never reads */
}

static int io_write(void *ctx, const uint8_t *buf, size_t len, uint64_t off)
{
	struct client *c = ctx;

	CHECK(!c->synced && c->reports == 0);
	if (c->fail_write) {
		int e = c->fail_write;

		c->fail_write = 0;
		return e;
	}
	/* In order, each byte once, never past the limit. */
	CHECK(off == c->written_len);
	CHECK(off + len <= WRITTEN_MAX);
	if (c->job->max_size != 0)
		CHECK(off + len <= c->job->max_size);
	memcpy(c->written + off, buf, len);
	c->written_len += len;
	if (c->job->mode == TFTP_MODE_OCTET) {
		for (size_t i = 0; i < len; i++)
			CHECK(buf[i] == byte_at(off + i));
		CHECK(c->written_len <= (c->ended ? c->end_off : c->in_order * c->job->blksize));
	}
	return 0;
}

static int io_sync(void *ctx)
{
	((struct client *)ctx)->synced = true;
	return 0;
}

static uint64_t io_now(void *ctx)
{
	return ((struct client *)ctx)->now;
}

static int io_report(void *ctx, const struct psep_result *res)
{
	struct client *c = ctx;

	c->reports++;
	c->report = *res;
	if (res->status != PSEP_OK)
		return 0;
	CHECK(c->synced);
	if (c->report_answer == TRANSFER_ACK_DEFERRED)
		c->deferred = true;
	return c->report_answer;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct client c;
	static const int answers[] = { 0, TRANSFER_ACK_DEFERRED, TFTP_ERR_EXISTS, TFTP_ERR_NOSPACE };
	struct transfer_io io = {
		.ctx = &c, .send = io_send, .send_batch = io_send_batch, .recv = io_recv,
		.readv = io_readv, .write = io_write, .sync = io_sync, .now_us = io_now,
		.report = io_report,
	};
	struct psep_job job;
	struct psep_result res;
	size_t bufsize;
	uint8_t *buf;

	memset(&c, 0, sizeof(c));
	c.s = (struct script){ data, size };
	script_job(&c.s, &job, TFTP_OP_WRQ);
	if (script_byte(&c.s) & 1)
		job.max_size = script_pick(&c.s, 1, UPLOAD_MAX);
	c.job = &job;
	c.upload_len = script_pick(&c.s, 0, UPLOAD_MAX);
	c.blocks = c.upload_len / job.blksize + 1;
	c.report_answer = answers[script_byte(&c.s) % 4];
	/* The monitor sent ACK 0 (or the OACK) and DATA 1 waits. */
	if (job.first_sent_usec != 0) {
		c.now = 2;
		make_data(&c, 1, SIZE_MAX);
		c.queued = true;
	}
	bufsize = transfer_buffer_size(&job);
	buf = malloc(bufsize);
	CHECK(buf);
	CHECK(transfer_run(&job, &io, buf, bufsize, &res) == 0);
	free(buf);
	CHECK(c.reports == 1);
	CHECK(memcmp(&c.report, &res, sizeof(res)) == 0);
	CHECK(res.status <= PSEP_STATUS_MAX);
	if (res.status == PSEP_OK) {
		/* A short block came in order, and all before it. */
		CHECK(c.ended);
		if (job.mode == TFTP_MODE_OCTET) {
			CHECK(c.written_len == c.end_off);
			CHECK(res.bytes == c.end_off);
		}
	}
	return 0;
}
