/*
 * relay.c - which requests are relayed, and those that wait; see relay.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "open-in-root.h"
#include "path.h"
#include "relay.h"

/* What a body must carry before a transfer may read it: nobody, the
 * fetcher included, can change it afterwards. */
#define BODY_SEALS (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

int relay_init(struct relay *r, pid_t pid, int sock, size_t n)
{
	*r = (struct relay){ .pid = pid, .sock = sock, .n = n };
	r->p = calloc(n, sizeof(*r->p));
	r->w = calloc(n, sizeof(*r->w));
	if (r->p == NULL || r->w == NULL)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		r->w[i].fetch = RELAY_NONE;
	return 0;
}

const char *relay_cache_name(uint32_t cache)
{
	static const char *const names[] = {
		[RELAY_CACHE_MISS] = "miss",
		[RELAY_CACHE_HIT] = "hit",
		[RELAY_CACHE_REVALIDATED] = "revalidated",
		[RELAY_CACHE_STALE] = "stale",
	};

	return cache > 0 && cache <= RELAY_CACHE_MAX ? names[cache] : NULL;
}

bool relay_enabled(const struct relay *r, const struct settings *s)
{
	return r->sock >= 0 && (s->relay || s->relay_fallback != NULL);
}

/* ---- routing ------------------------------------------------------------- */

/* The text of the link at path[0..end), if it is one: its length, 0 when
 * it is no link, -errno when it cannot be looked at. */
static ssize_t link_text(int root_fd, const char *path, size_t end, char *buf, size_t size)
{
	char parent[TFTP_PATH_MAX];
	const char *base;
	size_t plen = 0;
	ssize_t n;
	int dir = root_fd;

	for (size_t i = 0; i < end; i++)
		if (path[i] == '/')
			plen = i;
	base = plen > 0 ? path + plen + 1 : path;
	memcpy(parent, path, plen);
	parent[plen] = '\0';
	if (plen > 0 && (dir = root_openat(root_fd, parent, O_PATH | O_DIRECTORY)) < 0)
		return dir;
	memcpy(parent, base, (size_t)(path + end - base));
	parent[path + end - base] = '\0';
	n = readlinkat(dir, parent, buf, size);
	if (n < 0)
		n = errno == EINVAL ? 0 : -errno;
	if (dir != root_fd)
		close(dir);
	return (size_t)n == size ? -ENAMETOOLONG : n;
}

/* The first component of path that is a URL link, from the top. */
static int find_link(int root_fd, const char *path, char *url, size_t size, unsigned *ret_flags)
{
	size_t len = strlen(path);
	char text[RELAY_URL_MAX];

	for (size_t end = 1; end <= len; end++) {
		ssize_t n;

		if (end < len && path[end] != '/')
			continue;
		n = link_text(root_fd, path, end, text, sizeof(text));
		if (n < 0)
			return n == -ENOENT || n == -ENOTDIR ? 0 : (int)n;
		if (n == 0 || !relay_url_is_remote(text, (size_t)n))
			continue;
		int e = relay_url_join(text, (size_t)n, end < len ? path + end + 1 : "", url, size,
				       ret_flags);
		return e < 0 ? e : 1;
	}
	return 0;
}

int relay_route(const struct settings *s, int root_fd, const char *path, char *url, size_t size,
		unsigned *ret_flags)
{
	int fd = root_openat(root_fd, path, O_PATH), e;

	/* What the kernel finds under the root is served as ever. */
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (fd != -ENOENT && fd != -ENOTDIR && fd != -ELOOP)
		return 0;
	if (s->relay && (e = find_link(root_fd, path, url, size, ret_flags)) != 0)
		return e;
	if (s->relay_fallback == NULL)
		return 0;
	e = relay_url_join(s->relay_fallback, strlen(s->relay_fallback), path, url, size,
			   ret_flags);
	return e < 0 ? e : 1;
}

/* ---- waiting ------------------------------------------------------------- */

