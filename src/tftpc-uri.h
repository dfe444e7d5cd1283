/*
 * tftpc-uri.h - RFC 3617 tftp:// URIs, for tftpc.
 *
 * Pure: a string in, the parts out. No I/O, no allocation, no globals.
 */
#ifndef CLOISTER_TFTPC_URI_H
#define CLOISTER_TFTPC_URI_H

#include <stdbool.h>
#include <stdint.h>

#include "tftp-packet.h"

#define TFTPC_HOST_MAX 255 /* bytes of a host name or address, without NUL */
#define TFTPC_PORT_DEFAULT 69

struct tftpc_uri {
	char host[TFTPC_HOST_MAX + 1];       /* name, IPv4, or IPv6 without brackets */
	uint16_t port;                       /* 1..65535, 69 unless given */
	char file[TFTP_FILENAME_MAX + 1];    /* percent-decoded, as sent in the request */
	enum tftp_mode mode;                 /* octet unless ;mode= says otherwise */
	bool mode_given;
};

/*
 * Parse tftp://host[:port]/file[;mode=octet|netascii]. The scheme and the
 * mode are case-insensitive; host is a name, an IPv4 address or an IPv6
 * address in brackets; file is everything after the first '/' (so
 * tftp://h//abs names "/abs"), percent-decoded (RFC 3986), never empty,
 * never holding a NUL or another control character. Returns 0 with *ret
 * filled, -EINVAL for a malformed URI, -ENAMETOOLONG for a host or file
 * too long. *ret is cleared on failure.
 */
int tftpc_uri_parse(const char *s, struct tftpc_uri *ret);

/* The last component of a URI's file, for a download without a local
 * name: NULL when there is none that is safe ("", ".", "..", ends in '/'). */
const char *tftpc_uri_basename(const struct tftpc_uri *uri);

#endif
