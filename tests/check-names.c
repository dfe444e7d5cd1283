/*
 * check-names.c - unit tests for a client's spelling of a name to a path
 * (src/names.c): each row one rule of tftpd.conf(5) NAMES.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <check.h>
#include <errno.h>
#include <string.h>

#include "names.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum { PLAIN, ROOT, STRIP, BACKSLASH, LOWER, ALL };

static const struct name_rules rules[] = {
	[PLAIN] = { 0 },
	[ROOT] = { .root = "/srv/tftp" },
	[STRIP] = { .root = "/srv/tftp", .strip_prefix = "/tftpboot/" },
	[BACKSLASH] = { .backslash = true },
	[LOWER] = { .lowercase = true },
	[ALL] = { .root = "/srv/tftp", .strip_prefix = "C:\\tftp", .backslash = true,
		  .lowercase = true },
};

static const struct {
	int rules;
	const char *name;
	int want;
	const char *path;
} rows[] = {
	{ PLAIN, "pxelinux.0", 0, "pxelinux.0" },
	{ PLAIN, "/pxelinux.0", 0, "pxelinux.0" },
	/* Off by default: '\' is a byte of the name, and "..\" climbs nowhere. */
	{ PLAIN, "boot\\bcd", 0, "boot\\bcd" },
	{ PLAIN, "..\\x", 0, "..\\x" },
	{ PLAIN, "/srv/tftp/x", 0, "srv/tftp/x" },
	/* The root's own path is accepted as a prefix, as whole components. */
	{ ROOT, "/srv/tftp/x", 0, "x" },
	{ ROOT, "/srv/tftp/a/b", 0, "a/b" },
	{ ROOT, "x", 0, "x" },
	{ ROOT, "/x", 0, "x" },
	{ ROOT, "/srv/tftpx", 0, "srv/tftpx" },
	{ ROOT, "srv/tftp/x", 0, "srv/tftp/x" },
	{ ROOT, "/srv/tftp", -EINVAL, NULL },
	{ ROOT, "/srv/tftp/", -EINVAL, NULL },
	{ ROOT, "/srv/tftp/../etc/passwd", -EINVAL, NULL },
	/* strip-prefix first, then the root. */
	{ STRIP, "/tftpboot/x", 0, "x" },
	{ STRIP, "/tftpboot/srv/tftp/x", 0, "x" },
	{ STRIP, "/tftpbootx", 0, "tftpbootx" },
	{ STRIP, "/srv/tftp/tftpboot/x", 0, "tftpboot/x" },
	{ BACKSLASH, "\\boot\\bcd", 0, "boot/bcd" },
	{ BACKSLASH, "..\\windows\\win.ini", -EINVAL, NULL },
	{ BACKSLASH, "a\\\\b", -EINVAL, NULL },
	{ LOWER, "PXELINUX.CFG/01-AA-BB", 0, "pxelinux.cfg/01-aa-bb" },
	{ LOWER, "Boot\\BCD", 0, "boot\\bcd" },
	/* Bytes above ASCII are left alone: no locale decides a name. */
	{ LOWER, "\xc3\x89T\xc3\x89", 0, "\xc3\x89t\xc3\x89" },
	{ ALL, "C:\\TFTP\\Boot\\BCD", 0, "boot/bcd" },
	/* The root is a path on this host: folded too, as the client's name. */
	{ ALL, "\\SRV\\TFTP\\X", 0, "x" },
	{ ALL, "c:\\tftpx", 0, "c:/tftpx" },
};

START_TEST(test_rows)
{
	char out[512] = "untouched";
	int r = names_to_path(&rules[rows[_i].rules], rows[_i].name, strlen(rows[_i].name), out,
			      sizeof(out));

	ck_assert_msg(r == rows[_i].want, "%s: %d, want %d", rows[_i].name, r, rows[_i].want);
	if (r == 0)
		ck_assert_str_eq(out, rows[_i].path);
	else
		ck_assert_str_eq(out, "untouched");
}
END_TEST

START_TEST(test_bounds)
{
	char name[2048], out[512];

	memset(name, 'a', sizeof(name));
	ck_assert_int_eq(names_to_path(&rules[PLAIN], name, 1025, out, sizeof(out)), -ENAMETOOLONG);
	ck_assert_int_eq(names_to_path(&rules[PLAIN], name, 600, out, sizeof(out)), -ENAMETOOLONG);
	ck_assert_int_eq(names_to_path(&rules[PLAIN], name, 511, out, sizeof(out)), 0);
	ck_assert_int_eq(names_to_path(&rules[PLAIN], NULL, 0, out, sizeof(out)), -EINVAL);
	/* The client's bytes are not changed in place. */
	memcpy(name, "A\\B", 4);
	ck_assert_int_eq(names_to_path(&rules[ALL], name, 3, out, sizeof(out)), 0);
	ck_assert_str_eq(name, "A\\B");
	ck_assert_str_eq(out, "a/b");
}
END_TEST

static Suite *names_suite(void)
{
	Suite *s = suite_create("names");
	TCase *tc = tcase_create("names");

	tcase_add_loop_test(tc, test_rows, 0, (int)ARRAY_SIZE(rows));
	tcase_add_test(tc, test_bounds);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(names_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
