/*
 * addr-index.c - a chained hash of records by client address.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "addr-index.h"
#include "private-mem.h"
#include "siphash.h"

bool addr_key_from(const struct sockaddr *sa, bool with_port, struct addr_key *ret)
{
	struct addr_key k;

	memset(&k, 0, sizeof(k));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		k.family = 4;
		memcpy(k.addr, &s4->sin_addr, 4);
		k.port = ntohs(s4->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			k.family = 4;
			memcpy(k.addr, &s6->sin6_addr.s6_addr[12], 4);
		} else {
			k.family = 6;
			memcpy(k.addr, &s6->sin6_addr, 16);
			/* fe80::1 on two links is two hosts. */
			if (IN6_IS_ADDR_LINKLOCAL(&s6->sin6_addr))
				k.scope = s6->sin6_scope_id;
		}
		k.port = ntohs(s6->sin6_port);
	} else {
		return false;
	}
	if (!with_port)
		k.port = 0;
	*ret = k;
	return true;
}

char *addr_key_host_text(const struct addr_key *k, char *buf, size_t size)
{
	if (size == 0)
		return buf;
	buf[0] = '\0';
	if (k->family == 4)
		(void)inet_ntop(AF_INET, k->addr, buf, (socklen_t)size);
	else if (k->family == 6)
		(void)inet_ntop(AF_INET6, k->addr, buf, (socklen_t)size);
	return buf;
}

bool addr_key_equal(const struct addr_key *a, const struct addr_key *b)
{
	return a->family == b->family && a->port == b->port && a->scope == b->scope &&
	       memcmp(a->addr, b->addr, sizeof(a->addr)) == 0;
}

/* Every table's key, drawn at start (addr_index_set_seed); zero in tests. */
static struct siphash_key table_key;

void addr_index_set_seed(const uint8_t seed[16])
{
	table_key.k0 = 0;
	table_key.k1 = 0;
	for (int i = 0; i < 8; i++) {
		table_key.k0 |= (uint64_t)seed[i] << (8 * i);
		table_key.k1 |= (uint64_t)seed[8 + i] << (8 * i);
	}
}

/* A keyed hash of the fields: addresses are the client's choice (an IPv6
 * /64 holds 2^64 of them), so an unkeyed hash would let a client fill one
 * chain and make every lookup walk it. */
static size_t bucket_of(const struct addr_index *ix, const struct addr_key *k)
{
	uint8_t in[sizeof(k->addr) + 7];

	memcpy(in, k->addr, sizeof(k->addr));
	in[16] = k->family;
	in[17] = (uint8_t)k->scope;
	in[18] = (uint8_t)(k->scope >> 8);
	in[19] = (uint8_t)(k->scope >> 16);
	in[20] = (uint8_t)(k->scope >> 24);
	in[21] = (uint8_t)k->port;
	in[22] = (uint8_t)(k->port >> 8);
	return (size_t)(siphash24(&table_key, in, sizeof(in)) & (ix->n_buckets - 1));
}

int addr_index_init(struct addr_index *ix, size_t n_records)
{
	size_t nb = 16;

	memset(ix, 0, sizeof(*ix));
	while (nb < n_records * 2)
		nb *= 2;
	ix->n_buckets = nb;
	ix->n_records = n_records;
	ix->head = private_calloc(nb, sizeof(*ix->head));
	ix->next = private_calloc(n_records, sizeof(*ix->next));
	ix->key = private_calloc(n_records, sizeof(*ix->key));
	ix->in = private_calloc(n_records, sizeof(*ix->in));
	if (!ix->head || !ix->next || !ix->key || !ix->in) {
		addr_index_free(ix);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nb; i++)
		ix->head[i] = ADDR_INDEX_NONE;
	return 0;
}

void addr_index_free(struct addr_index *ix)
{
	private_free(ix->head);
	private_free(ix->next);
	private_free(ix->key);
	private_free(ix->in);
	memset(ix, 0, sizeof(*ix));
}

void addr_index_add(struct addr_index *ix, uint32_t record, const struct addr_key *key)
{
	size_t b;

	if (record >= ix->n_records || ix->in[record])
		return;
	b = bucket_of(ix, key);
	ix->key[record] = *key;
	ix->next[record] = ix->head[b];
	ix->head[b] = record;
	ix->in[record] = true;
}

void addr_index_remove(struct addr_index *ix, uint32_t record)
{
	uint32_t *link;

	if (record >= ix->n_records || !ix->in[record])
		return;
	link = &ix->head[bucket_of(ix, &ix->key[record])];
	while (*link != record)
		link = &ix->next[*link];
	*link = ix->next[record];
	ix->in[record] = false;
}

static uint32_t match_from(const struct addr_index *ix, uint32_t r, const struct addr_key *key)
{
	while (r != ADDR_INDEX_NONE && !addr_key_equal(&ix->key[r], key))
		r = ix->next[r];
	return r;
}

uint32_t addr_index_find(const struct addr_index *ix, const struct addr_key *key)
{
	return match_from(ix, ix->head[bucket_of(ix, key)], key);
}

uint32_t addr_index_find_next(const struct addr_index *ix, uint32_t record)
{
	if (record >= ix->n_records || !ix->in[record])
		return ADDR_INDEX_NONE;
	return match_from(ix, ix->next[record], &ix->key[record]);
}
