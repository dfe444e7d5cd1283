/*
 * check-client-limits.c - per-client limits (src/client-limits.c) and the
 * token buckets and log limiter under them (src/rate-limit.c), in
 * simulated time.
 *
 * Rates are checked by exact counts: checked at least as often as tokens
 * arrive, a bucket of rate r and burst b allows exactly b + r * s requests
 * in s seconds. Penalties are scripts of offences and checks with the
 * verdict expected at each.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client-limits.h"
#include "rate-limit.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define S(x) ((uint64_t)(x) * 1000000u)
#define MS(x) ((uint64_t)(x) * 1000u)

static const struct client_limits_config defaults = CLIENT_LIMITS_CONFIG_DEFAULT;

/* Client n: 10.x.y.z, n below 2^24. */
static struct addr_key key_n(uint32_t n)
{
	struct sockaddr_in s;
	struct addr_key k;

	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	s.sin_port = htons(1024 + n % 60000);
	s.sin_addr.s_addr = htonl(0x0a000000u | n);
	ck_assert(addr_key_from((const struct sockaddr *)&s, false, &k));
	return k;
}

static struct addr_key key_str(const char *addr, uint16_t port, uint32_t scope)
{
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;
	struct addr_key k;

	memset(&s4, 0, sizeof(s4));
	memset(&s6, 0, sizeof(s6));
	if (inet_pton(AF_INET, addr, &s4.sin_addr) == 1) {
		s4.sin_family = AF_INET;
		s4.sin_port = htons(port);
		ck_assert(addr_key_from((const struct sockaddr *)&s4, true, &k));
		return k;
	}
	ck_assert_int_eq(inet_pton(AF_INET6, addr, &s6.sin6_addr), 1);
	s6.sin6_family = AF_INET6;
	s6.sin6_port = htons(port);
	s6.sin6_scope_id = scope;
	ck_assert(addr_key_from((const struct sockaddr *)&s6, true, &k));
	return k;
}

static void init(struct client_limits *cl, size_t n, const struct client_limits_config *cfg)
{
	ck_assert_int_eq(client_limits_init(cl, n, cfg), 0);
}

static enum client_verdict check_at(struct client_limits *cl, const struct addr_key *k,
				    uint64_t now)
{
	struct client_penalty p;

	return client_limits_check(cl, k, now, &p);
}

static struct client_limits_config rate_only(unsigned rate, unsigned burst)
{
	struct client_limits_config c = defaults;

	c.rate_per_s = rate;
	c.burst = burst;
	return c;
}

/* ---- the rate ---- */

static const struct {
	unsigned rate, burst; /* burst 0: the rate */
	unsigned seconds;
	uint64_t start_us, step_us;
	unsigned per_step;    /* checks at each step */
	uint64_t allowed;
} counts[] = {
	{ 1, 0, 10, 0, MS(100), 1, 1 + 10 },
	{ 10, 0, 10, 0, MS(10), 1, 10 + 100 },
	{ 1000, 0, 5, 0, 500, 1, 1000 + 5000 },
	{ 1000000, 0, 2, 0, 1, 2, 1000000 + 2000000 },
	/* Burst other than the rate, and a rate that does not divide 10^6. */
	{ 10, 1, 10, 0, MS(10), 1, 1 + 100 },
	{ 1, 5, 10, 0, MS(100), 1, 5 + 10 },
	{ 3, 0, 2, 0, MS(1), 1, 3 + 6 },
	{ 7, 2, 3, 12345, 300, 1, 2 + 21 },
	/* Far out on the clock. */
	{ 10, 0, 10, UINT64_MAX / 2, MS(10), 1, 10 + 100 },
	{ 1000000, 0, 1, UINT64_MAX / 2 - 1, 1, 3, 1000000 + 1000000 },
	{ 1000000, 1000000, 1, UINT64_MAX - S(2), 1, 2, 1000000 + 1000000 },
};

