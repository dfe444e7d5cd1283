/*
 * udp-send.c - datagrams and windows of them on a connected UDP socket,
 * with UDP GSO (one send per 64 segments) where it works.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sys/socket.h>

#include "udp-send.h"

/* Largest payload one GSO send may carry (an IP datagram's limit, minus
 * headers), and the kernel's segment limit per send. */
#define GSO_BYTES_MAX 65000
#define GSO_SEGMENTS_MAX 64

static int send_once(int sock, const uint8_t *buf, size_t len)
{
	for (;;) {
		/* send() is sendto without an address: the socket is
		 * connected, and the child's filter allows nothing else, so
		 * that a child can only reach its own client. */
		ssize_t n = send(sock, buf, len, MSG_NOSIGNAL);

		if (n >= 0)
			return 0;
		if (errno == EINTR)
			continue;
		/* A full queue or a local firewall dropping the packet (EPERM):
		 * the packet is lost, and the retransmission timer repairs
		 * loss. An ICMP error (ECONNREFUSED, EHOSTUNREACH...) goes to
		 * the engine, which ends the transfer. */
		switch (errno) {
		case ENOBUFS:
		case EAGAIN:
		case EPERM:
		case ENETDOWN:
			return 0;
		}
		return -errno;
	}
}

/* Stop segmenting for good (the path cannot carry our segments whole). */
static void gso_off(struct udp_sender *c)
{
	int zero = 0;

	if (c->gso_seg != 0)
		(void)setsockopt(c->sock, SOL_UDP, UDP_SEGMENT, &zero, sizeof(zero));
	c->gso = false;
	c->gso_seg = 0;
}

static bool set_gso(struct udp_sender *c, size_t seg)
{
	int v = (int)seg;

	if (c->gso && c->gso_seg != seg) {
		if (setsockopt(c->sock, SOL_UDP, UDP_SEGMENT, &v, sizeof(v)) < 0)
			gso_off(c);
		else
			c->gso_seg = seg;
	}
	return c->gso;
}

/* One datagram, or with GSO set a train of them. EINVAL with GSO set
 * means a segment does not fit the path MTU: retry without GSO. */
static int send_gso_aware(struct udp_sender *c, const uint8_t *buf, size_t len)
{
	int r = send_once(c->sock, buf, len);

	if (r == -EINVAL && c->gso_seg != 0) {
		gso_off(c);
		r = send_once(c->sock, buf, len);
	}
	return r;
}

int udp_send(struct udp_sender *c, const uint8_t *buf, size_t len)
{
	return send_gso_aware(c, buf, len);
}

int udp_send_batch(struct udp_sender *c, const uint8_t *buf, size_t len, size_t seg)
{
	size_t per_send = GSO_BYTES_MAX / seg;

	if (per_send > GSO_SEGMENTS_MAX)
		per_send = GSO_SEGMENTS_MAX;
	while (len > 0) {
		size_t chunk = len > seg ? seg : len;
		int r;

		/* A window in as few sends as the kernel takes: one per
		 * GSO_BYTES_MAX, never one per block. */
		if (len > seg && per_send >= 2 && set_gso(c, seg)) {
			chunk = len < per_send * seg ? len : per_send * seg;
			r = send_once(c->sock, buf, chunk);
			if (r == -EINVAL || r == -EIO) {
				gso_off(c);
				continue;
			}
		} else {
			r = send_gso_aware(c, buf, chunk);
		}
		if (r < 0)
			return r;
		buf += chunk;
		len -= chunk;
	}
	return 0;
}

