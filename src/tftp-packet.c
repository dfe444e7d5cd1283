/*
 * tftp-packet.c - the TFTP wire format (RFC 1350, RFC 2347): parse and build.
 *
 * Every byte a client sends is first read here, so this file is pure: no
 * I/O, no allocation, no globals, no static buffers. Fields are walked by
 * pointer against the end of the datagram and never past it.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>

#include "tftp-packet.h"
#include "util.h"

/* Largest payload of one UDP datagram over IPv4 (65535 - 8 - 20). No packet
 * we build may be longer, which also keeps every length inside an int. */
#define TFTP_DATAGRAM_MAX 65507

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)(v & 0xff);
}

/* RFC 1350 asks for netascii in messages; anything else would reach a
 * terminal or a log unfiltered. */
static char printable(uint8_t c)
{
	return (c >= 0x20 && c < 0x7f) ? (char)c : '?';
}

/*
 * Take the NUL-terminated field at *p. The caller has checked that the
 * datagram ends in NUL, but the scan is still bounded by end so that this
 * function is safe on its own (tftp-hpa 171b8f5 read *end).
 */
static int next_field(const char **p, const char *end, const char **ret_s, size_t *ret_len)
{
	const char *nul;

	if (*p >= end)
		return -EBADMSG;
	nul = memchr(*p, '\0', (size_t)(end - *p));
	if (!nul)
		return -EBADMSG;
	*ret_s = *p;
	*ret_len = (size_t)(nul - *p);
	*p = nul + 1;
	return 0;
}

static int parse_mode(const char *s, enum tftp_mode *ret_mode)
{
	/* "mail" (RFC 1350) is obsolete and would mean writing to users'
	 * mailboxes: refused like any unknown mode. */
	if (ascii_casecmp(s, "octet") == 0)
		*ret_mode = TFTP_MODE_OCTET;
	else if (ascii_casecmp(s, "netascii") == 0)
		*ret_mode = TFTP_MODE_NETASCII;
	else
		return -EPROTONOSUPPORT;
	return 0;
}

/* Some boot ROMs pad requests with NUL bytes (dnsmasq 368ceff, PA-RISC
 * firmware pads to 516 bytes). We accept NUL padding only: a non-NUL byte
 * after it is refused rather than guessed at. */
static int check_padding(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p != '\0')
			return -EBADMSG;
	return 0;
}

/*
 * RFC 2347 options: name NUL value NUL, repeated. Duplicate names are all
 * kept in order; negotiation uses the first (tftp_pkt_find_option), so a
 * second "blksize" can neither override nor crash anything.
 */
static int parse_options(const char *p, const char *end, struct tftp_request *req)
{
	while (p < end) {
		struct tftp_option *o;
		const char *name, *value;
		size_t name_len, value_len;
		int r;

		if (*p == '\0')
			return check_padding(p, end);
		r = next_field(&p, end, &name, &name_len);
		if (r < 0)
			return r;
		/* A name without a value crashed dnsmasq (CVE-2009-2958); an
		 * empty value means nothing to negotiate either. */
		r = next_field(&p, end, &value, &value_len);
		if (r < 0)
			return r;
		if (value_len == 0)
			return -EBADMSG;
		if (req->n_options >= TFTP_OPTIONS_MAX)
			return -E2BIG;
		o = &req->options[req->n_options++];
		o->name = name;
		o->value = value;
	}
	return 0;
}

int tftp_pkt_opcode(const uint8_t *buf, size_t len)
{
	if (!buf || len < 2)
		return -EBADMSG;
	return get16(buf);
}

int tftp_pkt_parse_request(const uint8_t *buf, size_t len, struct tftp_request *ret_req)
{
	struct tftp_request req;
	const char *p, *end, *mode;
	size_t mode_len;
	int r;

	memset(ret_req, 0, sizeof(*ret_req));
	if (len > TFTP_REQUEST_MAX)
		return -E2BIG;
	if (!buf || len < 4)
		return -EBADMSG;
	r = get16(buf);
	if (r != TFTP_OP_RRQ && r != TFTP_OP_WRQ)
		return -EOPNOTSUPP;
	/* The one string invariant (atftpd CVE-2021-46671, dnsmasq next()):
	 * with a final NUL every field below is a C string inside buf. */
	if (buf[len - 1] != '\0')
		return -EBADMSG;

	memset(&req, 0, sizeof(req));
	req.opcode = (enum tftp_opcode)r;
	p = (const char *)buf + 2;
	end = (const char *)buf + len;

	r = next_field(&p, end, &req.filename, &req.filename_len);
	if (r < 0)
		return r;
	if (req.filename_len == 0)
		return -EBADMSG;
	if (req.filename_len > TFTP_FILENAME_MAX)
		return -ENAMETOOLONG;
	/* Whatever is refused from here on is refused for a named file. */
	ret_req->filename = req.filename;
	ret_req->filename_len = req.filename_len;

	/* An empty mode is a missing mode, not an unknown one. */
	r = next_field(&p, end, &mode, &mode_len);
	if (r < 0)
		return r;
	if (mode_len == 0)
		return -EBADMSG;
	r = parse_mode(mode, &req.mode);
	if (r < 0)
		return r;

	r = parse_options(p, end, &req);
	if (r < 0)
		return r;

	*ret_req = req;
	return 0;
}

