/*
 * acl.h - which clients may send requests, and which may upload.
 *
 * Pure: ordered lists of allow/deny specs (cidr.h) built from the
 * configuration, then asked about client keys (addr-index.h). No I/O;
 * memory is allocated only while a list is built.
 *
 * Configuration keys: "allow = SPEC" and "deny = SPEC" form the list every
 * request (RRQ and WRQ) is checked against; "allow-write = SPEC" and
 * "deny-write = SPEC" form a second, independent list that uploads are
 * checked against as well. Each key may repeat; IPv4 and IPv6 specs mix.
 * In each list the FIRST matching rule decides; a client no rule matches
 * is allowed, so a list that should allow only some clients ends in
 * "deny = 0.0.0.0/0" and "deny = ::/0" (one per family: IPv4 clients,
 * v4-mapped ones included, are IPv4 keys, which ::/0 does not match).
 */
#ifndef CLOISTER_ACL_H
#define CLOISTER_ACL_H

#include <stdbool.h>
#include <stddef.h>

#include "addr-index.h"
#include "cidr.h"

#define ACL_MAX 1024 /* rules per list */
/* "allow-write = " and the longest spec, with the NUL. */
#define ACL_RULE_TEXT_MAX (sizeof("allow-write = ") - 1 + CIDR_TEXT_MAX)
#define ACL_ERR_MAX CIDR_ERR_MAX

struct acl_rule {
	struct cidr spec;
	bool allow;
	bool write; /* from allow-write / deny-write: for the log line */
};

struct acl {
	struct acl_rule *rule; /* n rules in file order, room for cap */
	size_t n, cap;
	bool write;
	char err[ACL_ERR_MAX]; /* the text the last failed acl_add points to */
};

/* An empty list (allows everyone): the request list, or the upload list
 * when write. Allocates nothing. */
void acl_init(struct acl *a, bool write);
void acl_free(struct acl *a);

/*
 * Append "allow = spec" (allow) or "deny = spec" to a. Returns 0; -EINVAL
 * for a bad spec, -E2BIG past ACL_MAX rules, -ENOMEM. On error *ret_err
 * (when ret_err is not NULL) points to a text for "FILE:LINE: key: text",
 * valid until the next acl_add on a, and a is unchanged.
 */
int acl_add(struct acl *a, bool allow, const char *spec, const char **ret_err);

/* Whether a lets the client k in. *ret_rule (when ret_rule is not NULL)
 * is the rule that decided, or NULL when none matched (allowed). */
bool acl_permits(const struct acl *a, const struct addr_key *k, const struct acl_rule **ret_rule);

/* The rule as its configuration line, "deny = 10.0.0.0/8", into out (size
 * bytes, ACL_RULE_TEXT_MAX always fits). Returns out. */
char *acl_rule_format(const struct acl_rule *r, char *out, size_t size);

/* Both lists of a configuration. */
struct acl_policy {
	struct acl any;   /* allow / deny: every request */
	struct acl write; /* allow-write / deny-write: uploads too */
};

void acl_policy_init(struct acl_policy *p);
void acl_policy_free(struct acl_policy *p);

/* Add the configuration line "key = value". -ENOENT (nothing changed, no
 * error text) when key is not one of the four ACL keys, so that a
 * configuration reader can offer the line elsewhere; else as acl_add. */
int acl_policy_add(struct acl_policy *p, const char *key, const char *value,
		   const char **ret_err);

/* Whether k may send this request: every request must pass p->any, an
 * upload (write) p->write too. *ret_rule (when ret_rule is not NULL) is
 * the rule that denied; when allowed, the last rule that matched, or NULL
 * when none did. */
bool acl_policy_permits(const struct acl_policy *p, const struct addr_key *k, bool write,
			const struct acl_rule **ret_rule);

#endif
