/*
 * fuzz-tftpc.c - tftpc's pure pieces on arbitrary input: the URI parser,
 * the OACK a server sends (tftp_pkt_parse_oack, tftp_opt_accept against a
 * request the input shapes) and the progress line.
 *
 * Checked: a URI accepted has a host, a port, a file of 1..511 bytes
 * without control characters, and a basename without '/'; an OACK
 * accepted never grants more than was asked (RFC 2347, 2348, 7440), and a
 * refused one leaves the RFC 1350 values; the progress line never passes
 * its width.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "fuzz-check.h"
#include "tftp-options.h"
#include "tftp-packet.h"
#include "tftpc-progress.h"
#include "tftpc-uri.h"

static void fuzz_uri(const uint8_t *data, size_t size)
{
	char s[1200];
	struct tftpc_uri u;
	const char *b;
	size_t n = size < sizeof(s) - 1 ? size : sizeof(s) - 1;

	memcpy(s, data, n);
	s[n] = '\0';
	if (tftpc_uri_parse(s, &u) < 0)
		return;
	CHECK(u.host[0] != '\0' && u.port != 0);
	CHECK(strlen(u.file) >= 1 && strlen(u.file) <= TFTP_FILENAME_MAX);
	for (const char *p = u.file; *p; p++)
		CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
	CHECK(u.mode == TFTP_MODE_OCTET || u.mode == TFTP_MODE_NETASCII);
	b = tftpc_uri_basename(&u);
	if (b)
		CHECK(*b && !strchr(b, '/') && !strchr(b, '\\') && strcmp(b, "..") != 0);
}

static void fuzz_oack(const uint8_t *data, size_t size)
{
	struct tftp_opt_ask ask = { 0 };
	struct tftp_request oack;
	struct tftp_opt_result res;

	if (size < 4)
		return;
	/* The first bytes shape what was asked. */
	ask.blksize = data[0] & 1 ? 8 + (uint32_t)data[1] * 256 : 0;
	ask.windowsize = data[0] & 2 ? 1 + data[2] : 0;
	ask.timeout_s = data[0] & 4 ? 1 + data[3] % 255 : 0;
	ask.tsize = (data[0] & 8) != 0;
	ask.rollover = data[0] & 16 ? (data[0] >> 5) & 1 : -1;
	if (tftp_pkt_parse_oack(data + 4, size - 4, &oack) < 0)
		return;
	if (tftp_opt_accept(&ask, &oack, &res) < 0) {
		CHECK(res.blksize == TFTP_BLKSIZE_DEFAULT && res.windowsize == 1 &&
		      res.n_acked == 0);
		return;
	}
	CHECK(res.n_acked <= oack.n_options && res.n_acked <= TFTP_OPT_COUNT);
	CHECK(res.blksize == TFTP_BLKSIZE_DEFAULT || (res.blksize >= 8 && res.blksize <= ask.blksize));
	CHECK(res.windowsize == 1 || res.windowsize <= ask.windowsize);
	CHECK(res.timeout_us == 0 || ask.timeout_s != 0);
	CHECK(!res.tsize_given || ask.tsize);
	CHECK(res.rollover == 0 || ask.rollover >= 0);
}

static void fuzz_bar(const uint8_t *data, size_t size)
{
	struct tftpc_figures f = { 0 };
	char name[64], line[600];
	uint64_t v[3] = { 0 };
	size_t n;
	int r;

	if (size < 26)
		return;
	memcpy(v, data, 24);
	n = size - 26 < sizeof(name) - 1 ? size - 26 : sizeof(name) - 1;
	memcpy(name, data + 26, n);
	name[n] = '\0';
	f = (struct tftpc_figures){ name, v[0], v[1], data[24] & 1, v[2] };
	r = tftpc_progress_line(line, sizeof(line), &f, data[25] * 3u);
	CHECK(r >= 0 && (size_t)r == strlen(line) && r <= 512);
	CHECK(r <= (data[25] * 3 < 20 ? 20 : data[25] * 3));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_uri(data + 1, size - 1);
		break;
	case 1:
		fuzz_oack(data + 1, size - 1);
		break;
	default:
		fuzz_bar(data + 1, size - 1);
		break;
	}
	return 0;
}
