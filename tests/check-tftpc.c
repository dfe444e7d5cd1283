/*
 * check-tftpc.c - unit tests for tftpc's pure pieces: the RFC 3617 URI
 * (src/tftpc-uri.c), the request and OACK as a client builds and reads
 * them (tftp_pkt_build_request, tftp_pkt_parse_oack, tftp_opt_ask_pairs,
 * tftp_opt_accept) and the progress and --stats lines
 * (src/tftpc-progress.c). Table-driven: one row, one test.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tftp-options.h"
#include "tftp-packet.h"
#include "tftpc-progress.h"
#include "tftpc-uri.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- URIs ---- */

static const struct uri_case {
	const char *in;
	int ret;
	const char *host;
	uint16_t port;
	const char *file;
	enum tftp_mode mode;
} uris[] = {
	{ "tftp://example.org/boot/pxelinux.0", 0, "example.org", 69, "boot/pxelinux.0",
	  TFTP_MODE_OCTET },
	{ "TFTP://h/x", 0, "h", 69, "x", TFTP_MODE_OCTET },
	{ "tftp://10.0.0.1:6969/x", 0, "10.0.0.1", 6969, "x", TFTP_MODE_OCTET },
	{ "tftp://[::1]:69/x", 0, "::1", 69, "x", TFTP_MODE_OCTET },
	{ "tftp://[fe80::1%eth0]/x", 0, "fe80::1%eth0", 69, "x", TFTP_MODE_OCTET },
	{ "tftp://[2001:db8::2]/a/b", 0, "2001:db8::2", 69, "a/b", TFTP_MODE_OCTET },
	{ "tftp://h//srv/abs", 0, "h", 69, "/srv/abs", TFTP_MODE_OCTET },
	{ "tftp://h/x;mode=netascii", 0, "h", 69, "x", TFTP_MODE_NETASCII },
	{ "tftp://h/x;MODE=Octet", 0, "h", 69, "x", TFTP_MODE_OCTET },
	{ "tftp://h/a%20b%2Fc", 0, "h", 69, "a b/c", TFTP_MODE_OCTET },
	{ "tftp://h/a;b", 0, "h", 69, "a;b", TFTP_MODE_OCTET },
	{ "tftp://h:65535/x", 0, "h", 65535, "x", TFTP_MODE_OCTET },
	/* refused */
	{ "http://h/x", -EINVAL, "", 0, "", 0 },
	{ "tftp:/h/x", -EINVAL, "", 0, "", 0 },
	{ "tftp://h", -EINVAL, "", 0, "", 0 },
	{ "tftp://h/", -EINVAL, "", 0, "", 0 },
	{ "tftp:///x", -EINVAL, "", 0, "", 0 },
	{ "tftp://h:0/x", -EINVAL, "", 0, "", 0 },
	{ "tftp://h:65536/x", -EINVAL, "", 0, "", 0 },
	{ "tftp://h:/x", -EINVAL, "", 0, "", 0 },
	{ "tftp://h:+69/x", -EINVAL, "", 0, "", 0 },
	{ "tftp://[::1/x", -EINVAL, "", 0, "", 0 },
	{ "tftp://[::1]x/y", -EINVAL, "", 0, "", 0 },
	{ "tftp://h h/x", -EINVAL, "", 0, "", 0 },
	{ "tftp://h/x;mode=mail", -EINVAL, "", 0, "", 0 },
	{ "tftp://h/x;mode=", -EINVAL, "", 0, "", 0 },
	{ "tftp://h/a%00b", -EINVAL, "", 0, "", 0 },
	{ "tftp://h/a%0ab", -EINVAL, "", 0, "", 0 },
	{ "tftp://h/a%zz", -EINVAL, "", 0, "", 0 },
	{ "tftp://h/a%4", -EINVAL, "", 0, "", 0 },
	{ "tftp://h/a\tb", -EINVAL, "", 0, "", 0 },
	{ "tftp://h/;mode=octet", -EINVAL, "", 0, "", 0 },
	{ "", -EINVAL, "", 0, "", 0 },
};

