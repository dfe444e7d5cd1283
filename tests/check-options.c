/*
 * check-options.c - unit tests for option negotiation (src/tftp-options.c).
 *
 * Every request is built as real bytes and parsed by tftp_pkt_parse_request
 * from a buffer of exactly its length, as the monitor does, so the tests
 * see what a client can send (and ASan sees any read past it). The numeric
 * edges are the bad inputs other servers were broken by; the OACK tests pin
 * CVE-2021-41054 (atftpd: blksize 8 plus other options overflowed a
 * blksize-sized OACK buffer) and the users' requests about unrequested
 * options (EFI PXE) and blksize clamping.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tftp-options.h"
#include "tftp-packet.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* A NULL-terminated list of option names and values, alternating. */
#define PAIRS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NO_PAIRS ((const char *const[]){ NULL })

#define FORTY_DIGITS "1234567890123456789012345678901234567890"
#define U64_MAX_STR "18446744073709551615"
#define U64_OVER_STR "18446744073709551616"
#define BMAX TFTP_BLKSIZE_MAX
#define WMAX TFTP_WINDOWSIZE_MAX

/* ---- helpers ---- */

/* RRQ/WRQ for "file" in octet mode with the given options, parsed from an
 * exact-size heap copy. The caller frees *ret_buf after use of *ret_req. */
static void make_request(enum tftp_opcode op, const char *const *pairs, uint8_t **ret_buf,
			 struct tftp_request *ret_req)
{
	uint8_t raw[2048];
	size_t len = 0, l, i;

	raw[len++] = 0;
	raw[len++] = (uint8_t)op;
	memcpy(raw + len, "file\0octet", sizeof("file\0octet"));
	len += sizeof("file\0octet");
	for (i = 0; pairs[i]; i++) {
		l = strlen(pairs[i]) + 1;
		ck_assert_uint_le(len + l, sizeof(raw));
		memcpy(raw + len, pairs[i], l);
		len += l;
	}
	*ret_buf = malloc(len);
	ck_assert_ptr_nonnull(*ret_buf);
	memcpy(*ret_buf, raw, len);
	ck_assert_int_eq(tftp_pkt_parse_request(*ret_buf, len, ret_req), 0);
}

/* The result holds copies only, so the request buffer can go at once. */
static int negotiate(enum tftp_opcode op, const char *const *pairs,
		     const struct tftp_opt_limits *lim, struct tftp_opt_result *res)
{
	struct tftp_request req;
	uint8_t *buf;
	int r;

	make_request(op, pairs, &buf, &req);
	memset(res, 0xa5, sizeof(*res));
	r = tftp_opt_negotiate(&req, lim, res);
	free(buf);
	return r;
}

static void assert_defaults(const struct tftp_opt_result *res)
{
	ck_assert_uint_eq(res->blksize, 512);
	ck_assert_uint_eq(res->windowsize, 1);
	ck_assert_uint_eq(res->timeout_us, 0);
	ck_assert_uint_eq(res->rollover, 0);
	ck_assert_uint_eq(res->tsize, 0);
	ck_assert_int_eq(res->tsize_given, 0);
	ck_assert_uint_eq(res->n_acked, 0);
}

/* Build the OACK into an exact TFTP_OACK_MAX heap buffer and compare it
 * byte for byte with opcode 6 followed by the expected pairs. An empty
 * list means no OACK at all (length 0). Returns the length. */
static int assert_oack(const struct tftp_opt_result *res, const char *const *want)
{
	uint8_t expect[TFTP_OACK_MAX], *buf = malloc(TFTP_OACK_MAX);
	size_t len = 2, l, i, n = 0;
	int r;

	ck_assert_ptr_nonnull(buf);
	expect[0] = 0;
	expect[1] = TFTP_OP_OACK;
	for (i = 0; want[i]; i++) {
		l = strlen(want[i]) + 1;
		ck_assert_uint_le(len + l, sizeof(expect));
		memcpy(expect + len, want[i], l);
		len += l;
		n += i % 2;
	}
	ck_assert_uint_eq(res->n_acked, n);
	for (i = 0; i < n; i++) {
		ck_assert_str_eq(tftp_opt_name(res->acked[i]), want[2 * i]);
		ck_assert_str_eq(res->values[res->acked[i]], want[2 * i + 1]);
	}
	r = tftp_opt_build_oack(res, buf, TFTP_OACK_MAX);
	if (n == 0) {
		ck_assert_int_eq(r, 0);
	} else {
		ck_assert_int_eq(r, (int)len);
		ck_assert_mem_eq(buf, expect, len);
	}
	free(buf);
	return r;
}

static const struct tftp_opt_limits lim_default = {
	.blksize_max = BMAX,
	.windowsize_max = WMAX,
};

/* ---- one option, one value: every numeric edge ---- */

