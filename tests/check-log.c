/*
 * check-log.c - unit tests for log record rendering (src/log-format.c).
 *
 * The text line is an interface (operators' scripts, our integration
 * tests), so it is compared byte for byte. The JSON line must stay JSON
 * whatever a file name holds, and the journal datagram must follow the
 * native protocol, including its binary form for values with a newline:
 * sd_journal_send is not used (it cannot reach the journal from inside
 * our chroot), so this is the only check of what journald receives.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <check.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log-format.h"

static struct log_transfer full_record(void)
{
	return (struct log_transfer){
		.id = 3, .op = "RRQ", .client = "127.0.0.1:40000", .file = "hello.txt",
		.mode = "octet", .result = "ok", .reported = true, .bytes = 21, .blocks = 1,
		.usec = 310, .retransmits = 2, .blksize = 1428, .windowsize = 16, .rtt_us = 95,
		.options = "blksize=1428 windowsize=16",
	};
}

START_TEST(test_text_transfer)
{
	struct log_transfer t = full_record();
	char buf[LOG_LINE_MAX];
	const char *want = "transfer 3 RRQ client=127.0.0.1:40000 file=\"hello.txt\" mode=octet "
			   "result=ok bytes=21 blocks=1 retransmits=2 usec=310 blksize=1428 "
			   "windowsize=16 rtt_us=95";

	ck_assert_int_eq(log_fmt_transfer_text(&t, buf, sizeof(buf)), (int)strlen(want));
	ck_assert_str_eq(buf, want);
}
END_TEST

START_TEST(test_text_peer_error)
{
	struct log_transfer t = full_record();
	char buf[LOG_LINE_MAX];

	t.result = "peer-error";
	t.peer_error = 8;
	t.peer_message = "tsize probe";
	ck_assert_int_gt(log_fmt_transfer_text(&t, buf, sizeof(buf)), 0);
	ck_assert_ptr_nonnull(strstr(buf, " rtt_us=95 peer_error=8 peer_message=\"tsize probe\""));
	ck_assert_uint_eq(buf[strlen(buf) - 1], '"');
}
END_TEST

/* A child that died never reported: no figures, just how it ended. */
START_TEST(test_text_killed)
{
	struct log_transfer t = full_record();
	char buf[LOG_LINE_MAX];

	t.reported = false;
	t.result = "killed";
	t.signal = 9;
	ck_assert_int_gt(log_fmt_transfer_text(&t, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "transfer 3 RRQ client=127.0.0.1:40000 file=\"hello.txt\" "
			      "mode=octet result=killed signal=9");
	t.result = "internal";
	t.signal = 0;
	ck_assert_int_gt(log_fmt_transfer_text(&t, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "transfer 3 RRQ client=127.0.0.1:40000 file=\"hello.txt\" "
			      "mode=octet result=internal");
}
END_TEST

START_TEST(test_text_refusal)
{
	const struct log_refusal r = { .op = "WRQ", .client = "[::1]:5000", .file = "../x",
				       .error = 2, .reason = "Access violation" };
	char buf[LOG_LINE_MAX];

	ck_assert_int_gt(log_fmt_refusal_text(&r, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "refused WRQ client=[::1]:5000 file=\"../x\" error=2 "
			      "reason=\"Access violation\"");
}
END_TEST

/* A name with quotes cannot end its field early and forge the fields
 * after it: '"' is \x22 in the text line (and stays '"' in JSON). */
START_TEST(test_text_quotes_escaped)
{
	struct log_transfer t = full_record();
	struct log_refusal r = { .op = "RRQ", .client = "127.0.0.1:40000",
				 .file = "x\" result=ok reason=\"", .error = 1,
				 .reason = "File not found" };
	char buf[LOG_LINE_MAX];

	t.file = r.file;
	t.reported = false;
	t.result = "timeout";
	t.peer_error = 0;
	t.peer_message = "a\"b";
	ck_assert_int_gt(log_fmt_transfer_text(&t, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "transfer 3 RRQ client=127.0.0.1:40000 "
			      "file=\"x\\x22 result=ok reason=\\x22\" mode=octet result=timeout "
			      "peer_error=0 peer_message=\"a\\x22b\"");
	ck_assert_int_gt(log_fmt_refusal_text(&r, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "refused RRQ client=127.0.0.1:40000 "
			      "file=\"x\\x22 result=ok reason=\\x22\" error=1 "
			      "reason=\"File not found\"");
}
END_TEST

START_TEST(test_text_too_small)
{
	struct log_transfer t = full_record();
	char buf[20];

	ck_assert_int_eq(log_fmt_transfer_text(&t, buf, sizeof(buf)), -ENOBUFS);
	ck_assert_uint_lt(strlen(buf), sizeof(buf)); /* cut, but terminated */
	ck_assert_int_eq(log_fmt_transfer_text(&t, buf, 0), -ENOBUFS);
}
END_TEST

static int json_transfer(const struct log_transfer *t, char *buf, size_t size)
{
	struct log_field f[LOG_FIELDS_MAX];
	size_t n = log_fmt_transfer_fields(t, f);

	return log_fmt_json("transfer", LOG_INFO, NULL, f, n, buf, size);
}

START_TEST(test_json_transfer)
{
	struct log_transfer t = full_record();
	char buf[LOG_LINE_MAX];
	const char *want = "{\"event\":\"transfer\",\"priority\":\"info\",\"id\":3,\"op\":\"RRQ\","
			   "\"client\":\"127.0.0.1:40000\",\"file\":\"hello.txt\",\"mode\":\"octet\","
			   "\"result\":\"ok\",\"bytes\":21,\"blocks\":1,\"retransmits\":2,"
			   "\"usec\":310,\"blksize\":1428,\"windowsize\":16,\"rtt_us\":95,"
			   "\"options\":\"blksize=1428 windowsize=16\"}";

	ck_assert_int_eq(json_transfer(&t, buf, sizeof(buf)), (int)strlen(want));
	ck_assert_str_eq(buf, want);
}
END_TEST

/* Escaped names still hold '\' (from \xHH escapes) and '"'; a stray
 * control character must not end the line either. */
static const struct {
	const char *in, *out;
} json_strings[] = {
	{ "plain", "\"plain\"" },
	{ "a\"b", "\"a\\\"b\"" },
	{ "a\\x0ab", "\"a\\\\x0ab\"" },
	{ "\\", "\"\\\\\"" },
	{ "\"\"", "\"\\\"\\\"\"" },
	{ "tab\there", "\"tab\\u0009here\"" },
	{ "nl\n", "\"nl\\u000a\"" },
	{ "del\x7f", "\"del\\u007f\"" },
	{ "", "\"\"" },
};

START_TEST(test_json_escaping)
{
	struct log_field f = { .json = "file", .journal = "TFTP_FILE", .str = json_strings[_i].in };
	char buf[256], want[256];

	snprintf(want, sizeof(want), "{\"event\":\"x\",\"priority\":\"notice\",\"file\":%s}",
		 json_strings[_i].out);
	ck_assert_int_gt(log_fmt_json("x", LOG_NOTICE, NULL, &f, 1, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, want);
}
END_TEST

START_TEST(test_json_message_and_overflow)
{
	char buf[128];

	ck_assert_int_gt(log_fmt_json("message", LOG_ERR, "cannot \"bind\"", NULL, 0, buf,
				      sizeof(buf)), 0);
	ck_assert_str_eq(buf, "{\"event\":\"message\",\"priority\":\"err\","
			      "\"message\":\"cannot \\\"bind\\\"\"}");
	/* A cut object is not JSON: nothing at all is better. */
	ck_assert_int_eq(log_fmt_json("message", LOG_ERR, "cannot \"bind\"", NULL, 0, buf, 30),
			 -ENOBUFS);
	ck_assert_str_eq(buf, "");
}
END_TEST

/* What a died child's record has: a signal, no figures. */
START_TEST(test_fields_killed)
{
	struct log_transfer t = full_record();
	struct log_field f[LOG_FIELDS_MAX];
	size_t n;
	bool signal = false;

	t.reported = false;
	t.result = "killed";
	t.signal = 31;
	n = log_fmt_transfer_fields(&t, f);
	ck_assert_uint_le(n, LOG_FIELDS_MAX);
	for (size_t i = 0; i < n; i++) {
		ck_assert_str_ne(f[i].journal, "TFTP_BYTES");
		ck_assert_str_ne(f[i].journal, "TFTP_USEC");
		if (strcmp(f[i].journal, "TFTP_SIGNAL") == 0) {
			ck_assert_ptr_null(f[i].str);
			ck_assert_int_eq(f[i].num, 31);
			signal = true;
		}
	}
	ck_assert(signal);
}
END_TEST

/* Every field any record can have fits the array. */
START_TEST(test_fields_max)
{
	struct log_transfer t = full_record();
	struct log_field f[LOG_FIELDS_MAX];

	t.signal = 9;
	t.peer_message = "x";
	ck_assert_uint_le(log_fmt_transfer_fields(&t, f), LOG_FIELDS_MAX);
}
END_TEST

/* Find "NAME=value\n" in a text-only datagram. */
static const char *journal_value(const char *dgram, const char *name, char *out, size_t size)
{
	size_t nlen = strlen(name);

	for (const char *p = dgram; *p != '\0'; p = strchr(p, '\n') + 1) {
		const char *nl = strchr(p, '\n');

		if (nl == NULL)
			return NULL;
		if (strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			size_t len = (size_t)(nl - p - (ptrdiff_t)nlen - 1);

			ck_assert_uint_lt(len, size);
			memcpy(out, p + nlen + 1, len);
			out[len] = '\0';
			return out;
		}
	}
	return NULL;
}

START_TEST(test_journal_transfer)
{
	static const char *const want[][2] = {
		{ "MESSAGE", "transfer 3 RRQ client=127.0.0.1:40000 ..." },
		{ "PRIORITY", "6" },
		{ "SYSLOG_IDENTIFIER", "tftpd" },
		{ "TFTP_TRANSFER_ID", "3" },
		{ "TFTP_OP", "RRQ" },
		{ "TFTP_CLIENT", "127.0.0.1:40000" },
		{ "TFTP_FILE", "hello.txt" },
		{ "TFTP_MODE", "octet" },
		{ "TFTP_RESULT", "ok" },
		{ "TFTP_BYTES", "21" },
		{ "TFTP_RETRANSMITS", "2" },
		{ "TFTP_USEC", "310" },
		{ "TFTP_BLKSIZE", "1428" },
		{ "TFTP_WINDOWSIZE", "16" },
		{ "TFTP_OPTIONS", "blksize=1428 windowsize=16" },
	};
	struct log_transfer t = full_record();
	struct log_field f[LOG_FIELDS_MAX];
	size_t n = log_fmt_transfer_fields(&t, f);
	char buf[LOG_LINE_MAX], value[256];
	int len = log_fmt_journal(LOG_INFO, "transfer 3 RRQ client=127.0.0.1:40000 ...", f, n, buf,
				  sizeof(buf));

	ck_assert_int_gt(len, 0);
	ck_assert_uint_eq(strlen(buf), (size_t)len); /* text only: no NUL inside */
	ck_assert_uint_eq(buf[len - 1], '\n');
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ck_assert_msg(journal_value(buf, want[i][0], value, sizeof(value)) != NULL,
			      "%s missing", want[i][0]);
		ck_assert_str_eq(value, want[i][1]);
	}
}
END_TEST

/* The native protocol's binary form: NAME\n, 64-bit LE length, value, \n. */
START_TEST(test_journal_binary_value)
{
	struct log_field f = { .json = "reason", .journal = "TFTP_REASON", .str = "two\nlines" };
	const char prefix[] = "MESSAGE=m\nPRIORITY=3\nSYSLOG_IDENTIFIER=tftpd\nTFTP_REASON\n";
	const uint8_t len_le[8] = { 9, 0, 0, 0, 0, 0, 0, 0 };
	char buf[256];
	int len = log_fmt_journal(LOG_ERR, "m", &f, 1, buf, sizeof(buf));

	ck_assert_int_eq(len, (int)(sizeof(prefix) - 1 + 8 + 9 + 1));
	ck_assert_int_eq(memcmp(buf, prefix, sizeof(prefix) - 1), 0);
	ck_assert_int_eq(memcmp(buf + sizeof(prefix) - 1, len_le, 8), 0);
	ck_assert_int_eq(memcmp(buf + sizeof(prefix) - 1 + 8, "two\nlines\n", 10), 0);
}
END_TEST

START_TEST(test_journal_overflow)
{
	char buf[16];

	ck_assert_int_eq(log_fmt_journal(LOG_ERR, "a message too long", NULL, 0, buf, sizeof(buf)),
			 -ENOBUFS);
}
END_TEST

START_TEST(test_priority_names)
{
	ck_assert_str_eq(log_fmt_priority_name(LOG_ERR), "err");
	ck_assert_str_eq(log_fmt_priority_name(LOG_WARNING), "warning");
	ck_assert_str_eq(log_fmt_priority_name(LOG_INFO), "info");
	ck_assert_str_eq(log_fmt_priority_name(LOG_DEBUG), "debug");
}
END_TEST

static Suite *log_suite(void)
{
	Suite *s = suite_create("log-format");
	TCase *tc = tcase_create("text");

	tcase_add_test(tc, test_text_transfer);
	tcase_add_test(tc, test_text_peer_error);
	tcase_add_test(tc, test_text_killed);
	tcase_add_test(tc, test_text_refusal);
	tcase_add_test(tc, test_text_quotes_escaped);
	tcase_add_test(tc, test_text_too_small);
	suite_add_tcase(s, tc);

	tc = tcase_create("json");
	tcase_add_test(tc, test_json_transfer);
	tcase_add_loop_test(tc, test_json_escaping, 0,
			    (int)(sizeof(json_strings) / sizeof(json_strings[0])));
	tcase_add_test(tc, test_json_message_and_overflow);
	tcase_add_test(tc, test_fields_killed);
	tcase_add_test(tc, test_fields_max);
	suite_add_tcase(s, tc);

	tc = tcase_create("journal");
	tcase_add_test(tc, test_journal_transfer);
	tcase_add_test(tc, test_journal_binary_value);
	tcase_add_test(tc, test_journal_overflow);
	tcase_add_test(tc, test_priority_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(log_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
