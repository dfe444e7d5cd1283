/*
 * check-msg.c - the privsep message codec and fd passing.
 *
 * The wire offsets below are written out by hand from the format comment
 * in privsep/msg.c, so that a change of layout breaks these tests instead
 * of silently changing the protocol.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "msg.h"
#include "tftp-packet.h"

#define READY_LEN 12
#define JOB_LEN 594
#define RESULT_LEN 182
#define OFF_VERSION 0
#define OFF_TYPE 4
#define OFF_BODY_LEN 8
#define OFF_PEER_MESSAGE 54
#define OFF_OACK 82

static const char file_content[] = "hello, cloister";

/* ---- messages ---- */

static void make_ready(struct psep_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = PSEP_MSG_READY;
}

/* In range everywhere, with the limits the bound tests probe well inside. */
static void make_job(struct psep_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = PSEP_MSG_JOB;
	m->job.transfer_id = 0x11223344;
	m->job.opcode = TFTP_OP_RRQ;
	m->job.mode = TFTP_MODE_OCTET;
	m->job.blksize = 1428;
	m->job.windowsize = 16;
	m->job.timeout_ms = 1000;
	m->job.rto_min_ms = 200;
	m->job.rto_max_ms = 60000;
	m->job.retries = 5;
	m->job.deadline_s = 300;
	m->job.initial_window = 4;
	m->job.file_size = 0;
	m->job.max_size = 0;
}

static void make_result(struct psep_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = PSEP_MSG_RESULT;
	m->result.transfer_id = 0x11223344;
	m->result.status = PSEP_PEER_ERROR;
}

static void make(struct psep_msg *m, uint32_t type)
{
	if (type == PSEP_MSG_JOB)
		make_job(m);
	else if (type == PSEP_MSG_RESULT)
		make_result(m);
	else
		make_ready(m);
}

static int encode(const struct psep_msg *m, uint8_t *buf)
{
	return psep_msg_encode(m, buf, PSEP_MSG_MAX);
}