START_TEST(test_rate_counts)
{
	struct client_limits_config cfg = rate_only(counts[_i].rate, counts[_i].burst);
	struct client_limits cl;
	struct addr_key k = key_n(1);
	uint64_t allowed = 0, limited = 0, end = counts[_i].start_us + S(counts[_i].seconds);

	init(&cl, 16, &cfg);
	for (uint64_t t = counts[_i].start_us; t <= end; t += counts[_i].step_us) {
		for (unsigned j = 0; j < counts[_i].per_step; j++) {
			enum client_verdict v = check_at(&cl, &k, t);

			ck_assert(v == CLIENT_OK || v == CLIENT_RATE_LIMITED);
			if (v == CLIENT_OK)
				allowed++;
			else
				limited++;
		}
	}
	ck_assert_msg(allowed == counts[_i].allowed, "row %d: %llu allowed, want %llu", _i,
		      (unsigned long long)allowed, (unsigned long long)counts[_i].allowed);
	ck_assert_uint_gt(limited, 0);
	client_limits_free(&cl);
}
END_TEST

/* n checks of k at t: how many were allowed. */
static unsigned allowed_at(struct client_limits *cl, const struct addr_key *k, uint64_t t,
			   unsigned n)
{
	unsigned ok = 0;

	for (unsigned i = 0; i < n; i++)
		ok += check_at(cl, k, t) == CLIENT_OK;
	return ok;
}

/* Rate 10, burst 10: a hundred requests at each time, and how many of
 * them get through. */
static const struct {
	const char *name;
	struct {
		uint64_t t;
		unsigned allowed; /* of 100 */
	} at[8];
} idles[] = {
	/* A drained bucket refills at the rate while idle, never past the
	 * burst, whatever the gap. */
	{ "refill", { { S(1), 10 }, { S(1) + MS(99), 0 }, { S(1) + MS(100), 1 },
		      { S(1) + MS(600), 5 }, { S(3600), 10 }, { UINT64_MAX, 10 },
		      { UINT64_MAX, 0 } } },
	/* A clock that goes back gives nothing, and spoils nothing after (a
	 * time of 0 ends a row). */
	{ "time back", { { S(100), 10 }, { S(50), 0 }, { 1, 0 }, { S(100) + MS(100), 1 } } },
};

START_TEST(test_rate_idle)
{
	struct client_limits_config cfg = rate_only(10, 10);
	struct client_limits cl;
	struct addr_key k = key_n(2);

	init(&cl, 16, &cfg);
	for (size_t i = 0; i < ARRAY_SIZE(idles[_i].at) && idles[_i].at[i].t; i++)
		ck_assert_msg(allowed_at(&cl, &k, idles[_i].at[i].t, 100) ==
				      idles[_i].at[i].allowed,
			      "%s, step %zu", idles[_i].name, i);
	client_limits_free(&cl);
}
END_TEST

/* Rate and burst at their largest, over the longest gaps, on the bucket
 * itself: nothing overflows, and a bucket is full when it should be. */
START_TEST(test_bucket_extremes)
{
	struct rate_bucket b;
	unsigned n = 0;

	rate_bucket_fill(&b, RATE_LIMIT_MAX);
	ck_assert(rate_bucket_is_full(&b, RATE_LIMIT_MAX, RATE_LIMIT_MAX, 0));
	while (rate_bucket_take(&b, RATE_LIMIT_MAX, RATE_LIMIT_MAX, UINT64_MAX / 2))
		n++;
	ck_assert_uint_eq(n, RATE_LIMIT_MAX);
	ck_assert(!rate_bucket_is_full(&b, 1, RATE_LIMIT_MAX, UINT64_MAX / 2 + S(999999)));
	ck_assert(rate_bucket_is_full(&b, 1, RATE_LIMIT_MAX, UINT64_MAX / 2 + S(1000000)));
	ck_assert(rate_bucket_is_full(&b, 1, RATE_LIMIT_MAX, UINT64_MAX));
	/* Beyond the bounds is the bound. */
	rate_bucket_fill(&b, UINT32_MAX);
	ck_assert_uint_eq(b.credit, (uint64_t)RATE_LIMIT_MAX * 1000000u);
	/* Two taken, and a microsecond brings one back, not 4294. */
	ck_assert(rate_bucket_take(&b, UINT32_MAX, UINT32_MAX, UINT64_MAX - 1));
	ck_assert(rate_bucket_take(&b, UINT32_MAX, UINT32_MAX, UINT64_MAX - 1));
	ck_assert(!rate_bucket_is_full(&b, UINT32_MAX, UINT32_MAX, UINT64_MAX));
	ck_assert(rate_bucket_take(&b, UINT32_MAX, UINT32_MAX, UINT64_MAX));
	ck_assert_uint_eq(b.credit, (uint64_t)(RATE_LIMIT_MAX - 2) * 1000000u);
	/* Rate 0 refills nothing; burst 0 allows nothing. */
	rate_bucket_fill(&b, 1);
	ck_assert(rate_bucket_take(&b, 0, 1, 5));
	ck_assert(!rate_bucket_take(&b, 0, 1, UINT64_MAX));
	rate_bucket_fill(&b, 0);
	ck_assert(!rate_bucket_take(&b, 1000, 0, UINT64_MAX));
}
END_TEST

