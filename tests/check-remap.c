/*
 * check-remap.c - unit tests for the tftp-hpa remap language (src/remap.c).
 *
 * Each row pins one behaviour of tftp-hpa 5.2 (Debian 5.2+20150808), the
 * ones marked [hpa] also checked against the real in.tftpd by
 * tests/integration/remap-hpa.sh. Rule texts are C strings: "\\1" in a row
 * is the two characters \1 of a remap file.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "remap.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum client { V4, V6, LO, MAPPED };

static const struct remap_client clients[] = {
	/* The manual's examples: 192.0.2.169 and 2001:db8::1. */
	[V4] = { 4, { 192, 0, 2, 169 } },
	[V6] = { 6, { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } },
	[LO] = { 4, { 127, 0, 0, 1 } },
	/* A v4-mapped client of a dual-stack socket is an IPv6 client. */
	[MAPPED] = { 6, { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 169 } },
};

#define G REMAP_GET
#define P REMAP_PUT

static const struct {
	const char *rules;
	enum remap_op op;
	enum client client;
	const char *name;
	int ret;
	const char *out; /* the name, or for -EACCES the refusal text */
} rows[] = {
	/* No rules, no match: the name as sent. */
	{ "", G, V4, "pxelinux.0", 0, "pxelinux.0" },
	{ "r ^foo$ bar\n", G, V4, "pxelinux.0", 0, "pxelinux.0" },
	/* Manual, \i: "dotted-quad notation for IPv4 (e.g. 192.0.2.169)". */
	{ "r .* \\i\n", G, V4, "x", 0, "192.0.2.169" },
	/* Manual, \i: "conventional colon form for IPv6 (e.g. 2001:db8::1)". */
	{ "r .* \\i\n", G, V6, "x", 0, "2001:db8::1" },
	/* Manual, \x: "C00002A9 for IPv4". */
	{ "r .* \\x\n", G, V4, "x", 0, "C00002A9" },
	/* Manual, \x: "20010DB8000000000000000000000001 for IPv6". */
	{ "r .* \\x\n", G, V6, "x", 0, "20010DB8000000000000000000000001" },
	/* [hpa] \i and \x for 127.0.0.1. */
	{ "r ^x$ \\i\n", G, LO, "x", 0, "127.0.0.1" },
	{ "r ^x$ \\x\n", G, LO, "x", 0, "7F000001" },
	/* v4-mapped: IPv6 text and 32 digits, as tftp-hpa's AF_INET6 peer. */
	{ "r .* \\i/\\x\n", G, MAPPED, "x", 0,
	  "::ffff:192.0.2.169/00000000000000000000FFFFC00002A9" },
	/* A per-client directory, the classic use of \i. */
	{ "r ^ \\i/\n", G, V4, "pxelinux.cfg/default", 0, "192.0.2.169/pxelinux.cfg/default" },
	/* Newer manual: "^" always matches. */
	{ "r ^ boot/\n", G, V4, "a", 0, "boot/a" },
	/* Manual, "matches all or part": only the matched part is replaced. */
	{ "r b X\n", G, V4, "abcb", 0, "aXcb" },
	/* Manual, "all rules are processed even if there is a match". */
	{ "r a b\nr b c\n", G, V4, "a", 0, "c" },
	/* Manual, \0: the entire match. */
	{ "r b+ <\\0>\n", G, V4, "abbc", 0, "a<bb>c" },
	/* Manual, \1 to \9: the groups. */
	{ "r ^(.)(.)(.)(.)(.)(.)(.)(.)(.)$ \\9\\8\\7\\6\\5\\4\\3\\2\\1\n", G, V4, "123456789", 0,
	  "987654321" },
	/* A group that took no part in the match expands to nothing. */
	{ "r ^(a)|(b)$ [\\1\\2]\n", G, V4, "b", 0, "[b]" },
	/* A group the regex does not have expands to nothing. */
	{ "r ^a$ [\\5]\n", G, V4, "a", 0, "[]" },
	/* Manual, \\: a literal backslash. */
	{ "r ^a$ x\\\\y\n", G, V4, "a", 0, "x\\y" },
	/* Manual, \whitespace: a literal space, in regex and replacement. */
	{ "r a\\ b x\\ y\n", G, V4, "a b", 0, "x y" },
	/* Manual, \#: a literal '#', in regex and replacement. */
	{ "r a\\#b x\\#y\n", G, V4, "a#b", 0, "x#y" },
	/* Manual, \U: everything after, groups and literals, upper-cased. */
	{ "r ^(.*)$ \\U\\1.x\n", G, V4, "abc", 0, "ABC.X" },
	/* Manual, \L. */
	{ "r ^(.*)$ \\L\\1\n", G, V4, "PXELinux.0", 0, "pxelinux.0" },
	/* Manual, \E cancels \U. */
	{ "r ^(.)(.*)$ \\U\\1\\E\\2\n", G, V4, "abc", 0, "Abc" },
	/* [hpa] Case conversion applies to \x and \i too. */
	{ "r ^a$ \\L\\x\n", G, LO, "a", 0, "7f000001" },
	{ "r .* \\U\\i\n", G, MAPPED, "x", 0, "::FFFF:192.0.2.169" },
	/* Only ASCII letters change case, as in the C locale. */
	{ "r .* \\U\\0\n", G, V4, "caf\xc3\xa9", 0, "CAF\xc3\xa9" },
	/* The text around the match keeps its case. */
	{ "r b \\UX\n", G, V4, "abc", 0, "aXc" },
	/* [hpa] Any other escaped byte is itself: \h\e\l\l\o is "hello". */
	{ "r ^a$ \\h\\e\\l\\l\\o\n", G, V4, "a", 0, "hello" },
	/* [hpa] A '\' ending the line escapes the newline: it is in the name. */
	{ "r ^a$ b\\\n", G, V4, "a", 0, "b\n" },
	/* A '\' ending the file (no newline) is a literal backslash. */
	{ "r ^a$ b\\", G, V4, "a", 0, "b\\" },
	/* [hpa] Unescaped '#' starts a comment, even inside a field. */
	{ "r ^a$ b#c\n", G, V4, "a", 0, "b" },
	{ "r ^a$#b\n", G, V4, "a", 0, "" },
	{ "# a comment\n\n   \t\n  # indented\nr a b # trailing\n", G, V4, "a", 0, "b" },
	/* Without a replacement, r deletes the match. */
	{ "r \\.0$\n", G, V4, "pxelinux.0", 0, "pxelinux" },
	/* Fields past the replacement are ignored. */
	{ "r a b c d\n", G, V4, "a", 0, "b" },
	/* Tabs, CR (CRLF files), \v and \f separate fields. */
	{ "r\ta\tb\r\n", G, V4, "a", 0, "b" },
	{ "\v\fr \f a \v b\n", G, V4, "a", 0, "b" },
	/* POSIX extended regex, as egrep. */
	{ "r ^(a|b)+c?$ X\n", G, V4, "abab", 0, "X" },
	{ "r ^[[:digit:]]{3}$ N\n", G, V4, "123", 0, "N" },
	/* [hpa] Matching is case-sensitive unless 'i'. */
	{ "r ^A$ b\n", G, V4, "a", 0, "a" },
	{ "ri ^A$ b\n", G, V4, "a", 0, "b" },
	{ "ri [A-Z]+ x\n", G, V4, "abc", 0, "x" },
	/* [hpa] 'g' repeats on the whole new name: "aaa" to "bbb". */
	{ "rg a b\n", G, V4, "aaa", 0, "bbb" },
	/* ... from the start each time, so a replacement can match again:
	 * backslashes to slashes, then "//" collapsed until none is left. */
	{ "rg \\\\ /\nrg // /\n", G, V4, "\\\\a\\\\\\b", 0, "/a/b" },
	/* Without 'g' only the first match. */
	{ "r a b\n", G, V4, "aaa", 0, "baa" },
	/* 'g' without 'r' is ignored: the rule only matches. */
	{ "g a\nr a b\n", G, V4, "aa", 0, "ba" },
	/* 'gg' is 'g' in 5.2 (the sed-like gg came later). */
	{ "rgg a b\n", G, V4, "aaa", 0, "bbb" },
	/* [hpa] 'e' ends processing when it matches ... */
	{ "re ^a$ b\nr b c\n", G, V4, "a", 0, "b" },
	/* ... and not when it does not. */
	{ "re ^x$ y\nr a c\n", G, V4, "a", 0, "c" },
	/* 'e' alone: a match that stops, without rewriting. */
	{ "e ^a\nr a b\n", G, V4, "a", 0, "a" },
	/* [hpa] 's' restarts, but (5.2's loop steps after pointing at the
	 * first rule) at the SECOND rule: rule 1 is not tried again. */
	{ "r ^b$ c\nrs ^a$ b\n", G, V4, "a", 0, "b" },
	/* The second rule is tried again after a restart. */
	{ "r ^x$ y\nr ^b$ c\nrs ^a$ b\n", G, V4, "a", 0, "c" },
	/* 's' without a match does not restart. */
	{ "r ^x$ y\nr ^b$ c\nrs ^q$ b\n", G, V4, "b", 0, "c" },
	/* 'e' wins over 's'. */
	{ "r ^x$ y\nr ^b$ c\nres ^a$ b\n", G, V4, "a", 0, "b" },
	/* [hpa] 'a' refuses; without a text, the standard one (""). */
	{ "a ^secret\n", G, V4, "secretfile", -EACCES, "" },
	/* [hpa] 'a' with a text: the name with its match replaced by the text,
	 * as tftp-hpa builds it. */
	{ "a ^secret go\\ away\n", G, V4, "secretfile", -EACCES, "go awayfile" },
	{ "a ^(.*)$ no\\ \\1\\ for\\ \\i\n", G, V4, "f", -EACCES, "no f for 192.0.2.169" },
	/* 'a' that does not match lets the name through. */
	{ "a ^secret\n", G, V4, "public", 0, "public" },
	/* 'ra': the refusal wins, nothing is rewritten first. */
	{ "ra ^a$ b\n", G, V4, "a", -EACCES, "b" },
	/* Rules after a refusal do not run; rules before it do. */
	{ "r ^a$ b\na ^b$\nr ^b$ c\n", G, V4, "a", -EACCES, "" },
	/* '~' inverts: "refuse everything not under boot/". */
	{ "a~ ^boot/\n", G, V4, "etc/passwd", -EACCES, "" },
	{ "a~ ^boot/\n", G, V4, "boot/x", 0, "boot/x" },
	/* 'a~' with a text: the text alone, no match to put it in. */
	{ "a~ ^x$ go\\ away\\ \\0\n", G, V4, "y", -EACCES, "go away " },
	/* 'e~': stop unless the regex matches. */
	{ "e~ ^a\nr ^ X\n", G, V4, "b", 0, "b" },
	{ "e~ ^a\nr ^ X\n", G, V4, "a", 0, "Xa" },
	/* [hpa] 'G' rules apply to RRQ only, 'P' rules to WRQ only. */
	{ "rG ^a$ b\n", G, V4, "a", 0, "b" },
	{ "rG ^a$ b\n", P, V4, "a", 0, "a" },
	{ "rP ^a$ b\n", P, V4, "a", 0, "b" },
	{ "rP ^a$ b\n", G, V4, "a", 0, "a" },
	{ "aP .\n", P, V4, "x", -EACCES, "" },
	{ "aP .\n", G, V4, "x", 0, "x" },
	/* [hpa] G and P together: the last one wins. */
	{ "rGP ^a$ b\n", G, V4, "a", 0, "a" },
	{ "rGP ^a$ b\n", P, V4, "a", 0, "b" },
	{ "rPG ^a$ b\n", G, V4, "a", 0, "b" },
	/* [hpa] '4' rules apply to IPv4 clients only, '6' to IPv6 only. */
	{ "r4 ^a$ b\n", G, V4, "a", 0, "b" },
	{ "r4 ^a$ b\n", G, V6, "a", 0, "a" },
	{ "r6 ^a$ b\n", G, V6, "a", 0, "b" },
	{ "r6 ^a$ b\n", G, LO, "a", 0, "a" },
	{ "r6 ^a$ b\n", G, MAPPED, "a", 0, "b" },
	/* [hpa] '4' and '6' together: no client. */
	{ "r46 ^a$ b\n", G, V4, "a", 0, "a" },
	{ "r46 ^a$ b\n", G, V6, "a", 0, "a" },
	/* Per-family directories. */
	{ "r4 ^ v4/\nr6 ^ v6/\n", G, V6, "f", 0, "v6/f" },
	/* A rewrite may produce any name; the path normaliser judges it. */
	{ "r ^ ../\n", G, V4, "etc/passwd", 0, "../etc/passwd" },
	/* [hpa] The step limit: 's' looping between rules 2 and 3 for ever;
	 * tftp-hpa refuses with "Remap table failure". */
	{ "r ^$ x\ns .\n", G, V4, "a", -ELOOP, NULL },
	/* A single restarting rule does not loop: it resumes at rule 2. */
	{ "rs ^a$ a\n", G, V4, "a", 0, "a" },
	/* 'g' repeats that never end: bounded here, for ever in tftp-hpa. */
	{ "rg a a\n", G, V4, "a", -ELOOP, NULL },
	/* Growing without end: the name stops fitting first. */
	{ "rg a aa\n", G, V4, "a", -ENAMETOOLONG, NULL },
	{ "rg x* y\n", G, V4, "abc", -ENAMETOOLONG, NULL },
};

