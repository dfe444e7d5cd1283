/*
 * check-open-in-root.c - opening files under the root, with openat2 and with the
 * component walk used where a seccomp filter answers openat2 with ENOSYS
 * (systemd's RestrictSUIDSGID=yes does).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "open-in-root.h"

static char top[64];
static int root_fd = -1;

static void put(const char *rel, const char *text, mode_t mode)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/root/%s", top, rel);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static void make_tree(void)
{
	char path[256];

	strcpy(top, "/tmp/check-chroot.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(top));
	snprintf(path, sizeof(path), "%s/root", top);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/root/sub", top);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	put("a.txt", "top", 0644);
	put("sub/b.txt", "nested", 0644);
	put("private", "secret", 0600);
	snprintf(path, sizeof(path), "%s/root/abs", top);
	ck_assert_int_eq(symlink("/etc/passwd", path), 0);
	snprintf(path, sizeof(path), "%s/root/up", top);
	ck_assert_int_eq(symlink("..", path), 0);
	snprintf(path, sizeof(path), "%s/root/linkdir", top);
	ck_assert_int_eq(symlink("sub", path), 0);
	snprintf(path, sizeof(path), "%s/root", top);
	root_fd = root_open(path);
	ck_assert_int_ge(root_fd, 0);
}

/* What systemd's RestrictSUIDSGID= filter does to openat2. */
static void refuse_openat2(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);

	ck_assert_ptr_nonnull(ctx);
	ck_assert_int_eq(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2), 0), 0);
	ck_assert_int_eq(seccomp_load(ctx), 0);
	seccomp_release(ctx);
}

/* The tree is removed by the forked test itself: fork mode. */
static void remove_tree(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (top[0] != '\0' && system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", top);
}

static void setup(bool walk)
{
	make_tree();
	if (walk)
		refuse_openat2();
}

static void read_is(const char *rel, const char *want)
{
	struct stat st;
	char buf[32] = "";
	int fd = root_open_file(root_fd, rel, true, &st);

	ck_assert_msg(fd >= 0, "%s: %s", rel, strerror(-fd));
	ck_assert_int_eq(read(fd, buf, sizeof(buf) - 1), (ssize_t)strlen(want));
	ck_assert_str_eq(buf, want);
	close(fd);
}

static int open_err(const char *rel)
{
	struct stat st;
	int fd = root_open_file(root_fd, rel, true, &st);

	if (fd >= 0)
		close(fd);
	return fd;
}

/* _i: 0 = openat2, 1 = the component walk. */
START_TEST(test_regular_files)
{
	setup(_i);
	read_is("a.txt", "top");
	read_is("sub/b.txt", "nested");
	ck_assert_int_eq(open_err("missing"), -ENOENT);
	ck_assert_int_eq(open_err("sub/missing"), -ENOENT);
	ck_assert_int_eq(open_err("a.txt/x"), -ENOTDIR);
	ck_assert_int_eq(open_err("sub"), -EISDIR);
	ck_assert_int_eq(open_err("private"), -EACCES);
}
END_TEST

/* Never a byte from outside the root, whichever way links point. */
START_TEST(test_links_stay_inside)
{
	int r;

	setup(_i);
	r = open_err("abs");
	ck_assert_int_lt(r, 0); /* /etc/passwd inside the root does not exist */
	r = open_err("up/root/a.txt");
	if (_i == 0)
		ck_assert_int_eq(r, -ENOENT); /* ".." from the root is the root */
	else
		ck_assert_int_lt(r, 0); /* the walk follows no link at all */
	r = open_err("linkdir/b.txt");
	if (_i == 0)
		ck_assert_int_ge(r, 0); /* a link inside the root resolves inside it */
	else
		ck_assert_int_lt(r, 0);
}
END_TEST

START_TEST(test_parent_for_uploads)
{
	int fd;

	setup(_i);
	fd = root_openat(root_fd, "sub", O_PATH | O_DIRECTORY);
	ck_assert_int_ge(fd, 0);
	close(fd);
	fd = root_openat(root_fd, ".", O_PATH | O_DIRECTORY);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_lt(root_openat(root_fd, "a.txt", O_PATH | O_DIRECTORY), 0);
}
END_TEST

static Suite *chroot_suite(void)
{
	Suite *s = suite_create("chroot");
	TCase *tc = tcase_create("open");

	/* Each test runs in its own forked process: the filter stays there. */
	tcase_set_timeout(tc, 10);
	tcase_add_checked_fixture(tc, NULL, remove_tree);
	tcase_add_loop_test(tc, test_regular_files, 0, 2);
	tcase_add_loop_test(tc, test_links_stay_inside, 0, 2);
	tcase_add_loop_test(tc, test_parent_for_uploads, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(chroot_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
