/*
 * check-packet.c - unit tests for the TFTP codec (src/tftp-packet.c).
 *
 * Table-driven: every malformed form other servers were broken by
 * (atftpd CVE-2019-11365 / CVE-2021-46671, dnsmasq CVE-2009-2958, tftp-hpa
 * 171b8f5) has a row. Every input is copied into a buffer of exactly its
 * length, so that ASan reports any read past the datagram.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tftp-packet.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* A byte string literal and its length without the implicit NUL. */
#define B(s) (const uint8_t *)(s), sizeof(s) - 1

static uint8_t *dup_exact(const uint8_t *src, size_t len)
{
	/* malloc(0) may return NULL; keep one byte so a pointer exists, but
	 * the codec is still told len. */
	uint8_t *p = malloc(len ? len : 1);

	ck_assert_ptr_nonnull(p);
	if (len)
		memcpy(p, src, len);
	return p;
}

static int parse_exact(const uint8_t *src, size_t len, struct tftp_request *ret)
{
	uint8_t *b = dup_exact(src, len);
	int r = tftp_pkt_parse_request(b, len, ret);

	free(b);
	return r;
}

/* ---- requests that must be refused ---- */

static const struct {
	const char *what;
	const uint8_t *buf;
	size_t len;
	int err;
} bad_requests[] = {
	{ "no NUL at end", B("\0\1file\0octet"), -EBADMSG },
	{ "filename not terminated", B("\0\1file"), -EBADMSG },
	{ "missing mode", B("\0\1file\0"), -EBADMSG },
	{ "empty mode", B("\0\1file\0\0"), -EBADMSG },
	{ "empty mode then padding", B("\0\1file\0\0\0\0"), -EBADMSG },
	{ "unknown mode", B("\0\1file\0binary\0"), -EPROTONOSUPPORT },
	{ "mail mode", B("\0\1file\0mail\0"), -EPROTONOSUPPORT },
	{ "MAIL mode", B("\0\2file\0MAIL\0"), -EPROTONOSUPPORT },
	{ "mode prefix", B("\0\1file\0octe\0"), -EPROTONOSUPPORT },
	{ "mode longer", B("\0\1file\0octets\0"), -EPROTONOSUPPORT },
	{ "mode with space", B("\0\1file\0octet \0"), -EPROTONOSUPPORT },
	{ "empty filename", B("\0\1\0octet\0"), -EBADMSG },
	{ "only NULs", B("\0\1\0\0\0\0"), -EBADMSG },
	{ "option without value", B("\0\1f\0octet\0blksize\0"), -EBADMSG },
	{ "option name unterminated", B("\0\1f\0octet\0blksize"), -EBADMSG },
	{ "empty value", B("\0\1f\0octet\0blksize\0\0"), -EBADMSG },
	{ "empty value mid", B("\0\1f\0octet\0blksize\0\0tsize\0" "0\0"), -EBADMSG },
	{ "value unterminated", B("\0\1f\0octet\0blksize\0" "512"), -EBADMSG },
	{ "junk after padding", B("\0\1f\0octet\0\0\0x\0"), -EBADMSG },
	{ "junk after padding no NUL", B("\0\1f\0octet\0\0\0x"), -EBADMSG },
	{ "junk after option padding", B("\0\1f\0octet\0tsize\0" "0\0\0\0" "a\0"), -EBADMSG },
	{ "trailing garbage unterminated", B("\0\1f\0octet\0garbage"), -EBADMSG },
	{ "trailing garbage terminated", B("\0\1f\0octet\0garbage\0"), -EBADMSG },
	{ "opcode 0", B("\0\0f\0octet\0"), -EOPNOTSUPP },
	{ "opcode 3 (DATA)", B("\0\3f\0octet\0"), -EOPNOTSUPP },
	{ "opcode 4 (ACK)", B("\0\4f\0octet\0"), -EOPNOTSUPP },
	{ "opcode 5 (ERROR)", B("\0\5f\0octet\0"), -EOPNOTSUPP },
	{ "opcode 6 (OACK)", B("\0\6f\0octet\0"), -EOPNOTSUPP },
	{ "opcode 7", B("\0\7f\0octet\0"), -EOPNOTSUPP },
	{ "opcode 257", B("\1\1f\0octet\0"), -EOPNOTSUPP },
	{ "opcode 65535", B("\377\377f\0octet\0"), -EOPNOTSUPP },
	{ "opcode 3 unterminated", B("\0\3\0\1abc"), -EOPNOTSUPP },
	{ "len 0", B(""), -EBADMSG },
	{ "len 1", B("\0"), -EBADMSG },
	{ "len 2", B("\0\1"), -EBADMSG },
	{ "len 3", B("\0\1\0"), -EBADMSG },
	{ "len 4 empty name", B("\0\1\0\0"), -EBADMSG },
	{ "len 4 no mode", B("\0\1" "a\0"), -EBADMSG },
};

