/*
 * check-policy.c - unit tests for the operator's policy matchers: client
 * specs (src/cidr.c), allow/deny lists (src/acl.c) and per-client aliases
 * with their one-time state (src/alias.c).
 *
 * Client addresses go through addr_key_from, as the daemon's do, so that
 * "v4 or v4-mapped" and "IPv6 scope" are tested on the real keys. Written
 * "192.0.2.7" (an IPv4 socket), "m:192.0.2.7" (v4-mapped on a dual-stack
 * socket) or "fe80::1%2" (IPv6, scope id 2).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "alias.h"
#include "cidr.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static struct addr_key key_of(const char *s)
{
	struct sockaddr_in s4 = { .sin_family = AF_INET, .sin_port = htons(1069) };
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons(1069) };
	char buf[INET6_ADDRSTRLEN + 8];
	const struct sockaddr *sa = (const struct sockaddr *)&s6;
	struct addr_key k;
	char *pct;

	if (strncmp(s, "m:", 2) == 0)
		snprintf(buf, sizeof(buf), "::ffff:%s", s + 2);
	else
		snprintf(buf, sizeof(buf), "%s", s);
	pct = strchr(buf, '%');
	if (pct) {
		*pct = '\0';
		s6.sin6_scope_id = (uint32_t)atoi(pct + 1);
	}
	if (inet_pton(AF_INET, buf, &s4.sin_addr) == 1)
		sa = (const struct sockaddr *)&s4;
	else
		ck_assert_msg(inet_pton(AF_INET6, buf, &s6.sin6_addr) == 1, "bad address %s", s);
	ck_assert(addr_key_from(sa, false, &k));
	return k;
}

/* A text in, a return code and a text out: on success the whole text,
 * on error a piece of the error text. */
struct text_row {
	const char *in;
	int ret;
	const char *out;
};

static void check_row(int i, const struct text_row *row, int r, const char *text, const char *err)
{
	ck_assert_msg(r == row->ret, "row %d '%s': got %d (%s)", i, row->in, r, r ? err : "");
	if (r == 0)
		ck_assert_str_eq(text, row->out);
	else
		ck_assert_msg(strstr(err, row->out), "row %d: '%s'", i, err);
}

/* ---- client specs ---- */

/* Out: the canonical text. */
static const struct text_row parse_rows[] = {
	{ "192.0.2.7", 0, "192.0.2.7/32" },
	{ "192.0.2.0/24", 0, "192.0.2.0/24" },
	{ "192.0.2.128/25", 0, "192.0.2.128/25" },
	{ "2001:db8::/32", 0, "2001:db8::/32" },
	{ "2001:db8::1", 0, "2001:db8::1/128" },
	{ "2001:DB8::/32", 0, "2001:db8::/32" },
	{ "fe80::/10", 0, "fe80::/10" },
	/* v4-mapped is IPv4, prefix less 96. */
	{ "::ffff:192.0.2.0/120", 0, "192.0.2.0/24" },
	{ "::ffff:192.0.2.7", 0, "192.0.2.7/32" },
	{ "::ffff:c000:200/120", 0, "192.0.2.0/24" },
	{ "::ffff:0.0.0.0/96", 0, "0.0.0.0/0" },
	{ "::ffff:0.0.0.0/95", -EINVAL, "host bits" },
	{ "::ffff:192.0.2.0/129", -EINVAL, "above 128" },
	/* IPv4-compatible (deprecated) is not mapped: plain IPv6. */
	{ "::192.0.2.7", 0, "::192.0.2.7/128" },
	/* Prefix edges: 0, 32, 33; 0, 128, 129. */
	{ "0.0.0.0/0", 0, "0.0.0.0/0" },
	{ "192.0.2.7/32", 0, "192.0.2.7/32" },
	{ "192.0.2.7/33", -EINVAL, "above 32, the IPv4 maximum" },
	{ "0.0.0.0/33", -EINVAL, "above 32" },
	{ "::/0", 0, "::/0" },
	{ "2001:db8::1/128", 0, "2001:db8::1/128" },
	{ "2001:db8::1/129", -EINVAL, "above 128, the IPv6 maximum" },
	{ "::/129", -EINVAL, "above 128" },
	{ "192.0.2.0/1000", -EINVAL, "above 32" },
	{ "192.0.2.0/99999999999999999999999", -EINVAL, "above 32" },
	/* Strict digits: no sign, space, hex, empty, leading zero. */
	{ "192.0.2.0/", -EINVAL, "no prefix length" },
	{ "192.0.2.0/+24", -EINVAL, "not a decimal number" },
	{ "192.0.2.0/-1", -EINVAL, "not a decimal number" },
	{ "192.0.2.0/ 24", -EINVAL, "not a decimal number" },
	{ "192.0.2.0/24 ", -EINVAL, "not a decimal number" },
	{ "192.0.2.0/0x18", -EINVAL, "not a decimal number" },
	{ "192.0.2.0/24/8", -EINVAL, "not a decimal number" },
	{ "192.0.2.0//24", -EINVAL, "not a decimal number" },
	{ "192.0.2.0/024", -EINVAL, "leading zero" },
	{ "192.0.2.0/033", -EINVAL, "leading zero" },
	{ "0.0.0.0/00", -EINVAL, "leading zero" },
	/* Host bits are refused, naming the network. */
	{ "192.0.2.1/24", -EINVAL, "host bits set beyond /24: the network is 192.0.2.0/24" },
	{ "10.1.2.3/8", -EINVAL, "the network is 10.0.0.0/8" },
	{ "0.0.0.1/0", -EINVAL, "the network is 0.0.0.0/0" },
	{ "2001:db8::1/32", -EINVAL, "the network is 2001:db8::/32" },
	{ "::ffff:192.0.2.1/120", -EINVAL, "the network is ::ffff:192.0.2.0/120" },
	/* Addresses. */
	{ "", -EINVAL, "no address" },
	{ "/24", -EINVAL, "no address" },
	{ "default", -EINVAL, "not an IPv4 or IPv6 address" },
	{ " 192.0.2.7", -EINVAL, "not an IPv4" },
	{ "192.0.2.7 ", -EINVAL, "not an IPv4" },
	{ "192.0.2.256", -EINVAL, "not an IPv4" },
	{ "010.0.0.1", -EINVAL, "not an IPv4" },
	{ "10.1", -EINVAL, "not an IPv4" },
	{ "0x0a000001", -EINVAL, "not an IPv4" },
	{ "1.2.3.4.5", -EINVAL, "not an IPv4" },
	{ "2001:db8:::1", -EINVAL, "not an IPv4" },
	{ "0000:0000:0000:0000:0000:0000:0000:0000:0", -EINVAL, "not an IPv4" },
	{ "0000:0000:0000:0000:0000:0000:0000:00001/64", -EINVAL, "not an IPv4" },
	{ "fe80::1%eth0", -EINVAL, "zone" },
	{ "fe80::1%2/128", -EINVAL, "zone" },
};

