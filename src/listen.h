/*
 * listen.h - the port-69 sockets: where they come from, how requests
 * arrive on them, and the per-transfer sockets that share their port.
 */
#ifndef CLOISTER_LISTEN_H
#define CLOISTER_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "settings.h"

#define LISTEN_MAX 64 /* sockets from systemd; --listen allows SETTINGS_LISTEN_MAX */

enum listen_mode {
	LISTEN_SYSTEMD = 0,    /* sockets passed by systemd (sd_listen_fds) */
	LISTEN_INETD = 1,      /* one socket on fd 0, inetd "wait" style */
	LISTEN_STANDALONE = 2, /* --listen */
};

struct listener {
	int fd;
	int family;    /* AF_INET or AF_INET6 */
	uint16_t port; /* host order */
};

/* Where a request came from and which of our addresses it was sent to. */
struct request_addr {
	struct sockaddr_storage peer;
	socklen_t peer_len;
	struct sockaddr_storage local; /* same family as the listener */
	socklen_t local_len;
	int ifindex;
};

/*
 * Collect the listening sockets, in this order: systemd's (any number, up
 * to max), else fd 0 when no --listen was given (inetd), else --listen
 * ([::] is dual-stack unless an IPv4 address on its port is listed too).
 * Each is checked to be an IPv4 or IPv6 UDP socket, made non-blocking,
 * given SO_REUSEADDR and packet-info reception. Logs what is wrong (an
 * inherited fd that is not a UDP socket is an error, never skipped).
 * Returns the number of sockets (>= 1) or -errno.
 */
int listen_setup(const struct settings *s, struct listener *ret, size_t max,
		 enum listen_mode *ret_mode);

/*
 * Receive one datagram without blocking. Returns its length (ret_addr
 * filled), -EAGAIN when none is waiting, or -errno.
 */
ssize_t listen_recv(const struct listener *l, uint8_t *buf, size_t size,
		    struct request_addr *ret_addr);

/* Send buf to the request's peer from the address it was sent to. 0 or -errno. */
int listen_reply(const struct listener *l, const struct request_addr *a, const uint8_t *buf,
		 size_t len);

/*
 * Make the socket of one transfer: bound to the request's local address
 * and the listener's port (SO_REUSEADDR), connected to the peer, so that
 * only this peer's datagrams reach it and replies leave from the port the
 * request was sent to. need_bind_cap: raise CAP_NET_BIND_SERVICE around
 * bind(). Returns the fd (O_CLOEXEC, blocking) or -errno.
 */
int listen_transfer_socket(const struct listener *l, const struct request_addr *a,
			   bool need_bind_cap);

/* The path MTU towards the peer of a connected socket, 0 if unknown. */
unsigned listen_path_mtu(int fd);

/* Room for any address listen_addr_text writes: [v6%ifname]:port. */
#define LISTEN_ADDR_TEXT_MAX 80

/* "127.0.0.1:69", "[::1]:69", "[fe80::1%eth0]:69"; an IPv4-mapped address
 * as plain IPv4. For logs. Returns buf. */
char *listen_addr_text(const struct sockaddr *sa, char *buf, size_t size);

#endif
