/*
 * open-in-root.c - the only place files are opened: under the served root,
 * whose directory fd and chroot are made here too.
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
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "open-in-root.h"

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

/*
 * Where a seccomp filter refuses openat2 with ENOSYS (it cannot inspect
 * its flags: systemd's RestrictSUIDSGID= does this), walk the path one
 * component at a time instead, and never follow a symbolic link. The
 * normaliser has already refused ".." and empty components.
 */
static int walk_open(int root_fd, const char *relpath, int flags)
{
	char buf[PATH_MAX];
	char *comp = buf, *slash;
	int dir = root_fd, fd;

	if (strlen(relpath) >= sizeof(buf))
		return -ENAMETOOLONG;
	strcpy(buf, relpath);
	while ((slash = strchr(comp, '/')) != NULL) {
		*slash = '\0';
		fd = openat(dir, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dir != root_fd)
			close(dir);
		if (fd < 0)
			return -errno;
		dir = fd;
		comp = slash + 1;
	}
	fd = openat(dir, comp, flags | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		fd = -errno;
	if (dir != root_fd)
		close(dir);
	return fd;
}

int root_openat(int root_fd, const char *relpath, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, root_fd, relpath, &how, sizeof(how));

	if (fd >= 0)
		return fd;
	if (errno != ENOSYS)
		return -errno;
	return walk_open(root_fd, relpath, flags);
}

int root_open_file(int root_fd, const char *relpath, bool world_readable_only, struct stat *ret_st)
{
	struct stat st;
	/* O_NONBLOCK: opening a FIFO must not wait for a writer.
	 * O_NOCTTY: a terminal in the root must not become ours. */
	int fd = root_openat(root_fd, relpath, O_RDONLY | O_NONBLOCK | O_NOCTTY);

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
