/*
 * check-rto.c - unit tests for the retransmission timeout estimator
 * (src/rto.c).
 *
 * Expected values are worked out by hand from RFC 6298 (2.2)-(2.4) with
 * G = 1000 us and K = 4.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "rto.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MS 1000u
#define SEC 1000000u

static const struct {
	uint32_t initial, min, max, want;
} init_rows[] = {
	{ 1 * SEC, 100 * MS, 60 * SEC, 1 * SEC },
	{ 10 * MS, 100 * MS, 60 * SEC, 100 * MS }, /* below min */
	{ 90 * SEC, 100 * MS, 60 * SEC, 60 * SEC }, /* above max */
	{ 0, 0, UINT32_MAX, 0 },
	{ UINT32_MAX, 0, UINT32_MAX, UINT32_MAX },
	{ 5, 7, 7, 7 },
};

START_TEST(test_init)
{
	struct rto r;

	rto_init(&r, init_rows[_i].initial, init_rows[_i].min, init_rows[_i].max);
	ck_assert_uint_eq(rto_timeout(&r), init_rows[_i].want);
	ck_assert_uint_eq(r.rto_us, init_rows[_i].want);
	ck_assert(!r.have_sample);
	ck_assert_uint_eq(r.backoffs, 0);
}
END_TEST

/* First sample: SRTT = R, RTTVAR = R/2, RTO = R + max(G, 4 * (R/2)). */
static const struct {
	uint32_t rtt, min, max;
	uint32_t srtt, rttvar, rto;
} first_rows[] = {
	{ 100 * MS, 0, 60 * SEC, 100 * MS, 50 * MS, 300 * MS },
	{ 100, 0, 60 * SEC, 100, 50, 1100 },        /* G dominates */
	{ 500, 0, 60 * SEC, 500, 250, 1500 },       /* 4 RTTVAR == G */
	{ 0, 0, 60 * SEC, 0, 0, 1000 },
	{ 3, 0, 60 * SEC, 3, 1, 1003 },             /* R/2 truncates */
	{ 1001, 0, 60 * SEC, 1001, 500, 3001 },     /* 4 * (R/2), not 2R */
	{ 100 * MS, 1 * SEC, 60 * SEC, 100 * MS, 50 * MS, 1 * SEC },  /* min */
	{ 30 * SEC, 0, 60 * SEC, 30 * SEC, 15 * SEC, 60 * SEC },     /* max */
};

START_TEST(test_first_sample)
{
	struct rto r;

	rto_init(&r, 1 * SEC, first_rows[_i].min, first_rows[_i].max);
	rto_sample(&r, first_rows[_i].rtt);
	ck_assert(r.have_sample);
	ck_assert_uint_eq(r.srtt_us, first_rows[_i].srtt);
	ck_assert_uint_eq(r.rttvar_us, first_rows[_i].rttvar);
	ck_assert_uint_eq(rto_timeout(&r), first_rows[_i].rto);
}
END_TEST

/* Equal samples: SRTT reaches R exactly, RTTVAR decays to 0, RTO settles
 * at max(R + G, min). Starting both below and above R. */
static const struct {
	uint32_t start, rtt, min, want;
} conv_rows[] = {
	{ 10 * MS, 50 * MS, 0, 51 * MS },
	{ 200 * MS, 50 * MS, 0, 51 * MS },
	{ 10 * MS, 50 * MS, 200 * MS, 200 * MS },
	{ 1, 7, 0, 1007 },       /* where truncation would stick */
	{ 49993, 50000, 0, 51000 },
	{ 0, 0, 0, 1000 },
	{ UINT32_MAX, 1, 0, 1001 },
};

START_TEST(test_converge)
{
	struct rto r;
	uint32_t prev_srtt;
	int i;

	rto_init(&r, 1 * SEC, conv_rows[_i].min, 60 * SEC);
	rto_sample(&r, conv_rows[_i].start);
	for (i = 0; i < 1000; i++) {
		prev_srtt = r.srtt_us;
		rto_sample(&r, conv_rows[_i].rtt);
		/* Monotone towards R, never past it. */
		if (conv_rows[_i].start <= conv_rows[_i].rtt)
			ck_assert(r.srtt_us >= prev_srtt && r.srtt_us <= conv_rows[_i].rtt);
		else
			ck_assert(r.srtt_us <= prev_srtt && r.srtt_us >= conv_rows[_i].rtt);
	}
	ck_assert_uint_eq(r.srtt_us, conv_rows[_i].rtt);
	ck_assert_uint_eq(r.rttvar_us, 0);
	ck_assert_uint_eq(rto_timeout(&r), conv_rows[_i].want);
}
END_TEST

