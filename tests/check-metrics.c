/*
 * check-metrics.c - the Prometheus text of the counters: the exact text of
 * one set of figures, label escaping, the histogram's buckets, and what
 * each counting function counts.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static char text[16384];

/* One of each kind of figure, none of them zero where it can be told
 * from zero. */
static struct metrics sample(void)
{
	struct metrics m = { 0 };

	m.transfers[METRICS_RRQ][METRICS_OK] = 3;
	m.transfers[METRICS_WRQ][METRICS_TIMEOUT] = 1;
	m.bytes[METRICS_RRQ] = 3000;
	m.bytes[METRICS_WRQ] = 512;
	m.retransmits = 7;
	m.refused[METRICS_R_NOT_FOUND] = 2;
	m.duration_bucket[0] = 1;
	m.duration_bucket[5] = 2;
	m.duration_count = 4; /* one beyond the last bound: only in +Inf */
	m.duration_sum_us = 401502000;
	m.active = 1;
	m.queued = 2;
	m.children[METRICS_IDLE] = 2;
	m.children[METRICS_BUSY] = 1;
	m.start_time_us = 1764640800123456ULL;
	m.version = "1.0";
	return m;
}

static const char expected[] =
	"# tftpd-status: active=1 queued=2 ok=3 failed=1 refused=2 bytes=3512 retransmits=7\n"
	"# HELP tftpd_transfers_total Transfers ended (or refused), by operation and result.\n"
	"# TYPE tftpd_transfers_total counter\n"
	"tftpd_transfers_total{op=\"rrq\",result=\"ok\"} 3\n"
	"tftpd_transfers_total{op=\"rrq\",result=\"timeout\"} 0\n"
	"tftpd_transfers_total{op=\"rrq\",result=\"peer_error\"} 0\n"
	"tftpd_transfers_total{op=\"rrq\",result=\"probe\"} 0\n"
	"tftpd_transfers_total{op=\"rrq\",result=\"io_error\"} 0\n"
	"tftpd_transfers_total{op=\"rrq\",result=\"no_space\"} 0\n"
	"tftpd_transfers_total{op=\"rrq\",result=\"protocol\"} 0\n"
	"tftpd_transfers_total{op=\"rrq\",result=\"deadline\"} 0\n"
	"tftpd_transfers_total{op=\"rrq\",result=\"internal\"} 0\n"
	"tftpd_transfers_total{op=\"rrq\",result=\"unreachable\"} 0\n"
	"tftpd_transfers_total{op=\"rrq\",result=\"killed\"} 0\n"
	"tftpd_transfers_total{op=\"rrq\",result=\"refused\"} 0\n"
	"tftpd_transfers_total{op=\"wrq\",result=\"ok\"} 0\n"
	"tftpd_transfers_total{op=\"wrq\",result=\"timeout\"} 1\n"
	"tftpd_transfers_total{op=\"wrq\",result=\"peer_error\"} 0\n"
	"tftpd_transfers_total{op=\"wrq\",result=\"probe\"} 0\n"
	"tftpd_transfers_total{op=\"wrq\",result=\"io_error\"} 0\n"
	"tftpd_transfers_total{op=\"wrq\",result=\"no_space\"} 0\n"
	"tftpd_transfers_total{op=\"wrq\",result=\"protocol\"} 0\n"
	"tftpd_transfers_total{op=\"wrq\",result=\"deadline\"} 0\n"
	"tftpd_transfers_total{op=\"wrq\",result=\"internal\"} 0\n"
	"tftpd_transfers_total{op=\"wrq\",result=\"unreachable\"} 0\n"
	"tftpd_transfers_total{op=\"wrq\",result=\"killed\"} 0\n"
	"tftpd_transfers_total{op=\"wrq\",result=\"refused\"} 0\n"
	"# HELP tftpd_bytes_total Bytes of files sent (rrq) or stored (wrq), as the monitor counts them.\n"
	"# TYPE tftpd_bytes_total counter\n"
	"tftpd_bytes_total{op=\"rrq\"} 3000\n"
	"tftpd_bytes_total{op=\"wrq\"} 512\n"
	"# HELP tftpd_retransmits_total Packets sent again: on a timeout, or to a client that asked again.\n"
	"# TYPE tftpd_retransmits_total counter\n"
	"tftpd_retransmits_total 7\n"
	"# HELP tftpd_refused_total Requests refused, by reason.\n"
	"# TYPE tftpd_refused_total counter\n"
	"tftpd_refused_total{reason=\"access\"} 0\n"
	"tftpd_refused_total{reason=\"not_found\"} 2\n"
	"tftpd_refused_total{reason=\"exists\"} 0\n"
	"tftpd_refused_total{reason=\"no_space\"} 0\n"
	"tftpd_refused_total{reason=\"policy\"} 0\n"
	"tftpd_refused_total{reason=\"rate\"} 0\n"
	"tftpd_refused_total{reason=\"penalty\"} 0\n"
	"tftpd_refused_total{reason=\"busy\"} 0\n"
	"tftpd_refused_total{reason=\"per_client\"} 0\n"
	"tftpd_refused_total{reason=\"malformed\"} 0\n"
	"tftpd_refused_total{reason=\"upload_disabled\"} 0\n"
	"tftpd_refused_total{reason=\"download_disabled\"} 0\n"
	"tftpd_refused_total{reason=\"upload_busy\"} 0\n"
	"tftpd_refused_total{reason=\"internal\"} 0\n"
	"# HELP tftpd_transfer_duration_seconds Time from request to end of the transfers that ended.\n"
	"# TYPE tftpd_transfer_duration_seconds histogram\n"
	"tftpd_transfer_duration_seconds_bucket{le=\"0.01\"} 1\n"
	"tftpd_transfer_duration_seconds_bucket{le=\"0.05\"} 1\n"
	"tftpd_transfer_duration_seconds_bucket{le=\"0.1\"} 1\n"
	"tftpd_transfer_duration_seconds_bucket{le=\"0.25\"} 1\n"
	"tftpd_transfer_duration_seconds_bucket{le=\"0.5\"} 1\n"
	"tftpd_transfer_duration_seconds_bucket{le=\"1\"} 3\n"
	"tftpd_transfer_duration_seconds_bucket{le=\"2.5\"} 3\n"
	"tftpd_transfer_duration_seconds_bucket{le=\"5\"} 3\n"
	"tftpd_transfer_duration_seconds_bucket{le=\"10\"} 3\n"
	"tftpd_transfer_duration_seconds_bucket{le=\"60\"} 3\n"
	"tftpd_transfer_duration_seconds_bucket{le=\"300\"} 3\n"
	"tftpd_transfer_duration_seconds_bucket{le=\"+Inf\"} 4\n"
	"tftpd_transfer_duration_seconds_sum 401.502000\n"
	"tftpd_transfer_duration_seconds_count 4\n"
	"# HELP tftpd_transfers_active Transfers a jailed child runs now.\n"
	"# TYPE tftpd_transfers_active gauge\n"
	"tftpd_transfers_active 1\n"
	"# HELP tftpd_requests_queued Requests waiting for their client's first answer or for a child.\n"
	"# TYPE tftpd_requests_queued gauge\n"
	"tftpd_requests_queued 2\n"
	"# HELP tftpd_children Transfer children, by state.\n"
	"# TYPE tftpd_children gauge\n"
	"tftpd_children{state=\"starting\"} 0\n"
	"tftpd_children{state=\"idle\"} 2\n"
	"tftpd_children{state=\"busy\"} 1\n"
	"tftpd_children{state=\"exiting\"} 0\n"
	"# HELP tftpd_start_time_seconds When the server started, since the epoch.\n"
	"# TYPE tftpd_start_time_seconds gauge\n"
	"tftpd_start_time_seconds 1764640800.123456\n"
	"# HELP tftpd_build_info Always 1; the version in a label.\n"
	"# TYPE tftpd_build_info gauge\n"
	"tftpd_build_info{version=\"1.0\"} 1\n";

