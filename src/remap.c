/*
 * remap.c - tftp-hpa's remap file: parse it, and rewrite a request's name.
 *
 * The reference is tftp-hpa 5.2 as Debian ships it (5.2+20150808,
 * tftpd/remap.c and the rewrite_macros of tftpd/tftpd.c): its quirks are
 * kept, because an operator's file must mean the same here, and each is
 * pinned by tests/check-remap.c and, against the real in.tftpd, by
 * tests/integration/remap-hpa.sh. We differ only where 5.2 is unsafe or
 * unbounded:
 *  - 'g' rules repeat at most REMAP_REPEATS times per request; 5.2 loops
 *    for ever on "rg a a" (its child spins until killed) and grows "rg a aa"
 *    until malloc fails. Later tftp-hpa charges repeats to its step limit.
 *  - names are bounded by REMAP_NAME_MAX at every step (5.2: by memory).
 *  - a line longer than REMAP_LINE_MAX is refused; 5.2's fgets splits it
 *    into several lines, each parsed as a rule.
 *  - an 'a~' rule's message is its pattern expanded with no match; 5.2
 *    copies from offset -1 there (it sends the text less its first byte,
 *    after writing one byte before its buffer).
 *  - a regex that regcomp would expand past REGEX_COST_MAX atoms, with
 *    repetitions more than REGEX_REPS_MAX deep or groups more than
 *    REGEX_DEPTH_MAX deep is refused; 5.2 spends gigabytes and seconds
 *    compiling "((a{100}){100}){100}", and "a*++++++++++" for ever.
 *  - \x is measured correctly; 5.2 counts it as 0 bytes when sizing its
 *    buffer and then writes 8 (or 32) bytes past the end.
 * 'G'/'P' and '4'/'6' work as 5.2's do: the last of G and P wins, 4 and 6
 * together match no client.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "remap.h"

enum {
	RULE_REWRITE = 1 << 0, /* r */
	RULE_GLOBAL = 1 << 1,  /* g */
	RULE_EXIT = 1 << 2,    /* e */
	RULE_RESTART = 1 << 3, /* s */
	RULE_ABORT = 1 << 4,   /* a */
	RULE_INVERSE = 1 << 5, /* ~ */
	RULE_IPV4 = 1 << 6,    /* 4 */
	RULE_IPV6 = 1 << 7,    /* 6 */
};

#define NMATCH 10 /* \0 .. \9 */
/* Bounds on what regcomp is asked to build; see regex_too_big. */
#define REGEX_COST_MAX 2000
#define REGEX_DEPTH_MAX 6
#define REGEX_REPS_MAX 3

struct rule {
	unsigned line;
	unsigned flags;
	char op; /* 0, or REMAP_GET / REMAP_PUT for a 'G' / 'P' rule */
	regex_t rx;
	char *pattern; /* the replacement or refusal text, "" when none */
};

struct remap {
	size_t n;
	struct rule *rules;
};

/* ------------------------------------------------------------------------
 * Parsing */

