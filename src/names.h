/*
 * names.h - a client's file name as it asks for it, to a path under the
 * served root: the operator's spelling rules, then the path normaliser.
 *
 * Pure; tftpd --map-test goes through the same function as a request.
 */
#ifndef CLOISTER_NAMES_H
#define CLOISTER_NAMES_H

#include <stdbool.h>
#include <stddef.h>

struct name_rules {
	const char *root;         /* the root's absolute path, NULL or "/" for none */
	const char *strip_prefix; /* removed first, NULL for none */
	bool backslash;           /* '\' separates components, as '/' */
	bool lowercase;           /* A-Z become a-z */
};

/*
 * The path under the root that name (len bytes) asks for: '\' mapped when
 * backslash, folded when lowercase, strip_prefix and then the root's own
 * path removed from the front (each only as whole components: a root of
 * /srv/tftp takes "/srv/tftp/x" to "x", never "/srv/tftpx" to "x"), then
 * normalised (path.h). 0, -EINVAL (a name that names nothing servable) or
 * -ENAMETOOLONG; ret_path is untouched on error.
 */
int names_to_path(const struct name_rules *nr, const char *name, size_t len, char *ret_path,
		  size_t size);

#endif