START_TEST(test_exact_text)
{
	struct metrics m = sample();
	int n = metrics_format(&m, text, sizeof(text));

	ck_assert_int_eq(n, (int)strlen(expected));
	ck_assert_str_eq(text, expected);
}
END_TEST

START_TEST(test_too_small)
{
	struct metrics m = sample();
	int n = metrics_format(&m, text, sizeof(expected) - 1);

	ck_assert_int_eq(n, -ENOSPC);
	ck_assert_int_eq(metrics_format(&m, text, 0), -ENOSPC);
	ck_assert_int_eq(metrics_format(&m, text, sizeof(expected)), (int)sizeof(expected) - 1);
}
END_TEST

/* Exposition format: in a label value, \\ \" and \n are escaped, and
 * nothing else is. */
static const struct {
	const char *in, *out;
} escapes[] = {
	{ "", "" },
	{ "1.0", "1.0" },
	{ "a\\b", "a\\\\b" },
	{ "say \"hi\"", "say \\\"hi\\\"" },
	{ "two\nlines", "two\\nlines" },
	{ "tab\tstays", "tab\tstays" },
	{ "\\\"\n", "\\\\\\\"\\n" },
};

START_TEST(test_escape)
{
	char buf[64];
	size_t n = metrics_escape_label(escapes[_i].in, buf, sizeof(buf));

	ck_assert_str_eq(buf, escapes[_i].out);
	ck_assert_uint_eq(n, strlen(escapes[_i].out));
}
END_TEST

