/*
 * check-jail.c - the transfer child's jail, tested as a jail (STYLE 17).
 *
 * Every test runs in its own process (Check fork mode). As root the real
 * path is taken: switch to the unused uid/gid 65533. As a normal user the
 * ids stay and only what an unprivileged jail can do is checked.
 *
 * After jail_enter, Check's own result file is closed (jail_enter closes
 * every fd), so ck_assert must not be used any more: a passing assert still
 * writes a location record and Check would exit(2) on EBADF. Jailed code
 * therefore reports by exit status (tcase "early exit with return value N")
 * or dies by SIGSYS, and always leaves with _exit(): exit() would run
 * atexit handlers (LeakSanitizer's uses clone + ptrace).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <arpa/inet.h>
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/securebits.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "caps.h"
#include "jail.h"
#include "seccomp-child.h"
#include "seccomp-monitor.h"
#include "spawn.h"

#define JAIL_UID 65533  /* unused ids: the jail user of these tests */
#define JAIL_UID2 65532 /* a second one, for children of a dropped monitor */
#define EXIT_NOT_JAILED 100
#define CAPS_ZERO "0000000000000000"
/* CAP_KILL(5) CAP_SETGID(6) CAP_SETUID(7) CAP_SETPCAP(8) CAP_NET_BIND_SERVICE(10) */
#define CAPS_MONITOR "00000000000005e0"

#ifdef SECCOMP_DEBUG
/* The debug filter traps, names the call and exits 159. */
#define add_forbidden(tc, fn) tcase_add_exit_test(tc, fn, 159)
#else
#define add_forbidden(tc, fn) tcase_add_test_raise_signal(tc, fn, SIGSYS)
#endif

static bool am_root(void)
{
	return geteuid() == 0;
}

static void jail_as_or_exit(int keep_fd, bool switch_ids, uid_t uid)
{
	struct jail_config ids = {.switch_ids = switch_ids, .uid = uid, .gid = uid,
				  .parent = getppid()};
	int r;

	r = jail_enter(keep_fd, &ids);
	if (r < 0) {
		dprintf(STDERR_FILENO, "jail_enter: %s\n", strerror(-r));
		_exit(EXIT_NOT_JAILED);
	}
}

/* Switch ids whenever we are root, like a monitor started as root. */
static void jail_or_exit(int keep_fd, uid_t uid)
{
	jail_as_or_exit(keep_fd, am_root(), uid);
}

static void pair(int sv[2])
{
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
}

/* Jail with one end of a fresh socketpair as the kept fd, like a child. */
static void jail_self(void)
{
	int sv[2];

	pair(sv);
	jail_or_exit(sv[1], JAIL_UID);
}

/* Test-local fd passing, independent of privsep/msg.c. */
static void send_fds(int sock, const int *fds, size_t n)
{
	union {
		char buf[CMSG_SPACE(3 * sizeof(int))];
		struct cmsghdr align;
	} u;
	char byte = 'J';
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr mh = {
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = u.buf,
	    .msg_controllen = CMSG_SPACE(n * sizeof(int)),
	};
	struct cmsghdr *c;

	ck_assert_uint_le(n, 3);
	memset(&u, 0, sizeof(u));
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(n * sizeof(int));
	memcpy(CMSG_DATA(c), fds, n * sizeof(int));
	ck_assert_int_eq(sendmsg(sock, &mh, 0), 1);
}

/* Runs inside the jail: no ck_assert; false on any surprise. */
static bool recv_fds(int sock, int *fds, size_t n)
{
	union {
		char buf[CMSG_SPACE(3 * sizeof(int))];
		struct cmsghdr align;
	} u;
	char byte;
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr mh = {
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = u.buf,
	    .msg_controllen = sizeof(u.buf),
	};
	struct cmsghdr *c;

	if (n > 3 || recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) != 1 || (mh.msg_flags & MSG_CTRUNC))
		return false;
	c = CMSG_FIRSTHDR(&mh);
	if (c == NULL || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(n * sizeof(int)))
		return false;
	memcpy(fds, CMSG_DATA(c), n * sizeof(int));
	return true;
}

/* ---- forbidden calls: each must kill the jailed process ---- */

START_TEST(test_deny_open)
{
	jail_self();
	_exit(open("/etc/passwd", O_RDONLY) >= 0 ? 1 : 2);
}
END_TEST

