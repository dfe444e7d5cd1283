/*
 * siphash.c - SipHash-2-4, written from the paper's description.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "siphash.h"

static uint64_t rotl(uint64_t x, unsigned b)
{
	return (x << b) | (x >> (64 - b));
}

struct state {
	uint64_t v0, v1, v2, v3;
};

static void round_once(struct state *s)
{
	s->v0 += s->v1;
	s->v1 = rotl(s->v1, 13) ^ s->v0;
	s->v0 = rotl(s->v0, 32);
	s->v2 += s->v3;
	s->v3 = rotl(s->v3, 16) ^ s->v2;
	s->v0 += s->v3;
	s->v3 = rotl(s->v3, 21) ^ s->v0;
	s->v2 += s->v1;
	s->v1 = rotl(s->v1, 17) ^ s->v2;
	s->v2 = rotl(s->v2, 32);
}

static void compress(struct state *s, uint64_t m)
{
	s->v3 ^= m;
	round_once(s);
	round_once(s);
	s->v0 ^= m;
}

/* Bytes as a little-endian word, whatever the host's order. */
static uint64_t load_le(const uint8_t *p, size_t n)
{
	uint64_t w = 0;

	for (size_t i = 0; i < n; i++)
		w |= (uint64_t)p[i] << (8 * i);
	return w;
}

uint64_t siphash24(const struct siphash_key *key, const uint8_t *in, size_t len)
{
	struct state s = {
		.v0 = 0x736f6d6570736575ull ^ key->k0, .v1 = 0x646f72616e646f6dull ^ key->k1,
		.v2 = 0x6c7967656e657261ull ^ key->k0, .v3 = 0x7465646279746573ull ^ key->k1,
	};
	size_t whole = len - len % 8;

	for (size_t i = 0; i < whole; i += 8)
		compress(&s, load_le(in + i, 8));
	compress(&s, ((uint64_t)len << 56) | load_le(in + whole, len % 8));
	s.v2 ^= 0xff;
	for (int i = 0; i < 4; i++)
		round_once(&s);
	return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}