START_TEST(test_escape_cut)
{
	char buf[4];

	/* Cut, terminated, and the length the whole needs returned. */
	ck_assert_uint_eq(metrics_escape_label("a\"bcd", buf, sizeof(buf)), 6);
	ck_assert_str_eq(buf, "a\\\"");
	ck_assert_uint_eq(metrics_escape_label("abc", buf, 0), 3);
}
END_TEST

START_TEST(test_version_escaped)
{
	struct metrics m = { .version = "1\"} 2\n" };

	ck_assert_int_gt(metrics_format(&m, text, sizeof(text)), 0);
	ck_assert_ptr_nonnull(strstr(text, "tftpd_build_info{version=\"1\\\"} 2\\n\"} 1\n"));
}
END_TEST

/* A duration on a bound is in that bound's bucket (le: less or equal). */
START_TEST(test_buckets_cumulative)
{
	static const uint64_t usec[] = { 0, 10000, 10001, 1000000, 300000000, 300000001 };
	struct metrics m = { 0 };

	for (size_t i = 0; i < ARRAY_SIZE(usec); i++)
		metrics_transfer_ended(&m, METRICS_RRQ, METRICS_OK, 0, 0, usec[i]);
	ck_assert_int_gt(metrics_format(&m, text, sizeof(text)), 0);
	ck_assert_ptr_nonnull(strstr(text, "_bucket{le=\"0.01\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(text, "_bucket{le=\"0.05\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(text, "_bucket{le=\"0.5\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(text, "_bucket{le=\"1\"} 4\n"));
	ck_assert_ptr_nonnull(strstr(text, "_bucket{le=\"60\"} 4\n"));
	ck_assert_ptr_nonnull(strstr(text, "_bucket{le=\"300\"} 5\n"));
	ck_assert_ptr_nonnull(strstr(text, "_bucket{le=\"+Inf\"} 6\n"));
	ck_assert_ptr_nonnull(strstr(text, "tftpd_transfer_duration_seconds_sum 601.020002\n"));
	ck_assert_ptr_nonnull(strstr(text, "tftpd_transfer_duration_seconds_count 6\n"));
}
END_TEST

/* Every bucket holds at least what the one below it holds. */
START_TEST(test_buckets_never_fall)
{
	struct metrics m = { 0 };
	const char *p;
	unsigned long long last = 0, v;
	unsigned seen = 0;

	for (uint64_t us = 1; us < 400000000; us = us * 3 + 7)
		metrics_transfer_ended(&m, METRICS_WRQ, METRICS_TIMEOUT, 1, 1, us);
	ck_assert_int_gt(metrics_format(&m, text, sizeof(text)), 0);
	for (p = strstr(text, "_bucket{"); p != NULL; p = strstr(p + 1, "_bucket{")) {
		v = strtoull(strstr(p, "} ") + 2, NULL, 10);
		ck_assert_uint_ge(v, last);
		last = v;
		seen++;
	}
	ck_assert_uint_eq(seen, METRICS_BUCKETS + 1);
	ck_assert_uint_eq(last, m.duration_count);
}
END_TEST

START_TEST(test_transfer_ended)
{
	struct metrics m = { 0 };

	metrics_transfer_ended(&m, METRICS_WRQ, METRICS_OK, 1000, 2, 5);
	metrics_transfer_ended(&m, METRICS_RRQ, METRICS_PEER_ERROR, 10, 1, 5);
	metrics_transfer_ended(&m, METRICS_OPS, METRICS_OK, 10, 1, 5);      /* ignored */
	metrics_transfer_ended(&m, METRICS_RRQ, METRICS_RESULTS, 10, 1, 5); /* ignored */
	ck_assert_uint_eq(m.transfers[METRICS_WRQ][METRICS_OK], 1);
	ck_assert_uint_eq(m.transfers[METRICS_RRQ][METRICS_PEER_ERROR], 1);
	ck_assert_uint_eq(m.bytes[METRICS_WRQ], 1000);
	ck_assert_uint_eq(m.bytes[METRICS_RRQ], 10);
	ck_assert_uint_eq(m.retransmits, 3);
	ck_assert_uint_eq(m.duration_count, 2);
}
END_TEST

START_TEST(test_refused)
{
	struct metrics m = { 0 };

	metrics_refused(&m, METRICS_RRQ, METRICS_R_NOT_FOUND);
	metrics_refused(&m, -1, METRICS_R_RATE);            /* no operation known */
	metrics_refused(&m, METRICS_WRQ, METRICS_REFUSALS); /* out of the table */
	ck_assert_uint_eq(m.refused[METRICS_R_NOT_FOUND], 1);
	ck_assert_uint_eq(m.refused[METRICS_R_RATE], 1);
	ck_assert_uint_eq(m.refused[METRICS_R_INTERNAL], 1);
	ck_assert_uint_eq(m.transfers[METRICS_RRQ][METRICS_REFUSED], 1);
	ck_assert_uint_eq(m.transfers[METRICS_WRQ][METRICS_REFUSED], 1);
	ck_assert_uint_eq(m.duration_count, 0);
}
END_TEST

/* The log's result names, as serve.c writes them. */
static const struct {
	const char *name;
	enum metrics_result r;
} names[] = {
	{ "ok", METRICS_OK }, { "timeout", METRICS_TIMEOUT }, { "peer-error", METRICS_PEER_ERROR },
	{ "probe", METRICS_PROBE }, { "io-error", METRICS_IO_ERROR },
	{ "no-space", METRICS_NO_SPACE }, { "protocol", METRICS_PROTOCOL },
	{ "deadline", METRICS_DEADLINE }, { "internal", METRICS_INTERNAL },
	{ "unreachable", METRICS_UNREACHABLE }, { "killed", METRICS_KILLED },
	{ "invalid", METRICS_INTERNAL }, { "", METRICS_INTERNAL }, { "ok-", METRICS_INTERNAL },
	{ "o", METRICS_INTERNAL }, { "peer_error", METRICS_PEER_ERROR },
};

START_TEST(test_result_names)
{
	ck_assert_int_eq(metrics_result_from_name(names[_i].name), names[_i].r);
}
END_TEST

START_TEST(test_status_line)
{
	struct metrics m = sample();
	char line[256];

	metrics_status_line(&m, line, sizeof(line));
	/* ok counts size probes too; failed is everything else but refusals. */
	ck_assert_str_eq(line, "active=1 queued=2 ok=3 failed=1 refused=2 bytes=3512 "
			 "retransmits=7");
	m.transfers[METRICS_RRQ][METRICS_PROBE] = 5;
	m.transfers[METRICS_RRQ][METRICS_REFUSED] = 9;
	metrics_counters_line(&m, line, sizeof(line));
	ck_assert_str_eq(line, "ok=8 failed=1 refused=2 bytes=3512 retransmits=7");
}
END_TEST

static Suite *metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("format");

	tcase_add_test(tc, test_exact_text);
	tcase_add_test(tc, test_too_small);
	tcase_add_loop_test(tc, test_escape, 0, (int)ARRAY_SIZE(escapes));
	tcase_add_test(tc, test_escape_cut);
	tcase_add_test(tc, test_version_escaped);
	tcase_add_test(tc, test_buckets_cumulative);
	tcase_add_test(tc, test_buckets_never_fall);
	tcase_add_test(tc, test_status_line);
	suite_add_tcase(s, tc);
	tc = tcase_create("counting");
	tcase_add_test(tc, test_transfer_ended);
	tcase_add_test(tc, test_refused);
	tcase_add_loop_test(tc, test_result_names, 0, (int)ARRAY_SIZE(names));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(metrics_suite());
	int number_failed;

	srunner_run_all(sr, CK_ENV);
	number_failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return number_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
