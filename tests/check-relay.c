/*
 * check-relay.c - unit tests for what a URL symlink means
 * (src/relay-url.c) and for the fetcher's messages (privsep/relay-msg.c).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "http-cache.h"
#include "relay-msg.h"
#include "relay-url.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define S(s) (s), sizeof(s) - 1

static const struct {
	const char *link, *rest;
	int ret;
	const char *url;
	unsigned flags;
} joins[] = {
	{ "http://images.example/k-6.1", "", 0, "http://images.example/k-6.1", 0 },
	{ "https://images.example/k", "", 0, "https://images.example/k", 0 },
	{ "HTTP://h/k", "", 0, "http://h/k", 0 },
	{ "http://h:8080/d/", "foo", 0, "http://h:8080/d/foo", 0 },
	{ "http://domain1.example/", "a/b.cfg", 0, "http://domain1.example/a/b.cfg", 0 },
	{ "http+nocache://h/k", "", 0, "http://h/k", RELAY_URL_NOCACHE },
	{ "https+nocompress://h/k", "", 0, "https://h/k", RELAY_URL_NOCOMPRESS },
	{ "http+nocache+nocompress://h/d/", "x", 0, "http://h/d/x",
	  RELAY_URL_NOCACHE | RELAY_URL_NOCOMPRESS },
	{ "http+NoCache://h/k", "", 0, "http://h/k", RELAY_URL_NOCACHE },
	/* the rest is encoded: nothing in it can end the path */
	{ "http://h/d/", "a b?c#d%e", 0, "http://h/d/a%20b%3Fc%23d%25e", 0 },
	{ "http://h/d/", "pxelinux.cfg/01-aa-bb", 0, "http://h/d/pxelinux.cfg/01-aa-bb", 0 },
	{ "http://h/d/", "\xc3\xa9", 0, "http://h/d/%C3%A9", 0 },
	/* file and directory links used the other way round */
	{ "http://h/k", "x", -ENOTDIR, NULL, 0 },
	{ "http://h/d/", "", -EISDIR, NULL, 0 },
	{ "http://h/", "", -EISDIR, NULL, 0 },
	/* not a URL we fetch */
	{ "ftp://h/k", "", -EINVAL, NULL, 0 },
	{ "file:///etc/passwd", "", -EINVAL, NULL, 0 },
	{ "http+bogus://h/k", "", -EINVAL, NULL, 0 },
	{ "http+://h/k", "", -EINVAL, NULL, 0 },
	{ "https", "", -EINVAL, NULL, 0 },
	{ "http:/h/k", "", -EINVAL, NULL, 0 },
	{ "http://", "", -EINVAL, NULL, 0 },
	{ "http:///k", "", -EINVAL, NULL, 0 },
	{ "http://@h/k", "", -EINVAL, NULL, 0 },
	{ "http://h/k k", "", -EINVAL, NULL, 0 },
	{ "http://h/k\r\nHost: x", "", -EINVAL, NULL, 0 },
	{ "http://h/k#frag", "", -EINVAL, NULL, 0 },
	{ "http://h/k\\x", "", -EINVAL, NULL, 0 },
	{ "http://h/\xff", "", -EINVAL, NULL, 0 },
	{ "../local", "", -EINVAL, NULL, 0 },
};

START_TEST(test_join)
{
	char url[RELAY_URL_MAX];
	unsigned flags = 99;
	int r = relay_url_join(joins[_i].link, strlen(joins[_i].link), joins[_i].rest, url,
			       sizeof(url), &flags);

	ck_assert_msg(r == joins[_i].ret, "%s + %s: %d", joins[_i].link, joins[_i].rest, r);
	if (r == 0) {
		ck_assert_str_eq(url, joins[_i].url);
		ck_assert_uint_eq(flags, joins[_i].flags);
	}
	/* Whatever joins is a URL link; what is no URL link never joins. */
	if (r != -EINVAL)
		ck_assert(relay_url_is_remote(joins[_i].link, strlen(joins[_i].link)));
}
END_TEST

