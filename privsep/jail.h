/*
 * jail.h - the ordered set-up that turns a fresh child into a jailed one.
 */
#ifndef CLOISTER_JAIL_H
#define CLOISTER_JAIL_H

#include <stdbool.h>
#include <sys/types.h>

#include <stdint.h>

struct jail_config {
	bool switch_ids; /* true when the monitor can switch users (started as root) */
	uid_t uid;       /* the jail user: never 0, never the monitor's uid */
	gid_t gid;
	pid_t parent;    /* the monitor: the child dies with it */
	uint64_t fsize_max; /* RLIMIT_FSIZE, bytes any file may grow to; 0: no limit */
};

/*
 * Jail the calling process, in this order, before it reads any input:
 *  1. close every fd but keep_fd and stderr (stdin/stdout become /dev/null
 *     copies only if already open as such; they are closed otherwise);
 *  2. rlimits: NPROC 0, NOFILE 8, CORE 0, FSIZE fsize_max (SIGXFSZ is
 *     ignored, so that a write past it fails with EFBIG);
 *  3. PR_SET_DUMPABLE 0;
 *  4. with ids->switch_ids: drop the capability bounding set, then
 *     setgroups(0) -> setresgid -> setresuid to the jail ids, then read
 *     them back with getres[ug]id and getgroups;
 *  5. PR_SET_PDEATHSIG SIGKILL (after 4, which clears it), then check that
 *     the parent is still `parent`: a child never outlives its monitor;
 *  6. clear every capability set (effective, permitted, inheritable,
 *     ambient) and verify with capget that none remain;
 *  7. PR_SET_NO_NEW_PRIVS, verified with PR_GET_NO_NEW_PRIVS;
 *  8. load the child's seccomp allow-list (seccomp-child.c).
 * Returns 0, or -errno of the first step that failed: the caller must
 * then _exit without touching its input. Never tolerates EPERM.
 */
int jail_enter(int keep_fd, const struct jail_config *ids);

/* Steps 5 and 7 alone, and the check after 4 that the ids are ids->uid
 * and ids->gid with no groups, for the relay's fetcher (fetcher-jail.c). */
int jail_parent_death(pid_t parent);
int jail_verify_ids(const struct jail_config *ids);
int jail_no_new_privs(void);

#endif
