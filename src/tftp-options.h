/*
 * tftp-options.h - option negotiation (RFC 2347, 2348, 2349, 7440, and the
 * rollover and utimeout extensions).
 *
 * Pure: the request's options plus the operator's limits in, the values
 * the transfer uses and the OACK out. No I/O, no allocation, no globals.
 */
#ifndef CLOISTER_TFTP_OPTIONS_H
#define CLOISTER_TFTP_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "tftp-packet.h"

enum tftp_opt {
	TFTP_OPT_BLKSIZE = 0,    /* RFC 2348: 8..65464, clamped to the limit */
	TFTP_OPT_TSIZE = 1,      /* RFC 2349 */
	TFTP_OPT_TIMEOUT = 2,    /* RFC 2349: 1..255 s, else dropped */
	TFTP_OPT_WINDOWSIZE = 3, /* RFC 7440: 1..65535, clamped to the limit */
	TFTP_OPT_ROLLOVER = 4,   /* block after 65535: 0 or 1, else dropped */
	TFTP_OPT_UTIMEOUT = 5,   /* tftp-hpa: 10000..255000000 us, else dropped */
	TFTP_OPT_COUNT = 6,
};

#define TFTP_BLKSIZE_MIN 8
#define TFTP_BLKSIZE_MAX 65464
#define TFTP_WINDOWSIZE_MAX 65535
#define TFTP_OACK_MAX 512 /* no OACK we build is longer */

struct tftp_opt_limits {
	uint32_t blksize_max;    /* 8..65464 (--blksize-max, or the path MTU) */
	uint32_t windowsize_max; /* 1..65535 (--windowsize-max) */
	uint64_t upload_max;     /* WRQ tsize limit in bytes; 0 = none */
	uint32_t refused;        /* bit (1 << enum tftp_opt) per --refuse */
	int tsize_known;         /* RRQ: file_size below is exact (octet); 0 for
	                          * netascii, whose wire size is not the file's */
	uint64_t file_size;      /* RRQ: the size to announce */
};

struct tftp_opt_result {
	uint32_t blksize;        /* 512 unless negotiated */
	uint32_t windowsize;     /* 1 unless negotiated */
	uint32_t timeout_us;     /* 0 = not negotiated (adaptive timer); from
	                          * timeout (s) or utimeout (us); utimeout wins */
	uint8_t rollover;        /* 0 unless negotiated */
	uint64_t tsize;          /* WRQ: the client's announced size, else 0 */
	int tsize_given;         /* WRQ: the client announced a size */
	/* Options to acknowledge, in the order the client sent them. */
	size_t n_acked;
	enum tftp_opt acked[TFTP_OPT_COUNT];
	char values[TFTP_OPT_COUNT][24]; /* decimal value per option, as sent in the OACK */
};

/*
 * Negotiate. For each known option (name compared case-insensitively; the
 * first of duplicates wins; unknown and refused ones are ignored) decide
 * the value, drop invalid ones (never echoed), clamp blksize and
 * windowsize. Returns 0, or a TFTP error code the request must be refused
 * with: TFTP_ERR_NOSPACE when a WRQ's tsize exceeds upload_max.
 * *ret is always filled (defaults when nothing was negotiated).
 */
int tftp_opt_negotiate(const struct tftp_request *req, const struct tftp_opt_limits *lim,
		       struct tftp_opt_result *ret);

/*
 * Build the OACK for res into buf. Returns its length, 0 when there is
 * nothing to acknowledge (then no OACK is sent), or -ENOBUFS. An OACK
 * from negotiate always fits in TFTP_OACK_MAX bytes, whatever blksize
 * was asked for.
 */
int tftp_opt_build_oack(const struct tftp_opt_result *res, uint8_t *buf, size_t size);

/*
 * The client's side. What a client asks for; 0 (rollover: -1) leaves an
 * option out of the request.
 */
struct tftp_opt_ask {
	uint32_t blksize;    /* 8..65464 */
	uint32_t windowsize; /* 1..65535 */
	uint32_t timeout_s;  /* 1..255 */
	int tsize;           /* ask for tsize: RRQ "0", WRQ tsize_value */
	uint64_t tsize_value;
	int rollover;        /* -1, or 0..1 */
};

/* Storage for the decimal values of a request's options. */
struct tftp_opt_ask_text {
	const char *names[TFTP_OPT_COUNT];
	const char *values[TFTP_OPT_COUNT];
	char digits[TFTP_OPT_COUNT][24];
};

/* Fill ret with the name/value pairs of ask, for tftp_pkt_build_request.
 * Returns how many (0..TFTP_OPT_COUNT). */
size_t tftp_opt_ask_pairs(const struct tftp_opt_ask *ask, enum tftp_opcode op,
			  struct tftp_opt_ask_text *ret);

/*
 * A client's reading of the server's OACK (parsed by tftp_pkt_parse_oack)
 * against what it asked. RFC 2347: the server acknowledges a subset of the
 * client's options, blksize and windowsize no larger than asked (RFC 2348,
 * 7440). Returns 0 with *ret filled (defaults for what the OACK leaves out;
 * for an RRQ, tsize_given and tsize carry the server's announced size), or
 * -EPROTO for an OACK the client must refuse with ERROR 8: an option not
 * asked for, a duplicate, or a value out of range. *ret holds the defaults
 * then.
 */
int tftp_opt_accept(const struct tftp_opt_ask *ask, const struct tftp_request *oack,
		    struct tftp_opt_result *ret);

/* "blksize", "tsize", ... ; NULL for an invalid value. */
const char *tftp_opt_name(enum tftp_opt opt);

/* Option by name, case-insensitive: its enum, or -1. For --refuse. */
int tftp_opt_from_name(const char *name);

#endif