START_TEST(test_request_bad)
{
	struct tftp_request req;
	uint8_t *b = dup_exact(bad_requests[_i].buf, bad_requests[_i].len);

	memset(&req, 0xa5, sizeof(req));
	ck_assert_msg(tftp_pkt_parse_request(b, bad_requests[_i].len, &req) ==
			      bad_requests[_i].err,
		      "%s: expected %d", bad_requests[_i].what, bad_requests[_i].err);
	/* Cleared on failure, but for the file name once it was read. */
	ck_assert_int_eq(req.opcode, 0);
	ck_assert_int_eq(req.mode, 0);
	ck_assert_uint_eq(req.n_options, 0);
	if (req.filename_len > 0) {
		ck_assert_ptr_eq(req.filename, (const char *)b + 2);
		ck_assert_uint_eq(strlen(req.filename), req.filename_len);
	} else {
		ck_assert_ptr_null(req.filename);
	}
	free(b);
}
END_TEST

/* A request refused for its mode or options still names its file (for the
 * log); one refused before the name was read names none. */
START_TEST(test_request_refused_names_file)
{
	static const struct {
		const uint8_t *buf;
		size_t len;
		const char *filename;
	} cases[] = {
		{ B("\0\1boot/file\0mail\0"), "boot/file" },
		{ B("\0\2up.bin\0octet\0blksize\0"), "up.bin" },
		{ B("\0\1\0octet\0"), NULL },
		{ B("\0\1unterminated"), NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct tftp_request req;
		uint8_t *b = dup_exact(cases[i].buf, cases[i].len);

		ck_assert_int_lt(tftp_pkt_parse_request(b, cases[i].len, &req), 0);
		if (cases[i].filename != NULL)
			ck_assert_str_eq(req.filename, cases[i].filename);
		else
			ck_assert_ptr_null(req.filename);
		free(b);
	}
}
END_TEST

/* Every strict prefix of a valid request is malformed, except the one that
 * ends right after the mode. */
static const uint8_t prefix_full[] = "\0\1pxelinux.0\0octet\0blksize\0" "1468\0";
#define PREFIX_FULL_LEN (sizeof(prefix_full) - 1)
#define PREFIX_VALID_LEN (2 + 11 + 6)

START_TEST(test_request_prefix)
{
	struct tftp_request req;
	size_t len = (size_t)_i;
	int want = (len == PREFIX_VALID_LEN || len == PREFIX_FULL_LEN) ? 0 : -EBADMSG;

	ck_assert_int_eq(parse_exact(prefix_full, len, &req), want);
}
END_TEST

/* ---- requests that must be accepted ---- */

static const struct {
	const char *what;
	const uint8_t *buf;
	size_t len;
	enum tftp_opcode op;
	enum tftp_mode mode;
	const char *filename;
	size_t n_options;
} good_requests[] = {
	{ "pxelinux", B("\0\1pxelinux.0\0octet\0"), TFTP_OP_RRQ, TFTP_MODE_OCTET, "pxelinux.0", 0 },
	{ "wrq netascii", B("\0\2up.txt\0netascii\0"), TFTP_OP_WRQ, TFTP_MODE_NETASCII, "up.txt", 0 },
	{ "mixed-case mode", B("\0\1f\0OcTeT\0"), TFTP_OP_RRQ, TFTP_MODE_OCTET, "f", 0 },
	{ "upper-case mode", B("\0\1f\0NETASCII\0"), TFTP_OP_RRQ, TFTP_MODE_NETASCII, "f", 0 },
	{ "options", B("\0\1pxelinux.0\0octet\0blksize\0" "1468\0tsize\0" "0\0windowsize\0" "8\0"),
	  TFTP_OP_RRQ, TFTP_MODE_OCTET, "pxelinux.0", 3 },
	{ "padding", B("\0\1f\0octet\0\0\0\0"), TFTP_OP_RRQ, TFTP_MODE_OCTET, "f", 0 },
	{ "one NUL pad", B("\0\1f\0octet\0\0"), TFTP_OP_RRQ, TFTP_MODE_OCTET, "f", 0 },
	{ "padding after opts", B("\0\1f\0octet\0tsize\0" "0\0\0\0\0"), TFTP_OP_RRQ,
	  TFTP_MODE_OCTET, "f", 1 },
	{ "duplicates kept", B("\0\1f\0octet\0blksize\0" "512\0BLKSIZE\0" "1024\0"), TFTP_OP_RRQ,
	  TFTP_MODE_OCTET, "f", 2 },
	{ "unknown option kept", B("\0\1f\0octet\0foo\0bar\0"), TFTP_OP_RRQ, TFTP_MODE_OCTET, "f",
	  1 },
	/* The codec passes names through; the path rules judge them. */
	{ "traversal is path's job", B("\0\1../etc/passwd\0octet\0"), TFTP_OP_RRQ,
	  TFTP_MODE_OCTET, "../etc/passwd", 0 },
	{ "control chars are path's job", B("\0\1a\033b\0octet\0"), TFTP_OP_RRQ, TFTP_MODE_OCTET,
	  "a\033b", 0 },
};

static void assert_inside(const void *p, const uint8_t *buf, size_t len)
{
	const uint8_t *q = p;

	ck_assert(q >= buf && q < buf + len);
}

START_TEST(test_request_good)
{
	struct tftp_request req;
	uint8_t *b = dup_exact(good_requests[_i].buf, good_requests[_i].len);
	size_t i;

	ck_assert_msg(tftp_pkt_parse_request(b, good_requests[_i].len, &req) == 0, "%s",
		      good_requests[_i].what);
	ck_assert_int_eq(req.opcode, good_requests[_i].op);
	ck_assert_int_eq(req.mode, good_requests[_i].mode);
	ck_assert_str_eq(req.filename, good_requests[_i].filename);
	ck_assert_uint_eq(req.filename_len, strlen(good_requests[_i].filename));
	ck_assert_uint_eq(req.n_options, good_requests[_i].n_options);
	assert_inside(req.filename, b, good_requests[_i].len);
	for (i = 0; i < req.n_options; i++) {
		assert_inside(req.options[i].name, b, good_requests[_i].len);
		assert_inside(req.options[i].value, b, good_requests[_i].len);
		ck_assert_uint_gt(strlen(req.options[i].name), 0);
		ck_assert_uint_gt(strlen(req.options[i].value), 0);
	}
	free(b);
}
END_TEST

START_TEST(test_request_options_values)
{
	static const uint8_t raw[] = "\0\1pxelinux.0\0octet\0BlkSize\0" "1468\0tsize\0" "0\0"
				     "WINDOWSIZE\0" "8\0";
	struct tftp_request req;
	const struct tftp_option *o;
	uint8_t *b = dup_exact(raw, sizeof(raw) - 1);

	ck_assert_int_eq(tftp_pkt_parse_request(b, sizeof(raw) - 1, &req), 0);
	ck_assert_uint_eq(req.n_options, 3);
	o = tftp_pkt_find_option(&req, "blksize");
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(o->name, "BlkSize");
	ck_assert_str_eq(o->value, "1468");
	o = tftp_pkt_find_option(&req, "TSIZE");
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(o->value, "0");
	o = tftp_pkt_find_option(&req, "windowsize");
	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(o->value, "8");
	ck_assert_ptr_null(tftp_pkt_find_option(&req, "timeout"));
	ck_assert_ptr_null(tftp_pkt_find_option(&req, "blk"));
	ck_assert_ptr_null(tftp_pkt_find_option(&req, "blksizex"));
	ck_assert_ptr_null(tftp_pkt_find_option(NULL, "blksize"));
	free(b);
}
END_TEST

/* Duplicates are all kept; negotiation takes the first. */
START_TEST(test_request_duplicate_first)
{
	static const uint8_t raw[] = "\0\1f\0octet\0blksize\0" "512\0BLKSIZE\0" "1024\0";
	struct tftp_request req;
	const struct tftp_option *o;
	uint8_t *b = dup_exact(raw, sizeof(raw) - 1);

	ck_assert_int_eq(tftp_pkt_parse_request(b, sizeof(raw) - 1, &req), 0);
	ck_assert_uint_eq(req.n_options, 2);
	ck_assert_str_eq(req.options[1].value, "1024");
	o = tftp_pkt_find_option(&req, "BlkSize");
	ck_assert_ptr_nonnull(o);
	ck_assert_ptr_eq(o, &req.options[0]);
	ck_assert_str_eq(o->value, "512");
	free(b);
}
END_TEST

/* Build "\0\1" name "\0octet\0" (+ n options) into a fresh buffer. */
static uint8_t *make_request(size_t name_len, size_t n_opts, size_t pad, size_t *ret_len)
{
	size_t len = 2 + name_len + 1 + 6 + n_opts * 6 + pad, i;
	uint8_t *b = malloc(len), *p;

	ck_assert_ptr_nonnull(b);
	b[0] = 0;
	b[1] = TFTP_OP_RRQ;
	memset(b + 2, 'n', name_len);
	p = b + 2 + name_len;
	memcpy(p, "\0octet\0", 7);
	p += 7;
	for (i = 0; i < n_opts; i++) {
		/* "oNN\0v\0": 6 bytes per option, distinct names. */
		p[0] = 'o';
		p[1] = (uint8_t)('a' + i / 26);
		p[2] = (uint8_t)('a' + i % 26);
		p[3] = 0;
		p[4] = 'v';
		p[5] = 0;
		p += 6;
	}
	memset(p, 0, pad);
	*ret_len = len;
	return b;
}

static const struct {
	size_t name_len, n_opts, pad;
	int err;
} size_limits[] = {
	{ 1, 0, 0, 0 },
	{ TFTP_FILENAME_MAX, 0, 0, 0 },
	{ TFTP_FILENAME_MAX + 1, 0, 0, -ENAMETOOLONG },
	{ 4096, 0, 0, -ENAMETOOLONG },
	{ 1, TFTP_OPTIONS_MAX, 0, 0 },
	{ 1, TFTP_OPTIONS_MAX + 1, 0, -E2BIG },
	{ 1, 100, 0, -E2BIG },
	{ TFTP_FILENAME_MAX, TFTP_OPTIONS_MAX, 0, 0 },
	/* Exactly the largest request: name, options, then NUL padding. */
	{ TFTP_FILENAME_MAX, TFTP_OPTIONS_MAX,
	  TFTP_REQUEST_MAX - (2 + TFTP_FILENAME_MAX + 7 + TFTP_OPTIONS_MAX * 6), 0 },
	{ TFTP_FILENAME_MAX, TFTP_OPTIONS_MAX,
	  TFTP_REQUEST_MAX + 1 - (2 + TFTP_FILENAME_MAX + 7 + TFTP_OPTIONS_MAX * 6), -E2BIG },
	/* dnsmasq-style padding to 516 bytes. */
	{ 10, 0, 516 - (2 + 10 + 7), 0 },
};

START_TEST(test_request_limits)
{
	struct tftp_request req;
	size_t len;
	uint8_t *b = make_request(size_limits[_i].name_len, size_limits[_i].n_opts,
				  size_limits[_i].pad, &len);
	int r = tftp_pkt_parse_request(b, len, &req);

	ck_assert_msg(r == size_limits[_i].err, "name %zu opts %zu pad %zu: got %d want %d",
		      size_limits[_i].name_len, size_limits[_i].n_opts, size_limits[_i].pad, r,
		      size_limits[_i].err);
	if (r == 0) {
		ck_assert_uint_eq(req.filename_len, size_limits[_i].name_len);
		ck_assert_uint_eq(req.n_options, size_limits[_i].n_opts);
	}
	free(b);
}
END_TEST

START_TEST(test_opcode)
{
	ck_assert_int_eq(tftp_pkt_opcode((const uint8_t *)"", 0), -EBADMSG);
	ck_assert_int_eq(tftp_pkt_opcode((const uint8_t *)"\0", 1), -EBADMSG);
	ck_assert_int_eq(tftp_pkt_opcode((const uint8_t *)"\0\1", 2), TFTP_OP_RRQ);
	ck_assert_int_eq(tftp_pkt_opcode((const uint8_t *)"\0\5xyz", 5), TFTP_OP_ERROR);
	ck_assert_int_eq(tftp_pkt_opcode((const uint8_t *)"\377\377", 2), 65535);
}
END_TEST

/* ---- builders ---- */

/* A buffer with a guard zone: the builder may use only the first size bytes. */
#define GUARD 16
static void fill_guard(uint8_t *b, size_t n)
{
	memset(b, 0xee, n);
}

static void check_guard(const uint8_t *b, size_t from, size_t n)
{
	size_t i;

	for (i = from; i < n; i++)
		ck_assert_msg(b[i] == 0xee, "byte %zu written past size %zu", i, from);
}

START_TEST(test_build_data_ack)
{
	uint8_t b[4 + GUARD];

	fill_guard(b, sizeof(b));
	ck_assert_int_eq(tftp_pkt_put_data_header(b, 4, 0x1234), 4);
	ck_assert_mem_eq(b, "\0\3\x12\x34", 4);
	check_guard(b, 4, sizeof(b));
	ck_assert_int_eq(tftp_pkt_build_ack(b, sizeof(b), 65535), 4);
	ck_assert_mem_eq(b, "\0\4\377\377", 4);
	ck_assert_int_eq(tftp_pkt_build_ack(b, 4, 0), 4);
	ck_assert_mem_eq(b, "\0\4\0\0", 4);
}
END_TEST

START_TEST(test_build_small_header)
{
	uint8_t b[4 + GUARD];
	size_t size = (size_t)_i;

	fill_guard(b, sizeof(b));
	ck_assert_int_eq(tftp_pkt_put_data_header(b, size, 1), -ENOBUFS);
	ck_assert_int_eq(tftp_pkt_build_ack(b, size, 1), -ENOBUFS);
	check_guard(b, 0, sizeof(b));
}
END_TEST

START_TEST(test_build_error)
{
	uint8_t b[64 + GUARD];
	int r;

	fill_guard(b, sizeof(b));
	r = tftp_pkt_build_error(b, 64, TFTP_ERR_NOTFOUND, "File not found");
	ck_assert_int_eq(r, 4 + 14 + 1);
	ck_assert_mem_eq(b, "\0\5\0\1File not found\0", (size_t)r);
	check_guard(b, (size_t)r, sizeof(b));

	/* Control characters and non-ASCII become '?'. */
	r = tftp_pkt_build_error(b, 64, TFTP_ERR_ACCESS, "a\nb\033[0m\177\xc3\xa9");
	ck_assert_int_eq(r, 4 + 10 + 1);
	ck_assert_mem_eq(b, "\0\5\0\2a?b?[0m???\0", (size_t)r);

	/* Truncated to fit, still terminated. */
	r = tftp_pkt_build_error(b, 8, TFTP_ERR_UNDEF, "abcdef");
	ck_assert_int_eq(r, 8);
	ck_assert_mem_eq(b, "\0\5\0\0abc\0", 8);
	r = tftp_pkt_build_error(b, 5, TFTP_ERR_OPTNEG, "abcdef");
	ck_assert_int_eq(r, 5);
	ck_assert_mem_eq(b, "\0\5\0\10\0", 5);
	/* Exactly fitting. */
	r = tftp_pkt_build_error(b, 11, TFTP_ERR_EXISTS, "abcdef");
	ck_assert_int_eq(r, 11);
	ck_assert_mem_eq(b, "\0\5\0\6abcdef\0", 11);

	/* No message: the standard text. */
	r = tftp_pkt_build_error(b, 64, TFTP_ERR_BADTID, NULL);
	ck_assert_int_eq(r, 4 + 19 + 1);
	ck_assert_mem_eq(b, "\0\5\0\5Unknown transfer ID\0", (size_t)r);
	r = tftp_pkt_build_error(b, 64, TFTP_ERR_UNDEF, "");
	ck_assert_int_eq(r, 5);
}
END_TEST

START_TEST(test_build_error_small)
{
	uint8_t b[5 + GUARD];

	fill_guard(b, sizeof(b));
	ck_assert_int_eq(tftp_pkt_build_error(b, (size_t)_i, TFTP_ERR_UNDEF, "x"), -ENOBUFS);
	check_guard(b, 0, sizeof(b));
}
END_TEST

static const char *const oack_names[] = { "blksize", "tsize", "windowsize" };
static const char *const oack_values[] = { "1428", "123456", "8" };
static const uint8_t oack_bytes[] = "\0\6blksize\0" "1428\0tsize\0" "123456\0windowsize\0" "8\0";
#define OACK_LEN (sizeof(oack_bytes) - 1)

START_TEST(test_build_oack)
{
	uint8_t b[OACK_LEN + GUARD];
	int r;

	fill_guard(b, sizeof(b));
	r = tftp_pkt_build_oack(b, OACK_LEN, oack_names, oack_values, 3);
	ck_assert_int_eq(r, (int)OACK_LEN);
	ck_assert_mem_eq(b, oack_bytes, OACK_LEN);
	check_guard(b, OACK_LEN, sizeof(b));

	r = tftp_pkt_build_oack(b, sizeof(b), oack_names, oack_values, 0);
	ck_assert_int_eq(r, 2);
	ck_assert_mem_eq(b, "\0\6", 2);
	r = tftp_pkt_build_oack(b, sizeof(b), NULL, NULL, 0);
	ck_assert_int_eq(r, 2);
}
END_TEST

/* Every size below the exact length fails and writes nothing. */
START_TEST(test_build_oack_small)
{
	uint8_t b[OACK_LEN + GUARD];

	fill_guard(b, sizeof(b));
	ck_assert_int_eq(tftp_pkt_build_oack(b, (size_t)_i, oack_names, oack_values, 3), -ENOBUFS);
	check_guard(b, 0, sizeof(b));
}
END_TEST

/* ---- what a transfer receives ---- */

START_TEST(test_parse_ack)
{
	static const struct {
		const uint8_t *buf;
		size_t len;
		int ret;
		uint16_t block;
	} t[] = {
		{ B(""), -EBADMSG, 0 },
		{ B("\0"), -EBADMSG, 0 },
		{ B("\0\4"), -EBADMSG, 0 },
		{ B("\0\4\0"), -EBADMSG, 0 },
		{ B("\0\4\0\1"), 0, 1 },
		{ B("\0\4\377\377"), 0, 65535 },
		{ B("\0\4\0\0"), 0, 0 },
		/* Padded ACKs are accepted; the extra bytes are ignored. */
		{ B("\0\4\1\2padding"), 0, 0x102 },
		{ B("\0\3\0\1"), -EBADMSG, 0 },
		{ B("\0\5\0\1"), -EBADMSG, 0 },
		{ B("\4\0\0\1"), -EBADMSG, 0 },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		uint16_t block = 0xbeef;
		uint8_t *b = dup_exact(t[i].buf, t[i].len);

		ck_assert_int_eq(tftp_pkt_parse_ack(b, t[i].len, &block), t[i].ret);
		ck_assert_uint_eq(block, t[i].ret == 0 ? t[i].block : 0xbeef);
		free(b);
	}
}
END_TEST

START_TEST(test_parse_data)
{
	static const struct {
		const uint8_t *buf;
		size_t len;
		int ret;
		uint16_t block;
		size_t payload;
	} t[] = {
		{ B(""), -EBADMSG, 0, 0 },     { B("\0\3"), -EBADMSG, 0, 0 },
		{ B("\0\3\0"), -EBADMSG, 0, 0 }, { B("\0\3\0\1"), 0, 1, 0 },
		{ B("\0\3\0\2xyz"), 0, 2, 3 }, { B("\0\4\0\1xyz"), -EBADMSG, 0, 0 },
		{ B("\0\3\377\377\0"), 0, 65535, 1 },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(t); i++) {
		uint16_t block = 0xbeef;
		const uint8_t *payload = NULL;
		size_t plen = 999;
		uint8_t *b = dup_exact(t[i].buf, t[i].len);

		ck_assert_int_eq(tftp_pkt_parse_data(b, t[i].len, &block, &payload, &plen),
				 t[i].ret);
		if (t[i].ret == 0) {
			ck_assert_uint_eq(block, t[i].block);
			ck_assert_uint_eq(plen, t[i].payload);
			ck_assert_ptr_eq(payload, b + 4);
			ck_assert_mem_eq(payload, t[i].buf + 4, plen);
		} else {
			ck_assert_uint_eq(block, 0xbeef);
			ck_assert_ptr_null(payload);
			ck_assert_uint_eq(plen, 999);
		}
		free(b);
	}
}
END_TEST

static const struct {
	const char *what;
	const uint8_t *buf;
	size_t len;
	size_t msgsize;
	int ret;
	uint16_t code;
	const char *msg;
} error_packets[] = {
	/* atftpd CVE-2019-11365: lengths 2 and 3. */
	{ "len 0", B(""), 32, -EBADMSG, 0, NULL },
	{ "len 1", B("\0"), 32, -EBADMSG, 0, NULL },
	{ "len 2", B("\0\5"), 32, -EBADMSG, 0, NULL },
	{ "len 3", B("\0\5\0"), 32, -EBADMSG, 0, NULL },
	{ "len 4", B("\0\5\0\1"), 32, 0, 1, "" },
	{ "len 5 NUL", B("\0\5\0\2\0"), 32, 0, 2, "" },
	{ "normal", B("\0\5\0\1File not found\0"), 32, 0, 1, "File not found" },
	{ "unterminated", B("\0\5\0\10abc"), 32, 0, 8, "abc" },
	{ "unterminated 1", B("\0\5\0\0x"), 32, 0, 0, "x" },
	{ "escaped", B("\0\5\0\0a\nb\033\377c\0"), 32, 0, 0, "a?b??c" },
	{ "stops at NUL", B("\0\5\0\0ab\0cd\0"), 32, 0, 0, "ab" },
	{ "truncated", B("\0\5\0\0abcdef\0"), 4, 0, 0, "abc" },
	{ "truncated unterminated", B("\0\5\0\0abcdef"), 4, 0, 0, "abc" },
	{ "msgsize 1", B("\0\5\0\0abcdef"), 1, 0, 0, "" },
	{ "exact fit", B("\0\5\0\0abc"), 4, 0, 0, "abc" },
	{ "code 65535", B("\0\5\377\377x\0"), 32, 0, 65535, "x" },
	{ "wrong opcode", B("\0\4\0\1abc\0"), 32, -EBADMSG, 0, NULL },
};

START_TEST(test_parse_error)
{
	char msg[64];
	uint16_t code = 0xbeef;
	uint8_t *b = dup_exact(error_packets[_i].buf, error_packets[_i].len);
	int r;

	memset(msg, 'Z', sizeof(msg));
	r = tftp_pkt_parse_error(b, error_packets[_i].len, &code, msg, error_packets[_i].msgsize);
	ck_assert_msg(r == error_packets[_i].ret, "%s: got %d", error_packets[_i].what, r);
	if (r == 0) {
		ck_assert_uint_eq(code, error_packets[_i].code);
		ck_assert_str_eq(msg, error_packets[_i].msg);
		/* Nothing written past msgsize. */
		ck_assert_int_eq(msg[error_packets[_i].msgsize], 'Z');
	} else {
		ck_assert_uint_eq(code, 0xbeef);
		ck_assert_int_eq(msg[0], 'Z');
	}
	free(b);
}
END_TEST

START_TEST(test_parse_error_nobuf)
{
	uint16_t code = 0;
	char msg = 'Z';

	ck_assert_int_eq(tftp_pkt_parse_error(B("\0\5\0\3abc"), &code, &msg, 0), 0);
	ck_assert_uint_eq(code, 3);
	ck_assert_int_eq(msg, 'Z');
	ck_assert_int_eq(tftp_pkt_parse_error(B("\0\5\0\4abc"), &code, NULL, 0), 0);
	ck_assert_uint_eq(code, 4);
}
END_TEST

/* What we build, a client parses back to the same thing. */
START_TEST(test_roundtrip)
{
	uint8_t b[64];
	uint16_t n;
	char msg[64];
	const uint8_t *payload;
	size_t plen;
	int r;

	r = tftp_pkt_build_ack(b, sizeof(b), 4242);
	ck_assert_int_eq(tftp_pkt_parse_ack(b, (size_t)r, &n), 0);
	ck_assert_uint_eq(n, 4242);
	r = tftp_pkt_put_data_header(b, sizeof(b), 7);
	memcpy(b + r, "hello", 5);
	ck_assert_int_eq(tftp_pkt_parse_data(b, (size_t)r + 5, &n, &payload, &plen), 0);
	ck_assert_uint_eq(n, 7);
	ck_assert_uint_eq(plen, 5);
	r = tftp_pkt_build_error(b, sizeof(b), TFTP_ERR_NOSPACE, "Disk full");
	ck_assert_int_eq(tftp_pkt_parse_error(b, (size_t)r, &n, msg, sizeof(msg)), 0);
	ck_assert_uint_eq(n, TFTP_ERR_NOSPACE);
	ck_assert_str_eq(msg, "Disk full");
}
END_TEST

START_TEST(test_texts)
{
	ck_assert_str_eq(tftp_pkt_error_text(TFTP_ERR_NOTFOUND), "File not found");
	ck_assert_str_eq(tftp_pkt_error_text(TFTP_ERR_ACCESS), "Access violation");
	ck_assert_str_eq(tftp_pkt_error_text((enum tftp_error)99), "Unknown error");
	ck_assert_str_eq(tftp_pkt_mode_name(TFTP_MODE_OCTET), "octet");
	ck_assert_str_eq(tftp_pkt_mode_name(TFTP_MODE_NETASCII), "netascii");
	ck_assert_str_eq(tftp_pkt_mode_name((enum tftp_mode)0), "unknown");
}
END_TEST

static Suite *packet_suite(void)
{
	Suite *s = suite_create("packet");
	TCase *tc;

	tc = tcase_create("request");
	tcase_add_loop_test(tc, test_request_bad, 0, (int)ARRAY_SIZE(bad_requests));
	tcase_add_test(tc, test_request_refused_names_file);
	tcase_add_loop_test(tc, test_request_prefix, 0, (int)PREFIX_FULL_LEN + 1);
	tcase_add_loop_test(tc, test_request_good, 0, (int)ARRAY_SIZE(good_requests));
	tcase_add_test(tc, test_request_options_values);
	tcase_add_test(tc, test_request_duplicate_first);
	tcase_add_loop_test(tc, test_request_limits, 0, (int)ARRAY_SIZE(size_limits));
	tcase_add_test(tc, test_opcode);
	suite_add_tcase(s, tc);

	tc = tcase_create("build");
	tcase_add_test(tc, test_build_data_ack);
	tcase_add_loop_test(tc, test_build_small_header, 0, 4);
	tcase_add_test(tc, test_build_error);
	tcase_add_loop_test(tc, test_build_error_small, 0, 5);
	tcase_add_test(tc, test_build_oack);
	tcase_add_loop_test(tc, test_build_oack_small, 0, (int)OACK_LEN);
	suite_add_tcase(s, tc);

	tc = tcase_create("transfer");
	tcase_add_test(tc, test_parse_ack);
	tcase_add_test(tc, test_parse_data);
	tcase_add_loop_test(tc, test_parse_error, 0, (int)ARRAY_SIZE(error_packets));
	tcase_add_test(tc, test_parse_error_nobuf);
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_texts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(packet_suite());
	int number_failed;

	srunner_run_all(sr, CK_ENV);
	number_failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return number_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
