/*
 * fuzz-packet.c - libFuzzer harness for the TFTP codec (src/tftp-packet.c).
 *
 * Every parser sees the raw input (libFuzzer hands it over in a buffer of
 * exactly size bytes, so ASan catches any read past the datagram). What
 * parses is checked against the header's promises and rebuilt through the
 * builders, which must give the same thing back.
 *
 *   clang -fsanitize=fuzzer,address,undefined -Isrc tests/fuzz/fuzz-packet.c \
 *       src/tftp-packet.c
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-check.h"
#include "tftp-packet.h"

static int inside(const void *p, const uint8_t *buf, size_t len)
{
	const uint8_t *q = p;

	return q >= buf && q < buf + len;
}

static void check_string(const char *s, const uint8_t *buf, size_t len)
{
	CHECK(inside(s, buf, len));
	/* NUL-terminated inside buf. */
	CHECK(memchr(s, '\0', (size_t)(buf + len - (const uint8_t *)s)) != NULL);
}

/* Rebuild the request from its parsed fields (the options through the
 * OACK builder) and parse it again: the result must match. */
static void roundtrip_request(const struct tftp_request *req, size_t len)
{
	const char *names[TFTP_OPTIONS_MAX], *values[TFTP_OPTIONS_MAX];
	struct tftp_request again;
	size_t i, fl = req->filename_len, ml;
	const char *mode = tftp_pkt_mode_name(req->mode);
	uint8_t *b = malloc(len + 16), *oack;
	int r;

	CHECK(b);
	for (i = 0; i < req->n_options; i++) {
		names[i] = req->options[i].name;
		values[i] = req->options[i].value;
	}
	ml = strlen(mode) + 1;
	/* The mode may be spelt longer or shorter ("OcTeT"); leave room. */
	oack = malloc(len + 16);
	CHECK(oack);
	r = tftp_pkt_build_oack(oack, len + 16, names, values, req->n_options);
	CHECK(r >= 2);
	b[0] = 0;
	b[1] = (uint8_t)req->opcode;
	memcpy(b + 2, req->filename, fl + 1);
	memcpy(b + 2 + fl + 1, mode, ml);
	memcpy(b + 2 + fl + 1 + ml, oack + 2, (size_t)r - 2);
	CHECK(tftp_pkt_parse_request(b, 2 + fl + 1 + ml + (size_t)r - 2, &again) == 0);
	CHECK(again.opcode == req->opcode);
	CHECK(again.mode == req->mode);
	CHECK(again.filename_len == fl);
	CHECK(memcmp(again.filename, req->filename, fl + 1) == 0);
	CHECK(again.n_options == req->n_options);
	for (i = 0; i < req->n_options; i++) {
		CHECK(strcmp(again.options[i].name, names[i]) == 0);
		CHECK(strcmp(again.options[i].value, values[i]) == 0);
	}
	/* Every smaller buffer is refused. */
	CHECK(tftp_pkt_build_oack(oack, (size_t)r - 1, names, values, req->n_options) ==
	      -ENOBUFS);
	free(oack);
	free(b);
}

static void fuzz_request(const uint8_t *data, size_t size)
{
	struct tftp_request req;
	size_t i;
	int r;

	memset(&req, 0x5a, sizeof(req));
	r = tftp_pkt_parse_request(data, size, &req);
	if (r < 0) {
		CHECK(r == -EBADMSG || r == -EOPNOTSUPP || r == -EPROTONOSUPPORT ||
		      r == -ENAMETOOLONG || r == -E2BIG);
		/* Cleared, but for the file name once it was read (for the
		 * log): then a C string inside the datagram. */
		CHECK(req.opcode == 0 && req.mode == 0 && req.n_options == 0);
		if (req.filename_len == 0) {
			CHECK(req.filename == NULL);
		} else {
			CHECK(req.filename_len <= TFTP_FILENAME_MAX);
			check_string(req.filename, data, size);
			CHECK(strlen(req.filename) == req.filename_len);
		}
		return;
	}
	CHECK(size >= 4 && size <= TFTP_REQUEST_MAX && data[size - 1] == 0);
	CHECK(req.opcode == TFTP_OP_RRQ || req.opcode == TFTP_OP_WRQ);
	CHECK(req.mode == TFTP_MODE_OCTET || req.mode == TFTP_MODE_NETASCII);
	CHECK(req.filename_len >= 1 && req.filename_len <= TFTP_FILENAME_MAX);
	check_string(req.filename, data, size);
	CHECK(strlen(req.filename) == req.filename_len);
	CHECK(req.n_options <= TFTP_OPTIONS_MAX);
	for (i = 0; i < req.n_options; i++) {
		check_string(req.options[i].name, data, size);
		check_string(req.options[i].value, data, size);
		CHECK(req.options[i].name[0] != '\0');
		CHECK(req.options[i].value[0] != '\0');
		/* The first of duplicates is found. */
		CHECK(tftp_pkt_find_option(&req, req.options[i].name) <= &req.options[i]);
	}
	roundtrip_request(&req, size);
}

