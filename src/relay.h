/*
 * relay.h - the monitor's side of the HTTP relay: which requests go to
 * the fetcher, and the requests that wait for its answer.
 *
 * A download is relayed when its path (or a directory above it) is a
 * symbolic link to an http(s) URL and `relay` is on, or when the file
 * does not exist and relay-fallback is set. The request is kept (its
 * datagram, its listener and addresses) until the fetcher answers; the
 * monitor's loop goes on meanwhile. Requests for the same URL share one
 * fetch, unless client headers make each answer the client's own.
 * The answer's body is checked here (a sealed memfd of the size the
 * fetcher claims) before any transfer gets it.
 */
#ifndef CLOISTER_RELAY_H
#define CLOISTER_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "listen.h"
#include "relay-msg.h"
#include "relay-url.h"
#include "settings.h"

#define RELAY_NONE UINT32_MAX

/* A request that waits for a fetch. */
struct relay_waiter {
	uint32_t fetch;            /* its fetch, RELAY_NONE: free */
	uint32_t next;             /* the fetch's next waiter */
	size_t listener;
	struct request_addr addr;
	uint8_t *pkt;              /* the request as it came */
	size_t len;
};

/* One fetch asked of the fetcher. */
struct relay_pending {
	bool used;
	uint32_t id;
	unsigned flags;            /* relay_fetch.flags */
	char url[RELAY_URL_MAX];
	uint32_t first;            /* its waiters */
};

struct relay {
	pid_t pid;                 /* the fetcher, 0 when none runs */
	int sock;                  /* -1 when none */
	struct relay_pending *p;
	struct relay_waiter *w;
	size_t n;                  /* of each */
	uint32_t next_id;
};

/* An answer, checked: what relay_take returns for each of its waiters. */
struct relay_answer {
	struct relay_done done;
	const char *url;           /* valid until the next relay call */
	int fd;                    /* RELAY_OK: the body, owned by relay.c */
};

/* The fetcher's pid and socket (both from fetcher_spawn, or 0 / -1), and
 * room for n waiting requests. 0 or -ENOMEM. */
int relay_init(struct relay *r, pid_t pid, int sock, size_t n);

/* "hit", "miss", "revalidated", "stale"; NULL for RELAY_CACHE_NONE. */
const char *relay_cache_name(uint32_t cache);

/* Relaying is possible and configured. */
bool relay_enabled(const struct relay *r, const struct settings *s);

/*
 * Where path (normalised, under the root) is served from: 0 locally, 1
 * relayed (the URL and its flags in url/ret_flags), or -errno when it
 * names a relay link that is not usable (-EINVAL: a link to a URL we
 * refuse, -ENOTDIR / -EISDIR: a file link used as a directory or the
 * other way round).
 */
int relay_route(const struct settings *s, int root_fd, const char *path, char *url, size_t size,
		unsigned *ret_flags);

/*
 * Wait for url: join the fetch of the same URL under way, or ask for a
 * new one. pkt (len bytes) is copied. 0; -EALREADY when this very client
 * address and port already waits (a resent request: drop it); -ENOBUFS
 * when the table is full; -EPIPE when no fetcher runs; -errno.
 */
int relay_submit(struct relay *r, const char *url, unsigned flags, const char *file,
		 size_t listener, const struct request_addr *a, const uint8_t *pkt, size_t len);

/*
 * Read one message of the fetcher. 1 with *ret filled: then call
 * relay_next_waiter until it returns false, and relay_done_with(*ret);
 * 0 when nothing (more) is there; -errno when the fetcher is gone or
 * broke the protocol (the caller calls relay_lost).
 */
int relay_take(struct relay *r, struct relay_answer *ret, uint32_t *ret_fetch);

/* The next waiter of fetch (removed from the table; its pkt is the
 * caller's to free). */
bool relay_next_waiter(struct relay *r, uint32_t fetch, struct relay_waiter *ret);

/* Forget fetch and close the answer's body. */
void relay_done_with(struct relay *r, uint32_t fetch, struct relay_answer *a);

/* The fetcher died or misbehaved: close its socket (the caller then
 * fails every waiter: relay_pending_any + relay_next_waiter). */
void relay_lost(struct relay *r);

/* A fetch that still has waiters, RELAY_NONE when none. */
uint32_t relay_pending_any(const struct relay *r);

#endif
