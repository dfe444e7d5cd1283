/*
 * rto.h - retransmission timeout estimator (RFC 6298 style, Karn's rule).
 *
 * Pure integer arithmetic in microseconds.
 */
#ifndef CLOISTER_RTO_H
#define CLOISTER_RTO_H

#include <stdbool.h>
#include <stdint.h>

struct rto {
	uint32_t min_us, max_us;
	uint32_t srtt_us;   /* smoothed RTT, valid when have_sample */
	uint32_t rttvar_us; /* RTT variation */
	uint32_t rto_us;    /* current timeout, including backoff */
	bool have_sample;
	unsigned backoffs;  /* consecutive doublings since the last sample */
};

/* Start with initial_us (clamped to [min_us, max_us]) and no sample. */
void rto_init(struct rto *r, uint32_t initial_us, uint32_t min_us, uint32_t max_us);

/*
 * Feed one round-trip sample, measured only on a packet that was sent
 * exactly once (Karn's rule: the caller decides). First sample: SRTT = R,
 * RTTVAR = R/2; then RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R|, SRTT = 7/8 SRTT
 * + 1/8 R. RTO = SRTT + max(G, 4 RTTVAR) with a clock granularity G of
 * 1 ms, clamped to [min, max]; the backoff is cleared.
 */
void rto_sample(struct rto *r, uint32_t rtt_us);

/* Raise the lower bound to min_us (never past max): the timeout and every
 * backoff start from there. A fixed timeout (min == max) stays as it is. */
void rto_raise_min(struct rto *r, uint32_t min_us);

/* A timer ran out: double the timeout (clamped to max). */
void rto_backoff(struct rto *r);

/* The timeout to arm now, in microseconds. */
uint32_t rto_timeout(const struct rto *r);

#endif
