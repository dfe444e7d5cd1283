/*
 * policy.c - the operator's rules for one request.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "policy.h"
#include "tftp-options.h"
#include "util.h"

typedef void complain_fn(const char *msg);

__attribute__((format(printf, 3, 4))) static int fail(complain_fn *complain,
						     const struct setting_line *l,
						     const char *fmt, ...)
{
	char what[512], msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(msg, sizeof(msg), "%s: %s: %s", l->where, l->key, what);
	complain(msg);
	return -1;
}

/* One key of a [client CIDR] section, into q. */
static int set_quirk(struct client_quirk *q, const struct setting_line *l, complain_fn *complain)
{
	uint64_t v;
	int opt;

	if (strcmp(l->key, "blksize-max") == 0) {
		if (parse_bounded(l->value, TFTP_BLKSIZE_MIN, TFTP_BLKSIZE_MAX, &v) < 0)
			return fail(complain, l, "'%s' is not a number from 8 to 65464", l->value);
		q->blksize_max = (unsigned)v;
	} else if (strcmp(l->key, "windowsize-max") == 0) {
		if (parse_bounded(l->value, 1, 65535, &v) < 0)
			return fail(complain, l, "'%s' is not a number from 1 to 65535", l->value);
		q->windowsize_max = (unsigned)v;
	} else if (strcmp(l->value, "all") == 0) {
		q->refuse_all = true;
	} else if ((opt = tftp_opt_from_name(l->value)) >= 0) {
		q->refused |= 1u << opt;
	} else {
		return fail(complain, l, "unknown option '%s' (all, blksize, tsize, timeout, "
			    "windowsize, rollover, utimeout)", l->value);
	}
	return 0;
}

/* Lines of one [client CIDR] section come together: one entry each. */
static int add_quirk(struct policy *p, const struct setting_line *l, complain_fn *complain)
{
	char err[CIDR_ERR_MAX];
	struct client_quirk *q = p->n_quirks > 0 ? &p->quirks[p->n_quirks - 1] : NULL;
	struct cidr c;

	if (cidr_parse(l->section, strlen(l->section), &c, err, sizeof(err)) < 0)
		return fail(complain, l, "[client %s]: %s", l->section, err);
	if (q == NULL || !cidr_equal(&q->client, &c)) {
		if (p->n_quirks == POLICY_QUIRKS_MAX)
			return fail(complain, l, "too many [client] sections (at most %d)",
				    POLICY_QUIRKS_MAX);
		q = realloc(p->quirks, (p->n_quirks + 1) * sizeof(*p->quirks));
		if (q == NULL)
			return fail(complain, l, "out of memory");
		p->quirks = q;
		q = &p->quirks[p->n_quirks++];
		*q = (struct client_quirk){ .client = c };
	}
	return set_quirk(q, l, complain);
}

static int add_line(struct policy *p, const struct setting_line *l, complain_fn *complain)
{
	const char *err = NULL;
	int e;

	switch (l->kind) {
	case SETTING_ACCESS:
	case SETTING_WRITE:
		e = acl_policy_add(&p->acl, l->key, l->value, &err);
		break;
	case SETTING_ALIAS:
	case SETTING_ALIAS_ONCE:
		e = alias_add(&p->aliases, l->kind == SETTING_ALIAS_ONCE, l->key, l->value, &err);
		break;
	case SETTING_CLIENT:
		return add_quirk(p, l, complain);
	default:
		return fail(complain, l, "not a list or section line");
	}
	if (e < 0)
		return fail(complain, l, "%s", err != NULL ? err : strerror(-e));
	return 0;
}

static int parse_map(struct policy *p, const char *text, size_t len, const char *name,
		     complain_fn *complain)
{
	struct remap_error err = { 0 };
	char msg[512];
	int e = remap_parse(text, len, &p->map, &err);

	if (e == 0)
		return 0;
	if (e == -EINVAL && err.line > 0)
		snprintf(msg, sizeof(msg), "%s:%u: %s", name, err.line, err.text);
	else
		snprintf(msg, sizeof(msg), "%s: %s", name, e == -EINVAL ? err.text : strerror(-e));
	complain(msg);
	return -1;
}

int policy_build(const struct settings *s, const char *map_text, size_t map_len,
		 const char *map_name, struct policy *p, void (*complain)(const char *msg))
{
	memset(p, 0, sizeof(*p));
	p->names = (struct name_rules){ .root = s->root_path, .strip_prefix = s->strip_prefix,
					.backslash = s->backslash, .lowercase = s->lowercase };
	alias_init(&p->aliases);
	acl_policy_init(&p->acl);
	for (size_t i = 0; i < s->n_lines; i++)
		if (add_line(p, &s->lines[i], complain) < 0)
			goto fail;
	if (map_text != NULL && parse_map(p, map_text, map_len, map_name, complain) < 0)
		goto fail;
	return 0;
fail:
	policy_free(p);
	return -1;
}

