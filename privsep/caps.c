/*
 * caps.c - the monitor's few capabilities and the children's loss of all.
 *
 * Everything goes through libcap except the securebits, which are a single
 * prctl. Every change is read back: a capability call that "succeeds" but
 * leaves a bit set is treated as a failure.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <grp.h>
#include <linux/securebits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "caps.h"

/* The monitor's permitted set after caps_drop_to_user (see caps.h). */
static const cap_value_t monitor_caps[] = {
    CAP_NET_BIND_SERVICE, CAP_SETUID, CAP_SETGID, CAP_SETPCAP, CAP_KILL,
};
#define N_MONITOR_CAPS (sizeof(monitor_caps) / sizeof(monitor_caps[0]))

/*
 * NOROOT: uid 0 gains nothing on execve. NO_SETUID_FIXUP: a uid change never
 * silently edits the capability sets, so what a process holds is exactly
 * what our code set and verified (the monitor keeps its permitted set across
 * the switch; a child's set is cleared explicitly by caps_clear_all).
 * KEEP_CAPS stays off (redundant with NO_SETUID_FIXUP). NO_CAP_AMBIENT_RAISE:
 * nothing can be smuggled into ambient. All locked, so none can be undone.
 */
#define MONITOR_SECBITS                                                                            \
	(SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |                           \
	 SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE |   \
	 SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED)

static bool is_monitor_cap(cap_value_t cap)
{
	for (size_t i = 0; i < N_MONITOR_CAPS; i++)
		if (monitor_caps[i] == cap)
			return true;
	return false;
}

/* Free caps without letting cap_free clobber the errno we return. */
static int cap_done(cap_t caps, int r)
{
	cap_free(caps);
	return r;
}

/* Set one effective bit, refusing caps that are not permitted. */
static int cap_effective(cap_value_t cap, cap_flag_value_t value)
{
	cap_flag_value_t permitted;
	cap_t caps;

	caps = cap_get_proc();
	if (caps == NULL)
		return -errno;
	if (cap_get_flag(caps, cap, CAP_PERMITTED, &permitted) < 0)
		return cap_done(caps, -errno);
	if (value == CAP_SET && permitted != CAP_SET)
		return cap_done(caps, -EPERM);
	if (cap_set_flag(caps, CAP_EFFECTIVE, 1, &cap, value) < 0)
		return cap_done(caps, -errno);
	if (cap_set_proc(caps) < 0)
		return cap_done(caps, -errno);
	return cap_done(caps, 0);
}

/* Held in both the permitted and the effective set? */
static bool cap_held(cap_t caps, cap_value_t cap)
{
	cap_flag_value_t permitted, effective;

	return cap_get_flag(caps, cap, CAP_PERMITTED, &permitted) == 0 &&
	       cap_get_flag(caps, cap, CAP_EFFECTIVE, &effective) == 0 &&
	       permitted == CAP_SET && effective == CAP_SET;
}

bool caps_can_confine(void)
{
	cap_t caps = cap_get_proc();
	bool ok;

	if (caps == NULL)
		return false;
	ok = cap_held(caps, CAP_SYS_CHROOT);
	for (size_t i = 0; ok && i < N_MONITOR_CAPS; i++)
		ok = cap_held(caps, monitor_caps[i]);
	cap_free(caps);
	return ok;
}

int caps_drop(cap_value_t cap)
{
	cap_flag_value_t still;
	cap_t caps = cap_get_proc();

	if (caps == NULL)
		return -errno;
	if (cap_set_flag(caps, CAP_EFFECTIVE, 1, &cap, CAP_CLEAR) < 0 ||
	    cap_set_flag(caps, CAP_PERMITTED, 1, &cap, CAP_CLEAR) < 0 || cap_set_proc(caps) < 0)
		return cap_done(caps, -errno);
	cap_free(caps);
	caps = cap_get_proc();
	if (caps == NULL)
		return -errno;
	if (cap_get_flag(caps, cap, CAP_PERMITTED, &still) < 0)
		return cap_done(caps, -errno);
	return cap_done(caps, still == CAP_SET ? -EPERM : 0);
}