START_TEST(test_cidr_parse)
{
	struct cidr c, before;
	char err[CIDR_ERR_MAX] = "", text[CIDR_TEXT_MAX];
	int r;

	memset(&c, 0x5a, sizeof(c));
	before = c;
	r = cidr_parse(parse_rows[_i].in, strlen(parse_rows[_i].in), &c, err, sizeof(err));
	check_row(_i, &parse_rows[_i], r, r ? NULL : cidr_format(&c, text), err);
	if (r == 0)
		ck_assert_str_eq(err, "");
	else
		ck_assert_mem_eq(&c, &before, sizeof(c));
}
END_TEST

/* Only len bytes are read; an embedded NUL is not the end of the text;
 * the error text is cut to its buffer. */
START_TEST(test_cidr_parse_len)
{
	struct cidr c;
	char err[8], text[CIDR_TEXT_MAX];

	ck_assert_int_eq(cidr_parse("192.0.2.0/24junk", 12, &c, NULL, 0), 0);
	ck_assert_str_eq(cidr_format(&c, text), "192.0.2.0/24");
	ck_assert_int_eq(cidr_parse("192.0.2.7\0", 10, &c, NULL, 0), -EINVAL);
	ck_assert_int_eq(cidr_parse("192.0.2.0/2\0", 12, &c, NULL, 0), -EINVAL);
	ck_assert_int_eq(cidr_parse(NULL, 3, &c, err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(cidr_parse("x", 1, &c, err, sizeof(err)), -EINVAL);
	ck_assert_uint_eq(strlen(err), sizeof(err) - 1);
}
END_TEST

static const struct {
	const char *spec;
	const char *client;
	bool match;
} match_rows[] = {
	{ "192.0.2.0/24", "192.0.2.7", true },
	{ "192.0.2.0/24", "m:192.0.2.7", true },
	{ "::ffff:192.0.2.0/120", "192.0.2.7", true },
	{ "::ffff:192.0.2.0/120", "m:192.0.2.7", true },
	{ "192.0.2.0/24", "192.0.3.1", false },
	{ "192.0.2.0/24", "m:192.0.3.1", false },
	{ "192.0.2.7", "192.0.2.7", true },
	{ "192.0.2.7", "192.0.2.8", false },
	{ "192.0.2.128/25", "192.0.2.127", false },
	{ "192.0.2.128/25", "192.0.2.128", true },
	{ "10.0.0.0/7", "11.255.255.255", true },
	{ "10.0.0.0/7", "12.0.0.0", false },
	{ "0.0.0.0/0", "198.51.100.1", true },
	{ "0.0.0.0/0", "m:198.51.100.1", true },
	{ "0.0.0.0/0", "2001:db8::1", false },
	/* IPv4 clients are IPv4 keys, mapped or not: ::/0 is IPv6 only. */
	{ "::/0", "2001:db8::1", true },
	{ "::/0", "192.0.2.7", false },
	{ "::/0", "m:192.0.2.7", false },
	{ "::ffff:0.0.0.0/96", "m:192.0.2.7", true },
	{ "2001:db8::/32", "2001:db8:ffff::1", true },
	{ "2001:db8::/32", "2001:db9::1", false },
	{ "2001:db8::1", "2001:db8::1", true },
	{ "2001:db8::1", "2001:db8::2", false },
	/* A spec has no scope: it matches a link-local address on any link. */
	{ "fe80::/10", "fe80::1%2", true },
	{ "fe80::/10", "fe80::1", true },
	{ "fe80::1", "fe80::1%3", true },
	{ "fe80::1", "fe80::2%3", false },
	{ "fe80::/10", "fec0::1", false },
};

START_TEST(test_cidr_match)
{
	struct cidr c;
	struct addr_key k = key_of(match_rows[_i].client);

	ck_assert_int_eq(cidr_parse(match_rows[_i].spec, strlen(match_rows[_i].spec), &c, NULL, 0),
			 0);
	ck_assert_msg(cidr_match(&c, &k) == match_rows[_i].match, "row %d", _i);
	/* The port of a key with one does not matter. */
	k.port = 69;
	ck_assert(cidr_match(&c, &k) == match_rows[_i].match);
}
END_TEST

START_TEST(test_cidr_specificity)
{
	static const struct {
		const char *spec;
		unsigned s;
	} rows[] = {
		{ "0.0.0.0/0", 96 },   { "10.0.0.0/8", 104 },    { "192.0.2.7", 128 },
		{ "::/0", 0 },         { "2001:db8::/32", 32 },  { "2001:db8::1", 128 },
		{ "::ffff:10.0.0.0/104", 104 },
	};
	struct cidr c;
	struct addr_key none = { 0 };

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		ck_assert_int_eq(cidr_parse(rows[i].spec, strlen(rows[i].spec), &c, NULL, 0), 0);
		ck_assert_uint_eq(cidr_specificity(&c), rows[i].s);
		/* A key of no family matches nothing, not even /0. */
		ck_assert(!cidr_match(&c, &none));
	}
}
END_TEST

/* ---- allow / deny lists ---- */

struct line {
	const char *key, *value;
};

static const struct {
	struct line lines[6];
	const char *client;
	bool write;
	bool permit;
	const char *rule; /* what decided, "" for nothing */
} acl_rows[] = {
	{ { { NULL, NULL } }, "192.0.2.7", false, true, "" },
	{ { { NULL, NULL } }, "2001:db8::1", true, true, "" },
	{ { { "deny", "10.0.0.0/8" } }, "10.1.2.3", false, false, "deny = 10.0.0.0/8" },
	{ { { "deny", "10.0.0.0/8" } }, "m:10.1.2.3", false, false, "deny = 10.0.0.0/8" },
	{ { { "deny", "10.0.0.0/8" } }, "11.0.0.1", false, true, "" },
	/* First match wins, not the most specific. */
	{ { { "allow", "10.1.0.0/16" }, { "deny", "10.0.0.0/8" } }, "10.1.2.3", false, true,
	  "allow = 10.1.0.0/16" },
	{ { { "allow", "10.1.0.0/16" }, { "deny", "10.0.0.0/8" } }, "10.2.0.1", false, false,
	  "deny = 10.0.0.0/8" },
	{ { { "deny", "10.0.0.0/8" }, { "allow", "10.1.0.0/16" } }, "10.1.2.3", false, false,
	  "deny = 10.0.0.0/8" },
	/* Allow some, deny the rest of both families. */
	{ { { "allow", "192.0.2.0/24" }, { "allow", "2001:db8::/32" }, { "deny", "0.0.0.0/0" },
	    { "deny", "::/0" } },
	  "192.0.2.7", false, true, "allow = 192.0.2.0/24" },
	{ { { "allow", "192.0.2.0/24" }, { "allow", "2001:db8::/32" }, { "deny", "0.0.0.0/0" },
	    { "deny", "::/0" } },
	  "m:192.0.2.7", false, true, "allow = 192.0.2.0/24" },
	{ { { "allow", "192.0.2.0/24" }, { "allow", "2001:db8::/32" }, { "deny", "0.0.0.0/0" },
	    { "deny", "::/0" } },
	  "198.51.100.1", false, false, "deny = 0.0.0.0/0" },
	{ { { "allow", "192.0.2.0/24" }, { "allow", "2001:db8::/32" }, { "deny", "0.0.0.0/0" },
	    { "deny", "::/0" } },
	  "m:198.51.100.1", false, false, "deny = 0.0.0.0/0" },
	{ { { "allow", "192.0.2.0/24" }, { "allow", "2001:db8::/32" }, { "deny", "0.0.0.0/0" },
	    { "deny", "::/0" } },
	  "2001:db8::1", false, true, "allow = 2001:db8::/32" },
	{ { { "allow", "192.0.2.0/24" }, { "allow", "2001:db8::/32" }, { "deny", "0.0.0.0/0" },
	    { "deny", "::/0" } },
	  "fe80::1%2", false, false, "deny = ::/0" },
	/* One family's catch-all leaves the other open. */
	{ { { "deny", "0.0.0.0/0" } }, "2001:db8::1", false, true, "" },
	{ { { "deny", "::/0" } }, "m:192.0.2.7", false, true, "" },
	{ { { "deny", "fe80::/10" } }, "fe80::1%7", false, false, "deny = fe80::/10" },
	{ { { "allow", "2001:db8:1::/48" }, { "deny", "2001:db8::/32" } }, "2001:db8:1::5", false,
	  true, "allow = 2001:db8:1::/48" },
	{ { { "allow", "2001:db8:1::/48" }, { "deny", "2001:db8::/32" } }, "2001:db8:2::5", false,
	  false, "deny = 2001:db8::/32" },
	/* The upload list applies to uploads only. */
	{ { { "allow-write", "192.0.2.0/24" }, { "deny-write", "0.0.0.0/0" },
	    { "deny-write", "::/0" } },
	  "198.51.100.1", false, true, "" },
	{ { { "allow-write", "192.0.2.0/24" }, { "deny-write", "0.0.0.0/0" },
	    { "deny-write", "::/0" } },
	  "198.51.100.1", true, false, "deny-write = 0.0.0.0/0" },
	{ { { "allow-write", "192.0.2.0/24" }, { "deny-write", "0.0.0.0/0" },
	    { "deny-write", "::/0" } },
	  "192.0.2.7", true, true, "allow-write = 192.0.2.0/24" },
	{ { { "allow-write", "192.0.2.0/24" }, { "deny-write", "0.0.0.0/0" },
	    { "deny-write", "::/0" } },
	  "2001:db8::1", true, false, "deny-write = ::/0" },
	/* ...and narrows the request list, never widens it. */
	{ { { "deny", "192.0.2.7" }, { "allow-write", "192.0.2.0/24" } }, "192.0.2.7", true, false,
	  "deny = 192.0.2.7/32" },
	{ { { "allow", "192.0.2.0/24" }, { "deny-write", "192.0.2.7" } }, "192.0.2.7", true, false,
	  "deny-write = 192.0.2.7/32" },
	{ { { "allow", "192.0.2.0/24" } }, "192.0.2.7", true, true, "allow = 192.0.2.0/24" },
	{ { { "allow", "192.0.2.0/24" }, { "allow-write", "192.0.2.0/25" } }, "192.0.2.7", true,
	  true, "allow-write = 192.0.2.0/25" },
};

START_TEST(test_acl)
{
	struct acl_policy p;
	struct addr_key k = key_of(acl_rows[_i].client);
	const struct acl_rule *r = (const void *)&p;
	char text[ACL_RULE_TEXT_MAX];

	acl_policy_init(&p);
	for (size_t j = 0; j < ARRAY_SIZE(acl_rows[_i].lines) && acl_rows[_i].lines[j].key; j++)
		ck_assert_int_eq(acl_policy_add(&p, acl_rows[_i].lines[j].key,
						acl_rows[_i].lines[j].value, NULL),
				 0);
	ck_assert_msg(acl_policy_permits(&p, &k, acl_rows[_i].write, &r) == acl_rows[_i].permit,
		      "row %d", _i);
	if (*acl_rows[_i].rule)
		ck_assert_str_eq(acl_rule_format(r, text, sizeof(text)), acl_rows[_i].rule);
	else
		ck_assert_ptr_null(r);
	/* Without ret_rule, the same verdict. */
	ck_assert(acl_policy_permits(&p, &k, acl_rows[_i].write, NULL) == acl_rows[_i].permit);
	acl_policy_free(&p);
}
END_TEST

START_TEST(test_acl_errors)
{
	struct acl_policy p;
	const char *err = NULL;

	acl_policy_init(&p);
	ck_assert_int_eq(acl_policy_add(&p, "permit", "10.0.0.0/8", &err), -ENOENT);
	ck_assert_ptr_null(err);
	ck_assert_int_eq(acl_policy_add(&p, "Allow", "10.0.0.0/8", &err), -ENOENT);
	ck_assert_int_eq(acl_policy_add(&p, NULL, "10.0.0.0/8", &err), -ENOENT);
	ck_assert_int_eq(acl_policy_add(&p, "deny", "10.0.0.1/8", &err), -EINVAL);
	ck_assert_str_eq(err, "host bits set beyond /8: the network is 10.0.0.0/8");
	ck_assert_int_eq(acl_policy_add(&p, "deny-write", "default", &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "not an IPv4 or IPv6 address"));
	ck_assert_int_eq(acl_policy_add(&p, "allow", NULL, NULL), -EINVAL);
	ck_assert_uint_eq(p.any.n, 0);
	ck_assert_uint_eq(p.write.n, 0);
	acl_policy_free(&p);
	/* Freed is empty and reusable. */
	ck_assert_uint_eq(p.any.n, 0);
	ck_assert(p.write.write);
	ck_assert_int_eq(acl_add(&p.any, true, "::/0", NULL), 0);
	acl_policy_free(&p);
}
END_TEST

/* ACL_MAX rules per list, each list on its own. */
START_TEST(test_acl_bound)
{
	struct acl_policy p;
	struct addr_key k = key_of("10.3.255.1");
	const struct acl_rule *r;
	const char *err = NULL;
	char spec[32], text[ACL_RULE_TEXT_MAX];

	acl_policy_init(&p);
	for (int i = 0; i < ACL_MAX; i++) {
		snprintf(spec, sizeof(spec), "10.%d.%d.0/24", i / 256, i % 256);
		ck_assert_int_eq(acl_policy_add(&p, i % 2 ? "allow" : "deny", spec, &err), 0);
	}
	ck_assert_int_eq(acl_policy_add(&p, "deny", "0.0.0.0/0", &err), -E2BIG);
	ck_assert_str_eq(err, "more than 1024 rules in one list");
	ck_assert_uint_eq(p.any.n, ACL_MAX);
	ck_assert_int_eq(acl_policy_add(&p, "deny-write", "0.0.0.0/0", &err), 0);
	/* The last rule still decides for its client. */
	ck_assert(acl_policy_permits(&p, &k, false, &r));
	ck_assert_str_eq(acl_rule_format(r, text, sizeof(text)), "allow = 10.3.255.0/24");
	ck_assert(!acl_policy_permits(&p, &k, true, &r));
	acl_policy_free(&p);
}
END_TEST

/* The longest rule text fits ACL_RULE_TEXT_MAX; a short buffer is cut. */
START_TEST(test_acl_rule_text)
{
	struct acl a;
	const char *longest = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/128";
	char text[ACL_RULE_TEXT_MAX], small[8];

	acl_init(&a, true);
	ck_assert_int_eq(acl_add(&a, true, longest, NULL), 0);
	acl_rule_format(&a.rule[0], text, sizeof(text));
	ck_assert_str_eq(text, "allow-write = ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/128");
	ck_assert_str_eq(acl_rule_format(&a.rule[0], small, sizeof(small)), "allow-w");
	acl_free(&a);
}
END_TEST

/* ---- aliases ---- */

/* In: CLIENT/NAME; out: the once key "CLIENT/NAME = t". */
static const struct text_row key_rows[] = {
	{ "10.0.0.0/8/pxelinux.cfg/default", 0, "10.0.0.0/8/pxelinux.cfg/default = t" },
	{ "192.0.2.7/pxelinux.0", 0, "192.0.2.7/32/pxelinux.0 = t" },
	/* Digits not followed by '/' are a NAME. */
	{ "192.0.2.7/24", 0, "192.0.2.7/32/24 = t" },
	{ "192.0.2.7/123abc/x", 0, "192.0.2.7/32/123abc/x = t" },
	{ "192.0.2.7/32/24", 0, "192.0.2.7/32/24 = t" },
	{ "192.0.2.7/32/01/x", 0, "192.0.2.7/32/01/x = t" },
	{ "192.0.2.0/24/01/x", 0, "192.0.2.0/24/01/x = t" },
	/* Digits and a '/' are a prefix length, checked as one. */
	{ "192.0.2.7/01/x", -EINVAL, "CLIENT: prefix length with a leading zero" },
	{ "10.0.0.0/33/x", -EINVAL, "CLIENT: prefix length above 32" },
	{ "10.1.0.0/8/x", -EINVAL, "CLIENT: host bits set beyond /8: the network is 10.0.0.0/8" },
	{ "10.0.0.0/8//x", 0, "10.0.0.0/8/x = t" },
	{ "10.0.0.0//x", 0, "10.0.0.0/32/x = t" },
	{ "10.0.0.0/8/", -EINVAL, "NAME is not a file" },
	{ "10.0.0.0/8/../etc/passwd", -EINVAL, "NAME is not a file" },
	{ "10.0.0.0/8/a\\b", 0, "10.0.0.0/8/a/b = t" },
	{ "10.0.0.0/8/./a", 0, "10.0.0.0/8/a = t" },
	{ "10.0.0.0/8/a\tb", -EINVAL, "NAME is not a file" },
	/* "default" has no prefix length: what follows is all NAME. */
	{ "default/pxelinux.0", 0, "default/pxelinux.0 = t" },
	{ "default/8/x", 0, "default/8/x = t" },
	{ "default//x", 0, "default/x = t" },
	{ "default/", -EINVAL, "NAME is not a file" },
	{ "default", -EINVAL, "not CLIENT/NAME" },
	{ "Default/x", -EINVAL, "CLIENT: not an IPv4 or IPv6 address" },
	{ "defaults/x", -EINVAL, "CLIENT: not an IPv4" },
	{ "/x", -EINVAL, "not CLIENT/NAME" },
	{ "", -EINVAL, "not CLIENT/NAME" },
	{ "pxelinux.0", -EINVAL, "not CLIENT/NAME" },
	/* IPv6: ':' but never '/'. */
	{ "2001:db8::/32/grub/grub.cfg", 0, "2001:db8::/32/grub/grub.cfg = t" },
	{ "2001:db8::1/grub.cfg", 0, "2001:db8::1/128/grub.cfg = t" },
	{ "2001:db8::1/128/64/x", 0, "2001:db8::1/128/64/x = t" },
	{ "::ffff:10.0.0.0/104/x", 0, "10.0.0.0/8/x = t" },
	{ "::/0/x", 0, "::/0/x = t" },
	{ "fe80::1%eth0/x", -EINVAL, "CLIENT: an address with a zone" },
};

START_TEST(test_alias_key)
{
	struct alias_table t;
	const char *err = NULL;
	int r;

	alias_init(&t);
	r = alias_add(&t, true, key_rows[_i].in, "t", &err);
	check_row(_i, &key_rows[_i], r, alias_once_key(&t, 0), err);
	ck_assert_uint_eq(t.n, r == 0);
	alias_free(&t);
}
END_TEST

/* In: TARGET; out: what a lookup gives. */
static const struct text_row target_rows[] = {
	{ "images/a.img", 0, "images/a.img" },
	{ "/images/a.img", 0, "images/a.img" },
	{ "\\boot\\bcd", 0, "boot/bcd" },
	{ "../etc/shadow", -EINVAL, "TARGET is not a file" },
	{ "a/../../b", -EINVAL, "TARGET is not a file" },
	{ "", -EINVAL, "TARGET is not a file" },
	{ "/", -EINVAL, "TARGET is not a file" },
	{ "a\nb", -EINVAL, "TARGET is not a file" },
};

START_TEST(test_alias_target)
{
	struct alias_table t;
	struct alias_hit hit;
	struct addr_key k = key_of("192.0.2.7");
	const char *err = NULL;
	int r;

	alias_init(&t);
	r = alias_add(&t, false, "default/x", target_rows[_i].in, &err);
	if (r == 0) {
		ck_assert_int_eq(alias_lookup(&t, &k, "x", &hit), 0);
		ck_assert(!hit.once);
		ck_assert_ptr_null(alias_once_key(&t, hit.id));
	}
	check_row(_i, &target_rows[_i], r, r ? NULL : hit.target, err);
	alias_free(&t);
}
END_TEST

/* NAME and TARGET: TFTP_PATH_MAX - 1 bytes fit, one more does not. */
START_TEST(test_alias_lengths)
{
	struct alias_table t;
	struct alias_hit hit;
	struct addr_key k = key_of("2001:db8::1");
	char key[TFTP_PATH_MAX + 64], name[TFTP_PATH_MAX + 1];
	const char *err = NULL;

	alias_init(&t);
	memset(name, 'n', sizeof(name) - 1);
	name[TFTP_PATH_MAX] = '\0';
	snprintf(key, sizeof(key), "default/%s", name);
	ck_assert_int_eq(alias_add(&t, false, key, name, &err), -EINVAL);
	ck_assert_str_eq(err, "NAME longer than 511 bytes");
	name[TFTP_PATH_MAX - 1] = '\0';
	snprintf(key, sizeof(key), "default/%s", name);
	ck_assert_int_eq(alias_add(&t, false, key, "x/../y", &err), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "TARGET is not"));
	name[TFTP_PATH_MAX - 1] = 'n';
	ck_assert_int_eq(alias_add(&t, false, "default/a", name, &err), -EINVAL);
	ck_assert_str_eq(err, "TARGET longer than 511 bytes");
	name[TFTP_PATH_MAX - 1] = '\0';
	/* The longest once key fits ALIAS_KEY_MAX. */
	snprintf(key, sizeof(key), "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/128/%s", name);
	ck_assert_int_eq(alias_add(&t, true, key, name, &err), 0);
	ck_assert_uint_lt(strlen(alias_once_key(&t, 0)), ALIAS_KEY_MAX);
	/* Leading slashes of the raw text do not count. */
	snprintf(key, sizeof(key), "default///%s", name);
	ck_assert_int_eq(alias_add(&t, false, key, name, &err), 0);
	ck_assert_int_eq(alias_lookup(&t, &k, name, &hit), 0);
	ck_assert(!hit.once);
	ck_assert_int_eq(alias_add(&t, false, NULL, "x", &err), -EINVAL);
	ck_assert_int_eq(alias_add(&t, false, "default/x", NULL, NULL), -EINVAL);
	alias_free(&t);
}
END_TEST