static void put_le(uint8_t *p, uint64_t v, size_t width)
{
	for (size_t i = 0; i < width; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, size_t width)
{
	uint64_t v = 0;

	for (size_t i = 0; i < width; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* Store v into a field of width bytes at offset off of *m. */
static void set_field(struct psep_msg *m, size_t off, size_t width, uint64_t v)
{
	uint8_t u8 = (uint8_t)v;
	uint16_t u16 = (uint16_t)v;
	uint32_t u32 = (uint32_t)v;
	const void *src = width == 1 ? (const void *)&u8 : width == 2 ? (const void *)&u16 :
			  width == 4 ? (const void *)&u32 : (const void *)&v;

	memcpy((char *)m + off, src, width);
}

/* Decode must fail with want and leave the output alone. */
static void assert_decode_fails(const uint8_t *buf, size_t len, int want)
{
	struct psep_msg out, canary;

	memset(&out, 0xa5, sizeof(out));
	memcpy(&canary, &out, sizeof(out));
	ck_assert_int_eq(psep_msg_decode(buf, len, &out), want);
	ck_assert_mem_eq(&out, &canary, sizeof(out));
}

/* ---- round trips ---- */

static void roundtrip(const struct psep_msg *m, int want_len)
{
	uint8_t buf[PSEP_MSG_MAX], again[PSEP_MSG_MAX];
	struct psep_msg out;

	ck_assert_int_eq(encode(m, buf), want_len);
	ck_assert_uint_eq(get_le(buf + OFF_VERSION, 4), PSEP_MSG_VERSION);
	ck_assert_uint_eq(get_le(buf + OFF_TYPE, 4), m->type);
	ck_assert_uint_eq(get_le(buf + OFF_BODY_LEN, 4), (uint64_t)want_len - READY_LEN);
	ck_assert_int_eq(psep_msg_decode(buf, (size_t)want_len, &out), 0);
	ck_assert_mem_eq(&out, m, sizeof(out));
	/* One encoding per message. */
	ck_assert_int_eq(encode(&out, again), want_len);
	ck_assert_mem_eq(again, buf, (size_t)want_len);
}

START_TEST(test_roundtrip_ready)
{
	struct psep_msg m;

	make_ready(&m);
	roundtrip(&m, READY_LEN);
}
END_TEST

START_TEST(test_roundtrip_job)
{
	static const uint8_t oack[] = "\0\6blksize\0" "1428\0tsize\0" "123456789012";
	uint8_t buf[PSEP_MSG_MAX];
	struct psep_msg m;

	make_job(&m);
	m.job.file_size = 123456789012;
	m.job.rollover = 1;
	m.job.mode = TFTP_MODE_NETASCII;
	m.job.oack_len = sizeof(oack);
	memcpy(m.job.oack, oack, sizeof(oack));
	roundtrip(&m, JOB_LEN);
	ck_assert_int_eq(encode(&m, buf), JOB_LEN);
	ck_assert_uint_eq(buf[12], 0x44); /* transfer_id, little-endian */
	ck_assert_uint_eq(buf[15], 0x11);
	ck_assert_uint_eq(get_le(buf + 64, 8), 123456789012);
	ck_assert_mem_eq(buf + OFF_OACK, oack, sizeof(oack));

	make_job(&m);
	m.job.opcode = TFTP_OP_WRQ;
	m.job.max_size = UINT64_MAX;
	m.job.oack_len = PSEP_OACK_MAX;
	memset(m.job.oack, 0xff, PSEP_OACK_MAX);
	roundtrip(&m, JOB_LEN);
}
END_TEST

START_TEST(test_roundtrip_result)
{
	uint8_t buf[PSEP_MSG_MAX];
	struct psep_msg m;

	make_result(&m);
	m.result.status = PSEP_PEER_ERROR;
	m.result.peer_error = TFTP_ERR_NOTFOUND;
	m.result.bytes = 1 << 20;
	m.result.blocks = 2049;
	m.result.retransmits = 7;
	m.result.duration_usec = 123456789;
	m.result.rtt_usec = 4242;
	strcpy(m.result.peer_message, "File not found ~");
	roundtrip(&m, RESULT_LEN);
	ck_assert_int_eq(encode(&m, buf), RESULT_LEN);
	ck_assert_uint_eq(get_le(buf + 20, 2), TFTP_ERR_NOTFOUND);
	ck_assert_uint_eq(get_le(buf + 50, 4), 4242);
	ck_assert_str_eq((const char *)buf + OFF_PEER_MESSAGE, "File not found ~");

	make_result(&m);
	m.result.status = PSEP_OK;
	memset(m.result.peer_message, 'x', PSEP_PEER_MSG_MAX - 1);
	roundtrip(&m, RESULT_LEN);
}
END_TEST

START_TEST(test_nfds)
{
	ck_assert_int_eq(psep_msg_nfds(PSEP_MSG_READY), 0);
	ck_assert_int_eq(psep_msg_nfds(PSEP_MSG_JOB), 2);
	ck_assert_int_eq(psep_msg_nfds(PSEP_MSG_RESULT), 0);
	ck_assert_int_eq(psep_msg_nfds(0), -EINVAL);
	ck_assert_int_eq(psep_msg_nfds(PSEP_MSG_TYPE_MAX + 1), -EINVAL);
	ck_assert_int_eq(psep_msg_nfds(UINT32_MAX), -EINVAL);
}
END_TEST

/* ---- every field at its edges, in encode and in decode ---- */

struct bound {
	const char *name;
	uint32_t type;
	size_t mem_off;  /* in struct psep_msg */
	size_t wire_off; /* in the encoding */
	size_t width;
	uint64_t value;
	int ok;
};

#define JOB(f, w) PSEP_MSG_JOB, offsetof(struct psep_msg, job.f), w, sizeof(((struct psep_job *)0)->f)
#define RES(f, w) PSEP_MSG_RESULT, offsetof(struct psep_msg, result.f), w, \
	sizeof(((struct psep_result *)0)->f)

static const struct bound bounds[] = {
	{ "transfer_id max", JOB(transfer_id, 12), UINT32_MAX, 1 },
	{ "opcode 0", JOB(opcode, 16), 0, 0 },
	{ "opcode RRQ", JOB(opcode, 16), TFTP_OP_RRQ, 1 },
	{ "opcode WRQ", JOB(opcode, 16), TFTP_OP_WRQ, 1 },
	{ "opcode DATA", JOB(opcode, 16), TFTP_OP_DATA, 0 },
	{ "mode 0", JOB(mode, 17), 0, 0 },
	{ "mode octet", JOB(mode, 17), TFTP_MODE_OCTET, 1 },
	{ "mode netascii", JOB(mode, 17), TFTP_MODE_NETASCII, 1 },
	{ "mode 3", JOB(mode, 17), 3, 0 },
	{ "rollover 1", JOB(rollover, 18), 1, 1 },
	{ "rollover 2", JOB(rollover, 18), 2, 0 },
	{ "flags unknown bit", JOB(flags, 19), 4, 0 },
	{ "flags stream, no OACK", JOB(flags, 19), PSEP_JOB_STREAM, 0 },
	{ "flags 0x80", JOB(flags, 19), 0x80, 0 },
	{ "flags resent, nothing sent", JOB(flags, 19), PSEP_JOB_FIRST_RESENT, 0 },
	{ "blksize 7", JOB(blksize, 20), 7, 0 },
	{ "blksize 8", JOB(blksize, 20), 8, 1 },
	{ "blksize 65464", JOB(blksize, 20), 65464, 1 },
	{ "blksize 65465", JOB(blksize, 20), 65465, 0 },
	{ "windowsize 0", JOB(windowsize, 24), 0, 0 },
	{ "windowsize 1", JOB(windowsize, 24), 1, 1 },
	{ "windowsize 65535", JOB(windowsize, 24), 65535, 1 },
	{ "windowsize 65536", JOB(windowsize, 24), 65536, 0 },
	{ "timeout_ms 0", JOB(timeout_ms, 28), 0, 0 },
	{ "timeout_ms 1", JOB(timeout_ms, 28), 1, 1 },
	{ "timeout_ms 255000", JOB(timeout_ms, 28), 255000, 1 },
	{ "timeout_ms 255001", JOB(timeout_ms, 28), 255001, 0 },
	{ "rto_min_ms 0", JOB(rto_min_ms, 32), 0, 0 },
	{ "rto_min_ms 1", JOB(rto_min_ms, 32), 1, 1 },
	{ "rto_min_ms = rto_max_ms", JOB(rto_min_ms, 32), 60000, 1 },
	{ "rto_min_ms > rto_max_ms", JOB(rto_min_ms, 32), 60001, 0 },
	{ "rto_max_ms < rto_min_ms", JOB(rto_max_ms, 36), 199, 0 },
	{ "rto_max_ms = rto_min_ms", JOB(rto_max_ms, 36), 200, 1 },
	{ "rto_max_ms 255000", JOB(rto_max_ms, 36), 255000, 1 },
	{ "rto_max_ms 255001", JOB(rto_max_ms, 36), 255001, 0 },
	{ "retries 0", JOB(retries, 40), 0, 0 },
	{ "retries 1", JOB(retries, 40), 1, 1 },
	{ "retries 255", JOB(retries, 40), 255, 1 },
	{ "retries 256", JOB(retries, 40), 256, 0 },
	{ "deadline_s 0", JOB(deadline_s, 44), 0, 0 },
	{ "deadline_s 1", JOB(deadline_s, 44), 1, 1 },
	{ "deadline_s 86400", JOB(deadline_s, 44), 86400, 1 },
	{ "deadline_s 86401", JOB(deadline_s, 44), 86401, 0 },
	{ "initial_window 0", JOB(initial_window, 48), 0, 0 },
	{ "initial_window 1", JOB(initial_window, 48), 1, 1 },
	{ "initial_window 65535", JOB(initial_window, 48), 65535, 1 },
	{ "initial_window 65536", JOB(initial_window, 48), 65536, 0 },
	{ "first_rtt_usec without a first send", JOB(first_rtt_usec, 52), 1, 0 },
	{ "first_sent_usec max", JOB(first_sent_usec, 56), UINT64_MAX, 1 },
	{ "file_size max (RRQ)", JOB(file_size, 64), UINT64_MAX, 1 },
	{ "max_size max", JOB(max_size, 72), UINT64_MAX, 1 },
	{ "oack_len 512", JOB(oack_len, 80), PSEP_OACK_MAX, 1 },
	{ "oack_len 513", JOB(oack_len, 80), PSEP_OACK_MAX + 1, 0 },
	{ "oack_len 65535", JOB(oack_len, 80), 65535, 0 },
	{ "oack tail byte", JOB(oack[PSEP_OACK_MAX - 1], OFF_OACK + PSEP_OACK_MAX - 1), 1, 0 },
	{ "transfer_id max", RES(transfer_id, 12), UINT32_MAX, 1 },
	{ "status 0", RES(status, 16), PSEP_OK, 1 },
	{ "status 9", RES(status, 16), PSEP_STATUS_MAX, 1 },
	{ "status 10", RES(status, 16), PSEP_STATUS_MAX + 1, 0 },
	{ "status max", RES(status, 16), UINT32_MAX, 0 },
	{ "peer_error 8", RES(peer_error, 20), TFTP_ERR_OPTNEG, 1 },
	{ "peer_error 9", RES(peer_error, 20), 9, 0 },
	{ "peer_error max", RES(peer_error, 20), 65535, 0 },
	{ "bytes 2^62", RES(bytes, 22), UINT64_C(1) << 62, 1 },
	{ "bytes 2^62+1", RES(bytes, 22), (UINT64_C(1) << 62) + 1, 0 },
	{ "bytes max", RES(bytes, 22), UINT64_MAX, 0 },
	{ "blocks max", RES(blocks, 30), UINT64_MAX, 1 },
	{ "retransmits max", RES(retransmits, 38), UINT32_MAX, 1 },
	{ "duration_usec max", RES(duration_usec, 42), UINT64_MAX, 1 },
	{ "rtt_usec max", RES(rtt_usec, 50), UINT32_MAX, 1 },
	{ "peer_message tail byte", RES(peer_message[PSEP_PEER_MSG_MAX - 1], 181), 'x', 0 },
};

START_TEST(test_bound_encode)
{
	const struct bound *b = &bounds[_i];
	uint8_t buf[PSEP_MSG_MAX];
	struct psep_msg m;

	make(&m, b->type);
	set_field(&m, b->mem_off, b->width, b->value);
	ck_assert_msg(encode(&m, buf) == (b->ok ? (b->type == PSEP_MSG_JOB ? JOB_LEN : RESULT_LEN)
						 : -EINVAL), "%s", b->name);
}
END_TEST

START_TEST(test_bound_decode)
{
	const struct bound *b = &bounds[_i];
	uint8_t buf[PSEP_MSG_MAX];
	struct psep_msg m, out;
	int len;

	make(&m, b->type);
	len = encode(&m, buf);
	ck_assert_int_gt(len, 0);
	put_le(buf + b->wire_off, b->value, b->width);
	if (!b->ok) {
		assert_decode_fails(buf, (size_t)len, -EINVAL);
		return;
	}
	ck_assert_msg(psep_msg_decode(buf, (size_t)len, &out) == 0, "%s", b->name);
	/* The field lands where the table says: pins the layout. */
	set_field(&m, b->mem_off, b->width, b->value);
	ck_assert_mem_eq(&out, &m, sizeof(m));
}
END_TEST

/* Rules that tie two fields together. */
START_TEST(test_cross_fields)
{
	static const struct {
		uint32_t status;
		uint16_t peer_error;
		int ok;
	} cases[] = {
		{ PSEP_OK, 1, 0 },
		{ PSEP_TIMEOUT, TFTP_ERR_OPTNEG, 0 },
		{ PSEP_INTERNAL, 0, 1 },
		{ PSEP_PEER_ERROR, 0, 1 },
		{ PSEP_PEER_ERROR, TFTP_ERR_NOTFOUND, 1 },
		{ PSEP_PROBE, TFTP_ERR_OPTNEG, 1 },
	};
	uint8_t buf[PSEP_MSG_MAX];
	struct psep_msg m;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		make_result(&m);
		m.result.status = cases[i].status;
		m.result.peer_error = cases[i].peer_error;
		ck_assert_int_eq(encode(&m, buf), cases[i].ok ? RESULT_LEN : -EINVAL);
		make_result(&m);
		ck_assert_int_eq(encode(&m, buf), RESULT_LEN);
		put_le(buf + 16, cases[i].status, 4);
		put_le(buf + 20, cases[i].peer_error, 2);
		if (cases[i].ok)
			ck_assert_int_eq(psep_msg_decode(buf, RESULT_LEN, &m), 0);
		else
			assert_decode_fails(buf, RESULT_LEN, -EINVAL);
	}

	/* An upload starts from an empty file. */
	make_job(&m);
	m.job.opcode = TFTP_OP_WRQ;
	m.job.file_size = 1;
	ck_assert_int_eq(encode(&m, buf), -EINVAL);
	m.job.opcode = TFTP_OP_RRQ;
	ck_assert_int_eq(encode(&m, buf), JOB_LEN);
	put_le(buf + 16, TFTP_OP_WRQ, 1);
	assert_decode_fails(buf, JOB_LEN, -EINVAL);

	/* A stream is a download whose first packet was an OACK. */
	make_job(&m);
	m.job.flags = PSEP_JOB_STREAM;
	m.job.oack_len = 4;
	memcpy(m.job.oack, "\0\6a", 3);
	ck_assert_int_eq(encode(&m, buf), JOB_LEN);
	ck_assert_int_eq(psep_msg_decode(buf, JOB_LEN, &m), 0);
	ck_assert_uint_eq(m.job.flags, PSEP_JOB_STREAM);
	put_le(buf + 16, TFTP_OP_WRQ, 1);
	assert_decode_fails(buf, JOB_LEN, -EINVAL);
	m.job.opcode = TFTP_OP_WRQ;
	ck_assert_int_eq(encode(&m, buf), -EINVAL);
	make_job(&m);
	m.job.flags = PSEP_JOB_STREAM;
	ck_assert_int_eq(encode(&m, buf), -EINVAL);
	/* ..and a stream alone needs no first send, unlike FIRST_RESENT. */
	m.job.flags = PSEP_JOB_STREAM | PSEP_JOB_FIRST_RESENT;
	m.job.oack_len = 1;
	m.job.oack[0] = 6;
	ck_assert_int_eq(encode(&m, buf), -EINVAL);
	m.job.first_sent_usec = 1;
	ck_assert_int_eq(encode(&m, buf), JOB_LEN);

	/* Bytes past oack_len are zero: nothing rides along unchecked. */
	make_job(&m);
	m.job.oack_len = 4;
	m.job.oack[3] = 1;
	ck_assert_int_eq(encode(&m, buf), JOB_LEN);
	m.job.oack[4] = 1;
	ck_assert_int_eq(encode(&m, buf), -EINVAL);
	m.job.oack[4] = 0;
	ck_assert_int_eq(encode(&m, buf), JOB_LEN);
	buf[OFF_OACK + 4] = 1;
	assert_decode_fails(buf, JOB_LEN, -EINVAL);
}
END_TEST

/* peer_message: printable ASCII, NUL-terminated, zero after the NUL. */
static const struct {
	const char *name;
	const char *text;
	size_t len; /* bytes of text to place; the rest is zero */
	int ok;
} peer_messages[] = {
	{ "empty", "", 0, 1 },
	{ "plain", "File not found", 14, 1 },
	{ "edges", " ~", 2, 1 },
	{ "control char", "a\001b", 3, 0 },
	{ "tab", "a\tb", 3, 0 },
	{ "newline", "a\n", 2, 0 },
	{ "DEL", "a\177", 2, 0 },
	{ "high bit", "a\200", 2, 0 },
	{ "ESC", "\033[2J", 4, 0 },
	{ "junk after NUL", "ab\0c", 4, 0 },
	{ "longest", NULL, PSEP_PEER_MSG_MAX - 1, 1 },
	{ "unterminated", NULL, PSEP_PEER_MSG_MAX, 0 },
};

START_TEST(test_peer_message)
{
	uint8_t buf[PSEP_MSG_MAX];
	char text[PSEP_PEER_MSG_MAX];
	struct psep_msg m, out;

	memset(text, 0, sizeof(text));
	if (peer_messages[_i].text)
		memcpy(text, peer_messages[_i].text, peer_messages[_i].len);
	else
		memset(text, 'A', peer_messages[_i].len);

	make_result(&m);
	memcpy(m.result.peer_message, text, sizeof(text));
	ck_assert_msg(encode(&m, buf) == (peer_messages[_i].ok ? RESULT_LEN : -EINVAL), "%s",
		      peer_messages[_i].name);

	make_result(&m);
	ck_assert_int_eq(encode(&m, buf), RESULT_LEN);
	memcpy(buf + OFF_PEER_MESSAGE, text, sizeof(text));
	if (!peer_messages[_i].ok) {
		assert_decode_fails(buf, RESULT_LEN, -EINVAL);
		return;
	}
	ck_assert_int_eq(psep_msg_decode(buf, RESULT_LEN, &out), 0);
	ck_assert_mem_eq(out.result.peer_message, text, sizeof(text));
}
END_TEST

/* ---- framing: version, length, type ---- */

START_TEST(test_bad_version)
{
	static const uint32_t versions[] = { 0, PSEP_MSG_VERSION + 1, UINT32_MAX };
	uint8_t buf[PSEP_MSG_MAX];
	struct psep_msg m;

	for (uint32_t type = PSEP_MSG_READY; type <= PSEP_MSG_TYPE_MAX; type++) {
		for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
			int len;

			make(&m, type);
			len = encode(&m, buf);
			put_le(buf + OFF_VERSION, versions[i], 4);
			assert_decode_fails(buf, (size_t)len, -EBADMSG);
		}
	}
}
END_TEST

START_TEST(test_bad_length)
{
	uint8_t buf[PSEP_MSG_MAX + 2];
	struct psep_msg m;

	for (uint32_t type = PSEP_MSG_READY; type <= PSEP_MSG_TYPE_MAX; type++) {
		int len;

		memset(buf, 0, sizeof(buf));
		make(&m, type);
		len = encode(&m, buf);
		/* One short, one long (a zero byte, which is otherwise valid). */
		assert_decode_fails(buf, (size_t)len - 1, -EBADMSG);
		assert_decode_fails(buf, (size_t)len + 1, -EBADMSG);
		/* The header's body length must agree too. */
		put_le(buf + OFF_BODY_LEN, (uint64_t)len - READY_LEN + 1, 4);
		assert_decode_fails(buf, (size_t)len, -EBADMSG);
		assert_decode_fails(buf, (size_t)len + 1, -EBADMSG);
		put_le(buf + OFF_BODY_LEN, (uint64_t)len - READY_LEN - 1, 4);
		assert_decode_fails(buf, (size_t)len - 1, -EBADMSG);
	}
	assert_decode_fails(buf, 0, -EBADMSG);
	assert_decode_fails(buf, READY_LEN - 1, -EBADMSG);
	assert_decode_fails(buf, PSEP_MSG_MAX + 1, -EBADMSG);
}
END_TEST

START_TEST(test_unknown_type)
{
	static const uint32_t types[] = { 0, PSEP_MSG_TYPE_MAX + 1, UINT32_MAX };
	uint8_t buf[PSEP_MSG_MAX];
	struct psep_msg m;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		make_ready(&m);
		ck_assert_int_eq(encode(&m, buf), READY_LEN);
		put_le(buf + OFF_TYPE, types[i], 4);
		assert_decode_fails(buf, READY_LEN, -EBADMSG);
		m.type = types[i];
		ck_assert_int_eq(encode(&m, buf), -EINVAL);
	}
	/* A JOB body labelled RESULT has the wrong length for its type. */
	make_job(&m);
	ck_assert_int_eq(encode(&m, buf), JOB_LEN);
	put_le(buf + OFF_TYPE, PSEP_MSG_RESULT, 4);
	assert_decode_fails(buf, JOB_LEN, -EBADMSG);
}
END_TEST

