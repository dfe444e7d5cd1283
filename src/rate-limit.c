/*
 * rate-limit.c - token buckets in integer microseconds, and the log line
 * limiter. See rate-limit.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <limits.h>
#include <string.h>

#include "rate-limit.h"

/* One event's credit. A rate of r events a second is r units a
 * microsecond, exactly: no rate needs a rounded interval between events,
 * so a rate of 3 allows 3 a second, not 2 or 4. */
#define UNIT 1000000u

static unsigned bounded(unsigned v)
{
	return v > RATE_LIMIT_MAX ? RATE_LIMIT_MAX : v;
}

/* b's credit at now_us, capped at burst. */
static uint64_t credit_at(const struct rate_bucket *b, unsigned rate, unsigned burst,
			  uint64_t now_us)
{
	uint64_t cap = (uint64_t)bounded(burst) * UNIT, dt, gain;

	if (b->credit >= cap)
		return cap;
	if (rate == 0 || now_us <= b->last_us)
		return b->credit;
	dt = now_us - b->last_us;
	/* A bucket empty for cap microseconds is full even at rate 1; below
	 * that, dt * rate < 10^12 * 10^6 fits in 64 bits, whatever the gap. */
	if (dt >= cap)
		return cap;
	gain = dt * bounded(rate);
	return gain >= cap - b->credit ? cap : b->credit + gain;
}

void rate_bucket_fill(struct rate_bucket *b, unsigned burst)
{
	b->credit = (uint64_t)bounded(burst) * UNIT;
	b->last_us = 0;
}

bool rate_bucket_take(struct rate_bucket *b, unsigned rate, unsigned burst, uint64_t now_us)
{
	b->credit = credit_at(b, rate, burst, now_us);
	if (now_us > b->last_us)
		b->last_us = now_us;
	if (b->credit < UNIT)
		return false;
	b->credit -= UNIT;
	return true;
}

bool rate_bucket_is_full(const struct rate_bucket *b, unsigned rate, unsigned burst,
			 uint64_t now_us)
{
	return credit_at(b, rate, burst, now_us) == (uint64_t)bounded(burst) * UNIT;
}

void log_limiter_init(struct log_limiter *l, unsigned lines_per_s)
{
	memset(l, 0, sizeof(*l));
	l->lines_per_s = bounded(lines_per_s);
	for (unsigned i = 0; i < LOG_LIMIT_REASONS; i++)
		rate_bucket_fill(&l->reason[i].bucket, l->lines_per_s);
}

static unsigned slot_of(unsigned reason)
{
	return reason < LOG_LIMIT_REASONS ? reason : LOG_LIMIT_REASONS - 1;
}

bool log_limiter_allow(struct log_limiter *l, unsigned reason, uint64_t now_us,
		       unsigned *ret_suppressed)
{
	unsigned r = slot_of(reason);

	if (l->lines_per_s != 0 &&
	    !rate_bucket_take(&l->reason[r].bucket, l->lines_per_s, l->lines_per_s, now_us)) {
		if (l->reason[r].suppressed < UINT_MAX)
			l->reason[r].suppressed++;
		return false;
	}
	*ret_suppressed = log_limiter_take_suppressed(l, r);
	return true;
}

unsigned log_limiter_take_suppressed(struct log_limiter *l, unsigned reason)
{
	unsigned r = slot_of(reason), n = l->reason[r].suppressed;

	l->reason[r].suppressed = 0;
	return n;
}
