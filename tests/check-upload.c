/*
 * check-upload.c - unit tests for uploads (src/upload.c).
 *
 * Real file system work in a fresh mkdtemp directory per test:
 *   base/root     the served root (root_fd)
 *   base/outside  a sibling that nothing may ever touch
 * Every test checks both what exists afterwards and that no fd leaked.
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
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "upload.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PREFIX_LEN (sizeof(UPLOAD_TEMP_PREFIX) - 1)

static char base[64];
static int base_fd = -1; /* base, for the test's own *at calls */
static int root_fd = -1; /* base/root, O_PATH, what the monitor holds */
static int fd_baseline;

/* Open fds of this process, not counting the one used to count them. */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;
}

static void setup(void)
{
	snprintf(base, sizeof(base), "/tmp/check-upload.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(base));
	base_fd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(base_fd, 0);
	ck_assert_int_eq(mkdirat(base_fd, "root", 0755), 0);
	ck_assert_int_eq(mkdirat(base_fd, "outside", 0755), 0);
	root_fd = openat(base_fd, "root", O_PATH | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(root_fd, 0);
	fd_baseline = count_fds();
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void teardown(void)
{
	close(root_fd);
	close(base_fd);
	nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void assert_no_fd_leak(void)
{
	ck_assert_int_eq(count_fds(), fd_baseline);
}

/* --- helpers over base_fd-relative paths --------------------------------- */

static void put_file(const char *path, const char *content)
{
	int fd = openat(base_fd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
}

/* Whole content of a file, or NULL when it cannot be opened. */
static const char *get_file(const char *path)
{
	static char buf[4096];
	int fd = openat(base_fd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	return buf;
}

static bool exists(const char *path)
{
	struct stat st;

	return fstatat(base_fd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static struct stat stat_of(const char *path)
{
	struct stat st;

	ck_assert_int_eq(fstatat(base_fd, path, &st, AT_SYMLINK_NOFOLLOW), 0);
	return st;
}

/* Entries in a directory; *ret_temps gets those with our prefix. */
static int count_entries(const char *dir, int *ret_temps)
{
	int fd = openat(base_fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;
	struct dirent *de;
	int n = 0, temps = 0;

	ck_assert_int_ge(fd, 0);
	d = fdopendir(fd);
	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		n++;
		if (strncmp(de->d_name, UPLOAD_TEMP_PREFIX, PREFIX_LEN) == 0)
			temps++;
	}
	closedir(d);
	if (ret_temps)
		*ret_temps = temps;
	return n;
}

static void assert_dir(const char *dir, int entries, int temps)
{
	int t, n = count_entries(dir, &t);

	ck_assert_msg(n == entries && t == temps, "%s: %d entries (%d temporary), want %d (%d)",
		      dir, n, t, entries, temps);
}

static void write_temp(const struct upload *u, const char *data)
{
	ck_assert_int_eq(write(u->tmp_fd, data, strlen(data)), (ssize_t)strlen(data));
}

/* A failed begin leaves *ret as it was. */
static int begin_untouched(const char *relpath, bool create, bool overwrite)
{
	struct upload u, orig;
	int r;

	memset(&u, 0x5a, sizeof(u));
	orig = u;
	r = upload_begin(root_fd, relpath, create, overwrite, &u);
	ck_assert_int_lt(r, 0);
	ck_assert_msg(memcmp(&u, &orig, sizeof(u)) == 0, "%s: *ret changed on failure", relpath);
	assert_no_fd_leak();
	return r;
}

/* --- upload_begin -------------------------------------------------------- */

START_TEST(test_begin_creates_one_temp)
{
	struct upload u;
	struct stat st, fst;
	size_t i;

	ck_assert_int_eq(upload_begin(root_fd, "new", true, false, &u), 0);
	assert_dir("root", 1, 1);
	ck_assert(!exists("root/new"));
	ck_assert_str_eq(u.final_name, "new");
	ck_assert(!u.overwrite);

	ck_assert_uint_eq(strlen(u.tmp_name), PREFIX_LEN + 16);
	ck_assert(strncmp(u.tmp_name, UPLOAD_TEMP_PREFIX, PREFIX_LEN) == 0);
	for (i = PREFIX_LEN; i < PREFIX_LEN + 16; i++)
		ck_assert(strchr("0123456789abcdef", u.tmp_name[i]) != NULL);

	/* The name found on disk is the file we hold, private and empty. */
	ck_assert_int_eq(fstatat(u.dir_fd, u.tmp_name, &st, AT_SYMLINK_NOFOLLOW), 0);
	ck_assert_int_eq(fstat(u.tmp_fd, &fst), 0);
	ck_assert(S_ISREG(st.st_mode));
	ck_assert_uint_eq(st.st_ino, fst.st_ino);
	ck_assert_uint_eq(st.st_dev, fst.st_dev);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(st.st_size, 0);

	ck_assert_int_eq(fcntl(u.tmp_fd, F_GETFL) & O_ACCMODE, O_RDWR);
	ck_assert_int_eq(fcntl(u.dir_fd, F_GETFL) & O_PATH, O_PATH);
	ck_assert_int_eq(fcntl(u.tmp_fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq(fcntl(u.dir_fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq(count_fds(), fd_baseline + 2);

	upload_abort(&u);
	ck_assert_int_eq(u.dir_fd, -1);
	ck_assert_int_eq(u.tmp_fd, -1);
	assert_dir("root", 0, 0);
	assert_no_fd_leak();
}
END_TEST

START_TEST(test_begin_in_subdirectory)
{
	struct upload u;

	ck_assert_int_eq(mkdirat(base_fd, "root/a", 0755), 0);
	ck_assert_int_eq(mkdirat(base_fd, "root/a/b", 0755), 0);
	ck_assert_int_eq(upload_begin(root_fd, "a/b/f", true, false, &u), 0);
	ck_assert_str_eq(u.final_name, "f");
	/* Next to the target, so the rename stays within one directory. */
	assert_dir("root/a/b", 1, 1);
	assert_dir("root/a", 1, 0);
	assert_dir("root", 1, 0);
	upload_abort(&u);
	assert_dir("root/a/b", 0, 0);
	assert_no_fd_leak();
}
END_TEST

START_TEST(test_begin_no_create)
{
	ck_assert_int_eq(begin_untouched("new", false, false), -ENOENT);
	ck_assert_int_eq(begin_untouched("new", false, true), -ENOENT);
	assert_dir("root", 0, 0);
}
END_TEST

START_TEST(test_begin_exists_no_overwrite)
{
	put_file("root/old", "old content");
	ck_assert_int_eq(begin_untouched("old", true, false), -EEXIST);
	ck_assert_int_eq(begin_untouched("old", false, false), -EEXIST);
	assert_dir("root", 1, 0);
	ck_assert_str_eq(get_file("root/old"), "old content");
}
END_TEST

START_TEST(test_begin_exists_overwrite)
{
	struct upload u;

	put_file("root/old", "old content");
	/* create does not matter for an existing target. */
	ck_assert_int_eq(upload_begin(root_fd, "old", _i, true, &u), 0);
	ck_assert(u.overwrite);
	assert_dir("root", 2, 1);
	ck_assert_str_eq(get_file("root/old"), "old content");
	upload_abort(&u);
	assert_dir("root", 1, 0);
	ck_assert_str_eq(get_file("root/old"), "old content");
	assert_no_fd_leak();
}
END_TEST

START_TEST(test_begin_directory)
{
	ck_assert_int_eq(mkdirat(base_fd, "root/d", 0755), 0);
	ck_assert_int_eq(begin_untouched("d", true, false), -EISDIR);
	ck_assert_int_eq(begin_untouched("d", true, true), -EISDIR);
	ck_assert_int_eq(begin_untouched(".", true, true), -EISDIR);
	ck_assert_int_eq(begin_untouched("d/..", true, true), -EISDIR);
	assert_dir("root", 1, 0);
	assert_dir("root/d", 0, 0);
}
END_TEST

START_TEST(test_begin_symlink)
{
	put_file("root/old", "old content");
	ck_assert_int_eq(symlinkat("old", base_fd, "root/link"), 0);
	ck_assert_int_eq(symlinkat("nowhere", base_fd, "root/dangling"), 0);
	ck_assert_int_eq(symlinkat("../outside/x", base_fd, "root/escape"), 0);
	ck_assert_int_eq(begin_untouched("link", true, true), -EPERM);
	ck_assert_int_eq(begin_untouched("link", true, false), -EPERM);
	ck_assert_int_eq(begin_untouched("dangling", true, true), -EPERM);
	ck_assert_int_eq(begin_untouched("escape", true, true), -EPERM);
	assert_dir("root", 4, 0);
	assert_dir("outside", 0, 0);
	ck_assert_str_eq(get_file("root/old"), "old content");
}
END_TEST

START_TEST(test_begin_special_file)
{
	ck_assert_int_eq(mkfifoat(base_fd, "root/fifo", 0666), 0);
	ck_assert_int_eq(begin_untouched("fifo", true, true), -EPERM);
	assert_dir("root", 1, 0);
}
END_TEST

START_TEST(test_begin_bad_parent)
{
	put_file("root/file", "x");
	ck_assert_int_eq(begin_untouched("nodir/x", true, true), -ENOENT);
	ck_assert_int_eq(begin_untouched("nodir/deeper/x", true, true), -ENOENT);
	ck_assert_int_eq(begin_untouched("file/x", true, true), -ENOTDIR);
	assert_dir("root", 1, 0);
}
END_TEST

/* RESOLVE_IN_ROOT: a link in the root that points out of it, relative
 * or absolute, is resolved as if the root were "/". */
START_TEST(test_begin_symlinked_parent_stays_in_root)
{
	char abs_outside[128];
	struct upload u;

	snprintf(abs_outside, sizeof(abs_outside), "%s/outside", base);
	ck_assert_int_eq(symlinkat("../outside", base_fd, "root/rel"), 0);
	ck_assert_int_eq(symlinkat(abs_outside, base_fd, "root/abs"), 0);
	ck_assert_int_eq(symlinkat("/", base_fd, "root/top"), 0);

	/* root/outside and root/<base>/outside do not exist. */
	ck_assert_int_eq(begin_untouched("rel/f", true, false), -ENOENT);
	ck_assert_int_eq(begin_untouched("abs/f", true, false), -ENOENT);
	assert_dir("outside", 0, 0);

	/* "/" is the root itself. */
	ck_assert_int_eq(upload_begin(root_fd, "top/f", true, false, &u), 0);
	assert_dir("root", 4, 1);
	write_temp(&u, "top");
	ck_assert_int_eq(upload_commit(&u, 3, 0, 0644), 0);
	upload_close(&u);
	ck_assert_str_eq(get_file("root/f"), "top");

	/* With root/outside present, "../outside" lands there. */
	ck_assert_int_eq(mkdirat(base_fd, "root/outside", 0755), 0);
	ck_assert_int_eq(upload_begin(root_fd, "rel/f", true, false, &u), 0);
	write_temp(&u, "inside");
	ck_assert_int_eq(upload_commit(&u, 6, 0, 0644), 0);
	upload_close(&u);
	ck_assert_str_eq(get_file("root/outside/f"), "inside");
	assert_dir("outside", 0, 0);
	assert_no_fd_leak();
}
END_TEST

START_TEST(test_begin_refuses_temp_names)
{
	ck_assert_int_eq(mkdirat(base_fd, "root/d", 0755), 0);
	ck_assert_int_eq(begin_untouched(UPLOAD_TEMP_PREFIX "0123456789abcdef", true, true), -EPERM);
	ck_assert_int_eq(begin_untouched("d/" UPLOAD_TEMP_PREFIX "x", true, true), -EPERM);
	assert_dir("root", 1, 0);
	assert_dir("root/d", 0, 0);
}
END_TEST

START_TEST(test_begin_bad_paths)
{
	char longname[NAME_MAX + 2];

	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ck_assert_int_eq(begin_untouched("", true, true), -EINVAL);
	ck_assert_int_eq(begin_untouched("/abs", true, true), -EINVAL);
	ck_assert_int_eq(begin_untouched("dir/", true, true), -EINVAL);
	ck_assert_int_eq(begin_untouched(longname, true, true), -ENAMETOOLONG);
	ck_assert_int_eq(begin_untouched(NULL, true, true), -EINVAL);
	ck_assert_int_eq(upload_begin(root_fd, "x", true, true, NULL), -EINVAL);
	assert_dir("root", 0, 0);
}
END_TEST

START_TEST(test_begin_names_differ)
{
	struct upload a, b;

	ck_assert_int_eq(upload_begin(root_fd, "new", true, false, &a), 0);
	ck_assert_int_eq(upload_begin(root_fd, "new", true, false, &b), 0);
	ck_assert_str_ne(a.tmp_name, b.tmp_name);
	assert_dir("root", 2, 2);
	upload_abort(&a);
	upload_abort(&b);
	assert_dir("root", 0, 0);
	assert_no_fd_leak();
}
END_TEST

/* --- upload_commit ------------------------------------------------------- */

START_TEST(test_commit_new)
{
	struct upload u;
	struct stat tmp_st, st;

	ck_assert_int_eq(upload_begin(root_fd, "new", true, false, &u), 0);
	write_temp(&u, "hello, world");
	ck_assert_int_eq(fstat(u.tmp_fd, &tmp_st), 0);
	ck_assert_int_eq(upload_commit(&u, 12, 0, 0644), 0);
	ck_assert_str_eq(u.tmp_name, "");

	st = stat_of("root/new");
	ck_assert_uint_eq(st.st_ino, tmp_st.st_ino);
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	ck_assert_str_eq(get_file("root/new"), "hello, world");
	assert_dir("root", 1, 0);
	upload_close(&u);
	assert_no_fd_leak();
}
END_TEST

/* The mode is applied whatever the umask, without set-id or sticky bits. */
START_TEST(test_commit_mode)
{
	static const struct {
		mode_t mode, want;
	} modes[] = {
		{ 0600, 0600 }, { 0640, 0640 }, { 0666, 0666 }, { 0444, 0444 },
		{ 04755, 0755 }, { 02755, 0755 }, { 01777, 0777 },
	};
	char name[16];
	size_t i;

	umask(077);
	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		struct upload u;

		snprintf(name, sizeof(name), "f%zu", i);
		ck_assert_int_eq(upload_begin(root_fd, name, true, false, &u), 0);
		ck_assert_int_eq(upload_commit(&u, 0, 0, modes[i].mode), 0);
		upload_close(&u);
		snprintf(name, sizeof(name), "root/f%zu", i);
		ck_assert_uint_eq(stat_of(name).st_mode & 07777, modes[i].want);
	}
	assert_dir("root", (int)ARRAY_SIZE(modes), 0);
	assert_no_fd_leak();
}
END_TEST

START_TEST(test_commit_wrong_size)
{
	struct upload u;
	struct stat before;

	put_file("root/old", "old content");
	before = stat_of("root/old");
	/* overwrite allowed: only the size check stands between the short
	 * upload and the target. */
	ck_assert_int_eq(upload_begin(root_fd, "old", false, true, &u), 0);
	write_temp(&u, "short");
	ck_assert_int_eq(upload_commit(&u, 6, 0, 0644), -EBADMSG);
	ck_assert_int_eq(upload_commit(&u, 4, 0, 0644), -EBADMSG);
	ck_assert_int_eq(upload_commit(&u, 0, 0, 0644), -EBADMSG);
	ck_assert_int_eq(upload_commit(&u, UINT64_MAX, 0, 0644), -EBADMSG);
	/* The monitor's own limit, on the size it reads itself. */
	ck_assert_int_eq(upload_commit(&u, 5, 4, 0644), -EFBIG);
	assert_dir("root", 2, 1);
	upload_abort(&u);

	assert_dir("root", 1, 0);
	ck_assert_str_eq(get_file("root/old"), "old content");
	ck_assert_uint_eq(stat_of("root/old").st_ino, before.st_ino);
	ck_assert_uint_eq(stat_of("root/old").st_mode, before.st_mode);
	assert_no_fd_leak();
}
END_TEST

START_TEST(test_commit_target_appeared)
{
	struct upload u;

	ck_assert_int_eq(upload_begin(root_fd, "new", true, false, &u), 0);
	put_file("root/new", "someone else's");
	write_temp(&u, "ours");
	ck_assert_int_eq(upload_commit(&u, 4, 0, 0644), -EEXIST);
	ck_assert_str_eq(get_file("root/new"), "someone else's");
	upload_abort(&u);
	assert_dir("root", 1, 0);
	ck_assert_str_eq(get_file("root/new"), "someone else's");
	assert_no_fd_leak();
}
END_TEST

/* Two uploads to one new name: the first wins, the second never clobbers. */
START_TEST(test_commit_race_no_overwrite)
{
	struct upload a, b;

	ck_assert_int_eq(upload_begin(root_fd, "new", true, false, &a), 0);
	ck_assert_int_eq(upload_begin(root_fd, "new", true, false, &b), 0);
	write_temp(&a, "first");
	write_temp(&b, "second");
	ck_assert_int_eq(upload_commit(&a, 5, 0, 0644), 0);
	ck_assert_int_eq(upload_commit(&b, 6, 0, 0644), -EEXIST);
	upload_close(&a);
	upload_abort(&b);
	assert_dir("root", 1, 0);
	ck_assert_str_eq(get_file("root/new"), "first");
	assert_no_fd_leak();
}
END_TEST

START_TEST(test_commit_overwrite)
{
	static const char old[] = "old content, much longer than the new one\n";
	struct upload u;
	struct stat before, tmp_st, after;
	char buf[sizeof(old)];
	int reader;

	put_file("root/old", old);
	before = stat_of("root/old");
	reader = openat(base_fd, "root/old", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(reader, 0);

	ck_assert_int_eq(upload_begin(root_fd, "old", false, true, &u), 0);
	write_temp(&u, "new");
	ck_assert_int_eq(fstat(u.tmp_fd, &tmp_st), 0);
	ck_assert_int_eq(upload_commit(&u, 3, 0, 0640), 0);
	upload_close(&u);

	/* A new inode under the name, the whole old content gone from it... */
	after = stat_of("root/old");
	ck_assert_uint_ne(after.st_ino, before.st_ino);
	ck_assert_uint_eq(after.st_ino, tmp_st.st_ino);
	ck_assert_int_eq(after.st_size, 3);
	ck_assert_uint_eq(after.st_mode & 07777, 0640);
	ck_assert_str_eq(get_file("root/old"), "new");
	/* ...while a reader of the old file still sees it whole: replaced,
	 * not rewritten in place. */
	ck_assert_int_eq(read(reader, buf, sizeof(buf)), (ssize_t)strlen(old));
	ck_assert(memcmp(buf, old, strlen(old)) == 0);
	close(reader);
	assert_dir("root", 1, 0);
	assert_no_fd_leak();
}
END_TEST

START_TEST(test_commit_overwrite_symlink_swapped_in)
{
	struct upload u;

	/* A link that appears after begin is replaced, never written through. */
	put_file("outside/victim", "victim");
	ck_assert_int_eq(upload_begin(root_fd, "new", true, true, &u), 0);
	ck_assert_int_eq(symlinkat("../outside/victim", base_fd, "root/new"), 0);
	write_temp(&u, "data");
	ck_assert_int_eq(upload_commit(&u, 4, 0, 0644), 0);
	upload_close(&u);
	ck_assert(S_ISREG(stat_of("root/new").st_mode));
	ck_assert_str_eq(get_file("root/new"), "data");
	ck_assert_str_eq(get_file("outside/victim"), "victim");
	assert_no_fd_leak();
}
END_TEST

/* --- abort and close ----------------------------------------------------- */

START_TEST(test_abort_after_commit)
{
	struct upload u;

	char tmp_path[128];

	ck_assert_int_eq(upload_begin(root_fd, "new", true, false, &u), 0);
	snprintf(tmp_path, sizeof(tmp_path), "root/%s", u.tmp_name);
	write_temp(&u, "kept");
	ck_assert_int_eq(upload_commit(&u, 4, 0, 0644), 0);
	/* Whatever takes the old temporary name later is not ours either. */
	put_file(tmp_path, "someone else's");
	upload_abort(&u);
	upload_abort(&u);
	assert_dir("root", 2, 1);
	ck_assert_str_eq(get_file("root/new"), "kept");
	ck_assert_str_eq(get_file(tmp_path), "someone else's");
	assert_no_fd_leak();
}
END_TEST

START_TEST(test_abort_twice)
{
	struct upload u;

	put_file("root/old", "old");
	ck_assert_int_eq(upload_begin(root_fd, "old", true, true, &u), 0);
	write_temp(&u, "partial");
	upload_abort(&u);
	upload_abort(&u);
	upload_close(&u);
	ck_assert_int_eq(u.dir_fd, -1);
	ck_assert_int_eq(u.tmp_fd, -1);
	assert_dir("root", 1, 0);
	ck_assert_str_eq(get_file("root/old"), "old");
	assert_no_fd_leak();
	upload_abort(NULL);
	upload_close(NULL);
}
END_TEST

/* abort removes our name only: a file someone put under it after the
 * temporary was removed is not ours. */
START_TEST(test_abort_temp_already_gone)
{
	struct upload u;

	ck_assert_int_eq(upload_begin(root_fd, "new", true, false, &u), 0);
	ck_assert_int_eq(unlinkat(u.dir_fd, u.tmp_name, 0), 0);
	upload_abort(&u);
	assert_dir("root", 0, 0);
	assert_no_fd_leak();
}
END_TEST

START_TEST(test_commit_after_abort)
{
	struct upload u;

	ck_assert_int_eq(upload_begin(root_fd, "new", true, false, &u), 0);
	upload_abort(&u);
	ck_assert_int_eq(upload_commit(&u, 0, 0, 0644), -EBADF);
	ck_assert_int_eq(upload_commit(NULL, 0, 0, 0644), -EBADF);
	assert_dir("root", 0, 0);
}
END_TEST

START_TEST(test_commit_twice)
{
	struct upload u;

	ck_assert_int_eq(upload_begin(root_fd, "new", true, true, &u), 0);
	ck_assert_int_eq(upload_commit(&u, 0, 0, 0644), 0);
	ck_assert_int_eq(upload_commit(&u, 0, 0, 0644), -EBADF);
	upload_close(&u);
	upload_close(&u);
	assert_dir("root", 1, 0);
	assert_no_fd_leak();
}
END_TEST

/* --- upload_clean_stale -------------------------------------------------- */

#define T UPLOAD_TEMP_PREFIX

/*
 * root/T1                  temp, depth 0
 * root/keep                ordinary
 * root/Tdir/               a directory with our prefix: not removed, entered
 * root/Tdir/T2             temp, depth 1
 * root/Tlink -> keep       a link with our prefix: not removed
 * root/Tfifo               a FIFO with our prefix: not removed
 * root/out -> ../outside   a directory link: never followed
 * root/d1/T3               temp, depth 1
 * root/d1/d2/T4            temp, depth 2
 * root/d1/d2/keep          ordinary
 * root/d1/d2/d3/d4/T5      temp, depth 4
 * outside/T6               outside the root
 */
static void make_tree(void)
{
	put_file("root/" T "1", "x");
	put_file("root/keep", "x");
	ck_assert_int_eq(mkdirat(base_fd, "root/" T "dir", 0755), 0);
	put_file("root/" T "dir/" T "2", "x");
	ck_assert_int_eq(symlinkat("keep", base_fd, "root/" T "link"), 0);
	ck_assert_int_eq(mkfifoat(base_fd, "root/" T "fifo", 0644), 0);
	ck_assert_int_eq(symlinkat("../outside", base_fd, "root/out"), 0);
	ck_assert_int_eq(mkdirat(base_fd, "root/d1", 0755), 0);
	put_file("root/d1/" T "3", "x");
	ck_assert_int_eq(mkdirat(base_fd, "root/d1/d2", 0755), 0);
	put_file("root/d1/d2/" T "4", "x");
	put_file("root/d1/d2/keep", "x");
	ck_assert_int_eq(mkdirat(base_fd, "root/d1/d2/d3", 0755), 0);
	ck_assert_int_eq(mkdirat(base_fd, "root/d1/d2/d3/d4", 0755), 0);
	put_file("root/d1/d2/d3/d4/" T "5", "x");
	put_file("outside/" T "6", "x");
}

static const struct {
	unsigned max_depth;
	int removed;
	bool gone[6]; /* T1..T6 */
} clean[] = {
	{ 0, 1, { true, false, false, false, false, false } },
	{ 1, 3, { true, true, true, false, false, false } },
	{ 2, 4, { true, true, true, true, false, false } },
	{ 3, 4, { true, true, true, true, false, false } },
	{ 4, 5, { true, true, true, true, true, false } },
	{ 100, 5, { true, true, true, true, true, false } },
	{ UINT32_MAX, 5, { true, true, true, true, true, false } },
};

START_TEST(test_clean_stale)
{
	static const char *temps[6] = {
		"root/" T "1", "root/" T "dir/" T "2", "root/d1/" T "3",
		"root/d1/d2/" T "4", "root/d1/d2/d3/d4/" T "5", "outside/" T "6",
	};
	size_t i;

	make_tree();
	ck_assert_int_eq(upload_clean_stale(root_fd, clean[_i].max_depth), clean[_i].removed);
	for (i = 0; i < ARRAY_SIZE(temps); i++)
		ck_assert_msg(exists(temps[i]) != clean[_i].gone[i], "max_depth %u: %s %s",
			      clean[_i].max_depth, temps[i],
			      clean[_i].gone[i] ? "still there" : "removed");
	ck_assert(exists("root/keep"));
	ck_assert(exists("root/d1/d2/keep"));
	ck_assert(S_ISLNK(stat_of("root/" T "link").st_mode));
	ck_assert(S_ISFIFO(stat_of("root/" T "fifo").st_mode));
	ck_assert(S_ISDIR(stat_of("root/" T "dir").st_mode));
	ck_assert(S_ISLNK(stat_of("root/out").st_mode));
	assert_dir("outside", 1, 1);
	assert_no_fd_leak();

	/* Nothing left to do the second time. */
	ck_assert_int_eq(upload_clean_stale(root_fd, clean[_i].max_depth), 0);
	assert_no_fd_leak();
}
END_TEST

/* However large max_depth, the walk stops at 64 levels (upload.c): one
 * fd and one stack frame per level must stay bounded. */
START_TEST(test_clean_stale_depth_cap)
{
	char dir[512] = "root", at64[600] = "", at65[600];
	size_t len = strlen(dir);
	int depth;

	for (depth = 1; depth <= 65; depth++) {
		len += (size_t)snprintf(dir + len, sizeof(dir) - len, "/d");
		ck_assert_int_eq(mkdirat(base_fd, dir, 0755), 0);
		if (depth == 64)
			snprintf(at64, sizeof(at64), "%s/" T "64", dir);
	}
	snprintf(at65, sizeof(at65), "%s/" T "65", dir);
	put_file(at64, "x");
	put_file(at65, "x");
	ck_assert_int_eq(upload_clean_stale(root_fd, UINT_MAX), 1);
	ck_assert(!exists(at64));
	ck_assert(exists(at65));
	assert_no_fd_leak();
}
END_TEST

START_TEST(test_clean_stale_committed)
{
	struct upload u;

	ck_assert_int_eq(upload_begin(root_fd, "new", true, false, &u), 0);
	ck_assert_int_eq(upload_commit(&u, 0, 0, 0644), 0);
	upload_close(&u);
	ck_assert_int_eq(upload_clean_stale(root_fd, 0), 0);
	ck_assert(exists("root/new"));
	assert_no_fd_leak();
}
END_TEST

START_TEST(test_clean_stale_errors)
{
	int file_fd;

	put_file("root/file", "x");
	file_fd = openat(base_fd, "root/file", O_PATH | O_CLOEXEC);
	ck_assert_int_ge(file_fd, 0);
	ck_assert_int_eq(upload_clean_stale(-1, 1), -EBADF);
	ck_assert_int_eq(upload_clean_stale(file_fd, 1), -ENOTDIR);
	close(file_fd);
	assert_dir("root", 1, 0);
	assert_no_fd_leak();
}
END_TEST

/* --- upload_is_temp_name ------------------------------------------------- */

static const struct {
	const char *path;
	bool temp;
} names[] = {
	{ T "0123456789abcdef", true },
	{ T, true },
	{ T "x", true },
	{ "a/" T "x", true },
	{ "a/b/c/" T "0123456789abcdef", true },
	{ "", false },
	{ "file", false },
	{ "a/file", false },
	{ ".tftpd-upload", false },
	{ ".tftpd-upload-x", false },
	{ "tftpd-upload.x", false },
	{ "..tftpd-upload.x", false },
	{ "x" T "y", false },
	{ ".TFTPD-UPLOAD.x", false },
	{ T "dir/file", false },
	{ "a/.tftpd-uploa", false },
};

START_TEST(test_is_temp_name)
{
	ck_assert_msg(upload_is_temp_name(names[_i].path) == names[_i].temp, "\"%s\": want %s",
		      names[_i].path, names[_i].temp ? "true" : "false");
}
END_TEST

START_TEST(test_is_temp_name_null)
{
	ck_assert(!upload_is_temp_name(NULL));
}
END_TEST

static TCase *fs_tcase(const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, setup, teardown);
	return tc;
}

static Suite *upload_suite(void)
{
	Suite *s = suite_create("upload");
	TCase *tc;

	tc = fs_tcase("begin");
	tcase_add_test(tc, test_begin_creates_one_temp);
	tcase_add_test(tc, test_begin_in_subdirectory);
	tcase_add_test(tc, test_begin_no_create);
	tcase_add_test(tc, test_begin_exists_no_overwrite);
	tcase_add_loop_test(tc, test_begin_exists_overwrite, 0, 2);
	tcase_add_test(tc, test_begin_directory);
	tcase_add_test(tc, test_begin_symlink);
	tcase_add_test(tc, test_begin_special_file);
	tcase_add_test(tc, test_begin_bad_parent);
	tcase_add_test(tc, test_begin_symlinked_parent_stays_in_root);
	tcase_add_test(tc, test_begin_refuses_temp_names);
	tcase_add_test(tc, test_begin_bad_paths);
	tcase_add_test(tc, test_begin_names_differ);
	suite_add_tcase(s, tc);

	tc = fs_tcase("commit");
	tcase_add_test(tc, test_commit_new);
	tcase_add_test(tc, test_commit_mode);
	tcase_add_test(tc, test_commit_wrong_size);
	tcase_add_test(tc, test_commit_target_appeared);
	tcase_add_test(tc, test_commit_race_no_overwrite);
	tcase_add_test(tc, test_commit_overwrite);
	tcase_add_test(tc, test_commit_overwrite_symlink_swapped_in);
	tcase_add_test(tc, test_commit_twice);
	suite_add_tcase(s, tc);

	tc = fs_tcase("abort");
	tcase_add_test(tc, test_abort_after_commit);
	tcase_add_test(tc, test_abort_twice);
	tcase_add_test(tc, test_abort_temp_already_gone);
	tcase_add_test(tc, test_commit_after_abort);
	suite_add_tcase(s, tc);

	tc = fs_tcase("clean_stale");
	tcase_add_loop_test(tc, test_clean_stale, 0, (int)ARRAY_SIZE(clean));
	tcase_add_test(tc, test_clean_stale_depth_cap);
	tcase_add_test(tc, test_clean_stale_committed);
	tcase_add_test(tc, test_clean_stale_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("temp_name");
	tcase_add_loop_test(tc, test_is_temp_name, 0, (int)ARRAY_SIZE(names));
	tcase_add_test(tc, test_is_temp_name_null);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(upload_suite());
	int number_failed;

	srunner_run_all(sr, CK_ENV);
	number_failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return number_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
