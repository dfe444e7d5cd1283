/*
 * handshake.h - a transfer's first exchange, which the monitor runs
 * itself: it sends the first packet (the OACK, DATA 1 or ACK 0) and waits
 * for the client's first answer before any child is spent on it.
 *
 * A request whose source address is forged is never answered, so it
 * costs a small record in the monitor and the resends below, never a
 * child. Pure: decisions from numbers and bytes, no I/O.
 */
#ifndef CLOISTER_HANDSHAKE_H
#define CLOISTER_HANDSHAKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"

/* What the client's first datagram on the transfer socket means. */
enum handshake_answer {
	HS_ANSWER = 1,       /* it answers the first packet: the transfer goes to a
	                      * child, the datagram left in the socket for it */
	HS_DONE = 2,         /* ACK 1 of a file that fit in DATA 1: nothing left */
	HS_REQUEST = 3,      /* the request again: the first packet was lost */
	HS_PEER_ERROR = 4,   /* an ERROR: the client gives up (or ends a size probe) */
	HS_IGNORE = 5,       /* anything else: dropped */
};

/*
 * Classify the first len bytes of a datagram of length full_len (len may
 * be shorter: only a peek). first_is_last: DATA 1 was the whole file.
 */
enum handshake_answer handshake_classify(const struct psep_job *job, bool first_is_last,
					 const uint8_t *buf, size_t len, size_t full_len);

/*
 * When to send the first packet again. sends: how often it went out so far
 * (>= 1). Returns the microseconds after the last send at which to send it
 * again, or, when *ret_give_up is set, at which to give up. DATA 1 and ACK
 * 0 go out again after the initial timeout, then twice that, and the
 * transfer is given up twice that later; an OACK only once, late (see
 * FIRST_OACK_RESEND_US in transfer-common.h), as the child would.
 */
uint64_t handshake_next(const struct psep_job *job, unsigned sends, bool *ret_give_up);

/* Most answers to resent requests: a forged one can repeat its request. */
#define HANDSHAKE_REQUESTS_ANSWERED_MAX 3

#endif