static const struct line spec_lines[] = {
	{ "default/pxelinux.cfg", "d" },
	{ "10.0.0.0/8/pxelinux.cfg", "p8" },
	{ "10.1.2.0/24/pxelinux.cfg", "p24" },
	{ "10.1.2.3/pxelinux.cfg", "p32" },
	{ "2001:db8::/32/pxelinux.cfg", "q32" },
	{ "2001:db8:1::/48/pxelinux.cfg", "q48" },
	{ "2001:db8:1::5/pxelinux.cfg", "q128" },
	{ "10.0.0.0/8/other", "o8" },
	{ "fe80::/10/pxelinux.cfg", "ll" },
};

static const struct {
	const char *client, *path, *target; /* target NULL: no alias */
} spec_rows[] = {
	{ "10.1.2.3", "pxelinux.cfg", "p32" },
	{ "m:10.1.2.3", "pxelinux.cfg", "p32" },
	{ "10.1.2.4", "pxelinux.cfg", "p24" },
	{ "m:10.1.2.4", "pxelinux.cfg", "p24" },
	{ "10.9.9.9", "pxelinux.cfg", "p8" },
	{ "192.0.2.1", "pxelinux.cfg", "d" },
	{ "2001:db8:1::5", "pxelinux.cfg", "q128" },
	{ "2001:db8:1::6", "pxelinux.cfg", "q48" },
	{ "2001:db8:2::1", "pxelinux.cfg", "q32" },
	{ "2001:db9::1", "pxelinux.cfg", "d" },
	{ "fe80::1%3", "pxelinux.cfg", "ll" },
	{ "fe80::1%4", "pxelinux.cfg", "ll" },
	{ "10.1.2.3", "other", "o8" },
	{ "192.0.2.1", "other", NULL },
	{ "10.1.2.3", "pxelinux.cfg/01-aa", NULL },
	/* Names are compared as given, exactly: the caller normalises. */
	{ "10.1.2.3", "PXELINUX.CFG", NULL },
	{ "10.1.2.3", "/pxelinux.cfg", NULL },
	{ "10.1.2.3", "pxelinux.cf", NULL },
};

