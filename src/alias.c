/*
 * alias.c - per-client aliases, standing and for one download, and the
 * text of the state that remembers which one-time ones were used.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alias.h"
#include "util.h"

#define DEFAULT_WORD "default"

void alias_init(struct alias_table *t)
{
	memset(t, 0, sizeof(*t));
}

void alias_free(struct alias_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->entry[i].text);
	free(t->entry);
	alias_init(t);
}

__attribute__((format(printf, 4, 5))) static int fail(struct alias_table *t, int r,
						      const char **ret_err, const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(t->err, sizeof(t->err), fmt, ap);
		va_end(ap);
	}
	if (ret_err)
		*ret_err = t->err;
	return r;
}

/*
 * CLIENT ends at the first '/'; after an address, digits and a '/' are
 * its prefix length. The digits are handed to cidr_parse with the address,
 * so "10.0.0.0/08/x" is refused for its leading zero rather than read as
 * host 10.0.0.0 and NAME "08/x": an operator who wrote digits and a slash
 * there meant a prefix. Sets *ret_name to where NAME starts.
 */
static int parse_client(const char *key, struct alias_entry *e, const char **ret_name, char *err,
			size_t esize)
{
	const char *slash = strchr(key, '/'), *d;
	size_t clen;
	char cerr[CIDR_ERR_MAX];

	if (!slash || slash == key) {
		snprintf(err, esize, "not CLIENT/NAME, CLIENT an address, a CIDR or '%s'",
			 DEFAULT_WORD);
		return -EINVAL;
	}
	clen = (size_t)(slash - key);
	*ret_name = slash + 1;
	if (clen == sizeof(DEFAULT_WORD) - 1 && memcmp(key, DEFAULT_WORD, clen) == 0) {
		e->is_default = true;
		return 0;
	}
	for (d = slash + 1; *d >= '0' && *d <= '9'; d++)
		;
	if (d > slash + 1 && *d == '/') {
		clen = (size_t)(d - key);
		*ret_name = d + 1;
	}
	if (cidr_parse(key, clen, &e->client, cerr, sizeof(cerr)) < 0) {
		snprintf(err, esize, "CLIENT: %s", cerr);
		return -EINVAL;
	}
	return 0;
}

static int normalise(struct alias_table *t, const char *what, const char *s,
		     char out[static TFTP_PATH_MAX], const char **ret_err)
{
	int r = tftp_path_normalise(s, strlen(s), out, TFTP_PATH_MAX);

	if (r == -ENAMETOOLONG)
		return fail(t, -EINVAL, ret_err, "%s longer than %d bytes", what,
			    TFTP_PATH_MAX - 1);
	if (r < 0)
		return fail(t, -EINVAL, ret_err,
			    "%s is not a file under the root (empty, an empty component, "
			    "'..' or a control character)",
			    what);
	return 0;
}

static bool same_client(const struct alias_entry *a, const struct alias_entry *b)
{
	if (a->is_default || b->is_default)
		return a->is_default == b->is_default;
	return cidr_equal(&a->client, &b->client);
}

static bool in_section(const struct alias_table *t, const struct alias_entry *e,
		       const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->entry[i].once == e->once && same_client(&t->entry[i], e) &&
		    strcmp(t->entry[i].name, name) == 0)
			return true;
	return false;
}

static const char *client_text(const struct alias_entry *e, char buf[static CIDR_TEXT_MAX])
{
	return e->is_default ? DEFAULT_WORD : cidr_format(&e->client, buf);
}

/* One allocation: NAME, TARGET and, for a once-entry, its key line. */
static int fill_text(struct alias_entry *e, const char *name, const char *target)
{
	char cbuf[CIDR_TEXT_MAX];
	const char *client = client_text(e, cbuf);
	size_t nl = strlen(name) + 1, tl = strlen(target) + 1;
	size_t kl = e->once ? strlen(client) + 1 + nl + 3 + tl : 0;

	e->text = malloc(nl + tl + kl);
	if (!e->text)
		return -ENOMEM;
	memcpy(e->text, name, nl);
	memcpy(e->text + nl, target, tl);
	e->name = e->text;
	e->target = e->text + nl;
	e->key = NULL;
	if (e->once) {
		snprintf(e->text + nl + tl, kl, "%s/%s = %s", client, name, target);
		e->key = e->text + nl + tl;
	}
	return 0;
}

