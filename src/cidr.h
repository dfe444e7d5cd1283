/*
 * cidr.h - a client match spec: one address or an address block, IPv4 or
 * IPv6, as an operator writes it in allow = / deny = / [alias] lines.
 *
 * Pure: text in, a struct out; no I/O, no allocation, no globals. Specs
 * match struct addr_key (addr-index.h), the canonical client address, so
 * "192.0.2.0/24" and "::ffff:192.0.2.0/120" are the same spec and match an
 * IPv4 client whether it came on an IPv4 or, v4-mapped, on a dual-stack
 * socket.
 */
#ifndef CLOISTER_CIDR_H
#define CLOISTER_CIDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr-index.h"

/* The longest canonical text with its NUL: a full IPv6 address and "/128". */
#define CIDR_TEXT_MAX (INET6_ADDRSTRLEN + 4)
/* Room for any error text cidr_parse writes, with its NUL. */
#define CIDR_ERR_MAX 128

struct cidr {
	uint8_t family;   /* 4 or 6, as in struct addr_key */
	uint8_t prefix;   /* 0..32 for IPv4, 0..128 for IPv6 */
	uint8_t addr[16]; /* the network, host bits 0; IPv4 in the first 4 bytes */
};

/*
 * Parse len bytes of s (no NUL needed): "ADDR" or "ADDR/PREFIX", ADDR in
 * inet_pton's IPv4 dotted quad or IPv6 text. A bare address is a host
 * (/32, /128). A v4-mapped IPv6 spec becomes the IPv4 one ("::ffff:a.b.c.d
 * /120" is a.b.c.d/24). The word "default" is not a spec: callers that
 * accept it test for it first.
 * Returns 0 and fills *ret, or -EINVAL and writes an error text (for
 * "FILE:LINE: key: text", at most CIDR_ERR_MAX bytes with its NUL, cut to
 * err_size) to ret_err. *ret is untouched on error; ret_err on success.
 */
int cidr_parse(const char *s, size_t len, struct cidr *ret, char *ret_err, size_t err_size);

/* Whether k (a host key; its port is ignored) lies in c. The IPv6 scope
 * is ignored too: a spec names addresses, whichever link they are on. */
bool cidr_match(const struct cidr *c, const struct addr_key *k);

/* How specific c is, for choosing between specs that match one key: its
 * prefix length counted in IPv6 bits (an IPv4 /24 is 120), so a host is
 * 128 in both families. Two specs that match one key have one family, so
 * this orders them by prefix length alone. */
unsigned cidr_specificity(const struct cidr *c);

bool cidr_equal(const struct cidr *a, const struct cidr *b);

/* The canonical text of c, always with its prefix ("192.0.2.7/32",
 * "2001:db8::/32"), into out (CIDR_TEXT_MAX bytes). Returns out. */
char *cidr_format(const struct cidr *c, char out[static CIDR_TEXT_MAX]);

#endif