static void build(struct alias_table *t, const struct line *lines, size_t n, bool reverse,
		  bool once)
{
	alias_init(t);
	for (size_t i = 0; i < n; i++) {
		const struct line *l = &lines[reverse ? n - 1 - i : i];
		const char *err = "";

		ck_assert_msg(alias_add(t, once, l->key, l->value, &err) == 0, "%s: %s", l->key,
			      err);
	}
}

/* The most specific entry wins, whatever the file order and the section. */
START_TEST(test_alias_specific)
{
	struct addr_key k = key_of(spec_rows[_i].client);

	for (int v = 0; v < 4; v++) {
		struct alias_table t;
		struct alias_hit hit;
		int r;

		build(&t, spec_lines, ARRAY_SIZE(spec_lines), v & 1, v & 2);
		r = alias_lookup(&t, &k, spec_rows[_i].path, &hit);
		if (spec_rows[_i].target) {
			ck_assert_msg(r == 0, "row %d variant %d", _i, v);
			ck_assert_str_eq(hit.target, spec_rows[_i].target);
			ck_assert(hit.once == (bool)(v & 2));
		} else {
			ck_assert_int_eq(r, -ENOENT);
		}
		alias_free(&t);
	}
}
END_TEST

/* A live once-entry wins over a standing one of the same CLIENT; a more
 * specific standing one wins over it. */
