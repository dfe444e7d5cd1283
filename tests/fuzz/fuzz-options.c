/*
 * fuzz-options.c - libFuzzer harness for option negotiation
 * (src/tftp-options.c).
 *
 * Input: a 22-byte header that sets the operator's limits (deliberately
 * including out-of-range ones), then the request datagram, which goes
 * through tftp_pkt_parse_request as in the monitor. The result is checked
 * against a small independent model of the rules (its own digit parser,
 * and tftp_pkt_find_option for "first of duplicates, any case"), and the
 * OACK is built, parsed back and compared.
 *
 *   clang -fsanitize=fuzzer,address,undefined -Isrc tests/fuzz/fuzz-options.c \
 *       src/tftp-options.c src/tftp-packet.c src/util.c
 *   ./a.out tests/fuzz/corpus/options
 *
 * Header, big-endian: blksize_max u16, windowsize_max u16, refused u8,
 * flags u8 (bit 0: tsize_known), upload_max u64, file_size u64.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-check.h"
#include "tftp-options.h"
#include "tftp-packet.h"

#define HDR_LEN 22

enum model_verdict { M_DROP, M_ACK, M_NOSPACE };

static uint64_t get_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | *p++;
	return v;
}

static uint64_t clamp(uint64_t v, uint64_t lo, uint64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* The model's own number reader: 0 not a number, 1 a number in *ret,
 * 2 a number too large for 64 bits (*ret = UINT64_MAX). */
static int model_number(const char *s, uint64_t *ret)
{
	uint64_t v = 0;
	int big = 0;

	if (*s == '\0')
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			big = 1;
		else
			v = v * 10 + (uint64_t)(*s - '0');
	}
	*ret = big ? UINT64_MAX : v;
	return big ? 2 : 1;
}

static enum model_verdict model(int opt, const char *value, const struct tftp_opt_limits *lim,
				enum tftp_opcode op, uint64_t *ret)
{
	uint64_t v = 0;
	int n = model_number(value, &v);

	switch (opt) {
	case TFTP_OPT_BLKSIZE:
		if (n == 0 || v < 8)
			return M_DROP;
		*ret = v < clamp(lim->blksize_max, 8, 65464) ? v : clamp(lim->blksize_max, 8, 65464);
		return M_ACK;
	case TFTP_OPT_TSIZE:
		if (op == TFTP_OP_RRQ) {
			*ret = lim->file_size;
			return lim->tsize_known ? M_ACK : M_DROP;
		}
		if (n == 0)
			return M_DROP;
		if (n == 2)
			return lim->upload_max ? M_NOSPACE : M_DROP;
		if (lim->upload_max && v > lim->upload_max)
			return M_NOSPACE;
		*ret = v;
		return M_ACK;
	case TFTP_OPT_TIMEOUT:
		*ret = v;
		return n == 1 && v >= 1 && v <= 255 ? M_ACK : M_DROP;
	case TFTP_OPT_WINDOWSIZE:
		if (n == 0 || v < 1)
			return M_DROP;
		*ret = v < clamp(lim->windowsize_max, 1, 65535) ? v
								: clamp(lim->windowsize_max, 1, 65535);
		return M_ACK;
	case TFTP_OPT_ROLLOVER:
		*ret = v;
		return n == 1 && v <= 1 ? M_ACK : M_DROP;
	case TFTP_OPT_UTIMEOUT:
		*ret = v;
		return n == 1 && v >= 10000 && v <= 255000000 ? M_ACK : M_DROP;
	}
	abort();
}

/* Parse an OACK back: opcode 6, then name NUL value NUL pairs ending
 * exactly at len, each as res says, each an option the client sent. */
static void check_oack(const uint8_t *buf, size_t len, const struct tftp_opt_result *res,
		       const struct tftp_request *req)
{
	const char *p = (const char *)buf + 2, *end = (const char *)buf + len, *nul;
	size_t i;

	CHECK(len > 2 && len <= TFTP_OACK_MAX);
	CHECK(buf[0] == 0 && buf[1] == TFTP_OP_OACK);
	for (i = 0; i < res->n_acked; i++) {
		const char *name = tftp_opt_name(res->acked[i]), *value;

		nul = memchr(p, '\0', (size_t)(end - p));
		CHECK(nul && strcmp(p, name) == 0);
		CHECK(tftp_pkt_find_option(req, name) != NULL);
		p = nul + 1;
		nul = memchr(p, '\0', (size_t)(end - p));
		CHECK(nul && nul > p);
		value = p;
		CHECK(strcmp(value, res->values[res->acked[i]]) == 0);
		/* Canonical decimal: digits, no leading zero. */
		CHECK(strspn(value, "0123456789") == (size_t)(nul - value));
		CHECK(value[0] != '0' || value[1] == '\0');
		p = nul + 1;
	}
	CHECK(p == end);
}

static void check_build(const struct tftp_opt_result *res, const struct tftp_request *req,
			uint8_t small)
{
	uint8_t *buf = malloc(TFTP_OACK_MAX), *tiny;
	size_t cut, i;
	int r;

	CHECK(buf);
	r = tftp_opt_build_oack(res, buf, TFTP_OACK_MAX);
	if (res->n_acked == 0) {
		CHECK(r == 0);
		free(buf);
		return;
	}
	CHECK(r > 2 && r <= TFTP_OACK_MAX);
	check_oack(buf, (size_t)r, res, req);

	/* Any smaller exact-size buffer: -ENOBUFS, nothing written. */
	cut = small % (size_t)r;
	tiny = malloc(cut ? cut : 1);
	CHECK(tiny);
	memset(tiny, 0xee, cut);
	CHECK(tftp_opt_build_oack(res, tiny, cut) == -ENOBUFS);
	for (i = 0; i < cut; i++)
		CHECK(tiny[i] == 0xee);
	free(tiny);
	free(buf);
}

