/*
 * relay-start.c - the fetcher's user and start; see relay-start.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "fetcher.h"
#include "log.h"
#include "relay-msg.h"
#include "relay-start.h"
#include "util.h"

#define RELAY_FALLBACK_ID 65532 /* a uid/gid that owns nothing, not the jail's */

/* relay-user as a number or a name; the default user, else the fallback id. */
static int relay_ids(const struct settings *s, uid_t *ret_uid, gid_t *ret_gid)
{
	const char *name = s->relay_user != NULL ? s->relay_user : "tftp-relay";
	struct passwd *pw;
	uint64_t v;

	if (s->relay_user != NULL && parse_bounded(s->relay_user, 1, 0x7ffffffe, &v) == 0) {
		*ret_uid = (uid_t)v;
		*ret_gid = (gid_t)v;
		return 0;
	}
	errno = 0;
	pw = getpwnam(name);
	if (pw != NULL) {
		*ret_uid = pw->pw_uid;
		*ret_gid = pw->pw_gid;
		return 0;
	}
	if (s->relay_user != NULL) {
		log_msg(LOG_ERR, "relay-user: no such user '%s'", s->relay_user);
		return -ENOENT;
	}
	*ret_uid = RELAY_FALLBACK_ID;
	*ret_gid = RELAY_FALLBACK_ID;
	return 0;
}

/* The cache must not be served, nor the fetcher write into the root. */
static bool cache_in_root(const char *dir, const char *root)
{
	char *real = realpath(dir, NULL);
	size_t n = root != NULL ? strlen(root) : 0;
	bool inside;

	if (real == NULL) {
		log_msg(LOG_ERR, "relay-cache-dir %s: %s", dir, strerror(errno));
		return true;
	}
	inside = root == NULL ||
		 (strncmp(real, root, n) == 0 && (real[n] == '/' || real[n] == '\0' || n == 1));
	if (inside)
		log_msg(LOG_ERR, "relay-cache-dir %s must not be under the root", dir);
	free(real);
	return inside;
}

int relay_start(const struct settings *s, bool privileged, uid_t monitor_uid, uid_t jail_uid,
		int stderr_fd, pid_t *ret_pid, int *ret_sock)
{
	struct fetcher_config cfg = {
		.ca_file = s->relay_ca_file, .max_fetches = s->relay_max_fetches,
		.max_size = s->relay_max_size, .timeout_s = s->relay_timeout_s,
		.root_path = s->root_path, .switch_ids = privileged, .stderr_fd = stderr_fd,
		.cache_dir = s->relay_cache_dir, .cache_size = s->relay_cache_size,
	};
	char why[RELAY_DETAIL_MAX];
	int r;

	*ret_pid = 0;
	*ret_sock = -1;
	if (!s->relay && s->relay_fallback == NULL)
		return 0;
	if (privileged && relay_ids(s, &cfg.uid, &cfg.gid) < 0)
		return -1;
	/* It must be able to signal or trace neither the monitor nor a child. */
	if (privileged && (cfg.uid == 0 || cfg.gid == 0 || cfg.uid == monitor_uid ||
			   cfg.uid == jail_uid)) {
		log_msg(LOG_ERR, "the relay user (uid %u gid %u) must be neither root, the service "
			"user nor the jail user", (unsigned)cfg.uid, (unsigned)cfg.gid);
		return -1;
	}
	if (cfg.cache_dir != NULL && cache_in_root(cfg.cache_dir, s->root_path))
		return -1;
	r = fetcher_spawn(&cfg, ret_pid, ret_sock, why, sizeof(why));
	if (r < 0) {
		log_msg(LOG_ERR, "cannot start the relay's fetcher: %s (%s)", why, strerror(-r));
		return -1;
	}
	log_msg(LOG_INFO, "relay: fetcher %d ready (uid %u, %u fetches at once)", (int)*ret_pid,
		(unsigned)(privileged ? cfg.uid : getuid()), cfg.max_fetches);
	return 0;
}
