/*
 * seccomp-child.h - the transfer child's system call allow-list.
 */
#ifndef CLOISTER_SECCOMP_CHILD_H
#define CLOISTER_SECCOMP_CHILD_H

#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Generate the allow-list's BPF program once, in the monitor before it
 * forks children: they inherit it and only load it. Calling it again does
 * nothing. Returns 0 or -errno.
 */
int seccomp_child_prepare(void);

/*
 * Load the allow-list into the calling process (generating it first if
 * seccomp_child_prepare was not called). Anything not listed kills
 * the process with SIGSYS (SCMP_ACT_KILL_PROCESS), or, in a build with
 * --enable-seccomp-debug, traps and names the syscall on stderr first.
 * Requires no_new_privs. Returns 0 or -errno.
 */
int seccomp_child_load(void);

/* Add one rule with action for each call in nrs[0..n): 0 or -errno.
 * Shared with the fetcher's list (seccomp-fetcher.c). */
int seccomp_add_list(scmp_filter_ctx ctx, uint32_t action, const int *nrs, size_t n);

#endif
