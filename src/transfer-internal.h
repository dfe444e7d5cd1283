/*
 * transfer-internal.h - state shared by the read and write engines.
 */
#ifndef CLOISTER_TRANSFER_INTERNAL_H
#define CLOISTER_TRANSFER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "netascii.h"
#include "rto.h"
#include "tftp-packet.h"
#include "transfer.h"

/* A received datagram is never longer than a DATA packet or an ERROR with
 * a long message. */
#define RX_MIN 516

struct slot {
	uint64_t first_sent_us; /* first transmission */
	uint32_t len;           /* payload bytes */
	bool resent;            /* sent more than once: no RTT sample (Karn) */
};

struct xfer {
	const struct psep_job *job;
	const struct transfer_io *io;
	struct psep_result *res;
	struct rto rto;
	size_t stride;       /* blksize + DATA header */
	uint8_t *win;        /* windowsize packets of stride bytes */
	struct slot *slots;  /* windowsize */
	uint8_t *rx;         /* receive buffer */
	size_t rx_size;
	uint8_t *aux;        /* netascii staging, blksize bytes */
	uint64_t start_us;
	uint64_t deadline_us;
	bool acked_once;     /* the client has answered once: it is real */
	uint64_t heard_us;   /* when the client last made progress */
	uint64_t sent_us;    /* when we last sent anything */
	bool holding;        /* resends exhausted: silent, listening */
	bool reported;
	struct netascii_enc enc;
	struct netascii_dec dec;
};

/*
 * Resends allowed before the client has answered once. A spoofed request
 * is never answered, so this bounds what a forged source address can make
 * us send: the first packet and at most this many copies. A real client
 * that lost our first packet usually resends its request, which is
 * answered at once (xfer_answer_resent_request).
 */
#define UNVERIFIED_RESENDS_MAX 2

/* How many timer-driven resends are allowed now. */
unsigned xfer_resend_limit(const struct xfer *x);

/* The client made progress: it is real, and its silence starts now. */
void xfer_heard(struct xfer *x);

enum timeout_action {
	TIMEOUT_RESEND,  /* send again what is in flight */
	TIMEOUT_HOLD,    /* send nothing, keep listening */
	TIMEOUT_GIVE_UP,
};

/*
 * What to do when the timer runs out for the `tries`-th time without an
 * answer. A client that never answered: resend up to xfer_resend_limit
 * times, then give up. One that did: resend `retries` times, then fall
 * silent for four of our longest timeouts before giving up (a client
 * whose 5 s timer runs out gets to retry four times: each may be lost). Silence
 * matters: some clients restart their own timer on every packet they
 * get, even a duplicate they ignore, and re-acknowledge only when it runs
 * out, so resending would keep them from ever speaking up.
 */
enum timeout_action xfer_on_timeout(struct xfer *x, unsigned tries);

/* Record a transmission (the timer and the silence count from it). */
void xfer_sent(struct xfer *x);

/* Wire block number of a 64-bit block index (index 0 is the OACK's ACK). */
uint16_t xfer_wire_block(const struct xfer *x, uint64_t index);

/* End the transfer with status; reports it once. Returns false so that
 * callers can `return xfer_finish(...)`. */
bool xfer_finish(struct xfer *x, enum psep_status status);

/* Report a successful outcome; returns the report's answer (0 = accepted,
 * else a TFTP error code for the client). */
int xfer_report_ok(struct xfer *x);

/* Tell the client why we stop; best effort, it may be gone already. */
void xfer_send_error(struct xfer *x, enum tftp_error code, const char *text);

/* xfer_send_error, then finish with status. */
bool xfer_fail(struct xfer *x, enum tftp_error code, const char *text, enum psep_status status);

/* The client sent ERROR: record it and finish. after_oack: an ERROR 8 is
 * the UEFI size probe, not a failure. */
bool xfer_peer_error(struct xfer *x, const uint8_t *buf, size_t len, bool after_oack);

/* Arm a timer: the current RTO from now, never past the deadline. */
uint64_t xfer_timer(const struct xfer *x);

/* Past the total deadline: tell the client and finish. */
bool xfer_check_deadline(struct xfer *x);

/* Send the transfer's first packet (OACK, DATA 1 or ACK 0) again because
 * the client resent its request before answering anything. */
bool xfer_answer_resent_request(struct xfer *x, const uint8_t *pkt, size_t len);

bool xfer_run_read(struct xfer *x);
bool xfer_run_write(struct xfer *x);

#endif
