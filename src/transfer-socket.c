/*
 * transfer-socket.c - the socket of one transfer, which shares the port
 * of the listener its request came in on.
 *
 * Single-port mode: a transfer socket is bound to the same local address
 * and port as the request arrived on (SO_REUSEADDR on both sockets) and
 * connected to the client. The kernel then delivers that client's
 * datagrams to the more specific, connected socket and everyone else's to
 * the listener, and every reply leaves from port 69.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "caps.h"
#include "tftp-packet.h"
#include "transfer-socket.h"

static int set_int(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value)) < 0 ? -errno : 0;
}

static int bind_local(int fd, const struct request_addr *a, bool need_bind_cap)
{
	int r = 0;

	if (need_bind_cap && caps_raise(CAP_NET_BIND_SERVICE) < 0)
		return -EPERM;
	if (bind(fd, (const struct sockaddr *)&a->local, a->local_len) < 0)
		r = -errno;
	if (need_bind_cap && caps_lower(CAP_NET_BIND_SERVICE) < 0)
		return -EPERM; /* never go on with a raised capability */
	return r;
}

int transfer_socket_open(const struct listener *l, const struct request_addr *a,
			 bool need_bind_cap)
{
	int fd = socket(l->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int r;

	if (fd < 0)
		return -errno;
	r = set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1);
	if (r == 0)
		r = bind_local(fd, a, need_bind_cap);
	if (r == 0 && connect(fd, (const struct sockaddr *)&a->peer, a->peer_len) < 0)
		r = -errno;
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

#define TRANSFER_BUFFER_MIN (256 << 10)
#define TRANSFER_BUFFER_MAX (16 << 20)

void transfer_socket_size_buffers(int fd, size_t window_bytes)
{
	size_t want = 2 * window_bytes;

	if (want < TRANSFER_BUFFER_MIN)
		want = TRANSFER_BUFFER_MIN;
	if (want > TRANSFER_BUFFER_MAX)
		want = TRANSFER_BUFFER_MAX;
	(void)set_int(fd, SOL_SOCKET, SO_RCVBUF, (int)want);
	(void)set_int(fd, SOL_SOCKET, SO_SNDBUF, (int)want);
}

unsigned transfer_socket_path_mtu(int fd)
{
	int mtu = 0;
	socklen_t len = sizeof(mtu);

	/* Known once connected: the route's MTU, or what PMTU discovery
	 * learnt. IPv4 peers of a dual-stack socket answer IP_MTU. */
	if (getsockopt(fd, IPPROTO_IPV6, IPV6_MTU, &mtu, &len) == 0 && mtu > 0)
		return (unsigned)mtu;
	len = sizeof(mtu);
	if (getsockopt(fd, IPPROTO_IP, IP_MTU, &mtu, &len) == 0 && mtu > 0)
		return (unsigned)mtu;
	return 0;
}

int transfer_socket_send_error(int fd, enum tftp_error code, const char *text)
{
	uint8_t pkt[TFTP_ERROR_PKT_MAX];
	int n = tftp_pkt_build_error(pkt, sizeof(pkt), code, text);

	if (n < 0)
		return n;
	return send(fd, pkt, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 ? -errno : 0;
}