START_TEST(test_alias_once)
{
	struct alias_table t;
	struct alias_hit hit, host, wide;
	struct addr_key other = key_of("10.9.9.9"), me = key_of("m:10.1.2.3");

	alias_init(&t);
	ck_assert_int_eq(alias_add(&t, false, "10.0.0.0/8/boot.img", "standing", NULL), 0);
	ck_assert_int_eq(alias_add(&t, true, "10.0.0.0/8/boot.img", "staged", NULL), 0);
	ck_assert_int_eq(alias_add(&t, true, "10.1.2.3/32/boot.img", "mine", NULL), 0);
	ck_assert_int_eq(alias_add(&t, true, "default/boot.img", "anyone", NULL), 0);

	ck_assert_int_eq(alias_lookup(&t, &other, "boot.img", &wide), 0);
	ck_assert_str_eq(wide.target, "staged");
	ck_assert(wide.once);
	ck_assert_int_eq(alias_lookup(&t, &me, "boot.img", &host), 0);
	ck_assert_str_eq(host.target, "mine");
	/* Not consumed by a lookup: only after the download. */
	ck_assert_int_eq(alias_lookup(&t, &me, "boot.img", &hit), 0);
	ck_assert_uint_eq(hit.id, host.id);

	ck_assert_int_eq(alias_consume(&t, host.id), 0);
	ck_assert_int_eq(alias_consume(&t, host.id), -EALREADY);
	ck_assert_int_eq(alias_lookup(&t, &me, "boot.img", &hit), 0);
	ck_assert_str_eq(hit.target, "staged");
	ck_assert_int_eq(alias_consume(&t, hit.id), 0);
	ck_assert_int_eq(alias_lookup(&t, &other, "boot.img", &hit), 0);
	ck_assert_str_eq(hit.target, "standing");
	ck_assert(!hit.once);
	ck_assert_int_eq(alias_consume(&t, hit.id), -EINVAL);
	ck_assert_int_eq(alias_lookup(&t, &other, "boot.img", &hit), 0);
	ck_assert_str_eq(hit.target, "standing");

	/* Outside 10/8: the default once-entry, then nothing. */
	other = key_of("2001:db8::1");
	ck_assert_int_eq(alias_lookup(&t, &other, "boot.img", &hit), 0);
	ck_assert_str_eq(hit.target, "anyone");
	ck_assert_int_eq(alias_consume(&t, hit.id), 0);
	ck_assert_int_eq(alias_lookup(&t, &other, "boot.img", &hit), -ENOENT);

	ck_assert_int_eq(alias_consume(&t, ALIAS_NONE), -EINVAL);
	ck_assert_int_eq(alias_consume(&t, (uint32_t)t.n), -EINVAL);
	ck_assert_ptr_null(alias_once_key(&t, (uint32_t)t.n));
	alias_free(&t);
}
END_TEST

