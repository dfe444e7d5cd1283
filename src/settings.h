/*
 * settings.h - what the operator asked for: the configuration file
 * (--config), then the command line, which wins.
 */
#ifndef CLOISTER_SETTINGS_H
#define CLOISTER_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
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

/*
 * A line of a list or a section that policy tables are built from (allow
 * and deny, [alias], [alias-once], [client CIDR]), kept in order with the
 * place it was written, so that every error names it.
 */
enum setting_kind {
	SETTING_ACCESS,     /* allow = CIDR / deny = CIDR */
	SETTING_WRITE,      /* allow-write / deny-write */
	SETTING_ALIAS,      /* [alias] CLIENT/NAME = TARGET */
	SETTING_ALIAS_ONCE, /* [alias-once] */
	SETTING_CLIENT,     /* [client CIDR] key = value */
};

struct setting_line {
	enum setting_kind kind;
	const char *key;     /* allow, deny, ..., CLIENT/NAME, or a [client] key */
	const char *value;
	const char *section; /* [client CIDR]: the CIDR; else NULL */
	char where[96];      /* "FILE:LINE" or "--allow" */
};

#define SETTINGS_LINES_MAX 8192

struct settings {
	const char *config;    /* --config, NULL for none */
	const char *root;
	const char *root_path; /* root made absolute (realpath), NULL if it is not there */
	struct listen_addr listen[SETTINGS_LISTEN_MAX];
	size_t n_listen;
	const char *user;      /* NULL: "tftp", else "nobody" */
	const char *jail_user; /* NULL: "tftp-jail", else uid 65533 */
	unsigned retries;        /* resends of one packet */
	unsigned spares;         /* jailed children kept ready */
	unsigned max_transfers;  /* running at once, each in a child */
	unsigned max_requests;   /* waiting at once: for an answer or a child */
	unsigned child_linger_s; /* a child waits this long for its client's next request */
	unsigned grace_s;        /* SIGTERM: how long transfers in flight may finish */
	unsigned idle_timeout_s; /* inetd mode: exit after this long without work */
	unsigned blksize_max;    /* 8..65464 */
	bool blksize_mtu;        /* --blksize-max=mtu: the path MTU decides */
	unsigned windowsize_max; /* 1..65535 */
	unsigned initial_window; /* packets of the first window (slow start) */
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
	/* Names as clients send them (tftpd.conf(5) NAMES). */
	const char *strip_prefix;  /* NULL: none */
	const char *default_file;  /* served when the file does not exist */
	bool backslash;            /* '\\' separates components */
	bool lowercase;            /* names are folded to lower case */
	const char *map_file;      /* tftp-hpa remap rules, NULL: none */
	const char *state_dir;     /* alias-once state */
	const char *clients_file;  /* new client addresses are appended */
	const char *metrics_file;  /* Prometheus text, NULL: none */
	unsigned metrics_interval_s; /* it is rewritten this often */
	/* Uploads and downloads. */
	bool upload_dir_per_client; /* uploads go under CLIENT-ADDRESS/ */
	bool create_client_dir;     /* ..which is created when missing */
	bool write_only;            /* every RRQ is refused */
	bool wrq_devnull;           /* uploads are accepted and discarded */
	/* The HTTP relay (relay.h), off by default. */
	bool relay;                 /* URL symbolic links are fetched */
	const char *relay_fallback; /* a missing file is fetched from here + name */
	bool relay_client_headers;  /* X-TFTP-Client, X-TFTP-Port, X-TFTP-File */
	const char *relay_ca_file;  /* NULL: the system's CA store */
	const char *relay_user;     /* NULL: "tftp-relay", else uid 65532 */
	unsigned relay_max_fetches;
	uint64_t relay_max_size;    /* bytes of one body */
	unsigned relay_timeout_s;
	const char *relay_cache_dir;  /* NULL: no cache */
	uint64_t relay_cache_size;    /* bytes of bodies kept */
	/* Per client. */
	unsigned max_transfers_per_client;  /* 0: no limit */
	unsigned max_rate_per_client;       /* requests per second, 0: no limit */
	unsigned penalty_malformed_s, penalty_crash_s, penalty_min_s, penalty_max_s;
	struct setting_line *lines;         /* in the order written */
	size_t n_lines;
	char **owned;                       /* strings from the file, freed with us */
	size_t n_owned;
	/* One-shot modes: print, then exit. */
	bool check_config;
	const char *map_test;      /* --map-test=NAME */
	const char *map_client;    /* --client=ADDR */
	bool map_write;            /* --write: as a WRQ */
	bool status;               /* --status: the running server's counters */
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

/*
 * The same for a reload (SIGHUP), after the chroot: the file is
 * config_base in the directory config_dir_fd, held open since the start
 * (NULL / -1 when there is none); root_path is not looked up again.
 */
int settings_reload(int argc, char **argv, int config_dir_fd, const char *config_base,
		    struct settings *cfg);

/* A copy of text that lives as long as cfg; NULL when out of memory. */
const char *settings_copy_string(struct settings *cfg, const char *text);

/* The effective configuration as a file that means the same: every key
 * with its value, then the lists and sections. */
void settings_print(const struct settings *cfg, FILE *out);

/* Free what the parse allocated. */
void settings_free(struct settings *cfg);

/* Messages about the configuration go to sink (NULL: stderr again). */
void settings_set_complaint_sink(void (*sink)(const char *msg));

/* Parse "ADDR[:PORT]", "[ADDR6]:PORT" or a bare IPv6 address; numeric
 * only, but an IPv6 address may name its link: "[fe80::1%eth0]:69" (the
 * interface must exist). 0, -EINVAL (address) or -ERANGE (port). */
int settings_parse_listen(const char *spec, unsigned default_port, struct listen_addr *ret);

#endif
