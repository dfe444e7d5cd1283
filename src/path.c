/*
 * path.c - a client's file name to a relative path under the served root.
 *
 * Pure: the first of two independent guards. The kernel (openat2 with
 * RESOLVE_IN_ROOT) is the second, so neither has to be perfect alone, but
 * this one refuses rather than repairs anything doubtful.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "path.h"

static bool is_sep(char c, unsigned flags)
{
	/* Windows and WDS clients send "\boot\bcd"; dnsmasq maps '\' to '/'
	 * too. Treating both as separators also makes "..\" a ".." component.
	 * Without the flag '\' is an ordinary byte of a Linux file name, and
	 * "..\x" one component, which climbs nowhere. */
	return c == '/' || (c == '\\' && (flags & TFTP_PATH_BACKSLASH));
}

static bool is_control(unsigned char c)
{
	/* NUL is included: an embedded NUL would silently cut the name the
	 * kernel sees short of the one we checked. */
	return c < 0x20 || c == 0x7f;
}

/*
 * Walk the components of name. With out == NULL only validate and measure.
 * Returns the length of the normalised path (without NUL) or -EINVAL.
 */
static long walk(const char *name, size_t len, unsigned flags, char *out)
{
	const char *p = name, *end = name + len;
	size_t n = 0;

	/* A leading '/' means the served root, as in tftp-hpa and OpenBSD
	 * tftpd; PXE ROMs commonly ask for "/pxelinux.0". */
	while (p < end && is_sep(*p, flags))
		p++;

	while (p < end) {
		const char *c = p;
		size_t clen;

		while (p < end && !is_sep(*p, flags)) {
			if (is_control((unsigned char)*p))
				return -EINVAL;
			p++;
		}
		clen = (size_t)(p - c);
		/* "a//b" and "a/" are not names any client needs; refusing them
		 * keeps one spelling per file for ACLs and logs. */
		if (clen == 0)
			return -EINVAL;
		if (p < end)
			p++;
		if (p == end && is_sep(p[-1], flags))
			return -EINVAL;
		if (clen == 1 && c[0] == '.')
			continue;
		/* Only exactly ".." climbs: "...." and "..a" are ordinary names. */
		if (clen == 2 && c[0] == '.' && c[1] == '.')
			return -EINVAL;
		if (out) {
			if (n > 0)
				out[n] = '/';
			memcpy(out + n + (n > 0), c, clen);
		}
		n += (n > 0) + clen;
	}
	/* Empty, only slashes, or only "." names the root directory itself. */
	if (n == 0)
		return -EINVAL;
	return (long)n;
}

int tftp_path_normalise(const char *name, size_t len, char *ret_path, size_t size)
{
	return tftp_path_normalise_flags(name, len, TFTP_PATH_BACKSLASH, ret_path, size);
}

int tftp_path_normalise_flags(const char *name, size_t len, unsigned flags, char *ret_path,
			      size_t size)
{
	long n;

	if (!name)
		return -EINVAL;
	n = walk(name, len, flags, NULL);
	if (n < 0)
		return (int)n;
	if ((size_t)n >= size || !ret_path)
		return -ENAMETOOLONG;
	/* Second pass writes: ret_path stays untouched on every error. */
	walk(name, len, flags, ret_path);
	ret_path[n] = '\0';
	return 0;
}
