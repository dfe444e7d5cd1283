/*
 * check-path.c - unit tests for request-name normalisation (src/path.c)
 * and the escaping of client text for logs (tftp_escape, src/log-format.c).
 *
 * The traversal rows come from what broke or probed other servers (Snort
 * 1:519 family, tqftpserv WRQ "../", dnsmasq's '\' handling). Inputs are
 * copied into buffers of exactly len bytes without a NUL, since the
 * normaliser must read only len bytes.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log-format.h"
#include "path.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* A string literal and its length (embedded NULs included). */
#define S(s) (s), sizeof(s) - 1

static char *dup_exact(const char *src, size_t len)
{
	char *p = malloc(len ? len : 1);

	ck_assert_ptr_nonnull(p);
	if (len)
		memcpy(p, src, len);
	return p;
}

static const struct {
	const char *in;
	size_t len;
	int ret;
	const char *out;
} norm[] = {
	{ S("pxelinux.0"), 0, "pxelinux.0" },
	{ S("/pxelinux.0"), 0, "pxelinux.0" },
	{ S("/etc/passwd"), 0, "etc/passwd" },
	{ S("//etc//"), -EINVAL, NULL },
	{ S("///a"), 0, "a" },
	{ S("boot/grub/grub.cfg"), 0, "boot/grub/grub.cfg" },
	/* Windows/WDS clients. */
	{ S("\\boot\\bcd"), 0, "boot/bcd" },
	{ S("boot\\x64/wdsnbp.com"), 0, "boot/x64/wdsnbp.com" },
	{ S("\\/a"), 0, "a" },
	/* "." components vanish. */
	{ S("./a"), 0, "a" },
	{ S("a/./b"), 0, "a/b" },
	{ S("a/."), 0, "a" },
	{ S("././a/./././b/."), 0, "a/b" },
	{ S("/./a"), 0, "a" },
	{ S("."), -EINVAL, NULL },
	{ S("./."), -EINVAL, NULL },
	{ S("/."), -EINVAL, NULL },
	/* Traversal. */
	{ S(".."), -EINVAL, NULL },
	{ S("../"), -EINVAL, NULL },
	{ S("../etc/passwd"), -EINVAL, NULL },
	{ S("/.."), -EINVAL, NULL },
	{ S("/../etc/passwd"), -EINVAL, NULL },
	{ S("a/.."), -EINVAL, NULL },
	{ S("a/../b"), -EINVAL, NULL },
	{ S("a/b/../../../etc"), -EINVAL, NULL },
	{ S("..\\"), -EINVAL, NULL },
	{ S("..\\windows\\win.ini"), -EINVAL, NULL },
	{ S("a\\..\\b"), -EINVAL, NULL },
	{ S("./.."), -EINVAL, NULL },
	/* Only exactly ".." climbs. */
	{ S("...."), 0, "...." },
	{ S("..."), 0, "..." },
	{ S("..a"), 0, "..a" },
	{ S("a.."), 0, "a.." },
	{ S(".hidden"), 0, ".hidden" },
	{ S("..../x"), 0, "..../x" },
	{ S("....\\x"), 0, "..../x" },
	/* "....//" is refused for its empty component, not as traversal. */
	{ S("....//"), -EINVAL, NULL },
	{ S("....//x"), -EINVAL, NULL },
	/* Empty names and empty components. */
	{ S(""), -EINVAL, NULL },
	{ S("/"), -EINVAL, NULL },
	{ S("//"), -EINVAL, NULL },
	{ S("\\"), -EINVAL, NULL },
	{ S("a//b"), -EINVAL, NULL },
	{ S("a\\\\b"), -EINVAL, NULL },
	{ S("a/"), -EINVAL, NULL },
	{ S("a\\"), -EINVAL, NULL },
	{ S("dir/sub/"), -EINVAL, NULL },
	/* Control characters, NUL included. */
	{ S("a\nb"), -EINVAL, NULL },
	{ S("a\tb"), -EINVAL, NULL },
	{ S("\033[31mred"), -EINVAL, NULL },
	{ S("a\177"), -EINVAL, NULL },
	{ S("\001"), -EINVAL, NULL },
	{ S("a\0b"), -EINVAL, NULL },
	{ S("a\0"), -EINVAL, NULL },
	{ S("a/\r/b"), -EINVAL, NULL },
	/* Ordinary bytes. */
	{ S("my file.txt"), 0, "my file.txt" },
	{ S("caf\xc3\xa9"), 0, "caf\xc3\xa9" },
	{ S("a~b$c"), 0, "a~b$c" },
};

