/*
 * file-io.h - whole reads and writes at an offset, retried on EINTR and
 * short transfers: what struct transfer_io.readv and .write promise.
 */
#ifndef CLOISTER_FILE_IO_H
#define CLOISTER_FILE_IO_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/* Fill every buffer (at most 64) from fd at off: bytes read, less only at
 * the end of the file, or -errno. */
ssize_t file_preadv_full(int fd, const struct iovec *iov, int iovcnt, uint64_t off);

/*
 * A body that arrives through a pipe (the relay's streamed download):
 * exactly size bytes, read once, in order. The read engine asks for every
 * block once and in order, so a reader at an offset can be served by one
 * that only goes forward.
 */
struct file_stream {
	int fd;           /* the read end, blocking; not owned */
	uint64_t size;    /* what the stream must carry, no more, no less */
	uint64_t done;    /* bytes read so far */
};

/*
 * Fill every buffer (at most 64) from the stream, as file_preadv_full
 * would from a file of s->size bytes. off must be s->done (-ESPIPE
 * otherwise: the stream cannot go back nor skip). Bytes read (less only
 * at s->size), or -errno; -EIO when the stream ends before s->size bytes
 * or carries more.
 */
ssize_t file_stream_readv(struct file_stream *s, const struct iovec *iov, int iovcnt,
			  uint64_t off);

/* Write all of buf at off: 0 or -errno. */
int file_pwrite_full(int fd, const uint8_t *buf, size_t len, uint64_t off);

/* Write all of buf at the file position (a pipe too): 0 or -errno. */
int file_write_full(int fd, const void *buf, size_t len);

#endif