START_TEST(test_apply)
{
	struct remap *m = NULL;
	struct remap_error err = { 0, "" };
	char out[REMAP_NAME_MAX];
	int r = remap_parse(rows[_i].rules, strlen(rows[_i].rules), &m, &err);

	ck_assert_msg(r == 0, "row %d: parse %d, line %u: %s", _i, r, err.line, err.text);
	strcpy(out, "untouched");
	r = remap_apply(m, rows[_i].name, rows[_i].op, &clients[rows[_i].client], out, sizeof(out));
	ck_assert_msg(r == rows[_i].ret, "row %d: got %d want %d (%s)", _i, r, rows[_i].ret, out);
	if (rows[_i].out)
		ck_assert_msg(strcmp(out, rows[_i].out) == 0, "row %d (%s): got \"%s\" want \"%s\"",
			      _i, rows[_i].rules, out, rows[_i].out);
	else
		ck_assert_str_eq(out, "untouched");
	remap_free(m);
}
END_TEST

static const struct {
	const char *text;
	unsigned line;
	const char *says; /* a part of the error text */
} bad[] = {
	/* [hpa] An unknown operation letter stops tftp-hpa from starting. */
	{ "rq ^a$ b\n", 1, "invalid character 'q'" },
	/* Letters of later tftp-hpa versions are unknown to 5.2. */
	{ "# labels\n\nrj ^a$ x\n", 3, "invalid character 'j'" },
	{ "rE ^a$ b\n", 1, "invalid character 'E'" },
	{ ":label\n", 1, "invalid character ':'" },
	{ "r\001 a b\n", 1, "\\x01" },
	/* [hpa] An inverted rewrite. */
	{ "r a b\nr~ ^a$ b\n", 2, "cannot be inverted" },
	/* [hpa] An operation and nothing else. */
	{ "r\n", 1, "no regex" },
	{ "r # comment\n", 1, "no regex" },
	{ "r#a b\n", 1, "no regex" },
	/* [hpa] A regex regcomp refuses. */
	{ "r a b\n\nr ( x\n", 3, "bad regex" },
	{ "r [a x\n", 1, "bad regex" },
	{ "r a{2,1} x\n", 1, "bad regex" },
	{ "r a\\", 1, "bad regex" },
	/* Regexes whose repetitions glibc would copy past 2000 atoms, repeat
	 * repetitions more than 3 deep, or nest groups past 6 (tftp-hpa takes
	 * them, and gigabytes, or never finishes compiling them). */
	{ "r ^P*++++++++++ x\n", 1, "repetitions 3 deep" },
	{ "r ((((a*)*)*)*) x\n", 1, "too large" },
	{ "r (((a?){0,2}){0,2}){0,2} x\n", 1, "too large" },
	{ "r ((a{100}){100}){100} x\n", 1, "too large" },
	{ "r (a{45}){45} x\n", 1, "too large" },
	{ "r a{2}{3}{4}{5}{6}{7}{8} x\n", 1, "too large" },
	{ "r (((((((a))))))) x\n", 1, "nested" },
	/* The line count goes on over blank and comment lines. */
	{ "\n\n\n\n#\nr\n", 6, "no regex" },
	/* Only the first bad line is reported. */
	{ "rq a\nr\n", 1, "invalid character" },
};