/* Without a rate nothing is limited, and no entry is made for it. */
START_TEST(test_rate_off)
{
	struct client_limits_config cfg = rate_only(0, 0);
	struct client_limits cl;

	init(&cl, 4, &cfg);
	for (uint32_t n = 0; n < 100; n++) {
		struct addr_key k = key_n(n);

		ck_assert_uint_eq(allowed_at(&cl, &k, S(1), 100), 100);
	}
	ck_assert_uint_eq(cl.n_used, 0);
	ck_assert_uint_eq(cl.untracked, 0);
	client_limits_free(&cl);
}
END_TEST

/* ---- penalties, as scripts ---- */

enum op { END, OFF, CHK };
#define M CLIENT_OFFENCE_MALFORMED
#define C CLIENT_OFFENCE_CRASH
#define OK CLIENT_OK
#define RL CLIENT_RATE_LIMITED
#define PEN CLIENT_PENALISED

struct step {
	enum op op;
	uint32_t addr;
	uint64_t t;       /* microseconds */
	unsigned arg;     /* OFF: the offence; CHK: the verdict */
	uint64_t until;   /* CHK PEN: until when */
	unsigned why;     /* CHK PEN: why */
	unsigned repeat;  /* 0: once */
};

#define OFFENCE(a, t, o, n) { OFF, a, t, o, 0, 0, n }
#define EXPECT(a, t, v) { CHK, a, t, v, 0, 0, 0 }
#define REFUSED(a, t, u, w) { CHK, a, t, PEN, u, w, 0 }

static const struct {
	const char *name;
	unsigned malformed, crash, min, max, rate;
	struct step step[16];
} scripts[] = {
	{ "malformed requests add up to the minimum", 1, 90, 15, 600, 50, {
		OFFENCE(1, S(10), M, 14), EXPECT(1, S(10), OK),
		OFFENCE(1, S(10), M, 1),
		REFUSED(1, S(10), S(25), M), REFUSED(1, S(25) - 1, S(25), M),
		EXPECT(1, S(25), OK),
		/* Run out, it is forgotten: one more is no refusal. */
		OFFENCE(1, S(25), M, 1), EXPECT(1, S(25), OK),
	} },
	{ "penalties run down between offences", 1, 90, 15, 600, 50, {
		OFFENCE(1, 0, M, 10), OFFENCE(1, S(6), M, 10), EXPECT(1, S(6), OK),
		OFFENCE(1, S(6), M, 1), REFUSED(1, S(6), S(21), M),
	} },
	{ "the cap", 1, 90, 15, 600, 50, {
		OFFENCE(1, S(1), M, 1000), REFUSED(1, S(1), S(601), M),
		OFFENCE(1, S(300), C, 5), REFUSED(1, S(300), S(900), C),
		EXPECT(1, S(900), OK),
		/* Capped when added, not only when next checked. */
		OFFENCE(2, S(1), M, 1000), REFUSED(2, S(500), S(601), M),
	} },
	{ "one crash refuses at once, crashes add up", 1, 90, 15, 600, 50, {
		OFFENCE(2, S(5), C, 1), REFUSED(2, S(5), S(95), C),
		OFFENCE(2, S(15), C, 1), REFUSED(2, S(15), S(185), C),
		EXPECT(3, S(15), OK), EXPECT(2, S(185), OK),
	} },
	{ "the gravest offence is the reason", 1, 90, 15, 600, 50, {
		OFFENCE(1, 0, M, 20), REFUSED(1, 0, S(20), M),
		OFFENCE(1, 0, C, 1), REFUSED(1, 0, S(110), C),
		OFFENCE(1, 0, M, 1), REFUSED(1, 0, S(111), C),
	} },
	{ "malformed disabled", 0, 90, 15, 600, 50, {
		OFFENCE(1, 0, M, 1000), EXPECT(1, 0, OK),
		OFFENCE(1, 0, C, 1), REFUSED(1, 0, S(90), C),
	} },
	{ "crash disabled", 1, 0, 15, 600, 50, {
		OFFENCE(1, 0, C, 1000), EXPECT(1, 0, OK),
	} },
	{ "no penalties at all", 1, 90, 15, 0, 50, {
		OFFENCE(1, 0, M, 1000), OFFENCE(1, 0, C, 1000), EXPECT(1, 0, OK),
	} },
	{ "a minimum of 0 refuses at the first offence", 1, 90, 0, 600, 50, {
		OFFENCE(1, 0, M, 1), REFUSED(1, 0, S(1), M), EXPECT(1, S(1), OK),
	} },
	{ "a penalised request spends a token", 1, 90, 15, 600, 2, {
		OFFENCE(1, 0, C, 1), REFUSED(1, 0, S(90), C), REFUSED(1, 0, S(90), C),
		EXPECT(1, 0, RL), REFUSED(1, MS(500), S(90), C), EXPECT(1, MS(500), RL),
	} },
	{ "without a rate, penalties still refuse", 1, 90, 15, 600, 0, {
		EXPECT(1, 0, OK), OFFENCE(1, 0, C, 1), REFUSED(1, S(1), S(90), C),
		EXPECT(1, S(90), OK),
	} },
	{ "a clock near its end", 1, 90, 15, 600, 50, {
		OFFENCE(1, UINT64_MAX - S(100), C, 1),
		REFUSED(1, UINT64_MAX - S(100), UINT64_MAX - S(10), C),
		OFFENCE(1, UINT64_MAX - S(100), C, 100),
		REFUSED(1, UINT64_MAX - S(1), UINT64_MAX, C),
	} },
};

