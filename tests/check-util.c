/*
 * check-util.c - unit tests for the shared helpers (src/util.c).
 *
 * The number rows are option values that broke other servers: signs,
 * spaces, trailing text and 40-digit numbers must never
 * reach a range check as something else.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "file-io.h"
#include "util.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *s;
	int ret;
	uint64_t v;
} u64[] = {
	{ "0", 0, 0 },
	{ "7", 0, 7 },
	{ "8", 0, 8 },
	{ "512", 0, 512 },
	{ "65464", 0, 65464 },
	{ "65465", 0, 65465 },
	{ "65535", 0, 65535 },
	{ "00008", 0, 8 },
	{ "0000000000000000000000000000000000000000", 0, 0 },
	{ "18446744073709551615", 0, UINT64_MAX },
	{ "018446744073709551615", 0, UINT64_MAX },
	{ "18446744073709551616", -ERANGE, 0 },
	{ "18446744073709551620", -ERANGE, 0 },
	{ "99999999999999999999", -ERANGE, 0 },
	{ "1234567890123456789012345678901234567890", -ERANGE, 0 },
	/* Invalid beats out of range: the whole string is checked. */
	{ "1234567890123456789012345678901234567890x", -EINVAL, 0 },
	{ "", -EINVAL, 0 },
	{ "-1", -EINVAL, 0 },
	{ "-0", -EINVAL, 0 },
	{ "+8", -EINVAL, 0 },
	{ " 8", -EINVAL, 0 },
	{ "8 ", -EINVAL, 0 },
	{ "\t8", -EINVAL, 0 },
	{ "8\n", -EINVAL, 0 },
	{ "8x", -EINVAL, 0 },
	{ "x8", -EINVAL, 0 },
	{ "0x10", -EINVAL, 0 },
	{ "1e3", -EINVAL, 0 },
	{ "1.5", -EINVAL, 0 },
	{ "1,5", -EINVAL, 0 },
	{ "\xd9\xa3", -EINVAL, 0 }, /* ARABIC-INDIC DIGIT THREE */
};

START_TEST(test_parse_u64)
{
	uint64_t v = 0xdeadbeef;
	int r = parse_u64(u64[_i].s, &v);

	ck_assert_msg(r == u64[_i].ret, "\"%s\": got %d want %d", u64[_i].s, r, u64[_i].ret);
	ck_assert_uint_eq(v, r == 0 ? u64[_i].v : 0xdeadbeef);
}
END_TEST

START_TEST(test_parse_u64_null)
{
	uint64_t v = 42;

	ck_assert_int_eq(parse_u64(NULL, &v), -EINVAL);
	ck_assert_uint_eq(v, 42);
}
END_TEST

/* Option ranges from ARCHITECTURE: blksize 8..65464 (RFC 2348),
 * windowsize 1..65535 (RFC 7440), timeout 1..255 (RFC 2349). */
static const struct {
	const char *s;
	uint64_t min, max;
	int ret;
	uint64_t v;
} bounded[] = {
	{ "8", 8, 65464, 0, 8 },
	{ "7", 8, 65464, -ERANGE, 0 },
	{ "0", 8, 65464, -ERANGE, 0 },
	{ "65464", 8, 65464, 0, 65464 },
	{ "65465", 8, 65464, -ERANGE, 0 },
	{ "65535", 8, 65464, -ERANGE, 0 },
	{ "-1", 8, 65464, -EINVAL, 0 },
	{ "+8", 8, 65464, -EINVAL, 0 },
	{ " 8", 8, 65464, -EINVAL, 0 },
	{ "8x", 8, 65464, -EINVAL, 0 },
	{ "1234567890123456789012345678901234567890", 8, 65464, -ERANGE, 0 },
	{ "0", 1, 65535, -ERANGE, 0 },
	{ "1", 1, 65535, 0, 1 },
	{ "65535", 1, 65535, 0, 65535 },
	{ "65536", 1, 65535, -ERANGE, 0 },
	{ "0", 1, 255, -ERANGE, 0 },
	{ "255", 1, 255, 0, 255 },
	{ "256", 1, 255, -ERANGE, 0 },
	{ "0", 0, 0, 0, 0 },
	{ "18446744073709551615", 0, UINT64_MAX, 0, UINT64_MAX },
	{ "", 0, UINT64_MAX, -EINVAL, 0 },
};