static bool same_peer(const struct request_addr *x, const struct request_addr *y)
{
	return x->peer_len == y->peer_len && memcmp(&x->peer, &y->peer, x->peer_len) == 0;
}

static uint32_t find_pending(const struct relay *r, const char *url, unsigned flags)
{
	/* Each client's answer may differ; nocache is never shared, nor is
	 * what may be a stream: a pipe has one reader. */
	if (flags & (RELAY_FETCH_CLIENT_HEADERS | RELAY_URL_NOCACHE | RELAY_FETCH_STREAM))
		return RELAY_NONE;
	for (size_t i = 0; i < r->n; i++)
		if (r->p[i].used && r->p[i].flags == flags && strcmp(r->p[i].url, url) == 0)
			return (uint32_t)i;
	return RELAY_NONE;
}

static bool url_in_flight(const struct relay *r, const char *url)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->p[i].used && strcmp(r->p[i].url, url) == 0)
			return true;
	return false;
}

static uint32_t free_index(bool (*used)(const struct relay *, size_t), const struct relay *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (!used(r, i))
			return (uint32_t)i;
	return RELAY_NONE;
}

static bool pending_used(const struct relay *r, size_t i)
{
	return r->p[i].used;
}

static bool waiter_used(const struct relay *r, size_t i)
{
	return r->w[i].fetch != RELAY_NONE;
}

static void client_of(const struct request_addr *a, struct relay_fetch *f)
{
	char text[LISTEN_ADDR_TEXT_MAX];
	char *colon;

	listen_addr_text((const struct sockaddr *)&a->peer, text, sizeof(text));
	/* "192.0.2.1:1234" / "[2001:db8::1]:1234": the port goes apart */
	colon = strrchr(text, ':');
	if (colon != NULL) {
		f->client_port = (uint16_t)strtoul(colon + 1, NULL, 10);
		*colon = '\0';
	}
	snprintf(f->client, sizeof(f->client), "%s", text);
}

static int ask(struct relay *r, uint32_t pi, const char *file, const struct request_addr *a)
{
	struct relay_msg m = { .type = RELAY_MSG_FETCH };

	m.fetch.id = r->p[pi].id;
	m.fetch.flags = r->p[pi].flags;
	memcpy(m.fetch.url, r->p[pi].url, sizeof(m.fetch.url));
	snprintf(m.fetch.file, sizeof(m.fetch.file), "%s", file);
	client_of(a, &m.fetch);
	return relay_msg_send(r->sock, &m, -1);
}

int relay_submit(struct relay *r, const char *url, unsigned flags, const char *file,
		 size_t listener, const struct request_addr *a, const uint8_t *pkt, size_t len)
{
	uint32_t pi, wi;
	int e;

	if (r->sock < 0)
		return -EPIPE;
	for (size_t i = 0; i < r->n; i++)
		if (waiter_used(r, i) && same_peer(&r->w[i].addr, a))
			return -EALREADY;
	wi = free_index(waiter_used, r);
	if (wi == RELAY_NONE)
		return -ENOBUFS;
	r->w[wi] = (struct relay_waiter){ .listener = listener, .addr = *a, .len = len };
	r->w[wi].pkt = malloc(len);
	if (r->w[wi].pkt == NULL)
		return -ENOMEM;
	memcpy(r->w[wi].pkt, pkt, len);
	/* A storm on one URL: the first request may stream, those that come
	 * while it runs share one whole fetch, so the origin sees two at most. */
	if ((flags & RELAY_FETCH_STREAM) && url_in_flight(r, url))
		flags &= ~(unsigned)RELAY_FETCH_STREAM;
	pi = find_pending(r, url, flags);
	if (pi == RELAY_NONE) {
		/* Every fetch has a waiter, so a free waiter means a free fetch. */
		pi = free_index(pending_used, r);
		if (pi == RELAY_NONE) {
			free(r->w[wi].pkt);
			return -ENOBUFS;
		}
		r->p[pi] = (struct relay_pending){ .used = true, .id = ++r->next_id, .flags = flags,
						   .first = RELAY_NONE };
		snprintf(r->p[pi].url, sizeof(r->p[pi].url), "%s", url);
		if ((e = ask(r, pi, file, a)) < 0) {
			r->p[pi].used = false;
			free(r->w[wi].pkt);
			return e;
		}
	}
	r->w[wi].fetch = pi;
	r->w[wi].next = r->p[pi].first;
	r->p[pi].first = wi;
	return 0;
}