START_TEST(test_encode_nobufs)
{
	uint8_t buf[PSEP_MSG_MAX];
	struct psep_msg m;

	memset(buf, 0x5a, sizeof(buf));
	make_job(&m);
	ck_assert_int_eq(psep_msg_encode(&m, buf, JOB_LEN - 1), -ENOBUFS);
	ck_assert_uint_eq(buf[0], 0x5a); /* nothing written */
	ck_assert_int_eq(psep_msg_encode(&m, buf, JOB_LEN), JOB_LEN);
	ck_assert_uint_eq(buf[JOB_LEN], 0x5a); /* nothing past the end */
	make_ready(&m);
	ck_assert_int_eq(psep_msg_encode(&m, buf, READY_LEN - 1), -ENOBUFS);
	ck_assert_int_eq(psep_msg_encode(&m, buf, READY_LEN), READY_LEN);
	/* An invalid message is refused before its size is considered. */
	make_job(&m);
	m.job.blksize = 0;
	ck_assert_int_eq(psep_msg_encode(&m, buf, 0), -EINVAL);
}
END_TEST

/* ---- fds over a real socketpair ---- */

#define FDSET_MAX 1024

struct fdset {
	unsigned char open[FDSET_MAX];
};

/* Which fds the process holds, from /proc/self/fd, cross-checked with
 * fcntl(F_GETFD) for every number. */
