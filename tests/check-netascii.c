/*
 * check-netascii.c - unit tests for the streaming netascii converters
 * (src/netascii.c).
 *
 * The property under test: however the input is cut into file reads and
 * the output into blocks (512, 8 or 1 bytes, a CR as the last byte of a
 * block: FreeBSD PR 178055), encoding gives the bytes of a one-shot
 * reference, and decoding gives the file back. The references below are
 * written independently of the state machines, as the RFC 764 rules.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netascii.h"
#include "netascii-ref.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* A string literal and its length (embedded NULs included). */
#define S(s) (const uint8_t *)(s), sizeof(s) - 1

#define CR 0x0d
#define LF 0x0a
#define WHOLE SIZE_MAX
/* Check records every passing ck_assert; in the hot loops only a failure
 * is worth a record, or the exhaustive test runs out of time. */
#define EXPECT(cond, ...)                                                                          \
	do {                                                                                       \
		if (!(cond))                                                                       \
			ck_abort_msg(__VA_ARGS__);                                                 \
	} while (0)

static uint8_t *xmalloc(size_t n)
{
	uint8_t *p = malloc(n ? n : 1);

	ck_assert_ptr_nonnull(p);
	return p;
}

/*
 * Encode like a sender: the file arrives in reads of chunk bytes, and each
 * block of blk bytes is filled completely before the next one starts, so
 * every block but the last is full. Returns the wire length.
 */
static size_t enc_blocks(const uint8_t *in, size_t len, size_t chunk, size_t blk, uint8_t *out)
{
	struct netascii_enc st = { 0 };
	size_t pos = 0, wire = 0, fill = 0, avail = 0;

	while (pos < len || st.has_pending) {
		size_t used, n;

		if (avail == 0)
			avail = len - pos < chunk ? len - pos : chunk;
		n = netascii_encode(&st, in + pos, avail, &used, out + wire, blk - fill);
		EXPECT(used <= avail && n <= blk - fill, "overrun at file offset %zu", pos);
		EXPECT(n > 0, "no progress at file offset %zu", pos);
		pos += used;
		avail -= used;
		wire += n;
		fill += n;
		if (fill == blk)
			fill = 0;
		else
			EXPECT(avail == 0 && !st.has_pending, "block cut short at %zu", wire);
	}
	return wire;
}

/* Decode like a receiver: one call per block of blk bytes, then finish. */
static size_t dec_blocks(const uint8_t *in, size_t len, size_t blk, uint8_t *out)
{
	struct netascii_dec st = { 0 };
	size_t pos = 0, o = 0;

	while (pos < len) {
		size_t n = len - pos < blk ? len - pos : blk, got;

		got = netascii_decode(&st, in + pos, n, out + o);
		EXPECT(got <= n + 1, "decoded %zu from %zu", got, n);
		o += got;
		pos += n;
	}
	return o + netascii_decode_finish(&st, out + o);
}

/* Sample files. */
enum { FILE_LEN = 1500 };

