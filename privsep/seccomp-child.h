/*
 * seccomp-child.h - the transfer child's system call allow-list.
 */
#ifndef CLOISTER_SECCOMP_CHILD_H
#define CLOISTER_SECCOMP_CHILD_H

/*
 * Load the allow-list into the calling process. Anything not listed kills
 * the process with SIGSYS (SCMP_ACT_KILL_PROCESS), or, in a build with
 * --enable-seccomp-debug, traps and names the syscall on stderr first.
 * Requires no_new_privs. Returns 0 or -errno.
 */
int seccomp_child_load(void);

#endif
