/*
 * policy.h - the operator's rules for one request: who may ask, what a
 * name means for this client, and the protocol limits its group gets.
 *
 * Built from the settings (their lists and sections) and the map file's
 * text, then asked about each request by the monitor and by
 * tftpd --map-test, so that both answer the same. Pure: the files are
 * read by the caller.
 */
#ifndef CLOISTER_POLICY_H
#define CLOISTER_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "acl.h"
#include "addr-index.h"
#include "alias.h"
#include "cidr.h"
#include "names.h"
#include "path.h"
#include "remap.h"
#include "settings.h"
#include "tftp-packet.h"

/* [client CIDR]: what one group of clients is granted. */
struct client_quirk {
	struct cidr client;
	unsigned blksize_max;    /* 0: the global one */
	unsigned windowsize_max; /* 0: the global one */
	unsigned refused;        /* options ignored, as --refuse, added */
	bool refuse_all;         /* refuse = all: no OACK at all (RFC 1350) */
};

#define POLICY_QUIRKS_MAX 1024

struct policy {
	struct name_rules names;
	struct remap *map;            /* NULL: no map file */
	struct alias_table aliases;
	struct acl_policy acl;
	struct client_quirk *quirks;  /* in the order written */
	size_t n_quirks;
};

/*
 * Build p from s and the map file's text (map_text NULL: none; map_name
 * for messages). 0, or -1 after complain() was given one message naming
 * the place: "FILE:LINE: key: what is wrong". p is usable only after 0.
 */
int policy_build(const struct settings *s, const char *map_text, size_t map_len,
		 const char *map_name, struct policy *p, void (*complain)(const char *msg));
void policy_free(struct policy *p);

/* The answer for one request. */
struct policy_answer {
	bool refused;
	enum tftp_error code;            /* when refused: sent to the client */
	char text[128];                  /* ..with this text */
	char reason[192];                /* ..and this, for the log */
	char mapped[REMAP_NAME_MAX];     /* the name after the map file */
	bool was_mapped;                 /* the map file changed it */
	char path[TFTP_PATH_MAX];        /* the path under the root */
	char requested[TFTP_PATH_MAX];   /* path before an alias replaced it */
	uint32_t alias;                  /* ALIAS_NONE, or the entry used */
	bool alias_once;
	struct client_quirk limits;      /* every [client] section that matched, in order */
};

/*
 * Decide on a request for name (as sent, NUL-terminated) from client k,
 * whose request came on a socket of family socket_family (AF_INET or
 * AF_INET6: tftp-hpa's map rules see a v4-mapped client as IPv6). In
 * order: allow/deny (and allow-write/deny-write for an upload), the map
 * file, the names rules, then (downloads only) the aliases. Fills *ret.
 */
void policy_decide(const struct policy *p, const struct addr_key *k, int socket_family,
		   bool upload, const char *name, struct policy_answer *ret);

#endif
