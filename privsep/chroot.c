/*
 * chroot.c - the served root: confinement and the only place files are opened.
 *
 * Two independent guards keep requests inside the root: chroot(2) when we
 * are privileged, and openat2(RESOLVE_IN_ROOT) from the root's fd always,
 * which also handles ".." and absolute symlinks as if the root were "/".
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "chroot.h"

int root_open(const char *root)
{
	int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

int root_chroot(int root_fd)
{
	if (fchdir(root_fd) < 0)
		return -errno;
	if (chroot(".") < 0)
		return -errno;
	if (chdir("/") < 0)
		return -errno;
	return 0;
}

static int openat2_read(int dirfd, const char *path)
{
	struct open_how how = {
		/* O_NONBLOCK: opening a FIFO must not wait for a writer.
		 * O_NOCTTY: a terminal in the root must not become ours. */
		.flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));

	return fd < 0 ? -errno : fd;
}

int root_open_file(int root_fd, const char *relpath, bool world_readable_only, struct stat *ret_st)
{
	struct stat st;
	int fd = openat2_read(root_fd, relpath);

	if (fd < 0)
		return fd;
	/* Decide on what we opened, never on a name checked earlier. */
	if (fstat(fd, &st) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return S_ISDIR(st.st_mode) ? -EISDIR : -EPERM;
	}
	/* Started as root, we could read anything; serve only what the
	 * operator made public (as OpenBSD tftpd and tftp-hpa do). */
	if (world_readable_only && !(st.st_mode & S_IROTH)) {
		close(fd);
		return -EACCES;
	}
	*ret_st = st;
	return fd;
}