START_TEST(test_deny_socket)
{
	jail_self();
	_exit(socket(AF_INET, SOCK_DGRAM, 0) >= 0 ? 1 : 2);
}
END_TEST

START_TEST(test_deny_execve)
{
	char *argv[] = {"true", NULL}, *envp[] = {NULL};

	jail_self();
	execve("/bin/true", argv, envp);
	_exit(2);
}
END_TEST

/* The monitor generates the program once; a child only loads it. */
START_TEST(test_deny_execve_prepared)
{
	char *argv[] = {"true", NULL}, *envp[] = {NULL};

	if (seccomp_child_prepare() < 0 || seccomp_child_prepare() < 0)
		_exit(EXIT_NOT_JAILED);
	jail_self();
	execve("/bin/true", argv, envp);
	_exit(2);
}
END_TEST

START_TEST(test_deny_kill)
{
	pid_t parent = getppid(); /* getppid itself is not allowed either */

	jail_self();
	_exit(kill(parent, 0) == 0 ? 1 : 2);
}
END_TEST

START_TEST(test_deny_ptrace)
{
	jail_self();
	_exit(ptrace(PTRACE_TRACEME, 0, NULL, NULL) == 0 ? 1 : 2);
}
END_TEST

START_TEST(test_deny_mmap_exec)
{
	void *p;

	jail_self();
	p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	_exit(p != MAP_FAILED ? 1 : 2);
}
END_TEST

START_TEST(test_deny_mprotect_exec)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(p, MAP_FAILED);
	jail_self();
	_exit(mprotect(p, 4096, PROT_READ | PROT_EXEC) == 0 ? 1 : 2);
}
END_TEST

START_TEST(test_deny_setsockopt)
{
	int on = 1, s = socket(AF_INET, SOCK_DGRAM, 0);

	ck_assert_int_ge(s, 0);
	jail_or_exit(s, JAIL_UID);
	_exit(setsockopt(s, SOL_SOCKET, SO_BROADCAST, &on, sizeof(on)) == 0 ? 1 : 2);
}
END_TEST

START_TEST(test_deny_fork)
{
	jail_self();
	_exit(fork() >= 0 ? 1 : 2); /* the child, if any, exits too */
}
END_TEST

/* File calls the child never makes: it reads with preadv (readv only for
 * a stream, which has no offset), writes with pwrite and syncs with
 * fdatasync (file-io.c, child.c). */
static int jail_with_file(void)
{
	char path[] = "/tmp/check-jail-XXXXXX";
	int fd = mkstemp(path), sv[2];

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(write(fd, "abc", 3), 3);
	pair(sv);
	send_fds(sv[0], &fd, 1);
	jail_or_exit(sv[1], JAIL_UID);
	if (!recv_fds(sv[1], &fd, 1))
		_exit(EXIT_NOT_JAILED);
	return fd;
}

START_TEST(test_deny_read)
{
	char c;
	int fd = jail_with_file();

	_exit(read(fd, &c, 1) >= 0 ? 1 : 2);
}
END_TEST

START_TEST(test_deny_pread)
{
	char c;
	int fd = jail_with_file();

	_exit(pread(fd, &c, 1, 0) >= 0 ? 1 : 2);
}
END_TEST

START_TEST(test_deny_lseek)
{
	int fd = jail_with_file();

	_exit(lseek(fd, 0, SEEK_SET) >= 0 ? 1 : 2);
}
END_TEST

START_TEST(test_deny_ftruncate)
{
	int fd = jail_with_file();

	_exit(ftruncate(fd, 0) == 0 ? 1 : 2);
}
END_TEST

START_TEST(test_deny_fsync)
{
	int fd = jail_with_file();

	_exit(fsync(fd) == 0 ? 1 : 2);
}
END_TEST

/* ---- what a transfer does must keep working ---- */

#define FILE_LEN 8192

static int pattern_file(void)
{
	char path[] = "/tmp/check-jail-XXXXXX", buf[FILE_LEN];
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(unlink(path), 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)('a' + i % 26);
	ck_assert_int_eq(write(fd, buf, sizeof(buf)), sizeof(buf));
	return fd;
}

