/*
 * file-io.c - whole preadv and pwrite loops.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "file-io.h"

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
		size_t left;

		if (n == 0)
			break;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		done += (size_t)n;
		left = (size_t)n;
		while (iovcnt > 0 && left >= v[0].iov_len) {
			left -= v[0].iov_len;
			memmove(v, v + 1, sizeof(*v) * (size_t)--iovcnt);
		}
		if (iovcnt > 0) {
			v[0].iov_base = (uint8_t *)v[0].iov_base + left;
			v[0].iov_len -= left;
		}
	}
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