/* Compare the result with the model: the same options, in the order the
 * client first sent each, with the same values and fields. */
static void check_result(int r, const struct tftp_opt_result *res, const struct tftp_request *req,
			 const struct tftp_opt_limits *lim)
{
	const struct tftp_option *first[TFTP_OPT_COUNT];
	enum model_verdict v[TFTP_OPT_COUNT];
	uint64_t val[TFTP_OPT_COUNT] = { 0 };
	ptrdiff_t prev = -1;
	int opt, nospace = 0;
	size_t i, n = 0;
	char dec[24];

	for (opt = 0; opt < TFTP_OPT_COUNT; opt++) {
		first[opt] = NULL;
		v[opt] = M_DROP;
		if (lim->refused & (1u << opt))
			continue;
		first[opt] = tftp_pkt_find_option(req, tftp_opt_name((enum tftp_opt)opt));
		if (first[opt])
			v[opt] = model(opt, first[opt]->value, lim, req->opcode, &val[opt]);
		nospace |= v[opt] == M_NOSPACE;
		n += v[opt] == M_ACK;
	}

	/* A refusal leaves only the defaults: nothing to acknowledge. */
	CHECK(r == (nospace ? TFTP_ERR_NOSPACE : 0));
	if (nospace) {
		CHECK(req->opcode == TFTP_OP_WRQ && lim->upload_max != 0);
		CHECK(res->n_acked == 0 && res->blksize == 512 && res->windowsize == 1 &&
		      res->timeout_us == 0 && res->rollover == 0 && !res->tsize_given);
		return;
	}

	CHECK(res->n_acked == n);
	for (i = 0; i < res->n_acked; i++) {
		opt = (int)res->acked[i];
		CHECK(opt >= 0 && opt < TFTP_OPT_COUNT && v[opt] == M_ACK);
		/* In the client's order. */
		CHECK(first[opt] - req->options > prev);
		prev = first[opt] - req->options;
		snprintf(dec, sizeof(dec), "%" PRIu64, val[opt]);
		CHECK(strcmp(res->values[opt], dec) == 0);
	}

	CHECK(res->blksize == (v[TFTP_OPT_BLKSIZE] == M_ACK ? val[TFTP_OPT_BLKSIZE] : 512));
	CHECK(res->blksize >= 8 && res->blksize <= 65464);
	if (v[TFTP_OPT_BLKSIZE] == M_ACK)
		CHECK(res->blksize <= clamp(lim->blksize_max, 8, 65464));
	CHECK(res->windowsize ==
	      (v[TFTP_OPT_WINDOWSIZE] == M_ACK ? val[TFTP_OPT_WINDOWSIZE] : 1));
	CHECK(res->windowsize >= 1 && res->windowsize <= clamp(lim->windowsize_max, 1, 65535));
	CHECK(res->rollover == (v[TFTP_OPT_ROLLOVER] == M_ACK ? val[TFTP_OPT_ROLLOVER] : 0));
	if (v[TFTP_OPT_UTIMEOUT] == M_ACK)
		CHECK(res->timeout_us == val[TFTP_OPT_UTIMEOUT]);
	else if (v[TFTP_OPT_TIMEOUT] == M_ACK)
		CHECK(res->timeout_us == val[TFTP_OPT_TIMEOUT] * 1000000);
	else
		CHECK(res->timeout_us == 0);
	if (req->opcode == TFTP_OP_WRQ && v[TFTP_OPT_TSIZE] == M_ACK) {
		CHECK(res->tsize_given && res->tsize == val[TFTP_OPT_TSIZE]);
		CHECK(lim->upload_max == 0 || res->tsize <= lim->upload_max);
	} else {
		CHECK(!res->tsize_given && res->tsize == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tftp_opt_limits lim;
	struct tftp_opt_result res;
	struct tftp_request req;
	uint8_t *pkt;
	size_t len;
	int r;

	if (size < HDR_LEN)
		return 0;
	memset(&lim, 0, sizeof(lim));
	lim.blksize_max = (uint32_t)get_be(data, 2);
	lim.windowsize_max = (uint32_t)get_be(data + 2, 2);
	lim.refused = data[4];
	lim.tsize_known = data[5] & 1;
	lim.upload_max = get_be(data + 6, 8);
	lim.file_size = get_be(data + 14, 8);

	/* An exact-size copy, so that ASan sees any read past the datagram. */
	len = size - HDR_LEN;
	pkt = malloc(len ? len : 1);
	CHECK(pkt);
	memcpy(pkt, data + HDR_LEN, len);
	if (tftp_pkt_parse_request(pkt, len, &req) == 0) {
		memset(&res, 0x5a, sizeof(res));
		r = tftp_opt_negotiate(&req, &lim, &res);
		check_result(r, &res, &req, &lim);
		check_build(&res, &req, data[5] >> 1);
	}
	free(pkt);
	return 0;
}