static const struct {
	const char *name;  /* as sent */
	const char *value; /* as sent */
	uint32_t max;      /* blksize_max / windowsize_max for the row */
	const char *want;  /* value in the OACK; NULL = dropped */
	uint64_t field;    /* blksize, windowsize, timeout_us or rollover */
} values[] = {
	/* RFC 2348 blksize: < 8 and non-numbers dropped, > limit clamped. */
	{ "blksize", "0", BMAX, NULL, 512 },
	{ "blksize", "7", BMAX, NULL, 512 },
	{ "blksize", "8", BMAX, "8", 8 },
	{ "blksize", "512", BMAX, "512", 512 },
	{ "blksize", "1468", BMAX, "1468", 1468 },
	{ "blksize", "65464", BMAX, "65464", 65464 },
	{ "blksize", "65465", BMAX, "65464", 65464 },
	{ "blksize", "65535", BMAX, "65464", 65464 },
	{ "blksize", U64_MAX_STR, BMAX, "65464", 65464 },
	{ "blksize", U64_OVER_STR, BMAX, "65464", 65464 },
	{ "blksize", FORTY_DIGITS, BMAX, "65464", 65464 },
	{ "blksize", "0008", BMAX, "8", 8 },
	{ "blksize", "-1", BMAX, NULL, 512 },
	{ "blksize", "+8", BMAX, NULL, 512 },
	{ "blksize", " 8", BMAX, NULL, 512 },
	{ "blksize", "8 ", BMAX, NULL, 512 },
	{ "blksize", "8x", BMAX, NULL, 512 },
	{ "blksize", "0x10", BMAX, NULL, 512 },
	{ "blksize", "1e3", BMAX, NULL, 512 },
	{ "blksize", FORTY_DIGITS "x", BMAX, NULL, 512 },
	{ "blksize", "7", 1468, NULL, 512 },
	{ "blksize", "8", 1468, "8", 8 },
	{ "blksize", "1468", 1468, "1468", 1468 },
	{ "blksize", "1469", 1468, "1468", 1468 },
	{ "blksize", "65464", 1468, "1468", 1468 },
	{ "blksize", FORTY_DIGITS, 1468, "1468", 1468 },
	/* A limit outside 8..65464 is brought into it, never trusted. */
	{ "blksize", "1024", 0, "8", 8 },
	{ "blksize", "65535", 100000, "65464", 65464 },
	{ "BLKSIZE", "1024", BMAX, "1024", 1024 },
	{ "BlkSize", "1024", BMAX, "1024", 1024 },
	/* Near-miss names are unknown options (U-Boot's substring bug). */
	{ "blksize ", "1024", BMAX, NULL, 512 },
	{ "blksiz", "1024", BMAX, NULL, 512 },
	{ "blksizes", "1024", BMAX, NULL, 512 },
	{ "xblksize", "1024", BMAX, NULL, 512 },
	{ "blks\xc4\xb1ze", "1024", BMAX, NULL, 512 }, /* dotless i */
	{ "BLKS\xc4\xb0ZE", "1024", BMAX, NULL, 512 }, /* dotted I */

	/* RFC 7440 windowsize: 0 and non-numbers dropped, > limit clamped. */
	{ "windowsize", "0", WMAX, NULL, 1 },
	{ "windowsize", "1", WMAX, "1", 1 },
	{ "windowsize", "7", WMAX, "7", 7 },
	{ "windowsize", "8", WMAX, "8", 8 },
	{ "windowsize", "64", WMAX, "64", 64 },
	{ "windowsize", "65464", WMAX, "65464", 65464 },
	{ "windowsize", "65465", WMAX, "65465", 65465 },
	{ "windowsize", "65535", WMAX, "65535", 65535 },
	{ "windowsize", "65536", WMAX, "65535", 65535 },
	{ "windowsize", FORTY_DIGITS, WMAX, "65535", 65535 },
	{ "windowsize", "-1", WMAX, NULL, 1 },
	{ "windowsize", "+8", WMAX, NULL, 1 },
	{ "windowsize", " 8", WMAX, NULL, 1 },
	{ "windowsize", "8x", WMAX, NULL, 1 },
	{ "windowsize", "0", 64, NULL, 1 },
	{ "windowsize", "1", 64, "1", 1 },
	{ "windowsize", "64", 64, "64", 64 },
	{ "windowsize", "65", 64, "64", 64 },
	{ "windowsize", "65535", 64, "64", 64 },
	{ "windowsize", "8", 0, "1", 1 },
	{ "windowsize", "70000", 70000, "65535", 65535 },
	{ "WINDOWSIZE", "16", WMAX, "16", 16 },

	/* RFC 2349 timeout: 1..255 s, dropped outside, never clamped. */
	{ "timeout", "0", 0, NULL, 0 },
	{ "timeout", "1", 0, "1", 1000000 },
	{ "timeout", "7", 0, "7", 7000000 },
	{ "timeout", "255", 0, "255", 255000000 },
	{ "timeout", "256", 0, NULL, 0 },
	{ "timeout", "65535", 0, NULL, 0 },
	{ "timeout", FORTY_DIGITS, 0, NULL, 0 },
	{ "timeout", "-1", 0, NULL, 0 },
	{ "timeout", "+8", 0, NULL, 0 },
	{ "timeout", " 8", 0, NULL, 0 },
	{ "timeout", "8x", 0, NULL, 0 },
	{ "timeout", "007", 0, "7", 7000000 },
	{ "TIMEOUT", "5", 0, "5", 5000000 },

	/* tftp-hpa utimeout: 10000..255000000 us, dropped outside. */
	{ "utimeout", "0", 0, NULL, 0 },
	{ "utimeout", "9999", 0, NULL, 0 },
	{ "utimeout", "10000", 0, "10000", 10000 },
	{ "utimeout", "255000000", 0, "255000000", 255000000 },
	{ "utimeout", "255000001", 0, NULL, 0 },
	{ "utimeout", FORTY_DIGITS, 0, NULL, 0 },
	{ "utimeout", "-1", 0, NULL, 0 },
	{ "utimeout", "+10000", 0, NULL, 0 },
	{ "utimeout", " 10000", 0, NULL, 0 },
	{ "utimeout", "10000x", 0, NULL, 0 },
	{ "UTimeout", "20000", 0, "20000", 20000 },

	/* rollover: 0 or 1, dropped otherwise; one number syntax. */
	{ "rollover", "0", 0, "0", 0 },
	{ "rollover", "1", 0, "1", 1 },
	{ "rollover", "2", 0, NULL, 0 },
	{ "rollover", "01", 0, "1", 1 },
	{ "rollover", "00", 0, "0", 0 },
	{ "rollover", "-1", 0, NULL, 0 },
	{ "rollover", "+1", 0, NULL, 0 },
	{ "rollover", " 1", 0, NULL, 0 },
	{ "rollover", "1x", 0, NULL, 0 },
	{ "rollover", FORTY_DIGITS, 0, NULL, 0 },
	{ "ROLLOVER", "1", 0, "1", 1 },
};