static void run_step(struct client_limits *cl, const struct step *s, const char *name, int i)
{
	struct addr_key k = key_n(s->addr);
	struct client_penalty p = { 0xdead, CLIENT_OFFENCE_MAX };
	enum client_verdict v;

	if (s->op == OFF) {
		for (unsigned n = 0; n < (s->repeat ? s->repeat : 1); n++)
			client_limits_offence(cl, &k, (enum client_offence)s->arg, s->t);
		return;
	}
	v = client_limits_check(cl, &k, s->t, &p);
	ck_assert_msg(v == s->arg, "%s, step %d: verdict %d, want %u", name, i, v, s->arg);
	if (v == CLIENT_PENALISED) {
		ck_assert_msg(p.until_us == s->until && p.why == s->why,
			      "%s, step %d: until %llu why %d", name, i,
			      (unsigned long long)p.until_us, p.why);
	} else {
		/* Left alone. */
		ck_assert_uint_eq(p.until_us, 0xdead);
		ck_assert_int_eq(p.why, CLIENT_OFFENCE_MAX);
	}
}

START_TEST(test_penalty_script)
{
	struct client_limits_config cfg = defaults;
	struct client_limits cl;

	cfg.penalty_malformed_s = scripts[_i].malformed;
	cfg.penalty_crash_s = scripts[_i].crash;
	cfg.penalty_min_s = scripts[_i].min;
	cfg.penalty_max_s = scripts[_i].max;
	cfg.rate_per_s = scripts[_i].rate;
	cfg.burst = 0;
	init(&cl, 16, &cfg);
	for (int i = 0; scripts[_i].step[i].op != END; i++)
		run_step(&cl, &scripts[_i].step[i], scripts[_i].name, i);
	client_limits_free(&cl);
}
END_TEST

/* ---- the table when full ---- */

/* A flood of 100000 addresses through a table of 1024 leaves an
 * offender's penalty, and a penalty still short of the minimum, alone. */
START_TEST(test_evict_flood)
{
	struct client_limits cl;
	struct client_penalty p;
	struct addr_key offender = key_n(1), slow = key_n(2);
	uint64_t t = S(1000);

	init(&cl, 1024, &defaults);
	client_limits_offence(&cl, &offender, CLIENT_OFFENCE_CRASH, t);
	for (int i = 0; i < 10; i++)
		client_limits_offence(&cl, &slow, CLIENT_OFFENCE_MALFORMED, t);
	for (uint32_t n = 0; n < 100000; n++) {
		struct addr_key k = key_n(1000 + n);

		ck_assert_int_eq(check_at(&cl, &k, t + n), CLIENT_OK);
	}
	/* Two entries held, the rest turned over. */
	ck_assert_uint_eq(cl.evicted, 100000 - 1022);
	ck_assert_uint_eq(cl.untracked, 0);
	ck_assert_int_eq(client_limits_check(&cl, &offender, t + S(1), &p), CLIENT_PENALISED);
	ck_assert_uint_eq(p.until_us, t + S(90));
	/* 9 s left of 10, and 6 more: the minimum. */
	for (int i = 0; i < 5; i++)
		client_limits_offence(&cl, &slow, CLIENT_OFFENCE_MALFORMED, t + S(1));
	ck_assert_int_eq(check_at(&cl, &slow, t + S(1)), CLIENT_OK);
	client_limits_offence(&cl, &slow, CLIENT_OFFENCE_MALFORMED, t + S(1));
	ck_assert_int_eq(client_limits_check(&cl, &slow, t + S(1), &p), CLIENT_PENALISED);
	ck_assert_uint_eq(p.until_us, t + S(16));
	client_limits_free(&cl);
}
END_TEST

