/*
 * tftpc-uri.c - RFC 3617 tftp:// URIs.
 *
 *   tftpURI = "tftp://" host [":" port] "/" file [";mode=" mode]
 *
 * The URI comes from the user's command line, not the network, but it
 * ends up in a request and in a local file name: the rules below keep
 * control characters out of both, and the basename out of other folders.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>

#include "tftpc-uri.h"
#include "util.h"

#define SCHEME "tftp://"
#define MODE_PARAM ";mode="

/* Case-insensitive ASCII prefix test (RFC 3986: schemes are). */
static bool has_prefix(const char *s, const char *prefix)
{
	for (; *prefix; s++, prefix++)
		if (ascii_lower((unsigned char)*s) != *prefix)
			return false;
	return true;
}

static bool ascii_ieq(const char *a, size_t len, const char *b)
{
	return strlen(b) == len && has_prefix(a, b);
}

static int hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = ascii_lower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Host characters of a name or an IPv4 address (RFC 3986 reg-name,
 * without the escapes and sub-delims no resolver takes). */
static bool host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '-' || c == '_';
}

/* An IPv6 literal: hex digits, colons, dots (an embedded IPv4) and a zone
 * after '%' (RFC 6874, written "%25" in a URI; a bare '%' is taken too). */
static bool v6_char(char c)
{
	return hex((unsigned char)c) >= 0 || c == ':' || c == '.' || c == '%' ||
	       host_char(c);
}

/* host[:port] from p up to end. */
static int parse_authority(const char *p, const char *end, struct tftpc_uri *u)
{
	const char *host = p, *host_end;
	uint64_t port;

	if (p < end && *p == '[') {
		host = ++p;
		while (p < end && *p != ']')
			if (!v6_char(*p++))
				return -EINVAL;
		if (p == end)
			return -EINVAL;
		host_end = p++;
	} else {
		while (p < end && *p != ':')
			if (!host_char(*p++))
				return -EINVAL;
		host_end = p;
	}
	if (host_end == host)
		return -EINVAL;
	if ((size_t)(host_end - host) > TFTPC_HOST_MAX)
		return -ENAMETOOLONG;
	memcpy(u->host, host, (size_t)(host_end - host));
	u->port = TFTPC_PORT_DEFAULT;
	if (p == end)
		return 0;
	if (*p != ':' || end - p < 2 || end - p > 6)
		return -EINVAL;
	{
		char digits[6] = { 0 };

		memcpy(digits, p + 1, (size_t)(end - p - 1));
		if (parse_bounded(digits, 1, 65535, &port) < 0)
			return -EINVAL;
	}
	u->port = (uint16_t)port;
	return 0;
}

/* Percent-decode file; refuse NUL and the other control characters,
 * which would reach the server's logs and our terminal. */
static int decode_file(const char *p, const char *end, struct tftpc_uri *u)
{
	size_t n = 0;

	while (p < end) {
		int c = (unsigned char)*p++;

		if (c == '%') {
			int hi, lo;

			if (end - p < 2 || (hi = hex((unsigned char)p[0])) < 0 ||
			    (lo = hex((unsigned char)p[1])) < 0)
				return -EINVAL;
			c = hi << 4 | lo;
			p += 2;
		}
		if (c < 0x20 || c == 0x7f)
			return -EINVAL;
		if (n == TFTP_FILENAME_MAX)
			return -ENAMETOOLONG;
		u->file[n++] = (char)c;
	}
	if (n == 0)
		return -EINVAL;
	u->file[n] = '\0';
	return 0;
}

/* ";mode=octet" or ";mode=netascii" at the end of s, if there. */
static int parse_mode(const char *s, const char **ret_file_end, struct tftpc_uri *u)
{
	const char *m = strrchr(s, ';'), *v;
	size_t len;

	u->mode = TFTP_MODE_OCTET;
	*ret_file_end = s + strlen(s);
	if (!m || !has_prefix(m, MODE_PARAM))
		return 0;
	v = m + strlen(MODE_PARAM);
	len = strlen(v);
	if (ascii_ieq(v, len, "octet"))
		u->mode = TFTP_MODE_OCTET;
	else if (ascii_ieq(v, len, "netascii"))
		u->mode = TFTP_MODE_NETASCII;
	else
		return -EINVAL; /* "mail" too: obsolete (RFC 3617 leaves it out) */
	u->mode_given = true;
	*ret_file_end = m;
	return 0;
}

int tftpc_uri_parse(const char *s, struct tftpc_uri *ret)
{
	struct tftpc_uri u;
	const char *auth, *slash, *file_end;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!s || !has_prefix(s, SCHEME))
		return -EINVAL;
	memset(&u, 0, sizeof(u));
	auth = s + strlen(SCHEME);
	slash = strchr(auth, '/');
	if (!slash)
		return -EINVAL;
	r = parse_authority(auth, slash, &u);
	if (r < 0)
		return r;
	r = parse_mode(slash + 1, &file_end, &u);
	if (r < 0)
		return r;
	r = decode_file(slash + 1, file_end, &u);
	if (r < 0)
		return r;
	*ret = u;
	return 0;
}

const char *tftpc_uri_basename(const struct tftpc_uri *uri)
{
	const char *b = strrchr(uri->file, '/');

	b = b ? b + 1 : uri->file;
	/* A name the server takes with backslashes (Windows paths) must
	 * not become a local name with them either. */
	if (strrchr(b, '\\'))
		b = strrchr(b, '\\') + 1;
	if (*b == '\0' || strcmp(b, ".") == 0 || strcmp(b, "..") == 0)
		return NULL;
	return b;
}