START_TEST(test_allow_file)
{
	struct stat st;
	char buf[16];
	int fd, sv[2];

	pair(sv);
	fd = pattern_file();
	send_fds(sv[0], &fd, 1);
	jail_or_exit(sv[1], JAIL_UID);
	if (!recv_fds(sv[1], &fd, 1))
		_exit(10);
	if (fstat(fd, &st) < 0 || st.st_size != FILE_LEN)
		_exit(11);
	if (preadv(fd, &(struct iovec){ buf, 3 }, 1, 27) != 3 || memcmp(buf, "bcd", 3) != 0)
		_exit(12);
	if (preadv(fd, &(struct iovec){ buf, 3 }, 1, 0) != 3 || memcmp(buf, "abc", 3) != 0)
		_exit(13);
	if (pwrite(fd, "xyz", 3, FILE_LEN) != 3 || write(fd, "xyz", 3) != 3)
		_exit(14);
	if (fdatasync(fd) < 0)
		_exit(15);
	if (close(fd) < 0)
		_exit(16);
	_exit(0);
}
END_TEST

/* A relayed stream is read with readv from a pipe (file-io.c). */
START_TEST(test_allow_stream)
{
	char buf[4];
	int p[2], sv[2];

	pair(sv);
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], "abcd", 4), 4);
	close(p[1]);
	send_fds(sv[0], &p[0], 1);
	close(p[0]);
	jail_or_exit(sv[1], JAIL_UID);
	if (!recv_fds(sv[1], &p[0], 1))
		_exit(10);
	if (readv(p[0], &(struct iovec){ buf, 3 }, 1) != 3 || memcmp(buf, "abc", 3) != 0)
		_exit(11);
	if (readv(p[0], &(struct iovec){ buf, 4 }, 1) != 1 || readv(p[0], &(struct iovec){ buf, 4 }, 1) != 0)
		_exit(12);
	_exit(0);
}
END_TEST

static int udp_bound(struct sockaddr_in *sin)
{
	socklen_t len = sizeof(*sin);
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	ck_assert_int_ge(s, 0);
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(s, (struct sockaddr *)sin, sizeof(*sin)), 0);
	ck_assert_int_eq(getsockname(s, (struct sockaddr *)sin, &len), 0);
	return s;
}

/* Two connected UDP sockets, like the monitor's transfer socket and a client. */
static void udp_pair(int s[2])
{
	struct sockaddr_in a, b;

	s[0] = udp_bound(&a);
	s[1] = udp_bound(&b);
	ck_assert_int_eq(connect(s[0], (struct sockaddr *)&b, sizeof(b)), 0);
	ck_assert_int_eq(connect(s[1], (struct sockaddr *)&a, sizeof(a)), 0);
}

static bool wait_in(int fd)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	struct timespec ts = {.tv_sec = 2};

	return poll(&pfd, 1, 2000) == 1 && ppoll(&pfd, 1, &ts, NULL) == 1;
}

static bool got(int fd, const char *want)
{
	char buf[16];
	ssize_t n;

	if (!wait_in(fd))
		return false;
	n = recv(fd, buf, sizeof(buf), 0);
	return n == (ssize_t)strlen(want) && memcmp(buf, want, (size_t)n) == 0;
}

/* A subverted child must not send from port 69 to anyone but its peer. */
START_TEST(test_deny_sendto_address)
{
	struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int s[2], sv[2];

	pair(sv);
	udp_pair(s);
	send_fds(sv[0], s, 2);
	jail_or_exit(sv[1], JAIL_UID);
	if (!recv_fds(sv[1], s, 2))
		_exit(20);
	_exit(sendto(s[0], "x", 1, 0, (struct sockaddr *)&to, sizeof(to)) >= 0 ? 1 : 2);
}
END_TEST