static uint32_t prng(uint32_t *s)
{
	/* xorshift32: the same "random" files on every run. */
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static size_t gen_file(int which, uint8_t *f)
{
	static const uint8_t alpha[] = { CR, LF, 0, 'a' };
	uint32_t seed = 0x9e3779b9u + (uint32_t)which;
	size_t i;

	switch (which) {
	case 0: /* empty */
		return 0;
	case 1: /* all CR */
		memset(f, CR, FILE_LEN);
		return FILE_LEN;
	case 2: /* all LF */
		memset(f, LF, FILE_LEN);
		return FILE_LEN;
	case 3: /* CRLF lines: CR NUL CR LF on the wire */
		for (i = 0; i < FILE_LEN; i++)
			f[i] = i % 2 ? LF : CR;
		return FILE_LEN;
	case 4: /* CR as the last byte of the file */
		memset(f, 'a', 1023);
		f[1023] = CR;
		return 1024;
	case 5: /* encoded CR as byte 511 of block 1, its NUL opens block 2 */
		memset(f, 'a', 600);
		f[511] = CR;
		return 600;
	case 6: /* the same with LF */
		memset(f, 'a', 600);
		f[511] = LF;
		return 600;
	case 7: /* LF CR: a reversed line end */
		for (i = 0; i < FILE_LEN; i++)
			f[i] = i % 2 ? CR : LF;
		return FILE_LEN;
	case 8: /* CR NUL in the file itself */
		for (i = 0; i < FILE_LEN; i++)
			f[i] = i % 2 ? 0 : CR;
		return FILE_LEN;
	case 9: /* only the interesting bytes */
		for (i = 0; i < FILE_LEN; i++)
			f[i] = alpha[prng(&seed) % 4];
		return FILE_LEN;
	default: /* any byte */
		for (i = 0; i < FILE_LEN; i++)
			f[i] = (uint8_t)prng(&seed);
		return FILE_LEN;
	}
}

enum { N_FILES = 11 };
static const size_t chunks[] = { 1, 7, 512, WHOLE };
static const size_t blocks[] = { 512, 8, 1 };

/* Every file, every read size, every block size. */
START_TEST(test_split_invariance)
{
	int file = _i / (int)(ARRAY_SIZE(chunks) * ARRAY_SIZE(blocks));
	size_t chunk = chunks[(size_t)_i / ARRAY_SIZE(blocks) % ARRAY_SIZE(chunks)];
	size_t blk = blocks[(size_t)_i % ARRAY_SIZE(blocks)];
	uint8_t *f = xmalloc(FILE_LEN), *ref = xmalloc(2 * FILE_LEN);
	uint8_t *wire = xmalloc(2 * FILE_LEN), *back = xmalloc(2 * FILE_LEN + 1);
	size_t len = gen_file(file, f), rlen, wlen;

	rlen = ref_encode(f, len, ref);
	wlen = enc_blocks(f, len, chunk, blk, wire);
	ck_assert_uint_eq(wlen, rlen);
	ck_assert_msg(memcmp(wire, ref, rlen) == 0, "file %d chunk %zu blk %zu", file, chunk, blk);
	ck_assert_uint_eq(netascii_encoded_size(f, len), rlen);

	/* Decoding the same blocks gives the file back. */
	ck_assert_uint_eq(dec_blocks(wire, wlen, blk, back), len);
	ck_assert_msg(memcmp(back, f, len) == 0, "round trip, file %d blk %zu", file, blk);
	/* ... and so does any other cut of the wire. */
	ck_assert_uint_eq(dec_blocks(wire, wlen, chunk == WHOLE ? wlen + 1 : chunk, back), len);
	ck_assert(memcmp(back, f, len) == 0);
	free(f);
	free(ref);
	free(wire);
	free(back);
}
END_TEST

/* FreeBSD PR 178055: the pair is cut by the block boundary, not lost. */
static const struct {
	uint8_t byte;
	uint8_t second;
} boundary[] = {
	{ CR, 0 },
	{ LF, LF },
};

START_TEST(test_block_ends_with_cr)
{
	uint8_t f[600], blk1[512], blk2[512];
	struct netascii_enc st = { 0 };
	size_t used, n;

	memset(f, 'a', sizeof(f));
	f[511] = boundary[_i].byte;
	n = netascii_encode(&st, f, sizeof(f), &used, blk1, sizeof(blk1));
	ck_assert_uint_eq(n, 512);
	ck_assert_uint_eq(used, 512);
	ck_assert_int_eq(blk1[511], CR);
	ck_assert(st.has_pending);
	n = netascii_encode(&st, f + used, sizeof(f) - used, &used, blk2, sizeof(blk2));
	ck_assert_uint_eq(n, 1 + 88);
	ck_assert_uint_eq(used, 88);
	ck_assert_int_eq(blk2[0], boundary[_i].second);
	ck_assert_int_eq(blk2[1], 'a');
	ck_assert(!st.has_pending);
}
END_TEST

static const struct {
	const uint8_t *in;
	size_t len;
	const uint8_t *out;
	size_t olen;
} enc_vec[] = {
	{ S(""), S("") },
	{ S("a"), S("a") },
	{ S("\n"), S("\r\n") },
	{ S("\r"), S("\r\0") },
	{ S("\r\n"), S("\r\0\r\n") },
	{ S("\n\r"), S("\r\n\r\0") },
	{ S("\0"), S("\0") },
	{ S("\r\0"), S("\r\0\0") },
	{ S("a\nb\n"), S("a\r\nb\r\n") },
	{ S("\xff\x80\t"), S("\xff\x80\t") },
};

START_TEST(test_encode_vectors)
{
	struct netascii_enc st = { 0 };
	uint8_t out[32];
	size_t used = 99, n;

	memset(out, 'Z', sizeof(out));
	n = netascii_encode(&st, enc_vec[_i].in, enc_vec[_i].len, &used, out, sizeof(out));
	ck_assert_uint_eq(n, enc_vec[_i].olen);
	ck_assert_uint_eq(used, enc_vec[_i].len);
	ck_assert_mem_eq(out, enc_vec[_i].out, n);
	ck_assert_int_eq(out[n], 'Z');
	ck_assert(!st.has_pending);
	ck_assert_uint_eq(netascii_encoded_size(enc_vec[_i].in, enc_vec[_i].len), n);
}
END_TEST

static const struct {
	const uint8_t *in;
	size_t len;
	const uint8_t *out;
	size_t olen;
} dec_vec[] = {
	{ S(""), S("") },
	{ S("a"), S("a") },
	{ S("\r\n"), S("\n") },
	{ S("\r\0"), S("\r") },
	{ S("\r\0\r\n"), S("\r\n") },
	/* Lenient: a CR before anything else keeps both bytes. */
	{ S("\rX"), S("\rX") },
	{ S("\r\r\n"), S("\r\n") },
	{ S("\r\r\0"), S("\r\r") },
	{ S("\r\r"), S("\r\r") },
	/* A CR at the end of the transfer is kept by finish. */
	{ S("\r"), S("\r") },
	{ S("ab\r"), S("ab\r") },
	/* Bare LF and NUL pass through. */
	{ S("\n"), S("\n") },
	{ S("\0"), S("\0") },
	{ S("\n\r\n\0"), S("\n\n\0") },
};

START_TEST(test_decode_vectors)
{
	struct netascii_dec st = { 0 };
	uint8_t out[32];
	size_t n;

	memset(out, 'Z', sizeof(out));
	n = netascii_decode(&st, dec_vec[_i].in, dec_vec[_i].len, out);
	n += netascii_decode_finish(&st, out + n);
	ck_assert_uint_eq(n, dec_vec[_i].olen);
	ck_assert_mem_eq(out, dec_vec[_i].out, n);
	ck_assert_int_eq(out[n], 'Z');
	ck_assert(!st.cr_pending);
}
END_TEST

/* out_size 0 consumes nothing, with or without a pending byte. */
START_TEST(test_encode_out_zero)
{
	struct netascii_enc st = { 0 };
	uint8_t out[4] = { 'Z', 'Z', 'Z', 'Z' };
	size_t used = 99;

	ck_assert_uint_eq(netascii_encode(&st, S("a\n"), &used, out, 0), 0);
	ck_assert_uint_eq(used, 0);
	ck_assert(!st.has_pending);
	ck_assert_int_eq(out[0], 'Z');

	ck_assert_uint_eq(netascii_encode(&st, S("\n"), &used, out, 1), 1);
	ck_assert(st.has_pending);
	used = 99;
	ck_assert_uint_eq(netascii_encode(&st, S("b"), &used, out + 1, 0), 0);
	ck_assert_uint_eq(used, 0);
	ck_assert(st.has_pending);
	ck_assert_int_eq(out[1], 'Z');
}
END_TEST

/* The second half of a pair comes first on the next call, even with no
 * input, and before any new input. */
START_TEST(test_encode_pending_first)
{
	struct netascii_enc st = { 0 };
	uint8_t out[8];
	size_t used = 99;

	ck_assert_uint_eq(netascii_encode(&st, S("\r"), &used, out, 1), 1);
	ck_assert_uint_eq(used, 1);
	ck_assert_int_eq(out[0], CR);
	ck_assert(st.has_pending);
	ck_assert_uint_eq(netascii_encode(&st, NULL, 0, &used, out, sizeof(out)), 1);
	ck_assert_uint_eq(used, 0);
	ck_assert_int_eq(out[0], 0);
	ck_assert(!st.has_pending);
	/* Nothing pending, nothing in: nothing out. */
	ck_assert_uint_eq(netascii_encode(&st, NULL, 0, &used, out, sizeof(out)), 0);

	ck_assert_uint_eq(netascii_encode(&st, S("\n"), &used, out, 1), 1);
	ck_assert_uint_eq(netascii_encode(&st, S("x\n"), &used, out, sizeof(out)), 4);
	ck_assert_uint_eq(used, 2);
	ck_assert_mem_eq(out, "\nx\r\n", 4);
}
END_TEST

/* One output byte per call: each pair is split. */
START_TEST(test_encode_out_one)
{
	static const uint8_t in[] = "\r\n\ra\n";
	static const uint8_t want[] = "\r\0\r\n\r\0a\r\n";
	struct netascii_enc st = { 0 };
	uint8_t out[sizeof(want)];
	size_t pos = 0, o = 0, used;

	while (pos < sizeof(in) - 1 || st.has_pending) {
		ck_assert_uint_eq(netascii_encode(&st, in + pos, sizeof(in) - 1 - pos, &used,
						  out + o, 1), 1);
		ck_assert_uint_le(used, 1);
		pos += used;
		o++;
	}
	ck_assert_uint_eq(o, sizeof(want) - 1);
	ck_assert_mem_eq(out, want, o);
}
END_TEST

/* A CR at the end of one buffer and its LF/NUL at the start of the next. */
static const struct {
	const uint8_t *in;
	size_t len;
} dec_split[] = {
	{ S("ab\r\ncd") },
	{ S("ab\r\0cd") },
	{ S("ab\rXcd") },
	{ S("\r\r\n\r\0\r") },
	{ S("\r\n\r\n\r\n") },
	{ S("x\r") },
};

START_TEST(test_decode_split_everywhere)
{
	const uint8_t *in = dec_split[_i].in;
	size_t len = dec_split[_i].len, k;
	uint8_t want[16], got[16];
	size_t wlen = ref_decode(in, len, want);

	for (k = 0; k <= len; k++) {
		struct netascii_dec st = { 0 };
		size_t n = netascii_decode(&st, in, k, got);

		n += netascii_decode(&st, in + k, len - k, got + n);
		n += netascii_decode_finish(&st, got + n);
		ck_assert_msg(n == wlen && memcmp(got, want, n) == 0, "row %d split %zu", _i, k);
	}
}
END_TEST

START_TEST(test_decode_boundary_state)
{
	struct netascii_dec st = { 0 };
	uint8_t out[4];

	ck_assert_uint_eq(netascii_decode(&st, S("\r"), out), 0);
	ck_assert(st.cr_pending);
	/* An empty buffer changes nothing. */
	ck_assert_uint_eq(netascii_decode(&st, NULL, 0, out), 0);
	ck_assert(st.cr_pending);
	ck_assert_uint_eq(netascii_decode(&st, S("\n"), out), 1);
	ck_assert_int_eq(out[0], LF);
	ck_assert(!st.cr_pending);
}
END_TEST

/* in_len + 1 is enough: a held CR and a lenient byte give 2 for 1. The
 * buffer is exactly that size so ASan sees any overrun. */
START_TEST(test_decode_out_bound)
{
	struct netascii_dec st = { 0 };
	uint8_t *out = xmalloc(2);

	ck_assert_uint_eq(netascii_decode(&st, S("\r"), out), 0);
	ck_assert_uint_eq(netascii_decode(&st, S("X"), out), 2);
	ck_assert_mem_eq(out, "\rX", 2);
	free(out);
}
END_TEST

START_TEST(test_decode_finish_idle)
{
	struct netascii_dec st = { 0 };
	uint8_t out[1] = { 'Z' };

	ck_assert_uint_eq(netascii_decode_finish(&st, out), 0);
	ck_assert_int_eq(out[0], 'Z');
	st.cr_pending = true;
	ck_assert_uint_eq(netascii_decode_finish(&st, out), 1);
	ck_assert_int_eq(out[0], CR);
	ck_assert_uint_eq(netascii_decode_finish(&st, out), 0);
}
END_TEST

/*
 * Exhaustive over short strings of CR, LF, NUL and 'a': encoding with every
 * read size and output size up to the length, decoding cut at every point.
 */
enum { EX_MAX = 6 };

static void exhaust_one(const uint8_t *f, size_t len)
{
	uint8_t ref[2 * EX_MAX], wire[2 * EX_MAX], want[EX_MAX + 1], got[EX_MAX + 2];
	size_t rlen = ref_encode(f, len, ref), chunk, blk, k, n;

	for (chunk = 1; chunk <= len + 1; chunk++)
		for (blk = 1; blk <= 2 * len + 1; blk++) {
			n = enc_blocks(f, len, chunk, blk, wire);
			EXPECT(n == rlen && memcmp(wire, ref, rlen) == 0, "encode len %zu chunk %zu blk %zu",
			       len, chunk, blk);
		}
	/* Raw bytes as wire input: two-way cuts against the reference. */
	n = ref_decode(f, len, want);
	for (k = 0; k <= len; k++) {
		struct netascii_dec st = { 0 };
		size_t m = netascii_decode(&st, f, k, got);

		m += netascii_decode(&st, f + k, len - k, got + m);
		m += netascii_decode_finish(&st, got + m);
		EXPECT(m == n && memcmp(got, want, n) == 0, "decode len %zu split %zu", len, k);
	}
	n = dec_blocks(ref, rlen, 1, got);
	EXPECT(n == len && memcmp(got, f, len) == 0, "round trip len %zu", len);
}

START_TEST(test_exhaustive_short)
{
	static const uint8_t alpha[] = { CR, LF, 0, 'a' };
	uint8_t f[EX_MAX];
	size_t len, code, i, total;

	for (len = 0; len <= EX_MAX; len++) {
		for (total = 1, i = 0; i < len; i++)
			total *= ARRAY_SIZE(alpha);
		for (code = 0; code < total; code++) {
			size_t c = code;

			for (i = 0; i < len; i++, c /= ARRAY_SIZE(alpha))
				f[i] = alpha[c % ARRAY_SIZE(alpha)];
			exhaust_one(f, len);
		}
	}
}
END_TEST

START_TEST(test_encoded_size)
{
	ck_assert_uint_eq(netascii_encoded_size(NULL, 0), 0);
	ck_assert_uint_eq(netascii_encoded_size(S("abc")), 3);
	ck_assert_uint_eq(netascii_encoded_size(S("\r\n\r\n")), 8);
	ck_assert_uint_eq(netascii_encoded_size(S("\0\0")), 2);
}
END_TEST

static Suite *netascii_suite(void)
{
	Suite *s = suite_create("netascii");
	TCase *tc;

	tc = tcase_create("encode");
	tcase_add_loop_test(tc, test_encode_vectors, 0, (int)ARRAY_SIZE(enc_vec));
	tcase_add_test(tc, test_encode_out_zero);
	tcase_add_test(tc, test_encode_pending_first);
	tcase_add_test(tc, test_encode_out_one);
	tcase_add_loop_test(tc, test_block_ends_with_cr, 0, (int)ARRAY_SIZE(boundary));
	tcase_add_test(tc, test_encoded_size);
	suite_add_tcase(s, tc);

	tc = tcase_create("decode");
	tcase_add_loop_test(tc, test_decode_vectors, 0, (int)ARRAY_SIZE(dec_vec));
	tcase_add_loop_test(tc, test_decode_split_everywhere, 0, (int)ARRAY_SIZE(dec_split));
	tcase_add_test(tc, test_decode_boundary_state);
	tcase_add_test(tc, test_decode_out_bound);
	tcase_add_test(tc, test_decode_finish_idle);
	suite_add_tcase(s, tc);

	tc = tcase_create("split");
	tcase_add_loop_test(tc, test_split_invariance, 0,
			    (int)(N_FILES * ARRAY_SIZE(chunks) * ARRAY_SIZE(blocks)));
	tcase_add_test(tc, test_exhaustive_short);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(netascii_suite());
	int number_failed;

	srunner_run_all(sr, CK_ENV);
	number_failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return number_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