const struct tftp_option *tftp_pkt_find_option(const struct tftp_request *req, const char *name)
{
	size_t i;

	if (!req || !name)
		return NULL;
	/* First match wins: see parse_options() on duplicates. */
	for (i = 0; i < req->n_options && i < TFTP_OPTIONS_MAX; i++)
		if (ascii_casecmp(req->options[i].name, name) == 0)
			return &req->options[i];
	return NULL;
}

static int build_header4(uint8_t *buf, size_t size, uint16_t opcode, uint16_t n)
{
	if (!buf || size < 4)
		return -ENOBUFS;
	put16(buf, opcode);
	put16(buf + 2, n);
	return 4;
}

int tftp_pkt_put_data_header(uint8_t *buf, size_t size, uint16_t block)
{
	return build_header4(buf, size, TFTP_OP_DATA, block);
}

int tftp_pkt_build_ack(uint8_t *buf, size_t size, uint16_t block)
{
	return build_header4(buf, size, TFTP_OP_ACK, block);
}

int tftp_pkt_build_error(uint8_t *buf, size_t size, enum tftp_error code, const char *message)
{
	size_t room, i;

	if (!buf || size < 5)
		return -ENOBUFS;
	if (size > TFTP_DATAGRAM_MAX)
		size = TFTP_DATAGRAM_MAX;
	if (!message)
		message = tftp_pkt_error_text(code);

	put16(buf, TFTP_OP_ERROR);
	put16(buf + 2, (uint16_t)code);
	/* The message often quotes a client's file name: never let it carry
	 * control bytes to the client's terminal. Truncating is better than
	 * refusing, since the error must still be sent. */
	room = size - 5;
	for (i = 0; i < room && message[i] != '\0'; i++)
		buf[4 + i] = (uint8_t)printable((uint8_t)message[i]);
	buf[4 + i] = '\0';
	return (int)(5 + i);
}

/* Length of s with its NUL, or 0 if that exceeds max. */
static size_t field_len(const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	return n < max ? n + 1 : 0;
}

/* opcode, then the n NUL-terminated strings of fields. Measured first, so
 * that buf is untouched when they do not fit. */
static int build_strings(uint8_t *buf, size_t size, uint16_t opcode, const char *const *fields,
			 size_t n)
{
	size_t total = 2, i, l;
	uint8_t *p;

	if (size > TFTP_DATAGRAM_MAX)
		size = TFTP_DATAGRAM_MAX;
	if (size < total)
		return -ENOBUFS;
	for (i = 0; i < n; i++) {
		if (!fields[i])
			return -EINVAL;
		l = field_len(fields[i], size - total);
		if (l == 0)
			return -ENOBUFS;
		total += l;
	}
	put16(buf, opcode);
	p = buf + 2;
	for (i = 0; i < n; i++) {
		l = strlen(fields[i]) + 1;
		memcpy(p, fields[i], l);
		p += l;
	}
	return (int)total;
}

/* Name/value pairs after `lead` leading fields, as one list of fields. */
static int build_with_options(uint8_t *buf, size_t size, uint16_t opcode, const char **fields,
			      size_t lead, const char *const *names, const char *const *values,
			      size_t n)
{
	if (!buf)
		return -ENOBUFS;
	if (n > TFTP_OPTIONS_MAX || (n > 0 && (!names || !values)))
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		fields[lead + 2 * i] = names[i];
		fields[lead + 2 * i + 1] = values[i];
	}
	return build_strings(buf, size, opcode, fields, lead + 2 * n);
}

int tftp_pkt_build_oack(uint8_t *buf, size_t size, const char *const *names,
			const char *const *values, size_t n)
{
	const char *fields[2 * TFTP_OPTIONS_MAX];

	return build_with_options(buf, size, TFTP_OP_OACK, fields, 0, names, values, n);
}