static uint64_t result_field(const struct tftp_opt_result *res, int opt)
{
	switch (opt) {
	case TFTP_OPT_BLKSIZE:
		return res->blksize;
	case TFTP_OPT_WINDOWSIZE:
		return res->windowsize;
	case TFTP_OPT_TIMEOUT:
	case TFTP_OPT_UTIMEOUT:
		return res->timeout_us;
	case TFTP_OPT_ROLLOVER:
		return res->rollover;
	default:
		return res->tsize;
	}
}

/* Even _i: RRQ, odd: WRQ; these options mean the same in both. */
START_TEST(test_value)
{
	const typeof(values[0]) *c = &values[_i / 2];
	enum tftp_opcode op = _i % 2 ? TFTP_OP_WRQ : TFTP_OP_RRQ;
	struct tftp_opt_limits lim = lim_default;
	struct tftp_opt_result res;
	int opt = tftp_opt_from_name(c->name);

	if (opt == TFTP_OPT_BLKSIZE)
		lim.blksize_max = c->max;
	if (opt == TFTP_OPT_WINDOWSIZE)
		lim.windowsize_max = c->max;
	ck_assert_int_eq(negotiate(op, PAIRS(c->name, c->value), &lim, &res), 0);
	if (opt < 0)
		opt = TFTP_OPT_BLKSIZE; /* near-miss rows: blksize stays 512 */
	ck_assert_msg(result_field(&res, opt) == c->field, "%s=\"%s\": field %ju, want %ju",
		      c->name, c->value, (uintmax_t)result_field(&res, opt), (uintmax_t)c->field);
	if (c->want)
		assert_oack(&res, PAIRS(tftp_opt_name((enum tftp_opt)opt), c->want));
	else
		assert_oack(&res, NO_PAIRS);
}
END_TEST

/* An empty value never reaches negotiation: the codec refuses it. */
START_TEST(test_empty_value)
{
	static const char *const names[] = { "blksize", "tsize", "timeout", "windowsize",
					     "rollover", "utimeout" };
	uint8_t raw[64], *buf;
	struct tftp_request req;
	size_t len, l = strlen(names[_i]) + 1;

	memcpy(raw, "\0\1file\0octet", 13);
	memcpy(raw + 13, names[_i], l);
	len = 13 + l;
	raw[len++] = '\0';
	buf = malloc(len);
	ck_assert_ptr_nonnull(buf);
	memcpy(buf, raw, len);
	ck_assert_int_eq(tftp_pkt_parse_request(buf, len, &req), -EBADMSG);
	free(buf);
}
END_TEST

/* ---- tsize (RFC 2349) ---- */