START_TEST(test_parse_error)
{
	struct remap *m = (struct remap *)&m;
	struct remap_error err = { 0, "" };
	int r = remap_parse(bad[_i].text, strlen(bad[_i].text), &m, &err);

	ck_assert_msg(r == -EINVAL, "row %d: %d", _i, r);
	ck_assert_ptr_eq(m, (struct remap *)&m);
	ck_assert_msg(err.line == bad[_i].line, "row %d: line %u want %u (%s)", _i, err.line,
		      bad[_i].line, err.text);
	ck_assert_msg(strstr(err.text, bad[_i].says), "row %d: \"%s\"", _i, err.text);
}
END_TEST

static struct remap *parse_ok(const char *text, size_t len)
{
	struct remap *m = NULL;
	struct remap_error err;

	ck_assert_int_eq(remap_parse(text, len, &m, &err), 0);
	return m;
}

/* n copies of line. */
static char *repeat(const char *line, size_t n)
{
	size_t l = strlen(line), i;
	char *t = malloc(l * n + 1);

	ck_assert_ptr_nonnull(t);
	for (i = 0; i < n; i++)
		memcpy(t + i * l, line, l);
	t[l * n] = '\0';
	return t;
}

static int apply_n(const char *line, size_t n, const char *name, char *out, size_t size)
{
	char *t = repeat(line, n);
	struct remap *m = parse_ok(t, strlen(t));
	int r;

	r = remap_apply(m, name, REMAP_GET, &clients[V4], out, size);
	remap_free(m);
	free(t);
	return r;
}

