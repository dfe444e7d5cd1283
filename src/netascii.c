/*
 * netascii.c - RFC 764 / RFC 1350 netascii as two streaming state machines.
 *
 * Pure: no I/O, no allocation, no globals. All that crosses a call is in
 * the state struct, so where the caller cuts blocks, windows or file reads
 * never changes the bytes (FreeBSD PR 178055 sent a bare CR when a CR LF
 * pair straddled a 512-byte block).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "netascii.h"

#define NA_CR 0x0d
#define NA_LF 0x0a
#define NA_NUL 0x00

/*
 * RFC 764: a bare CR on the wire is "CR NUL" and end of line is "CR LF".
 * Returns true and the byte to follow a CR when c becomes a pair.
 */
static bool enc_pair(uint8_t c, uint8_t *ret_second)
{
	if (c == NA_LF) {
		*ret_second = NA_LF;
		return true;
	}
	if (c == NA_CR) {
		*ret_second = NA_NUL;
		return true;
	}
	return false;
}

size_t netascii_encode(struct netascii_enc *st, const uint8_t *in, size_t in_len,
                       size_t *ret_consumed, uint8_t *out, size_t out_size)
{
	size_t i = 0, o = 0;
	uint8_t second;

	/* The tail of the last call's pair belongs before any new byte. */
	if (st->has_pending && out_size > 0) {
		out[o++] = st->pending;
		st->has_pending = false;
	}
	/* A pending byte that did not fit means out_size == 0, so the loop
	 * below cannot run ahead of it. */
	while (i < in_len && o < out_size) {
		uint8_t c = in[i++];

		if (!enc_pair(c, &second)) {
			out[o++] = c;
			continue;
		}
		out[o++] = NA_CR;
		if (o < out_size) {
			out[o++] = second;
		} else {
			st->pending = second;
			st->has_pending = true;
		}
	}
	*ret_consumed = i;
	return o;
}

size_t netascii_decode(struct netascii_dec *st, const uint8_t *in, size_t in_len, uint8_t *out)
{
	size_t i, o = 0;

	/* Each input byte yields at most one file byte, except that a CR
	 * held over from the last buffer may come out together with the
	 * first byte here: hence the in_len + 1 bound in the contract. */
	for (i = 0; i < in_len; i++) {
		uint8_t c = in[i];

		if (st->cr_pending) {
			st->cr_pending = false;
			if (c == NA_LF) {
				out[o++] = NA_LF;
				continue;
			}
			out[o++] = NA_CR;
			if (c == NA_NUL)
				continue;
			/* Lenient: some clients send a bare CR before other
			 * bytes. Keeping both loses nothing, where dropping
			 * the CR would alter the file. */
		}
		if (c == NA_CR)
			st->cr_pending = true;
		else
			out[o++] = c;
	}
	return o;
}

size_t netascii_decode_finish(struct netascii_dec *st, uint8_t *out)
{
	/* A CR as the very last byte has no partner; dropping it would
	 * silently shorten the file. */
	if (!st->cr_pending)
		return 0;
	st->cr_pending = false;
	out[0] = NA_CR;
	return 1;
}

uint64_t netascii_encoded_size(const uint8_t *in, size_t len)
{
	uint64_t n = len;
	size_t i;

	for (i = 0; i < len; i++)
		if (in[i] == NA_CR || in[i] == NA_LF)
			n++;
	return n;
}
