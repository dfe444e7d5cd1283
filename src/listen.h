/*
 * listen.h - the port-69 sockets: where they come from, how requests
 * arrive on them and how they are answered.
 */
#ifndef CLOISTER_LISTEN_H
#define CLOISTER_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "settings.h"
#include "tftp-packet.h"

#define LISTEN_MAX 64 /* sockets from systemd; --listen allows SETTINGS_LISTEN_MAX */
#define LISTEN_RCVBUF (4 << 20) /* thousands of requests: a boot storm's burst */

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
 * given SO_REUSEADDR, packet-info reception and a receive buffer that
 * holds a burst of requests (LISTEN_RCVBUF; forced while we may). Logs what is wrong (an
 * inherited fd that is not a UDP socket is an error, never skipped).
 * Returns the number of sockets (>= 1) or -errno.
 */
int listen_setup(const struct settings *s, struct listener *ret, size_t max,
		 enum listen_mode *ret_mode);

/* Datagrams read by one system call, and the room for each: a request
 * is at most 512 bytes (RFC 2347), so a larger datagram is no request. */
#define LISTEN_BATCH 32
#define LISTEN_DATAGRAM_MAX 4096

/* What one listen_recv_batch call read. */
struct listen_batch {
	size_t n;
	ssize_t len[LISTEN_BATCH];    /* a length, or -errno for one that cannot be served */
	struct request_addr addr[LISTEN_BATCH];
	uint8_t buf[LISTEN_BATCH][LISTEN_DATAGRAM_MAX + 1]; /* + 1: a NUL may be added */
};

/*
 * Receive up to LISTEN_BATCH datagrams without blocking, in one system
 * call (recvmmsg), so that a burst of requests (a boot storm) costs few.
 * Returns how many (b->n), 0 when none is waiting, or -errno. A datagram
 * longer than LISTEN_DATAGRAM_MAX (-EMSGSIZE) or without packet info
 * (-EADDRNOTAVAIL) has a negative len.
 */
int listen_recv_batch(const struct listener *l, struct listen_batch *b);

/* Send buf to the request's peer from the address it was sent to. 0 or -errno. */
int listen_reply(const struct listener *l, const struct request_addr *a, const uint8_t *buf,
		 size_t len);

/* listen_reply of an ERROR packet with code and text (NULL: the code's
 * standard text). 0 or -errno. */
int listen_send_error(const struct listener *l, const struct request_addr *a,
		      enum tftp_error code, const char *text);

/* Room for any address listen_addr_text writes: [v6%ifname]:port. */
#define LISTEN_ADDR_TEXT_MAX 80

/* "127.0.0.1:69", "[::1]:69", "[fe80::1%eth0]:69"; an IPv4-mapped address
 * as plain IPv4. For logs. Returns buf. */
char *listen_addr_text(const struct sockaddr *sa, char *buf, size_t size);

#endif