static const struct {
	const char *what;
	enum tftp_opcode op;
	const char *name;
	const char *value;
	int known;
	uint64_t file_size;
	uint64_t upload_max;
	int err;
	const char *want; /* NULL = dropped */
	int given;
	uint64_t tsize;
} tsizes[] = {
	{ "RRQ 0", TFTP_OP_RRQ, "tsize", "0", 1, 1234, 0, 0, "1234", 0, 0 },
	{ "RRQ non-zero", TFTP_OP_RRQ, "tsize", "99999", 1, 1234, 0, 0, "1234", 0, 0 },
	{ "RRQ non-number", TFTP_OP_RRQ, "tsize", "abc", 1, 1234, 0, 0, "1234", 0, 0 },
	{ "RRQ -1", TFTP_OP_RRQ, "tsize", "-1", 1, 1234, 0, 0, "1234", 0, 0 },
	{ "RRQ 40 digits", TFTP_OP_RRQ, "tsize", FORTY_DIGITS, 1, 1234, 0, 0, "1234", 0, 0 },
	{ "RRQ empty file", TFTP_OP_RRQ, "tsize", "0", 1, 0, 0, 0, "0", 0, 0 },
	{ "RRQ 2^64-1", TFTP_OP_RRQ, "tsize", "0", 1, UINT64_MAX, 0, 0, U64_MAX_STR, 0, 0 },
	{ "RRQ unknown size", TFTP_OP_RRQ, "tsize", "0", 0, 1234, 0, 0, NULL, 0, 0 },
	{ "RRQ cap is for uploads", TFTP_OP_RRQ, "tsize", "0", 1, 100, 10, 0, "100", 0, 0 },
	{ "RRQ upper case", TFTP_OP_RRQ, "TSIZE", "0", 1, 7, 0, 0, "7", 0, 0 },
	{ "WRQ no cap", TFTP_OP_WRQ, "tsize", "1000", 0, 0, 0, 0, "1000", 1, 1000 },
	{ "WRQ 0", TFTP_OP_WRQ, "tsize", "0", 0, 0, 0, 0, "0", 1, 0 },
	{ "WRQ leading zeros", TFTP_OP_WRQ, "tsize", "0010", 0, 0, 0, 0, "10", 1, 10 },
	{ "WRQ 2^64-1", TFTP_OP_WRQ, "tsize", U64_MAX_STR, 0, 0, 0, 0, U64_MAX_STR, 1,
	  UINT64_MAX },
	{ "WRQ 2^64 no cap", TFTP_OP_WRQ, "tsize", U64_OVER_STR, 0, 0, 0, 0, NULL, 0, 0 },
	{ "WRQ 40 digits no cap", TFTP_OP_WRQ, "tsize", FORTY_DIGITS, 0, 0, 0, 0, NULL, 0, 0 },
	{ "WRQ under cap", TFTP_OP_WRQ, "tsize", "999", 0, 0, 1000, 0, "999", 1, 999 },
	{ "WRQ at cap", TFTP_OP_WRQ, "tsize", "1000", 0, 0, 1000, 0, "1000", 1, 1000 },
	{ "WRQ over cap", TFTP_OP_WRQ, "tsize", "1001", 0, 0, 1000, TFTP_ERR_NOSPACE, NULL, 0,
	  0 },
	{ "WRQ 2^64-1 over cap", TFTP_OP_WRQ, "tsize", U64_MAX_STR, 0, 0, 1000, TFTP_ERR_NOSPACE,
	  NULL, 0, 0 },
	{ "WRQ 40 digits over cap", TFTP_OP_WRQ, "tsize", FORTY_DIGITS, 0, 0, 1000,
	  TFTP_ERR_NOSPACE, NULL, 0, 0 },
	{ "WRQ cap 1 at", TFTP_OP_WRQ, "tsize", "1", 0, 0, 1, 0, "1", 1, 1 },
	{ "WRQ cap 1 over", TFTP_OP_WRQ, "tsize", "2", 0, 0, 1, TFTP_ERR_NOSPACE, NULL, 0, 0 },
	{ "WRQ -1", TFTP_OP_WRQ, "tsize", "-1", 0, 0, 1000, 0, NULL, 0, 0 },
	{ "WRQ +8", TFTP_OP_WRQ, "tsize", "+8", 0, 0, 1000, 0, NULL, 0, 0 },
	{ "WRQ space 8", TFTP_OP_WRQ, "tsize", " 8", 0, 0, 1000, 0, NULL, 0, 0 },
	{ "WRQ 8x", TFTP_OP_WRQ, "tsize", "8x", 0, 0, 1000, 0, NULL, 0, 0 },
	{ "WRQ 0x10", TFTP_OP_WRQ, "tsize", "0x10", 0, 0, 1000, 0, NULL, 0, 0 },
	{ "WRQ ignores file_size", TFTP_OP_WRQ, "tsize", "7", 1, 5, 0, 0, "7", 1, 7 },
	{ "WRQ upper case", TFTP_OP_WRQ, "TSIZE", "7", 0, 0, 7, 0, "7", 1, 7 },
};

START_TEST(test_tsize)
{
	const typeof(tsizes[0]) *c = &tsizes[_i];
	struct tftp_opt_limits lim = lim_default;
	struct tftp_opt_result res;
	int r;

	lim.tsize_known = c->known;
	lim.file_size = c->file_size;
	lim.upload_max = c->upload_max;
	/* A blksize before tsize shows that a refusal leaves no partial
	 * result behind. */
	r = negotiate(c->op, PAIRS("blksize", "1024", c->name, c->value), &lim, &res);
	ck_assert_msg(r == c->err, "%s: returned %d, want %d", c->what, r, c->err);
	if (r != 0) {
		assert_defaults(&res);
		assert_oack(&res, NO_PAIRS);
		return;
	}
	ck_assert_int_eq(res.tsize_given, c->given);
	ck_assert_uint_eq(res.tsize, c->tsize);
	ck_assert_uint_eq(res.blksize, 1024);
	if (c->want)
		assert_oack(&res, PAIRS("blksize", "1024", "tsize", c->want));
	else
		assert_oack(&res, PAIRS("blksize", "1024"));
}
END_TEST

