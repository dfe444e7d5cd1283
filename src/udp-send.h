/*
 * udp-send.h - sending datagrams on a connected UDP socket, a window at a
 * time with UDP GSO where the kernel and the path allow it.
 *
 * Shared by the server's transfer child and tftpc: both hand the engine's
 * windows (struct transfer_io.send_batch) to the kernel this way.
 */
#ifndef CLOISTER_UDP_SEND_H
#define CLOISTER_UDP_SEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct udp_sender {
	int sock;      /* connected UDP socket, not owned */
	bool gso;      /* UDP_SEGMENT may work on it: start with true */
	size_t gso_seg; /* segment size currently set, 0 = none */
};

/* One datagram. 0 or -errno; a full queue or a local drop (ENOBUFS,
 * EAGAIN, EPERM, ENETDOWN) counts as sent: loss is the timer's to repair.
 * An ICMP error (-ECONNREFUSED, -EHOSTUNREACH...) is returned. */
int udp_send(struct udp_sender *c, const uint8_t *buf, size_t len);

/* len bytes as consecutive datagrams of seg bytes (the last may be
 * shorter), in as few sends as GSO allows. 0 or -errno, as udp_send. */
int udp_send_batch(struct udp_sender *c, const uint8_t *buf, size_t len, size_t seg);

#endif