START_TEST(test_parse_bounded)
{
	uint64_t v = 0xdeadbeef;
	int r = parse_bounded(bounded[_i].s, bounded[_i].min, bounded[_i].max, &v);

	ck_assert_msg(r == bounded[_i].ret, "\"%s\" in %ju..%ju: got %d", bounded[_i].s,
		      (uintmax_t)bounded[_i].min, (uintmax_t)bounded[_i].max, r);
	ck_assert_uint_eq(v, r == 0 ? bounded[_i].v : 0xdeadbeef);
}
END_TEST

START_TEST(test_now_usec)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	uint64_t a, b, c;

	a = now_usec();
	b = now_usec();
	ck_assert_uint_ge(b, a);
	ck_assert_int_eq(nanosleep(&ts, NULL), 0);
	c = now_usec();
	ck_assert_uint_ge(c - b, 20000);
	/* Seconds, not nanoseconds: well under an hour passed. */
	ck_assert_uint_lt(c - b, 3600ull * 1000000);
}
END_TEST

START_TEST(test_closep)
{
	int p[2], fd;

	ck_assert_int_eq(pipe(p), 0);
	fd = p[0];
	errno = EINTR;
	closep(&p[0]);
	ck_assert_int_eq(p[0], -1);
	ck_assert_int_eq(errno, EINTR);
	ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
	ck_assert_int_eq(errno, EBADF);
	/* Idempotent, and harmless on -1 and NULL. */
	closep(&p[0]);
	ck_assert_int_eq(p[0], -1);
	closep(NULL);
	closep(&p[1]);
	ck_assert_int_eq(p[1], -1);
}
END_TEST

/* ---- a streamed body, read in order (file-io.c) ---- */

/* A writer process that sends text in pieces of `piece` bytes with a
 * pause between them, so that the reader meets short reads, then closes. */
static int stream_of(const char *text, size_t len, size_t piece)
{
	int p[2];
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(p[0]);
		for (size_t at = 0; at < len; at += piece) {
			size_t n = len - at < piece ? len - at : piece;

			if (write(p[1], text + at, n) != (ssize_t)n)
				_exit(1);
			usleep(5000);
		}
		_exit(0);
	}
	close(p[1]);
	return p[0];
}

static const char body[] = "0123456789abcdefghijklmnopqrstuvwxyz";
#define BODY_LEN (sizeof(body) - 1)

START_TEST(test_stream_short_reads)
{
	struct file_stream st = { .fd = stream_of(body, BODY_LEN, 3), .size = BODY_LEN };
	char a[5], b[20], c[64];
	struct iovec two[2] = { { a, sizeof(a) }, { b, sizeof(b) } };

	/* 25 bytes from pieces of 3: every buffer filled all the same */
	ck_assert_int_eq(file_stream_readv(&st, two, 2, 0), 25);
	ck_assert_int_eq(memcmp(a, body, 5), 0);
	ck_assert_int_eq(memcmp(b, body + 5, 20), 0);
	/* more asked than is left: the rest, and the end is checked */
	ck_assert_int_eq(file_stream_readv(&st, &(struct iovec){ c, sizeof(c) }, 1, 25), 11);
	ck_assert_int_eq(memcmp(c, body + 25, 11), 0);
	/* at the end, a read gives nothing, as a file's would */
	ck_assert_int_eq(file_stream_readv(&st, &(struct iovec){ c, sizeof(c) }, 1, BODY_LEN), 0);
	close(st.fd);
}
END_TEST