/* ---- whole requests: duplicates, unknown, order, timeouts, refusals ---- */

static const struct {
	const char *what;
	enum tftp_opcode op;
	const char *const *sent;
	uint64_t upload_max;
	uint32_t refused;
	int err;
	const char *const *oack;
	uint32_t blksize;
	uint32_t windowsize;
	uint32_t timeout_us;
} flows[] = {
	/* The file size is known, yet never announced unasked (EFI PXE). */
	{ "no options", TFTP_OP_RRQ, NO_PAIRS, 0, 0, 0, NO_PAIRS, 512, 1, 0 },
	{ "no unrequested tsize", TFTP_OP_RRQ, PAIRS("blksize", "1024"), 0, 0, 0,
	  PAIRS("blksize", "1024"), 1024, 1, 0 },
	{ "all dropped", TFTP_OP_RRQ, PAIRS("blksize", "7", "windowsize", "0", "timeout", "0"), 0,
	  0, 0, NO_PAIRS, 512, 1, 0 },

	{ "duplicate: first wins", TFTP_OP_RRQ, PAIRS("blksize", "1024", "blksize", "1400"), 0, 0,
	  0, PAIRS("blksize", "1024"), 1024, 1, 0 },
	{ "duplicate in other case", TFTP_OP_RRQ, PAIRS("BLKSIZE", "1024", "blksize", "1400"), 0,
	  0, 0, PAIRS("blksize", "1024"), 1024, 1, 0 },
	{ "duplicate: invalid first still wins", TFTP_OP_RRQ,
	  PAIRS("blksize", "7", "blksize", "1024"), 0, 0, 0, NO_PAIRS, 512, 1, 0 },
	{ "duplicate: clamped first", TFTP_OP_RRQ, PAIRS("blksize", "9000", "blksize", "1024"), 0,
	  0, 0, PAIRS("blksize", "1468"), 1468, 1, 0 },
	{ "duplicate tsize on RRQ", TFTP_OP_RRQ, PAIRS("tsize", "0", "TSize", "0"), 0, 0, 0,
	  PAIRS("tsize", "4096"), 512, 1, 0 },
	{ "duplicate tsize: under cap first", TFTP_OP_WRQ, PAIRS("tsize", "10", "tsize", "1000"),
	  100, 0, 0, PAIRS("tsize", "10"), 512, 1, 0 },
	{ "duplicate tsize: over cap first", TFTP_OP_WRQ, PAIRS("tsize", "1000", "tsize", "10"),
	  100, 0, TFTP_ERR_NOSPACE, NO_PAIRS, 512, 1, 0 },
	{ "duplicate timeout: valid first", TFTP_OP_RRQ, PAIRS("timeout", "5", "timeout", "300"),
	  0, 0, 0, PAIRS("timeout", "5"), 512, 1, 5000000 },
	{ "duplicate timeout: invalid first", TFTP_OP_RRQ,
	  PAIRS("timeout", "300", "timeout", "5"), 0, 0, 0, NO_PAIRS, 512, 1, 0 },
	{ "duplicate windowsize", TFTP_OP_RRQ, PAIRS("windowsize", "4", "WINDOWSIZE", "8"), 0, 0,
	  0, PAIRS("windowsize", "4"), 512, 4, 0 },

	{ "unknown ignored", TFTP_OP_RRQ,
	  PAIRS("multicast", ",,", "blksize", "1024", "foo", "bar", "windowsize", "8"), 0, 0, 0,
	  PAIRS("blksize", "1024", "windowsize", "8"), 1024, 8, 0 },
	{ "near-miss names ignored", TFTP_OP_RRQ,
	  PAIRS("blksize2", "1024", "xtsize", "0", "tsize ", "0", "time out", "5"), 0, 0, 0,
	  NO_PAIRS, 512, 1, 0 },

	{ "client order kept", TFTP_OP_RRQ,
	  PAIRS("rollover", "1", "windowsize", "8", "tsize", "0", "timeout", "3", "utimeout",
		"20000", "blksize", "1024"),
	  0, 0, 0,
	  PAIRS("rollover", "1", "windowsize", "8", "tsize", "4096", "timeout", "3", "utimeout",
		"20000", "blksize", "1024"),
	  1024, 8, 20000 },
	{ "client order kept, reversed", TFTP_OP_RRQ,
	  PAIRS("blksize", "1024", "utimeout", "20000", "timeout", "3", "tsize", "0",
		"windowsize", "8", "rollover", "1"),
	  0, 0, 0,
	  PAIRS("blksize", "1024", "utimeout", "20000", "timeout", "3", "tsize", "4096",
		"windowsize", "8", "rollover", "1"),
	  1024, 8, 20000 },
	{ "canonical lower-case names", TFTP_OP_RRQ,
	  PAIRS("BLKSIZE", "1024", "TSIZE", "0", "WindowSize", "8"), 0, 0, 0,
	  PAIRS("blksize", "1024", "tsize", "4096", "windowsize", "8"), 1024, 8, 0 },

	{ "utimeout after timeout wins", TFTP_OP_RRQ, PAIRS("timeout", "3", "utimeout", "500000"),
	  0, 0, 0, PAIRS("timeout", "3", "utimeout", "500000"), 512, 1, 500000 },
	{ "utimeout before timeout wins", TFTP_OP_RRQ,
	  PAIRS("utimeout", "500000", "timeout", "3"), 0, 0, 0,
	  PAIRS("utimeout", "500000", "timeout", "3"), 512, 1, 500000 },
	{ "invalid utimeout leaves timeout", TFTP_OP_RRQ, PAIRS("timeout", "3", "utimeout", "9999"),
	  0, 0, 0, PAIRS("timeout", "3"), 512, 1, 3000000 },
	{ "invalid utimeout first leaves timeout", TFTP_OP_RRQ,
	  PAIRS("utimeout", "255000001", "timeout", "3"), 0, 0, 0, PAIRS("timeout", "3"), 512, 1,
	  3000000 },
	{ "invalid timeout leaves utimeout", TFTP_OP_RRQ,
	  PAIRS("timeout", "0", "utimeout", "10000"), 0, 0, 0, PAIRS("utimeout", "10000"), 512, 1,
	  10000 },

	{ "refused tsize over cap is no error", TFTP_OP_WRQ,
	  PAIRS("tsize", "1000", "blksize", "1024"), 100, 1u << TFTP_OPT_TSIZE, 0,
	  PAIRS("blksize", "1024"), 1024, 1, 0 },
	{ "refused utimeout leaves timeout", TFTP_OP_RRQ,
	  PAIRS("utimeout", "500000", "timeout", "3"), 0, 1u << TFTP_OPT_UTIMEOUT, 0,
	  PAIRS("timeout", "3"), 512, 1, 3000000 },
	{ "refused bits past the options are harmless", TFTP_OP_RRQ,
	  PAIRS("blksize", "1024", "windowsize", "8"), 0, ~0u << TFTP_OPT_COUNT, 0,
	  PAIRS("blksize", "1024", "windowsize", "8"), 1024, 8, 0 },
	{ "everything refused", TFTP_OP_RRQ,
	  PAIRS("blksize", "1024", "windowsize", "8", "tsize", "0"), 0, ~0u, 0, NO_PAIRS, 512, 1,
	  0 },
};

