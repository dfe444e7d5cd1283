/*
 * tftpc-io.h - the struct transfer_io tftpc gives the engine: its socket,
 * connected to the server's transfer port, and the local file.
 */
#ifndef CLOISTER_TFTPC_IO_H
#define CLOISTER_TFTPC_IO_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "transfer.h"
#include "udp-send.h"

struct tftpc_io {
	int sock;              /* connected to the server's reply address; not owned */
	int file;              /* the local file, stdin or stdout; not owned */
	bool seekable;         /* a regular file: pread/pwrite; else in order */
	struct udp_sender out;
	/* A datagram the handshake received that the engine must see first
	 * (DATA 1 of a download without options); NULL when none. */
	const uint8_t *pending;
	size_t pending_len;
	/* Called with the file's data as it is written (get) or read (put),
	 * in order, and the running total; may be NULL. */
	void (*on_data)(void *arg, const uint8_t *buf, size_t len, uint64_t total);
	void *arg;
	uint64_t total;        /* file bytes seen by on_data */
	volatile sig_atomic_t *interrupted; /* set by SIGINT/SIGTERM; may be NULL */
};

/* Point io's functions at c (which must outlive io). No report hook: a
 * finished download is acknowledged at once (the engine's default). */
void tftpc_io_bind(struct tftpc_io *c, struct transfer_io *io);

/*
 * A UDP socket for talking to srv (family of srv), bound to any port,
 * with buffers for a window of `window_bytes` each way (SO_RCVBUFFORCE
 * when permitted, else as much as SO_RCVBUF grants). The fd or -errno.
 */
int tftpc_socket_open(int family, size_t window_bytes);

/* The block size the path to srv carries in one datagram: its MTU less
 * the IP, UDP and DATA headers, within 512..65464; 512 when unknown. */
uint32_t tftpc_path_blksize(const struct sockaddr *srv, socklen_t len);

#endif