START_TEST(test_deny_sendmsg)
{
	struct iovec iov = {"x", 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	int s[2], sv[2];

	pair(sv);
	udp_pair(s);
	send_fds(sv[0], s, 2);
	jail_or_exit(sv[1], JAIL_UID);
	if (!recv_fds(sv[1], s, 2))
		_exit(20);
	_exit(sendmsg(s[0], &mh, 0) >= 0 ? 1 : 2);
}
END_TEST

START_TEST(test_deny_sendmmsg)
{
	struct iovec iov = {"x", 1};
	struct mmsghdr mm = {.msg_hdr = {.msg_iov = &iov, .msg_iovlen = 1}};
	int s[2], sv[2];

	pair(sv);
	udp_pair(s);
	send_fds(sv[0], s, 2);
	jail_or_exit(sv[1], JAIL_UID);
	if (!recv_fds(sv[1], s, 2))
		_exit(20);
	_exit(sendmmsg(s[0], &mm, 1, 0) >= 0 ? 1 : 2);
}
END_TEST

START_TEST(test_allow_udp)
{
	struct timespec ts;
	int s[2], sv[2], gso = 1200, off = 0;

	pair(sv);
	udp_pair(s);
	send_fds(sv[0], s, 2);
	jail_or_exit(sv[1], JAIL_UID);
	if (!recv_fds(sv[1], s, 2))
		_exit(20);
	if (setsockopt(s[0], SOL_UDP, UDP_SEGMENT, &gso, sizeof(gso)) < 0 ||
	    setsockopt(s[0], SOL_UDP, UDP_SEGMENT, &off, sizeof(off)) < 0)
		_exit(21);
	if (send(s[0], "ping", 4, 0) != 4 || !got(s[1], "ping"))
		_exit(22);
	if (sendto(s[1], "pong", 4, 0, NULL, 0) != 4 || !got(s[0], "pong"))
		_exit(23);
	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0 || clock_gettime(CLOCK_REALTIME, &ts) < 0)
		_exit(25);
	_exit(close(s[0]) == 0 && close(s[1]) == 0 ? 0 : 26);
}
END_TEST

START_TEST(test_allow_memory)
{
	char *big, *small[256], rnd[16];
	void *p;

	jail_self();
	big = malloc(1 << 20); /* above the mmap threshold: mmap */
	if (big == NULL)
		_exit(30);
	memset(big, 1, 1 << 20);
	big = realloc(big, 4 << 20); /* mremap */
	if (big == NULL)
		_exit(31);
	free(big);
	for (size_t i = 0; i < 256; i++)
		if ((small[i] = malloc(100 + i)) == NULL)
			_exit(32);
	for (size_t i = 0; i < 256; i++)
		free(small[i]);
	p = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || mprotect(p, 65536, PROT_READ) < 0 ||
	    madvise(p, 65536, MADV_DONTNEED) < 0 || munmap(p, 65536) < 0)
		_exit(33);
	if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
		_exit(34);
	_exit(0);
}
END_TEST

/* Probed calls answer ENOSYS so libc falls back instead of dying. */
START_TEST(test_enosys_probes)
{
	struct stat st;

	jail_self();
	if (syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS)
		_exit(40);
	if (syscall(SYS_statx, AT_FDCWD, "/", 0, 0, &st) != -1 || errno != ENOSYS)
		_exit(41);
	if (syscall(SYS_faccessat2, AT_FDCWD, "/", R_OK, 0) != -1 || errno != ENOSYS)
		_exit(42);
	_exit(0);
}
END_TEST

/* ---- refusals before anything is touched ---- */

START_TEST(test_bad_args)
{
	struct jail_config root = {.switch_ids = true, .uid = 0, .gid = 0, .parent = getppid()};
	struct jail_config self = {.switch_ids = true, .uid = getuid(), .gid = JAIL_UID,
				   .parent = getppid()};
	struct jail_config stay = {.switch_ids = false, .uid = JAIL_UID, .gid = JAIL_UID,
				   .parent = getppid()};
	struct jail_config orphan = stay;

	ck_assert_int_eq(jail_enter(-1, &stay), -EBADF);
	ck_assert_int_eq(jail_enter(1000, &stay), -EBADF);
	ck_assert_int_eq(jail_enter(STDERR_FILENO, &root), -EINVAL);
	ck_assert_int_eq(jail_enter(STDERR_FILENO, &self), -EINVAL);
	orphan.parent = 0;
	ck_assert_int_eq(jail_enter(STDERR_FILENO, &orphan), -EINVAL);
	if (am_root()) /* root must switch: a uid 0 child is refused */
		ck_assert_int_eq(jail_enter(STDERR_FILENO, &stay), -EPERM);
	ck_assert_int_eq(caps_drop_to_user(0, 0), -EINVAL);
	/* the filter is never loaded into a process without no_new_privs */
	ck_assert_int_eq(seccomp_child_load(), -EPERM);
}
END_TEST

