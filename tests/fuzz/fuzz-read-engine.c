/*
 * fuzz-read-engine.c - the read engine (transfer-read.c) as a state
 * machine, against a client the fuzz input scripts.
 *
 * Each time the engine waits, the script says what the client does: ACK
 * the last block it holds in order (what a client does), ACK any number,
 * send garbage or an ERROR or the request again, or stay silent until the
 * timer runs out. The client keeps what comes in order, as a real one does.
 *
 * Checked on every step:
 * - RFC 7440: no DATA block beyond the highest block the client
 *   acknowledged + windowsize; none before the OACK is acknowledged, and
 *   without an OACK nothing but DATA 1 before the first ACK;
 * - every DATA block holds the file's bytes at its place (octet), and the
 *   last one is the only short one;
 * - sends are bounded by what the client did: at most a window and a few
 *   more per event;
 * - the engine ends, by its deadline, and reports once; a transfer
 *   reported ok had its last block acknowledged;
 * - read as a stream (a relayed body in a pipe), the engine asks only for
 *   the next offset (fuzz-engine.h aborts otherwise), and a stream cut
 *   short is never reported ok.
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

#define FILE_MAX 20000

struct client {
	struct script s;
	const struct psep_job *job;
	uint8_t file[FILE_MAX];
	size_t file_len;
	uint64_t now;
	uint64_t have;          /* blocks held in order */
	bool oack_acked;        /* ACK 0 sent */
	bool answered;          /* anything sent back */
	uint64_t acked_hi;      /* highest DATA block it acknowledged */
	uint64_t data_hi;       /* highest DATA block the engine sent */
	uint64_t sends, events;
	int reports;
	struct psep_result report;
	uint8_t pending[1100];  /* what the client sends next */
	size_t pending_len;
	bool queued;            /* pending waits already (the monitor's case) */
	bool stream;            /* the file comes through a pipe, in order */
	bool cut;               /* ..and ends before the size announced */
	struct file_stream st;
};

static uint64_t wire_to_index(const struct client *c, uint16_t block)
{
	/* Files stay below 65536 blocks, so numbers never wrap. */
	(void)c;
	return block;
}

static void check_data(struct client *c, const uint8_t *buf, size_t len)
{
	uint64_t index;
	size_t payload = len - TFTP_DATA_HDR, blk = c->job->blksize;

	CHECK(len >= TFTP_DATA_HDR && payload <= blk);
	index = wire_to_index(c, (uint16_t)(buf[2] << 8 | buf[3]));
	CHECK(index >= 1);
	/* RFC 2347: nothing before ACK 0 answers the OACK. */
	CHECK(c->job->oack_len == 0 || c->oack_acked);
	/* RFC 7440 4: never beyond the last ACK + windowsize; RFC 1350:
	 * before any answer only DATA 1. */
	CHECK(index <= c->acked_hi + c->job->windowsize);
	if (!c->answered)
		CHECK(index == 1);
	if (index > c->data_hi)
		c->data_hi = index;
	if (c->job->mode == TFTP_MODE_OCTET) {
		uint64_t off = (index - 1) * blk;
		size_t want = off >= c->file_len ? 0 : c->file_len - off;

		if (want > blk)
			want = blk;
		CHECK(payload == want);
		CHECK(memcmp(buf + TFTP_DATA_HDR, c->file + off, payload) == 0);
	}
	if (index == c->have + 1) {
		c->have++;
		if (payload < blk)
			c->have = UINT64_MAX / 2; /* the client has it all */
	}
}

static void count_send(struct client *c)
{
	c->sends++;
	/* A round is at most a window; a probe a window, one more and a
	 * copy; the monitor's or a resent request's first packet one more. */
	CHECK(c->sends <= (c->events + 2) * ((uint64_t)c->job->windowsize + 3));
}

static int io_send(void *ctx, const uint8_t *buf, size_t len)
{
	struct client *c = ctx;
	int op = tftp_pkt_opcode(buf, len);

	CHECK(c->reports == 0 || op == TFTP_OP_ERROR);
	count_send(c);
	if (op == TFTP_OP_DATA)
		check_data(c, buf, len);
	else
		CHECK(op == TFTP_OP_OACK || op == TFTP_OP_ERROR);
	return 0;
}

static int io_send_batch(void *ctx, const uint8_t *buf, size_t len, size_t seg)
{
	while (len > 0) {
		size_t n = len < seg ? len : seg;

		io_send(ctx, buf, n);
		buf += n;
		len -= n;
	}
	return 0;
}

static uint64_t have_ack(const struct client *c)
{
	uint64_t have = c->have;

	if (have >= UINT64_MAX / 2) /* the last block */
		have = c->data_hi;
	return have;
}

/* Whatever the client sends, read as the engine reads it (the codec):
 * an ACK moves what the bounds allow. */
static void note_sent(struct client *c)
{
	uint16_t block;

	if (tftp_pkt_opcode(c->pending, c->pending_len) != TFTP_OP_ACK ||
	    tftp_pkt_parse_ack(c->pending, c->pending_len, &block) < 0)
		return;
	if (block == 0)
		c->oack_acked = true;
	else if (block <= c->data_hi && block > c->acked_hi)
		c->acked_hi = block; /* what the engine may count */
}