static int fail(struct remap_error *err, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct remap_error *err, unsigned line, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->line = line;
		va_start(ap, fmt);
		vsnprintf(err->text, sizeof(err->text), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* isspace() in the C locale: in.tftpd never calls setlocale. */
static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

/*
 * The next field of a line, as tftp-hpa splits one: leading white space is
 * skipped; the field ends at white space or '#' that no backslash escapes.
 * The backslashes stay in the field: regcomp and the replacement expander
 * read them ("a\ b" is the regex a\ b, which matches "a b"). An unescaped
 * '#' ends the line, even inside a field ("r a#b" has no replacement).
 * Copies the field to buf (NUL-terminated) and returns its length; 0 at
 * the end of the line or at a comment.
 */
static size_t next_field(const char **pos, const char *end, char *buf)
{
	const char *p = *pos;
	bool escaped = false;
	size_t n = 0;

	while (p < end && is_space(*p))
		p++;
	while (p < end && (escaped || !(is_space(*p) || *p == '#'))) {
		/* "\\" leaves the state unescaped again. */
		escaped = !escaped && *p == '\\';
		buf[n++] = *p++;
	}
	buf[n] = '\0';
	*pos = p;
	return n;
}

static int flag_error(struct remap_error *err, unsigned line, const char *ops, char c)
{
	unsigned char u = (unsigned char)c;

	if (u > 0x20 && u < 0x7f)
		return fail(err, line, "operation \"%.40s\" contains invalid character '%c'", ops,
			    c);
	return fail(err, line, "operation contains invalid character \\x%02x", u);
}

static int parse_ops(const char *ops, struct rule *r, int *ret_cflags, struct remap_error *err)
{
	/* Flag bit n is letters[n]. */
	static const char letters[] = "rgesa~46";
	int cflags = REG_EXTENDED;
	const char *p, *l;

	for (p = ops; *p; p++) {
		l = strchr(letters, *p);
		if (l)
			r->flags |= 1u << (l - letters);
		else if (*p == 'i')
			cflags |= REG_ICASE;
		else if (*p == 'G' || *p == 'P')
			/* One mode per rule in tftp-hpa: "GP" is a PUT rule. */
			r->op = *p == 'G' ? REMAP_GET : REMAP_PUT;
		else
			return flag_error(err, r->line, ops, *p);
	}
	/* tftp-hpa ignores 'g' without 'r' ... */
	if (!(r->flags & RULE_REWRITE))
		r->flags &= ~RULE_GLOBAL;
	/* ... but refuses an inverted rewrite: it has no match to replace. */
	if ((r->flags & (RULE_REWRITE | RULE_INVERSE)) == (RULE_REWRITE | RULE_INVERSE))
		return fail(err, r->line, "r rules cannot be inverted");
	*ret_cflags = cflags;
	return 0;
}

/* Past a bracket expression that starts at p ('['), classes like [:alpha:]
 * included; at the end of the string when it is not closed. */
static const char *skip_bracket(const char *p)
{
	const char *q = p + 1, *close;
	char kind[3] = "x]";

	q += *q == '^';
	q += *q == ']';
	while (*q && *q != ']') {
		if (q[0] == '[' && (q[1] == ':' || q[1] == '=' || q[1] == '.')) {
			kind[0] = q[1];
			close = strstr(q + 2, kind);
			if (!close)
				return q + strlen(q);
			q = close + 2;
		} else {
			q++;
		}
	}
	return *q ? q + 1 : q;
}

/* An interval "{n}", "{n,}" or "{n,m}" at p: how many copies it makes
 * (0 when p starts none) and where it ends. */
static size_t interval(const char *p, const char **ret_end)
{
	size_t n = 0, m = 0;
	bool comma = false, digits = false;

	for (p++; *p >= '0' && *p <= '9'; p++, digits = true)
		n = n < REGEX_COST_MAX ? n * 10 + (size_t)(*p - '0') : n;
	if (*p == ',') {
		comma = true;
		for (p++; *p >= '0' && *p <= '9'; p++)
			m = m < REGEX_COST_MAX ? m * 10 + (size_t)(*p - '0') : m;
	}
	if (!digits || *p != '}')
		return 0;
	*ret_end = p + 1;
	if (comma)
		return m > n ? m : n + 1;
	return n > 0 ? n : 1;
}

struct cost {
	size_t total;	/* atoms in this group so far */
	size_t last;	/* atoms of the last one, which a repetition copies */
	unsigned reps;	/* repetitions around the last one, nested or stacked */
	unsigned worst; /* the most reps of any atom in this group */
};

static bool add_atom(struct cost *c, size_t n, unsigned reps)
{
	c->total += n ? n : 1;
	c->last = n ? n : 1;
	c->reps = reps;
	if (reps > c->worst)
		c->worst = reps;
	return c->total > REGEX_COST_MAX;
}

static bool repeat_last(struct cost *c, size_t k)
{
	if (c->last > REGEX_COST_MAX / k || ++c->reps > REGEX_REPS_MAX)
		return true;
	if (c->reps > c->worst)
		c->worst = c->reps;
	c->total += c->last * (k - 1);
	c->last *= k;
	return c->total > REGEX_COST_MAX;
}

/*
 * glibc's regcomp copies a subexpression once per count of an interval
 * (and once more for '+'): "((a{100}){100}){100}" is a million copies,
 * half a gigabyte and seconds to compile, from 22 bytes. Its epsilon
 * closures grow exponentially with repetitions inside repetitions, nested
 * or stacked: "^P*++++++++++" never finished. tftp-hpa would just take
 * these; we refuse a regex whose copies pass REGEX_COST_MAX, that repeats
 * an atom more than REGEX_REPS_MAX times over, or nests groups deeper than
 * REGEX_DEPTH_MAX (regcomp recurses on them). What is not well-formed is
 * left for regcomp to refuse.
 */
static bool regex_too_big(const char *re)
{
	struct cost st[REGEX_DEPTH_MAX + 1] = { { 0, 0, 0, 0 } };
	const char *p = re, *end;
	size_t d = 0, k;
	bool big = false;

	while (*p && !big) {
		if (*p == '(') {
			if (++d > REGEX_DEPTH_MAX)
				return true;
			memset(&st[d], 0, sizeof(st[d]));
			p++;
		} else if (*p == ')' && d > 0) {
			d--;
			big = add_atom(&st[d], st[d + 1].total, st[d + 1].worst);
			p++;
		} else if (*p == '{' && (k = interval(p, &end)) > 0) {
			big = repeat_last(&st[d], k);
			p = end;
		} else if (*p == '*' || *p == '?' || *p == '+') {
			big = repeat_last(&st[d], *p == '+' ? 2 : 1);
			p++;
		} else if (*p == '|') {
			p++;
		} else {
			big = add_atom(&st[d], 1, 0);
			p = *p == '[' ? skip_bracket(p) : p + 1 + (p[0] == '\\' && p[1]);
		}
	}
	return big;
}

static int compile(struct rule *r, const char *regex, int cflags, struct remap_error *err)
{
	char msg[100];
	int rc;

	if (regex_too_big(regex))
		return fail(err, r->line,
			    "regex \"%.40s\" is too large for regcomp (over %d atoms once"
			    " repeated, repetitions %d deep, or groups nested over %d)",
			    regex, REGEX_COST_MAX, REGEX_REPS_MAX, REGEX_DEPTH_MAX);
	rc = regcomp(&r->rx, regex, cflags);
	if (rc == REG_ESPACE)
		return -ENOMEM;
	if (rc != 0) {
		regerror(rc, &r->rx, msg, sizeof(msg));
		return fail(err, r->line, "bad regex \"%.40s\": %s", regex, msg);
	}
	return 0;
}

/*
 * One line (its '\n' included, as fgets gives it to tftp-hpa: "b\" at the
 * end of a line is the replacement "b" and an escaped newline). Returns 1
 * with *r filled (its regex compiled), 0 for a blank or comment line,
 * -EINVAL or -ENOMEM.
 */
static int parse_line(const char *p, const char *end, unsigned line, char *buf, struct rule *r,
		      struct remap_error *err)
{
	int cflags = 0, rc;

	memset(r, 0, sizeof(*r));
	r->line = line;
	if (next_field(&p, end, buf) == 0)
		return 0;
	rc = parse_ops(buf, r, &cflags, err);
	if (rc < 0)
		return rc;
	if (next_field(&p, end, buf) == 0)
		return fail(err, line, "no regex");
	rc = compile(r, buf, cflags, err);
	if (rc < 0)
		return rc;
	/* Whatever follows the replacement is ignored, as by tftp-hpa. */
	next_field(&p, end, buf);
	r->pattern = strdup(buf);
	if (!r->pattern) {
		regfree(&r->rx);
		return -ENOMEM;
	}
	return 1;
}

void remap_free(struct remap *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->n; i++) {
		regfree(&m->rules[i].rx);
		free(m->rules[i].pattern);
	}
	free(m->rules);
	free(m);
}

size_t remap_count(const struct remap *m)
{
	return m ? m->n : 0;
}

/* The end of the line that starts at p: just after its '\n', or end. */
static const char *line_end(const char *p, const char *end)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	return nl ? nl + 1 : end;
}