static void fd_snapshot(struct fdset *s)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	ck_assert_ptr_nonnull(d);
	memset(s, 0, sizeof(*s));
	while ((e = readdir(d)) != NULL) {
		int fd;

		if (e->d_name[0] == '.')
			continue;
		fd = atoi(e->d_name);
		if (fd == dirfd(d))
			continue;
		ck_assert_int_lt(fd, FDSET_MAX);
		s->open[fd] = 1;
	}
	closedir(d);
	for (int fd = 0; fd < FDSET_MAX; fd++)
		ck_assert_int_eq(fcntl(fd, F_GETFD) != -1, s->open[fd]);
}

static void assert_no_new_fds(const struct fdset *before)
{
	struct fdset after;

	fd_snapshot(&after);
	for (int fd = 0; fd < FDSET_MAX; fd++)
		ck_assert_msg(after.open[fd] == before->open[fd], "fd %d %s", fd,
			      after.open[fd] ? "leaked" : "closed");
}

static void make_pair(int sv[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
}

static int make_file(void)
{
	char path[] = "/tmp/check-msg.XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(write(fd, file_content, sizeof(file_content)), sizeof(file_content));
	return fd;
}

static int make_udp(struct sockaddr_in *ret_addr)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(*ret_addr);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)ret_addr, &len), 0);
	return fd;
}

