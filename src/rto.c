/*
 * rto.c - retransmission timeout estimation after RFC 6298.
 *
 * Pure integer arithmetic in microseconds. Every input is a uint32_t, so
 * sums and products are formed in 64 bits and clamped before they are
 * stored: a hostile or broken clock cannot wrap the timeout to near zero
 * and turn retransmission into a flood.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "rto.h"

/* RFC 6298 section 2: clock granularity G and the RTTVAR factor K. */
#define RTO_G_US 1000
#define RTO_K 4

/*
 * When min > max the caller's configuration is inconsistent; min wins,
 * because a timeout that is too long only slows a transfer, while one
 * that is too short floods the peer.
 */
static uint32_t clamp(uint64_t v, uint32_t lo, uint32_t hi)
{
	if (v > hi)
		v = hi;
	if (v < lo)
		v = lo;
	return (uint32_t)v;
}

/*
 * x + (target - x) / div, with the step rounded away from zero. Plain
 * truncation, as in (7 * SRTT + R) / 8, leaves SRTT stuck up to 7 us
 * below a constant RTT, so RTO would never settle at R + G. Rounding the
 * step up keeps each step within the RFC's 1/div of the distance plus
 * less than 1 us, and never overshoots the target.
 */
static uint32_t ewma(uint32_t x, uint32_t target, uint32_t div)
{
	if (target >= x)
		return x + (uint32_t)(((uint64_t)target - x + div - 1) / div);
	return x - (uint32_t)(((uint64_t)x - target + div - 1) / div);
}

static void rto_compute(struct rto *r)
{
	uint64_t var = (uint64_t)RTO_K * r->rttvar_us;

	if (var < RTO_G_US)
		var = RTO_G_US;
	r->rto_us = clamp(r->srtt_us + var, r->min_us, r->max_us);
}

void rto_init(struct rto *r, uint32_t initial_us, uint32_t min_us, uint32_t max_us)
{
	r->min_us = min_us;
	r->max_us = max_us;
	r->srtt_us = 0;
	r->rttvar_us = 0;
	r->rto_us = clamp(initial_us, min_us, max_us);
	r->have_sample = false;
	r->backoffs = 0;
}

void rto_sample(struct rto *r, uint32_t rtt_us)
{
	if (!r->have_sample) {
		/* RFC 6298 (2.2). */
		r->srtt_us = rtt_us;
		r->rttvar_us = rtt_us / 2;
		r->have_sample = true;
	} else {
		/* RFC 6298 (2.3): RTTVAR first, from the old SRTT. */
		uint32_t delta = r->srtt_us > rtt_us ? r->srtt_us - rtt_us : rtt_us - r->srtt_us;

		r->rttvar_us = ewma(r->rttvar_us, delta, 4);
		r->srtt_us = ewma(r->srtt_us, rtt_us, 8);
	}
	/* RFC 6298 (5.7): a fresh sample replaces the backed-off timeout. */
	r->backoffs = 0;
	rto_compute(r);
}

void rto_raise_min(struct rto *r, uint32_t min_us)
{
	if (min_us > r->max_us)
		min_us = r->max_us;
	if (min_us > r->min_us)
		r->min_us = min_us;
	r->rto_us = clamp(r->rto_us, r->min_us, r->max_us);
}

void rto_backoff(struct rto *r)
{
	/* RFC 6298 (5.5), with max_us as the RFC's optional upper bound. */
	r->rto_us = clamp(2 * (uint64_t)r->rto_us, r->min_us, r->max_us);
	if (r->backoffs < UINT_MAX)
		r->backoffs++;
}

uint32_t rto_timeout(const struct rto *r)
{
	return r->rto_us;
}