static int add_line(struct remap *m, const char *p, const char *eol, unsigned line, char *buf,
		    struct remap_error *err)
{
	/* fgets hands tftp-hpa the bytes after a NUL, but its string ends
	 * there: the rest of the line is not read. */
	const char *nul = memchr(p, '\0', (size_t)(eol - p));
	struct rule r;
	int rc;

	if (eol - p > REMAP_LINE_MAX)
		return fail(err, line, "line longer than %d bytes", REMAP_LINE_MAX);
	rc = parse_line(p, nul ? nul : eol, line, buf, &r, err);
	if (rc <= 0)
		return rc;
	if (m->n == REMAP_RULES_MAX) {
		regfree(&r.rx);
		free(r.pattern);
		return fail(err, line, "more than %d rules", REMAP_RULES_MAX);
	}
	m->rules[m->n++] = r;
	return 0;
}

static int parse_all(struct remap *m, const char *text, size_t len, char *buf,
		     struct remap_error *err)
{
	const char *p = text, *end = text + len, *eol;
	unsigned line = 0;
	int rc;

	for (; p < end; p = eol) {
		eol = line_end(p, end);
		rc = add_line(m, p, eol, ++line, buf, err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* An upper bound on the rules in text: one per line. */
static size_t count_lines(const char *text, size_t len)
{
	size_t n = 1, i;

	for (i = 0; i < len; i++)
		n += text[i] == '\n';
	return n < REMAP_RULES_MAX ? n : REMAP_RULES_MAX;
}

int remap_parse(const char *text, size_t len, struct remap **ret, struct remap_error *ret_err)
{
	struct remap *m;
	char *buf;
	int rc;

	if (!ret || (!text && len))
		return -EINVAL;
	if (len > REMAP_TEXT_MAX)
		return fail(ret_err, 0, "larger than %d bytes", REMAP_TEXT_MAX);
	m = calloc(1, sizeof(*m));
	buf = malloc(REMAP_LINE_MAX + 1);
	if (m)
		m->rules = calloc(count_lines(text, len), sizeof(*m->rules));
	if (!m || !m->rules || !buf) {
		free(buf);
		remap_free(m);
		return -ENOMEM;
	}
	rc = parse_all(m, text, len, buf, ret_err);
	free(buf);
	if (rc < 0) {
		remap_free(m);
		return rc;
	}
	*ret = m;
	return 0;
}

/* ------------------------------------------------------------------------
 * Applying */

enum xform { XF_NONE, XF_UPPER, XF_LOWER };

/* A bounded string being built; full once a byte did not fit. */
struct sink {
	char *buf;
	size_t size; /* > 0 */
	size_t len;
	bool full;
};

/* ASCII only: tftp-hpa's toupper/tolower run in the C locale. */
static char xform(enum xform x, char c)
{
	if (x == XF_UPPER && c >= 'a' && c <= 'z')
		return (char)(c - 'a' + 'A');
	if (x == XF_LOWER && c >= 'A' && c <= 'Z')
		return (char)(c - 'A' + 'a');
	return c;
}

static void put(struct sink *s, const char *p, size_t n, enum xform x)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s->len + 1 >= s->size) {
			s->full = true;
			break;
		}
		s->buf[s->len++] = xform(x, p[i]);
	}
	s->buf[s->len] = '\0';
}