/* Send any bytes with any number of fds: what a broken peer could do. */
static void raw_send(int sock, const void *buf, size_t len, const int *fds, size_t nfds)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * 64)];
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	ck_assert_uint_le(nfds, 64);
	if (nfds > 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	ck_assert_int_eq(sendmsg(sock, &mh, MSG_NOSIGNAL), (ssize_t)len);
}

/* Receive must fail with want, close everything it got and leave the
 * outputs alone. */
static void assert_recv_fails(int sock, int want)
{
	struct psep_msg out, canary;
	int fds[PSEP_MSG_MAX_FDS] = { -2, -2 };
	struct fdset before;

	memset(&out, 0xa5, sizeof(out));
	memcpy(&canary, &out, sizeof(out));
	fd_snapshot(&before);
	ck_assert_int_eq(psep_msg_recv(sock, &out, fds), want);
	assert_no_new_fds(&before);
	ck_assert_mem_eq(&out, &canary, sizeof(out));
	ck_assert_int_eq(fds[0], -2);
	ck_assert_int_eq(fds[1], -2);
}

static void assert_cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFD);

	ck_assert_int_ge(flags, 0);
	ck_assert(flags & FD_CLOEXEC);
}

START_TEST(test_pass_job)
{
	struct sockaddr_in addr, got_addr;
	socklen_t alen = sizeof(got_addr);
	struct psep_msg m, out;
	int sv[2], fds[2], got[2];
	char data[sizeof(file_content)];

	make_pair(sv);
	fds[PSEP_FD_FILE] = make_file();
	fds[PSEP_FD_SOCKET] = make_udp(&addr);
	make_job(&m);
	ck_assert_int_eq(psep_msg_send(sv[0], &m, fds, 2), 0);
	/* The sender keeps its fds. */
	ck_assert_int_ge(fcntl(fds[0], F_GETFD), 0);
	ck_assert_int_ge(fcntl(fds[1], F_GETFD), 0);

	ck_assert_int_eq(psep_msg_recv(sv[1], &out, got), 0);
	ck_assert_mem_eq(&out, &m, sizeof(m));
	ck_assert_int_ne(got[0], fds[0]);
	ck_assert_int_ne(got[1], fds[1]);
	ck_assert_int_eq(pread(got[PSEP_FD_FILE], data, sizeof(data), 0), sizeof(data));
	ck_assert_mem_eq(data, file_content, sizeof(data));
	ck_assert_int_eq(getsockname(got[PSEP_FD_SOCKET], (struct sockaddr *)&got_addr, &alen), 0);
	ck_assert_uint_eq(got_addr.sin_port, addr.sin_port);
	assert_cloexec(got[0]);
	assert_cloexec(got[1]);
}
END_TEST