START_TEST(test_is_remote)
{
	ck_assert(relay_url_is_remote("http://h/k", 10));
	ck_assert(relay_url_is_remote("https+nocache://h/k", 19));
	ck_assert(!relay_url_is_remote("http+bogus://h/k", 16));
	ck_assert(!relay_url_is_remote("../k", 4));
	ck_assert(!relay_url_is_remote("ftp://h/k", 9));
	ck_assert(!relay_url_is_remote("http:", 5));
	/* only len bytes are read */
	ck_assert(!relay_url_is_remote("http://h/k", 6));
}
END_TEST

START_TEST(test_join_length)
{
	char base[RELAY_URL_MAX + 8], url[RELAY_URL_MAX];
	unsigned flags;

	memcpy(base, "http://h/", 9);
	memset(base + 9, 'a', sizeof(base) - 10);
	base[sizeof(base) - 1] = '\0';
	ck_assert_int_eq(relay_url_join(base, strlen(base), "", url, sizeof(url), &flags),
			 -ENAMETOOLONG);
	/* encoding triples a byte: the limit is on the result */
	memset(base + 9, 'a', RELAY_URL_MAX - 20);
	base[RELAY_URL_MAX - 11] = '/';
	base[RELAY_URL_MAX - 10] = '\0';
	ck_assert_int_eq(relay_url_join(base, strlen(base), "x", url, sizeof(url), &flags), 0);
	ck_assert_int_eq(relay_url_join(base, strlen(base), "%%%%%%%%", url, sizeof(url), &flags),
			 -ENAMETOOLONG);
}
END_TEST

/* ---- messages --------------------------------------------------------- */

static struct relay_msg fetch_msg(void)
{
	struct relay_msg m = { .type = RELAY_MSG_FETCH };

	m.fetch.id = 7;
	m.fetch.flags = RELAY_URL_NOCOMPRESS | RELAY_FETCH_CLIENT_HEADERS;
	m.fetch.client_port = 4321;
	strcpy(m.fetch.client, "192.0.2.1");
	strcpy(m.fetch.file, "pxelinux.cfg/default");
	strcpy(m.fetch.url, "http://h/d/pxelinux.cfg/default");
	return m;
}

static struct relay_msg done_msg(void)
{
	struct relay_msg m = { .type = RELAY_MSG_DONE };

	m.done.id = 7;
	m.done.status = RELAY_OK;
	m.done.http_status = 200;
	m.done.size = 123456789012ull;
	return m;
}

START_TEST(test_roundtrip)
{
	struct relay_msg in[] = { fetch_msg(), done_msg(), { .type = RELAY_MSG_READY } }, out;
	uint8_t buf[RELAY_MSG_MAX];

	for (size_t i = 0; i < ARRAY_SIZE(in); i++) {
		int n = relay_msg_encode(&in[i], buf, sizeof(buf));

		ck_assert_int_gt(n, 0);
		ck_assert_int_eq(relay_msg_decode(buf, (size_t)n, &out), 0);
		ck_assert_uint_eq(out.type, in[i].type);
		/* one byte less or more is no message */
		ck_assert_int_eq(relay_msg_decode(buf, (size_t)n - 1, &out), -EBADMSG);
		ck_assert_int_eq(relay_msg_decode(buf, (size_t)n + 1, &out), -EBADMSG);
	}
	ck_assert_int_eq(relay_msg_encode(&in[0], buf, sizeof(buf)), relay_msg_encode(&in[0], buf,
										       sizeof(buf)));
	relay_msg_decode(buf, (size_t)relay_msg_encode(&in[0], buf, sizeof(buf)), &out);
	ck_assert_str_eq(out.fetch.url, in[0].fetch.url);
	ck_assert_str_eq(out.fetch.file, in[0].fetch.file);
	ck_assert_uint_eq(out.fetch.client_port, 4321);
	relay_msg_decode(buf, (size_t)relay_msg_encode(&in[1], buf, sizeof(buf)), &out);
	ck_assert(out.done.size == 123456789012ull);
	ck_assert_uint_eq(relay_msg_nfds(&out), 1);
}
END_TEST

