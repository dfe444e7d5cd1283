/*
 * transfer-socket.h - the socket of one transfer: bound to its listener's
 * address and port, connected to the client.
 */
#ifndef CLOISTER_TRANSFER_SOCKET_H
#define CLOISTER_TRANSFER_SOCKET_H

#include <stdbool.h>
#include <stddef.h>

#include "listen.h"
#include "tftp-packet.h"

/*
 * Make the socket of one transfer: bound to the request's local address
 * and the listener's port (SO_REUSEADDR), connected to the peer, so that
 * only this peer's datagrams reach it and replies leave from the port the
 * request was sent to. need_bind_cap: raise CAP_NET_BIND_SERVICE around
 * bind(). Returns the fd (O_CLOEXEC, blocking) or -errno.
 */
int transfer_socket_open(const struct listener *l, const struct request_addr *a,
			 bool need_bind_cap);

/*
 * Give a transfer socket buffers for its window: window_bytes of packets
 * each way, counted as the kernel counts them (twice, for its overhead),
 * at least the default. The kernel caps both at net.core.[rw]mem_max.
 * Best effort: a smaller buffer only costs speed.
 */
void transfer_socket_size_buffers(int fd, size_t window_bytes);

/* The path MTU towards the peer of a connected socket, 0 if unknown. */
unsigned transfer_socket_path_mtu(int fd);

/* An ERROR packet with code and text (NULL: the code's standard text) on
 * a transfer socket, without blocking. 0 or -errno. */
int transfer_socket_send_error(int fd, enum tftp_error code, const char *text);

#endif