START_TEST(test_pass_ready_result)
{
	struct psep_msg m, out;
	int sv[2], got[2] = { -2, -2 };

	make_pair(sv);
	make_ready(&m);
	ck_assert_int_eq(psep_msg_send(sv[1], &m, NULL, 0), 0);
	ck_assert_int_eq(psep_msg_recv(sv[0], &out, got), 0);
	ck_assert_mem_eq(&out, &m, sizeof(m));
	make_result(&m);
	strcpy(m.result.peer_message, "Disk full");
	ck_assert_int_eq(psep_msg_send(sv[1], &m, NULL, 0), 0);
	ck_assert_int_eq(psep_msg_recv(sv[0], &out, got), 0);
	ck_assert_mem_eq(&out, &m, sizeof(m));
	ck_assert_int_eq(got[0], -2); /* no fds, nothing written */
}
END_TEST

/* JOB fds of the wrong kinds: -EBADF, both closed. */
START_TEST(test_job_fd_types)
{
	struct sockaddr_in addr;
	struct psep_msg m;
	int sv[2], file, udp, dir, pfd[2];

	make_pair(sv);
	file = make_file();
	udp = make_udp(&addr);
	dir = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(dir, 0);
	ck_assert_int_eq(pipe2(pfd, O_CLOEXEC), 0);

	const int cases[][2] = {
		{ udp, file }, /* swapped */
		{ dir, udp },
		{ file, file },
		{ file, pfd[0] },
		{ pfd[0], udp }, /* a pipe, and the job says no stream */
	};
	make_job(&m);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ck_assert_int_eq(psep_msg_send(sv[0], &m, cases[i], 2), 0);
		assert_recv_fails(sv[1], -EBADF);
	}
	/* A stream job: a pipe and only a pipe. */
	m.job.flags = PSEP_JOB_STREAM;
	m.job.oack_len = 1;
	m.job.oack[0] = 6;
	ck_assert_int_eq(psep_msg_send(sv[0], &m, (const int[]){ file, udp }, 2), 0);
	assert_recv_fails(sv[1], -EBADF);
	ck_assert_int_eq(psep_msg_send(sv[0], &m, (const int[]){ pfd[0], udp }, 2), 0);
	{
		struct psep_msg got;
		int fds[PSEP_MSG_MAX_FDS] = { -1, -1 };

		ck_assert_int_eq(psep_msg_recv(sv[1], &got, fds), 0);
		ck_assert_uint_eq(got.job.flags, PSEP_JOB_STREAM);
		ck_assert_int_ge(fds[PSEP_FD_FILE], 0);
		close(fds[PSEP_FD_FILE]);
		close(fds[PSEP_FD_SOCKET]);
	}
}
END_TEST

