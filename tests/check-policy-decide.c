/*
 * check-policy-decide.c - unit tests for the order of the operator's rules
 * on one request (src/policy.c): access lists, then the map file, then
 * the names rules, then the aliases, and the [client] limits.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "policy.h"
#include "tftp-options.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct setting_line lines[] = {
	{ SETTING_ACCESS, "deny", "10.9.0.0/16", NULL, "t:1" },
	{ SETTING_ACCESS, "allow", "10.0.0.0/8", NULL, "t:2" },
	{ SETTING_ACCESS, "deny", "0.0.0.0/0", NULL, "t:3" },
	{ SETTING_WRITE, "deny-write", "10.1.0.0/16", NULL, "t:4" },
	{ SETTING_ALIAS, "default/boot.cfg", "menu.cfg", NULL, "t:5" },
	{ SETTING_ALIAS, "10.2.0.0/16/boot.cfg", "lab.cfg", NULL, "t:6" },
	{ SETTING_ALIAS, "10.2.3.4/boot.cfg", "rescue.cfg", NULL, "t:7" },
	{ SETTING_ALIAS_ONCE, "10.2.3.5/boot.cfg", "install.cfg", NULL, "t:8" },
	{ SETTING_CLIENT, "blksize-max", "1024", "10.3.0.0/16", "t:9" },
	{ SETTING_CLIENT, "refuse", "windowsize", "10.3.0.0/16", "t:10" },
	{ SETTING_CLIENT, "refuse", "all", "10.3.3.0/24", "t:11" },
};

/* The map file sees the name as sent; aliases see the path it became. */
static const char map[] = "r ^/tftpboot/ /\n"
			  "a ^secret\n"
			  "rG ^pxe$ boot.cfg\n";

static const struct {
	const char *client;
	bool upload;
	const char *name;
	bool refused;
	const char *path_or_text;
	bool once;
} rows[] = {
	{ "10.1.1.1", false, "x", false, "x", false },
	{ "10.9.1.1", false, "x", true, "Access denied", false },   /* first match: deny */
	{ "192.0.2.1", false, "x", true, "Access denied", false },  /* the final deny */
	{ "10.1.1.1", true, "x", true, "Uploads are not allowed from here", false },
	{ "10.4.1.1", true, "x", false, "x", false },
	{ "10.1.1.1", false, "/tftpboot/x", false, "x", false },   /* map, then names */
	{ "10.1.1.1", false, "secret.txt", true, "Access denied", false },
	{ "10.1.1.1", false, "boot.cfg", false, "menu.cfg", false }, /* default alias */
	{ "10.2.9.9", false, "boot.cfg", false, "lab.cfg", false },  /* the /16 */
	{ "10.2.3.4", false, "/boot.cfg", false, "rescue.cfg", false }, /* the host */
	{ "10.2.3.5", false, "boot.cfg", false, "install.cfg", true }, /* once */
	{ "10.2.3.4", false, "pxe", false, "rescue.cfg", false },  /* map G, then alias */
	{ "10.2.3.4", true, "pxe", false, "pxe", false },           /* G: not for uploads */
	{ "10.2.3.4", true, "boot.cfg", false, "boot.cfg", false }, /* no alias for uploads */
	{ "10.1.1.1", false, "../etc/passwd", true, "Access violation", false },
	{ "10.1.1.1", false, "/tftpboot/../x", true, "Access violation", false },
};

static void complain_fail(const char *msg)
{
	ck_abort_msg("complaint: %s", msg);
}

static void build(struct policy *p, size_t n_lines, const char *map_text)
{
	struct settings s = { .lines = (struct setting_line *)lines, .n_lines = n_lines };

	ck_assert_int_eq(policy_build(&s, map_text, map_text ? strlen(map_text) : 0, "map", p,
				      complain_fail), 0);
}

static struct addr_key key(const char *text)
{
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	struct addr_key k;

	ck_assert_int_eq(inet_pton(AF_INET, text, &s4.sin_addr), 1);
	ck_assert(addr_key_from((const struct sockaddr *)&s4, false, &k));
	return k;
}

START_TEST(test_rows)
{
	struct policy p;
	struct policy_answer a;
	struct addr_key k = key(rows[_i].client);

	build(&p, ARRAY_SIZE(lines), map);
	policy_decide(&p, &k, AF_INET, rows[_i].upload, rows[_i].name, &a);
	ck_assert_msg(a.refused == rows[_i].refused, "%s from %s: refused %d (%s)", rows[_i].name,
		      rows[_i].client, a.refused, a.reason);
	ck_assert_str_eq(a.refused ? a.text : a.path, rows[_i].path_or_text);
	ck_assert_int_eq(a.alias_once, rows[_i].once);
	policy_free(&p);
}
END_TEST

START_TEST(test_limits)
{
	struct policy p;
	struct policy_answer a;
	struct addr_key k = key("10.3.1.1");

	build(&p, ARRAY_SIZE(lines), NULL);
	policy_decide(&p, &k, AF_INET, false, "x", &a);
	ck_assert_uint_eq(a.limits.blksize_max, 1024);
	ck_assert_uint_eq(a.limits.refused, 1u << TFTP_OPT_WINDOWSIZE);
	ck_assert(!a.limits.refuse_all);
	/* Both sections match: both apply, in order. */
	k = key("10.3.3.3");
	policy_decide(&p, &k, AF_INET, false, "x", &a);
	ck_assert_uint_eq(a.limits.blksize_max, 1024);
	ck_assert(a.limits.refuse_all);
	k = key("10.4.1.1");
	policy_decide(&p, &k, AF_INET, false, "x", &a);
	ck_assert_uint_eq(a.limits.blksize_max, 0);
	ck_assert(!a.limits.refuse_all);
	policy_free(&p);
}
END_TEST

/* Each bad line is named by its place. */
static char complaint[512];

static void complain_keep(const char *msg)
{
	snprintf(complaint, sizeof(complaint), "%s", msg);
}

START_TEST(test_errors)
{
	static const struct setting_line bad[] = {
		{ SETTING_ACCESS, "allow", "10.0.0.1/8", NULL, "f:3" },
		{ SETTING_ALIAS, "nonsense/x", "y", NULL, "f:4" },
		{ SETTING_CLIENT, "blksize-max", "7", "10.0.0.0/8", "f:5" },
		{ SETTING_CLIENT, "refuse", "bogus", "10.0.0.0/8", "f:6" },
		{ SETTING_CLIENT, "refuse", "all", "10.0.0.0/33", "f:7" },
	};
	struct policy p;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct settings s = { .lines = (struct setting_line *)&bad[i], .n_lines = 1 };
		char where[16];

		complaint[0] = '\0';
		ck_assert_int_eq(policy_build(&s, NULL, 0, NULL, &p, complain_keep), -1);
		snprintf(where, sizeof(where), "f:%zu: ", i + 3);
		ck_assert_msg(strncmp(complaint, where, strlen(where)) == 0, "%s", complaint);
	}
	{
		struct settings s = { 0 };

		complaint[0] = '\0';
		ck_assert_int_eq(policy_build(&s, "q x\n", 4, "/etc/m", &p, complain_keep), -1);
		ck_assert_msg(strncmp(complaint, "/etc/m:1: ", 10) == 0, "%s", complaint);
	}
}
END_TEST

static Suite *policy_suite(void)
{
	Suite *s = suite_create("policy-decide");
	TCase *tc = tcase_create("decide");

	tcase_add_loop_test(tc, test_rows, 0, (int)ARRAY_SIZE(rows));
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_errors);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(policy_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