/* Unprivileged: asking for a switch fails (EPERM), and is not ignored. */
START_TEST(test_switch_needs_privilege)
{
	struct jail_config ids = {.switch_ids = true, .uid = JAIL_UID, .gid = JAIL_UID,
				  .parent = getppid()};

	_exit(jail_enter(STDERR_FILENO, &ids) == -EPERM ? 0 : 1);
}
END_TEST

/* ---- the jail seen from outside, through /proc ---- */

/* The value of "key:\t..." in /proc/PID/status, trailing blanks removed. */
static void status_field(pid_t pid, const char *key, char *out, size_t outlen)
{
	char path[64], buf[8192], *p, *end;
	size_t n, klen = strlen(key);
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (p = buf; p != NULL; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, key, klen) == 0 && p[klen] == ':' && p[klen + 1] == '\t')
			break;
	ck_assert_msg(p != NULL, "no %s in %s", key, path);
	p += klen + 2;
	end = strchr(p, '\n');
	n = end ? (size_t)(end - p) : strlen(p);
	while (n > 0 && p[n - 1] == ' ')
		n--;
	ck_assert_uint_lt(n, outlen);
	memcpy(out, p, n);
	out[n] = '\0';
}

static void status_is(pid_t pid, const char *key, const char *want)
{
	char val[256];

	status_field(pid, key, val, sizeof(val));
	ck_assert_msg(strcmp(val, want) == 0, "%s: \"%s\", want \"%s\"", key, val, want);
}

static void status_ids_are(pid_t pid, unsigned int id)
{
	char want[64];

	snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", id, id, id, id);
	status_is(pid, "Uid", want);
	status_is(pid, "Gid", want);
}

static void status_jailed(pid_t pid, bool bounded)
{
	status_is(pid, "Seccomp", "2");
	status_is(pid, "NoNewPrivs", "1");
	status_is(pid, "CapInh", CAPS_ZERO);
	status_is(pid, "CapPrm", CAPS_ZERO);
	status_is(pid, "CapEff", CAPS_ZERO);
	status_is(pid, "CapAmb", CAPS_ZERO);
	if (bounded)
		status_is(pid, "CapBnd", CAPS_ZERO);
}

static bool is_devnull(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3);
}

/* /proc/PID/fd lists exactly keep_fd, stderr and any /dev/null on 0/1. */
static void fds_are(pid_t pid, int keep_fd)
{
	char path[64];
	struct dirent *de;
	DIR *d;
	int n = 0, want = 1;

	for (int fd = 0; fd <= 2; fd++)
		if (fd != keep_fd && (fd == 2 ? fcntl(fd, F_GETFD) >= 0 : is_devnull(fd)))
			want++;
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	ck_assert_msg(d != NULL, "%s: %s", path, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		int fd = atoi(de->d_name);

		if (de->d_name[0] == '.')
			continue;
		n++;
		ck_assert_msg(fd == keep_fd || fd == 2 || (fd <= 1 && is_devnull(fd)),
		              "unexpected fd %d in the jail", fd);
	}
	closedir(d);
	ck_assert_int_eq(n, want);
}

/* Fork a child that jails itself as uid, says "R" and waits for EOF. */
static pid_t spawn_jailed(bool switch_ids, uid_t uid, int *ret_sock, int *ret_keep)
{
	char c;
	pid_t pid;
	int sv[2];

	pair(sv);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(sv[0]);
		jail_as_or_exit(sv[1], switch_ids, uid);
		if (write(sv[1], "R", 1) != 1)
			_exit(1);
		_exit(recv(sv[1], &c, 1, 0) == 0 ? 0 : 2);
	}
	close(sv[1]);
	ck_assert_msg(read(sv[0], &c, 1) == 1, "jailed child died before ready");
	*ret_sock = sv[0];
	*ret_keep = sv[1];
	return pid;
}

static void release_jailed(pid_t pid, int sock)
{
	int status;

	close(sock);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "jailed child status %#x",
	              status);
}

START_TEST(test_proc_status)
{
	int sock, keep;
	pid_t pid = spawn_jailed(am_root(), JAIL_UID, &sock, &keep);

	status_jailed(pid, am_root());
	if (am_root()) {
		status_ids_are(pid, JAIL_UID);
		status_is(pid, "Groups", "");
		/* a non-dumpable process's fd dir needs CAP_SYS_PTRACE: root only */
		fds_are(pid, keep);
	}
	release_jailed(pid, sock);
}
END_TEST