/* One CLIENT/NAME per section, however it is spelt; either section once. */
START_TEST(test_alias_duplicates)
{
	static const struct {
		const char *first, *second;
		bool once2;
		int ret;
	} rows[] = {
		{ "10.0.0.5/x", "10.0.0.5/x", false, -EINVAL },
		{ "10.0.0.5/x", "10.0.0.5/32/x", false, -EINVAL },
		{ "10.0.0.5/x", "::ffff:10.0.0.5/x", false, -EINVAL },
		{ "10.0.0.5/x", "10.0.0.5//x", false, -EINVAL },
		{ "default/x", "default/./x", false, -EINVAL },
		{ "2001:db8::/32/x", "2001:DB8:0::/32/x", false, -EINVAL },
		{ "10.0.0.5/x", "10.0.0.5/x", true, 0 },
		{ "10.0.0.5/x", "10.0.0.5/y", false, 0 },
		{ "10.0.0.5/x", "10.0.0.4/x", false, 0 },
		{ "10.0.0.0/8/x", "10.0.0.0/9/x", false, 0 },
		{ "default/x", "0.0.0.0/0/x", false, 0 },
		{ "0.0.0.0/0/x", "::/0/x", false, 0 },
	};
	const char *err = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct alias_table t;

		alias_init(&t);
		ck_assert_int_eq(alias_add(&t, false, rows[i].first, "a", NULL), 0);
		ck_assert_msg(alias_add(&t, rows[i].once2, rows[i].second, "b", &err) ==
				      rows[i].ret,
			      "row %zu", i);
		if (rows[i].ret)
			ck_assert_ptr_nonnull(strstr(err, "a second entry for "));
		ck_assert_uint_eq(t.n, rows[i].ret ? 1 : 2);
		alias_free(&t);
	}
	{
		struct alias_table t;

		alias_init(&t);
		ck_assert_int_eq(alias_add(&t, true, "10.0.0.5/x", "a", NULL), 0);
		ck_assert_int_eq(alias_add(&t, true, "::ffff:10.0.0.5/128/x", "b", &err), -EINVAL);
		ck_assert_str_eq(err, "a second entry for 10.0.0.5/32/x in [alias-once]");
		alias_free(&t);
	}
}
END_TEST