START_TEST(test_uri)
{
	const struct uri_case *c = &uris[_i];
	struct tftpc_uri u;
	int r = tftpc_uri_parse(c->in, &u);

	ck_assert_msg(r == c->ret, "%s: %d, want %d", c->in, r, c->ret);
	if (r < 0) {
		ck_assert_str_eq(u.host, "");
		return;
	}
	ck_assert_str_eq(u.host, c->host);
	ck_assert_uint_eq(u.port, c->port);
	ck_assert_str_eq(u.file, c->file);
	ck_assert_int_eq(u.mode, c->mode);
}
END_TEST

START_TEST(test_uri_lengths)
{
	char in[2048], name[600];
	struct tftpc_uri u;

	/* The longest file name a request takes, and one byte more. */
	memset(name, 'a', TFTP_FILENAME_MAX + 1);
	name[TFTP_FILENAME_MAX] = '\0';
	snprintf(in, sizeof(in), "tftp://h/%s", name);
	ck_assert_int_eq(tftpc_uri_parse(in, &u), 0);
	ck_assert_uint_eq(strlen(u.file), TFTP_FILENAME_MAX);
	snprintf(in, sizeof(in), "tftp://h/%sa", name);
	ck_assert_int_eq(tftpc_uri_parse(in, &u), -ENAMETOOLONG);
	memset(name, 'h', TFTPC_HOST_MAX + 1);
	name[TFTPC_HOST_MAX + 1] = '\0';
	snprintf(in, sizeof(in), "tftp://%s/x", name);
	ck_assert_int_eq(tftpc_uri_parse(in, &u), -ENAMETOOLONG);
	ck_assert_int_eq(tftpc_uri_parse(NULL, &u), -EINVAL);
}
END_TEST

static const struct {
	const char *uri;
	const char *base; /* NULL: none safe */
} basenames[] = {
	{ "tftp://h/a/b/pxelinux.0", "pxelinux.0" },
	{ "tftp://h/x", "x" },
	{ "tftp://h/a/", NULL },
	{ "tftp://h/a/..", NULL },
	{ "tftp://h/.", NULL },
	{ "tftp://h/win\\boot\\bcd", "bcd" },
	{ "tftp://h/a\\", NULL },
};

START_TEST(test_basename)
{
	struct tftpc_uri u;
	const char *b;

	ck_assert_int_eq(tftpc_uri_parse(basenames[_i].uri, &u), 0);
	b = tftpc_uri_basename(&u);
	if (!basenames[_i].base)
		ck_assert_ptr_null(b);
	else
		ck_assert_str_eq(b, basenames[_i].base);
}
END_TEST

/* ---- the request and the OACK ---- */

START_TEST(test_request_bytes)
{
	struct tftp_opt_ask ask = { .blksize = 1468, .windowsize = 16, .timeout_s = 1,
				    .tsize = 1, .tsize_value = 1234, .rollover = 0 };
	struct tftp_opt_ask_text t;
	size_t n = tftp_opt_ask_pairs(&ask, TFTP_OP_WRQ, &t);
	uint8_t buf[512];
	static const char want[] = "\0\2dir/f\0octet\0blksize\0" "1468\0windowsize\0" "16\0"
				   "timeout\0" "1\0tsize\0" "1234\0rollover\0" "0";
	struct tftp_request req;
	int len;

	ck_assert_uint_eq(n, 5);
	len = tftp_pkt_build_request(buf, sizeof(buf), TFTP_OP_WRQ, "dir/f", TFTP_MODE_OCTET,
				     t.names, t.values, n);
	ck_assert_int_eq(len, (int)sizeof(want));
	ck_assert_mem_eq(buf, want, sizeof(want));
	/* What we build, the server's parser reads back. */
	ck_assert_int_eq(tftp_pkt_parse_request(buf, (size_t)len, &req), 0);
	ck_assert_uint_eq(req.n_options, 5);
	ck_assert_str_eq(req.filename, "dir/f");
	/* An RRQ asks tsize with 0 (RFC 2349). */
	n = tftp_opt_ask_pairs(&ask, TFTP_OP_RRQ, &t);
	ck_assert_str_eq(t.values[3], "0");
	/* Too small a buffer, bad arguments: refused, nothing written. */
	memset(buf, 0xee, sizeof(buf));
	ck_assert_int_eq(tftp_pkt_build_request(buf, 10, TFTP_OP_RRQ, "dir/f", TFTP_MODE_OCTET,
						t.names, t.values, n), -ENOBUFS);
	ck_assert_uint_eq(buf[0], 0xee);
	ck_assert_int_eq(tftp_pkt_build_request(buf, sizeof(buf), TFTP_OP_DATA, "f",
						TFTP_MODE_OCTET, NULL, NULL, 0), -EINVAL);
	ck_assert_int_eq(tftp_pkt_build_request(buf, sizeof(buf), TFTP_OP_RRQ, "",
						TFTP_MODE_OCTET, NULL, NULL, 0), -EINVAL);
	ck_assert_int_eq(tftp_pkt_build_request(buf, sizeof(buf), TFTP_OP_RRQ, "f",
						TFTP_MODE_NETASCII, NULL, NULL, 0), 13);
}
END_TEST

