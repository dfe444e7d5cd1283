/*
 * acl.c - first-match allow/deny lists of client specs.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "util.h"

void acl_init(struct acl *a, bool write)
{
	memset(a, 0, sizeof(*a));
	a->write = write;
}

void acl_free(struct acl *a)
{
	free(a->rule);
	acl_init(a, a->write);
}

static int fail(struct acl *a, int r, const char **ret_err)
{
	if (ret_err)
		*ret_err = a->err;
	return r;
}

int acl_add(struct acl *a, bool allow, const char *spec, const char **ret_err)
{
	struct acl_rule r = { .allow = allow, .write = a->write };
	int e;

	e = cidr_parse(spec, spec ? strlen(spec) : 0, &r.spec, a->err, sizeof(a->err));
	if (e < 0)
		return fail(a, e, ret_err);
	/* A bound, so that a generated configuration cannot make every
	 * request walk an unbounded list. */
	if (a->n >= ACL_MAX) {
		snprintf(a->err, sizeof(a->err), "more than %d rules in one list", ACL_MAX);
		return fail(a, -E2BIG, ret_err);
	}
	if (a->n == a->cap) {
		struct acl_rule *p = grow_table(a->rule, &a->cap, sizeof(*p), ACL_MAX);

		if (!p) {
			snprintf(a->err, sizeof(a->err), "out of memory");
			return fail(a, -ENOMEM, ret_err);
		}
		a->rule = p;
	}
	a->rule[a->n++] = r;
	return 0;
}

bool acl_permits(const struct acl *a, const struct addr_key *k, const struct acl_rule **ret_rule)
{
	const struct acl_rule *hit = NULL;

	for (size_t i = 0; i < a->n && !hit; i++)
		if (cidr_match(&a->rule[i].spec, k))
			hit = &a->rule[i];
	if (ret_rule)
		*ret_rule = hit;
	return !hit || hit->allow;
}

char *acl_rule_format(const struct acl_rule *r, char *out, size_t size)
{
	char spec[CIDR_TEXT_MAX];

	if (out && size > 0)
		snprintf(out, size, "%s%s = %s", r->allow ? "allow" : "deny",
			 r->write ? "-write" : "", cidr_format(&r->spec, spec));
	return out;
}

void acl_policy_init(struct acl_policy *p)
{
	acl_init(&p->any, false);
	acl_init(&p->write, true);
}

void acl_policy_free(struct acl_policy *p)
{
	acl_free(&p->any);
	acl_free(&p->write);
}

int acl_policy_add(struct acl_policy *p, const char *key, const char *value,
		   const char **ret_err)
{
	static const struct {
		const char *key;
		bool write, allow;
	} keys[] = {
		{ "allow", false, true },
		{ "deny", false, false },
		{ "allow-write", true, true },
		{ "deny-write", true, false },
	};

	for (size_t i = 0; key && i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(key, keys[i].key) == 0)
			return acl_add(keys[i].write ? &p->write : &p->any, keys[i].allow, value,
				       ret_err);
	return -ENOENT;
}

bool acl_policy_permits(const struct acl_policy *p, const struct addr_key *k, bool write,
			const struct acl_rule **ret_rule)
{
	const struct acl_rule *r, *w;
	bool ok = acl_permits(&p->any, k, &r);

	/* The upload list narrows the request list, never widens it: a
	 * client denied by "deny =" cannot upload whatever allow-write says. */
	if (ok && write) {
		ok = acl_permits(&p->write, k, &w);
		if (w)
			r = w;
	}
	if (ret_rule)
		*ret_rule = r;
	return ok;
}