START_TEST(test_alias_bound)
{
	struct alias_table t;
	struct alias_hit hit;
	struct addr_key k = key_of("192.0.2.7");
	const char *err = NULL;
	char key[64];

	alias_init(&t);
	for (int i = 0; i < ALIAS_MAX; i++) {
		snprintf(key, sizeof(key), "default/f%d", i);
		ck_assert_int_eq(alias_add(&t, i % 2, key, "t", &err), 0);
	}
	ck_assert_int_eq(alias_add(&t, false, "default/one-more", "t", &err), -E2BIG);
	ck_assert_str_eq(err, "more than 4096 aliases");
	ck_assert_uint_eq(t.n, ALIAS_MAX);
	ck_assert_int_eq(alias_lookup(&t, &k, "f4095", &hit), 0);
	ck_assert(hit.once);
	ck_assert_uint_eq(hit.id, ALIAS_MAX - 1);
	alias_free(&t);
	ck_assert_uint_eq(t.n, 0);
	ck_assert_ptr_null(t.entry);
}
END_TEST

/* ---- one-time state ---- */

static const struct line once_lines[] = {
	{ "10.0.0.0/8/boot.img", "images/a.img" },
	{ "default/boot.img", "images/b.img" },
	{ "2001:db8::1/pxelinux.0", "pxe/x.0" },
	{ "192.0.2.7/32/01/x", "y" },
};

static const char *format(const struct alias_table *t, char *buf, size_t size)
{
	size_t len = SIZE_MAX;

	ck_assert_int_eq(alias_state_format(t, buf, size, &len), 0);
	ck_assert_uint_eq(len, strlen(buf));
	ck_assert_uint_eq(len, alias_state_size(t));
	return buf;
}

static unsigned consumed_mask(const struct alias_table *t)
{
	unsigned m = 0;

	for (size_t i = 0; i < t->n; i++)
		if (t->entry[i].consumed)
			m |= 1u << i;
	return m;
}

/* format -> parse into a fresh table -> the same consumed set and text. */
START_TEST(test_state_round_trip)
{
	struct alias_table a, b;
	char text[4096], again[4096];

	for (unsigned mask = 0; mask < 16; mask++) {
		build(&a, once_lines, ARRAY_SIZE(once_lines), false, true);
		for (unsigned i = 0; i < 4; i++)
			if (mask & (1u << i))
				ck_assert_int_eq(alias_consume(&a, i), 0);
		format(&a, text, sizeof(text));
		build(&b, once_lines, ARRAY_SIZE(once_lines), false, true);
		ck_assert_uint_eq(alias_state_parse(&b, text, strlen(text)), 0);
		ck_assert_uint_eq(consumed_mask(&b), mask);
		ck_assert_str_eq(format(&b, again, sizeof(again)), text);
		alias_free(&a);
		alias_free(&b);
	}
	build(&a, once_lines, ARRAY_SIZE(once_lines), false, true);
	alias_consume(&a, 0);
	alias_consume(&a, 3);
	ck_assert_str_eq(format(&a, text, sizeof(text)),
			 "10.0.0.0/8/boot.img = images/a.img\n192.0.2.7/32/01/x = y\n");
	alias_free(&a);
}
END_TEST

/* A re-targeted entry is a new key: armed again, its old line stale. */
START_TEST(test_state_retarget)
{
	static const struct line changed[] = {
		{ "10.0.0.0/8/boot.img", "images/a2.img" },
		{ "default/boot.img", "images/b.img" },
		{ "2001:db8::1/pxelinux.0", "pxe/x.0" },
		{ "192.0.2.7/32/01/x", "y" },
	};
	struct alias_table a, b;
	struct alias_hit hit;
	struct addr_key k = key_of("10.1.1.1");
	char text[4096], again[4096];

	build(&a, once_lines, ARRAY_SIZE(once_lines), false, true);
	for (uint32_t i = 0; i < 4; i++)
		alias_consume(&a, i);
	format(&a, text, sizeof(text));
	build(&b, changed, ARRAY_SIZE(changed), false, true);
	ck_assert_uint_eq(alias_state_parse(&b, text, strlen(text)), 1);
	ck_assert_uint_eq(consumed_mask(&b), 0xe);
	ck_assert_int_eq(alias_lookup(&b, &k, "boot.img", &hit), 0);
	ck_assert_str_eq(hit.target, "images/a2.img");
	/* The stale line is gone from the next state. */
	format(&b, again, sizeof(again));
	ck_assert_ptr_null(strstr(again, "a.img"));
	ck_assert_uint_eq(alias_state_parse(&b, again, strlen(again)), 0);
	/* The same entry in the other order keeps its key. */
	alias_free(&b);
	build(&b, once_lines, ARRAY_SIZE(once_lines), true, true);
	ck_assert_uint_eq(alias_state_parse(&b, text, strlen(text)), 0);
	ck_assert_uint_eq(consumed_mask(&b), 0xf);
	alias_free(&a);
	alias_free(&b);
}
END_TEST