/* What the client asks in every accept row: blksize 1468, windowsize 16,
 * timeout 2, tsize, no rollover. */
static const struct tftp_opt_ask ASK = { .blksize = 1468, .windowsize = 16, .timeout_s = 2,
					 .tsize = 1, .rollover = -1 };

static const struct accept_case {
	const char *oack; /* pairs separated by '|': "blksize|1024|tsize|9" */
	int ret;
	uint32_t blksize, windowsize, timeout_us;
	int tsize_given;
	uint64_t tsize;
} accepts[] = {
	{ "", 0, 512, 1, 0, 0, 0 },
	{ "blksize|1468", 0, 1468, 1, 0, 0, 0 },
	{ "blksize|1024|windowsize|8", 0, 1024, 8, 0, 0, 0 },
	{ "BLKSIZE|8", 0, 8, 1, 0, 0, 0 },
	{ "windowsize|16|timeout|2|tsize|123456", 0, 512, 16, 2000000, 1, 123456 },
	{ "tsize|0", 0, 512, 1, 0, 1, 0 },
	{ "timeout|255", 0, 512, 1, 255000000, 0, 0 },
	{ "tsize|18446744073709551615", 0, 512, 1, 0, 1, UINT64_MAX },
	/* refused: larger than asked, out of range, not asked, twice, junk */
	{ "blksize|1469", -EPROTO, 0, 0, 0, 0, 0 },
	{ "blksize|7", -EPROTO, 0, 0, 0, 0, 0 },
	{ "windowsize|17", -EPROTO, 0, 0, 0, 0, 0 },
	{ "windowsize|0", -EPROTO, 0, 0, 0, 0, 0 },
	{ "timeout|0", -EPROTO, 0, 0, 0, 0, 0 },
	{ "timeout|256", -EPROTO, 0, 0, 0, 0, 0 },
	{ "rollover|1", -EPROTO, 0, 0, 0, 0, 0 },
	{ "utimeout|10000", -EPROTO, 0, 0, 0, 0, 0 },
	{ "multicast|x", -EPROTO, 0, 0, 0, 0, 0 },
	{ "blksize|1024|blksize|1024", -EPROTO, 0, 0, 0, 0, 0 },
	{ "blksize|+1024", -EPROTO, 0, 0, 0, 0, 0 },
	{ "blksize|1024x", -EPROTO, 0, 0, 0, 0, 0 },
	{ "tsize|-1", -EPROTO, 0, 0, 0, 0, 0 },
	{ "tsize|18446744073709551616", -EPROTO, 0, 0, 0, 0, 0 },
};

/* The OACK bytes of a '|'-separated list. */
static size_t make_oack(const char *pairs, uint8_t *buf)
{
	size_t len = 2;

	buf[0] = 0;
	buf[1] = TFTP_OP_OACK;
	if (*pairs == '\0')
		return len;
	for (const char *p = pairs; *p; p++)
		buf[len++] = *p == '|' ? '\0' : (uint8_t)*p;
	buf[len++] = '\0';
	return len;
}

