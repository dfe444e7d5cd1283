/*
 * child.h - the transfer child: jail, then jobs of one client address.
 */
#ifndef CLOISTER_CHILD_H
#define CLOISTER_CHILD_H

#include <stdnoreturn.h>

#include "jail.h"

/* Exit statuses a child uses before it can report through its socket. */
enum child_exit {
	CHILD_EXIT_OK = 0,
	CHILD_EXIT_JAIL = 3,     /* jail_enter failed: nothing was read */
	CHILD_EXIT_PROTOCOL = 4, /* the monitor's message was unusable */
};

/*
 * Entry point of a freshly forked child; sock is its end of the
 * socketpair. Jails itself before anything else, announces READY, then
 * runs each JOB it receives and answers each with one RESULT, until the
 * monitor closes its end, or until it has run an upload; it leaves with
 * _exit (no atexit handlers, no stdio flush). Never returns.
 */
noreturn void child_main(int sock, const struct jail_config *cfg);

#endif
