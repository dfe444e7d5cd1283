/*
 * caps.h - the few capabilities the monitor keeps, via libcap.
 *
 * The monitor, started as root, keeps in its permitted set only:
 *   CAP_NET_BIND_SERVICE  bind transfer sockets to port 69 (< 1024);
 *   CAP_SETUID, CAP_SETGID switch each new child to the jail user;
 *   CAP_SETPCAP           let each new child empty its bounding set;
 *   CAP_KILL              end a child (another uid) that misbehaves or
 *                         outlives the grace period at shutdown.
 * None is effective except around the call that needs it.
 */
#ifndef CLOISTER_CAPS_H
#define CLOISTER_CAPS_H

#include <stdbool.h>
#include <sys/capability.h>
#include <sys/types.h>

/*
 * Does this process hold, permitted and effective, CAP_SYS_CHROOT and the
 * five caps above? Then it can confine itself like root does (chroot, user
 * switch) although its uid is not 0: systemd's User=tftp with
 * AmbientCapabilities= (contrib/tftpd.service.in).
 */
bool caps_can_confine(void);

/*
 * Become uid/gid (groups: just gid) keeping only the five caps above in the
 * permitted set, effective set empty; securebits locked so that uid 0 and
 * execve grant nothing; the bounding set reduced to the same five caps.
 * Call as root (or when caps_can_confine()), after chroot. Returns 0 or
 * -errno.
 */
int caps_drop_to_user(uid_t uid, gid_t gid);

/* Drop one cap from the permitted set for good (nothing needs it any
 * more), verified. 0 or -errno. */
int caps_drop(cap_value_t cap);

/* Raise / lower one permitted cap in the effective set. 0 or -errno. */
int caps_raise(cap_value_t cap);
int caps_lower(cap_value_t cap);

/* Drop every cap from the bounding set (needs CAP_SETPCAP). 0 or -errno. */
int caps_drop_bounding(void);

/* Clear effective, permitted, inheritable and ambient sets, then verify
 * that all are empty. 0 or -errno. */
int caps_clear_all(void);

#endif
