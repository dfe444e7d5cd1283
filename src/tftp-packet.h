/*
 * tftp-packet.h - the TFTP wire format (RFC 1350, 2347).
 *
 * Pure functions over byte buffers: no I/O, no allocation, no globals.
 * This is the only place where bytes from the network are parsed.
 */
#ifndef CLOISTER_TFTP_PACKET_H
#define CLOISTER_TFTP_PACKET_H

#include <stddef.h>
#include <stdint.h>

enum tftp_opcode {
	TFTP_OP_RRQ = 1,
	TFTP_OP_WRQ = 2,
	TFTP_OP_DATA = 3,
	TFTP_OP_ACK = 4,
	TFTP_OP_ERROR = 5,
	TFTP_OP_OACK = 6,
};

enum tftp_error {
	TFTP_ERR_UNDEF = 0,     /* not defined, see message */
	TFTP_ERR_NOTFOUND = 1,  /* file not found */
	TFTP_ERR_ACCESS = 2,    /* access violation */
	TFTP_ERR_NOSPACE = 3,   /* disk full or allocation exceeded */
	TFTP_ERR_BADOP = 4,     /* illegal TFTP operation */
	TFTP_ERR_BADTID = 5,    /* unknown transfer ID */
	TFTP_ERR_EXISTS = 6,    /* file already exists */
	TFTP_ERR_NOUSER = 7,    /* no such user */
	TFTP_ERR_OPTNEG = 8,    /* option negotiation refused (RFC 2347) */
};

enum tftp_mode {
	TFTP_MODE_OCTET = 1,
	TFTP_MODE_NETASCII = 2,
};

/* Largest request we accept; RFC 1350 requests fit in 512 bytes, options
 * (RFC 2347) may make them longer, but never longer than a UDP datagram. */
#define TFTP_REQUEST_MAX 65507
/* Longest file name we accept, in bytes, without its NUL. */
#define TFTP_FILENAME_MAX 511
/* Most options a request may carry; more is refused as malformed. */
#define TFTP_OPTIONS_MAX 16
/* Header sizes. */
#define TFTP_DATA_HDR 4
#define TFTP_ACK_LEN 4
#define TFTP_BLKSIZE_DEFAULT 512

struct tftp_option {
	const char *name;  /* NUL-terminated, points into the request buffer */
	const char *value; /* NUL-terminated, non-empty, into the request buffer */
};

struct tftp_request {
	enum tftp_opcode opcode; /* TFTP_OP_RRQ or TFTP_OP_WRQ (TFTP_OP_OACK: an OACK) */
	enum tftp_mode mode;
	const char *filename;    /* NUL-terminated, into the request buffer */
	size_t filename_len;     /* 1..TFTP_FILENAME_MAX */
	size_t n_options;
	struct tftp_option options[TFTP_OPTIONS_MAX];
};

/*
 * Parse a request (RRQ or WRQ) received on a listening socket.
 *
 * Invariant: the datagram's last byte is NUL, so every field is a C string
 * inside buf. After the mode, option name/value pairs follow. A run of NUL
 * bytes where an option name would start is padding that some boot ROMs
 * add: it ends the request and must reach the end of the datagram.
 * Trailing bytes that are not NUL are refused.
 *
 * The pointers in *ret_req point into buf, which must outlive them.
 * Returns 0, or:
 *   -EBADMSG          malformed: too short, unterminated, empty file name,
 *                     option without value, junk after padding
 *   -EOPNOTSUPP       opcode is not RRQ/WRQ (see tftp_pkt_opcode)
 *   -EPROTONOSUPPORT  mode is not octet/netascii (incl. "mail")
 *   -ENAMETOOLONG     file name longer than TFTP_FILENAME_MAX
 *   -E2BIG            more than TFTP_OPTIONS_MAX options, or len > TFTP_REQUEST_MAX
 * On failure *ret_req is cleared, except that a request refused after its
 * file name was read (bad mode or options) still names the file, for the
 * log.
 */
int tftp_pkt_parse_request(const uint8_t *buf, size_t len, struct tftp_request *ret_req);

/* The opcode of a datagram, or -EBADMSG if shorter than 2 bytes. */
int tftp_pkt_opcode(const uint8_t *buf, size_t len);

/* Look an option up by name, case-insensitively; NULL if absent. */
const struct tftp_option *tftp_pkt_find_option(const struct tftp_request *req, const char *name);

/*
 * Builders. Each writes one packet into buf (capacity size) and returns its
 * length, or -ENOBUFS if it does not fit. They never write past size.
 */
/* DATA header only: the caller places the payload at buf + TFTP_DATA_HDR. */
int tftp_pkt_put_data_header(uint8_t *buf, size_t size, uint16_t block);
int tftp_pkt_build_ack(uint8_t *buf, size_t size, uint16_t block);
/* message is truncated so that the packet fits; control characters in it
 * are replaced by '?'. TFTP_ERROR_PKT_MAX holds any ERROR we send: its
 * texts are one short line. */
#define TFTP_ERROR_PKT_MAX 128
int tftp_pkt_build_error(uint8_t *buf, size_t size, enum tftp_error code, const char *message);
/* OACK from parallel arrays of names and values (n may be 0). */
int tftp_pkt_build_oack(uint8_t *buf, size_t size, const char *const *names,
			const char *const *values, size_t n);

/* RRQ or WRQ, as a client sends it: file name (1..TFTP_FILENAME_MAX
 * bytes), mode, then n (<= TFTP_OPTIONS_MAX) options. -EINVAL for a bad
 * argument. */
int tftp_pkt_build_request(uint8_t *buf, size_t size, enum tftp_opcode opcode,
			   const char *filename, enum tftp_mode mode, const char *const *names,
			   const char *const *values, size_t n);

/*
 * Parse an OACK, as a client receives it: the options go into
 * ret_oack->options (pointing into buf), opcode is TFTP_OP_OACK and there
 * is no file name. The rules are a request's (final NUL, no empty value,
 * NUL padding only). 0, -EBADMSG or -E2BIG; *ret_oack is cleared on
 * failure.
 */
int tftp_pkt_parse_oack(const uint8_t *buf, size_t len, struct tftp_request *ret_oack);

/*
 * Parsers for what a transfer receives after the request (used only by the
 * child). Return 0 or -EBADMSG.
 */
int tftp_pkt_parse_ack(const uint8_t *buf, size_t len, uint16_t *ret_block);
/* DATA: payload points into buf. */
int tftp_pkt_parse_data(const uint8_t *buf, size_t len, uint16_t *ret_block,
			const uint8_t **ret_payload, size_t *ret_payload_len);
/* ERROR: the message is copied (escaped, NUL-terminated, truncated) into
 * msgbuf; a missing terminator is tolerated for the message only. */
int tftp_pkt_parse_error(const uint8_t *buf, size_t len, uint16_t *ret_code,
			 char *msgbuf, size_t msgsize);

/* Human text for an error code ("File not found", ...). */
const char *tftp_pkt_error_text(enum tftp_error code);
/* "octet" / "netascii". */
const char *tftp_pkt_mode_name(enum tftp_mode mode);

#endif
