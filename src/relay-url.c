/*
 * relay-url.c - parsing a URL symlink's text; see relay-url.h.
 *
 * The text is untrusted in the sense that whoever can write the root can
 * write it: it must come out as a plain http(s) URL, with nothing libcurl
 * would read as another scheme, an option or a second request.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "relay-url.h"

struct modifier {
	const char *name;
	unsigned flag;
};

static const struct modifier modifiers[] = {
	{ "nocache", RELAY_URL_NOCACHE },
	{ "nocompress", RELAY_URL_NOCOMPRESS },
};

/* Length of the scheme with its modifiers, up to "://"; 0 if none. */
static size_t scheme_end(const char *s, size_t len)
{
	for (size_t i = 0; i + 2 < len && i < 64; i++) {
		if (s[i] == ':')
			return s[i + 1] == '/' && s[i + 2] == '/' ? i : 0;
		if (!(s[i] == '+' || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
			return 0;
	}
	return 0;
}

static int modifier_flag(const char *s, size_t len)
{
	for (size_t i = 0; i < sizeof(modifiers) / sizeof(modifiers[0]); i++)
		if (strlen(modifiers[i].name) == len && strncasecmp(s, modifiers[i].name, len) == 0)
			return (int)modifiers[i].flag;
	return -EINVAL;
}

/* "https+nocache": the scheme ("http" or "https", returned in *ret_tls)
 * and the flags of its modifiers. */
static int parse_scheme(const char *s, size_t len, bool *ret_tls, unsigned *ret_flags)
{
	const char *plus = memchr(s, '+', len);
	size_t n = plus != NULL ? (size_t)(plus - s) : len;

	if (n == 4 && strncasecmp(s, "http", 4) == 0)
		*ret_tls = false;
	else if (n == 5 && strncasecmp(s, "https", 5) == 0)
		*ret_tls = true;
	else
		return -EINVAL;
	*ret_flags = 0;
	while (n < len) {
		const char *m = s + n + 1;
		const char *next = memchr(m, '+', len - n - 1);
		size_t mlen = next != NULL ? (size_t)(next - m) : len - n - 1;
		int f = modifier_flag(m, mlen);

		if (f < 0)
			return f;
		*ret_flags |= (unsigned)f;
		n += 1 + mlen;
	}
	return 0;
}

bool relay_url_is_remote(const char *target, size_t len)
{
	size_t n = scheme_end(target, len);
	bool tls;
	unsigned flags;

	return n > 0 && parse_scheme(target, n, &tls, &flags) == 0;
}

/* The rest of a URL after "scheme://": printable ASCII without space or
 * '#', and a host before the first '/'. */
static int check_tail(const char *s, size_t len)
{
	if (len == 0 || s[0] == '/' || s[0] == '?' || s[0] == '@')
		return -EINVAL;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f || s[i] == '#' ||
		    s[i] == '\\')
			return -EINVAL;
	return 0;
}

static bool unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~' || c == '/';
}

/* Append rest, percent-encoded, at out[*used]. */
static int append_encoded(const char *rest, char *out, size_t size, size_t *used)
{
	static const char hex[] = "0123456789ABCDEF";

	for (const unsigned char *p = (const unsigned char *)rest; *p != '\0'; p++) {
		size_t need = unreserved(*p) ? 1 : 3;

		if (*used + need >= size)
			return -ENAMETOOLONG;
		if (need == 1) {
			out[(*used)++] = (char)*p;
			continue;
		}
		out[(*used)++] = '%';
		out[(*used)++] = hex[*p >> 4];
		out[(*used)++] = hex[*p & 15];
	}
	return 0;
}

int relay_url_join(const char *base, size_t len, const char *rest, char *out, size_t size,
		   unsigned *ret_flags)
{
	size_t n = scheme_end(base, len), used;
	bool tls, is_dir;
	int e;

	if (n == 0 || (e = parse_scheme(base, n, &tls, ret_flags)) < 0)
		return -EINVAL;
	if ((e = check_tail(base + n + 3, len - n - 3)) < 0)
		return e;
	/* check_tail saw a host first, so a final '/' is a path's */
	is_dir = base[len - 1] == '/';
	if (rest[0] != '\0' && !is_dir)
		return -ENOTDIR;
	if (rest[0] == '\0' && base[len - 1] == '/')
		return -EISDIR;
	used = tls ? 5 : 4;
	if (used + (len - n) >= size)
		return -ENAMETOOLONG;
	memcpy(out, tls ? "https" : "http", used);
	memcpy(out + used, base + n, len - n);
	used += len - n;
	if ((e = append_encoded(rest, out, size, &used)) < 0)
		return e;
	out[used] = '\0';
	return 0;
}