/* With every entry penalised a new address is not limited, nor can it be
 * penalised; once a penalty runs out, its entry is the one reused. */
START_TEST(test_evict_all_penalised)
{
	struct client_limits cl;
	struct addr_key late = key_n(100);

	init(&cl, 8, &defaults);
	for (uint32_t n = 0; n < 8; n++) {
		struct addr_key k = key_n(n);

		client_limits_offence(&cl, &k, CLIENT_OFFENCE_CRASH, S(n));
	}
	ck_assert_uint_eq(allowed_at(&cl, &late, S(10), 1000), 1000);
	ck_assert_uint_eq(cl.untracked, 1000);
	client_limits_offence(&cl, &late, CLIENT_OFFENCE_CRASH, S(10));
	ck_assert_uint_eq(cl.offences_lost, 1);
	ck_assert_uint_eq(cl.evicted, 0);
	/* Address 0's penalty ends at 90 s: its entry goes to the newcomer. */
	ck_assert_uint_eq(allowed_at(&cl, &late, S(90), 1000), 50);
	ck_assert_uint_eq(cl.evicted, 1);
	ck_assert_uint_eq(cl.untracked, 1000);
	for (uint32_t n = 1; n < 8; n++) {
		struct addr_key k = key_n(n);

		ck_assert_int_eq(check_at(&cl, &k, S(90)), CLIENT_PENALISED);
	}
	client_limits_free(&cl);
}
END_TEST

/* Of the oldest entries, one whose bucket is full goes first: forgetting
 * a drained bucket would hand its flooder a new burst. */
START_TEST(test_evict_full_bucket_first)
{
	struct client_limits_config cfg = rate_only(10, 10);
	struct client_limits cl;
	struct addr_key a = key_n(1), b = key_n(2), e = key_n(5);

	init(&cl, 4, &cfg);
	ck_assert_uint_eq(allowed_at(&cl, &a, 0, 20), 10);
	for (uint32_t n = 2; n <= 4; n++) {
		struct addr_key k = key_n(n);

		ck_assert_int_eq(check_at(&cl, &k, 0), CLIENT_OK);
	}
	/* 100 ms on, 2..4 are full again, 1 (the oldest) is not. */
	ck_assert_int_eq(check_at(&cl, &e, MS(100)), CLIENT_OK);
	ck_assert_uint_eq(cl.evicted, 1);
	ck_assert_uint_eq(allowed_at(&cl, &a, MS(100), 20), 1);
	/* 2 was forgotten, and comes back with the full burst it had. */
	ck_assert_uint_eq(allowed_at(&cl, &b, MS(100), 20), 10);
	ck_assert_uint_eq(cl.evicted, 2);
	client_limits_free(&cl);
}
END_TEST

/* With no full bucket among the oldest, the oldest goes. */
START_TEST(test_evict_oldest)
{
	struct client_limits_config cfg = rate_only(10, 10);
	struct client_limits cl;
	struct addr_key first = key_n(1), last = key_n(100);

	init(&cl, 8, &cfg);
	for (uint32_t n = 1; n <= 8; n++) {
		struct addr_key k = key_n(n);

		ck_assert_uint_eq(allowed_at(&cl, &k, 0, 20), 10);
	}
	ck_assert_int_eq(check_at(&cl, &last, 0), CLIENT_OK);
	/* 1 was forgotten: a full burst again (and room for it costs 2 its
	 * entry); 3..8 keep their drained buckets. */
	ck_assert_uint_eq(allowed_at(&cl, &first, 0, 20), 10);
	for (uint32_t n = 3; n <= 8; n++) {
		struct addr_key k = key_n(n);

		ck_assert_uint_eq(allowed_at(&cl, &k, 0, 20), 0);
	}
	client_limits_free(&cl);
}
END_TEST