START_TEST(test_accept)
{
	const struct accept_case *c = &accepts[_i];
	uint8_t buf[256];
	size_t len = make_oack(c->oack, buf);
	struct tftp_request oack;
	struct tftp_opt_result res;
	int r;

	ck_assert_int_eq(tftp_pkt_parse_oack(buf, len, &oack), 0);
	r = tftp_opt_accept(&ASK, &oack, &res);
	ck_assert_msg(r == c->ret, "%s: %d, want %d", c->oack, r, c->ret);
	if (r < 0) {
		/* Refused: the RFC 1350 values, nothing half-taken. */
		ck_assert_uint_eq(res.blksize, 512);
		ck_assert_uint_eq(res.windowsize, 1);
		return;
	}
	ck_assert_uint_eq(res.blksize, c->blksize);
	ck_assert_uint_eq(res.windowsize, c->windowsize);
	ck_assert_uint_eq(res.timeout_us, c->timeout_us);
	ck_assert_int_eq(res.tsize_given, c->tsize_given);
	ck_assert_uint_eq(res.tsize, c->tsize);
}
END_TEST

START_TEST(test_accept_rollover)
{
	struct tftp_opt_ask ask = { .rollover = 0 };
	uint8_t buf[64];
	size_t len = make_oack("rollover|0", buf);
	struct tftp_request oack;
	struct tftp_opt_result res;

	ck_assert_int_eq(tftp_pkt_parse_oack(buf, len, &oack), 0);
	ck_assert_int_eq(tftp_opt_accept(&ask, &oack, &res), 0);
	ck_assert_uint_eq(res.rollover, 0);
	len = make_oack("rollover|1", buf);
	ck_assert_int_eq(tftp_pkt_parse_oack(buf, len, &oack), 0);
	ck_assert_int_eq(tftp_opt_accept(&ask, &oack, &res), 0);
	ck_assert_uint_eq(res.rollover, 1);
	len = make_oack("rollover|2", buf);
	ck_assert_int_eq(tftp_pkt_parse_oack(buf, len, &oack), 0);
	ck_assert_int_eq(tftp_opt_accept(&ask, &oack, &res), -EPROTO);
}
END_TEST

static const struct {
	const char *bytes;
	size_t len;
	int ret;
} oacks[] = {
	{ "\0\6", 2, 0 },
	{ "\0\6blksize\0" "512", 14, 0 },   /* with its final NUL */
	{ "\0\6blksize\0" "512", 13, -EBADMSG }, /* unterminated */
	{ "\0\6blksize\0\0", 11, -EBADMSG }, /* empty value */
	{ "\0\6blksize", 9, -EBADMSG },
	{ "\0\6\0\0", 4, 0 },               /* NUL padding */
	{ "\0\5", 2, -EBADMSG },            /* not an OACK */
	{ "\0", 1, -EBADMSG },
};

START_TEST(test_parse_oack)
{
	struct tftp_request o;
	uint8_t *copy = malloc(oacks[_i].len);

	/* From an exact-size heap copy: ASan sees any read past it. */
	memcpy(copy, oacks[_i].bytes, oacks[_i].len);
	ck_assert_int_eq(tftp_pkt_parse_oack(copy, oacks[_i].len, &o), oacks[_i].ret);
	free(copy);
}
END_TEST

/* ---- the progress and --stats lines ---- */

static const struct bar_case {
	struct tftpc_figures f;
	unsigned width;
	const char *want;
} bars[] = {
	{ { "boot.img", 5242880, 10485760, 1, 2000000 }, 80,
	  "boot.img  5.0 MiB  2.5 MiB/s  ETA 0:02 [#################-----------------]  50%" },
	{ { "x", 0, 100, 1, 0 }, 50, "x  0 B  0 B/s  ETA --:-- [------------------]   0%" },
	{ { "x", 100, 100, 1, 1000000 }, 50, "x  100 B  100 B/s  ETA 0:00 [###############] 100%" },
	{ { "stream", 1536, 0, 0, 1000000 }, 80, "stream  1.5 KiB  1.5 KiB/s" },
	{ { "a-very-long-file-name-indeed-it-is.bin", 1024, 4096, 1, 1000000 }, 80,
	  "~e-name-indeed-it-is.bin  1.0 KiB  1.0 KiB/s  ETA 0:03 [####--------------]  25%" },
	{ { "f", 1, 7200, 1, 1000000 }, 60, "f  1 B  1 B/s  ETA 1:59:59 [--------------------------]   0%" },
	/* Too narrow for a bar: the figures, cut to the width. */
	{ { "name", 1024, 4096, 1, 1000000 }, 20, "name  1.0 KiB  1.0 K" },
	{ { "bad\033[2Jname", 1, 0, 0, 1000000 }, 80, "bad?[2Jname  1 B  1 B/s" },
};

