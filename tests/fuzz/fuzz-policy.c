/*
 * fuzz-policy.c - libFuzzer harness for the operator's policy matchers:
 * client specs (cidr.c), allow/deny lists (acl.c) and aliases with their
 * one-time state (alias.c).
 *
 * The input is text in three parts split by lines "%%": configuration
 * lines ("[acl]", "[alias]", "[alias-once]" choose the section, then
 * "key = value"), a state file's text, and lookups ("ADDR PATH", ADDR in
 * inet_pton text, "m:" for v4-mapped, or any other bytes for a key built
 * from them).
 *
 * Checked: every spec that parses prints a canonical text that parses to
 * the same spec and matches its own network; error texts are terminated
 * and fit; an ACL verdict is the first matching rule's; an accepted alias
 * keeps a normalised NAME and TARGET and a key that finds it and that,
 * re-added, is the same key; a lookup gives the most specific live entry
 * for exactly that path and client, and never a consumed one; and state
 * text formatted from a table parses into a table built from the same
 * lines to the same consumed set and the same text.
 *
 *   clang -fsanitize=fuzzer,address,undefined -Isrc tests/fuzz/fuzz-policy.c \
 *       src/cidr.c src/acl.c src/alias.c src/path.c src/util.c src/addr-index.c \
 *       src/private-mem.c
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "acl.h"
#include "alias.h"
#include "cidr.h"
#include "fuzz-check.h"

#define LINE_MAX_FUZZ 2048

enum section { SEC_ACL, SEC_ALIAS, SEC_ONCE };

struct input {
	const char *p, *end;
};

/* The next line, NUL-terminated in buf (cut at its size), or false at the
 * end of the part: the end of the input or a "%%" line. */
static bool next_line(struct input *in, char *buf, size_t size)
{
	const char *nl;
	size_t n;

	if (in->p >= in->end)
		return false;
	nl = memchr(in->p, '\n', (size_t)(in->end - in->p));
	n = (size_t)((nl ? nl : in->end) - in->p);
	if (n == 2 && memcmp(in->p, "%%", 2) == 0) {
		in->p = nl ? nl + 1 : in->end;
		return false;
	}
	if (n >= size)
		n = size - 1;
	memcpy(buf, in->p, n);
	buf[n] = '\0';
	in->p = nl ? nl + 1 : in->end;
	return true;
}

/* The part up to a "%%" line, as raw bytes. */
static void raw_part(struct input *in, const char **ret, size_t *ret_len)
{
	const char *p = in->p;

	while (p < in->end) {
		const char *nl = memchr(p, '\n', (size_t)(in->end - p));
		const char *eol = nl ? nl : in->end;

		if (eol - p == 2 && memcmp(p, "%%", 2) == 0) {
			*ret = in->p;
			*ret_len = (size_t)(p - in->p);
			in->p = nl ? nl + 1 : in->end;
			return;
		}
		p = nl ? nl + 1 : in->end;
	}
	*ret = in->p;
	*ret_len = (size_t)(in->end - in->p);
	in->p = in->end;
}