int alias_add(struct alias_table *t, bool once, const char *key, const char *target,
	      const char **ret_err)
{
	struct alias_entry e = { .once = once };
	char name[TFTP_PATH_MAX], tgt[TFTP_PATH_MAX], cbuf[CIDR_TEXT_MAX];
	const char *raw_name;
	int r;

	if (!key || !target)
		return fail(t, -EINVAL, ret_err, "no CLIENT/NAME or no TARGET");
	r = parse_client(key, &e, &raw_name, t->err, sizeof(t->err));
	if (r < 0)
		return fail(t, r, ret_err, NULL);
	r = normalise(t, "NAME", raw_name, name, ret_err);
	if (r < 0)
		return r;
	r = normalise(t, "TARGET", target, tgt, ret_err);
	if (r < 0)
		return r;
	/* Two entries for one CLIENT/NAME in one section would leave the
	 * winner to file order, which the operator may not have meant. */
	if (in_section(t, &e, name))
		return fail(t, -EINVAL, ret_err, "a second entry for %s/%s in [alias%s]",
			    client_text(&e, cbuf), name, once ? "-once" : "");
	if (t->n >= ALIAS_MAX)
		return fail(t, -E2BIG, ret_err, "more than %d aliases", ALIAS_MAX);
	if (t->n == t->cap) {
		struct alias_entry *p = grow_table(t->entry, &t->cap, sizeof(*p), ALIAS_MAX);

		if (!p)
			return fail(t, -ENOMEM, ret_err, "out of memory");
		t->entry = p;
	}
	if (fill_text(&e, name, tgt) < 0)
		return fail(t, -ENOMEM, ret_err, "out of memory");
	t->entry[t->n++] = e;
	return 0;
}

/* Higher wins: default, then prefix length, then a once-entry over a
 * standing one of the same CLIENT. */
static unsigned rank(const struct alias_entry *e)
{
	unsigned r = e->is_default ? 0 : 1 + cidr_specificity(&e->client);

	return 2 * r + e->once;
}

/* A linear walk: with at most ALIAS_MAX entries, a string compare each,
 * this costs less than opening the file the request then names. */
int alias_lookup(const struct alias_table *t, const struct addr_key *k, const char *path,
		 struct alias_hit *ret)
{
	size_t best = ALIAS_NONE;

	if (!path)
		return -ENOENT;
	for (size_t i = 0; i < t->n; i++) {
		const struct alias_entry *e = &t->entry[i];

		if ((e->once && e->consumed) || strcmp(e->name, path) != 0)
			continue;
		if (!e->is_default && !cidr_match(&e->client, k))
			continue;
		if (best == ALIAS_NONE || rank(e) > rank(&t->entry[best]))
			best = i;
	}
	if (best == ALIAS_NONE)
		return -ENOENT;
	ret->target = t->entry[best].target;
	ret->once = t->entry[best].once;
	ret->id = (uint32_t)best;
	return 0;
}

static struct alias_entry *once_entry(const struct alias_table *t, uint32_t id)
{
	if (id >= t->n || !t->entry[id].once)
		return NULL;
	return &t->entry[id];
}

int alias_consume(struct alias_table *t, uint32_t id)
{
	struct alias_entry *e = once_entry(t, id);

	if (!e)
		return -EINVAL;
	if (e->consumed)
		return -EALREADY;
	e->consumed = true;
	return 0;
}

const char *alias_once_key(const struct alias_table *t, uint32_t id)
{
	const struct alias_entry *e = once_entry(t, id);

	return e ? e->key : NULL;
}

uint32_t alias_once_find(const struct alias_table *t, const char *key, size_t len)
{
	for (size_t i = 0; key && i < t->n; i++) {
		const char *k = t->entry[i].key;

		if (k && strlen(k) == len && memcmp(k, key, len) == 0)
			return (uint32_t)i;
	}
	return ALIAS_NONE;
}

static bool blank(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return false;
	return true;
}

size_t alias_state_parse(struct alias_table *t, const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	size_t stale = 0;

	while (text && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		size_t n = (size_t)(eol - p);
		uint32_t id;

		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (!blank(p, n)) {
			id = alias_once_find(t, p, n);
			if (id == ALIAS_NONE)
				stale++;
			else
				t->entry[id].consumed = true;
		}
		p = nl ? nl + 1 : end;
	}
	return stale;
}

size_t alias_state_size(const struct alias_table *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->n; i++)
		if (t->entry[i].once && t->entry[i].consumed)
			n += strlen(t->entry[i].key) + 1;
	return n;
}

int alias_state_format(const struct alias_table *t, char *out, size_t size, size_t *ret_len)
{
	size_t need = alias_state_size(t), pos = 0;

	if (!out || need >= size)
		return -ENOBUFS;
	for (size_t i = 0; i < t->n; i++) {
		const struct alias_entry *e = &t->entry[i];
		size_t kl;

		if (!e->once || !e->consumed)
			continue;
		kl = strlen(e->key);
		memcpy(out + pos, e->key, kl);
		out[pos + kl] = '\n';
		pos += kl + 1;
	}
	out[pos] = '\0';
	if (ret_len)
		*ret_len = pos;
	return 0;
}
