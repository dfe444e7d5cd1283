/*
 * tftpd.c - main: acquire everything, then confine, then serve.
 *
 * The order below is the security design; keep it. main() marks each
 * step where it begins:
 *   1. read the command line and the configuration file; log to stderr;
 *      draw the hash key of the tables of client addresses;
 *   2. connect to systemd's notification socket (a path, which the chroot
 *      would hide) and take the watchdog interval;
 *   3. resolve the service and jail users (NSS) and tzset, while /etc is
 *      still the host's;
 *   4. take the sockets (systemd, inetd fd 0, or --listen) and open the
 *      log: syslog (inetd) or the journal (systemd) is connected now,
 *      before the chroot hides /dev/log and /run/systemd/journal; raise
 *      the descriptor limit to what the limits of transfers need;
 *   5. open the served root as a directory fd, the configuration for
 *      reloads, the directories of the files the monitor writes later
 *      (alias-once state, metrics-file), and /dev/null for the children's
 *      stderr and wrq-devnull;
 *   6. fork the relay's fetcher when the relay is on (it jails itself
 *      and must never see the root, so it goes before the chroot); then,
 *      started as root: chroot into the root, switch to the service user
 *      and keep only the capabilities caps.h lists; in every case not
 *      dumpable; remove temporary files of uploads cut short;
 *   7. drop CAP_NET_BIND_SERVICE when no port needs it; generate the
 *      children's seccomp program once (each child only loads it), then
 *      load the monitor's own deny-list (no exec, ptrace, mounts..., and
 *      its capabilities bound to their one job);
 *   8. hand over to the monitor, which forks the jailed children and
 *      then tells systemd READY=1 over the socket from step 2.
 * Nothing after step 5 touches NSS, locale, timezone files or /etc.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "addr-index.h"
#include "caps.h"
#include "checks.h"
#include "relay-start.h"
#include "listen.h"
#include "log.h"
#include "metrics-file.h"
#include "monitor.h"
#include "notify.h"
#include "open-in-root.h"
#include "seccomp-child.h"
#include "seccomp-monitor.h"
#include "settings.h"
#include "upload.h"
#include "util.h"

#define JAIL_FALLBACK_ID 65533 /* a uid/gid that owns nothing */

struct ids {
	uid_t uid;
	gid_t gid;
};

/* Look a user up by name; -ENOENT when unknown. */
static int lookup_user(const char *name, struct ids *ret)
{
	struct passwd *pw;

	errno = 0;
	pw = getpwnam(name);
	if (pw == NULL)
		return errno ? -errno : -ENOENT;
	ret->uid = pw->pw_uid;
	ret->gid = pw->pw_gid;
	return 0;
}

static int resolve_service_user(const struct settings *s, struct ids *ret)
{
	if (s->user != NULL) {
		if (lookup_user(s->user, ret) < 0) {
			log_msg(LOG_ERR, "--user: no such user '%s'", s->user);
			return -ENOENT;
		}
		return 0;
	}
	if (lookup_user("tftp", ret) == 0 || lookup_user("nobody", ret) == 0)
		return 0;
	log_msg(LOG_ERR, "neither user 'tftp' nor 'nobody' exists: give --user");
	return -ENOENT;
}

static int resolve_jail_user(const struct settings *s, const struct ids *service, struct ids *ret)
{
	uint64_t v;

	if (s->jail_user != NULL && parse_bounded(s->jail_user, 1, 0x7ffffffe, &v) == 0) {
		ret->uid = (uid_t)v;
		ret->gid = (gid_t)v;
	} else if (s->jail_user != NULL) {
		if (lookup_user(s->jail_user, ret) < 0) {
			log_msg(LOG_ERR, "--jail-user: no such user '%s'", s->jail_user);
			return -ENOENT;
		}
	} else if (lookup_user("tftp-jail", ret) < 0) {
		ret->uid = JAIL_FALLBACK_ID;
		ret->gid = JAIL_FALLBACK_ID;
	}
	/* A jailed child must own nothing the monitor owns, and be no root. */
	if (ret->uid == 0 || ret->gid == 0 || ret->uid == service->uid) {
		log_msg(LOG_ERR, "the jail user (uid %u gid %u) must be neither root nor the "
			"service user (uid %u)", (unsigned)ret->uid, (unsigned)ret->gid,
			(unsigned)service->uid);
		return -EINVAL;
	}
	return 0;
}