/* \i: inet_ntop's text, as tftp-hpa's: 192.0.2.1, 2001:db8::1. */
static void put_addr(struct sink *s, const struct remap_client *c, enum xform x)
{
	char text[INET6_ADDRSTRLEN];

	if (inet_ntop(c->family == 4 ? AF_INET : AF_INET6, c->addr, text, sizeof(text)))
		put(s, text, strlen(text), x);
}

/* \x: every address byte as two upper-case hex digits (C00002A9). */
static void put_hex(struct sink *s, const struct remap_client *c, enum xform x)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, n = c->family == 4 ? 4 : 16;
	char two[2];

	for (i = 0; i < n; i++) {
		two[0] = hex[c->addr[i] >> 4];
		two[1] = hex[c->addr[i] & 0xf];
		put(s, two, 2, x);
	}
}

/*
 * Expand a replacement. As tftp-hpa's: \0..\9 are the match and its groups
 * (nothing for a group that did not take part); \U \L \E switch the case
 * of everything after them, macros and groups included; \i and \x are the
 * client's address; any other escaped byte is itself ("\\" "\ " "\#"
 * "\q"); a lone '\' at the very end is a '\'.
 */
static void expand(const char *pat, const char *cur, const regmatch_t *pm,
		   const struct remap_client *c, struct sink *s)
{
	enum xform x = XF_NONE;
	const regmatch_t *g;

	for (; *pat; pat++) {
		if (pat[0] != '\\' || pat[1] == '\0') {
			put(s, pat, 1, x);
			continue;
		}
		pat++;
		if (*pat >= '0' && *pat <= '9') {
			g = &pm[*pat - '0'];
			if (g->rm_so >= 0)
				put(s, cur + g->rm_so, (size_t)(g->rm_eo - g->rm_so), x);
		} else if (*pat == 'U' || *pat == 'L' || *pat == 'E') {
			x = *pat == 'U' ? XF_UPPER : *pat == 'L' ? XF_LOWER : XF_NONE;
		} else if (*pat == 'i') {
			put_addr(s, c, x);
		} else if (*pat == 'x') {
			put_hex(s, c, x);
		} else {
			put(s, pat, 1, x);
		}
	}
}