/* Settled at 10 ms, then one 100 ms sample:
 *   RTTVAR = 3/4 * 0 + 1/4 * 90 ms = 22.5 ms
 *   SRTT   = 7/8 * 10 ms + 1/8 * 100 ms = 21.25 ms
 *   RTO    = 21.25 ms + 4 * 22.5 ms = 111.25 ms */
START_TEST(test_sudden_rise)
{
	struct rto r;
	int i;

	rto_init(&r, 1 * SEC, 0, 60 * SEC);
	for (i = 0; i < 200; i++)
		rto_sample(&r, 10 * MS);
	ck_assert_uint_eq(rto_timeout(&r), 11 * MS);
	rto_sample(&r, 100 * MS);
	ck_assert_uint_eq(r.rttvar_us, 22500);
	ck_assert_uint_eq(r.srtt_us, 21250);
	ck_assert_uint_eq(rto_timeout(&r), 111250);
	/* RTTVAR uses the old SRTT: a second 100 ms sample sees 78.75 ms. */
	rto_sample(&r, 100 * MS);
	ck_assert_uint_eq(r.rttvar_us, 22500 + (78750 - 22500 + 3) / 4);
}
END_TEST

START_TEST(test_backoff)
{
	struct rto r;

	rto_init(&r, 1 * SEC, 100 * MS, 8 * SEC);
	rto_backoff(&r);
	ck_assert_uint_eq(rto_timeout(&r), 2 * SEC);
	ck_assert_uint_eq(r.backoffs, 1);
	rto_backoff(&r);
	ck_assert_uint_eq(rto_timeout(&r), 4 * SEC);
	rto_backoff(&r);
	ck_assert_uint_eq(rto_timeout(&r), 8 * SEC);
	rto_backoff(&r);
	ck_assert_uint_eq(rto_timeout(&r), 8 * SEC);
	rto_backoff(&r);
	ck_assert_uint_eq(rto_timeout(&r), 8 * SEC);
	ck_assert_uint_eq(r.backoffs, 5);
	/* Clamped, not rounded to a power of two. */
	rto_init(&r, 3 * SEC, 0, 5 * SEC);
	rto_backoff(&r);
	ck_assert_uint_eq(rto_timeout(&r), 5 * SEC);
}
END_TEST

/* A raised floor lifts the timeout, and backoff doubles from it; never
 * past max, and a fixed timeout (min == max) does not move. */
START_TEST(test_raise_min)
{
	struct rto r;

	rto_init(&r, 1 * MS, 1 * MS, 5 * SEC);
	rto_sample(&r, 100);
	ck_assert_uint_eq(rto_timeout(&r), 100 + 1 * MS); /* SRTT + G */
	rto_raise_min(&r, 20 * MS);
	ck_assert_uint_eq(rto_timeout(&r), 20 * MS);
	rto_backoff(&r);
	ck_assert_uint_eq(rto_timeout(&r), 40 * MS);
	rto_sample(&r, 100);
	ck_assert_uint_eq(rto_timeout(&r), 20 * MS);
	rto_raise_min(&r, 10 * MS); /* lowering is not raising */
	ck_assert_uint_eq(r.min_us, 20 * MS);
	rto_raise_min(&r, 9 * SEC);
	ck_assert_uint_eq(r.min_us, 5 * SEC);
	ck_assert_uint_eq(rto_timeout(&r), 5 * SEC);
	rto_init(&r, 3 * SEC, 3 * SEC, 3 * SEC);
	rto_raise_min(&r, 1 * SEC);
	ck_assert_uint_eq(rto_timeout(&r), 3 * SEC);
	rto_raise_min(&r, 4 * SEC);
	ck_assert_uint_eq(rto_timeout(&r), 3 * SEC);
}
END_TEST

/* Doubling near the top of uint32_t saturates instead of wrapping. */
START_TEST(test_backoff_saturates)
{
	struct rto r;
	int i;

	rto_init(&r, 3000000000u, 0, UINT32_MAX);
	rto_backoff(&r);
	ck_assert_uint_eq(rto_timeout(&r), UINT32_MAX);
	for (i = 0; i < 100; i++)
		rto_backoff(&r);
	ck_assert_uint_eq(rto_timeout(&r), UINT32_MAX);
	ck_assert_uint_eq(r.backoffs, 101);
}
END_TEST

