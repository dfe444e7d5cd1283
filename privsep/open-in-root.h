/*
 * open-in-root.h - opening files under the served root; its directory fd
 * and the chroot into it.
 */
#ifndef CLOISTER_OPEN_IN_ROOT_H
#define CLOISTER_OPEN_IN_ROOT_H

#include <stdbool.h>
#include <sys/stat.h>

/* Open root as an O_PATH|O_DIRECTORY fd. Returns fd or -errno. */
int root_open(const char *root);

/* chroot into the directory of root_fd (needs CAP_SYS_CHROOT), then chdir("/"). 0 or -errno. */
int root_chroot(int root_fd);

/*
 * Open relpath (normalised, relative) under root_fd with openat2(RESOLVE_IN_ROOT
 * | RESOLVE_NO_MAGICLINKS); where a seccomp filter answers openat2 with
 * ENOSYS, walk it one component at a time without following any symbolic
 * link. flags as for open(2); O_CLOEXEC is added. The fd or -errno.
 */
int root_openat(int root_fd, const char *relpath, int flags);

/*
 * Open relpath for reading under root_fd with openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS), O_NONBLOCK (a FIFO cannot block us), then fstat
 * the fd: only regular files (-EISDIR for directories, -EPERM for anything
 * else); with world_readable_only, only files readable by others (-EACCES).
 * Returns the fd (O_CLOEXEC) with *ret_st filled, or -errno.
 */
int root_open_file(int root_fd, const char *relpath, bool world_readable_only, struct stat *ret_st);

#endif