START_TEST(test_normalise)
{
	char out[TFTP_PATH_MAX];
	char *in = dup_exact(norm[_i].in, norm[_i].len);
	int r;

	memset(out, 'Z', sizeof(out));
	r = tftp_path_normalise(in, norm[_i].len, out, sizeof(out));
	ck_assert_msg(r == norm[_i].ret, "row %d: got %d want %d", _i, r, norm[_i].ret);
	if (r == 0)
		ck_assert_str_eq(out, norm[_i].out);
	else
		ck_assert_int_eq(out[0], 'Z');
	free(in);
}
END_TEST

/* Only len bytes are read: what follows in memory does not matter. */
START_TEST(test_normalise_len)
{
	char out[16];

	ck_assert_int_eq(tftp_path_normalise("abc/../x", 3, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "abc");
	ck_assert_int_eq(tftp_path_normalise("a\nb", 1, out, sizeof(out)), 0);
	ck_assert_str_eq(out, "a");
	ck_assert_int_eq(tftp_path_normalise("abc", 0, out, sizeof(out)), -EINVAL);
}
END_TEST

static const struct {
	size_t lead;  /* leading slashes */
	size_t len;   /* then this many 'n' */
	size_t size;  /* output buffer */
	int ret;
} limits[] = {
	{ 0, TFTP_PATH_MAX - 1, TFTP_PATH_MAX, 0 },
	{ 0, TFTP_PATH_MAX, TFTP_PATH_MAX, -ENAMETOOLONG },
	{ 1, TFTP_PATH_MAX - 1, TFTP_PATH_MAX, 0 },
	{ 5, TFTP_PATH_MAX - 1, TFTP_PATH_MAX, 0 },
	{ 0, 4096, TFTP_PATH_MAX, -ENAMETOOLONG },
	{ 0, 1, 2, 0 },
	{ 0, 1, 1, -ENAMETOOLONG },
	{ 0, 1, 0, -ENAMETOOLONG },
	{ 0, 10, 11, 0 },
	{ 0, 10, 10, -ENAMETOOLONG },
};

START_TEST(test_normalise_limits)
{
	size_t n = limits[_i].lead + limits[_i].len;
	char *in = malloc(n), *out = malloc(limits[_i].size + 1);
	int r;

	ck_assert_ptr_nonnull(in);
	ck_assert_ptr_nonnull(out);
	memset(in, '/', limits[_i].lead);
	memset(in + limits[_i].lead, 'n', limits[_i].len);
	memset(out, 'Z', limits[_i].size + 1);
	r = tftp_path_normalise(in, n, out, limits[_i].size);
	ck_assert_msg(r == limits[_i].ret, "row %d: got %d", _i, r);
	if (r == 0)
		ck_assert_uint_eq(strlen(out), limits[_i].len);
	else if (limits[_i].size > 0)
		ck_assert_int_eq(out[0], 'Z');
	/* Never a byte past size. */
	ck_assert_int_eq(out[limits[_i].size], 'Z');
	free(in);
	free(out);
}
END_TEST

/* The "./" and "/" that are dropped do not count against the limit. */
START_TEST(test_normalise_limit_components)
{
	char in[3 * 200], out[256];
	size_t i, n = 0;

	for (i = 0; i < 200; i++) {
		memcpy(in + n, "./", 2);
		n += 2;
	}
	in[n++] = 'x';
	ck_assert_int_eq(tftp_path_normalise(in, n, out, 2), 0);
	ck_assert_str_eq(out, "x");
	/* "a/b" needs 4 bytes with its NUL. */
	ck_assert_int_eq(tftp_path_normalise("a/./b", 5, out, 4), 0);
	ck_assert_str_eq(out, "a/b");
	ck_assert_int_eq(tftp_path_normalise("a/./b", 5, out, 3), -ENAMETOOLONG);
}
END_TEST

/* An invalid name is invalid whatever the buffer size. */
START_TEST(test_normalise_invalid_before_length)
{
	char out[4];

	ck_assert_int_eq(tftp_path_normalise(S("aaaaaaaa/../b"), out, sizeof(out)), -EINVAL);
	ck_assert_int_eq(tftp_path_normalise(NULL, 0, out, sizeof(out)), -EINVAL);
}
END_TEST

static const struct {
	const char *in;
	size_t len;
	size_t size;
	const char *out;
} esc[] = {
	{ S("abc"), 64, "abc" },
	{ S(""), 64, "" },
	{ S("pxelinux.0"), 64, "pxelinux.0" },
	{ S("a b~"), 64, "a b~" },
	{ S("a\\b"), 64, "a\\x5cb" },
	{ S("\n"), 64, "\\x0a" },
	{ S("\033[31m"), 64, "\\x1b[31m" },
	{ S("\177\200\377"), 64, "\\x7f\\x80\\xff" },
	{ S("a\0b"), 64, "a\\x00b" },
	{ S("caf\xc3\xa9"), 64, "caf\\xc3\\xa9" },
	/* Exact fit. */
	{ S("abcdefgh"), 9, "abcdefgh" },
	{ S("\n"), 5, "\\x0a" },
	/* Truncation ends in "...". */
	{ S("abcdefgh"), 8, "abcd..." },
	{ S("abcdefgh"), 5, "a..." },
	{ S("abcdefgh"), 4, "..." },
	{ S("abcdefgh"), 3, ".." },
	{ S("abcdefgh"), 2, "." },
	{ S("abcdefgh"), 1, "" },
	{ S("\n"), 4, "..." },
	/* Escapes are never split. */
	{ S("ab\ncdef"), 8, "ab..." },
	{ S("ab\ncdef"), 10, "ab\\x0a..." },
	{ S("\n\n\n"), 12, "\\x0a\\x0a..." },
	{ S("\n\n\n"), 13, "\\x0a\\x0a\\x0a" },
};

START_TEST(test_escape)
{
	char out[80];
	char *in = dup_exact(esc[_i].in, esc[_i].len);

	memset(out, 'Z', sizeof(out));
	ck_assert_ptr_eq(tftp_escape(in, esc[_i].len, out, esc[_i].size), out);
	ck_assert_str_eq(out, esc[_i].out);
	ck_assert_int_eq(out[esc[_i].size], 'Z');
	free(in);
}
END_TEST

START_TEST(test_escape_edges)
{
	char out[8];

	memset(out, 'Z', sizeof(out));
	ck_assert_ptr_eq(tftp_escape("abc", 3, out, 0), out);
	ck_assert_int_eq(out[0], 'Z');
	ck_assert_ptr_eq(tftp_escape(NULL, 5, out, sizeof(out)), out);
	ck_assert_str_eq(out, "");
	ck_assert_ptr_null(tftp_escape("abc", 3, NULL, 8));
}
END_TEST

static Suite *path_suite(void)
{
	Suite *s = suite_create("path");
	TCase *tc;

	tc = tcase_create("normalise");
	tcase_add_loop_test(tc, test_normalise, 0, (int)ARRAY_SIZE(norm));
	tcase_add_test(tc, test_normalise_len);
	tcase_add_loop_test(tc, test_normalise_limits, 0, (int)ARRAY_SIZE(limits));
	tcase_add_test(tc, test_normalise_limit_components);
	tcase_add_test(tc, test_normalise_invalid_before_length);
	suite_add_tcase(s, tc);

	tc = tcase_create("escape");
	tcase_add_loop_test(tc, test_escape, 0, (int)ARRAY_SIZE(esc));
	tcase_add_test(tc, test_escape_edges);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(path_suite());
	int number_failed;

	srunner_run_all(sr, CK_ENV);
	number_failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return number_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