/* Root only: the monitor's drop, then a child of it still jails fully. */
START_TEST(test_caps_drop_to_user)
{
	static const cap_value_t kept[] = {CAP_NET_BIND_SERVICE, CAP_SETUID, CAP_SETGID,
	                                   CAP_SETPCAP, CAP_KILL};
	int sock, keep;
	pid_t pid;

	ck_assert_int_eq(caps_drop_to_user(JAIL_UID, JAIL_UID), 0);
	status_ids_are(getpid(), JAIL_UID);
	status_is(getpid(), "Groups", "65533");
	status_is(getpid(), "CapPrm", CAPS_MONITOR);
	status_is(getpid(), "CapEff", CAPS_ZERO);
	status_is(getpid(), "CapInh", CAPS_ZERO);
	status_is(getpid(), "CapAmb", CAPS_ZERO);
	status_is(getpid(), "CapBnd", CAPS_MONITOR);
	ck_assert_int_eq(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
	ck_assert_int_eq(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0),
	                 SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
	                     SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
	                     SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED);
	ck_assert_int_eq(caps_raise(CAP_NET_BIND_SERVICE), 0);
	status_is(getpid(), "CapEff", "0000000000000400");
	ck_assert_int_eq(caps_lower(CAP_NET_BIND_SERVICE), 0);
	status_is(getpid(), "CapEff", CAPS_ZERO);
	ck_assert_int_eq(caps_raise(CAP_SYS_ADMIN), -EPERM);
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		ck_assert_int_eq(caps_raise(kept[i]), 0);
		ck_assert_int_eq(caps_lower(kept[i]), 0);
	}

	/* no longer root, but holding what a switch needs, like the monitor */
	pid = spawn_jailed(true, JAIL_UID2, &sock, &keep);
	status_jailed(pid, true);
	status_ids_are(pid, JAIL_UID2);
	status_is(pid, "Groups", "");
	release_jailed(pid, sock);
}
END_TEST

/* ---- the monitor's deny-list ------------------------------------------ */

static void monitor_filter_or_fail(void)
{
	struct jail_config jail = { .switch_ids = true, .uid = JAIL_UID, .gid = JAIL_UID,
				    .parent = getppid() };

	ck_assert_int_eq(seccomp_monitor_load(&jail), 0);
	ck_assert_int_eq(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 1);
}

START_TEST(test_monitor_denies_execve)
{
	char *const argv[] = {(char *)"true", NULL};

	monitor_filter_or_fail();
	execv("/bin/true", argv);
	_exit(EXIT_NOT_JAILED); /* not reached: SIGSYS */
}
END_TEST

START_TEST(test_monitor_denies_unshare)
{
	monitor_filter_or_fail();
	(void)syscall(SYS_unshare, 0x00020000 /* CLONE_NEWNS */);
	_exit(EXIT_NOT_JAILED);
}
END_TEST

START_TEST(test_monitor_denies_mount)
{
	monitor_filter_or_fail();
	(void)syscall(SYS_mount, "none", "/", "tmpfs", 0UL, NULL);
	_exit(EXIT_NOT_JAILED);
}
END_TEST

/* CAP_KILL's one job: SIGKILL to one pid. Our own process group stands in
 * for "a group" (were the rule missing, only this test would die). */
START_TEST(test_monitor_denies_kill_group)
{
	ck_assert_int_eq(setpgid(0, 0), 0);
	monitor_filter_or_fail();
	(void)kill(0, SIGKILL);
	_exit(EXIT_NOT_JAILED);
}
END_TEST

START_TEST(test_monitor_denies_kill_negative)
{
	ck_assert_int_eq(setpgid(0, 0), 0);
	monitor_filter_or_fail();
	(void)kill(-getpgrp(), SIGKILL);
	_exit(EXIT_NOT_JAILED);
}
END_TEST

START_TEST(test_monitor_denies_other_signals)
{
	monitor_filter_or_fail();
	(void)kill(getpid(), SIGTERM);
	_exit(EXIT_NOT_JAILED);
}
END_TEST

/* CAP_SETUID and CAP_SETGID: the jail's ids, nothing else. */
START_TEST(test_monitor_denies_other_uid)
{
	monitor_filter_or_fail();
	(void)syscall(SYS_setresuid, JAIL_UID + 1, JAIL_UID + 1, JAIL_UID + 1);
	_exit(EXIT_NOT_JAILED);
}
END_TEST