static void fuzz_transfer(const uint8_t *data, size_t size)
{
	uint16_t n;
	const uint8_t *payload;
	size_t plen, msgsize, i;
	char msg[600];
	int r;

	r = tftp_pkt_opcode(data, size);
	CHECK(size < 2 ? r == -EBADMSG : (r >= 0 && r <= 65535));

	if (tftp_pkt_parse_ack(data, size, &n) == 0)
		CHECK(size >= 4 && data[1] == TFTP_OP_ACK);

	if (tftp_pkt_parse_data(data, size, &n, &payload, &plen) == 0)
		CHECK(payload == data + 4 && plen == size - 4);

	/* A message buffer size taken from the input, 0 included. */
	msgsize = size ? data[size - 1] % sizeof(msg) : 0;
	memset(msg, 'Z', sizeof(msg));
	if (tftp_pkt_parse_error(data, size, &n, msg, msgsize) == 0 && msgsize > 0) {
		size_t l = strlen(msg);

		CHECK(l < msgsize && l <= size - 4);
		for (i = 0; i < l; i++)
			CHECK(msg[i] >= 0x20 && msg[i] < 0x7f);
	}
	if (msgsize < sizeof(msg))
		CHECK(msg[msgsize] == 'Z');
}

/* Use the input as an error message and a block number for the builders,
 * and parse what they built. */
static void fuzz_builders(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), got[128];
	uint8_t out[160];
	size_t cap = size ? data[0] % sizeof(out) : sizeof(out);
	uint16_t block = size >= 2 ? (uint16_t)(data[0] << 8 | data[1]) : 0, n;
	const uint8_t *payload;
	size_t plen, i;
	int r;

	CHECK(text);
	memcpy(text, data, size);
	text[size] = '\0';

	memset(out, 0xee, sizeof(out));
	r = tftp_pkt_build_error(out, cap, TFTP_ERR_UNDEF, text);
	if (cap < 5) {
		CHECK(r == -ENOBUFS);
	} else {
		CHECK(r >= 5 && (size_t)r <= cap && out[r - 1] == '\0');
		CHECK(tftp_pkt_parse_error(out, (size_t)r, &n, got, sizeof(got)) == 0);
		CHECK(n == TFTP_ERR_UNDEF);
		/* The text went through unchanged where printable. */
		for (i = 0; got[i]; i++)
			CHECK(got[i] == ((uint8_t)text[i] >= 0x20 && (uint8_t)text[i] < 0x7f
						 ? text[i]
						 : '?'));
		CHECK(i == (size_t)r - 5 || i == sizeof(got) - 1);
	}
	for (i = (size_t)cap; i < sizeof(out); i++)
		CHECK(out[i] == 0xee);

	r = tftp_pkt_build_ack(out, cap, block);
	CHECK(cap < 4 ? r == -ENOBUFS : r == 4);
	if (r == 4) {
		CHECK(tftp_pkt_parse_ack(out, 4, &n) == 0 && n == block);
		CHECK(tftp_pkt_put_data_header(out, cap, block) == 4);
		CHECK(tftp_pkt_parse_data(out, 4, &n, &payload, &plen) == 0);
		CHECK(n == block && plen == 0);
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_request(data, size);
	fuzz_transfer(data, size);
	fuzz_builders(data, size);
	return 0;
}