START_TEST(test_fd_count)
{
	static const size_t counts[] = { 0, 1, 3 };
	uint8_t buf[PSEP_MSG_MAX];
	struct sockaddr_in addr;
	struct psep_msg m;
	int sv[2], fds[3], len;

	make_pair(sv);
	fds[0] = make_file();
	fds[1] = make_udp(&addr);
	fds[2] = make_file();
	make_job(&m);
	len = encode(&m, buf);
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		raw_send(sv[0], buf, (size_t)len, fds, counts[i]);
		assert_recv_fails(sv[1], -EBADMSG);
	}
	/* READY and RESULT take none. */
	make_result(&m);
	len = encode(&m, buf);
	raw_send(sv[0], buf, (size_t)len, fds, 1);
	assert_recv_fails(sv[1], -EBADMSG);
	make_ready(&m);
	len = encode(&m, buf);
	raw_send(sv[0], buf, (size_t)len, fds, 2);
	assert_recv_fails(sv[1], -EBADMSG);
}
END_TEST

/* A JOB whose fds are fine but whose body is not: fds closed too. */
START_TEST(test_bad_body_with_fds)
{
	uint8_t buf[PSEP_MSG_MAX + 1] = { 0 };
	struct sockaddr_in addr;
	struct psep_msg m;
	int sv[2], fds[2], len;

	make_pair(sv);
	fds[0] = make_file();
	fds[1] = make_udp(&addr);
	make_job(&m);
	len = encode(&m, buf);
	put_le(buf + 20, 7, 4); /* blksize */
	raw_send(sv[0], buf, (size_t)len, fds, 2);
	assert_recv_fails(sv[1], -EINVAL);
	put_le(buf + 20, 512, 4);
	raw_send(sv[0], buf, (size_t)len + 1, fds, 2); /* one byte long */
	assert_recv_fails(sv[1], -EBADMSG);
	put_le(buf + OFF_VERSION, PSEP_MSG_VERSION + 1, 4);
	raw_send(sv[0], buf, (size_t)len, fds, 2);
	assert_recv_fails(sv[1], -EBADMSG);
}
END_TEST

START_TEST(test_oversized)
{
	uint8_t big[2 * PSEP_MSG_MAX];
	struct psep_msg m;
	int sv[2], fd;
	int len;

	make_pair(sv);
	fd = make_file();
	/* A valid RESULT at the front of a datagram that does not fit. */
	memset(big, 0, sizeof(big));
	make_result(&m);
	len = encode(&m, big);
	ck_assert_int_eq(len, RESULT_LEN);
	raw_send(sv[0], big, sizeof(big), &fd, 1);
	assert_recv_fails(sv[1], -EBADMSG); /* MSG_TRUNC */
	raw_send(sv[0], big, PSEP_MSG_MAX + 1, NULL, 0);
	assert_recv_fails(sv[1], -EBADMSG); /* fits the buffer, too long */
	raw_send(sv[0], big, PSEP_MSG_MAX, NULL, 0);
	assert_recv_fails(sv[1], -EBADMSG);
}
END_TEST

/* More fds than the control buffer holds: MSG_CTRUNC, none leaked, and
 * the stream stays usable. */
START_TEST(test_ctrunc)
{
	uint8_t buf[PSEP_MSG_MAX];
	struct sockaddr_in addr;
	struct psep_msg m, out;
	int sv[2], fds[64], got[2], len;

	make_pair(sv);
	fds[0] = make_file();
	fds[1] = make_udp(&addr);
	for (size_t i = 2; i < 64; i++) {
		fds[i] = fcntl(fds[i % 2], F_DUPFD_CLOEXEC, 0);
		ck_assert_int_ge(fds[i], 0);
	}
	make_job(&m);
	len = encode(&m, buf);
	raw_send(sv[0], buf, (size_t)len, fds, 64);
	assert_recv_fails(sv[1], -EBADMSG);
	ck_assert_int_eq(psep_msg_send(sv[0], &m, fds, 2), 0);
	ck_assert_int_eq(psep_msg_recv(sv[1], &out, got), 0);
	close(got[0]);
	close(got[1]);
}
END_TEST

