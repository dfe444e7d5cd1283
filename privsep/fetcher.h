/*
 * fetcher.h - the relay's fetcher: the one process that speaks HTTP.
 *
 * Forked by tftpd before the monitor chroots, when the relay is on. It
 * jails itself (fetcher-jail.c: its own uid, no capabilities, Landlock
 * keeping it out of the TFTP root, its own seccomp allow-list), says
 * READY, then fetches what the monitor asks for (relay-msg.h) with
 * libcurl, at most max_fetches at once, each body into a sealed memfd
 * that it hands back. It never sees the root, a client or a socket of
 * port 69; it can read /etc and /usr (the resolver and TLS need them) and
 * connect out.
 */
#ifndef CLOISTER_FETCHER_H
#define CLOISTER_FETCHER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct fetcher_config {
	const char *ca_file;     /* relay-ca-file; NULL: the system's CA store */
	unsigned max_fetches;    /* relay-max-fetches: at once, more wait */
	uint64_t max_size;       /* relay-max-size: bytes of one body, 0: no limit */
	unsigned timeout_s;      /* relay-timeout: one fetch, redirects included */
	const char *root_path;   /* the TFTP root: checked unreadable once jailed */
	const char *cache_dir;   /* relay-cache-dir; NULL: no cache */
	uint64_t cache_size;     /* relay-cache-size: bytes of bodies kept */
	bool switch_ids;         /* started as root: take uid/gid */
	uid_t uid;               /* never 0, the monitor's or the children's */
	gid_t gid;
	int stderr_fd;           /* the fetcher's fd 2; -1: keep ours */
};

/*
 * Fork the fetcher and wait for its READY (a jail that cannot be built
 * stops tftpd from starting). 0 with *ret_pid and *ret_sock (the
 * monitor's end of a SOCK_SEQPACKET pair, close-on-exec, non-blocking),
 * or -errno with the fetcher's own words in why.
 */
int fetcher_spawn(const struct fetcher_config *cfg, pid_t *ret_pid, int *ret_sock, char *why,
		  size_t why_size);

/* In the fetcher only: close every fd but sock and stderr, first of all
 * (0 or -errno); then, once libcurl is set up, the rest of the jail, in
 * order (0 or -errno; the caller then _exits). */
int fetcher_close_fds(int sock);
int fetcher_jail_enter(int sock, int cache_dir, const struct fetcher_config *cfg);

/* The fetcher's seccomp allow-list (seccomp-fetcher.c). 0 or -errno. */
int seccomp_fetcher_load(void);

#endif