START_TEST(test_monitor_denies_groups)
{
	gid_t g = JAIL_UID;

	monitor_filter_or_fail();
	(void)syscall(SYS_setgroups, 1, &g);
	_exit(EXIT_NOT_JAILED);
}
END_TEST

/* SIGKILL to one child still works. */
START_TEST(test_monitor_kills_a_child)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		pause();
		_exit(0);
	}
	monitor_filter_or_fail();
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}
END_TEST

/* The monitor's own work goes on, and its children still jail fully,
 * their allow-list on top of its deny-list. */
START_TEST(test_monitor_keeps_working)
{
	int fd, sock, keep;
	pid_t pid;

	monitor_filter_or_fail();
	status_is(getpid(), "Seccomp", "2");
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	close(fd);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	close(fd);
	pid = spawn_jailed(am_root(), JAIL_UID, &sock, &keep);
	status_jailed(pid, am_root());
	status_is(pid, "Seccomp_filters", "2");
	release_jailed(pid, sock);
}
END_TEST

/* ---- what the monitor accepts from a child ---------------------------- */

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* A child in state `state` whose end of the socketpair is ret_peer. */
static void fake_child(struct child *c, enum child_state state, bool ready, uint32_t job_id,
		       int *ret_peer)
{
	int sv[2];

	pair(sv);
	*c = (struct child){ .state = state, .pid = 0, .sock = sv[0], .ready = ready,
			     .job_id = job_id };
	*ret_peer = sv[1];
}

static int child_says(struct child *c, int peer, uint32_t type, uint32_t id)
{
	struct psep_msg m = { .type = type }, got;
	int fds[2] = { -1, -1 };
	int r;

	if (type == PSEP_MSG_RESULT) {
		m.result.transfer_id = id;
		m.result.status = PSEP_OK;
	} else if (type == PSEP_MSG_JOB) {
		m.job = (struct psep_job){ .transfer_id = id, .opcode = 1, .mode = 1,
			.blksize = 512, .windowsize = 1, .timeout_ms = 1000, .rto_min_ms = 200,
			.rto_max_ms = 1000, .retries = 5, .deadline_s = 300, .initial_window = 4 };
		/* A regular file and a socket: a JOB the codec would accept. */
		fds[0] = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
		fds[1] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		ck_assert_int_ge(fds[0], 0);
		ck_assert_int_ge(fds[1], 0);
	}
	ck_assert_int_eq(psep_msg_send(peer, &m, fds, type == PSEP_MSG_JOB ? 2 : 0), 0);
	if (type == PSEP_MSG_JOB) {
		close(fds[0]);
		close(fds[1]);
	}
	r = spawn_receive(c, &got);
	if (r == 0)
		ck_assert_uint_eq(got.type, type);
	return r;
}

static void end_child(struct child *c, int peer)
{
	close(c->sock);
	close(peer);
}

START_TEST(test_permit_result_of_its_job)
{
	struct child c;
	int peer;

	fake_child(&c, CHILD_BUSY, true, 7, &peer);
	ck_assert_int_eq(child_says(&c, peer, PSEP_MSG_RESULT, 7), 0);
	ck_assert_int_eq(c.state, CHILD_IDLE);
	/* One RESULT per job: a second one is out of turn. */
	ck_assert_int_eq(child_says(&c, peer, PSEP_MSG_RESULT, 7), -EPROTO);
	end_child(&c, peer);
}
END_TEST

START_TEST(test_permit_no_result_for_another_job)
{
	struct child c;
	int peer;

	fake_child(&c, CHILD_BUSY, true, 7, &peer);
	ck_assert_int_eq(child_says(&c, peer, PSEP_MSG_RESULT, 8), -EPROTO);
	end_child(&c, peer);
	fake_child(&c, CHILD_IDLE, true, 0, &peer);
	ck_assert_int_eq(child_says(&c, peer, PSEP_MSG_RESULT, 0), -EPROTO);
	end_child(&c, peer);
}
END_TEST

