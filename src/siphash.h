/*
 * siphash.h - SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed hash
 * for the monitor's tables, so that nobody who does not know the key can
 * choose client addresses that fall into one bucket.
 *
 * Pure; the key is drawn once at start (getrandom) by the caller.
 */
#ifndef CLOISTER_SIPHASH_H
#define CLOISTER_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

struct siphash_key {
	uint64_t k0, k1; /* the 16 key bytes, little-endian halves */
};

uint64_t siphash24(const struct siphash_key *key, const uint8_t *in, size_t len);

#endif
