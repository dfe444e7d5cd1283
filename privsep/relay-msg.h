/*
 * relay-msg.h - the wire protocol between the monitor and the fetcher.
 *
 * One SOCK_SEQPACKET datagram per message: a header (version, type) and a
 * fixed-size body of fixed-width little-endian fields, encoded field by
 * field; strings are fixed-size, NUL-padded and must be printable ASCII.
 *
 *   type    direction          body               fds
 *   READY   fetcher -> monitor none               0   (its jail is in place)
 *   FETCH   monitor -> fetcher struct relay_fetch 0
 *   DONE    fetcher -> monitor struct relay_done  1 when status is OK, else 0
 *
 * A body is a memfd sealed against any change (what was just fetched),
 * or, from the cache (HIT, REVALIDATED, STALE), a cache file opened
 * read-only, or, when the monitor allowed it (RELAY_FETCH_STREAM) and the
 * DONE says RELAY_DONE_STREAM, the read end of a pipe that the fetcher
 * fills with the body as it arrives: exactly size bytes (the origin's
 * Content-Length), and fewer only when the fetch fails on the way.
 *
 * The monitor asks for each URL once at a time (it keeps the requests
 * that wait for it); the fetcher answers every FETCH with one DONE for
 * its id. What the fetcher sends is untrusted: the monitor accepts a DONE
 * only for an id it asked for, and checks the body's descriptor itself
 * (a sealed memfd: relay.c).
 */
#ifndef CLOISTER_RELAY_MSG_H
#define CLOISTER_RELAY_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "relay-url.h"

#define RELAY_MSG_VERSION 3
#define RELAY_CLIENT_MAX 96   /* "[2001:db8::1]", "[fe80::1%eth0]", with NUL */
#define RELAY_FILE_MAX 512    /* the client's name, escaped, with NUL */
#define RELAY_DETAIL_MAX 128  /* why a fetch failed, with NUL */
#define RELAY_MSG_MAX 2048    /* no encoded message is longer */

enum relay_msg_type {
	RELAY_MSG_FETCH = 1,
	RELAY_MSG_DONE = 2,
	RELAY_MSG_READY = 3,
};

/* relay_fetch.flags: the URL's modifiers (relay-url.h), and: */
enum relay_fetch_flag {
	RELAY_FETCH_CLIENT_HEADERS = 1u << 8, /* send X-TFTP-Client/Port/File */
	RELAY_FETCH_STREAM = 1u << 9,         /* a pipe may answer (nocompress only) */
	RELAY_FETCH_FLAGS_ALL = RELAY_URL_FLAGS_ALL | RELAY_FETCH_CLIENT_HEADERS |
				RELAY_FETCH_STREAM,
};

struct relay_fetch {
	uint32_t id;
	uint32_t flags;
	uint16_t client_port;
	char client[RELAY_CLIENT_MAX]; /* the client's address, numeric */
	char file[RELAY_FILE_MAX];     /* the name it asked for, escaped */
	char url[RELAY_URL_MAX];
};

enum relay_status {
	RELAY_OK = 0,         /* the body's fd comes with the message */
	RELAY_HTTP = 1,       /* the origin answered with http_status, not 200 */
	RELAY_TIMEOUT = 2,    /* no complete answer in relay-timeout */
	RELAY_CONNECT = 3,    /* no connection (refused, unreachable, no such host) */
	RELAY_TLS = 4,        /* the TLS handshake or the certificate failed */
	RELAY_TOO_LARGE = 5,  /* the body is larger than relay-max-size */
	RELAY_FAILED = 6,     /* anything else */
	RELAY_STATUS_MAX = 6,
};

/* Where a body came from (relay_done.cache). */
enum relay_cache {
	RELAY_CACHE_NONE = 0,        /* no cache, nocache, or a failure */
	RELAY_CACHE_MISS = 1,        /* fetched (and stored when allowed) */
	RELAY_CACHE_HIT = 2,         /* fresh in the cache */
	RELAY_CACHE_REVALIDATED = 3, /* stale, and the origin said 304 */
	RELAY_CACHE_STALE = 4,       /* stale, the origin failed: served anyway */
	RELAY_CACHE_MAX = 4,
};

/* relay_done.flags */
enum relay_done_flag {
	RELAY_DONE_STREAM = 1u << 0, /* the fd is a pipe: RELAY_OK, cache NONE */
	RELAY_DONE_FLAGS_ALL = RELAY_DONE_STREAM,
};

struct relay_done {
	uint32_t id;
	uint32_t status;       /* enum relay_status */
	uint32_t http_status;  /* 0 when no answer came, else 100..999 */
	uint64_t size;         /* RELAY_OK: bytes of the body */
	uint32_t cache;        /* enum relay_cache; NONE unless RELAY_OK */
	uint32_t flags;        /* enum relay_done_flag */
	char detail[RELAY_DETAIL_MAX]; /* libcurl's words when it failed */
};

struct relay_msg {
	uint32_t type;
	union {
		struct relay_fetch fetch;
		struct relay_done done;
	};
};

/* Encode msg; the length, -ENOBUFS or -EINVAL (the decoder's checks). */
int relay_msg_encode(const struct relay_msg *msg, uint8_t *buf, size_t size);

/* Decode exactly len bytes: 0, -EBADMSG or -EINVAL. Pure. */
int relay_msg_decode(const uint8_t *buf, size_t len, struct relay_msg *ret_msg);

/* How many fds a message carries. */
unsigned relay_msg_nfds(const struct relay_msg *msg);

/* Send msg with fd (-1: none, as relay_msg_nfds says). 0 or -errno. */
int relay_msg_send(int sock, const struct relay_msg *msg, int fd);

/*
 * Receive one message (MSG_CMSG_CLOEXEC; MSG_TRUNC, MSG_CTRUNC, other
 * control messages and a wrong fd count are -EBADMSG, and every fd
 * received is then closed). 0 with *ret_fd (-1 when none), -ECONNRESET
 * at end of stream, or -errno.
 */
int relay_msg_recv(int sock, struct relay_msg *ret_msg, int *ret_fd);

#endif
