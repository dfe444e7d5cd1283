/*
 * netascii-ref.h - the one-shot reference converters the netascii unit
 * tests and fuzz harness compare src/netascii.c's streaming ones with.
 * Written for clarity, not speed: they share nothing with the code under
 * test.
 */
#ifndef CLOISTER_NETASCII_REF_H
#define CLOISTER_NETASCII_REF_H

#include <stddef.h>
#include <stdint.h>

/* RFC 764 in one pass: LF -> CR LF, CR -> CR NUL. out holds 2 * len. */
static inline size_t ref_encode(const uint8_t *in, size_t len, uint8_t *out)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (in[i] == 0x0a || in[i] == 0x0d) {
			out[o++] = 0x0d;
			out[o++] = in[i] == 0x0a ? 0x0a : 0;
		} else {
			out[o++] = in[i];
		}
	}
	return o;
}

/* The lenient inverse, looking ahead instead of keeping state: CR LF ->
 * LF, CR NUL -> CR, any other CR stays. out holds len. */
static inline size_t ref_decode(const uint8_t *in, size_t len, uint8_t *out)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (in[i] != 0x0d || i + 1 == len) {
			out[o++] = in[i];
		} else if (in[i + 1] == 0x0a) {
			out[o++] = 0x0a;
			i++;
		} else {
			out[o++] = 0x0d;
			if (in[i + 1] == 0)
				i++;
		}
	}
	return o;
}

#endif
