/*
 * seccomp-monitor.h - the monitor's system call deny-list.
 */
#ifndef CLOISTER_SECCOMP_MONITOR_H
#define CLOISTER_SECCOMP_MONITOR_H

/*
 * Load the deny-list into the calling process, once set-up is over: a
 * listed call (exec, ptrace, mounts, namespaces, modules...) kills the
 * process with SIGSYS, every other call is allowed. Sets no_new_privs.
 * Returns 0 or -errno.
 */
int seccomp_monitor_load(void);

#endif
