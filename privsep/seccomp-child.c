/*
 * seccomp-child.c - the transfer child's system call allow-list: receive a
 * job and its fds, move file bytes and datagrams, poll, read the clock,
 * allocate, report, _exit. No open, socket, fork, exec or kill.
 * Each line says which code of the child makes the call; SECURITY.md
 * gives the same table with more words.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <netinet/udp.h>
#include <seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sanitizer.h"
#include "seccomp-child.h"

/* clang-format off */
static const int child_allow[] = {
	/* the monitor: the job and its fds in, the result out (privsep/msg.c) */
	SCMP_SYS(recvmsg),      /* psep_msg_recv: SCM_RIGHTS, MSG_CMSG_CLOEXEC */
	/* sendto: psep_msg_send and udp-send.c, only without an address
	 * (add_arg_rules) */
	/* the client (child.c io_recv, udp-send.c) */
	SCMP_SYS(recvfrom),     /* recv() of ACK/DATA on the connected socket */
	/* setsockopt: UDP_SEGMENT only (add_arg_rules) */
	/* the file (file-io.c) */
	SCMP_SYS(preadv),       /* RRQ: a window of blocks straight into their packets */
	SCMP_SYS(readv),        /* RRQ of a relayed stream: a pipe has no offsets */
	SCMP_SYS(pwrite64),     /* WRQ: a window of data at its offset */
	SCMP_SYS(fdatasync),    /* WRQ: data on disk before the result says done */
	SCMP_SYS(fstat),        /* psep_msg_recv checks the type of a job's fds */
#ifdef __NR_newfstatat
	SCMP_SYS(newfstatat),   /* glibc >= 2.33 fstat() (AT_EMPTY_PATH) */
#endif
	SCMP_SYS(close),        /* a job's two fds once it is done */
	SCMP_SYS(write),        /* stderr: the SECCOMP_DEBUG line, a sanitizer's report */
	/* waiting and time (child.c io_recv, util.c now_usec) */
	SCMP_SYS(ppoll),        /* wait for the client or the monitor's hang-up */
#ifdef __NR_poll
	SCMP_SYS(poll),         /* the same wait where libc's poll() is the call (musl) */
#endif
#ifdef __NR_ppoll_time64
	SCMP_SYS(ppoll_time64),
#endif
	SCMP_SYS(clock_gettime), /* RTO, deadline (vDSO fallback) */
#ifdef __NR_clock_gettime64
	SCMP_SYS(clock_gettime64),
#endif
	SCMP_SYS(restart_syscall), /* ppoll resumed after SIGSTOP/SIGCONT */
	/* memory: the job's window is mmap/munmap (child.c run_job; mmap and
	 * mprotect: see the PROT_EXEC rules below); the rest is libc's malloc,
	 * which the transfer path does not call but libc itself may */
	SCMP_SYS(munmap),       /* the window buffer after each job */
	SCMP_SYS(brk),          /* malloc, main arena */
	SCMP_SYS(mremap),       /* realloc of large blocks */
	SCMP_SYS(madvise),      /* free returning pages */
	SCMP_SYS(futex),        /* glibc internal locks */
	SCMP_SYS(getrandom),    /* glibc >= 2.34 seeds malloc's tcache key lazily */
	/* the end */
	SCMP_SYS(rt_sigreturn), /* return from an inherited or a sanitizer's handler */
	SCMP_SYS(exit_group),   /* _exit() */
	SCMP_SYS(exit),         /* glibc's _exit() if exit_group ever returned */
};

/* Calls libc may probe and then falls back from on ENOSYS, and only on
 * ENOSYS (glibc clone3 -> clone): answered so, never allowed. */
static const int child_enosys[] = {
	SCMP_SYS(clone3),
	SCMP_SYS(statx),
	SCMP_SYS(faccessat2),
#ifdef __NR_fchmodat2
	SCMP_SYS(fchmodat2),
#endif
};
/* clang-format on */

/* Memory may be mapped or re-protected, never executable: no new code. */
static int add_no_exec_rule(scmp_filter_ctx ctx, int nr)
{
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
	                        SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
}

static int add_arg_rules(scmp_filter_ctx ctx)
{
	int r;

	if ((r = add_no_exec_rule(ctx, SCMP_SYS(mmap))) < 0)
		return r;
#ifdef __NR_mmap2
	if ((r = add_no_exec_rule(ctx, SCMP_SYS(mmap2))) < 0)
		return r;
#endif
	if ((r = add_no_exec_rule(ctx, SCMP_SYS(mprotect))) < 0)
		return r;
#ifdef SANITIZER_RUNTIME
	/*
	 * Sanitizer builds only, found with SECCOMP_DEBUG: ASan reads (never
	 * sets) the signal stack before every noreturn call such as _exit().
	 * A sanitizer *report* needs open(/proc/self/maps), which stays
	 * forbidden: its first lines print, then SIGSYS. LeakSanitizer runs
	 * from atexit (clone + ptrace); the child leaves by _exit(), so never.
	 */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sigaltstack), 1,
	                          SCMP_A0(SCMP_CMP_EQ, 0, 0))) < 0)
		return r;