/* ---- keys ---- */

static bool same_client(const struct client_limits_config *cfg, const struct addr_key *a,
			const struct addr_key *b)
{
	struct client_limits cl;
	bool same;

	init(&cl, 16, cfg);
	client_limits_offence(&cl, a, CLIENT_OFFENCE_CRASH, 0);
	same = check_at(&cl, b, 0) == CLIENT_PENALISED;
	client_limits_free(&cl);
	return same;
}

static const struct {
	const char *a;
	uint32_t scope_a;
	const char *b;
	uint32_t scope_b;
	unsigned prefix;
	bool same;
} keys[] = {
	{ "192.0.2.1", 0, "::ffff:192.0.2.1", 0, 128, true },
	{ "192.0.2.1", 0, "192.0.2.2", 0, 128, false },
	{ "192.0.2.1", 0, "192.0.2.2", 0, 64, false },
	{ "2001:db8::1", 0, "2001:db8::2", 0, 128, false },
	{ "2001:db8::1", 0, "2001:db8::2", 0, 0, false },
	{ "2001:db8::1", 0, "2001:db8::ffff:ffff:ffff:ffff", 0, 64, true },
	{ "2001:db8::1", 0, "2001:db8:0:1::1", 0, 64, false },
	{ "2001:db8:0:0:8000::1", 0, "2001:db8::1", 0, 65, false },
	{ "2001:db8:0:0:7fff::1", 0, "2001:db8::1", 0, 65, true },
	{ "2001:db8::1", 0, "2001:db8::", 0, 127, true },
	{ "2001:db8::1", 0, "2001:db8::", 0, 128, false },
	{ "2001:db8::1", 0, "2001:db9::1", 0, 16, true },
	{ "2001:db8::1", 0, "3001::1", 0, 1, true },
	{ "2001:db8::1", 0, "a001:db8::1", 0, 1, false },
	{ "fe80::1", 2, "fe80::1", 3, 128, false },
	{ "fe80::1", 2, "fe80::2", 2, 64, true },
	{ "fe80::1", 2, "fe80::2", 3, 64, false },
	/* The IPv4 key is not masked by the IPv6 prefix. */
	{ "192.0.2.1", 0, "192.0.2.1", 0, 1, true },
	{ "192.0.2.1", 0, "::ffff:192.0.2.7", 0, 1, false },
};

START_TEST(test_keys)
{
	struct client_limits_config cfg = defaults;
	struct addr_key a = key_str(keys[_i].a, 1069, keys[_i].scope_a);
	struct addr_key b = key_str(keys[_i].b, 2000, keys[_i].scope_b);

	cfg.ipv6_prefix_len = keys[_i].prefix;
	ck_assert_msg(same_client(&cfg, &a, &b) == keys[_i].same, "row %d", _i);
	ck_assert_msg(same_client(&cfg, &b, &a) == keys[_i].same, "row %d reversed", _i);
}
END_TEST

/* Ports are no part of a client: a drained bucket stays drained. */
START_TEST(test_keys_ports)
{
	struct client_limits_config cfg = rate_only(5, 5);
	struct client_limits cl;
	struct addr_key a = key_str("192.0.2.9", 1000, 0), b = key_str("192.0.2.9", 1001, 0);
	struct addr_key m = key_str("::ffff:192.0.2.9", 1002, 0);

	init(&cl, 16, &cfg);
	ck_assert_uint_eq(allowed_at(&cl, &a, 0, 3), 3);
	ck_assert_uint_eq(allowed_at(&cl, &b, 0, 3), 2);
	ck_assert_uint_eq(allowed_at(&cl, &m, 0, 3), 0);
	ck_assert_uint_eq(cl.n_used, 1);
	client_limits_free(&cl);
}
END_TEST

/* ---- configuration ---- */