/* Step 6, only when started as root. */
static int confine(int root_fd, const char *root, const struct ids *service)
{
	int r = root_chroot(root_fd);

	if (r < 0) {
		log_msg(LOG_ERR, "cannot chroot into %s: %s", root, strerror(-r));
		return r;
	}
	r = caps_drop_to_user(service->uid, service->gid);
	if (r < 0) {
		log_msg(LOG_ERR, "cannot switch to uid %u with the needed capabilities: %s",
			(unsigned)service->uid, strerror(-r));
		return r;
	}
	return 0;
}

/* Transfer sockets bind to the listeners' ports: below 1024 that needs
 * CAP_NET_BIND_SERVICE, which is dropped for good when no port is. */
static int drop_unneeded_caps(const struct listener *l, size_t n)
{
	int r;

	for (size_t i = 0; i < n; i++)
		if (l[i].port < 1024)
			return 0;
	r = caps_drop(CAP_NET_BIND_SERVICE);
	if (r < 0)
		log_msg(LOG_ERR, "cannot drop CAP_NET_BIND_SERVICE: %s", strerror(-r));
	return r;
}

/* fds 0-2 must be open, or a socket or file we open later could land on
 * them and be taken for stdin (inetd mode) or written to as stderr. */
static int ensure_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		int null;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		null = open("/dev/null", O_RDWR);
		if (null < 0)
			return -errno;
		if (null != fd)
			return -EBADF;
	}
	return 0;
}

/* inetd hands its socket over as fds 0, 1 and 2. Children keep stderr,
 * so a jailed child would hold the listening socket and could read other
 * clients' requests: 1 and 2 become /dev/null (syslog is the log then). */
static int detach_stdio_from_socket(void)
{
	struct stat sock, st;
	int null, r = 0;

	if (fstat(0, &sock) < 0)
		return -errno;
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		return -errno;
	for (int fd = 1; fd <= 2 && r == 0; fd++)
		if (fstat(fd, &st) == 0 && st.st_dev == sock.st_dev && st.st_ino == sock.st_ino &&
		    dup2(null, fd) < 0)
			r = -errno;
	close(null);
	return r;
}

/*
 * Descriptors the monitor may hold: a fixed few (stdio, listeners, epoll,
 * signalfd, the root, log and notify sockets), one per child, and for each
 * waiting request or running upload its file, an upload's directory and
 * its socket.
 */
#define FDS_FIXED 64
#define FDS_PER_RECORD 3
#define MIN_REQUESTS 16

static uint64_t fds_needed(unsigned max_transfers, unsigned spares, unsigned max_requests)
{
	return FDS_FIXED + (uint64_t)max_transfers + spares +
	       FDS_PER_RECORD * ((uint64_t)max_requests + max_transfers);
}

/* Where the hard limit is too low, shrink the queue first, then the
 * transfers: a smaller server that serves beats one that fails with
 * EMFILE in the middle of a storm. */
static int shrink_to(struct settings *s, uint64_t limit)
{
	uint64_t room = limit > FDS_FIXED + s->spares ? limit - FDS_FIXED - s->spares : 0;
	uint64_t mt = s->max_transfers, mr;

	/* A child and its record (4) for each transfer, 3 per waiting one. */
	if (room < 4 * mt + FDS_PER_RECORD * MIN_REQUESTS)
		mt = room > FDS_PER_RECORD * MIN_REQUESTS
			     ? (room - FDS_PER_RECORD * MIN_REQUESTS) / 4 : 0;
	if (mt == 0) {
		log_msg(LOG_ERR, "the descriptor limit (%llu) is too low to serve at all",
			(unsigned long long)limit);
		return -EMFILE;
	}
	mr = (room - 4 * mt) / FDS_PER_RECORD;
	if (mr > s->max_requests)
		mr = s->max_requests;
	log_msg(LOG_WARNING, "the descriptor limit (%llu) holds --max-transfers=%llu and "
		"--max-requests=%llu, not %u and %u: raise it (LimitNOFILE=) to serve more",
		(unsigned long long)limit, (unsigned long long)mt, (unsigned long long)mr,
		s->max_transfers, s->max_requests);
	s->max_transfers = (unsigned)mt;
	s->max_requests = (unsigned)mr;
	return 0;
}