#endif
	/* send() only: sendto with a NULL address goes to the connected
	 * peer. An address (or sendmsg/sendmmsg, whose msghdr the filter
	 * cannot read) would let a subverted child send from port 69 to
	 * anyone. */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sendto), 1,
	                          SCMP_A4(SCMP_CMP_EQ, 0, 0))) < 0)
		return r;
	/* UDP GSO for windowed RRQ; no other socket option. (The unused datum_b
	 * of SCMP_CMP_EQ is spelled out for clang -Wmissing-field-initializers.) */
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 2,
	                        SCMP_A1(SCMP_CMP_EQ, SOL_UDP, 0),
	                        SCMP_A2(SCMP_CMP_EQ, UDP_SEGMENT, 0));
}

int seccomp_add_list(scmp_filter_ctx ctx, uint32_t action, const int *nrs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int r = seccomp_rule_add(ctx, action, nrs[i], 0);
		if (r < 0)
			return r;
	}
	return 0;
}

#define ADD_LIST(ctx, action, list) seccomp_add_list(ctx, action, list, sizeof(list) / sizeof(list[0]))

#ifdef SECCOMP_DEBUG
/*
 * --enable-seccomp-debug: trap instead of kill and name the call on stderr
 * (OpenSSH SANDBOX_SECCOMP_FILTER_DEBUG). Messages are built before the
 * filter is loaded, so the handler only write()s and _exit()s. Never freed:
 * the child only ever _exits.
 */
#define CHILD_DEFAULT_ACTION SCMP_ACT_TRAP
#define DEBUG_NAMES 512

static char *debug_msg[DEBUG_NAMES];

static void debug_sigsys(int sig, siginfo_t *si, void *uc)
{
	unsigned int nr = (unsigned int)si->si_syscall;
	const char *m = nr < DEBUG_NAMES ? debug_msg[nr] : "seccomp: forbidden syscall >511\n";

	(void)sig;
	(void)uc;
	(void)!write(STDERR_FILENO, m, strlen(m));
	_exit(159);
}

static int debug_prepare(void)
{
	struct sigaction sa = {.sa_sigaction = debug_sigsys, .sa_flags = SA_SIGINFO};

	for (int nr = 0; nr < DEBUG_NAMES; nr++) {
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
		int n = asprintf(&debug_msg[nr], "seccomp: forbidden syscall %d (%s)\n", nr,
		                 name ? name : "?");
		free(name);
		if (n < 0)
			return -ENOMEM;
	}
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return -errno;
	return 0;
}
#else
#define CHILD_DEFAULT_ACTION SCMP_ACT_KILL_PROCESS
static int debug_prepare(void)
{
	return 0;
}
#endif

static int add_rules(scmp_filter_ctx ctx)
{
	int r;

	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0)
		return r;
	/* jail.c sets no_new_privs and verifies it; do not set it behind its back. */
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0)
		return r;
	if ((r = ADD_LIST(ctx, SCMP_ACT_ALLOW, child_allow)) < 0)
		return r;
	if ((r = ADD_LIST(ctx, SCMP_ACT_ERRNO(ENOSYS), child_enosys)) < 0)
		return r;
	return add_arg_rules(ctx);
}

/*
 * The program libseccomp generates from the table, made once by the
 * monitor (seccomp_child_prepare) and inherited by every child it forks:
 * generating it costs a child about as much again as the rest of its
 * jail. Never freed: the monitor needs it until it exits.
 */
static struct sock_fprog prepared;

/* Read back what seccomp_export_bpf wrote: raw struct sock_filter. */
static int read_program(int fd, struct sock_fprog *prog)
{
	struct stat st;
	size_t insns;
	void *code;
	ssize_t n;

	if (fstat(fd, &st) < 0)
		return -errno;
	insns = (size_t)st.st_size / sizeof(struct sock_filter);
	if (st.st_size <= 0 || (size_t)st.st_size % sizeof(struct sock_filter) != 0 ||
	    insns > BPF_MAXINSNS)
		return -EINVAL;
	code = malloc((size_t)st.st_size);
	if (code == NULL)
		return -ENOMEM;
	n = pread(fd, code, (size_t)st.st_size, 0);
	if (n != st.st_size) {
		free(code);
		return n < 0 ? -errno : -EIO;
	}
	prog->len = (unsigned short)insns;
	prog->filter = code;
	return 0;
}

/* Generate the program into memory: libseccomp 2.5 exports only to an fd. */
static int export_program(scmp_filter_ctx ctx, struct sock_fprog *prog)
{
	int fd = memfd_create("seccomp-child", MFD_CLOEXEC);
	int r;

	if (fd < 0)
		return -errno;
	r = seccomp_export_bpf(ctx, fd);
	if (r == 0)
		r = read_program(fd, prog);
	close(fd);
	return r;
}

int seccomp_child_prepare(void)
{
	scmp_filter_ctx ctx;
	int r;

	if (prepared.filter != NULL)
		return 0;
	ctx = seccomp_init(CHILD_DEFAULT_ACTION);
	if (ctx == NULL)
		return -ENOMEM;
	r = add_rules(ctx);
	if (r == 0)
		r = export_program(ctx, &prepared);
	seccomp_release(ctx);
	return r;
}

int seccomp_child_load(void)
{
	int r;

	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return -EPERM;
	if ((r = debug_prepare()) < 0)
		return r;
	if ((r = seccomp_child_prepare()) < 0)
		return r;
	/* What seccomp_load() does with the same program (no flags). */
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prepared, 0, 0) < 0)
		return -errno;
	return 0;
}