void policy_free(struct policy *p)
{
	remap_free(p->map);
	alias_free(&p->aliases);
	acl_policy_free(&p->acl);
	free(p->quirks);
	memset(p, 0, sizeof(*p));
}

/* Turn the answer into a refusal: text and code for the client, reason
 * for the log. */
__attribute__((format(printf, 4, 5))) static void deny(struct policy_answer *ret,
						       const char *text, enum tftp_error code,
						       const char *reason, ...)
{
	va_list ap;

	ret->refused = true;
	ret->code = code;
	snprintf(ret->text, sizeof(ret->text), "%.*s", (int)sizeof(ret->text) - 1, text);
	va_start(ap, reason);
	vsnprintf(ret->reason, sizeof(ret->reason), reason, ap);
	va_end(ap);
}

static bool permitted(const struct policy *p, const struct addr_key *k, bool upload,
		      struct policy_answer *ret)
{
	const struct acl_rule *rule = NULL;
	char line[ACL_RULE_TEXT_MAX];

	if (acl_policy_permits(&p->acl, k, upload, &rule))
		return true;
	deny(ret, upload && rule != NULL && rule->write ? "Uploads are not allowed from here"
							 : "Access denied",
	     TFTP_ERR_ACCESS, "denied by %s",
	     rule != NULL ? acl_rule_format(rule, line, sizeof(line)) : "the access list");
	return false;
}

/* The map file, on the name as sent (tftp-hpa's order). */
static bool mapped(const struct policy *p, const struct addr_key *k, int socket_family,
		   bool upload, const char *name, struct policy_answer *ret)
{
	struct remap_client c = { .family = socket_family == AF_INET6 ? 6 : 4 };
	int e;

	if (socket_family == AF_INET6 && k->family == 4) {
		/* As the socket saw it: ::ffff:a.b.c.d. */
		c.addr[10] = c.addr[11] = 0xff;
		memcpy(c.addr + 12, k->addr, 4);
	} else {
		memcpy(c.addr, k->addr, sizeof(c.addr));
	}
	e = remap_apply(p->map, name, upload ? REMAP_PUT : REMAP_GET, &c, ret->mapped,
			sizeof(ret->mapped));
	switch (e) {
	case 0:
		ret->was_mapped = strcmp(ret->mapped, name) != 0;
		return true;
	case -EACCES:
		deny(ret, ret->mapped[0] != '\0' ? ret->mapped : "Access denied",
		     TFTP_ERR_ACCESS, "refused by the map file");
		return false;
	case -ELOOP:
		deny(ret, "Remap table failure", TFTP_ERR_ACCESS,
		     "the map file's rewrite steps ran out");
		return false;
	default:
		deny(ret, "File name too long", TFTP_ERR_ACCESS,
		     "the map file made the name too long");
		return false;
	}
}

static void apply_limits(const struct policy *p, const struct addr_key *k, struct client_quirk *q)
{
	for (size_t i = 0; i < p->n_quirks; i++) {
		const struct client_quirk *c = &p->quirks[i];

		if (!cidr_match(&c->client, k))
			continue;
		if (c->blksize_max)
			q->blksize_max = c->blksize_max;
		if (c->windowsize_max)
			q->windowsize_max = c->windowsize_max;
		q->refused |= c->refused;
		q->refuse_all |= c->refuse_all;
	}
}

void policy_decide(const struct policy *p, const struct addr_key *k, int socket_family,
		   bool upload, const char *name, struct policy_answer *ret)
{
	struct alias_hit hit;
	const char *spelt = name;

	memset(ret, 0, sizeof(*ret));
	ret->alias = ALIAS_NONE;
	if (!permitted(p, k, upload, ret))
		return;
	if (p->map != NULL) {
		if (!mapped(p, k, socket_family, upload, name, ret))
			return;
		spelt = ret->mapped;
	}
	if (names_to_path(&p->names, spelt, strlen(spelt), ret->path, sizeof(ret->path)) < 0) {
		deny(ret, "Access violation", TFTP_ERR_ACCESS, "not a name under the root");
		return;
	}
	memcpy(ret->requested, ret->path, sizeof(ret->path));
	if (!upload && alias_lookup(&p->aliases, k, ret->path, &hit) == 0) {
		ret->alias = hit.id;
		ret->alias_once = hit.once;
		snprintf(ret->path, sizeof(ret->path), "%s", hit.target);
	}
	apply_limits(p, k, &ret->limits);
}
