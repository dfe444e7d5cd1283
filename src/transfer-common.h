/*
 * transfer-common.h - what the read and write engines share: the state of
 * one transfer, its timers, how it ends.
 *
 * The engine is three layers, and calls go downward only:
 *   transfer.c        checks the job, carves its buffer, runs one engine;
 *   transfer-read.c   the RRQ engine (struct reader), and
 *   transfer-write.c  the WRQ engine (struct writer): neither calls the
 *                     other, nor anything in transfer.c;
 *   transfer-common.c struct xfer and the xfer_* helpers below, which call
 *                     only transfer_io.
 * Only those four files include this header.
 */
#ifndef CLOISTER_TRANSFER_COMMON_H
#define CLOISTER_TRANSFER_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "netascii.h"
#include "rto.h"
#include "tftp-packet.h"
#include "transfer.h"

/* A received datagram is never longer than a DATA packet or an ERROR with
 * a long message. */
#define RX_MIN 516

/*
 * Resends allowed before the client has shown it is real (it acknowledged
 * DATA, or sent some). A forged source address never answers, or answers
 * only with what it can predict (ACK 0), so this bounds what it can make us
 * send: the first packets and at most this many copies.
 */
#define UNVERIFIED_RESENDS_MAX 2

/* After the resends of the fast phase (job->retries), the hold: a resend
 * this rarely, so that a client whose own timer runs out (5 s for atftp and
 * U-Boot, 4 s for EDK2) gets to speak first. */
#define HOLD_INTERVAL_MIN_US 7000000
/* Resends in the hold before the transfer is given up. */
#define HOLD_RESENDS_MAX 3
/* How often the client's own timer may end a hold (a duplicate ACK, or a
 * resent DATA of an upload) before it has made progress again: a forged
 * client repeating ACK 0 gets no more than this. */
#define WAKES_MAX 3
#define WAKES_UNVERIFIED_MAX 1 /* for a client that never acknowledged data */

/*
 * An OACK is resent on the timer once, this long after it was sent, and
 * the transfer given up as long after that. Early resends are harmful:
 * atftp and node-tftp abort on a second OACK, which is what an early
 * resend becomes when only their ACK 0 was lost, and every client sends
 * ACK 0 again (or its request, when the OACK was lost) within 5 s on its
 * own. The one late resend is for curl, which would wait 72 s.
 */
#define FIRST_OACK_RESEND_US 7000000

/* One packet of the window buffer. */
struct slot {
	uint64_t first_sent_us; /* first transmission */
	uint32_t len;           /* payload bytes */
	uint32_t epoch;         /* xfer.epoch at the first transmission */
	bool resent;            /* sent more than once, or while holding: no
	                         * RTT sample (Karn) */
};

/* Slots past the window: the block after what was sent is read while the
 * client answers, so that it leaves as soon as the ACK comes (a lock-step
 * transfer otherwise reads on every block's critical path). */
#define XFER_READ_AHEAD 1

/*
 * One transfer. Invariants:
 * - win holds job->windowsize + XFER_READ_AHEAD packets of stride bytes,
 *   slots as many records; which of them are in use is the engine's business (see
 *   struct reader and struct writer);
 * - answered: the client answered our first packet (ACK 0 to an OACK
 *   counts: a forged client can predict it); verified: it acknowledged
 *   DATA, or sent some. verified implies answered. Until verified,
 *   resends are bounded by UNVERIFIED_RESENDS_MAX and there is no hold;
 * - holding implies answered, and that the quick resends are used up;
 * - reported is set once, by xfer_finish or xfer_report_ok, and nothing is
 *   sent to the client after it but the final ACK of an upload.
 */
struct xfer {
	const struct psep_job *job;
	const struct transfer_io *io;
	struct psep_result *res;
	struct rto rto;
	size_t stride;       /* blksize + DATA header */
	uint8_t *win;        /* windowsize + XFER_READ_AHEAD packets of stride bytes */
	struct slot *slots;  /* as many */
	uint8_t *rx;         /* receive buffer */
	size_t rx_size;
	uint8_t *aux;        /* netascii staging, blksize bytes */
	uint64_t start_us;
	uint64_t deadline_us;
	bool answered;
	bool verified;
	uint64_t sent_us;    /* when we last sent anything */
	unsigned tries;      /* timeouts since the last progress */
	uint32_t epoch;      /* timeouts in all: an ACK for a block sent before
	                      * the last one may come from the client's own
	                      * timer, and times nothing */
	unsigned wakes;      /* holds the client's timer ended since then */
	bool holding;
	unsigned hold_resends;
	uint64_t hold_tick_us; /* when the hold interval running now began */
	bool reported;
	struct netascii_enc enc;
	struct netascii_dec dec;
};