/* The current name with its match replaced: what a rewrite produces, and
 * what an 'a' rule sends ("a ^secret go\ away" on "secretfile" refuses
 * with "go awayfile"). Without a match (an inverted rule) only the
 * expansion. */
static void substitute(const struct rule *r, const char *cur, const regmatch_t *pm,
		       const struct remap_client *c, struct sink *s)
{
	if (pm[0].rm_so < 0) {
		expand(r->pattern, cur, pm, c, s);
		return;
	}
	put(s, cur, (size_t)pm[0].rm_so, XF_NONE);
	expand(r->pattern, cur, pm, c, s);
	put(s, cur + pm[0].rm_eo, strlen(cur + pm[0].rm_eo), XF_NONE);
}

static bool applies(const struct rule *r, enum remap_op op, int family)
{
	if (r->op && r->op != (char)op)
		return false;
	if ((r->flags & RULE_IPV4) && family != 4)
		return false;
	if ((r->flags & RULE_IPV6) && family != 6)
		return false;
	return true;
}

/* The state of one request's run through the rules. */
struct run {
	const struct remap_client *client;
	char bufs[2][REMAP_NAME_MAX];
	int cur;	/* which of bufs holds the current name */
	size_t limit;	/* bytes a name may take, with its NUL */
	unsigned steps; /* left */
	unsigned repeats;
	char *msg; /* an 'a' rule's text goes here */
	size_t msg_size;
};

