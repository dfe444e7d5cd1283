/*
 * relay-url.h - what a URL symlink (or relay-fallback) means: the URL to
 * fetch and its modifiers.
 *
 * A symbolic link in the root whose target is "http://..." or
 * "https://..." names a remote file; a target ending in '/' names a
 * remote directory, under which the rest of the requested path is
 * looked up. Modifiers follow the scheme, '+' separated, as r-tftpd
 * writes them: "http+nocache://host/k", "https+nocompress+nocache://...".
 *
 * Pure: the link's text comes from readlinkat in the monitor, which is
 * the only input here; the result is what the fetcher is asked for.
 */
#ifndef CLOISTER_RELAY_URL_H
#define CLOISTER_RELAY_URL_H

#include <stdbool.h>
#include <stddef.h>

#define RELAY_URL_MAX 1024 /* bytes of a URL to fetch, with NUL */

enum relay_url_flag {
	RELAY_URL_NOCACHE = 1u << 0,    /* never served from, nor stored in, a cache */
	RELAY_URL_NOCOMPRESS = 1u << 1, /* identity encoding only */
	RELAY_URL_FLAGS_ALL = RELAY_URL_NOCACHE | RELAY_URL_NOCOMPRESS,
};

/* Does this link text look like a relay URL at all ("http" or "https",
 * with or without modifiers, then "://")? A link that does not is a
 * local link, followed by the kernel as before. */
bool relay_url_is_remote(const char *target, size_t len);

/*
 * The URL for a request: base is a link's text (len bytes, not
 * necessarily NUL-terminated), rest the part of the normalised request
 * path below the link ("" when the link names the file itself). The
 * modifiers are removed from the URL and returned in *ret_flags; rest is
 * percent-encoded but for unreserved characters and '/'.
 * Returns 0, -EINVAL (not an http(s) URL, an unknown modifier, no host,
 * a control character, space or non-ASCII byte, a fragment), -ENOTDIR
 * (rest given but base does not end in '/'), -EISDIR (no rest but base
 * ends in '/': a directory was asked for as a file) or -ENAMETOOLONG.
 */
int relay_url_join(const char *base, size_t len, const char *rest, char *out, size_t size,
		   unsigned *ret_flags);

#endif