START_TEST(test_permit_ready_once)
{
	struct child c;
	int peer;

	fake_child(&c, CHILD_STARTING, false, 0, &peer);
	ck_assert_int_eq(child_says(&c, peer, PSEP_MSG_READY, 0), 0);
	ck_assert_int_eq(c.state, CHILD_IDLE);
	ck_assert_int_eq(child_says(&c, peer, PSEP_MSG_READY, 0), -EPROTO);
	end_child(&c, peer);
}
END_TEST

/* A JOB never comes from a child, and the descriptors it carries are not
 * kept: a subverted child must not fill the monitor's table. */
START_TEST(test_permit_no_job_from_a_child)
{
	struct child c;
	int peer, before;

	fake_child(&c, CHILD_BUSY, true, 7, &peer);
	before = open_fds();
	ck_assert_int_eq(child_says(&c, peer, PSEP_MSG_JOB, 7), -EPROTO);
	ck_assert_int_eq(open_fds(), before);
	end_child(&c, peer);
}
END_TEST

static Suite *jail_suite(void)
{
	Suite *s = suite_create("jail");
	TCase *deny = tcase_create("deny");
	TCase *allow = tcase_create("allow");
	TCase *state = tcase_create("state");
	TCase *monitor = tcase_create("monitor");
	TCase *permit = tcase_create("permit");

	tcase_set_timeout(deny, 10);
	add_forbidden(deny, test_deny_open);
	add_forbidden(deny, test_deny_socket);
	add_forbidden(deny, test_deny_execve);
	add_forbidden(deny, test_deny_execve_prepared);
	add_forbidden(deny, test_deny_kill);
	add_forbidden(deny, test_deny_ptrace);
	add_forbidden(deny, test_deny_mmap_exec);
	add_forbidden(deny, test_deny_mprotect_exec);
	add_forbidden(deny, test_deny_setsockopt);
	add_forbidden(deny, test_deny_fork);
	add_forbidden(deny, test_deny_read);
	add_forbidden(deny, test_deny_pread);
	add_forbidden(deny, test_deny_lseek);
	add_forbidden(deny, test_deny_ftruncate);
	add_forbidden(deny, test_deny_fsync);
	add_forbidden(deny, test_deny_sendto_address);
	add_forbidden(deny, test_deny_sendmsg);
	add_forbidden(deny, test_deny_sendmmsg);
	suite_add_tcase(s, deny);

	tcase_set_timeout(allow, 10);
	tcase_add_test(allow, test_allow_file);
	tcase_add_test(allow, test_allow_stream);
	tcase_add_test(allow, test_allow_udp);
	tcase_add_test(allow, test_allow_memory);
	tcase_add_test(allow, test_enosys_probes);
	suite_add_tcase(s, allow);

	tcase_set_timeout(state, 10);
	tcase_add_test(state, test_bad_args);
	tcase_add_test(state, test_proc_status);
	if (am_root())
		tcase_add_test(state, test_caps_drop_to_user);
	else
		tcase_add_test(state, test_switch_needs_privilege);
	suite_add_tcase(s, state);

	/* The monitor's list kills even in a --enable-seccomp-debug build. */
	tcase_set_timeout(monitor, 10);
	tcase_add_test_raise_signal(monitor, test_monitor_denies_execve, SIGSYS);
	tcase_add_test_raise_signal(monitor, test_monitor_denies_unshare, SIGSYS);
	tcase_add_test_raise_signal(monitor, test_monitor_denies_mount, SIGSYS);
	tcase_add_test_raise_signal(monitor, test_monitor_denies_kill_group, SIGSYS);
	tcase_add_test_raise_signal(monitor, test_monitor_denies_kill_negative, SIGSYS);
	tcase_add_test_raise_signal(monitor, test_monitor_denies_other_signals, SIGSYS);
	if (am_root()) {
		tcase_add_test_raise_signal(monitor, test_monitor_denies_other_uid, SIGSYS);
		tcase_add_test_raise_signal(monitor, test_monitor_denies_groups, SIGSYS);
	}
	tcase_add_test(monitor, test_monitor_kills_a_child);
	tcase_add_test(monitor, test_monitor_keeps_working);
	suite_add_tcase(s, monitor);

	tcase_add_test(permit, test_permit_result_of_its_job);
	tcase_add_test(permit, test_permit_no_result_for_another_job);
	tcase_add_test(permit, test_permit_ready_once);
	tcase_add_test(permit, test_permit_no_job_from_a_child);
	suite_add_tcase(s, permit);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(jail_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
