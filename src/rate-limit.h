/*
 * rate-limit.h - token buckets, and the limiter of repeated log lines
 * built on them.
 *
 * Pure: the caller passes the time (microseconds of a monotonic clock);
 * nothing here reads a clock, allocates or logs. The arithmetic is in
 * integers and cannot overflow for any time and any rate and burst up to
 * RATE_LIMIT_MAX: larger ones are taken as RATE_LIMIT_MAX.
 */
#ifndef CLOISTER_RATE_LIMIT_H
#define CLOISTER_RATE_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

/* The largest rate (events per second) and burst (events). */
#define RATE_LIMIT_MAX 1000000u

/*
 * A bucket of credit, in millionths of an event: `rate` events a second
 * flow in, one microsecond at a time, up to `burst` events; an event takes
 * one. Rate and burst are not stored, so that a new configuration applies
 * to the credit a bucket already holds.
 */
struct rate_bucket {
	uint64_t credit;  /* 0 .. burst * 1000000 */
	uint64_t last_us; /* when credit was last brought up to date */
};

/* Fill b to burst, as a bucket never used. */
void rate_bucket_fill(struct rate_bucket *b, unsigned burst);

/* Take one event's credit at now_us: true when there was one. A now_us
 * before the last one adds nothing (and does not move the bucket back). */
bool rate_bucket_take(struct rate_bucket *b, unsigned rate, unsigned burst, uint64_t now_us);

/* Whether b holds its whole burst at now_us: forgetting it then loses
 * nothing, since a new bucket starts full. */
bool rate_bucket_is_full(const struct rate_bucket *b, unsigned rate, unsigned burst,
			 uint64_t now_us);

/*
 * Log lines of refusals, limited per reason: each reason may log
 * `lines_per_s` lines a second, with as many in a burst; a line over that
 * is suppressed, and counted, so that the next line let through can say
 * how many were not written. Reasons are 0..LOG_LIMIT_REASONS-1, chosen by
 * the caller; a larger one shares the last reason's limit.
 */
#define LOG_LIMIT_REASONS 16
#define LOG_LIMIT_DEFAULT_PER_S 10

struct log_limiter {
	unsigned lines_per_s; /* 0: no limit */
	struct {
		struct rate_bucket bucket;
		unsigned suppressed; /* since the last line let through; saturates */
	} reason[LOG_LIMIT_REASONS];
};

/* lines_per_s a second for each reason (0: every line is let through);
 * more than RATE_LIMIT_MAX is RATE_LIMIT_MAX. Every reason starts with a
 * full burst and nothing suppressed. */
void log_limiter_init(struct log_limiter *l, unsigned lines_per_s);

/* Whether a line of reason may be logged at now_us. When true,
 * *ret_suppressed is the number of lines of that reason suppressed since
 * the last one let through (and the count starts again from 0); when
 * false, the line is counted as suppressed and *ret_suppressed is left
 * alone. */
bool log_limiter_allow(struct log_limiter *l, unsigned reason, uint64_t now_us,
		       unsigned *ret_suppressed);

/* The lines of reason suppressed since the last one let through, and the
 * count starts again from 0: for a summary when a flood has stopped and no
 * further line would report it. */
unsigned log_limiter_take_suppressed(struct log_limiter *l, unsigned reason);

#endif
