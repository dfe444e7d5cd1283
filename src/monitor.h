/*
 * monitor.h - the privileged parent's event loop.
 */
#ifndef CLOISTER_MONITOR_H
#define CLOISTER_MONITOR_H

#include <stdbool.h>
#include <stddef.h>

#include "jail.h"
#include "listen.h"
#include "settings.h"

struct monitor_setup {
	const struct settings *settings;
	struct listener *listeners; /* owned by the monitor from now on */
	size_t n_listeners;
	enum listen_mode mode;
	int root_fd;                /* O_PATH fd of the served root */
	const char *root_text;      /* for the log only */
	bool privileged;            /* started as root: caps held, chrooted */
	struct jail_ids jail;
	int child_stderr;           /* what children get as fd 2: /dev/null,
	                             * or -1 to keep ours (debug builds) */
};

/*
 * Fork the pool, announce readiness, then serve until SIGTERM/SIGINT (or,
 * in inetd mode, the idle timeout). Returns the process exit status.
 */
int monitor_run(const struct monitor_setup *setup);

#endif