/* A stream: allowed by the monitor in FETCH, said by the fetcher in DONE,
 * and only for a body just fetched. */
START_TEST(test_stream_flags)
{
	uint8_t buf[RELAY_MSG_MAX];
	struct relay_msg m = fetch_msg(), out;
	int n;

	m.fetch.flags = RELAY_URL_NOCOMPRESS | RELAY_FETCH_STREAM;
	n = relay_msg_encode(&m, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(relay_msg_decode(buf, (size_t)n, &out), 0);
	ck_assert_uint_eq(out.fetch.flags, RELAY_URL_NOCOMPRESS | RELAY_FETCH_STREAM);

	m = done_msg();
	m.done.flags = RELAY_DONE_STREAM;
	n = relay_msg_encode(&m, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(relay_msg_decode(buf, (size_t)n, &out), 0);
	ck_assert_uint_eq(out.done.flags, RELAY_DONE_STREAM);
	ck_assert_uint_eq(relay_msg_nfds(&out), 1);
	/* the flags word follows cache, before detail: unknown bits refused */
	buf[n - RELAY_DETAIL_MAX - 4] = 2;
	ck_assert_int_eq(relay_msg_decode(buf, (size_t)n, &out), -EINVAL);
	m.done.flags = 2;
	ck_assert_int_eq(relay_msg_encode(&m, buf, sizeof(buf)), -EINVAL);
	/* never from the cache */
	m.done.flags = RELAY_DONE_STREAM;
	m.done.cache = RELAY_CACHE_HIT;
	ck_assert_int_eq(relay_msg_encode(&m, buf, sizeof(buf)), -EINVAL);
	m.done.cache = RELAY_CACHE_MISS;
	ck_assert_int_eq(relay_msg_encode(&m, buf, sizeof(buf)), -EINVAL);
	/* never with a failure */
	m = done_msg();
	m.done.status = RELAY_FAILED;
	m.done.http_status = 0;
	m.done.size = 0;
	m.done.flags = RELAY_DONE_STREAM;
	ck_assert_int_eq(relay_msg_encode(&m, buf, sizeof(buf)), -EINVAL);
	m.done.flags = 0;
	ck_assert_int_gt(relay_msg_encode(&m, buf, sizeof(buf)), 0);
}
END_TEST

/* Every field the decoder checks, one bad value each. */
START_TEST(test_invalid)
{
	uint8_t buf[RELAY_MSG_MAX];
	struct relay_msg m, out;
	int n;

	m = fetch_msg();
	m.fetch.flags |= 1u << 20;
	ck_assert_int_eq(relay_msg_encode(&m, buf, sizeof(buf)), -EINVAL);
	m = fetch_msg();
	m.fetch.url[0] = '\0';
	ck_assert_int_eq(relay_msg_encode(&m, buf, sizeof(buf)), -EINVAL);
	m = fetch_msg();
	m.fetch.file[3] = '\n';
	ck_assert_int_eq(relay_msg_encode(&m, buf, sizeof(buf)), -EINVAL);
	m = done_msg();
	m.done.http_status = 404; /* OK is a 200 only */
	ck_assert_int_eq(relay_msg_encode(&m, buf, sizeof(buf)), -EINVAL);
	m = done_msg();
	m.done.status = RELAY_STATUS_MAX + 1;
	ck_assert_int_eq(relay_msg_encode(&m, buf, sizeof(buf)), -EINVAL);
	m = done_msg();
	m.done.status = RELAY_HTTP;
	m.done.http_status = 0;
	m.done.size = 0;
	ck_assert_int_eq(relay_msg_encode(&m, buf, sizeof(buf)), -EINVAL);
	m.done.http_status = 1000;
	ck_assert_int_eq(relay_msg_encode(&m, buf, sizeof(buf)), -EINVAL);
	m.done.http_status = 500;
	m.done.size = 1; /* a failure has no body */
	ck_assert_int_eq(relay_msg_encode(&m, buf, sizeof(buf)), -EINVAL);
	ck_assert_int_eq(relay_msg_encode(&m, buf, 10), -EINVAL);

	/* On the wire: a string without its NUL, garbage after the NUL, a
	 * wrong version, an unknown type. */
	m = fetch_msg();
	n = relay_msg_encode(&m, buf, sizeof(buf));
	memset(buf + n - RELAY_URL_MAX, 'a', RELAY_URL_MAX);
	ck_assert_int_eq(relay_msg_decode(buf, (size_t)n, &out), -EINVAL);
	n = relay_msg_encode(&m, buf, sizeof(buf));
	buf[n - 1] = 'x';
	ck_assert_int_eq(relay_msg_decode(buf, (size_t)n, &out), -EINVAL);
	n = relay_msg_encode(&m, buf, sizeof(buf));
	buf[0] ^= 0xff;
	ck_assert_int_eq(relay_msg_decode(buf, (size_t)n, &out), -EBADMSG);
	n = relay_msg_encode(&m, buf, sizeof(buf));
	buf[2] = 9;
	ck_assert_int_eq(relay_msg_decode(buf, (size_t)n, &out), -EBADMSG);
	ck_assert_int_eq(relay_msg_decode(buf, 0, &out), -EBADMSG);
}
END_TEST


/* ---- HTTP caching rules ------------------------------------------------ */

static void feed(struct http_cache_info *c, const char *const *lines)
{
	http_cache_init(c);
	for (; *lines != NULL; lines++)
		http_cache_header(c, *lines, strlen(*lines));
}

#define NOW 1700000000 /* Tue, 14 Nov 2023 22:13:20 GMT */

static const struct {
	const char *lines[6];
	bool storable;
	uint64_t lifetime;
} rules[] = {
	{ { "HTTP/1.1 200 OK\r\n", "Cache-Control: max-age=60\r\n" }, true, 60 },
	{ { "cache-control:  public, MAX-AGE=\"30\" \r\n" }, true, 30 },
	{ { "Cache-Control: no-store\r\n" }, false, 0 },
	{ { "Cache-Control: no-cache, max-age=60\r\n" }, true, 0 },
	{ { "Pragma: no-cache\r\n" }, true, 0 },
	{ { "Cache-Control: max-age=abc\r\n" }, true, 0 },
	{ { "Cache-Control: max-age=12345678901\r\n" }, true, 0 },
	/* max-age wins over Expires */
	{ { "Expires: Tue, 14 Nov 2023 23:13:20 GMT\r\n", "Cache-Control: max-age=5\r\n" }, true, 5 },
	/* Expires - Date, else - now */
	{ { "Date: Tue, 14 Nov 2023 22:13:20 GMT\r\n", "Expires: Tue, 14 Nov 2023 22:23:20 GMT\r\n" },
	  true, 600 },
	{ { "Expires: Tue, 14 Nov 2023 22:14:20 GMT\r\n" }, true, 60 },
	{ { "Expires: 0\r\n" }, true, 0 },
	{ { "Expires: Mon, 13 Nov 2023 22:13:20 GMT\r\n" }, true, 0 },
	/* heuristic: 10% of the age since Last-Modified, at most a day */
	{ { "Last-Modified: Tue, 14 Nov 2023 21:13:20 GMT\r\n" }, true, 360 },
	{ { "Last-Modified: Thu, 01 Jan 1970 00:00:00 GMT\r\n" }, true, HTTP_HEURISTIC_MAX },
	{ { "ETag: \"abc\"\r\n" }, true, 0 },
	/* a redirect's headers are forgotten at the next status line */
	{ { "HTTP/1.1 301 Moved\r\n", "Cache-Control: no-store\r\n", "HTTP/1.1 200 OK\r\n",
	    "Cache-Control: max-age=7\r\n" }, true, 7 },
};

START_TEST(test_rules)
{
	struct http_cache_info c;

	feed(&c, rules[_i].lines);
	ck_assert(http_cache_storable(&c) == rules[_i].storable);
	ck_assert_uint_eq(http_cache_lifetime(&c, NOW), rules[_i].lifetime);
}
END_TEST

START_TEST(test_validators)
{
	static const char *const lines[] = { "ETag: W/\"5e-1\"\r\n",
					     "Last-Modified: Tue, 14 Nov 2023 21:13:20 GMT\r\n",
					     NULL };
	static const char *const bad[] = { "ETag: \"a\x01b\"\r\n", NULL };
	struct http_cache_info c;

	feed(&c, lines);
	ck_assert_str_eq(c.etag, "W/\"5e-1\"");
	ck_assert_str_eq(c.last_modified_text, "Tue, 14 Nov 2023 21:13:20 GMT");
	feed(&c, bad);
	ck_assert_str_eq(c.etag, ""); /* not printable: not kept, never sent back */
}
END_TEST

START_TEST(test_dates)
{
	int64_t t;

	ck_assert_int_eq(http_parse_date(S("Sun, 06 Nov 1994 08:49:37 GMT"), &t), 0);
	ck_assert_int_eq(t, 784111777);
	ck_assert_int_eq(http_parse_date(S("Thu, 29 Feb 2024 00:00:00 GMT"), &t), 0);
	ck_assert_int_eq(t, 1709164800);
	ck_assert_int_eq(http_parse_date(S("Sunday, 06-Nov-94 08:49:37 GMT"), &t), -EINVAL);
	ck_assert_int_eq(http_parse_date(S("Sun Nov  6 08:49:37 1994"), &t), -EINVAL);
	ck_assert_int_eq(http_parse_date(S("Sun, 06 Foo 1994 08:49:37 GMT"), &t), -EINVAL);
	ck_assert_int_eq(http_parse_date(S("Sun, 06 Nov 1994 24:49:37 GMT"), &t), -EINVAL);
	ck_assert_int_eq(http_parse_date(S("Sun, 06 Nov 1994 08:49:37 UTC"), &t), -EINVAL);
	ck_assert_int_eq(http_parse_date(S("Sun, 0x Nov 1994 08:49:37 GMT"), &t), -EINVAL);
}
END_TEST

START_TEST(test_entry)
{
	struct http_cache_entry e = { .url = "http://h/k", .body = "0123abcd-0000002a",
				      .size = 42, .fresh_until = NOW, .etag = "\"x\"",
				      .last_modified = "" }, out;
	char buf[2048];
	int n = http_cache_entry_format(&e, buf, sizeof(buf));

	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(http_cache_entry_parse(buf, (size_t)n, &out), 0);
	ck_assert_str_eq(out.url, e.url);
	ck_assert_str_eq(out.body, e.body);
	ck_assert(out.size == 42 && out.fresh_until == NOW);
	ck_assert_str_eq(out.etag, "\"x\"");
	ck_assert_int_eq(http_cache_entry_parse(buf, (size_t)n - 1, &out), -EINVAL);
	strcpy(e.body, "../../etc/passwd"); /* a body is named in the cache only */
	n = http_cache_entry_format(&e, buf, sizeof(buf));
	ck_assert_int_eq(http_cache_entry_parse(buf, (size_t)n, &out), -EINVAL);
	ck_assert_int_eq(http_cache_entry_format(&e, buf, 10), -ENOBUFS);
}
END_TEST

static Suite *relay_suite(void)
{
	Suite *s = suite_create("relay");
	TCase *tc = tcase_create("url");

	tcase_add_loop_test(tc, test_join, 0, (int)ARRAY_SIZE(joins));
	tcase_add_test(tc, test_is_remote);
	tcase_add_test(tc, test_join_length);
	suite_add_tcase(s, tc);
	tc = tcase_create("cache");
	tcase_add_loop_test(tc, test_rules, 0, (int)ARRAY_SIZE(rules));
	tcase_add_test(tc, test_validators);
	tcase_add_test(tc, test_dates);
	tcase_add_test(tc, test_entry);
	suite_add_tcase(s, tc);
	tc = tcase_create("msg");
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_invalid);
	tcase_add_test(tc, test_stream_flags);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(relay_suite());
	int number_failed;

	srunner_run_all(sr, CK_ENV);
	number_failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return number_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
