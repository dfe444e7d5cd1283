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
 *
 * The capabilities it keeps get argument rules, so that each can do only
 * its one job: CAP_KILL sends SIGKILL to one process, never to a group or
 * to all (pid <= 0); CAP_SETUID and CAP_SETGID switch a new child to the
 * jail ids and nothing else, with an empty group list.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <sys/syscall.h>

#include "sanitizer.h"
#include "jail.h"
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
	/* ids change only through the argument rules below */
	SCMP_SYS(setuid),
	SCMP_SYS(setgid),
	SCMP_SYS(setreuid),
	SCMP_SYS(setregid),
	SCMP_SYS(setfsuid),
	SCMP_SYS(setfsgid),
#ifdef __NR_setuid32
	SCMP_SYS(setuid32),
	SCMP_SYS(setgid32),
	SCMP_SYS(setreuid32),
	SCMP_SYS(setregid32),
	SCMP_SYS(setfsuid32),
	SCMP_SYS(setfsgid32),
#endif
	/* signals go to one pid, through kill() and its rule */
	SCMP_SYS(rt_sigqueueinfo),
	SCMP_SYS(rt_tgsigqueueinfo),
	SCMP_SYS(pidfd_send_signal),
};
/* clang-format on */

/* Kill the process when the call's argument `arg` is not `want`. */
static int only(scmp_filter_ctx ctx, int nr, unsigned arg, uint64_t want)
{
	return seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, nr, 1,
				(struct scmp_arg_cmp){ .arg = arg, .op = SCMP_CMP_NE, .datum_a = want });
}

/* setres[ug]id(id, id, id) with the jail's id, or never. */
static int only_jail_id(scmp_filter_ctx ctx, int nr, const struct jail_config *jail, uint64_t id)
{
	int r = 0;

	if (!jail->switch_ids)
		return seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, nr, 0);
	for (unsigned arg = 0; arg < 3 && r == 0; arg++)
		r = only(ctx, nr, arg, id);
	return r;
}

static int add_arg_rules(scmp_filter_ctx ctx, const struct jail_config *jail)
{
	int r;

	/* kill(pid > 0, SIGKILL): 0 is our group, negative pids are groups
	 * or everyone we may signal. pid is an int: its sign bit in 32 bits. */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(kill), 1,
				  SCMP_A0(SCMP_CMP_EQ, 0, 0))) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_KILL_PROCESS, SCMP_SYS(kill), 1,
				  SCMP_A0(SCMP_CMP_MASKED_EQ, 0x80000000, 0x80000000))) < 0 ||
	    (r = only(ctx, SCMP_SYS(kill), 1, SIGKILL)) < 0)
		return r;
	if ((r = only_jail_id(ctx, SCMP_SYS(setresuid), jail, jail->uid)) < 0 ||
	    (r = only_jail_id(ctx, SCMP_SYS(setresgid), jail, jail->gid)) < 0)
		return r;
#ifdef __NR_setresuid32
	if ((r = only_jail_id(ctx, SCMP_SYS(setresuid32), jail, jail->uid)) < 0 ||
	    (r = only_jail_id(ctx, SCMP_SYS(setresgid32), jail, jail->gid)) < 0)
		return r;
#endif
	/* setgroups(0, NULL): a child keeps no group. */
	return only(ctx, SCMP_SYS(setgroups), 0, 0);
}

static int add_rules(scmp_filter_ctx ctx, const struct jail_config *jail)
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
	return add_arg_rules(ctx, jail);
}

int seccomp_monitor_load(const struct jail_config *jail)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r;

	if (ctx == NULL)
		return -ENOMEM;
	/* libseccomp sets no_new_privs first (SCMP_FLTATR_CTL_NNP): the
	 * monitor never executes anything, so it loses nothing by it. */
	r = add_rules(ctx, jail);
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}