START_TEST(test_flow)
{
	const typeof(flows[0]) *c = &flows[_i];
	struct tftp_opt_limits lim = {
		.blksize_max = 1468,
		.windowsize_max = 64,
		.upload_max = c->upload_max,
		.refused = c->refused,
		.tsize_known = 1,
		.file_size = 4096,
	};
	struct tftp_opt_result res;
	int r;

	r = negotiate(c->op, c->sent, &lim, &res);
	ck_assert_msg(r == c->err, "%s: returned %d, want %d", c->what, r, c->err);
	ck_assert_msg(res.blksize == c->blksize, "%s: blksize %u", c->what, res.blksize);
	ck_assert_msg(res.windowsize == c->windowsize, "%s: windowsize %u", c->what,
		      res.windowsize);
	ck_assert_msg(res.timeout_us == c->timeout_us, "%s: timeout_us %u", c->what,
		      res.timeout_us);
	assert_oack(&res, c->oack);
}
END_TEST

/* Every option refused in turn, the other five still acknowledged in
 * order, and the refused one's field left at its default. */
START_TEST(test_refused)
{
	static const char *const sent[] = { "blksize", "1024", "tsize", "0", "timeout", "3",
					    "windowsize", "8", "rollover", "1", "utimeout",
					    "20000", NULL };
	static const char *const acked[] = { "blksize", "1024", "tsize", "4096", "timeout", "3",
					     "windowsize", "8", "rollover", "1", "utimeout",
					     "20000" };
	const char *want[ARRAY_SIZE(acked) + 1];
	struct tftp_opt_limits lim = lim_default;
	struct tftp_opt_result res;
	size_t i, n = 0;

	lim.refused = 1u << _i;
	lim.tsize_known = 1;
	lim.file_size = 4096;
	for (i = 0; i < ARRAY_SIZE(acked); i += 2) {
		if (tftp_opt_from_name(acked[i]) == _i)
			continue;
		want[n++] = acked[i];
		want[n++] = acked[i + 1];
	}
	want[n] = NULL;
	ck_assert_uint_eq(n, 10);
	ck_assert_int_eq(negotiate(TFTP_OP_RRQ, sent, &lim, &res), 0);
	assert_oack(&res, want);
	if (_i == TFTP_OPT_BLKSIZE)
		ck_assert_uint_eq(res.blksize, 512);
	if (_i == TFTP_OPT_WINDOWSIZE)
		ck_assert_uint_eq(res.windowsize, 1);
	if (_i == TFTP_OPT_ROLLOVER)
		ck_assert_uint_eq(res.rollover, 0);
	ck_assert_uint_eq(res.timeout_us, _i == TFTP_OPT_UTIMEOUT ? 3000000 : 20000);
}
END_TEST

