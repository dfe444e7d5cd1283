/*
 * names.c - a client's spelling of a file name, to a path under the root.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>

#include "names.h"
#include "path.h"

/* The longest name worked on: a request's name fits (RFC 1350 datagrams
 * of our size), and the normaliser refuses what the root cannot hold. */
#define NAME_WORK_MAX 1024

/* The length of prefix at the front of name, counted only when it ends
 * at a component boundary; 0 when it is not there. A trailing '/' of the
 * prefix is not needed in the name: "/tftpboot/" strips "/tftpboot/x". */
static size_t prefix_at(const char *name, size_t len, const char *prefix)
{
	size_t plen = strlen(prefix);

	while (plen > 1 && prefix[plen - 1] == '/')
		plen--;
	if (plen == 0 || (plen == 1 && prefix[0] == '/'))
		return 0;
	if (len < plen || memcmp(name, prefix, plen) != 0)
		return 0;
	return len == plen || name[plen] == '/' ? plen : 0;
}

/* The operator's spelling rules, on a name or on a prefix written as
 * clients send it. */
static void spell(const struct name_rules *nr, char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (nr->backslash && s[i] == '\\')
			s[i] = '/';
		/* ASCII only: a locale would make the same name two files. */
		if (nr->lowercase && s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
	}
}

static size_t strip(const struct name_rules *nr, char *name, size_t len, const char *prefix)
{
	char spelt[NAME_WORK_MAX];
	size_t plen = prefix != NULL ? strlen(prefix) : 0, n;

	if (plen == 0 || plen >= sizeof(spelt))
		return len;
	memcpy(spelt, prefix, plen + 1);
	spell(nr, spelt, plen);
	n = prefix_at(name, len, spelt);
	memmove(name, name + n, len - n);
	return len - n;
}

int names_to_path(const struct name_rules *nr, const char *name, size_t len, char *ret_path,
		  size_t size)
{
	char work[NAME_WORK_MAX];

	if (name == NULL)
		return -EINVAL;
	if (len > sizeof(work))
		return -ENAMETOOLONG;
	memcpy(work, name, len);
	spell(nr, work, len);
	len = strip(nr, work, len, nr->strip_prefix);
	len = strip(nr, work, len, nr->root);
	return tftp_path_normalise_flags(work, len, nr->backslash ? TFTP_PATH_BACKSLASH : 0,
					 ret_path, size);
}
