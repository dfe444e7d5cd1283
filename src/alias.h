/*
 * alias.h - per-client aliases: the file a request name stands for, by
 * client (as WvTFTPd has them), some of them for one download only.
 *
 * Pure: a table built from the configuration, then asked about client keys
 * (addr-index.h) and normalised request paths (path.h). No I/O; memory is
 * allocated only while the table is built.
 *
 * Configuration lines, in section [alias] (standing) or [alias-once] (for
 * one successful download, then gone):
 *
 *     CLIENT/NAME = TARGET
 *
 * CLIENT is an address, a CIDR (cidr.h) or "default" (every client). It
 * ends at the first '/'. After an address, decimal digits followed by '/'
 * are its prefix length: "10.0.0.0/8/pxelinux.cfg/default" is client
 * 10.0.0.0/8 and NAME "pxelinux.cfg/default", while "192.0.2.7/24" is
 * host 192.0.2.7 and NAME "24"; a host whose NAME starts with digits and a
 * '/' is written with its /32 or /128. IPv6 text holds ':' but never '/',
 * so the rule is the same for both families. "default" has no prefix, so
 * "default/8/x" is NAME "8/x". NAME and TARGET are normalised with
 * tftp_path_normalise (leading '/' dropped; "..", empty components and
 * control characters refused), at most TFTP_PATH_MAX - 1 bytes each.
 *
 * Lookup: of the entries whose NAME is the request path and whose CLIENT
 * matches, the most specific wins: a longer prefix beats a shorter one and
 * any address or CIDR beats "default". An [alias-once] entry not yet used
 * beats an [alias] entry of the same CLIENT, so an operator can stage a
 * one-time image over a standing alias. Within one section a CLIENT/NAME
 * may appear only once, so no other tie exists.
 */
#ifndef CLOISTER_ALIAS_H
#define CLOISTER_ALIAS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr-index.h"
#include "cidr.h"
#include "path.h"

#define ALIAS_MAX 4096 /* entries per table, both sections together */
#define ALIAS_NONE UINT32_MAX
#define ALIAS_ERR_MAX (CIDR_ERR_MAX + 32)
/* The longest once-entry key "CLIENT/NAME = TARGET", with its NUL. */
#define ALIAS_KEY_MAX (CIDR_TEXT_MAX + 2 * TFTP_PATH_MAX + 3)

struct alias_entry {
	struct cidr client; /* unused when is_default */
	bool is_default;
	bool once;          /* from [alias-once] */
	bool consumed;      /* once entries: the download happened */
	const char *name;   /* normalised; these three point into text */
	const char *target; /* normalised */
	const char *key;    /* once entries: the state line; NULL otherwise */
	char *text;         /* owned */
};

struct alias_table {
	struct alias_entry *entry; /* n in file order, room for cap */
	size_t n, cap;
	char err[ALIAS_ERR_MAX]; /* the text the last failed alias_add points to */
};

/* An empty table. Allocates nothing. */
void alias_init(struct alias_table *t);
void alias_free(struct alias_table *t);

/*
 * Add the line "key = target" of [alias] (once false) or [alias-once]
 * (once true). Returns 0; -EINVAL for a bad CLIENT, NAME or TARGET or a
 * CLIENT/NAME already in that section, -E2BIG past ALIAS_MAX entries,
 * -ENOMEM. On error *ret_err (when ret_err is not NULL) points to a text
 * for "FILE:LINE: key: text", valid until the next alias_add on t, and t
 * is unchanged.
 */
int alias_add(struct alias_table *t, bool once, const char *key, const char *target,
	      const char **ret_err);

struct alias_hit {
	const char *target; /* points into the table */
	bool once;
	uint32_t id; /* for alias_consume */
};

/* The alias for client k asking for path (normalised by the caller, as
 * tftp_path_normalise writes it). Returns 0 and fills *ret, or -ENOENT
 * (*ret untouched) when no entry applies: serve path itself. */
int alias_lookup(const struct alias_table *t, const struct addr_key *k, const char *path,
		 struct alias_hit *ret);

/* Mark once-entry id used: call only after its download succeeded, then
 * save the state (alias_state_format). 0; -EALREADY when it already was;
 * -EINVAL when id is no once-entry of t. An id belongs to the table that
 * gave it: across a rebuild, carry alias_once_key and alias_once_find. */
int alias_consume(struct alias_table *t, uint32_t id);

/* Once-entry id's stable key: its canonical line "CLIENT/NAME = TARGET"
 * (CLIENT as cidr_format writes it, or "default"), so that a changed
 * TARGET is a new key and the entry is armed again. NULL when id is no
 * once-entry. Points into the table. */
const char *alias_once_key(const struct alias_table *t, uint32_t id);

/* The once-entry whose key is the len bytes at key, or ALIAS_NONE. */
uint32_t alias_once_find(const struct alias_table *t, const char *key, size_t len);

/*
 * Read a state file's len bytes: one key per line, '\n' (or "\r\n")
 * ending each, the last one perhaps not. Each line that is an entry's key
 * marks that entry consumed; blank lines are skipped. Nothing is fatal:
 * any other line is stale (the entry was removed or re-targeted, or the
 * line was edited) and is dropped, since alias_state_format writes only
 * the table's keys. Returns how many stale lines there were, for a log
 * line. Consumed marks already in t stay.
 */
size_t alias_state_parse(struct alias_table *t, const char *text, size_t len);

/* The bytes alias_state_format writes, without its NUL. */
size_t alias_state_size(const struct alias_table *t);

/* The state file text: each consumed once-entry's key and '\n', in table
 * order, NUL-terminated, into out. Returns 0 and sets *ret_len (without
 * the NUL), or -ENOBUFS when it needs more than size bytes with the NUL
 * (out and *ret_len untouched). */
int alias_state_format(const struct alias_table *t, char *out, size_t size, size_t *ret_len);

#endif
