/*
 * sd-sandbox - run a command under the system call sandbox a systemd unit
 * describes, for tests on machines where systemd is not PID 1.
 *
 *   sd-sandbox SYSCALLS_FILE -- COMMAND [ARG]...
 *
 * SYSCALLS_FILE names the allowed system calls, one per line (the unit's
 * SystemCallFilter= expanded by `systemd-analyze syscall-filter`; names
 * this libseccomp does not know are skipped, as systemd does). A line
 * "!NAME" makes NAME fail with ENOSYS instead, as systemd answers openat2()
 * under RestrictSUIDSGID=yes. On top:
 *   RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX  socket() of any
 *                                  other family is refused
 *   MemoryDenyWriteExecute=yes     no mapping both writable and executable
 *   SystemCallArchitectures=native only the native ABI
 *   NoNewPrivileges=yes
 * Unlike the unit (SystemCallErrorNumber=EPERM) every violation kills the
 * process (SIGSYS), so that a test cannot miss it. The filter is inherited
 * across execve and fork, like systemd's.
 */
#include <errno.h>
#include <stdbool.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int die(const char *what, int r)
{
	fprintf(stderr, "sd-sandbox: %s: %s\n", what, strerror(r < 0 ? -r : r));
	return 125;
}

/* mmap/mprotect/pkey_mprotect: not PROT_WRITE and PROT_EXEC at once. */
static int add_wx_rules(scmp_filter_ctx ctx, int nr, unsigned arg)
{
	int r;

	r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
			     SCMP_CMP(arg, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (r < 0)
		return r;
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
				SCMP_CMP(arg, SCMP_CMP_MASKED_EQ, PROT_WRITE, 0));
}

static int add_socket_rules(scmp_filter_ctx ctx)
{
	static const int families[] = { AF_INET, AF_INET6, AF_UNIX };
	int r;

	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
				     SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)families[i]));
		if (r < 0)
			return r;
	}
	return 0;
}

int main(int argc, char **argv)
{
	char line[128];
	scmp_filter_ctx ctx;
	FILE *f;
	int r, n = 0;

	if (argc < 4 || strcmp(argv[2], "--") != 0) {
		fprintf(stderr, "usage: sd-sandbox SYSCALLS_FILE -- COMMAND [ARG]...\n");
		return 125;
	}
	f = fopen(argv[1], "re");
	if (f == NULL)
		return die(argv[1], errno);
	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (ctx == NULL)
		return die("seccomp_init", ENOMEM);
	while (fgets(line, sizeof(line), f) != NULL) {
		bool enosys = line[0] == '!';
		const char *name = line + enosys;
		int nr;

		line[strcspn(line, " \t\r\n")] = '\0';
		if (name[0] == '\0' || name[0] == '#')
			continue;
		nr = seccomp_syscall_resolve_name(name);
		if (nr == __NR_SCMP_ERROR || nr < 0)
			continue; /* unknown here, or not on this architecture */
		if (enosys)
			r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
		else if (nr == SCMP_SYS(socket))
			r = add_socket_rules(ctx);
		else if (nr == SCMP_SYS(mmap) || nr == SCMP_SYS(mprotect))
			r = add_wx_rules(ctx, nr, 2);
		else if (nr == SCMP_SYS(pkey_mprotect))
			r = add_wx_rules(ctx, nr, 2);
		else
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		if (r < 0)
			return die(name, r);
		n++;
	}
	fclose(f);
	if (n == 0)
		return die("no known system call in the list", EINVAL);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return die("PR_SET_NO_NEW_PRIVS", errno);
	r = seccomp_load(ctx);
	if (r < 0)
		return die("seccomp_load", r);
	seccomp_release(ctx);
	execvp(argv[3], argv + 3);
	return die(argv[3], errno);
}
