/*
 * cidr.c - parse, match and print client match specs.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cidr.h"
#include "util.h"

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t size, const char *fmt,
						       ...)
{
	va_list ap;

	if (err && size > 0) {
		va_start(ap, fmt);
		vsnprintf(err, size, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static unsigned addr_bytes(uint8_t family)
{
	return family == 4 ? 4 : 16;
}

/* The bits of byte i that lie inside a prefix of the given length. */
static uint8_t mask_byte(unsigned prefix, unsigned i)
{
	unsigned bits = prefix > 8 * i ? prefix - 8 * i : 0;

	if (bits >= 8)
		return 0xff;
	return (uint8_t)(0xff00u >> bits);
}

/*
 * The prefix length: decimal digits only, so no sign, space, "0x" or an
 * empty "/" (parse_u64's rules), and no leading zero either: "/033" is
 * octal 27 to some tools and 33 to others, and "/024" is more likely a
 * typo than a wish for /24, so neither is guessed at.
 */
static int parse_prefix(const char *p, size_t len, unsigned max, unsigned *ret, char *err,
			size_t esize)
{
	char buf[4];
	uint64_t v;

	if (len == 0)
		return fail(err, esize, "no prefix length after '/'");
	for (size_t i = 0; i < len; i++)
		if (p[i] < '0' || p[i] > '9')
			return fail(err, esize, "prefix length is not a decimal number");
	if (len > 1 && p[0] == '0')
		return fail(err, esize, "prefix length with a leading zero");
	/* Four digits or more are out of range whatever they say. */
	if (len < sizeof(buf)) {
		memcpy(buf, p, len);
		buf[len] = '\0';
		if (parse_bounded(buf, 0, max, &v) == 0) {
			*ret = (unsigned)v;
			return 0;
		}
	}
	return fail(err, esize, "prefix length above %u, the IPv%c maximum", max,
		    max == 32 ? '4' : '6');
}

static int parse_addr(const char *s, size_t len, struct cidr *c, char *err, size_t esize)
{
	char buf[INET6_ADDRSTRLEN];

	if (len == 0)
		return fail(err, esize, "no address before '/'");
	/* A zone ties an address to one link; a spec matches on every link
	 * (cidr_match), so "fe80::1%eth0" would promise what it does not do. */
	if (memchr(s, '%', len))
		return fail(err, esize,
			    "an address with a zone (%%...): specs match on every link");
	/* An embedded NUL would let inet_pton see less than the line says. */
	if (len >= sizeof(buf) || memchr(s, '\0', len))
		return fail(err, esize, "not an IPv4 or IPv6 address");
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(c, 0, sizeof(*c));
	/* inet_pton takes only the strict dotted quad: no "10.1", no "0x0a",
	 * and no leading zeros ("010.0.0.1" is octal to inet_aton). */
	if (inet_pton(AF_INET, buf, c->addr) == 1)
		c->family = 4;
	else if (inet_pton(AF_INET6, buf, c->addr) == 1)
		c->family = 6;
	else
		return fail(err, esize, "not an IPv4 or IPv6 address");
	return 0;
}

/* A v4-mapped spec is the IPv4 one, as a v4-mapped client is the IPv4 key
 * (addr_key_from). Only prefixes of 96 and more get here: a shorter one
 * leaves the mapped block's ffff bits as host bits and is refused. */
static void unmap(struct cidr *c)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (c->family != 6 || c->prefix < 96 || memcmp(c->addr, mapped, sizeof(mapped)) != 0)
		return;
	c->family = 4;
	c->prefix -= 96;
	memmove(c->addr, c->addr + 12, 4);
	memset(c->addr + 4, 0, 12);
}

int cidr_parse(const char *s, size_t len, struct cidr *ret, char *ret_err, size_t err_size)
{
	const char *slash = s ? memchr(s, '/', len) : NULL;
	size_t alen = slash ? (size_t)(slash - s) : len;
	struct cidr c, net;
	unsigned prefix, max;
	char text[CIDR_TEXT_MAX];
	int r;

	if (!s)
		return fail(ret_err, err_size, "no address");
	r = parse_addr(s, alen, &c, ret_err, err_size);
	if (r < 0)
		return r;
	max = addr_bytes(c.family) * 8;
	prefix = max;
	if (slash) {
		r = parse_prefix(slash + 1, len - alen - 1, max, &prefix, ret_err, err_size);
		if (r < 0)
			return r;
	}
	net = c;
	net.prefix = (uint8_t)prefix;
	for (unsigned i = 0; i < 16; i++)
		net.addr[i] &= mask_byte(prefix, i);
	/* Refused, not masked: "10.1.2.3/8" is a typo for a host or for the
	 * network more often than a wish for 10.0.0.0/8, and the operator is
	 * told which network that would be. */
	if (memcmp(net.addr, c.addr, sizeof(c.addr)) != 0)
		return fail(ret_err, err_size, "host bits set beyond /%u: the network is %s",
			    prefix, cidr_format(&net, text));
	unmap(&net);
	*ret = net;
	return 0;
}

bool cidr_match(const struct cidr *c, const struct addr_key *k)
{
	if (c->family != k->family || (c->family != 4 && c->family != 6))
		return false;
	for (unsigned i = 0; i < addr_bytes(c->family); i++)
		if ((k->addr[i] & mask_byte(c->prefix, i)) != c->addr[i])
			return false;
	return true;
}

unsigned cidr_specificity(const struct cidr *c)
{
	return c->family == 4 ? c->prefix + 96u : c->prefix;
}

bool cidr_equal(const struct cidr *a, const struct cidr *b)
{
	return a->family == b->family && a->prefix == b->prefix &&
	       memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

char *cidr_format(const struct cidr *c, char out[static CIDR_TEXT_MAX])
{
	char a[INET6_ADDRSTRLEN];

	if (!inet_ntop(c->family == 4 ? AF_INET : AF_INET6, c->addr, a, sizeof(a)))
		a[0] = '\0';
	snprintf(out, CIDR_TEXT_MAX, "%s/%u", a, (unsigned)c->prefix);
	return out;
}
