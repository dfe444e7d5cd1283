/*
 * settings.h - what the operator asked for: the configuration file
 * (--config), then the command line, which wins.
 */
#ifndef CLOISTER_SETTINGS_H
#define CLOISTER_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "log.h"

#define SETTINGS_LISTEN_MAX 16

/* Exit statuses (tftpd(8) EXIT STATUS). */
enum exit_status {
	EXIT_OK = 0,
	EXIT_RUNTIME = 1, /* could not start: root, port, user, ... */
	EXIT_USAGE = 2,   /* bad command line or configuration file */
};

struct listen_addr {
	struct sockaddr_storage addr;
	socklen_t len;
};

struct settings {
	const char *config;    /* --config, NULL for none */
	const char *root;
	struct listen_addr listen[SETTINGS_LISTEN_MAX];
	size_t n_listen;
	const char *user;      /* NULL: "tftp", else "nobody" */
	const char *jail_user; /* NULL: "tftp-jail", else uid 65533 */
	unsigned retries;        /* resends of one packet */
	unsigned spares;         /* jailed children kept ready */
	unsigned max_transfers;
	unsigned grace_s;        /* SIGTERM: how long transfers in flight may finish */
	unsigned idle_timeout_s; /* inetd mode: exit after this long without work */
	unsigned blksize_max;    /* 8..65464 */
	bool blksize_mtu;        /* --blksize-max=mtu: the path MTU decides */
	unsigned windowsize_max; /* 1..65535 */
	unsigned refused;        /* bit (1 << enum tftp_opt) per --refuse */
	unsigned retransmit_min_ms;
	unsigned retransmit_max_ms;
	unsigned deadline_s;     /* no transfer runs longer */
	bool create;             /* uploads may create files */
	bool overwrite;          /* uploads may replace files */
	unsigned umask;          /* for uploaded files */
	uint64_t max_upload;     /* bytes, 0 = no limit */
	bool verbose;
	enum log_format log_format;
};

/*
 * Fill cfg: defaults, then the file named by -f/--config (if any), then
 * argv. Both go through the same per-option parsing. A repeatable option
 * (listen, refuse) given on the command line replaces the file's list.
 * Returns -1 to go on and start, or an exit status: EXIT_OK after
 * --help/--version, EXIT_USAGE after printing one message (for the file:
 * "FILE:LINE: key: what is wrong"). Strings from the file are allocated
 * and live as long as the process.
 */
int settings_parse_args(int argc, char **argv, struct settings *cfg);

/* Parse "ADDR[:PORT]", "[ADDR6]:PORT" or a bare IPv6 address; numeric
 * only, but an IPv6 address may name its link: "[fe80::1%eth0]:69" (the
 * interface must exist). 0, -EINVAL (address) or -ERANGE (port). */
int settings_parse_listen(const char *spec, unsigned default_port, struct listen_addr *ret);

#endif