int caps_raise(cap_value_t cap)
{
	return cap_effective(cap, CAP_SET);
}

int caps_lower(cap_value_t cap)
{
	return cap_effective(cap, CAP_CLEAR);
}

/* Drop from the bounding set every cap for which keep() is false, verified.
 * cap_max_bits() is the running kernel's count, which may exceed libcap's. */
static int bounding_keep_only(bool (*keep)(cap_value_t))
{
	cap_value_t cap, max = cap_max_bits();

	for (cap = 0; cap < max; cap++) {
		if (keep(cap))
			continue;
		if (cap_drop_bound(cap) < 0)
			return -errno;
		if (cap_get_bound(cap) != 0)
			return -EPERM;
	}
	return 0;
}

static bool keep_none(cap_value_t cap)
{
	(void)cap;
	return false;
}

int caps_drop_bounding(void)
{
	return bounding_keep_only(keep_none);
}

static int ambient_clear(void)
{
	cap_value_t cap, max = cap_max_bits();

	if (cap_reset_ambient() < 0)
		return -errno;
	for (cap = 0; cap < max; cap++)
		if (cap_get_ambient(cap) != 0)
			return -EPERM; /* set, or cannot tell (-1): fail closed */
	return 0;
}

/* Install exactly `want` (and an empty ambient set), then read it back. */
static int caps_set_verified(cap_t want)
{
	cap_t now;
	int r;

	if (cap_set_proc(want) < 0)
		return -errno;
	r = ambient_clear();
	if (r < 0)
		return r;
	now = cap_get_proc();
	if (now == NULL)
		return -errno;
	r = cap_compare(now, want) == 0 ? 0 : -EPERM;
	return cap_done(now, r);
}

int caps_clear_all(void)
{
	cap_t none;

	none = cap_init(); /* all three sets empty */
	if (none == NULL)
		return -errno;
	return cap_done(none, caps_set_verified(none));
}

static int monitor_ids(uid_t uid, gid_t gid)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg, groups[2];

	if (setgroups(1, &gid) < 0)
		return -errno;
	if (setresgid(gid, gid, gid) < 0)
		return -errno;
	if (setresuid(uid, uid, uid) < 0)
		return -errno;
	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0)
		return -errno;
	if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid || sg != gid)
		return -EPERM;
	if (getgroups(2, groups) != 1 || groups[0] != gid)
		return -EPERM;
	return 0;
}

/* Permitted = the monitor's caps, effective and inheritable empty. */
static int monitor_caps_set(void)
{
	cap_t want;

	want = cap_init();
	if (want == NULL)
		return -errno;
	if (cap_set_flag(want, CAP_PERMITTED, N_MONITOR_CAPS, monitor_caps, CAP_SET) < 0)
		return cap_done(want, -errno);
	return cap_done(want, caps_set_verified(want));
}

/*
 * Order matters: securebits and the bounding set need CAP_SETPCAP, which we
 * still hold as root; NO_SETUID_FIXUP must be on before setresuid so the
 * permitted set survives leaving uid 0; only then trim to the final sets.
 */
int caps_drop_to_user(uid_t uid, gid_t gid)
{
	int r;

	if (uid == 0 || gid == 0)
		return -EINVAL;
	if (prctl(PR_SET_SECUREBITS, MONITOR_SECBITS, 0, 0, 0) < 0)
		return -errno;
	if (prctl(PR_GET_SECUREBITS, 0, 0, 0, 0) != MONITOR_SECBITS)
		return -EPERM;
	r = bounding_keep_only(is_monitor_cap);
	if (r < 0)
		return r;
	r = monitor_ids(uid, gid);
	if (r < 0)
		return r;
	r = monitor_caps_set();
	if (r < 0)
		return r;
	/* A euid change resets dumpable to fs.suid_dumpable, which may be 1. */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -errno;
	return 0;
}