/* ---- OACK size ---- */

/*
 * CVE-2021-41054: atftpd wrote the OACK into a buffer of blksize + 4 bytes,
 * so "blksize 8" plus any other option overflowed it. Our OACK has its own
 * TFTP_OACK_MAX buffer: with blksize 8 it must still be complete, and it is
 * longer than a block, which is exactly why it must not go into one.
 */
START_TEST(test_blksize8_all)
{
	struct tftp_opt_limits lim = lim_default;
	struct tftp_opt_result res;
	enum tftp_opcode op = _i ? TFTP_OP_WRQ : TFTP_OP_RRQ;
	int len;

	lim.tsize_known = 1;
	lim.file_size = 123456789;
	ck_assert_int_eq(negotiate(op,
				   PAIRS("blksize", "8", "tsize", op == TFTP_OP_WRQ ? "987654321" : "0",
					 "timeout", "3", "windowsize", "16", "rollover", "0",
					 "utimeout", "250000"),
				   &lim, &res),
			 0);
	ck_assert_uint_eq(res.blksize, 8);
	len = assert_oack(&res, PAIRS("blksize", "8", "tsize",
				      op == TFTP_OP_WRQ ? "987654321" : "123456789", "timeout", "3",
				      "windowsize", "16", "rollover", "0", "utimeout", "250000"));
	ck_assert_int_gt(len, (int)(TFTP_DATA_HDR + res.blksize));
	ck_assert_int_le(len, TFTP_OACK_MAX);
}
END_TEST

/* The longest OACK negotiate can produce, computed from a real negotiation
 * (the .c file has the same bound as a _Static_assert). Client spellings
 * do not count: the OACK carries our canonical names. */
static int longest_oack(enum tftp_opcode op, struct tftp_opt_result *res)
{
	struct tftp_opt_limits lim = lim_default;

	lim.tsize_known = 1;
	lim.file_size = UINT64_MAX;
	ck_assert_int_eq(negotiate(op,
				   PAIRS("BLKSIZE", "65464", "TSIZE", U64_MAX_STR, "TIMEOUT", "255",
					 "WINDOWSIZE", "65535", "ROLLOVER", "1", "UTIMEOUT",
					 "255000000"),
				   &lim, res),
			 0);
	return assert_oack(res, PAIRS("blksize", "65464", "tsize", U64_MAX_STR, "timeout", "255",
				      "windowsize", "65535", "rollover", "1", "utimeout",
				      "255000000"));
}

START_TEST(test_oack_max)
{
	struct tftp_opt_result res;
	int len = longest_oack(_i ? TFTP_OP_WRQ : TFTP_OP_RRQ, &res);

	/* 2 + (8+6) + (6+21) + (8+4) + (11+6) + (9+2) + (9+10) */
	ck_assert_int_eq(len, 102);
	ck_assert_int_le(len, TFTP_OACK_MAX);
}
END_TEST

/* Every buffer size from 0 to TFTP_OACK_MAX: -ENOBUFS below the OACK's
 * length with buf untouched, the OACK from there on. Exact-size heap
 * buffers let ASan catch a write past size. */
START_TEST(test_oack_sizes)
{
	struct tftp_opt_result res;
	int len = longest_oack(TFTP_OP_RRQ, &res);
	size_t size = (size_t)_i, i;
	uint8_t *buf = malloc(size ? size : 1);
	int r;

	ck_assert_ptr_nonnull(buf);
	memset(buf, 0xee, size);
	r = tftp_opt_build_oack(&res, buf, size);
	if (_i < len) {
		ck_assert_int_eq(r, -ENOBUFS);
		for (i = 0; i < size; i++)
			ck_assert_uint_eq(buf[i], 0xee);
	} else {
		ck_assert_int_eq(r, len);
		ck_assert_uint_eq(buf[1], TFTP_OP_OACK);
	}
	free(buf);
}
END_TEST

START_TEST(test_oack_none)
{
	struct tftp_opt_result res;
	uint8_t buf[4] = { 0xee, 0xee, 0xee, 0xee };

	ck_assert_int_eq(negotiate(TFTP_OP_RRQ, PAIRS("foo", "bar"), &lim_default, &res), 0);
	assert_defaults(&res);
	ck_assert_int_eq(tftp_opt_build_oack(&res, buf, sizeof(buf)), 0);
	ck_assert_int_eq(tftp_opt_build_oack(&res, buf, 0), 0);
	ck_assert_int_eq(tftp_opt_build_oack(&res, NULL, 0), 0);
	ck_assert_uint_eq(buf[0], 0xee);
}
END_TEST

