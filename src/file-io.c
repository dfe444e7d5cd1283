/*
 * file-io.c - whole preadv and pwrite loops, and the in-order reader of a
 * streamed body.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "file-io.h"

/* Drop the first n bytes of v[0..*iovcnt). */
static void iov_advance(struct iovec *v, int *iovcnt, size_t n)
{
	while (*iovcnt > 0 && n >= v[0].iov_len) {
		n -= v[0].iov_len;
		memmove(v, v + 1, sizeof(*v) * (size_t)--*iovcnt);
	}
	if (*iovcnt > 0) {
		v[0].iov_base = (uint8_t *)v[0].iov_base + n;
		v[0].iov_len -= n;
	}
}

/* Keep the first n bytes of v[0..*iovcnt). */
static void iov_truncate(struct iovec *v, int *iovcnt, uint64_t n)
{
	int i;

	for (i = 0; i < *iovcnt && n > 0; i++) {
		if (v[i].iov_len > n)
			v[i].iov_len = (size_t)n;
		n -= v[i].iov_len;
	}
	*iovcnt = i;
}

ssize_t file_preadv_full(int fd, const struct iovec *iov, int iovcnt, uint64_t off)
{
	struct iovec v[64];
	size_t want = 0, done = 0;

	if (iovcnt > 64)
		return -EINVAL;
	memcpy(v, iov, sizeof(*iov) * (size_t)iovcnt);
	for (int i = 0; i < iovcnt; i++)
		want += v[i].iov_len;
	/* Fill every buffer: a short read means the end of the file. */
	while (done < want) {
		ssize_t n = preadv(fd, v, iovcnt, (off_t)(off + done));

		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += (size_t)n;
		iov_advance(v, &iovcnt, (size_t)n);
	}
	return (ssize_t)done;
}

/* After the last byte the writer must close: one more byte is an origin
 * that sent more than it announced, and tsize would have been a lie. */
static int stream_at_end(int fd)
{
	uint8_t extra;
	ssize_t n;

	do
		n = readv(fd, &(struct iovec){ &extra, 1 }, 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == 0 ? 0 : -EIO;
}

ssize_t file_stream_readv(struct file_stream *s, const struct iovec *iov, int iovcnt,
			  uint64_t off)
{
	struct iovec v[64];
	size_t want = 0, done = 0;
	bool to_end;
	int e;

	if (iovcnt < 0 || iovcnt > 64)
		return -EINVAL;
	if (off != s->done)
		return -ESPIPE;
	memcpy(v, iov, sizeof(*iov) * (size_t)iovcnt);
	for (int i = 0; i < iovcnt; i++)
		want += v[i].iov_len;
	to_end = want > s->size - s->done;
	if (to_end) {
		want = (size_t)(s->size - s->done);
		iov_truncate(v, &iovcnt, want);
	}
	/* A pipe gives what has arrived: go on until the buffers are full. */
	while (done < want) {
		ssize_t n = readv(s->fd, v, iovcnt);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		/* Cut short by the origin or the fetcher: not a short file. */
		if (n == 0)
			return -EIO;
		done += (size_t)n;
		s->done += (uint64_t)n;
		iov_advance(v, &iovcnt, (size_t)n);
	}
	/* Asked for more than is left: this is the end, and it must be. */
	if (to_end && (e = stream_at_end(s->fd)) < 0)
		return e;
	return (ssize_t)done;
}

int file_pwrite_full(int fd, const uint8_t *buf, size_t len, uint64_t off)
{
	while (len > 0) {
		ssize_t n = pwrite(fd, buf, len, (off_t)off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}


int file_write_full(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}
