/*
 * tftpc-local.h - the local side of a transfer: the file a put reads, the
 * file a get writes (through a temporary file), or stdin and stdout.
 */
#ifndef CLOISTER_TFTPC_LOCAL_H
#define CLOISTER_TFTPC_LOCAL_H

#include <stdbool.h>
#include <stdint.h>

struct tftpc_local {
	int fd;              /* -1 when closed */
	bool seekable;       /* a regular file: read or written at offsets */
	bool size_known;     /* put: size is the file's */
	uint64_t size;
	const char *path;    /* get: the final name; NULL for stdout */
	char *tmp;           /* get: the temporary file until stored; owned */
};

/* Open path ("-": stdin) to be sent. 0 or -errno (-EISDIR for a
 * directory). */
int tftpc_local_open_read(const char *path, struct tftpc_local *ret);

/* Make path.tftpc-XXXXXX in path's folder (mode 0600) to receive a get,
 * or take stdout for "-". 0 or -errno. */
int tftpc_local_open_write(const char *path, struct tftpc_local *ret);

/* A complete get: give the temporary file the mode a new file gets and
 * rename it to its name (nothing to do for stdout). 0 or -errno. */
int tftpc_local_store(struct tftpc_local *l);

/* Close; a get not stored leaves no file behind. */
void tftpc_local_close(struct tftpc_local *l);

#endif