/* The client made progress (acknowledged or sent DATA): it is real, and
 * its silence starts now. */
void xfer_progress(struct xfer *x);

/* The client answered the first packet with what it could predict (ACK 0
 * to an OACK): the timers start over, the bounds for the unverified stay. */
void xfer_answered(struct xfer *x);

/*
 * A round-trip sample: from sent_us (a packet sent once) to now. An answer
 * later than the first timeout is no sample: it came from the client's own
 * timer after a loss (an OACK is not resent early, so nothing else tells),
 * or waited in the monitor for a child.
 */
void xfer_rtt_sample(struct xfer *x, uint64_t sent_us, bool first_packet);

/* Record a transmission (the timer and the hold count from it). */
void xfer_sent(struct xfer *x);

enum timeout_action {
	TIMEOUT_RESEND,  /* send again what the client lacks */
	TIMEOUT_HOLD,    /* send nothing: the hold begins */
	TIMEOUT_GIVE_UP,
};

/*
 * The timer ran out: count it and decide. The timeout doubles each time.
 * A client that is not verified gets UNVERIFIED_RESENDS_MAX resends (fewer
 * if job->retries is lower), a verified one job->retries, then the hold: HOLD_RESENDS_MAX resends HOLD_INTERVAL apart. The hold exists for
 * clients that restart their own timer on every packet they get, even a
 * duplicate they ignore, and re-acknowledge only when it runs out (atftp,
 * busybox): resending faster would keep them from ever speaking up, while
 * clients with no timer of their own (GRUB) still get a resend now and
 * then.
 */
enum timeout_action xfer_on_timeout(struct xfer *x);

/*
 * The client's own timer spoke while we hold (a duplicate ACK, or a
 * resent DATA block): go back to the fast phase, at most WAKES_MAX times
 * before progress (WAKES_UNVERIFIED_MAX before the client acknowledged any
 * data). True when it may be acted on.
 */
bool xfer_wake(struct xfer *x);

/* When the timer runs out next: the current RTO from now (or the hold
 * interval from the last send), never past the deadline. */
uint64_t xfer_timer(const struct xfer *x);

/* Wire block number of a 64-bit block index (index 0 is the OACK's ACK). */
uint16_t xfer_wire_block(const struct xfer *x, uint64_t index);

/* End the transfer with status; reports it once. Returns false so that
 * callers can `return xfer_finish(...)`. */
bool xfer_finish(struct xfer *x, enum psep_status status);

/* A send or receive failed with e (-errno): finish, as unreachable when an
 * ICMP error said so. Returns false. */
bool xfer_io_failed(struct xfer *x, int e);

/* Report a successful outcome; returns the report's answer (see
 * transfer_io.report). */
int xfer_report_ok(struct xfer *x);

/* Tell the client why we stop; best effort, it may be gone already. */
void xfer_send_error(struct xfer *x, enum tftp_error code, const char *text);

/* xfer_send_error, then finish with status. */
bool xfer_fail(struct xfer *x, enum tftp_error code, const char *text, enum psep_status status);

/* The client sent ERROR: record it and finish. after_oack: an ERROR 8 is
 * the UEFI size probe, not a failure. */
bool xfer_peer_error(struct xfer *x, const uint8_t *buf, size_t len, bool after_oack);

/* Past the total deadline: tell the client and finish. */
bool xfer_check_deadline(struct xfer *x);

/* Send the transfer's first packet (OACK, DATA 1 or ACK 0) again because
 * the client resent its request before answering anything. */
bool xfer_answer_resent_request(struct xfer *x, const uint8_t *pkt, size_t len);

/* Did the monitor send the first packet (the client's answer waits)? */
bool xfer_first_sent_by_monitor(const struct xfer *x);

/* The engines, one layer up (transfer-read.c, transfer-write.c): only
 * transfer.c calls them. Each returns true when the transfer succeeded. */
bool xfer_run_read(struct xfer *x);
bool xfer_run_write(struct xfer *x);

#endif