/* A new sample replaces the backed-off timeout (RFC 6298 5.7). */
START_TEST(test_sample_clears_backoff)
{
	struct rto r;

	rto_init(&r, 1 * SEC, 0, 60 * SEC);
	rto_sample(&r, 100 * MS);
	ck_assert_uint_eq(rto_timeout(&r), 300 * MS);
	rto_backoff(&r);
	rto_backoff(&r);
	ck_assert_uint_eq(rto_timeout(&r), 1200 * MS);
	ck_assert_uint_eq(r.backoffs, 2);
	rto_sample(&r, 100 * MS);
	ck_assert_uint_eq(r.backoffs, 0);
	/* RTTVAR = 3/4 * 50 ms, SRTT = 100 ms: RTO = 100 + 150 ms. */
	ck_assert_uint_eq(rto_timeout(&r), 250 * MS);
}
END_TEST

/* Every computed timeout stays inside [min, max]. */
START_TEST(test_clamps)
{
	struct rto r;
	int i;

	rto_init(&r, 1 * SEC, 200 * MS, 3 * SEC);
	for (i = 0; i < 50; i++) {
		rto_sample(&r, 1);
		ck_assert_uint_eq(rto_timeout(&r), 200 * MS);
	}
	rto_sample(&r, 10 * SEC);
	ck_assert_uint_eq(rto_timeout(&r), 3 * SEC);
	rto_sample(&r, 1);
	ck_assert_uint_le(rto_timeout(&r), 3 * SEC);
	ck_assert_uint_ge(rto_timeout(&r), 200 * MS);
	/* min > max: min wins, a long timeout being the safe side. */
	rto_init(&r, 1 * SEC, 5 * SEC, 2 * SEC);
	ck_assert_uint_eq(rto_timeout(&r), 5 * SEC);
	rto_sample(&r, 1);
	ck_assert_uint_eq(rto_timeout(&r), 5 * SEC);
	rto_backoff(&r);
	ck_assert_uint_eq(rto_timeout(&r), 5 * SEC);
}
END_TEST

/*
 * UINT32_MAX samples: SRTT + 4 RTTVAR is about 3 * 2^32, which would wrap
 * to a tiny timeout in 32 bits. Alternating extremes keep |SRTT - R| at
 * its largest.
 */
START_TEST(test_huge_samples)
{
	struct rto r;
	int i;

	rto_init(&r, 1 * SEC, 0, UINT32_MAX);
	rto_sample(&r, UINT32_MAX);
	ck_assert_uint_eq(r.srtt_us, UINT32_MAX);
	ck_assert_uint_eq(r.rttvar_us, UINT32_MAX / 2);
	ck_assert_uint_eq(rto_timeout(&r), UINT32_MAX);
	rto_sample(&r, 0);
	ck_assert_uint_eq(r.srtt_us, UINT32_MAX - (UINT32_MAX / 8 + 1));
	ck_assert_uint_eq(r.rttvar_us, UINT32_MAX / 2 + (UINT32_MAX - UINT32_MAX / 2 + 3) / 4);
	ck_assert_uint_eq(rto_timeout(&r), UINT32_MAX);
	for (i = 0; i < 1000; i++) {
		rto_sample(&r, i % 2 ? UINT32_MAX : 0);
		ck_assert_uint_eq(rto_timeout(&r), UINT32_MAX);
	}
	/* The same with a finite max. */
	rto_init(&r, 1 * SEC, 0, 60 * SEC);
	rto_sample(&r, UINT32_MAX);
	ck_assert_uint_eq(rto_timeout(&r), 60 * SEC);
	rto_backoff(&r);
	ck_assert_uint_eq(rto_timeout(&r), 60 * SEC);
}
END_TEST

static Suite *rto_suite(void)
{
	Suite *s = suite_create("rto");
	TCase *tc;

	tc = tcase_create("estimate");
	tcase_add_loop_test(tc, test_init, 0, (int)ARRAY_SIZE(init_rows));
	tcase_add_loop_test(tc, test_first_sample, 0, (int)ARRAY_SIZE(first_rows));
	tcase_add_loop_test(tc, test_converge, 0, (int)ARRAY_SIZE(conv_rows));
	tcase_add_test(tc, test_sudden_rise);
	tcase_add_test(tc, test_clamps);
	tcase_add_test(tc, test_huge_samples);
	suite_add_tcase(s, tc);

	tc = tcase_create("backoff");
	tcase_add_test(tc, test_backoff);
	tcase_add_test(tc, test_backoff_saturates);
	tcase_add_test(tc, test_raise_min);
	tcase_add_test(tc, test_sample_clears_backoff);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(rto_suite());
	int number_failed;

	srunner_run_all(sr, CK_ENV);
	number_failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return number_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
