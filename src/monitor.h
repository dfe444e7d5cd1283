/*
 * monitor.h - the privileged parent's event loop.
 */
#ifndef CLOISTER_MONITOR_H
#define CLOISTER_MONITOR_H

#include <stdbool.h>
#include <stddef.h>

#include "jail.h"
#include "clients-file.h"
#include "listen.h"
#include "metrics-file.h"
#include "policy.h"
#include "reload.h"
#include "settings.h"

struct monitor_setup {
	struct settings *settings;  /* replaced in place by a reload */
	struct reload_source reload;
	struct policy *policy;      /* replaced in place by a reload */
	int state_dir;              /* O_PATH: alias-once state, -1 when none */
	struct clients_file *clients; /* clients-file (fd -1: off) */
	struct metrics_file *metrics; /* metrics-file (dir_fd -1: off) */
	struct listener *listeners; /* owned by the monitor from now on */
	size_t n_listeners;
	enum listen_mode mode;
	int root_fd;                /* O_PATH fd of the served root */
	const char *root_text;      /* for the log only */
	bool privileged;            /* started as root: caps held, chrooted */
	struct jail_config jail;
	int child_stderr;           /* what children get as fd 2: /dev/null,
	                             * or -1 to keep ours (debug builds) */
	int null_fd;                /* /dev/null for writing: wrq-devnull uploads */
	pid_t relay_pid;            /* the fetcher (relay.h), 0 when none */
	int relay_sock;             /* its socket, -1 when none */
};

/*
 * Fork the pool, announce readiness, then serve until SIGTERM/SIGINT (or,
 * in inetd mode, the idle timeout). Returns the process exit status.
 */
int monitor_run(const struct monitor_setup *setup);

#endif