/* [hpa] tftp-hpa tries 1024 applicable rules, and refuses at the 1025th. */
START_TEST(test_steps)
{
	char out[64];

	ck_assert_int_eq(REMAP_STEPS, 1024);
	ck_assert_int_eq(apply_n("i .\n", REMAP_STEPS, "a", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "a");
	ck_assert_int_eq(apply_n("i .\n", REMAP_STEPS + 1, "a", out, sizeof(out)), -ELOOP);
	/* Rules skipped for G/P or 4/6 cost nothing. */
	ck_assert_int_eq(apply_n("rP . x\n", 5000, "a", out, sizeof(out)), 0);
	ck_assert_int_eq(apply_n("r6 . x\n", 5000, "a", out, sizeof(out)), 0);
}
END_TEST

/* 'g' repeats: REMAP_REPEATS of them after the first rewrite. Swapping
 * "ba" to "ab" sorts b^i a^j in i * j rewrites. */
static int sort_ba(size_t nb, size_t na, char *out, size_t size)
{
	struct remap *m = parse_ok("rg ba ab\n", 9);
	char name[128];
	int r;

	memset(name, 'b', nb);
	memset(name + nb, 'a', na);
	name[nb + na] = '\0';
	r = remap_apply(m, name, REMAP_GET, &clients[V4], out, size);
	remap_free(m);
	return r;
}

START_TEST(test_repeats)
{
	char out[128];

	ck_assert_int_eq(REMAP_REPEATS, 1024);
	ck_assert_int_eq(sort_ba(25, 41, out, sizeof(out)), 0); /* 1 + 1024 */
	ck_assert_int_eq(strspn(out, "a"), 41);
	ck_assert_int_eq(sort_ba(27, 38, out, sizeof(out)), -ELOOP); /* 1 + 1025 */
}
END_TEST

/* [hpa] A NUL ends its line: tftp-hpa reads lines with fgets, then as C
 * strings. */
START_TEST(test_nul_in_line)
{
	static const char text[] = "r ^a$ b\0 c\nr b d\n";
	struct remap *m = parse_ok(text, sizeof(text) - 1);
	char out[8];

	ck_assert_int_eq(remap_apply(m, "a", REMAP_GET, &clients[V4], out, sizeof(out)), 0);
	ck_assert_str_eq(out, "d");
	remap_free(m);
}
END_TEST

/* Sizes: the result, the input and every name in between must fit. */
START_TEST(test_sizes)
{
	struct remap *m = parse_ok("r ^a$ bbbb\nr bbbb c\n", 20);
	char out[8], big[REMAP_NAME_MAX + 1];

	strcpy(out, "keep");
	/* "bbbb" in between needs 5 bytes, though "c" needs 2. */
	ck_assert_int_eq(remap_apply(m, "a", REMAP_GET, &clients[V4], out, 2), -ENAMETOOLONG);
	ck_assert_int_eq(remap_apply(m, "a", REMAP_GET, &clients[V4], out, 4), -ENAMETOOLONG);
	ck_assert_str_eq(out, "keep");
	ck_assert_int_eq(remap_apply(m, "a", REMAP_GET, &clients[V4], out, 5), 0);
	ck_assert_str_eq(out, "c");
	ck_assert_int_eq(remap_apply(m, "xyz", REMAP_GET, &clients[V4], out, 3), -ENAMETOOLONG);
	ck_assert_int_eq(remap_apply(m, "xy", REMAP_GET, &clients[V4], out, 3), 0);
	ck_assert_int_eq(remap_apply(m, "", REMAP_GET, &clients[V4], out, 0), -ENAMETOOLONG);
	memset(big, 'x', REMAP_NAME_MAX);
	big[REMAP_NAME_MAX] = '\0';
	ck_assert_int_eq(remap_apply(m, big, REMAP_GET, &clients[V4], big, sizeof(big)),
			 -ENAMETOOLONG);
	big[REMAP_NAME_MAX - 1] = '\0';
	ck_assert_int_eq(remap_apply(m, big, REMAP_GET, &clients[V4], big, sizeof(big)), 0);
	ck_assert_int_eq(strlen(big), REMAP_NAME_MAX - 1);
	remap_free(m);
}
END_TEST

/* A refusal text is cut to the buffer, never refused for its length. */
START_TEST(test_refusal_truncated)
{
	struct remap *m = parse_ok("a . go\\ away\n", 13);
	char out[4];

	ck_assert_int_eq(remap_apply(m, "x", REMAP_GET, &clients[V4], out, sizeof(out)), -EACCES);
	ck_assert_str_eq(out, "go ");
	remap_free(m);
}
END_TEST

START_TEST(test_arguments)
{
	struct remap *m = parse_ok("r a b\n", 6);
	struct remap_client odd = { 5, { 0 } };
	char out[8];

	ck_assert_int_eq(remap_apply(NULL, "a", REMAP_GET, &clients[V4], out, 8), -EINVAL);
	ck_assert_int_eq(remap_apply(m, NULL, REMAP_GET, &clients[V4], out, 8), -EINVAL);
	ck_assert_int_eq(remap_apply(m, "a", REMAP_GET, NULL, out, 8), -EINVAL);
	ck_assert_int_eq(remap_apply(m, "a", REMAP_GET, &odd, out, 8), -EINVAL);
	ck_assert_int_eq(remap_apply(m, "a", (enum remap_op)0, &clients[V4], out, 8), -EINVAL);
	ck_assert_int_eq(remap_apply(m, "a", REMAP_GET, &clients[V4], NULL, 8), -EINVAL);
	ck_assert_int_eq(remap_parse("x", 1, NULL, NULL), -EINVAL);
	ck_assert_int_eq(remap_parse(NULL, 1, &m, NULL), -EINVAL);
	remap_free(m);
	remap_free(NULL);
}
END_TEST

/* Parsing reads len bytes, counts rules, bounds lines and files. */
START_TEST(test_parse_bounds)
{
	struct remap *m;
	struct remap_error err;
	char *t;

	m = parse_ok("r a b\nr c d\nGARBAGE", 12);
	ck_assert_int_eq(remap_count(m), 2);
	remap_free(m);
	/* Just under the regex bounds. */
	m = parse_ok("r (((a*)+)?) x\nr (a{44}){44} x\nr [[:alpha:]{]{1,1900}((((((a)))))) x\n", 69);
	ck_assert_int_eq(remap_count(m), 3);
	remap_free(m);
	m = parse_ok(NULL, 0);
	ck_assert_int_eq(remap_count(m), 0);
	remap_free(m);
	ck_assert_int_eq(remap_count(NULL), 0);
	/* [hpa] 5.2 reads a line in 16384 bytes: longer ones are refused. */
	t = repeat("x", REMAP_LINE_MAX + 1);
	memcpy(t, "r a ", 4); /* a long replacement */
	ck_assert_int_eq(remap_parse(t, REMAP_LINE_MAX, &m, &err), 0);
	remap_free(m);
	ck_assert_int_eq(remap_parse(t, REMAP_LINE_MAX + 1, &m, &err), -EINVAL);
	ck_assert_int_eq(err.line, 1);
	free(t);
	t = repeat("i .\n", REMAP_RULES_MAX + 1);
	ck_assert_int_eq(remap_parse(t, strlen(t) - 4, &m, &err), 0);
	ck_assert_int_eq(remap_count(m), REMAP_RULES_MAX);
	remap_free(m);
	ck_assert_int_eq(remap_parse(t, strlen(t), &m, &err), -EINVAL);
	ck_assert_int_eq(err.line, REMAP_RULES_MAX + 1);
	free(t);
	ck_assert_int_eq(remap_parse("", REMAP_TEXT_MAX + 1, &m, &err), -EINVAL);
	ck_assert_int_eq(err.line, 0);
}
END_TEST

static Suite *remap_suite(void)
{
	Suite *s = suite_create("remap");
	TCase *tc;

	tc = tcase_create("apply");
	tcase_add_loop_test(tc, test_apply, 0, (int)ARRAY_SIZE(rows));
	tcase_add_test(tc, test_steps);
	tcase_add_test(tc, test_repeats);
	tcase_add_test(tc, test_nul_in_line);
	tcase_add_test(tc, test_sizes);
	tcase_add_test(tc, test_refusal_truncated);
	tcase_add_test(tc, test_arguments);
	suite_add_tcase(s, tc);

	tc = tcase_create("parse");
	tcase_add_loop_test(tc, test_parse_error, 0, (int)ARRAY_SIZE(bad));
	tcase_add_test(tc, test_parse_bounds);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(remap_suite());
	int number_failed;

	srunner_run_all(sr, CK_ENV);
	number_failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return number_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
