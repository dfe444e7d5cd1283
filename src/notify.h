/*
 * notify.h - telling systemd how the service is doing (Type=notify).
 *
 * Only the monitor notifies. NOTIFY_SOCKET is a path (or an abstract
 * name) that no longer resolves after the chroot, so notify_open()
 * connects a datagram socket to it at start and every later message goes
 * over that connection. Without NOTIFY_SOCKET everything here does
 * nothing.
 */
#ifndef CLOISTER_NOTIFY_H
#define CLOISTER_NOTIFY_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Before the chroot: read NOTIFY_SOCKET and WATCHDOG_USEC (checked
 * against WATCHDOG_PID), connect to the socket, then remove all three
 * from the environment (the children have nothing to tell systemd).
 * Returns 0 (also when not started by systemd) or -errno, with the
 * problem logged; notifications are then off.
 */
int notify_open(void);

/* Was a notification socket connected? */
bool notify_enabled(void);

/* How often systemd wants WATCHDOG=1: half its WatchdogSec=, in
 * microseconds; 0 when no watchdog is set. */
uint64_t notify_watchdog_interval_usec(void);

/*
 * Send one notification, e.g. "READY=1\nSTATUS=Serving". Never blocks.
 * 0, or -errno (not logged: the caller decides whether it matters).
 */
int notify_send(const char *text);

#endif
