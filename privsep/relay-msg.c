/*
 * relay-msg.c - encoding, decoding and passing the fetcher's messages;
 * see relay-msg.h. Encoding and decoding are pure.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "relay-msg.h"

#define HDR_LEN 4
#define FETCH_LEN (4 + 4 + 2 + RELAY_CLIENT_MAX + RELAY_FILE_MAX + RELAY_URL_MAX)
#define DONE_LEN (4 + 4 + 4 + 8 + 4 + 4 + RELAY_DETAIL_MAX)

struct cursor {
	uint8_t *w;       /* encoding */
	const uint8_t *r; /* decoding */
	size_t at;
};

static void put(struct cursor *c, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		c->w[c->at++] = (uint8_t)(v >> (8 * i));
}

static uint64_t get(struct cursor *c, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)c->r[c->at++] << (8 * i);
	return v;
}

static void put_str(struct cursor *c, const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	memcpy(c->w + c->at, s, n);
	memset(c->w + c->at + n, 0, size - n);
	c->at += size;
}

/* A field of size bytes: printable ASCII, then NULs only. */
static bool get_str(struct cursor *c, char *out, size_t size)
{
	const uint8_t *p = c->r + c->at;
	size_t n = strnlen((const char *)p, size);

	c->at += size;
	if (n == size)
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return false;
	for (size_t i = n; i < size; i++)
		if (p[i] != 0)
			return false;
	memcpy(out, p, size);
	return true;
}

