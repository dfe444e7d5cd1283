/*
 * seccomp-fetcher.c - the fetcher's system call allow-list.
 *
 * It moves bytes between TCP connections it opens itself and memfds it
 * hands the monitor, and reads (Landlock: /etc and /usr only) what the
 * resolver and the TLS library look up. Anything else kills it.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "fetcher.h"
#include "sanitizer.h"
#include "seccomp-child.h"

/* clang-format off */
static const int fetcher_allow[] = {
	/* the monitor, the origins */
	SCMP_SYS(recvmsg),      /* requests; resolver answers */
	SCMP_SYS(sendmsg),      /* answers + body fd (SCM_RIGHTS) */
	SCMP_SYS(recvfrom),     /* HTTP, DNS */
	SCMP_SYS(sendto),       /* HTTP, DNS */
	SCMP_SYS(sendmmsg),     /* glibc resolver: A and AAAA at once */
	SCMP_SYS(connect),      /* to an origin, a name server */
	SCMP_SYS(getsockopt),   /* SO_ERROR after a non-blocking connect */
	SCMP_SYS(setsockopt),   /* TCP_NODELAY, keep-alive */
	SCMP_SYS(getsockname),  /* libcurl's connection info */
	SCMP_SYS(getpeername),
	SCMP_SYS(shutdown),
	SCMP_SYS(socketpair),   /* the resolver thread's and multi's wake-up */
	SCMP_SYS(pipe2),        /* the same; and a streamed body's pipe (fetcher.c) */
	SCMP_SYS(poll),         /* curl_multi_poll */
	SCMP_SYS(ppoll),
	/* the bodies */
	SCMP_SYS(memfd_create), /* one per fetch */
	SCMP_SYS(write),        /* into it, or into a stream's pipe; stderr */
	SCMP_SYS(writev),
	SCMP_SYS(read),         /* sockets, /etc files */
	SCMP_SYS(readv),
	SCMP_SYS(close),
	SCMP_SYS(fcntl),        /* O_NONBLOCK, F_ADD_SEALS, F_SETPIPE_SZ */
	/* the cache directory (fetcher-cache.c), Landlock's only writable place */
	SCMP_SYS(getdents64),   /* eviction: its entries */
	SCMP_SYS(renameat),     /* an entry committed */
	SCMP_SYS(renameat2),
	SCMP_SYS(unlinkat),     /* evicted, replaced, left by a crash */
	SCMP_SYS(fsync),        /* a body on disk before its metadata names it */
	SCMP_SYS(sendfile),     /* a fetched body copied in */
	SCMP_SYS(utimensat),    /* an entry used: least recently used goes first */
	SCMP_SYS(dup),          /* fdopendir */
	/* files under Landlock's read-only /etc and /usr */
	SCMP_SYS(openat),       /* resolv.conf, hosts, nsswitch.conf, openssl.cnf */
	SCMP_SYS(fstat),
	SCMP_SYS(newfstatat),
	SCMP_SYS(lseek),
	SCMP_SYS(uname),        /* the resolver's domain; OpenSSL */
	/* threads: libcurl's threaded resolver */
	SCMP_SYS(futex),
	SCMP_SYS(set_robust_list),
	SCMP_SYS(rseq),         /* glibc >= 2.35 registers every thread */
	SCMP_SYS(madvise),      /* a thread's stack given back */
	SCMP_SYS(sched_yield),
	SCMP_SYS(gettid),
	SCMP_SYS(getpid),
	SCMP_SYS(tgkill),       /* abort() */
	SCMP_SYS(rt_sigaction),
	SCMP_SYS(rt_sigprocmask), /* pthread_create blocks signals around clone */
	SCMP_SYS(rt_sigreturn),
	/* memory and time */
	SCMP_SYS(brk),
	SCMP_SYS(mmap),         /* malloc; NSS modules are mapped too */
	SCMP_SYS(mprotect),     /* thread stack guards, ld.so relro */
	SCMP_SYS(munmap),
	SCMP_SYS(mremap),
	SCMP_SYS(getrandom),    /* OpenSSL, DNS ids */
	SCMP_SYS(clock_gettime),
	SCMP_SYS(clock_nanosleep),
	SCMP_SYS(nanosleep),
	SCMP_SYS(restart_syscall),
	/* the end */
	SCMP_SYS(exit),         /* a resolver thread */
	SCMP_SYS(exit_group),
};

/* Probed, then done another way on ENOSYS: clone3 -> clone (whose flags
 * the filter can read), statx -> newfstatat. */
static const int fetcher_enosys[] = {
	SCMP_SYS(clone3),
	SCMP_SYS(statx),
	SCMP_SYS(faccessat2),
};
/* clang-format on */

#define ADD_LIST(ctx, action, list) seccomp_add_list(ctx, action, list, sizeof(list) / sizeof(list[0]))

static int add_arg_rules(scmp_filter_ctx ctx)
{
	int r;

	/* clone() only for a thread: never a new process */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				  SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD))) < 0)
		return r;
	/* TCP and DNS over IPv4 and IPv6; a Unix socket (nscd, whose absence
	 * glibc tolerates) is refused without killing */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
				  SCMP_A0(SCMP_CMP_EQ, AF_INET, 0))) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
				  SCMP_A0(SCMP_CMP_EQ, AF_INET6, 0))) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
				  SCMP_A0(SCMP_CMP_EQ, AF_UNIX, 0))) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), SCMP_SYS(socket), 1,
				  SCMP_A0(SCMP_CMP_EQ, AF_NETLINK, 0))) < 0)
		return r;
	/* FIONBIO, FIONREAD only */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				  SCMP_A1(SCMP_CMP_EQ, FIONBIO, 0))) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				  SCMP_A1(SCMP_CMP_EQ, FIONREAD, 0))) < 0)
		return r;
#ifdef SANITIZER_RUNTIME
	/* Sanitizer builds only: ASan's signal stack per thread, its reads of
	 * /proc/self/maps go through openat above (and fail under Landlock),
	 * LeakSanitizer is never reached: the fetcher _exits. */
	if ((r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sigaltstack), 0)) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 0)) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(getrlimit), 0)) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 0)) < 0 ||
	    (r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(sched_getaffinity), 0)) < 0)
		return r;
#endif
	return 0;
}

int seccomp_fetcher_load(void)
{
	uint32_t deflt = SCMP_ACT_KILL_PROCESS;
	scmp_filter_ctx ctx;
	int r;

#ifdef SECCOMP_DEBUG
	deflt = SCMP_ACT_LOG; /* --enable-seccomp-debug: the audit log names the call */
#endif
	ctx = seccomp_init(deflt);
	if (ctx == NULL)
		return -ENOMEM;
	/* fetcher-jail.c set no_new_privs and verified it */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	if (r == 0)
		r = ADD_LIST(ctx, SCMP_ACT_ALLOW, fetcher_allow);
	if (r == 0)
		r = ADD_LIST(ctx, SCMP_ACT_ERRNO(ENOSYS), fetcher_enosys);
	if (r == 0)
		r = add_arg_rules(ctx);
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	return r;
}