/* A storm must wait in the queue, not fail for want of descriptors: raise
 * the soft limit to what the settings need (no privilege needed up to the
 * hard limit). */
static int fit_descriptors(struct settings *s)
{
	struct rlimit rl;
	uint64_t need = fds_needed(s->max_transfers, s->spares, s->max_requests);

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		log_msg(LOG_ERR, "cannot read the descriptor limit: %s", strerror(errno));
		return -errno;
	}
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
		if (shrink_to(s, rl.rlim_max) < 0)
			return -EMFILE;
		need = fds_needed(s->max_transfers, s->spares, s->max_requests);
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		rl.rlim_cur = need;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
			log_msg(LOG_ERR, "cannot raise the descriptor limit to %llu: %s",
				(unsigned long long)need, strerror(errno));
			return -errno;
		}
	}
	return 0;
}

/* Step 4's logging: syslog for inetd, the journal when stderr is its
 * stream, else stderr as opened at step 1. */
static int open_log(const struct settings *s, enum listen_mode mode)
{
	int r;

	if (mode == LISTEN_INETD) {
		r = detach_stdio_from_socket();
		if (r < 0) {
			log_msg(LOG_ERR, "cannot point stdout and stderr away from the inetd "
				"socket: %s", strerror(-r));
			return r;
		}
		return log_open(LOG_TARGET_SYSLOG, s->log_format, s->verbose);
	}
	if (s->log_format == LOG_FORMAT_TEXT && log_stderr_is_journal()) {
		r = log_open(LOG_TARGET_JOURNAL, s->log_format, s->verbose);
		if (r < 0)
			log_msg(LOG_WARNING, "cannot connect to the journal (%s): logging to stderr",
				strerror(-r));
	}
	return 0;
}

/* The hash key of the monitor's tables of client addresses: unknown to
 * clients, so that none can choose addresses that share a bucket. */
static int seed_tables(void)
{
	uint8_t seed[16];

	if (getrandom(seed, sizeof(seed), 0) != (ssize_t)sizeof(seed)) {
		log_msg(LOG_ERR, "cannot draw the tables' hash key: %s", strerror(errno));
		return -1;
	}
	addr_index_set_seed(seed);
	return 0;
}

/* --check-config, --map-test: nothing is acquired, nothing confined. */
static int check_mode(const struct settings *s, int argc, char **argv)
{
	struct reload_source src;

	log_open(LOG_TARGET_STDERR, s->log_format, s->verbose);
	if (reload_source_open(s, argc, argv, &src) < 0)
		return EXIT_USAGE;
	return s->map_test != NULL ? map_test_run(s, &src) : check_config_run(s, &src);
}

static void complain_to_log(const char *msg)
{
	log_msg(LOG_ERR, "%s", msg);
}

/* Step 5's policy: the state directory of one-time aliases is opened now
 * (only the monitor writes there), and the map file read. */
static int open_policy(const struct settings *s, struct monitor_setup *setup,
		       struct policy *policy)
{
	int e;