int tftp_pkt_build_request(uint8_t *buf, size_t size, enum tftp_opcode opcode,
			   const char *filename, enum tftp_mode mode, const char *const *names,
			   const char *const *values, size_t n)
{
	const char *fields[2 + 2 * TFTP_OPTIONS_MAX];

	if (opcode != TFTP_OP_RRQ && opcode != TFTP_OP_WRQ)
		return -EINVAL;
	if (!filename || filename[0] == '\0' || strlen(filename) > TFTP_FILENAME_MAX)
		return -EINVAL;
	if (mode != TFTP_MODE_OCTET && mode != TFTP_MODE_NETASCII)
		return -EINVAL;
	fields[0] = filename;
	fields[1] = tftp_pkt_mode_name(mode);
	return build_with_options(buf, size, (uint16_t)opcode, fields, 2, names, values, n);
}

int tftp_pkt_parse_oack(const uint8_t *buf, size_t len, struct tftp_request *ret_oack)
{
	struct tftp_request o;
	int r;

	memset(ret_oack, 0, sizeof(*ret_oack));
	if (len > TFTP_REQUEST_MAX)
		return -E2BIG;
	if (!buf || len < 2 || get16(buf) != TFTP_OP_OACK)
		return -EBADMSG;
	/* The same invariant as a request's: the last byte is NUL, so every
	 * field is a C string inside buf. An empty OACK ends right after
	 * the opcode. */
	if (len > 2 && buf[len - 1] != '\0')
		return -EBADMSG;
	memset(&o, 0, sizeof(o));
	o.opcode = TFTP_OP_OACK;
	r = parse_options((const char *)buf + 2, (const char *)buf + len, &o);
	if (r < 0)
		return r;
	*ret_oack = o;
	return 0;
}

int tftp_pkt_parse_ack(const uint8_t *buf, size_t len, uint16_t *ret_block)
{
	/* RFC 1350 ACKs are 4 bytes. Longer ones are accepted and the extra
	 * bytes ignored: some clients pad short datagrams, the bytes carry
	 * nothing we read, and refusing would only stall their transfer. */
	if (!buf || len < TFTP_ACK_LEN || get16(buf) != TFTP_OP_ACK)
		return -EBADMSG;
	*ret_block = get16(buf + 2);
	return 0;
}

int tftp_pkt_parse_data(const uint8_t *buf, size_t len, uint16_t *ret_block,
			const uint8_t **ret_payload, size_t *ret_payload_len)
{
	/* An empty payload is the legal last block of a file whose size is a
	 * multiple of blksize (RFC 1350 section 6). The caller checks the
	 * payload against the negotiated blksize. */
	if (!buf || len < TFTP_DATA_HDR || get16(buf) != TFTP_OP_DATA)
		return -EBADMSG;
	*ret_block = get16(buf + 2);
	*ret_payload = buf + TFTP_DATA_HDR;
	*ret_payload_len = len - TFTP_DATA_HDR;
	return 0;
}

int tftp_pkt_parse_error(const uint8_t *buf, size_t len, uint16_t *ret_code,
			 char *msgbuf, size_t msgsize)
{
	size_t i;

	/* atftpd CVE-2019-11365: ERROR packets of 2 or 3 bytes made "len - 4"
	 * wrap. Lengths are compared, never subtracted, before this check. */
	if (!buf || len < 4 || get16(buf) != TFTP_OP_ERROR)
		return -EBADMSG;
	*ret_code = get16(buf + 2);
	if (!msgbuf || msgsize == 0)
		return 0;
	/* Many clients omit the final NUL; the message ends at the datagram's
	 * end then. Escaped because it goes to our logs. */
	for (i = 0; i < msgsize - 1 && 4 + i < len && buf[4 + i] != '\0'; i++)
		msgbuf[i] = printable(buf[4 + i]);
	msgbuf[i] = '\0';
	return 0;
}

const char *tftp_pkt_error_text(enum tftp_error code)
{
	/* RFC 1350 section 5 and RFC 2347 (code 8). */
	switch (code) {
	case TFTP_ERR_UNDEF:
		return "Undefined error";
	case TFTP_ERR_NOTFOUND:
		return "File not found";
	case TFTP_ERR_ACCESS:
		return "Access violation";
	case TFTP_ERR_NOSPACE:
		return "Disk full or allocation exceeded";
	case TFTP_ERR_BADOP:
		return "Illegal TFTP operation";
	case TFTP_ERR_BADTID:
		return "Unknown transfer ID";
	case TFTP_ERR_EXISTS:
		return "File already exists";
	case TFTP_ERR_NOUSER:
		return "No such user";
	case TFTP_ERR_OPTNEG:
		return "Option negotiation failed";
	}
	return "Unknown error";
}

const char *tftp_pkt_mode_name(enum tftp_mode mode)
{
	switch (mode) {
	case TFTP_MODE_OCTET:
		return "octet";
	case TFTP_MODE_NETASCII:
		return "netascii";
	}
	return "unknown";
}