/* A result that negotiate cannot produce is refused, not trusted. */
START_TEST(test_oack_bad_result)
{
	struct tftp_opt_result res;
	uint8_t buf[TFTP_OACK_MAX];

	ck_assert_int_eq(tftp_opt_build_oack(NULL, buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(negotiate(TFTP_OP_RRQ, PAIRS("blksize", "1024"), &lim_default, &res), 0);
	ck_assert_int_gt(tftp_opt_build_oack(&res, buf, sizeof(buf)), 0);
	ck_assert_int_eq(tftp_opt_build_oack(&res, NULL, sizeof(buf)), -ENOBUFS);

	res.n_acked = TFTP_OPT_COUNT + 1;
	ck_assert_int_eq(tftp_opt_build_oack(&res, buf, sizeof(buf)), -EINVAL);
	res.n_acked = 1;
	res.acked[0] = TFTP_OPT_COUNT;
	ck_assert_int_eq(tftp_opt_build_oack(&res, buf, sizeof(buf)), -EINVAL);
	res.acked[0] = TFTP_OPT_BLKSIZE;
	memset(res.values[TFTP_OPT_BLKSIZE], '9', sizeof(res.values[TFTP_OPT_BLKSIZE]));
	ck_assert_int_eq(tftp_opt_build_oack(&res, buf, sizeof(buf)), -EINVAL);
}
END_TEST

/* ---- arguments and names ---- */

START_TEST(test_negotiate_bad_args)
{
	struct tftp_request req;
	struct tftp_opt_result res;
	uint8_t *buf;

	make_request(TFTP_OP_RRQ, PAIRS("blksize", "1024"), &buf, &req);
	memset(&res, 0xa5, sizeof(res));
	ck_assert_int_ne(tftp_opt_negotiate(NULL, &lim_default, &res), 0);
	assert_defaults(&res);
	memset(&res, 0xa5, sizeof(res));
	ck_assert_int_ne(tftp_opt_negotiate(&req, NULL, &res), 0);
	assert_defaults(&res);
	ck_assert_int_ne(tftp_opt_negotiate(&req, &lim_default, NULL), 0);
	req.opcode = TFTP_OP_DATA;
	memset(&res, 0xa5, sizeof(res));
	ck_assert_int_eq(tftp_opt_negotiate(&req, &lim_default, &res), TFTP_ERR_BADOP);
	assert_defaults(&res);
	/* A hand-built request with a NULL field is skipped, not read. */
	req.opcode = TFTP_OP_RRQ;
	req.options[0].value = NULL;
	ck_assert_int_eq(tftp_opt_negotiate(&req, &lim_default, &res), 0);
	assert_defaults(&res);
	free(buf);
}
END_TEST

START_TEST(test_names)
{
	static const char *const names[TFTP_OPT_COUNT] = { "blksize",  "tsize",    "timeout",
							   "windowsize", "rollover", "utimeout" };
	int i;

	for (i = 0; i < TFTP_OPT_COUNT; i++) {
		ck_assert_str_eq(tftp_opt_name((enum tftp_opt)i), names[i]);
		ck_assert_int_eq(tftp_opt_from_name(names[i]), i);
	}
	ck_assert_int_eq(tftp_opt_from_name("BLKSIZE"), TFTP_OPT_BLKSIZE);
	ck_assert_int_eq(tftp_opt_from_name("UTimeOut"), TFTP_OPT_UTIMEOUT);
	ck_assert_int_eq(tftp_opt_from_name("blksize "), -1);
	ck_assert_int_eq(tftp_opt_from_name("blk"), -1);
	ck_assert_int_eq(tftp_opt_from_name(""), -1);
	ck_assert_int_eq(tftp_opt_from_name("multicast"), -1);
	ck_assert_int_eq(tftp_opt_from_name(NULL), -1);
	ck_assert_ptr_null(tftp_opt_name(TFTP_OPT_COUNT));
	ck_assert_ptr_null(tftp_opt_name((enum tftp_opt)-1));
}
END_TEST

static Suite *options_suite(void)
{
	Suite *s = suite_create("options");
	TCase *tc;

	tc = tcase_create("values");
	tcase_add_loop_test(tc, test_value, 0, 2 * (int)ARRAY_SIZE(values));
	tcase_add_loop_test(tc, test_empty_value, 0, TFTP_OPT_COUNT);
	tcase_add_loop_test(tc, test_tsize, 0, (int)ARRAY_SIZE(tsizes));
	suite_add_tcase(s, tc);

	tc = tcase_create("requests");
	tcase_add_loop_test(tc, test_flow, 0, (int)ARRAY_SIZE(flows));
	tcase_add_loop_test(tc, test_refused, 0, TFTP_OPT_COUNT);
	tcase_add_test(tc, test_negotiate_bad_args);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);

	tc = tcase_create("oack");
	tcase_add_loop_test(tc, test_blksize8_all, 0, 2);
	tcase_add_loop_test(tc, test_oack_max, 0, 2);
	tcase_add_loop_test(tc, test_oack_sizes, 0, TFTP_OACK_MAX + 1);
	tcase_add_test(tc, test_oack_none);
	tcase_add_test(tc, test_oack_bad_result);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(options_suite());
	int number_failed;

	srunner_run_all(sr, CK_ENV);
	number_failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return number_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
