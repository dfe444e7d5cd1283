/*
 * seccomp-monitor.c - the monitor's system call deny-list, loaded once
 * set-up is over (sockets, root, chroot, ids, capabilities).
 *
 * The monitor parses nothing but the request codec's output, yet it keeps
 * capabilities, so a subverted monitor must not be able to turn them
 * into more: run a program, reach into another process, change mounts or
 * namespaces, or touch the kernel. Its own work (sockets, files under the
 * root, fork, set-up of children, signals) stays allowed: an allow-list
 * would have to follow libc and libsystemd (journal, notify) from release
 * to release. Children inherit this list under their own allow-list.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <seccomp.h>
#include <stddef.h>
#include <sys/syscall.h>

#include "sanitizer.h"
#include "seccomp-monitor.h"

/* clang-format off */
static const int monitor_deny[] = {
	/* no program ever runs: a subverted monitor gets no shell */
	SCMP_SYS(execve),
	SCMP_SYS(execveat),
	/* no reaching into other processes (LeakSanitizer's exit-time scan
	 * uses ptrace on our own threads) */
#ifndef SANITIZER_RUNTIME
	SCMP_SYS(ptrace),
	SCMP_SYS(process_vm_readv),
#endif
	SCMP_SYS(process_vm_writev),
	SCMP_SYS(pidfd_getfd),
	/* the one chroot is done; no mounts, no namespaces */
	SCMP_SYS(chroot),
	SCMP_SYS(pivot_root),
	SCMP_SYS(mount),
	SCMP_SYS(umount2),
	SCMP_SYS(open_tree),
	SCMP_SYS(move_mount),
	SCMP_SYS(fsopen),
	SCMP_SYS(fsconfig),
	SCMP_SYS(fsmount),
	SCMP_SYS(fspick),
	SCMP_SYS(unshare),
	SCMP_SYS(setns),
	/* file handles bypass the chroot */
	SCMP_SYS(open_by_handle_at),
	SCMP_SYS(name_to_handle_at),
	/* the kernel itself */
	SCMP_SYS(init_module),
	SCMP_SYS(finit_module),
	SCMP_SYS(delete_module),
	SCMP_SYS(kexec_load),
	SCMP_SYS(kexec_file_load),
	SCMP_SYS(reboot),
	SCMP_SYS(swapon),
	SCMP_SYS(swapoff),
	SCMP_SYS(acct),
	SCMP_SYS(quotactl),
	SCMP_SYS(settimeofday),
	SCMP_SYS(clock_settime),
	SCMP_SYS(clock_adjtime),
	SCMP_SYS(adjtimex),
	/* attack surface nothing here uses */
	SCMP_SYS(bpf),
	SCMP_SYS(perf_event_open),
	SCMP_SYS(userfaultfd),
	SCMP_SYS(keyctl),
	SCMP_SYS(add_key),
	SCMP_SYS(request_key),
	SCMP_SYS(io_uring_setup),
	SCMP_SYS(io_uring_enter),
	SCMP_SYS(io_uring_register),
	SCMP_SYS(personality),
};
/* clang-format on */

static int add_rules(scmp_filter_ctx ctx)
{
	int r;

	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0)
		return r;
	for (size_t i = 0; i < sizeof(monitor_deny) / sizeof(monitor_deny[0]); i++) {
		/* A call this architecture lacks cannot be made either. */
		if (monitor_deny[i] < 0)
			continue;
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, monitor_deny[i], 0)) < 0)
			return r;
	}
	return 0;
}

int seccomp_monitor_load(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r;

	if (ctx == NULL)
		return -ENOMEM;
	/* libseccomp sets no_new_privs first (SCMP_FLTATR_CTL_NNP): the
	 * monitor never executes anything, so it loses nothing by it. */
	r = add_rules(ctx);
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}