static char *trim(char *s)
{
	char *e = s + strlen(s);

	while (*s == ' ' || *s == '\t')
		s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static void check_err(const char *err, size_t max)
{
	CHECK(err != NULL);
	CHECK(strnlen(err, max) < max);
	CHECK(err[0] != '\0');
}

/* Any text: if it is a spec, it is a fixed point of format and parse. */
static void fuzz_spec(const char *s)
{
	struct cidr c, again;
	struct addr_key k;
	char err[CIDR_ERR_MAX], text[CIDR_TEXT_MAX];

	if (cidr_parse(s, strlen(s), &c, err, sizeof(err)) < 0) {
		check_err(err, sizeof(err));
		return;
	}
	CHECK(c.family == 4 || c.family == 6);
	CHECK(c.prefix <= (c.family == 4 ? 32 : 128));
	CHECK(cidr_specificity(&c) <= 128);
	cidr_format(&c, text);
	CHECK(strlen(text) < CIDR_TEXT_MAX);
	CHECK(cidr_parse(text, strlen(text), &again, err, sizeof(err)) == 0);
	CHECK(cidr_equal(&c, &again));
	memset(&k, 0, sizeof(k));
	k.family = c.family;
	memcpy(k.addr, c.addr, sizeof(k.addr));
	k.scope = 7;
	CHECK(cidr_match(&c, &k));
}

struct tables {
	struct acl_policy acl;
	struct alias_table alias;
};

static void add_line(struct tables *t, enum section *sec, char *line)
{
	char *eq, *key, *value;
	const char *err = NULL;
	int r;

	if (strcmp(line, "[acl]") == 0 || strcmp(line, "[alias]") == 0 ||
	    strcmp(line, "[alias-once]") == 0) {
		*sec = line[1] == 'a' && line[2] == 'c' ? SEC_ACL
		       : line[6] == '-'                 ? SEC_ONCE
							: SEC_ALIAS;
		return;
	}
	eq = strchr(line, '=');
	if (!eq) {
		fuzz_spec(line);
		return;
	}
	*eq = '\0';
	key = trim(line);
	value = trim(eq + 1);
	fuzz_spec(value);
	if (*sec == SEC_ACL) {
		r = acl_policy_add(&t->acl, key, value, &err);
		CHECK(r == 0 || r == -ENOENT || r == -EINVAL || r == -E2BIG);
		if (r != 0 && r != -ENOENT)
			check_err(err, ACL_ERR_MAX);
		return;
	}
	r = alias_add(&t->alias, *sec == SEC_ONCE, key, value, &err);
	CHECK(r == 0 || r == -EINVAL || r == -E2BIG);
	if (r != 0)
		check_err(err, ALIAS_ERR_MAX);
}

/* Build both tables from the first part; returns where it ended. */
static const char *build(struct tables *t, const uint8_t *data, size_t size)
{
	struct input in = { (const char *)data, (const char *)data + size };
	enum section sec = SEC_ALIAS;
	char line[LINE_MAX_FUZZ];

	acl_policy_init(&t->acl);
	alias_init(&t->alias);
	while (next_line(&in, line, sizeof(line)))
		add_line(t, &sec, trim(line));
	return in.p;
}

static void free_tables(struct tables *t)
{
	acl_policy_free(&t->acl);
	alias_free(&t->alias);
}

static void check_norm(const char *p)
{
	char again[TFTP_PATH_MAX];

	CHECK(strlen(p) < TFTP_PATH_MAX);
	CHECK(tftp_path_normalise(p, strlen(p), again, sizeof(again)) == 0);
	CHECK(strcmp(p, again) == 0);
}

static void check_aliases(const struct alias_table *t)
{
	for (uint32_t i = 0; i < t->n; i++) {
		const struct alias_entry *e = &t->entry[i];
		const char *key = alias_once_key(t, i);
		struct alias_table one;
		char head[ALIAS_KEY_MAX];
		size_t hl;

		check_norm(e->name);
		check_norm(e->target);
		CHECK((key != NULL) == e->once);
		if (!key)
			continue;
		CHECK(strlen(key) < ALIAS_KEY_MAX);
		CHECK(alias_once_find(t, key, strlen(key)) == i);
		/* "CLIENT/NAME" of the key, added again, gives the same key. */
		hl = strlen(key) - strlen(e->target) - 3;
		memcpy(head, key, hl);
		head[hl] = '\0';
		alias_init(&one);
		CHECK(alias_add(&one, true, head, e->target, NULL) == 0);
		CHECK(strcmp(alias_once_key(&one, 0), key) == 0);
		alias_free(&one);
	}
}

static bool applies(const struct alias_entry *e, const struct addr_key *k, const char *path)
{
	return !(e->once && e->consumed) && strcmp(e->name, path) == 0 &&
	       (e->is_default || cidr_match(&e->client, k));
}

static int rank(const struct alias_entry *e)
{
	return 2 * (e->is_default ? 0 : 1 + (int)cidr_specificity(&e->client)) + e->once;
}

/* The brute-force answer agrees, and consuming a once hit retires it. */
static void check_lookup(struct alias_table *t, const struct addr_key *k, const char *path)
{
	struct alias_hit hit, next;
	const struct alias_entry *w;
	bool any = false;

	for (size_t i = 0; i < t->n; i++)
		any |= applies(&t->entry[i], k, path);
	if (alias_lookup(t, k, path, &hit) < 0) {
		CHECK(!any);
		return;
	}
	CHECK(hit.id < t->n);
	w = &t->entry[hit.id];
	CHECK(applies(w, k, path));
	CHECK(hit.target == w->target && hit.once == w->once);
	for (size_t i = 0; i < t->n; i++)
		if (i != hit.id && applies(&t->entry[i], k, path))
			CHECK(rank(&t->entry[i]) < rank(w));
	if (!hit.once) {
		CHECK(alias_consume(t, hit.id) == -EINVAL);
		return;
	}
	CHECK(alias_consume(t, hit.id) == 0);
	CHECK(alias_consume(t, hit.id) == -EALREADY);
	if (alias_lookup(t, k, path, &next) == 0)
		CHECK(next.id != hit.id);
}

static void check_acl(const struct acl *a, const struct addr_key *k)
{
	const struct acl_rule *r, *first = NULL;
	char text[ACL_RULE_TEXT_MAX];
	bool ok = acl_permits(a, k, &r);

	for (size_t i = 0; i < a->n && !first; i++)
		if (cidr_match(&a->rule[i].spec, k))
			first = &a->rule[i];
	CHECK(r == first);
	CHECK(ok == (!first || first->allow));
	if (r) {
		acl_rule_format(r, text, sizeof(text));
		CHECK(strlen(text) < sizeof(text) - 1 || text[sizeof(text) - 1] == '\0');
		CHECK(strncmp(text, r->allow ? "allow" : "deny", r->allow ? 5 : 4) == 0);
	}
}

/* "ADDR PATH": ADDR as inet_pton text ("m:" v4-mapped), else the first
 * bytes of the line make a key. Builds a canonical key either way. */
static void parse_lookup(char *line, struct addr_key *k, const char **ret_path)
{
	char *sp = strchr(line, ' ');
	const char *a = line;
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = { .sin_family = AF_INET };

	*ret_path = sp ? sp + 1 : "";
	if (sp)
		*sp = '\0';
	if (strncmp(a, "m:", 2) == 0 && inet_pton(AF_INET, a + 2, &s6.sin6_addr.s6_addr[12]) == 1) {
		s6.sin6_addr.s6_addr[10] = s6.sin6_addr.s6_addr[11] = 0xff;
		CHECK(addr_key_from((struct sockaddr *)&s6, false, k));
	} else if (inet_pton(AF_INET, a, &s4.sin_addr) == 1) {
		CHECK(addr_key_from((struct sockaddr *)&s4, false, k));
	} else if (inet_pton(AF_INET6, a, &s6.sin6_addr) == 1) {
		s6.sin6_scope_id = (uint32_t)strlen(*ret_path);
		CHECK(addr_key_from((struct sockaddr *)&s6, false, k));
	} else {
		size_t n = strlen(a), room;

		memset(k, 0, sizeof(*k));
		k->family = n % 2 ? 4 : 6;
		room = k->family == 4 ? 4 : 16;
		memcpy(k->addr, a, n < room ? n : room);
	}
}

static void check_state(const struct tables *t, const uint8_t *data, size_t size)
{
	size_t need = alias_state_size(&t->alias), len = 0;
	char *text = malloc(need + 1), *again = malloc(need + 1);
	struct tables u;

	CHECK(text && again);
	CHECK(alias_state_format(&t->alias, text, need, &len) == -ENOBUFS);
	CHECK(alias_state_format(&t->alias, text, need + 1, &len) == 0);
	CHECK(len == need && strlen(text) == len);
	build(&u, data, size);
	CHECK(u.alias.n == t->alias.n);
	CHECK(alias_state_parse(&u.alias, text, len) == 0);
	for (size_t i = 0; i < u.alias.n; i++)
		CHECK(u.alias.entry[i].consumed == (t->alias.entry[i].once &&
						    t->alias.entry[i].consumed));
	CHECK(alias_state_format(&u.alias, again, need + 1, &len) == 0);
	CHECK(strcmp(text, again) == 0);
	free_tables(&u);
	free(text);
	free(again);
}

static size_t count_lines(const char *s, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += s[i] == '\n';
	return n + (len > 0 && s[len - 1] != '\n');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tables t;
	struct input in;
	const char *state;
	size_t state_len, stale;
	char line[LINE_MAX_FUZZ];

	in.p = build(&t, data, size);
	in.end = (const char *)data + size;
	check_aliases(&t.alias);
	raw_part(&in, &state, &state_len);
	stale = alias_state_parse(&t.alias, state, state_len);
	CHECK(stale <= count_lines(state, state_len));
	while (next_line(&in, line, sizeof(line))) {
		struct addr_key k;
		const char *path;

		parse_lookup(line, &k, &path);
		check_acl(&t.acl.any, &k);
		check_acl(&t.acl.write, &k);
		check_lookup(&t.alias, &k, path);
	}
	check_state(&t, data, size);
	free_tables(&t);
	return 0;
}