#define T(s) (s), sizeof(s) - 1
static const struct {
	const char *text;
	size_t len;
	unsigned mask;
	size_t stale;
} state_rows[] = {
	{ T(""), 0, 0 },
	{ T("\n\n\n"), 0, 0 },
	{ T("10.0.0.0/8/boot.img = images/a.img"), 0x1, 0 },
	{ T("10.0.0.0/8/boot.img = images/a.img\n"), 0x1, 0 },
	{ T("10.0.0.0/8/boot.img = images/a.img\r\n"), 0x1, 0 },
	{ T("\n  \n\t\n10.0.0.0/8/boot.img = images/a.img\n\n"), 0x1, 0 },
	{ T("default/boot.img = images/b.img\ndefault/boot.img = images/b.img\n"), 0x2, 0 },
	{ T("default/boot.img = images/b.img\n192.0.2.7/32/01/x = y"), 0xa, 0 },
	/* Stale: not a key of the table, to the byte. */
	{ T("10.0.0.0/8/boot.img = images/a.im\n"), 0, 1 },
	{ T("10.0.0.0/8/boot.img = images/a.img \n"), 0, 1 },
	{ T(" 10.0.0.0/8/boot.img = images/a.img\n"), 0, 1 },
	{ T("10.0.0.0/8/boot.img=images/a.img\n"), 0, 1 },
	{ T("192.0.2.7/01/x = y\n"), 0, 1 },
	{ T("10.0.0.0/8/boot.img = images/a.img\0\n"), 0, 1 },
	{ T("garbage\n\xff\xfe\ndefault/boot.img = images/b.img\n"), 0x2, 2 },
	{ T("10.0.0.0/8/boot.img = images/a.img\r\r\n"), 0, 1 },
	{ T("\r\n"), 0, 0 },
	{ T("2001:db8::1/128/pxelinux.0 = pxe/x.0\n"), 0x4, 0 },
	{ T("2001:db8::1/pxelinux.0 = pxe/x.0\n"), 0, 1 },
};

START_TEST(test_state_parse)
{
	struct alias_table t;
	char *text = malloc(state_rows[_i].len + 1);

	ck_assert_ptr_nonnull(text);
	/* Exactly len bytes, no NUL after them. */
	memcpy(text, state_rows[_i].text, state_rows[_i].len);
	build(&t, once_lines, ARRAY_SIZE(once_lines), false, true);
	ck_assert_uint_eq(alias_state_parse(&t, text, state_rows[_i].len), state_rows[_i].stale);
	ck_assert_uint_eq(consumed_mask(&t), state_rows[_i].mask);
	alias_free(&t);
	free(text);
}
END_TEST

START_TEST(test_state_edges)
{
	struct alias_table t;
	char buf[128];
	size_t len = 77, need;

	build(&t, once_lines, ARRAY_SIZE(once_lines), false, true);
	/* Nothing consumed: an empty text. */
	ck_assert_int_eq(alias_state_format(&t, buf, 1, &len), 0);
	ck_assert_uint_eq(len, 0);
	ck_assert_str_eq(buf, "");
	ck_assert_int_eq(alias_state_format(&t, buf, 0, &len), -ENOBUFS);
	ck_assert_uint_eq(alias_state_parse(&t, NULL, 5), 0);
	alias_consume(&t, 1);
	need = alias_state_size(&t);
	ck_assert_uint_eq(need, strlen("default/boot.img = images/b.img\n"));
	memset(buf, 'Z', sizeof(buf));
	len = 77;
	ck_assert_int_eq(alias_state_format(&t, buf, need, &len), -ENOBUFS);
	ck_assert_int_eq(buf[0], 'Z');
	ck_assert_uint_eq(len, 77);
	ck_assert_int_eq(alias_state_format(&t, buf, need + 1, &len), 0);
	ck_assert_str_eq(buf, "default/boot.img = images/b.img\n");
	ck_assert_int_eq(alias_state_format(&t, NULL, 0, NULL), -ENOBUFS);
	/* Standing entries have no key and never reach the state. */
	alias_free(&t);
	build(&t, once_lines, ARRAY_SIZE(once_lines), false, false);
	ck_assert_uint_eq(alias_state_parse(&t, T("default/boot.img = images/b.img\n")), 1);
	ck_assert_uint_eq(alias_state_size(&t), 0);
	ck_assert_uint_eq(alias_once_find(&t, T("default/boot.img = images/b.img")), ALIAS_NONE);
	alias_free(&t);
}
END_TEST

static Suite *policy_suite(void)
{
	Suite *s = suite_create("policy");
	TCase *tc;

	tc = tcase_create("cidr");
	tcase_add_loop_test(tc, test_cidr_parse, 0, (int)ARRAY_SIZE(parse_rows));
	tcase_add_test(tc, test_cidr_parse_len);
	tcase_add_loop_test(tc, test_cidr_match, 0, (int)ARRAY_SIZE(match_rows));
	tcase_add_test(tc, test_cidr_specificity);
	suite_add_tcase(s, tc);

	tc = tcase_create("acl");
	tcase_add_loop_test(tc, test_acl, 0, (int)ARRAY_SIZE(acl_rows));
	tcase_add_test(tc, test_acl_errors);
	tcase_add_test(tc, test_acl_bound);
	tcase_add_test(tc, test_acl_rule_text);
	suite_add_tcase(s, tc);

	tc = tcase_create("alias");
	tcase_add_loop_test(tc, test_alias_key, 0, (int)ARRAY_SIZE(key_rows));
	tcase_add_loop_test(tc, test_alias_target, 0, (int)ARRAY_SIZE(target_rows));
	tcase_add_test(tc, test_alias_lengths);
	tcase_add_loop_test(tc, test_alias_specific, 0, (int)ARRAY_SIZE(spec_rows));
	tcase_add_test(tc, test_alias_once);
	tcase_add_test(tc, test_alias_duplicates);
	tcase_add_test(tc, test_alias_bound);
	suite_add_tcase(s, tc);

	tc = tcase_create("alias-state");
	tcase_add_test(tc, test_state_round_trip);
	tcase_add_test(tc, test_state_retarget);
	tcase_add_loop_test(tc, test_state_parse, 0, (int)ARRAY_SIZE(state_rows));
	tcase_add_test(tc, test_state_edges);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(policy_suite());
	int number_failed;

	srunner_run_all(sr, CK_ENV);
	number_failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return number_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
