/*
 * seccomp-monitor.h - the monitor's system call deny-list.
 */
#ifndef CLOISTER_SECCOMP_MONITOR_H
#define CLOISTER_SECCOMP_MONITOR_H

#include "jail.h"

/*
 * Load the deny-list into the calling process, once set-up is over: a
 * listed call (exec, ptrace, mounts, namespaces, modules...) kills the
 * process with SIGSYS, every other call is allowed, but kill() only with
 * SIGKILL to a pid > 0, and setresuid/setresgid only to jail's ids (never
 * when jail->switch_ids is false) and setgroups only to an empty list.
 * Sets no_new_privs. Returns 0 or -errno.
 */
int seccomp_monitor_load(const struct jail_config *jail);

#endif
