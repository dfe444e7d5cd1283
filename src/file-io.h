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

/* Write all of buf at off: 0 or -errno. */
int file_pwrite_full(int fd, const uint8_t *buf, size_t len, uint64_t off);

/* Write all of buf at the file position (a pipe too): 0 or -errno. */
int file_write_full(int fd, const void *buf, size_t len);

#endif