/* Credentials are a control message we never asked the peer for. */
START_TEST(test_foreign_cmsg)
{
	struct sockaddr_in addr;
	struct psep_msg m;
	int sv[2], fds[2], one = 1;

	make_pair(sv);
	fds[0] = make_file();
	fds[1] = make_udp(&addr);
	ck_assert_int_eq(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)), 0);
	make_job(&m);
	ck_assert_int_eq(psep_msg_send(sv[0], &m, fds, 2), 0);
	assert_recv_fails(sv[1], -EBADMSG);
	make_ready(&m);
	ck_assert_int_eq(psep_msg_send(sv[0], &m, NULL, 0), 0);
	assert_recv_fails(sv[1], -EBADMSG);
}
END_TEST

START_TEST(test_peer_closed)
{
	struct psep_msg m;
	int sv[2], fd;

	make_pair(sv);
	fd = make_file();
	/* An empty datagram counts as the end, and its fd is closed. */
	raw_send(sv[0], "", 0, &fd, 1);
	assert_recv_fails(sv[1], -ECONNRESET);
	close(sv[0]);
	assert_recv_fails(sv[1], -ECONNRESET);
	/* An error to handle, never a SIGPIPE (which would kill this test). */
	make_ready(&m);
	ck_assert_int_eq(psep_msg_send(sv[1], &m, NULL, 0), -EPIPE);
}
END_TEST

START_TEST(test_send_refuses)
{
	struct sockaddr_in addr;
	struct psep_msg m;
	uint8_t byte;
	int sv[2], fds[2];

	make_pair(sv);
	fds[0] = make_file();
	fds[1] = make_udp(&addr);
	make_job(&m);
	ck_assert_int_eq(psep_msg_send(sv[0], &m, fds, 1), -EINVAL);
	ck_assert_int_eq(psep_msg_send(sv[0], &m, fds, 3), -EINVAL);
	ck_assert_int_eq(psep_msg_send(sv[0], &m, NULL, 2), -EINVAL);
	make_ready(&m);
	ck_assert_int_eq(psep_msg_send(sv[0], &m, fds, 1), -EINVAL);
	make_job(&m);
	m.job.windowsize = 0;
	ck_assert_int_eq(psep_msg_send(sv[0], &m, fds, 2), -EINVAL);
	m.type = 0;
	ck_assert_int_eq(psep_msg_send(sv[0], &m, NULL, 0), -EINVAL);
	/* Nothing was sent. */
	ck_assert_int_eq(recv(sv[1], &byte, 1, MSG_DONTWAIT), -1);
	ck_assert_int_eq(errno, EAGAIN);
	/* Not a socket. */
	ck_assert_int_eq(psep_msg_recv(fds[0], &m, fds), -ENOTSOCK);
}
END_TEST

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/* A signal without SA_RESTART interrupts recvmsg; the message still
 * arrives. */
START_TEST(test_eintr)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	struct itimerval it = { .it_value = { .tv_usec = 20000 } };
	struct psep_msg m, out;
	int sv[2], got[2], status;
	pid_t pid;

	make_pair(sv);
	make_ready(&m);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		usleep(200000);
		_exit(psep_msg_send(sv[0], &m, NULL, 0) == 0 ? 0 : 1);
	}
	ck_assert_int_eq(sigaction(SIGALRM, &sa, NULL), 0);
	ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
	ck_assert_int_eq(psep_msg_recv(sv[1], &out, got), 0);
	ck_assert_int_eq(alarms, 1);
	ck_assert_uint_eq(out.type, PSEP_MSG_READY);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
END_TEST

static Suite *msg_suite(void)
{
	Suite *s = suite_create("msg");
	TCase *tc;

	tc = tcase_create("codec");
	tcase_add_test(tc, test_roundtrip_ready);
	tcase_add_test(tc, test_roundtrip_job);
	tcase_add_test(tc, test_roundtrip_result);
	tcase_add_test(tc, test_nfds);
	tcase_add_loop_test(tc, test_bound_encode, 0, sizeof(bounds) / sizeof(bounds[0]));
	tcase_add_loop_test(tc, test_bound_decode, 0, sizeof(bounds) / sizeof(bounds[0]));
	tcase_add_test(tc, test_cross_fields);
	tcase_add_loop_test(tc, test_peer_message, 0,
			    sizeof(peer_messages) / sizeof(peer_messages[0]));
	tcase_add_test(tc, test_bad_version);
	tcase_add_test(tc, test_bad_length);
	tcase_add_test(tc, test_unknown_type);
	tcase_add_test(tc, test_encode_nobufs);
	suite_add_tcase(s, tc);

	tc = tcase_create("fd passing");
	tcase_add_test(tc, test_pass_job);
	tcase_add_test(tc, test_pass_ready_result);
	tcase_add_test(tc, test_job_fd_types);
	tcase_add_test(tc, test_fd_count);
	tcase_add_test(tc, test_bad_body_with_fds);
	tcase_add_test(tc, test_oversized);
	tcase_add_test(tc, test_ctrunc);
	tcase_add_test(tc, test_foreign_cmsg);
	tcase_add_test(tc, test_peer_closed);
	tcase_add_test(tc, test_send_refuses);
	tcase_add_test(tc, test_eintr);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(msg_suite());
	int failures;

	srunner_run_all(sr, CK_ENV);
	failures = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}