static void make_ack(struct client *c, uint64_t index)
{
	tftp_pkt_build_ack(c->pending, sizeof(c->pending), (uint16_t)index);
	c->pending_len = TFTP_ACK_LEN;
}

/* What the client sends next, from the script; false: silence. */
static bool client_step(struct client *c)
{
	uint8_t what = script_byte(&c->s);

	if (c->s.left == 0 && what == 0)
		return false;
	switch (what % 8) {
	case 0:
		return false; /* silence: the timer runs out */
	case 1:
	case 2:
	case 3: /* what a client does: ACK what it holds (ACK 0 to an OACK) */
		if (c->job->oack_len > 0 && !c->oack_acked)
			make_ack(c, 0);
		else
			make_ack(c, have_ack(c));
		break;
	case 4: /* any ACK at all */
		make_ack(c, script_u16(&c->s) % (c->data_hi + 3));
		break;
	case 5: /* any bytes, but not an ACK: case 4 already acknowledges
		 * any number */
		c->pending_len = script_noise(&c->s, c->pending, TFTP_OP_ACK, TFTP_OP_DATA);
		break;
	case 6: /* the request again */
		c->pending_len = request_again(c->pending, TFTP_OP_RRQ);
		break;
	default: /* an ERROR, rarely */
		if (script_byte(&c->s) < 16) {
			c->pending_len = (size_t)tftp_pkt_build_error(c->pending, sizeof(c->pending),
								  TFTP_ERR_UNDEF, "bye");
		} else {
			make_ack(c, have_ack(c));
		}
		break;
	}
	c->answered = true;
	return true;
}

static ssize_t io_recv(void *ctx, uint8_t *buf, size_t size, uint64_t deadline_us)
{
	struct client *c = ctx;

	CHECK(c->now <= engine_time_limit(c->job));
	c->events++; /* every wait lets the engine send a round again */
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
	note_sent(c);
	memcpy(buf, c->pending, c->pending_len);
	return (ssize_t)c->pending_len;
}

static ssize_t io_readv(void *ctx, const struct iovec *iov, int iovcnt, uint64_t off)
{
	struct client *c = ctx;
	size_t done = 0;

	for (int i = 0; i < iovcnt; i++) {
		size_t n = iov[i].iov_len;

		if (off + done >= c->file_len)
			break;
		if (n > c->file_len - (off + done))
			n = c->file_len - (off + done);
		memcpy(iov[i].iov_base, c->file + off + done, n);
		done += n;
		if (n < iov[i].iov_len)
			break;
	}
	return (ssize_t)done;
}

static ssize_t io_stream_readv(void *ctx, const struct iovec *iov, int iovcnt, uint64_t off)
{
	struct client *c = ctx;
	ssize_t n = stream_readv(&c->st, iov, iovcnt, off);

	/* A whole stream read in order never fails. */
	CHECK(n >= 0 || c->cut);
	return n;
}

static int io_write(void *ctx, const uint8_t *buf, size_t len, uint64_t off)
{
	(void)ctx, (void)buf, (void)len, (void)off;
	abort(); /* a download never writes */
}

static int io_sync(void *ctx)
{
	(void)ctx;
	abort();
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
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct client c;
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
	script_job(&c.s, &job, TFTP_OP_RRQ);
	c.job = &job;
	c.file_len = script_pick(&c.s, 0, FILE_MAX);
	for (size_t i = 0; i < c.file_len; i++)
		c.file[i] = (uint8_t)(i * 31 + (i >> 8));
	/* A byte past the old inputs' end: they keep reading a file. */
	switch (script_byte(&c.s) % 4) {
	case 1:
		c.stream = true;
		stream_open(&c.st, c.file, c.file_len, c.file_len);
		break;
	case 2:
		/* announced one byte more (or more) than it carries */
		c.stream = c.cut = true;
		stream_open(&c.st, c.file, c.file_len, c.file_len + script_pick(&c.s, 1, 3000));
		break;
	default:
		break;
	}
	if (c.stream)
		io.readv = io_stream_readv;
	/* tftpc: the server answered its request (OACK or ACK 0) before
	 * the engine starts. */
	if (job.flags & TRANSFER_JOB_CLIENT)
		c.answered = true;
	/* The monitor sent the first packet and the answer waits. */
	if (job.first_sent_usec != 0) {
		c.now = 2;
		c.answered = true;
		if (job.oack_len > 0) {
			make_ack(&c, 0);
		} else {
			c.data_hi = 1;
			c.have = c.file_len < job.blksize ? UINT64_MAX / 2 : 1;
			make_ack(&c, 1);
		}
		c.queued = true;
	}
	bufsize = transfer_buffer_size(&job);
	buf = malloc(bufsize);
	CHECK(buf);
	CHECK(transfer_run(&job, &io, buf, bufsize, &res) == 0);
	free(buf);
	if (c.stream)
		close(c.st.fd);
	/* Fewer bytes than promised: an error, never a short file. */
	if (c.cut)
		CHECK(res.status != PSEP_OK);
	CHECK(c.reports == 1);
	CHECK(memcmp(&c.report, &res, sizeof(res)) == 0);
	CHECK(res.status <= PSEP_STATUS_MAX);
	/* Done only when the last block, the highest sent, was acknowledged. */
	if (res.status == PSEP_OK)
		CHECK(c.data_hi > 0 && c.acked_hi == c.data_hi);
	return 0;
}