static bool matches(const struct rule *r, const char *cur, regmatch_t *pm)
{
	int want = r->flags & RULE_INVERSE ? REG_NOMATCH : 0;
	size_t i;

	if (regexec(&r->rx, cur, NMATCH, pm, 0) != want)
		return false;
	if (r->flags & RULE_INVERSE)
		for (i = 0; i < NMATCH; i++)
			pm[i].rm_so = pm[i].rm_eo = -1;
	return true;
}

static int abort_rule(struct run *st, const struct rule *r, const regmatch_t *pm)
{
	struct sink s = { st->msg, st->msg_size, 0, false };

	if (st->msg_size == 0)
		return -EACCES;
	st->msg[0] = '\0';
	/* No text: tftp-hpa sends its standard one. */
	if (r->pattern[0])
		substitute(r, st->bufs[st->cur], pm, st->client, &s);
	return -EACCES;
}

static int rewrite(struct run *st, const struct rule *r, const regmatch_t *pm)
{
	struct sink s = { st->bufs[!st->cur], st->limit, 0, false };

	substitute(r, st->bufs[st->cur], pm, st->client, &s);
	if (s.full)
		return -ENAMETOOLONG;
	st->cur = !st->cur;
	return 0;
}

/*
 * Try one applicable rule. tftp-hpa tries it once, or for a 'g' rule
 * again on the whole new name (not after the replacement, as sed does)
 * until it no longer matches. Returns 1 when it matched, 0 when not,
 * or a negative errno.
 */
static int run_rule(struct run *st, const struct rule *r)
{
	regmatch_t pm[NMATCH];
	bool hit = false;
	int rc;

	while (matches(r, st->bufs[st->cur], pm)) {
		if (hit && st->repeats-- == 0)
			return -ELOOP;
		hit = true;
		/* 'a' before 'r': "ra" refuses without rewriting. */
		if (r->flags & RULE_ABORT)
			return abort_rule(st, r, pm);
		if (r->flags & RULE_REWRITE) {
			rc = rewrite(st, r, pm);
			if (rc < 0)
				return rc;
		}
		if (!(r->flags & RULE_GLOBAL))
			break;
	}
	return hit;
}

static int run_rules(const struct remap *m, enum remap_op op, struct run *st)
{
	size_t i = 0;
	int rc;

	while (i < m->n) {
		const struct rule *r = &m->rules[i++];

		if (!applies(r, op, st->client->family))
			continue;
		/* Rules skipped for their G/P/4/6 cost nothing, as in 5.2. */
		if (st->steps-- == 0)
			return -ELOOP;
		rc = run_rule(st, r);
		if (rc <= 0) {
			if (rc < 0)
				return rc;
			continue;
		}
		/* 'e' wins over 's' when a rule has both, as in tftp-hpa. */
		if (r->flags & RULE_EXIT)
			break;
		/* tftp-hpa 5.2 restarts by pointing at the first rule and then
		 * stepping its loop, so it resumes at the second rule: the
		 * first rule is never tried again. */
		if (r->flags & RULE_RESTART)
			i = 1;
	}
	return 0;
}

int remap_apply(const struct remap *m, const char *name, enum remap_op op,
		const struct remap_client *c, char *ret_name, size_t size)
{
	struct run st = { .client = c, .steps = REMAP_STEPS, .repeats = REMAP_REPEATS };
	size_t len;
	int rc;

	if (!m || !name || !c || !ret_name || (c->family != 4 && c->family != 6))
		return -EINVAL;
	if (op != REMAP_GET && op != REMAP_PUT)
		return -EINVAL;
	st.limit = size < REMAP_NAME_MAX ? size : REMAP_NAME_MAX;
	st.msg = ret_name;
	st.msg_size = size;
	len = strnlen(name, st.limit);
	if (len >= st.limit)
		return -ENAMETOOLONG;
	memcpy(st.bufs[0], name, len + 1);
	rc = run_rules(m, op, &st);
	if (rc < 0)
		return rc;
	memcpy(ret_name, st.bufs[st.cur], strlen(st.bufs[st.cur]) + 1);
	return 0;
}