	setup->state_dir = open(s->state_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	e = setup->state_dir < 0 ? errno : 0;
	if (reload_build_policy(&setup->reload, s, setup->state_dir, policy,
				complain_to_log) < 0)
		return -1;
	if (e != 0 && e != ENOENT)
		log_msg(LOG_WARNING, "cannot open the state directory %s: %s", s->state_dir,
			strerror(e));
	setup->policy = policy;
	return clients_file_open(s->clients_file, setup->clients);
}

int main(int argc, char **argv)
{
	struct settings s;
	struct policy policy;
	struct clients_file clients;
	struct metrics_file metrics;
	struct listener listeners[LISTEN_MAX];
	struct monitor_setup setup = { .settings = &s, .listeners = listeners,
				       .clients = &clients, .metrics = &metrics };
	struct ids service = { getuid(), getgid() }, jail = { 0, 0 };
	/* Root, or a non-root user given the caps to confine (systemd's
	 * User= with AmbientCapabilities=, contrib/tftpd.service.in). */
	bool privileged = geteuid() == 0 || caps_can_confine();
	int r, n;

	/* 1 */
	if (ensure_std_fds() < 0)
		return EXIT_RUNTIME;
	r = settings_parse_args(argc, argv, &s);
	if (r >= 0)
		return r;
	if (s.status)
		return metrics_file_status(s.metrics_file);
	if (s.check_config || s.map_test != NULL)
		return check_mode(&s, argc, argv);
	log_open(LOG_TARGET_STDERR, s.log_format, s.verbose);
	if (seed_tables() < 0)
		return EXIT_RUNTIME;
	/* 2. Not fatal: serving matters more than telling systemd about it
	 * (which then reports its own start-up timeout). */
	(void)notify_open();

	/* 3 */
	if (privileged && (resolve_service_user(&s, &service) < 0 ||
			   resolve_jail_user(&s, &service, &jail) < 0))
		return EXIT_RUNTIME;
	tzset();

	/* 4 */
	n = listen_setup(&s, listeners, LISTEN_MAX, &setup.mode);
	if (n < 0)
		return EXIT_RUNTIME;
	setup.n_listeners = (size_t)n;
	if (open_log(&s, setup.mode) < 0 || fit_descriptors(&s) < 0)
		return EXIT_RUNTIME;

	/* 5 */
	setup.root_fd = root_open(s.root);
	if (setup.root_fd < 0) {
		log_msg(LOG_ERR, "cannot open the root directory %s: %s", s.root,
			strerror(-setup.root_fd));
		return EXIT_RUNTIME;
	}
	setup.root_text = strdup(s.root); /* a reload frees the settings strings */
	if (setup.root_text == NULL)
		return EXIT_RUNTIME;
	if (reload_source_open(&s, argc, argv, &setup.reload) < 0 ||
	    open_policy(&s, &setup, &policy) < 0 ||
	    metrics_file_open(s.metrics_file, &metrics) < 0)
		return EXIT_RUNTIME;
	/* Children report through their socket, never in our log: their
	 * stderr is /dev/null, opened now, before the chroot hides it.
	 * Debugging builds keep stderr to name a forbidden system call or
	 * print a sanitizer's report. */
	setup.child_stderr = -1;
	setup.null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (setup.null_fd < 0) {
		log_msg(LOG_ERR, "cannot open /dev/null: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
#if !defined(SECCOMP_DEBUG) && !defined(CLOISTER_SANITIZED)
	setup.child_stderr = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (setup.child_stderr < 0) {
		log_msg(LOG_ERR, "cannot open /dev/null: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
#endif

	/* 6 */
	/* The fetcher must never see the root: forked before the chroot. */
	if (relay_start(&s, privileged, service.uid, jail.uid, setup.child_stderr,
			&setup.relay_pid, &setup.relay_sock) < 0)
		return EXIT_RUNTIME;
	if (privileged) {
		if (confine(setup.root_fd, s.root, &service) < 0)
			return EXIT_RUNTIME;
		setup.jail = (struct jail_config){ .switch_ids = true, .uid = jail.uid, .gid = jail.gid };
	} else {
		log_msg(LOG_WARNING, "not started as root: no chroot and no user switch; "
			"children run as uid %u under seccomp", (unsigned)getuid());
	}
	/* No core dumps and no ptrace by our own uid: we hold capabilities. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		log_msg(LOG_ERR, "cannot make the monitor non-dumpable: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	if (s.create || s.overwrite) {
		/* Temporary files of uploads cut short by a crash. */
		r = upload_clean_stale(setup.root_fd, 16);
		if (r > 0)
			log_msg(LOG_NOTICE, "removed %d stale temporary upload files", r);
	}
	/* 7. Children die with us, and no upload grows past the limit
	 * whatever its child does. */
	setup.jail.parent = getpid();
	setup.jail.fsize_max = s.max_upload;
	setup.privileged = privileged;
	if (privileged && drop_unneeded_caps(listeners, setup.n_listeners) < 0)
		return EXIT_RUNTIME;
	r = seccomp_child_prepare();
	if (r < 0) {
		log_msg(LOG_ERR, "cannot build the children's seccomp filter: %s", strerror(-r));
		return EXIT_RUNTIME;
	}
	r = seccomp_monitor_load(&setup.jail);
	if (r < 0) {
		log_msg(LOG_ERR, "cannot load the monitor's seccomp filter: %s", strerror(-r));
		return EXIT_RUNTIME;
	}
	/* 8 */
	return monitor_run(&setup);
}
