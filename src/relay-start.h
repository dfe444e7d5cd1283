/*
 * relay-start.h - starting the fetcher from tftpd's set-up, while the
 * resolver and the whole file system are still there (before the chroot).
 */
#ifndef CLOISTER_RELAY_START_H
#define CLOISTER_RELAY_START_H

#include <stdbool.h>
#include <sys/types.h>

#include "settings.h"

/*
 * With relay or relay-fallback set: resolve relay-user, fork the fetcher
 * and wait until it is jailed. privileged: started as root, so the
 * fetcher takes its own ids, which must differ from root's, the monitor's
 * (monitor_uid) and the transfer children's (jail_uid). stderr_fd is the
 * fetcher's fd 2 (-1: ours). 0 with *ret_pid / *ret_sock (0 / -1 when
 * the relay is off), or -1 after logging why.
 */
int relay_start(const struct settings *s, bool privileged, uid_t monitor_uid, uid_t jail_uid,
		int stderr_fd, pid_t *ret_pid, int *ret_sock);

#endif
