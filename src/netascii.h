/*
 * netascii.h - RFC 1350 / RFC 764 netascii, converted on the fly.
 *
 * Pure streaming state machines: the state carries what a buffer boundary
 * cut in half (a CR at the end of one block, FreeBSD PR 178055), so the
 * result never depends on where blocks or windows begin.
 *
 *   file -> wire: LF -> CR LF, CR -> CR NUL, every other byte unchanged
 *   wire -> file: CR LF -> LF, CR NUL -> CR; a CR followed by anything
 *                 else is kept with that byte (lenient); a CR at the very
 *                 end of the transfer is kept.
 */
#ifndef CLOISTER_NETASCII_H
#define CLOISTER_NETASCII_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct netascii_enc {
	bool has_pending; /* second byte of a pair that did not fit */
	uint8_t pending;
};

struct netascii_dec {
	bool cr_pending;  /* the previous buffer ended with CR */
};

/*
 * Encode file bytes from in into out until in is used up or out is full.
 * Sets *ret_consumed to the input bytes used and returns the bytes
 * written. When only the first byte of a pair fits, the second is kept in
 * st and written first by the next call (which may have in_len 0).
 */
size_t netascii_encode(struct netascii_enc *st, const uint8_t *in, size_t in_len,
		       size_t *ret_consumed, uint8_t *out, size_t out_size);

/* Decode wire bytes into out (at least in_len + 1 bytes). Returns the file
 * bytes written. */
size_t netascii_decode(struct netascii_dec *st, const uint8_t *in, size_t in_len, uint8_t *out);

/* End of transfer: flush a pending CR into out (1 byte). Returns 0 or 1. */
size_t netascii_decode_finish(struct netascii_dec *st, uint8_t *out);

/* Wire size of a file's bytes in netascii (for tsize when computed). */
uint64_t netascii_encoded_size(const uint8_t *in, size_t len);

#endif
