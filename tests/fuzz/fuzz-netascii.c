/*
 * fuzz-netascii.c - libFuzzer harness for the streaming netascii
 * converters (src/netascii.c).
 *
 * Input layout: data[0] gives the length n of a schedule, the next n bytes
 * are the schedule, the rest is the payload. The schedule, used in a
 * cycle, says how many input bytes each call is offered and how large its
 * output buffer is, so the fuzzer chooses where reads and blocks are cut.
 *
 * Checked: encoding with any cuts equals a one-shot reference and
 * netascii_encoded_size; decoding that again with other cuts gives the
 * payload back; the payload itself, decoded as wire bytes with any cuts,
 * equals a one-shot decode and a lookahead reference, never writing past
 * in_len + 1 bytes.
 *
 *   clang -fsanitize=fuzzer,address,undefined -Isrc tests/fuzz/fuzz-netascii.c src/netascii.c
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-check.h"
#include "netascii.h"
#include "../netascii-ref.h"

#define CR 0x0d
#define LF 0x0a
#define CANARY 0xa5

struct sched {
	const uint8_t *s;
	size_t n, at;
};

/* Next schedule byte; a missing schedule means "take everything". */
static uint8_t sched_next(struct sched *sc)
{
	uint8_t b;

	if (sc->n == 0)
		return 0xff;
	b = sc->s[sc->at];
	sc->at = (sc->at + 1) % sc->n;
	return b;
}

/* Small sizes mostly, where the edges are; now and then a whole block. */
static size_t sched_size(struct sched *sc, size_t big)
{
	uint8_t b = sched_next(sc);

	if (b == 0xff)
		return big;
	return b & 0x80 ? (size_t)(b & 0x7f) * 8 : (size_t)(b & 0x0f);
}

/* One encode call; out has room for out_size plus a canary. */
static size_t enc_step(struct netascii_enc *st, const uint8_t *in, size_t in_len,
		       size_t *ret_used, uint8_t *out, size_t out_size)
{
	bool had = st->has_pending;
	size_t n;

	out[out_size] = CANARY;
	n = netascii_encode(st, in, in_len, ret_used, out, out_size);
	CHECK(out[out_size] == CANARY);
	CHECK(n <= out_size && *ret_used <= in_len);
	if (out_size == 0)
		CHECK(n == 0 && *ret_used == 0 && st->has_pending == had);
	else if (had || in_len > 0)
		CHECK(n > 0);
	else
		CHECK(n == 0);
	return n;
}

/* Encode with the schedule's cuts into wire (2 * len bytes). */
static size_t enc_sched(const uint8_t *in, size_t len, struct sched *sc, uint8_t *wire)
{
	struct netascii_enc st = { 0 };
	uint8_t buf[1024 + 1];
	size_t pos = 0, o = 0, stalls = 0;

	while (pos < len || st.has_pending) {
		size_t in_len = sched_size(sc, len), out_size = sched_size(sc, 1024);
		size_t used, n;

		if (in_len > len - pos)
			in_len = len - pos;
		/* A schedule of only zeros must still end. */
		if (++stalls > 2 * sc->n + 2) {
			in_len = len - pos;
			out_size = 1024;
		}
		n = enc_step(&st, in + pos, in_len, &used, buf, out_size);
		if (n > 0)
			stalls = 0;
		CHECK(o + n <= 2 * len);
		memcpy(wire + o, buf, n);
		o += n;
		pos += used;
	}
	return o;
}

/* Decode with the schedule's cuts, then finish. */
static size_t dec_sched(const uint8_t *in, size_t len, struct sched *sc, uint8_t *out)
{
	struct netascii_dec st = { 0 };
	uint8_t buf[1024 + 2];
	size_t pos = 0, o = 0, stalls = 0;

	while (pos < len) {
		size_t n = sched_size(sc, 1024), got;

		if (n > len - pos)
			n = len - pos;
		/* Empty buffers are legal, but the transfer must end. */
		if (n == 0 && ++stalls > sc->n + 1)
			n = len - pos < 1024 ? len - pos : 1024;
		if (n > 0)
			stalls = 0;
		buf[n + 1] = CANARY;
		got = netascii_decode(&st, in + pos, n, buf);
		CHECK(buf[n + 1] == CANARY);
		CHECK(got <= n + 1 && o + got <= len);
		memcpy(out + o, buf, got);
		o += got;
		pos += n;
	}
	o += netascii_decode_finish(&st, out + o);
	CHECK(!st.cr_pending);
	return o;
}

static void fuzz_encode(const uint8_t *p, size_t len, struct sched *sc, uint8_t *wire,
			uint8_t *ref, uint8_t *back)
{
	size_t rlen = ref_encode(p, len, ref), wlen;

	CHECK(netascii_encoded_size(p, len) == rlen);
	wlen = enc_sched(p, len, sc, wire);
	CHECK(wlen == rlen && memcmp(wire, ref, rlen) == 0);
	/* Round trip, cut differently: the schedule has moved on. */
	CHECK(dec_sched(wire, wlen, sc, back) == len);
	CHECK(memcmp(back, p, len) == 0);
}

static void fuzz_decode(const uint8_t *p, size_t len, struct sched *sc, uint8_t *ref,
			uint8_t *out)
{
	struct netascii_dec st = { 0 };
	size_t rlen = ref_decode(p, len, ref), n;

	n = netascii_decode(&st, p, len, out);
	n += netascii_decode_finish(&st, out + n);
	CHECK(n == rlen && memcmp(out, ref, n) == 0);
	CHECK(dec_sched(p, len, sc, out) == rlen);
	CHECK(memcmp(out, ref, rlen) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sched sc = { 0 };
	const uint8_t *p;
	uint8_t *wire, *ref, *back;
	size_t len;

	if (size == 0)
		return 0;
	sc.n = data[0] % 32;
	if (sc.n > size - 1)
		sc.n = size - 1;
	sc.s = data + 1;
	p = data + 1 + sc.n;
	len = size - 1 - sc.n;

	wire = malloc(2 * len + 1);
	ref = malloc(2 * len + 1);
	back = malloc(2 * len + 1);
	CHECK(wire && ref && back);
	fuzz_encode(p, len, &sc, wire, ref, back);
	fuzz_decode(p, len, &sc, ref, back);
	free(wire);
	free(ref);
	free(back);
	return 0;
}