START_TEST(test_config_invalid)
{
	struct client_limits_config cfg = defaults, ok = defaults;
	struct client_limits cl;
	unsigned *fields[] = { &cfg.rate_per_s, &cfg.burst, &cfg.penalty_malformed_s,
			       &cfg.penalty_crash_s, &cfg.penalty_max_s, &cfg.ipv6_prefix_len };
	unsigned over[] = { RATE_LIMIT_MAX + 1, RATE_LIMIT_MAX + 1,
			    CLIENT_LIMITS_PENALTY_MAX_S + 1, CLIENT_LIMITS_PENALTY_MAX_S + 1,
			    CLIENT_LIMITS_PENALTY_MAX_S + 1, 129 };

	ck_assert_int_eq(client_limits_init(&cl, 0, &ok), -EINVAL);
	ck_assert_int_eq(client_limits_init(&cl, CLIENT_LIMITS_MAX_ENTRIES + 1, &ok), -EINVAL);
	init(&cl, CLIENT_LIMITS_MAX_ENTRIES, &ok);
	client_limits_free(&cl);
	init(&cl, 4, &ok);
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		struct client_limits other;

		cfg = ok;
		*fields[i] = over[i] - 1;
		ck_assert_int_eq(client_limits_set_config(&cl, &cfg), 0);
		*fields[i] = over[i];
		ck_assert_int_eq(client_limits_set_config(&cl, &cfg), -EINVAL);
		ck_assert_int_eq(client_limits_init(&other, 4, &cfg), -EINVAL);
	}
	/* The minimum may not pass a cap, but is free when there are none. */
	cfg = ok;
	cfg.penalty_min_s = cfg.penalty_max_s + 1;
	ck_assert_int_eq(client_limits_set_config(&cl, &cfg), -EINVAL);
	cfg.penalty_max_s = 0;
	ck_assert_int_eq(client_limits_set_config(&cl, &cfg), 0);
	/* A refused configuration changed nothing. */
	cfg = ok;
	cfg.rate_per_s = RATE_LIMIT_MAX + 1;
	ck_assert_int_eq(client_limits_set_config(&cl, &ok), 0);
	ck_assert_int_eq(client_limits_set_config(&cl, &cfg), -EINVAL);
	ck_assert_mem_eq(&cl.cfg, &ok, sizeof(ok));
	client_limits_free(&cl);
}
END_TEST

/* A reload keeps penalties and buckets; a lower cap shortens a penalty,
 * a cap of 0 ends it. */
START_TEST(test_config_keeps_state)
{
	struct client_limits_config cfg = defaults;
	struct client_limits cl;
	struct client_penalty p;
	struct addr_key bad = key_n(1), busy = key_n(2);

	init(&cl, 16, &cfg);
	client_limits_offence(&cl, &bad, CLIENT_OFFENCE_CRASH, 0);
	client_limits_offence(&cl, &bad, CLIENT_OFFENCE_CRASH, 0);
	ck_assert_uint_eq(allowed_at(&cl, &busy, 0, 100), 50);
	cfg.rate_per_s = 100;
	cfg.burst = 0;
	ck_assert_int_eq(client_limits_set_config(&cl, &cfg), 0);
	/* The drained bucket refills at the new rate. */
	ck_assert_uint_eq(allowed_at(&cl, &busy, MS(10), 100), 1);
	ck_assert_int_eq(client_limits_check(&cl, &bad, S(1), &p), CLIENT_PENALISED);
	ck_assert_uint_eq(p.until_us, S(180));
	cfg.penalty_max_s = 60;
	cfg.penalty_min_s = 15;
	ck_assert_int_eq(client_limits_set_config(&cl, &cfg), 0);
	ck_assert_int_eq(client_limits_check(&cl, &bad, S(10), &p), CLIENT_PENALISED);
	ck_assert_uint_eq(p.until_us, S(70));
	/* A lower burst caps the credit held. */
	cfg.burst = 3;
	ck_assert_int_eq(client_limits_set_config(&cl, &cfg), 0);
	ck_assert_uint_eq(allowed_at(&cl, &busy, S(100), 100), 3);
	cfg.penalty_max_s = 0;
	ck_assert_int_eq(client_limits_set_config(&cl, &cfg), 0);
	ck_assert_int_eq(check_at(&cl, &bad, S(11)), CLIENT_OK);
	client_limits_free(&cl);
}
END_TEST

/* ---- the log limiter ---- */