/* ---- answers ------------------------------------------------------------- */

/* The fetcher says it is a sealed file of done.size bytes: so it must be.
 * Or a pipe, and only where the monitor allowed one (asked): the child
 * reads it, exactly done.size bytes (file-io.c), and nobody else. */
static int check_body(int fd, const struct relay_done *d, unsigned asked)
{
	bool from_cache = d->cache == RELAY_CACHE_HIT || d->cache == RELAY_CACHE_REVALIDATED ||
			  d->cache == RELAY_CACHE_STALE;
	struct stat st;
	int seals, fl = fcntl(fd, F_GETFL);

	if (fstat(fd, &st) < 0 || fl < 0)
		return -errno;
	if (d->flags & RELAY_DONE_STREAM)
		return (asked & RELAY_FETCH_STREAM) && S_ISFIFO(st.st_mode) &&
				       (fl & O_ACCMODE) == O_RDONLY
			       ? 0
			       : -EPROTO;
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != d->size)
		return -EPROTO;
	/* A cache file cannot be sealed: it is the fetcher's, opened read-only. */
	if (from_cache)
		return (fl & O_ACCMODE) == O_RDONLY ? 0 : -EPROTO;
	seals = fcntl(fd, F_GET_SEALS);
	return seals >= 0 && (seals & BODY_SEALS) == BODY_SEALS ? 0 : -EPROTO;
}

static uint32_t pending_by_id(const struct relay *r, uint32_t id)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->p[i].used && r->p[i].id == id)
			return (uint32_t)i;
	return RELAY_NONE;
}

int relay_take(struct relay *r, struct relay_answer *ret, uint32_t *ret_fetch)
{
	struct relay_msg m;
	uint32_t pi;
	int fd, e;

	if (r->sock < 0)
		return 0;
	e = relay_msg_recv(r->sock, &m, &fd);
	if (e == -EAGAIN)
		return 0;
	if (e < 0)
		return e;
	/* Only answers, and only to what was asked. */
	pi = m.type == RELAY_MSG_DONE ? pending_by_id(r, m.done.id) : RELAY_NONE;
	if (pi == RELAY_NONE || (fd >= 0 && check_body(fd, &m.done, r->p[pi].flags) < 0)) {
		if (fd >= 0)
			close(fd);
		return -EPROTO;
	}
	*ret = (struct relay_answer){ .done = m.done, .url = r->p[pi].url, .fd = fd };
	*ret_fetch = pi;
	return 1;
}

bool relay_next_waiter(struct relay *r, uint32_t fetch, struct relay_waiter *ret)
{
	uint32_t wi = r->p[fetch].first;

	if (wi == RELAY_NONE)
		return false;
	*ret = r->w[wi];
	r->p[fetch].first = r->w[wi].next;
	r->w[wi] = (struct relay_waiter){ .fetch = RELAY_NONE };
	return true;
}

void relay_done_with(struct relay *r, uint32_t fetch, struct relay_answer *a)
{
	r->p[fetch].used = false;
	if (a->fd >= 0)
		close(a->fd);
	a->fd = -1;
}

void relay_lost(struct relay *r)
{
	if (r->sock >= 0)
		close(r->sock);
	r->sock = -1;
}

uint32_t relay_pending_any(const struct relay *r)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->p[i].used)
			return (uint32_t)i;
	return RELAY_NONE;
}