START_TEST(test_bar)
{
	const struct bar_case *c = &bars[_i];
	char line[600];
	int n = tftpc_progress_line(line, sizeof(line), &c->f, c->width);

	ck_assert_int_eq(n, (int)strlen(line));
	ck_assert_msg(strcmp(line, c->want) == 0, "got  '%s'\nwant '%s'", line, c->want);
	ck_assert_uint_le((unsigned)n, c->width);
}
END_TEST

START_TEST(test_bar_every_width)
{
	struct tftpc_figures f = { "some-file.bin", 123456789, 987654321, 1, 12345678 };
	char line[600];
	unsigned w = (unsigned)_i;
	int n = tftpc_progress_line(line, sizeof(line), &f, w);

	ck_assert_int_ge(n, 0);
	ck_assert_uint_le((unsigned)n, w < 20 ? 20 : (w > 512 ? 512 : w));
	ck_assert_int_eq(tftpc_progress_line(line, 10, &f, 80), -ENOBUFS);
}
END_TEST

START_TEST(test_human)
{
	static const struct {
		uint64_t n;
		const char *want;
	} t[] = { { 0, "0 B" }, { 1023, "1023 B" }, { 1024, "1.0 KiB" },
		  { 1048576, "1.0 MiB" }, { 268435456, "256.0 MiB" },
		  { UINT64_MAX, "16777216.0 TiB" } };
	char buf[32];

	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		tftpc_human_bytes(buf, sizeof(buf), t[i].n);
		ck_assert_str_eq(buf, t[i].want);
	}
}
END_TEST

START_TEST(test_stats)
{
	struct tftpc_stats s = { "get", 268435456, 1500000, 65464, 64, 3, 250, 0 };
	char buf[256];

	ck_assert_int_gt(tftpc_stats_json(buf, sizeof(buf), &s), 0);
	ck_assert_str_eq(buf, "{\"op\":\"get\",\"bytes\":268435456,\"seconds\":1.500000,"
			      "\"blksize\":65464,\"windowsize\":64,\"retransmissions\":3,"
			      "\"rtt_ms\":0.250,\"exit\":0}");
	ck_assert_int_eq(tftpc_stats_json(buf, 20, &s), -ENOBUFS);
}
END_TEST

static Suite *tftpc_suite(void)
{
	Suite *s = suite_create("tftpc");
	TCase *tc;

	tc = tcase_create("uri");
	tcase_add_loop_test(tc, test_uri, 0, (int)ARRAY_SIZE(uris));
	tcase_add_test(tc, test_uri_lengths);
	tcase_add_loop_test(tc, test_basename, 0, (int)ARRAY_SIZE(basenames));
	suite_add_tcase(s, tc);

	tc = tcase_create("negotiation");
	tcase_add_test(tc, test_request_bytes);
	tcase_add_loop_test(tc, test_accept, 0, (int)ARRAY_SIZE(accepts));
	tcase_add_test(tc, test_accept_rollover);
	tcase_add_loop_test(tc, test_parse_oack, 0, (int)ARRAY_SIZE(oacks));
	suite_add_tcase(s, tc);

	tc = tcase_create("progress");
	tcase_add_loop_test(tc, test_bar, 0, (int)ARRAY_SIZE(bars));
	tcase_add_loop_test(tc, test_bar_every_width, 0, 600);
	tcase_add_test(tc, test_human);
	tcase_add_test(tc, test_stats);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(tftpc_suite());
	int number_failed;

	srunner_run_all(sr, CK_ENV);
	number_failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return number_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