static bool printable(const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	if (n == size)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

static bool fetch_valid(const struct relay_fetch *f)
{
	return (f->flags & ~(uint32_t)RELAY_FETCH_FLAGS_ALL) == 0 && f->url[0] != '\0' &&
	       printable(f->url, sizeof(f->url)) && printable(f->client, sizeof(f->client)) &&
	       printable(f->file, sizeof(f->file));
}

static bool done_valid(const struct relay_done *d)
{
	if (d->status > RELAY_STATUS_MAX || !printable(d->detail, sizeof(d->detail)) ||
	    d->cache > RELAY_CACHE_MAX || (d->status != RELAY_OK && d->cache != RELAY_CACHE_NONE))
		return false;
	if (d->http_status != 0 && (d->http_status < 100 || d->http_status > 999))
		return false;
	/* A stream is what was just fetched, never stored nor from the cache. */
	if ((d->flags & ~(uint32_t)RELAY_DONE_FLAGS_ALL) != 0 ||
	    ((d->flags & RELAY_DONE_STREAM) &&
	     (d->status != RELAY_OK || d->cache != RELAY_CACHE_NONE)))
		return false;
	if (d->status == RELAY_OK)
		return d->http_status == 200;
	if (d->size != 0)
		return false;
	return d->status != RELAY_HTTP || d->http_status != 0;
}

int relay_msg_encode(const struct relay_msg *msg, uint8_t *buf, size_t size)
{
	struct cursor c = { .w = buf };
	size_t len = msg->type == RELAY_MSG_FETCH ? FETCH_LEN
		     : msg->type == RELAY_MSG_DONE ? DONE_LEN : 0;

	if (msg->type != RELAY_MSG_READY && (len == 0 || (msg->type == RELAY_MSG_FETCH && !fetch_valid(&msg->fetch)) ||
	    (msg->type == RELAY_MSG_DONE && !done_valid(&msg->done))))
		return -EINVAL;
	if (size < HDR_LEN + len)
		return -ENOBUFS;
	put(&c, RELAY_MSG_VERSION, 2);
	put(&c, msg->type, 2);
	if (msg->type == RELAY_MSG_FETCH) {
		put(&c, msg->fetch.id, 4);
		put(&c, msg->fetch.flags, 4);
		put(&c, msg->fetch.client_port, 2);
		put_str(&c, msg->fetch.client, sizeof(msg->fetch.client));
		put_str(&c, msg->fetch.file, sizeof(msg->fetch.file));
		put_str(&c, msg->fetch.url, sizeof(msg->fetch.url));
	} else if (msg->type == RELAY_MSG_DONE) {
		put(&c, msg->done.id, 4);
		put(&c, msg->done.status, 4);
		put(&c, msg->done.http_status, 4);
		put(&c, msg->done.size, 8);
		put(&c, msg->done.cache, 4);
		put(&c, msg->done.flags, 4);
		put_str(&c, msg->done.detail, sizeof(msg->done.detail));
	}
	return (int)c.at;
}

int relay_msg_decode(const uint8_t *buf, size_t len, struct relay_msg *ret_msg)
{
	struct cursor c = { .r = buf };
	struct relay_msg m;

	memset(&m, 0, sizeof(m));
	if (len < HDR_LEN || get(&c, 2) != RELAY_MSG_VERSION)
		return -EBADMSG;
	m.type = (uint32_t)get(&c, 2);
	if (m.type == RELAY_MSG_FETCH && len == HDR_LEN + FETCH_LEN) {
		m.fetch.id = (uint32_t)get(&c, 4);
		m.fetch.flags = (uint32_t)get(&c, 4);
		m.fetch.client_port = (uint16_t)get(&c, 2);
		if (!get_str(&c, m.fetch.client, sizeof(m.fetch.client)) ||
		    !get_str(&c, m.fetch.file, sizeof(m.fetch.file)) ||
		    !get_str(&c, m.fetch.url, sizeof(m.fetch.url)) || !fetch_valid(&m.fetch))
			return -EINVAL;
	} else if (m.type == RELAY_MSG_DONE && len == HDR_LEN + DONE_LEN) {
		m.done.id = (uint32_t)get(&c, 4);
		m.done.status = (uint32_t)get(&c, 4);
		m.done.http_status = (uint32_t)get(&c, 4);
		m.done.size = get(&c, 8);
		m.done.cache = (uint32_t)get(&c, 4);
		m.done.flags = (uint32_t)get(&c, 4);
		if (!get_str(&c, m.done.detail, sizeof(m.done.detail)) || !done_valid(&m.done))
			return -EINVAL;
	} else if (m.type != RELAY_MSG_READY || len != HDR_LEN) {
		return -EBADMSG;
	}
	*ret_msg = m;
	return 0;
}

unsigned relay_msg_nfds(const struct relay_msg *msg)
{
	return msg->type == RELAY_MSG_DONE && msg->done.status == RELAY_OK ? 1 : 0;
}

/* ---- passing them ------------------------------------------------------ */

int relay_msg_send(int sock, const struct relay_msg *msg, int fd)
{
	uint8_t buf[RELAY_MSG_MAX];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = { .iov_base = buf };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int n = relay_msg_encode(msg, buf, sizeof(buf));
	ssize_t sent;

	if (n < 0)
		return n;
	if ((fd >= 0) != (relay_msg_nfds(msg) == 1))
		return -EINVAL;
	iov.iov_len = (size_t)n;
	if (fd >= 0) {
		struct cmsghdr *cm;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	}
	do
		sent = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (sent < 0 && errno == EINTR);
	return sent < 0 ? -errno : 0;
}

/* Every fd in the control data, in *fds (up to max; more is an error
 * once they are all closed). */
static int take_fds(struct msghdr *mh, int *fds, size_t max, size_t *ret_n)
{
	int r = 0;

	*ret_n = 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		size_t n;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) {
			r = -EBADMSG;
			continue;
		}
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (*ret_n < max)
				fds[(*ret_n)++] = fd;
			else {
				close(fd);
				r = -EBADMSG;
			}
		}
	}
	return r;
}

int relay_msg_recv(int sock, struct relay_msg *ret_msg, int *ret_fd)
{
	uint8_t buf[RELAY_MSG_MAX + 1];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * 4)];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
			     .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf) };
	int fds[4], r;
	size_t nfds = 0;
	struct relay_msg m;
	ssize_t n;

	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	r = take_fds(&mh, fds, 4, &nfds);
	if (r == 0 && n == 0)
		r = -ECONNRESET;
	if (r == 0 && (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		r = -EBADMSG;
	if (r == 0)
		r = relay_msg_decode(buf, (size_t)n, &m);
	if (r == 0 && nfds != relay_msg_nfds(&m))
		r = -EBADMSG;
	if (r < 0) {
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
		return r;
	}
	*ret_msg = m;
	*ret_fd = nfds == 1 ? fds[0] : -1;
	return 0;
}