START_TEST(test_log_burst)
{
	struct log_limiter l;
	unsigned sup = 12345, allowed = 0;

	log_limiter_init(&l, 10);
	for (int i = 0; i < 25; i++)
		allowed += log_limiter_allow(&l, 0, S(5), &sup);
	ck_assert_uint_eq(allowed, 10);
	ck_assert_uint_eq(sup, 0);
	/* Another reason has its own limit. */
	ck_assert(log_limiter_allow(&l, 1, S(5), &sup));
	ck_assert_uint_eq(sup, 0);
	sup = 12345;
	ck_assert(!log_limiter_allow(&l, 0, S(5) + MS(99), &sup));
	ck_assert_uint_eq(sup, 12345);
	ck_assert(log_limiter_allow(&l, 0, S(5) + MS(100), &sup));
	ck_assert_uint_eq(sup, 16);
	ck_assert(!log_limiter_allow(&l, 0, S(5) + MS(100), &sup));
	ck_assert_uint_eq(log_limiter_take_suppressed(&l, 0), 1);
	ck_assert_uint_eq(log_limiter_take_suppressed(&l, 0), 0);
	ck_assert(log_limiter_allow(&l, 0, S(6), &sup));
	ck_assert_uint_eq(sup, 0);
}
END_TEST

/* Reasons past the last share its limit. */
START_TEST(test_log_reason_bounds)
{
	struct log_limiter l;
	unsigned sup, allowed = 0;

	log_limiter_init(&l, 2);
	allowed += log_limiter_allow(&l, LOG_LIMIT_REASONS - 1, 0, &sup);
	allowed += log_limiter_allow(&l, LOG_LIMIT_REASONS, 0, &sup);
	allowed += log_limiter_allow(&l, UINT32_MAX, 0, &sup);
	ck_assert_uint_eq(allowed, 2);
	ck_assert_uint_eq(log_limiter_take_suppressed(&l, LOG_LIMIT_REASONS + 7), 1);
}
END_TEST

/* 0 lets every line through. */
START_TEST(test_log_no_limit)
{
	struct log_limiter l;
	unsigned sup = 7;

	log_limiter_init(&l, 0);
	for (int i = 0; i < 100000; i++)
		ck_assert(log_limiter_allow(&l, 3, 0, &sup));
	ck_assert_uint_eq(sup, 0);
}
END_TEST

/* A minute of 1000 refusals a second: exactly 10 + 600 lines, and every
 * other line counted once as suppressed. */
START_TEST(test_log_minute)
{
	struct log_limiter l;
	uint64_t lines = 0, reported = 0, calls = 0;
	unsigned sup;

	log_limiter_init(&l, LOG_LIMIT_DEFAULT_PER_S);
	for (uint64_t t = S(7); t <= S(67); t += MS(1)) {
		calls++;
		if (log_limiter_allow(&l, 4, t, &sup)) {
			lines++;
			reported += sup;
			ck_assert_uint_le(sup, 100);
		}
	}
	ck_assert_uint_eq(lines, 10 + 600);
	ck_assert_uint_eq(reported + log_limiter_take_suppressed(&l, 4), calls - lines);
}
END_TEST

static Suite *client_limits_suite(void)
{
	Suite *s = suite_create("client-limits");
	TCase *tc;

	tc = tcase_create("rate");
	tcase_add_loop_test(tc, test_rate_counts, 0, (int)ARRAY_SIZE(counts));
	tcase_add_loop_test(tc, test_rate_idle, 0, (int)ARRAY_SIZE(idles));
	tcase_add_test(tc, test_bucket_extremes);
	tcase_add_test(tc, test_rate_off);
	suite_add_tcase(s, tc);

	tc = tcase_create("penalties");
	tcase_add_loop_test(tc, test_penalty_script, 0, (int)ARRAY_SIZE(scripts));
	suite_add_tcase(s, tc);

	tc = tcase_create("eviction");
	tcase_add_test(tc, test_evict_flood);
	tcase_add_test(tc, test_evict_all_penalised);
	tcase_add_test(tc, test_evict_full_bucket_first);
	tcase_add_test(tc, test_evict_oldest);
	suite_add_tcase(s, tc);

	tc = tcase_create("keys");
	tcase_add_loop_test(tc, test_keys, 0, (int)ARRAY_SIZE(keys));
	tcase_add_test(tc, test_keys_ports);
	suite_add_tcase(s, tc);

	tc = tcase_create("config");
	tcase_add_test(tc, test_config_invalid);
	tcase_add_test(tc, test_config_keeps_state);
	suite_add_tcase(s, tc);

	tc = tcase_create("log");
	tcase_add_test(tc, test_log_burst);
	tcase_add_test(tc, test_log_reason_bounds);
	tcase_add_test(tc, test_log_no_limit);
	tcase_add_test(tc, test_log_minute);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(client_limits_suite());
	int number_failed;

	srunner_run_all(sr, CK_ENV);
	number_failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return number_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