START_TEST(test_stream_exact_end)
{
	struct file_stream st = { .fd = stream_of(body, BODY_LEN, BODY_LEN), .size = BODY_LEN };
	char c[BODY_LEN];

	ck_assert_int_eq(file_stream_readv(&st, &(struct iovec){ c, sizeof(c) }, 1, 0),
			 (int)BODY_LEN);
	ck_assert_int_eq(memcmp(c, body, BODY_LEN), 0);
	ck_assert_int_eq(file_stream_readv(&st, &(struct iovec){ c, 1 }, 1, BODY_LEN), 0);
	close(st.fd);
}
END_TEST

START_TEST(test_stream_cut_short)
{
	/* 36 bytes sent where 40 were announced */
	struct file_stream st = { .fd = stream_of(body, BODY_LEN, 7), .size = BODY_LEN + 4 };
	char c[64];

	ck_assert_int_eq(file_stream_readv(&st, &(struct iovec){ c, 30 }, 1, 0), 30);
	ck_assert_int_eq(file_stream_readv(&st, &(struct iovec){ c, sizeof(c) }, 1, 30), -EIO);
	close(st.fd);
}
END_TEST

START_TEST(test_stream_too_long)
{
	/* 36 bytes sent where 30 were announced */
	struct file_stream st = { .fd = stream_of(body, BODY_LEN, 4), .size = 30 };
	char c[64];

	ck_assert_int_eq(file_stream_readv(&st, &(struct iovec){ c, 30 }, 1, 0), 30);
	ck_assert_int_eq(file_stream_readv(&st, &(struct iovec){ c, sizeof(c) }, 1, 30), -EIO);
	close(st.fd);
}
END_TEST

START_TEST(test_stream_too_long_at_once)
{
	struct file_stream st = { .fd = stream_of(body, BODY_LEN, BODY_LEN), .size = 30 };
	char c[64];

	ck_assert_int_eq(file_stream_readv(&st, &(struct iovec){ c, sizeof(c) }, 1, 0), -EIO);
	close(st.fd);
}
END_TEST

START_TEST(test_stream_offset)
{
	struct file_stream st = { .fd = stream_of(body, BODY_LEN, BODY_LEN), .size = BODY_LEN };
	char c[8];

	/* forward, skipping a block */
	ck_assert_int_eq(file_stream_readv(&st, &(struct iovec){ c, 4 }, 1, 4), -ESPIPE);
	ck_assert_int_eq(file_stream_readv(&st, &(struct iovec){ c, 4 }, 1, 0), 4);
	/* back, a block again */
	ck_assert_int_eq(file_stream_readv(&st, &(struct iovec){ c, 4 }, 1, 0), -ESPIPE);
	ck_assert_int_eq(file_stream_readv(&st, &(struct iovec){ c, 4 }, 1, 4), 4);
	ck_assert_int_eq(memcmp(c, body + 4, 4), 0);
	ck_assert_uint_eq(st.done, 8);
	close(st.fd);
}
END_TEST

static Suite *util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc;

	tc = tcase_create("numbers");
	tcase_add_loop_test(tc, test_parse_u64, 0, (int)ARRAY_SIZE(u64));
	tcase_add_test(tc, test_parse_u64_null);
	tcase_add_loop_test(tc, test_parse_bounded, 0, (int)ARRAY_SIZE(bounded));
	suite_add_tcase(s, tc);

	tc = tcase_create("system");
	tcase_add_test(tc, test_now_usec);
	tcase_add_test(tc, test_closep);
	suite_add_tcase(s, tc);

	tc = tcase_create("stream");
	tcase_add_test(tc, test_stream_short_reads);
	tcase_add_test(tc, test_stream_exact_end);
	tcase_add_test(tc, test_stream_cut_short);
	tcase_add_test(tc, test_stream_too_long);
	tcase_add_test(tc, test_stream_too_long_at_once);
	tcase_add_test(tc, test_stream_offset);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(util_suite());
	int number_failed;

	srunner_run_all(sr, CK_ENV);
	number_failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return number_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
