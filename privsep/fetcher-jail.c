/*
 * fetcher-jail.c - the fetcher's jail, in order, before it reads any
 * request:
 *  1. close every fd but its socket and stderr (fetcher_close_fds, first of
 *     all, before libcurl opens descriptors of its own);
 *  2. rlimits: CORE 0, NOFILE enough for its fetches (and no more);
 *  3. PR_SET_DUMPABLE 0;
 *  4. started as root: drop the bounding set, setgroups(0) -> setresgid
 *     -> setresuid to its own ids, read back;
 *  5. PR_SET_PDEATHSIG SIGKILL, then check the monitor is still there;
 *  6. clear every capability set and verify none remain;
 *  7. PR_SET_NO_NEW_PRIVS, verified;
 *  8. Landlock: read-only /etc and /usr (resolver, NSS, TLS library),
 *     the cache directory's files (relay-cache-dir), nothing else; then check that the TFTP root cannot
 *     be opened: this is what keeps a subverted fetcher from the files;
 *  9. its seccomp allow-list (seccomp-fetcher.c).
 * Every failure is fatal: the caller _exits, and tftpd does not start.
 *
 * The fetcher cannot use jail_enter: it needs threads (libcurl's resolver,
 * so no RLIMIT_NPROC 0), more descriptors, and a different filter.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/landlock.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"
#include "fetcher.h"
#include "jail.h"

#define FDS_PER_FETCH 4  /* the connection, its memfd, a resolver's pair */
#define FDS_BASE 32      /* socket, stderr, multi wake-up, libc and TLS files */

#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif
#define FS_ACCESS_V1 ((1ULL << 13) - 1) /* execute .. make_sym */
#define FS_READ (LANDLOCK_ACCESS_FS_READ_FILE | LANDLOCK_ACCESS_FS_READ_DIR)

/* What the fetcher may read: the resolver's configuration and NSS
 * modules, the TLS library's configuration. Certificates were read
 * before the jail. */
static const char *const readable[] = { "/etc", "/usr" };

/* 1. */
int fetcher_close_fds(int sock)
{
	int keep[2] = { STDERR_FILENO, sock };
	int lo = keep[0] < keep[1] ? keep[0] : keep[1], hi = keep[0] ^ keep[1] ^ lo;

	/* stdin and stdout stay closed: nothing reads or prints there. */
	if (lo > 0 && close_range(0, (unsigned)lo - 1, 0) < 0)
		return -errno;
	if (hi > lo + 1 && close_range((unsigned)lo + 1, (unsigned)hi - 1, 0) < 0)
		return -errno;
	return close_range((unsigned)hi + 1, ~0U, 0) < 0 ? -errno : 0;
}

/* 2. */
static int jail_rlimits(const struct fetcher_config *cfg)
{
	rlim_t nofile = FDS_BASE + (rlim_t)cfg->max_fetches * FDS_PER_FETCH;
	struct rlimit core = { 0, 0 }, files = { nofile, nofile };

	if (setrlimit(RLIMIT_CORE, &core) < 0 || setrlimit(RLIMIT_NOFILE, &files) < 0)
		return -errno;
	return 0;
}

/* 4. */
static int jail_ids(const struct fetcher_config *cfg)
{
	const struct jail_config ids = { .uid = cfg->uid, .gid = cfg->gid };
	int r;

	if ((r = caps_drop_bounding()) < 0)
		return r;
	if (setgroups(0, NULL) < 0 || setresgid(cfg->gid, cfg->gid, cfg->gid) < 0 ||
	    setresuid(cfg->uid, cfg->uid, cfg->uid) < 0)
		return -errno;
	if ((r = jail_verify_ids(&ids)) < 0)
		return r;
	/* setresuid made us dumpable again */
	return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 ? -errno : 0;
}

static uint64_t fs_handled(int abi)
{
	uint64_t all = FS_ACCESS_V1;

	if (abi >= 2)
		all |= LANDLOCK_ACCESS_FS_REFER;
	if (abi >= 3)
		all |= LANDLOCK_ACCESS_FS_TRUNCATE;
	return all;
}

static int allow_read(int ruleset, const char *path)
{
	struct landlock_path_beneath_attr rule = { .allowed_access = FS_READ };
	int r = 0;

	rule.parent_fd = open(path, O_PATH | O_CLOEXEC | O_DIRECTORY);
	if (rule.parent_fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) < 0)
		r = -errno;
	close(rule.parent_fd);
	return r;
}

/* The cache directory: its files are read, written, created, renamed
 * and removed; nothing else is ever written. */
static int allow_cache(int ruleset, int dir, int abi)
{
	struct landlock_path_beneath_attr rule = {
		.allowed_access = FS_READ | LANDLOCK_ACCESS_FS_WRITE_FILE |
				  LANDLOCK_ACCESS_FS_MAKE_REG | LANDLOCK_ACCESS_FS_REMOVE_FILE |
				  (abi >= 3 ? LANDLOCK_ACCESS_FS_TRUNCATE : 0),
		.parent_fd = dir,
	};

	if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0) < 0)
		return -errno;
	return 0;
}

/* 8. A kernel without Landlock cannot keep the root from the fetcher
 * once it is unchrooted: the relay then does not start. */
static int jail_landlock(int cache_dir)
{
	int abi = (int)syscall(SYS_landlock_create_ruleset, NULL, 0,
			       LANDLOCK_CREATE_RULESET_VERSION);
	struct landlock_ruleset_attr attr;
	int ruleset, r = 0;

	if (abi < 1)
		return -EOPNOTSUPP;
	attr = (struct landlock_ruleset_attr){ .handled_access_fs = fs_handled(abi) };
	ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
	if (ruleset < 0)
		return -errno;
	for (size_t i = 0; i < sizeof(readable) / sizeof(readable[0]) && r == 0; i++)
		r = allow_read(ruleset, readable[i]);
	if (r == 0 && cache_dir >= 0)
		r = allow_cache(ruleset, cache_dir, abi);
	if (r == 0 && syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
		r = -errno;
	close(ruleset);
	return r;
}

/* The TFTP root must be out of reach: an operator who put it under /etc
 * or /usr learns it now, not from an incident. */
static int check_root_hidden(const char *root)
{
	int fd;

	if (root == NULL)
		return -EINVAL;
	fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return -EEXIST;
	}
	return errno == EACCES ? 0 : -errno;
}

int fetcher_jail_enter(int sock, int cache_dir, const struct fetcher_config *cfg)
{
	pid_t parent = getppid();
	int r;

	/* clang-format off */
	if (fcntl(sock, F_GETFD) < 0)                              /* 1 */
		return -EBADF;
	if ((r = jail_rlimits(cfg)) < 0)                           /* 2 */
		return r;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)                /* 3 */
		return -errno;
	if (cfg->switch_ids && (r = jail_ids(cfg)) < 0)            /* 4 */
		return r;
	if ((r = jail_parent_death(parent)) < 0)                   /* 5 */
		return r;
	if ((r = caps_clear_all()) < 0)                            /* 6 */
		return r;
	if ((r = jail_no_new_privs()) < 0)                         /* 7 */
		return r;
	if ((r = jail_landlock(cache_dir)) < 0 ||                  /* 8 */
	    (r = check_root_hidden(cfg->root_path)) < 0)
		return r;
	return seccomp_fetcher_load();                             /* 9 */
	/* clang-format on */
}
