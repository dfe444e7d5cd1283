/*
 * tftpd.c - main: acquire everything, then confine, then serve.
 *
 * The order below is the security design; keep it:
 *   1. read the configuration file and the command line;
 *   2. connect to systemd's notification socket (a path, which the chroot
 *      would hide) and take the watchdog interval;
 *   3. resolve the service and jail users (NSS) and tzset, while /etc is
 *      still the host's;
 *   4. take the sockets (systemd, inetd fd 0, or --listen) and open the
 *      log: syslog (inetd) or the journal (systemd) is connected now,
 *      before the chroot hides /dev/log and /run/systemd/journal;
 *   5. open the served root as a directory fd;
 *   6. started as root: chroot into it, switch to the service user and
 *      keep only the capabilities caps.h lists; not dumpable;
 *   7. generate the children's seccomp program once (each child only
 *      loads it), then load the monitor's own deny-list (no exec, ptrace,
 *      mounts...);
 *   8. hand over to the monitor, which forks the jailed children and
 *      then tells systemd READY=1 over the socket from step 2.
 * Nothing after step 6 touches NSS, locale, timezone files or /etc.
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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "caps.h"
#include "chroot.h"
#include "listen.h"
#include "log.h"
#include "monitor.h"
#include "notify.h"
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

/* Step 5: only when started as root. */
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

int main(int argc, char **argv)
{
	struct settings s;
	struct listener listeners[LISTEN_MAX];
	struct monitor_setup setup = { .settings = &s, .listeners = listeners };
	struct ids service = { getuid(), getgid() }, jail = { 0, 0 };
	/* Root, or a non-root user given the caps to confine (systemd's
	 * User= with AmbientCapabilities=, contrib/tftpd.service.in). */
	bool privileged = geteuid() == 0 || caps_can_confine();
	int r, n;

	if (ensure_std_fds() < 0)
		return EXIT_RUNTIME;
	r = settings_parse_args(argc, argv, &s);
	if (r >= 0)
		return r;
	log_open(LOG_TARGET_STDERR, s.log_format, s.verbose);
	/* Not fatal: serving matters more than telling systemd about it
	 * (which then reports its own start-up timeout). */
	(void)notify_open();

	if (privileged && (resolve_service_user(&s, &service) < 0 ||
			   resolve_jail_user(&s, &service, &jail) < 0))
		return EXIT_RUNTIME;
	tzset();

	n = listen_setup(&s, listeners, LISTEN_MAX, &setup.mode);
	if (n < 0)
		return EXIT_RUNTIME;
	setup.n_listeners = (size_t)n;
	if (open_log(&s, setup.mode) < 0)
		return EXIT_RUNTIME;

	setup.root_fd = root_open(s.root);
	if (setup.root_fd < 0) {
		log_msg(LOG_ERR, "cannot open the root directory %s: %s", s.root,
			strerror(-setup.root_fd));
		return EXIT_RUNTIME;
	}
	setup.root_text = s.root;
	/* Children report through their socket, never in our log: their
	 * stderr is /dev/null, opened now, before the chroot hides it.
	 * Debugging builds keep stderr to name a forbidden system call or
	 * print a sanitizer's report. */
	setup.child_stderr = -1;
#if !defined(SECCOMP_DEBUG) && !defined(CLOISTER_SANITIZED)
	setup.child_stderr = open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (setup.child_stderr < 0) {
		log_msg(LOG_ERR, "cannot open /dev/null: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
#endif

	if (privileged) {
		if (confine(setup.root_fd, s.root, &service) < 0)
			return EXIT_RUNTIME;
		setup.jail = (struct jail_ids){ .switch_ids = true, .uid = jail.uid, .gid = jail.gid };
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
	r = seccomp_child_prepare();
	if (r < 0) {
		log_msg(LOG_ERR, "cannot build the children's seccomp filter: %s", strerror(-r));
		return EXIT_RUNTIME;
	}
	r = seccomp_monitor_load();
	if (r < 0) {
		log_msg(LOG_ERR, "cannot load the monitor's seccomp filter: %s", strerror(-r));
		return EXIT_RUNTIME;
	}
	setup.privileged = privileged;
	return monitor_run(&setup);
}
