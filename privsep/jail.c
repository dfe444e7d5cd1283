/*
 * jail.c - turn a freshly forked transfer child into a jailed one.
 *
 * jail_enter() is the only entry point and reads top to bottom in the order
 * of jail.h. Each step returns -errno on failure and the caller _exits: there
 * is no "already restricted" case, EPERM included (tftp-hpa's mistake).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "caps.h"
#include "jail.h"
#include "seccomp-child.h"

/*
 * RLIMIT_NOFILE only limits the numbers of *new* fds: an already open keep_fd
 * above it stays usable. 8 covers 0-2, keep_fd and the two fds of a job, and
 * bounds poll()'s nfds (EINVAL above the limit; OpenSSH 9778a15fa).
 */
#define JAIL_NOFILE 8

static bool is_devnull(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3);
}

/* Close every fd not listed in keep[] (ascending, no duplicates). */
static int close_all_but(const int *keep, size_t n)
{
	unsigned int from = 0;

	for (size_t i = 0; i < n; i++) {
		if ((unsigned int)keep[i] > from &&
		    close_range(from, (unsigned int)keep[i] - 1, 0) < 0)
			return -errno;
		from = (unsigned int)keep[i] + 1;
	}
	if (close_range(from, ~0U, 0) < 0)
		return -errno;
	return 0;
}

/*
 * 1. Keep keep_fd and stderr. /dev/null cannot be opened after chroot, so
 * stdin/stdout survive only if the monitor already made them /dev/null (it
 * does, before chroot); anything else there (a terminal, a pipe) is closed.
 * A closed 0/1 means a received fd may land there: the child never uses
 * stdin/stdout, so that is harmless but worth knowing.
 */
static int jail_fds(int keep_fd)
{
	int keep[4];
	size_t n = 0;

	for (int fd = 0; fd <= 2; fd++)
		if (fd == keep_fd || fd == STDERR_FILENO || is_devnull(fd))
			keep[n++] = fd;
	if (keep_fd > STDERR_FILENO)
		keep[n++] = keep_fd;
	return close_all_but(keep, n);
}

/* 2. The file size limit caps an upload whatever the child does; a write
 * past it must fail (EFBIG, ERROR 3 to the client), not kill the child. */
static int jail_rlimits(const struct jail_config *cfg)
{
	/* clang-format off */
	static const struct {
		int resource;
		rlim_t value;
	} limits[] = {
		{ RLIMIT_NPROC, 0 },            /* no fork (seccomp denies it too) */
		{ RLIMIT_NOFILE, JAIL_NOFILE },
		{ RLIMIT_CORE, 0 },             /* no core full of file data */
	};
	/* clang-format on */

	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		struct rlimit rl = {limits[i].value, limits[i].value};

		if (setrlimit(limits[i].resource, &rl) < 0)
			return -errno;
	}
	if (cfg->fsize_max > 0) {
		struct rlimit rl = { cfg->fsize_max, cfg->fsize_max };

		if (signal(SIGXFSZ, SIG_IGN) == SIG_ERR || setrlimit(RLIMIT_FSIZE, &rl) < 0)
			return -errno;
	}
	return 0;
}

/* 3. No ptrace attach by the same uid, no /proc/PID/mem, no core dump.
 * Called again after the uid switch, which resets it to fs.suid_dumpable.
 * And timers as exact as the kernel keeps them: retransmission timeouts
 * and the gaps of paced bursts are a millisecond or less, which the
 * default 50 us of slack would stretch. */
static int jail_dumpable(void)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0) < 0)
		return -errno;
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
		return -EPERM;
	return 0;
}

int jail_verify_ids(const struct jail_config *ids)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	int n;

	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
		return -errno;
	if (ru != ids->uid || eu != ids->uid || su != ids->uid || rg != ids->gid ||
	    eg != ids->gid || sg != ids->gid)
		return -EPERM;
	n = getgroups(0, NULL);
	if (n < 0)
		return -errno;
	return n == 0 ? 0 : -EPERM; /* setgroups(0) really emptied the list */
}

/* 4. The bounding set goes first, while CAP_SETPCAP can still be raised from
 * the monitor's permitted set; each cap is effective only for its call. */
static int jail_ids_switch(const struct jail_config *ids)
{
	int r;

	if ((r = caps_raise(CAP_SETPCAP)) < 0 || (r = caps_drop_bounding()) < 0)
		return r;
	if ((r = caps_raise(CAP_SETGID)) < 0)
		return r;
	if (setgroups(0, NULL) < 0)
		return -errno;
	if (setresgid(ids->gid, ids->gid, ids->gid) < 0)
		return -errno;
	if ((r = caps_raise(CAP_SETUID)) < 0)
		return r;
	if (setresuid(ids->uid, ids->uid, ids->uid) < 0)
		return -errno;
	if ((r = jail_verify_ids(ids)) < 0)
		return r;
	return jail_dumpable();
}

/* 5. Killed when the monitor dies: an orphan would keep serving (and
 * holding port 69) with nobody to account for it. The kernel sends this
 * signal with the dying monitor's credentials, so it reaches a child of
 * another uid only if the monitor had CAP_KILL raised at that moment; a
 * child also ends on its socketpair's hang-up (child.c), which always
 * comes. Set after the uid switch, which clears it, and checked once set,
 * in case the monitor died before. */
int jail_parent_death(pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		return -errno;
	return getppid() == parent ? 0 : -ESRCH;
}

/* 7. Required by seccomp for the unprivileged child, and makes any exec
 * (denied anyway) unable to gain privileges. */
int jail_no_new_privs(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return -EPERM;
	return 0;
}

/*
 * Refuse before touching anything: a jail user of 0, or the monitor's own
 * uid (it could then signal or ptrace the monitor); and a root process that
 * was told not to switch, which would leave the child running as uid 0.
 */
static int jail_check_args(int keep_fd, const struct jail_config *ids)
{
	if (keep_fd < 0 || fcntl(keep_fd, F_GETFD) < 0)
		return -EBADF;
	if (ids->parent <= 0)
		return -EINVAL;
	if (!ids->switch_ids)
		return getuid() == 0 || geteuid() == 0 ? -EPERM : 0;
	if (ids->uid == 0 || ids->gid == 0 || ids->uid == getuid())
		return -EINVAL;
	return 0;
}

/*
 * Without switch_ids (an unprivileged developer run) there is no CAP_SETPCAP
 * to empty the bounding set; everything else still applies, and a process
 * with no permitted caps and no_new_privs can gain none from it.
 */
int jail_enter(int keep_fd, const struct jail_config *ids)
{
	int r;

	/* clang-format off */
	if ((r = jail_check_args(keep_fd, ids)) < 0)
		return r;
	if ((r = jail_fds(keep_fd)) < 0)                        /* 1 */
		return r;
	if ((r = jail_rlimits(ids)) < 0)                        /* 2 */
		return r;
	if ((r = jail_dumpable()) < 0)                          /* 3 */
		return r;
	if (ids->switch_ids && (r = jail_ids_switch(ids)) < 0)  /* 4 */
		return r;
	if ((r = jail_parent_death(ids->parent)) < 0)           /* 5 */
		return r;
	if ((r = caps_clear_all()) < 0)                         /* 6 */
		return r;
	if ((r = jail_no_new_privs()) < 0)                      /* 7 */
		return r;
	return seccomp_child_load();                            /* 8 */
	/* clang-format on */
}
