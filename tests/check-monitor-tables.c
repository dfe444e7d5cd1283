/*
 * check-monitor-tables.c - the monitor's tables: the index by client
 * address (src/addr-index.c), the timer heap (src/timer-heap.c) and the
 * memory they live in (src/private-mem.c).
 *
 * The index and the heap are also run against plain reference models (an
 * array scanned in full) for thousands of random operations, from a fixed
 * seed so that a failure repeats.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "addr-index.h"
#include "siphash.h"
#include "private-mem.h"
#include "timer-heap.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* xorshift64: the same sequence on every run. */
static uint64_t rng_state;

static void rng_seed(uint64_t seed)
{
	rng_state = seed;
}

static uint32_t rng_below(uint32_t n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state % n);
}

/* ---- keys ---- */

static struct sockaddr_in sin4(const char *addr, uint16_t port)
{
	struct sockaddr_in s;

	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	s.sin_port = htons(port);
	ck_assert_int_eq(inet_pton(AF_INET, addr, &s.sin_addr), 1);
	return s;
}

static struct sockaddr_in6 sin6(const char *addr, uint16_t port, uint32_t scope)
{
	struct sockaddr_in6 s;

	memset(&s, 0, sizeof(s));
	s.sin6_family = AF_INET6;
	s.sin6_port = htons(port);
	s.sin6_scope_id = scope;
	ck_assert_int_eq(inet_pton(AF_INET6, addr, &s.sin6_addr), 1);
	return s;
}

static struct addr_key key4(const char *addr, uint16_t port, bool with_port)
{
	struct sockaddr_in s = sin4(addr, port);
	struct addr_key k;

	ck_assert(addr_key_from((const struct sockaddr *)&s, with_port, &k));
	return k;
}

static struct addr_key key6(const char *addr, uint16_t port, uint32_t scope, bool with_port)
{
	struct sockaddr_in6 s = sin6(addr, port, scope);
	struct addr_key k;

	ck_assert(addr_key_from((const struct sockaddr *)&s, with_port, &k));
	return k;
}

/* record is the one record under key. */
static void expect_only(const struct addr_index *ix, const struct addr_key *key, uint32_t record)
{
	ck_assert_uint_eq(addr_index_find(ix, key), record);
	ck_assert_uint_eq(addr_index_find_next(ix, record), ADDR_INDEX_NONE);
}

START_TEST(test_key_ipv4)
{
	struct sockaddr_in s = sin4("192.0.2.7", 40000);
	struct addr_key k, again;
	static const uint8_t want[16] = { 192, 0, 2, 7 };

	ck_assert(addr_key_from((const struct sockaddr *)&s, true, &k));
	ck_assert_uint_eq(k.family, 4);
	ck_assert_mem_eq(k.addr, want, sizeof(want));
	ck_assert_uint_eq(k.port, 40000);
	ck_assert_uint_eq(k.scope, 0);
	ck_assert(addr_key_from((const struct sockaddr *)&s, false, &k));
	ck_assert_uint_eq(k.port, 0);
	/* sin_zero is no part of the address. */
	ck_assert(addr_key_from((const struct sockaddr *)&s, true, &k));
	memset(s.sin_zero, 0xff, sizeof(s.sin_zero));
	ck_assert(addr_key_from((const struct sockaddr *)&s, true, &again));
	ck_assert(addr_key_equal(&k, &again));
}
END_TEST

/* A v4-mapped address is its IPv4 client, with its port or without. */
START_TEST(test_key_v4_mapped)
{
	struct addr_key a = key4("198.51.100.1", 1069, true);
	struct addr_key m = key6("::ffff:198.51.100.1", 1069, 0, true);

	ck_assert_uint_eq(m.family, 4);
	ck_assert(addr_key_equal(&a, &m));
	a = key4("198.51.100.1", 1069, false);
	m = key6("::ffff:198.51.100.1", 5555, 0, false);
	ck_assert(addr_key_equal(&a, &m));
	/* Another port is another transfer's key. */
	a = key4("198.51.100.1", 1069, true);
	m = key6("::ffff:198.51.100.1", 1070, 0, true);
	ck_assert(!addr_key_equal(&a, &m));
}
END_TEST

START_TEST(test_key_ipv6_scope)
{
	struct addr_key a = key6("fe80::1", 69, 2, true), b = key6("fe80::1", 69, 3, true);
	struct addr_key g1 = key6("2001:db8::1", 69, 2, true);
	struct addr_key g2 = key6("2001:db8::1", 69, 3, true);

	ck_assert_uint_eq(a.family, 6);
	ck_assert_uint_eq(a.scope, 2);
	/* fe80::1 on two links is two hosts; a global address is one host
	 * whatever interface it came in on. */
	ck_assert(!addr_key_equal(&a, &b));
	ck_assert_uint_eq(g1.scope, 0);
	ck_assert(addr_key_equal(&g1, &g2));
}
END_TEST

/* IPv4 1.2.3.4 and IPv6 102:304:: have the same first bytes: two keys. */
START_TEST(test_key_family_distinct)
{
	struct addr_key v4 = key4("1.2.3.4", 69, true), v6 = key6("102:304::", 69, 0, true);
	struct addr_index ix;

	ck_assert_mem_eq(v4.addr, v6.addr, sizeof(v4.addr));
	ck_assert(!addr_key_equal(&v4, &v6));
	ck_assert_int_eq(addr_index_init(&ix, 4), 0);
	addr_index_add(&ix, 0, &v4);
	ck_assert_uint_eq(addr_index_find(&ix, &v6), ADDR_INDEX_NONE);
	addr_index_add(&ix, 1, &v6);
	expect_only(&ix, &v4, 0);
	expect_only(&ix, &v6, 1);
	addr_index_free(&ix);
}
END_TEST

/* Another family: false, and *ret untouched. */
START_TEST(test_key_other_family)
{
	struct sockaddr_un su;
	struct addr_key k, before;

	memset(&su, 0, sizeof(su));
	su.sun_family = AF_UNIX;
	memset(&k, 0xa5, sizeof(k));
	before = k;
	ck_assert(!addr_key_from((const struct sockaddr *)&su, true, &k));
	ck_assert_mem_eq(&k, &before, sizeof(k));
}
END_TEST

/* ---- the index ---- */

START_TEST(test_index_basic)
{
	struct addr_index ix;
	struct addr_key a = key4("192.0.2.1", 1000, true), b = key4("192.0.2.2", 1000, true);

	ck_assert_int_eq(addr_index_init(&ix, 8), 0);
	ck_assert_uint_eq(addr_index_find(&ix, &a), ADDR_INDEX_NONE);
	addr_index_add(&ix, 3, &a);
	addr_index_add(&ix, 5, &b);
	ck_assert_uint_eq(addr_index_find(&ix, &a), 3);
	ck_assert_uint_eq(addr_index_find(&ix, &b), 5);
	ck_assert_uint_eq(addr_index_find_next(&ix, 3), ADDR_INDEX_NONE);
	addr_index_remove(&ix, 3);
	ck_assert_uint_eq(addr_index_find(&ix, &a), ADDR_INDEX_NONE);
	ck_assert_uint_eq(addr_index_find(&ix, &b), 5);
	/* Removing what is not in, or no record at all, changes nothing. */
	addr_index_remove(&ix, 3);
	addr_index_remove(&ix, 0);
	addr_index_remove(&ix, 8);
	addr_index_remove(&ix, ADDR_INDEX_NONE);
	ck_assert_uint_eq(addr_index_find(&ix, &b), 5);
	addr_index_free(&ix);
}
END_TEST

START_TEST(test_index_ports)
{
	struct addr_index ix;
	struct addr_key p1 = key4("203.0.113.9", 1001, true), p2 = key4("203.0.113.9", 1002, true);
	struct addr_key host = key4("203.0.113.9", 1001, false);
	struct addr_key host2 = key4("203.0.113.9", 1002, false);

	ck_assert_int_eq(addr_index_init(&ix, 4), 0);
	addr_index_add(&ix, 0, &p1);
	ck_assert_uint_eq(addr_index_find(&ix, &p1), 0);
	/* With ports: another port of the same host is not found. */
	ck_assert_uint_eq(addr_index_find(&ix, &p2), ADDR_INDEX_NONE);
	ck_assert_uint_eq(addr_index_find(&ix, &host), ADDR_INDEX_NONE);
	addr_index_add(&ix, 1, &p2);
	ck_assert_uint_eq(addr_index_find(&ix, &p2), 1);
	ck_assert_uint_eq(addr_index_find(&ix, &p1), 0);
	/* Without: every port of the host is one key. */
	addr_index_add(&ix, 2, &host);
	expect_only(&ix, &host2, 2);
	addr_index_free(&ix);
}
END_TEST

/* Records under one key (the children of one client) come out each once. */
START_TEST(test_index_same_key)
{
	struct addr_index ix;
	struct addr_key k = key6("2001:db8::5", 0, 0, false);
	struct addr_key other = key6("2001:db8::6", 0, 0, false);
	bool seen[10] = { false };
	unsigned n = 0;

	ck_assert_int_eq(addr_index_init(&ix, 10), 0);
	for (uint32_t r = 0; r < 10; r++)
		addr_index_add(&ix, r, r % 2 ? &k : &other);
	for (uint32_t r = addr_index_find(&ix, &k); r != ADDR_INDEX_NONE;
	     r = addr_index_find_next(&ix, r)) {
		ck_assert_uint_lt(r, 10);
		ck_assert_uint_eq(r % 2, 1);
		ck_assert(!seen[r]);
		seen[r] = true;
		n++;
	}
	ck_assert_uint_eq(n, 5);
	/* The next after a record that is not in: none. */
	addr_index_remove(&ix, 3);
	ck_assert_uint_eq(addr_index_find_next(&ix, 3), ADDR_INDEX_NONE);
	addr_index_free(&ix);
}
END_TEST

/* The bucket of a key in an empty index: where its record went. The
 * struct is public; this only reads it. */
static size_t bucket_of_key(struct addr_index *ix, const struct addr_key *k)
{
	size_t b;

	addr_index_add(ix, 0, k);
	for (b = 0; b < ix->n_buckets && ix->head[b] != 0; b++)
		;
	ck_assert_uint_lt(b, ix->n_buckets);
	addr_index_remove(ix, 0);
	return b;
}

/* SipHash-2-4 against the reference vectors of its authors (key 00..0f,
 * input 00, 01, ... of each length). */
START_TEST(test_siphash_vectors)
{
	static const struct {
		size_t len;
		uint64_t want;
	} rows[] = {
		{ 0, 0x726fdb47dd0e0e31ull }, { 1, 0x74f839c593dc67fdull },
		{ 2, 0x0d6c8009d9a94f5aull }, { 3, 0x85676696d7fb7e2dull },
		{ 8, 0x93f5f5799a932462ull }, { 15, 0xa129ca6149be45e5ull },
	};
	struct siphash_key key = { 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull };
	uint8_t in[16];

	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)i;
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		ck_assert_uint_eq(siphash24(&key, in, rows[i].len), rows[i].want);
}
END_TEST

/* The seed decides the buckets: with another key, other addresses share
 * them, so a list of colliding addresses made for one server is worth
 * nothing against another. */
START_TEST(test_index_seeded)
{
	static const uint8_t a[16] = { 1 }, b[16] = { 2 };
	struct addr_index ix;
	size_t with_a[64], differ = 0;
	char text[32];

	ck_assert_int_eq(addr_index_init(&ix, 64), 0);
	addr_index_set_seed(a);
	for (unsigned i = 0; i < 64; i++) {
		struct addr_key k;

		snprintf(text, sizeof(text), "10.0.0.%u", i);
		k = key4(text, 69, true);
		with_a[i] = bucket_of_key(&ix, &k);
	}
	addr_index_set_seed(b);
	for (unsigned i = 0; i < 64; i++) {
		struct addr_key k;

		snprintf(text, sizeof(text), "10.0.0.%u", i);
		k = key4(text, 69, true);
		differ += bucket_of_key(&ix, &k) != with_a[i];
	}
	ck_assert_uint_gt(differ, 32);
	/* Lookups still find what was added under the seed in force. */
	{
		struct addr_key k = key4("10.0.0.1", 69, true);

		addr_index_add(&ix, 5, &k);
		ck_assert_uint_eq(addr_index_find(&ix, &k), 5);
	}
	addr_index_free(&ix);
}
END_TEST

#define CHAIN 8

/* Eight different keys in one bucket: each found, whatever is taken out of
 * the chain (its head, its middle, its tail) and put back. */
START_TEST(test_index_collisions)
{
	static const uint32_t out[] = { 7, 3, 0 }; /* the head (added last), middle, tail */
	struct addr_index ix;
	struct addr_key keys[CHAIN], k;
	bool gone[CHAIN] = { false };
	size_t n = 0, want = 0, b;
	char text[32];
	uint32_t i, r;

	ck_assert_int_eq(addr_index_init(&ix, CHAIN), 0);
	ck_assert_uint_eq(ix.n_buckets, 16);
	for (i = 0; n < CHAIN && i < 100000; i++) {
		snprintf(text, sizeof(text), "10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);
		k = key4(text, (uint16_t)(i % 3), true);
		b = bucket_of_key(&ix, &k);
		if (n == 0)
			want = b;
		if (b == want)
			keys[n++] = k;
	}
	ck_assert_uint_eq(n, CHAIN);
	for (r = 0; r < CHAIN; r++)
		addr_index_add(&ix, r, &keys[r]);
	for (r = 0; r < CHAIN; r++)
		expect_only(&ix, &keys[r], r);
	for (i = 0; i < ARRAY_SIZE(out); i++) {
		addr_index_remove(&ix, out[i]);
		gone[out[i]] = true;
		for (r = 0; r < CHAIN; r++)
			ck_assert_uint_eq(addr_index_find(&ix, &keys[r]),
					  gone[r] ? ADDR_INDEX_NONE : r);
	}
	/* Back in, under one another's keys. */
	addr_index_add(&ix, 7, &keys[0]);
	addr_index_add(&ix, 0, &keys[3]);
	addr_index_add(&ix, 3, &keys[7]);
	expect_only(&ix, &keys[0], 7);
	expect_only(&ix, &keys[3], 0);
	expect_only(&ix, &keys[7], 3);
	for (r = 0; r < CHAIN; r++)
		if (!gone[r])
			expect_only(&ix, &keys[r], r);
	addr_index_free(&ix);
}
END_TEST

/* Every record in, each under its own key: all found; a removed one is
 * never found again, though its key stays in its slot. */
START_TEST(test_index_full)
{
	enum { N = 1000 };
	struct addr_index ix;
	struct addr_key *k = calloc(N, sizeof(*k));
	uint32_t first, second;
	char text[48];

	ck_assert_ptr_nonnull(k);
	ck_assert_int_eq(addr_index_init(&ix, N), 0);
	for (uint32_t r = 0; r < N; r++) {
		snprintf(text, sizeof(text), "2001:db8::%x", r / 4);
		k[r] = key6(text, (uint16_t)(1024 + r % 4), 0, true);
		addr_index_add(&ix, r, &k[r]);
	}
	/* Beyond the last record: refused. */
	addr_index_add(&ix, N, &k[0]);
	for (uint32_t r = 0; r < N; r++)
		expect_only(&ix, &k[r], r);
	for (uint32_t r = 0; r < N; r += 2)
		addr_index_remove(&ix, r);
	for (uint32_t r = 0; r < N; r++)
		ck_assert_uint_eq(addr_index_find(&ix, &k[r]), r % 2 ? r : ADDR_INDEX_NONE);
	/* A removed record back in under another key: found there only. */
	addr_index_add(&ix, 0, &k[1]);
	ck_assert_uint_eq(addr_index_find(&ix, &k[0]), ADDR_INDEX_NONE);
	first = addr_index_find(&ix, &k[1]);
	second = addr_index_find_next(&ix, first);
	ck_assert(first == 0 || first == 1);
	ck_assert_uint_eq(second, first == 0 ? 1 : 0);
	ck_assert_uint_eq(addr_index_find_next(&ix, second), ADDR_INDEX_NONE);
	addr_index_free(&ix);
	free(k);
}
END_TEST

START_TEST(test_index_empty)
{
	struct addr_index ix;
	struct addr_key k = key4("192.0.2.1", 0, false);

	ck_assert_int_eq(addr_index_init(&ix, 0), 0);
	addr_index_add(&ix, 0, &k);
	ck_assert_uint_eq(addr_index_find(&ix, &k), ADDR_INDEX_NONE);
	addr_index_remove(&ix, 0);
	addr_index_free(&ix);
}
END_TEST

#define MODEL_RECORDS 300
#define MODEL_KEYS 48

/* Walk key's records in the index: exactly the model's, each once. */
static void check_key(const struct addr_index *ix, const struct addr_key *key, const bool *in,
		      const uint32_t *key_of, uint32_t key_no)
{
	bool seen[MODEL_RECORDS] = { false };
	unsigned want = 0, got = 0;

	for (uint32_t r = 0; r < MODEL_RECORDS; r++)
		want += in[r] && key_of[r] == key_no;
	for (uint32_t r = addr_index_find(ix, key); r != ADDR_INDEX_NONE;
	     r = addr_index_find_next(ix, r)) {
		ck_assert_uint_lt(r, MODEL_RECORDS);
		ck_assert_msg(in[r] && key_of[r] == key_no, "record %u under key %u", r, key_no);
		ck_assert(!seen[r]);
		seen[r] = true;
		got++;
	}
	ck_assert_uint_eq(got, want);
}

START_TEST(test_index_model)
{
	struct addr_index ix;
	struct addr_key keys[MODEL_KEYS], never = key4("198.18.0.1", 7, true);
	uint32_t key_of[MODEL_RECORDS];
	bool in[MODEL_RECORDS] = { false };
	char text[48];

	/* Hosts with and without ports, both families, link-local on two
	 * links: keys that differ in one field only. */
	for (uint32_t i = 0; i < MODEL_KEYS; i++) {
		switch (i % 4) {
		case 0:
			snprintf(text, sizeof(text), "10.0.0.%u", i / 8);
			keys[i] = key4(text, (uint16_t)(i % 8 / 4 * 2000), i % 8 >= 4);
			break;
		case 1:
			snprintf(text, sizeof(text), "::ffff:10.0.1.%u", i);
			keys[i] = key6(text, (uint16_t)i, 0, true);
			break;
		case 2:
			snprintf(text, sizeof(text), "fe80::%x", i / 8);
			keys[i] = key6(text, 69, 1 + i % 8 / 4, true);
			break;
		default:
			snprintf(text, sizeof(text), "2001:db8::%x", i);
			keys[i] = key6(text, 0, 0, false);
			break;
		}
	}
	for (uint32_t i = 0; i < MODEL_KEYS; i++)
		for (uint32_t j = 0; j < i; j++)
			ck_assert_msg(!addr_key_equal(&keys[i], &keys[j]), "keys %u, %u", i, j);

	rng_seed(0x9e3779b97f4a7c15u);
	ck_assert_int_eq(addr_index_init(&ix, MODEL_RECORDS), 0);
	for (unsigned op = 0; op < 20000; op++) {
		uint32_t r = rng_below(MODEL_RECORDS);

		if (in[r]) {
			addr_index_remove(&ix, r);
			in[r] = false;
			check_key(&ix, &keys[key_of[r]], in, key_of, key_of[r]);
		} else {
			key_of[r] = rng_below(MODEL_KEYS);
			addr_index_add(&ix, r, &keys[key_of[r]]);
			in[r] = true;
			check_key(&ix, &keys[key_of[r]], in, key_of, key_of[r]);
		}
		if (op % 500 == 0)
			for (uint32_t i = 0; i < MODEL_KEYS; i++)
				check_key(&ix, &keys[i], in, key_of, i);
		ck_assert_uint_eq(addr_index_find(&ix, &never), ADDR_INDEX_NONE);
	}
	addr_index_free(&ix);
}
END_TEST

/* ---- the timer heap ---- */

/* A scenario, one step a row: set, clear, or what must be first. */
enum heap_op { H_END, H_SET, H_CLEAR, H_FIRST, H_EMPTY, H_COUNT };

static const struct {
	const char *name;
	size_t n_keys;
	struct {
		enum heap_op op;
		uint32_t key;
		uint64_t at; /* H_COUNT: timers set */
	} step[24]; /* up to the first H_END */
} scripts[] = {
#define SET(k, t) { H_SET, k, t }
#define CLEAR(k) { H_CLEAR, k, 0 }
#define FIRST(k, t) { H_FIRST, k, t }
#define EMPTY { H_EMPTY, 0, 0 }
#define COUNT(n) { H_COUNT, 0, n }
	{ "set, move, clear", 8, {
		EMPTY, SET(2, 30), SET(5, 10), SET(7, 20), FIRST(5, 10),
		SET(5, 40), FIRST(7, 20), /* moved later */
		SET(2, 1), FIRST(2, 1),   /* earlier than all */
		SET(2, 1), COUNT(3),      /* to its own deadline again */
		CLEAR(2), FIRST(7, 20), CLEAR(7), FIRST(5, 40), CLEAR(5), EMPTY,
		SET(5, 3), FIRST(5, 3),   /* cleared, then set like a new one */
	} },
	{ "clear what is not set", 4, {
		CLEAR(1), SET(0, 9), SET(3, 4),
		CLEAR(1), CLEAR(4), CLEAR(TIMER_NONE),
		COUNT(2), FIRST(3, 4),
		CLEAR(3), CLEAR(3), COUNT(1), FIRST(0, 9),
	} },
	{ "no keys", 0, {
		SET(0, 1), EMPTY, CLEAR(0), EMPTY,
	} },
	{ "one key", 1, {
		SET(1, 1), EMPTY, SET(0, 5), SET(1, 1),
		FIRST(0, 5), COUNT(1),
	} },
	{ "the last key and beyond", 5, {
		SET(0, 100), SET(1, 99), SET(2, 98), SET(3, 97),
		SET(4, 96), SET(5, 0), SET(TIMER_NONE, 0),
		COUNT(5), FIRST(4, 96),
	} },
	{ "the extremes of a deadline", 3, {
		SET(0, UINT64_MAX), SET(1, UINT64_MAX - 1),
		FIRST(1, UINT64_MAX - 1), SET(2, 0), FIRST(2, 0),
		CLEAR(2), CLEAR(1), FIRST(0, UINT64_MAX),
	} },
#undef SET
#undef CLEAR
#undef FIRST
#undef EMPTY
#undef COUNT
};

START_TEST(test_heap_script)
{
	struct timer_heap h;

	ck_assert_int_eq(timer_heap_init(&h, scripts[_i].n_keys), 0);
	for (size_t i = 0; scripts[_i].step[i].op != H_END; i++) {
		uint32_t key = scripts[_i].step[i].key, k = 0xdead;
		uint64_t at = scripts[_i].step[i].at, t = 0xdead;

		switch (scripts[_i].step[i].op) {
		case H_SET:
			timer_heap_set(&h, key, at);
			break;
		case H_CLEAR:
			timer_heap_clear(&h, key);
			break;
		case H_FIRST:
			ck_assert_msg(timer_heap_first(&h, &k, &t) && k == key && t == at,
				      "%s, step %zu", scripts[_i].name, i);
			break;
		case H_EMPTY:
			/* None, and the outputs left alone. */
			ck_assert_msg(!timer_heap_first(&h, &k, &t) && k == 0xdead && t == 0xdead,
				      "%s, step %zu", scripts[_i].name, i);
			break;
		case H_COUNT:
			ck_assert_uint_eq(h.n, at);
			break;
		case H_END:
			break;
		}
	}
	timer_heap_free(&h);
}
END_TEST

/* Take the first timer off; its deadline must not be before the last. */
static uint64_t pop(struct timer_heap *h, uint32_t *ret_key)
{
	uint64_t at;

	ck_assert(timer_heap_first(h, ret_key, &at));
	timer_heap_clear(h, *ret_key);
	return at;
}

/* Many timers at one deadline: each comes out once, at that deadline. */
START_TEST(test_heap_equal)
{
	enum { N = 50 };
	struct timer_heap h;
	bool seen[N] = { false };
	uint32_t k;

	ck_assert_int_eq(timer_heap_init(&h, N), 0);
	for (uint32_t i = 0; i < N; i++)
		timer_heap_set(&h, i, 5);
	/* One moved before the crowd, one after it. */
	timer_heap_set(&h, 17, 4);
	timer_heap_set(&h, 0, 6);
	ck_assert_uint_eq(pop(&h, &k), 4);
	ck_assert_uint_eq(k, 17);
	for (uint32_t i = 0; i < N - 2; i++) {
		ck_assert_uint_eq(pop(&h, &k), 5);
		ck_assert(k != 17 && k != 0 && !seen[k]);
		seen[k] = true;
	}
	ck_assert_uint_eq(pop(&h, &k), 6);
	ck_assert_uint_eq(k, 0);
	ck_assert_uint_eq(h.n, 0);
	timer_heap_free(&h);
}
END_TEST

/* Drained, the timers come out in order of deadline, each key once. */
START_TEST(test_heap_drain)
{
	enum { N = 1000 };
	struct timer_heap h;
	bool seen[N] = { false };
	uint64_t last = 0, at;
	uint32_t k;

	rng_seed(12345);
	ck_assert_int_eq(timer_heap_init(&h, N), 0);
	for (uint32_t i = 0; i < N; i++)
		timer_heap_set(&h, i, rng_below(400));
	/* Half of them moved. */
	for (uint32_t i = 0; i < N; i += 2)
		timer_heap_set(&h, i, rng_below(400));
	for (uint32_t i = 0; i < N; i++) {
		at = pop(&h, &k);
		ck_assert_uint_ge(at, last);
		ck_assert(!seen[k]);
		seen[k] = true;
		last = at;
	}
	ck_assert(!timer_heap_first(&h, &k, &at));
	timer_heap_free(&h);
}
END_TEST

#define HEAP_KEYS 64

/* The first timer, by a scan of the model: its deadline, or none. */
static bool model_first(const bool *set, const uint64_t *at, uint64_t *ret_at)
{
	bool any = false;

	for (uint32_t k = 0; k < HEAP_KEYS; k++)
		if (set[k] && (!any || at[k] < *ret_at)) {
			*ret_at = at[k];
			any = true;
		}
	return any;
}

START_TEST(test_heap_model)
{
	struct timer_heap h;
	bool set[HEAP_KEYS] = { false };
	uint64_t at[HEAP_KEYS] = { 0 }, want_at = 0, got_at;
	uint32_t got_key, k;
	size_t n = 0;

	rng_seed(0xc0ffee);
	ck_assert_int_eq(timer_heap_init(&h, HEAP_KEYS), 0);
	for (unsigned op = 0; op < 50000; op++) {
		unsigned what = rng_below(100);

		k = rng_below(HEAP_KEYS);
		if (what < 45) {
			/* Few distinct deadlines: many ties. */
			uint64_t t = what < 2 ? UINT64_MAX : rng_below(64);

			timer_heap_set(&h, k, t);
			n += !set[k];
			set[k] = true;
			at[k] = t;
		} else if (what < 70) {
			timer_heap_clear(&h, k);
			n -= set[k];
			set[k] = false;
		} else if (what < 95) {
			if (timer_heap_first(&h, &got_key, &got_at)) {
				timer_heap_clear(&h, got_key);
				ck_assert(set[got_key]);
				set[got_key] = false;
				n--;
			}
		} else {
			/* Keys that do not exist change nothing. */
			timer_heap_set(&h, HEAP_KEYS + k, 0);
			timer_heap_clear(&h, HEAP_KEYS + k);
		}
		ck_assert_uint_eq(h.n, n);
		if (!model_first(set, at, &want_at)) {
			ck_assert(!timer_heap_first(&h, &got_key, &got_at));
			continue;
		}
		ck_assert(timer_heap_first(&h, &got_key, &got_at));
		ck_assert_msg(got_at == want_at, "op %u: first at %llu, want %llu", op,
			      (unsigned long long)got_at, (unsigned long long)want_at);
		ck_assert(set[got_key] && at[got_key] == got_at);
	}
	timer_heap_free(&h);
}
END_TEST

/* ---- private memory ---- */

static size_t page;

/* Whether [p, p + len) is mapped in this process: 1 or 0 (msync fails
 * with ENOMEM on a range that is not), -1 when msync fails otherwise. */
static int map_state(const void *p, size_t len)
{
	uintptr_t start = (uintptr_t)p & ~(uintptr_t)(page - 1);
	uintptr_t end = ((uintptr_t)p + len + page - 1) & ~(uintptr_t)(page - 1);

	if (msync((void *)start, end - start, MS_ASYNC) == 0)
		return 1;
	return errno == ENOMEM ? 0 : -1;
}

static bool mapped(const void *p, size_t len)
{
	int m = map_state(p, len);

	ck_assert_int_ge(m, 0);
	return m == 1;
}

static void page_setup(void)
{
	page = (size_t)sysconf(_SC_PAGESIZE);
}

static const struct {
	size_t n, size;
} sizes[] = {
	{ 1, 1 }, { 63, 1 }, { 1, 64 }, { 3, 1000 }, { 1, 4096 - 64 }, { 1, 4096 },
	{ 4096, 3 }, { 1 << 20, 1 }, { 0, 8 }, { 8, 0 }, { 0, 0 },
};

START_TEST(test_mem_zeroed_aligned)
{
	size_t len = sizes[_i].n * sizes[_i].size;
	uint8_t *p;

	errno = 0;
	p = private_calloc(sizes[_i].n, sizes[_i].size);
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq((uintptr_t)p % 64, 0);
	for (size_t i = 0; i < len; i++)
		ck_assert_uint_eq(p[i], 0);
	ck_assert(mapped(p, len ? len : 1));
	/* All of it is ours to write. */
	memset(p, 0xff, len);
	private_free(p);
}
END_TEST

/* Gone once freed, the last page included. */
START_TEST(test_mem_free_unmaps)
{
	size_t len = 3 * page + 100;
	uint8_t *p = private_calloc(len, 1);

	ck_assert_ptr_nonnull(p);
	ck_assert(mapped(p, len));
	private_free(p);
	ck_assert(!mapped(p, 1));
	ck_assert(!mapped(p + len - 1, 1));
	private_free(NULL);
}
END_TEST

static const struct {
	size_t n, size;
} overflows[] = {
	{ SIZE_MAX, 2 },
	{ 2, SIZE_MAX },
	{ SIZE_MAX / 2 + 1, 2 },
	{ (SIZE_MAX >> 16) + 1, 1 << 16 },
	/* n * size fits, but not with the 64 bytes in front of it. */
	{ SIZE_MAX / 8, 8 },
	{ SIZE_MAX - 63, 1 },
	{ 1, SIZE_MAX - 63 },
};

START_TEST(test_mem_overflow)
{
	errno = 0;
	ck_assert_ptr_null(private_calloc(overflows[_i].n, overflows[_i].size));
	ck_assert_int_eq(errno, ENOMEM);
}
END_TEST

/* What a child forked now can see of p (len bytes holding fill): bit 0 if
 * the first page is mapped, bit 1 the last, bit 2 if the bytes read back
 * (only read when mapped), bit 3 if msync failed otherwise. */
static int child_sees(const uint8_t *p, size_t len, uint8_t fill)
{
	pid_t pid = fork();
	int status;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int first = map_state(p, 1), last = map_state(p + len - 1, 1);
		int seen = (first == 1 ? 1 : 0) | (last == 1 ? 2 : 0);

		if (first < 0 || last < 0)
			seen |= 8;
		if (seen == 3) {
			size_t i;

			for (i = 0; i < len && p[i] == fill; i++)
				;
			seen |= i == len ? 4 : 0;
		}
		_exit(seen);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

START_TEST(test_mem_not_inherited)
{
	size_t len = 5 * page;
	uint8_t *priv = private_calloc(len, 1);
	uint8_t *small = calloc(100, 1), *big = calloc(len, 1);

	ck_assert_ptr_nonnull(priv);
	ck_assert_ptr_nonnull(small);
	ck_assert_ptr_nonnull(big);
	memset(priv, 0x5a, len);
	memset(small, 0x5a, 100);
	memset(big, 0x5a, len);
	/* The controls: ordinary memory is the child's copy, heap or mmap. */
	ck_assert_int_eq(child_sees(small, 100, 0x5a), 7);
	ck_assert_int_eq(child_sees(big, len, 0x5a), 7);
	/* Private memory is absent from the child, first page to last. */
	ck_assert_int_eq(child_sees(priv, len, 0x5a), 0);
	/* And still the parent's, untouched. */
	ck_assert(mapped(priv, len));
	for (size_t i = 0; i < len; i++)
		ck_assert_uint_eq(priv[i], 0x5a);
	free(small);
	free(big);
	private_free(priv);
}
END_TEST

/* The tables themselves live in it: a child has no index and no heap. */
START_TEST(test_mem_tables_not_inherited)
{
	struct addr_index ix;
	struct timer_heap h;

	ck_assert_int_eq(addr_index_init(&ix, 64), 0);
	ck_assert_int_eq(timer_heap_init(&h, 64), 0);
	ck_assert_int_eq(child_sees((const uint8_t *)ix.key, 64 * sizeof(*ix.key), 0), 0);
	ck_assert_int_eq(child_sees((const uint8_t *)ix.head, ix.n_buckets * sizeof(*ix.head),
				    0xff),
			 0);
	ck_assert_int_eq(child_sees((const uint8_t *)h.at, 64 * sizeof(*h.at), 0), 0);
	ck_assert_int_eq(child_sees((const uint8_t *)h.pos, 64 * sizeof(*h.pos), 0xff), 0);
	timer_heap_free(&h);
	addr_index_free(&ix);
}
END_TEST

static Suite *tables_suite(void)
{
	Suite *s = suite_create("monitor-tables");
	TCase *tc;

	tc = tcase_create("addr-key");
	tcase_add_test(tc, test_key_ipv4);
	tcase_add_test(tc, test_key_v4_mapped);
	tcase_add_test(tc, test_key_ipv6_scope);
	tcase_add_test(tc, test_key_family_distinct);
	tcase_add_test(tc, test_key_other_family);
	suite_add_tcase(s, tc);

	tc = tcase_create("addr-index");
	tcase_add_test(tc, test_index_basic);
	tcase_add_test(tc, test_index_ports);
	tcase_add_test(tc, test_index_same_key);
	tcase_add_test(tc, test_index_collisions);
	tcase_add_test(tc, test_siphash_vectors);
	tcase_add_test(tc, test_index_seeded);
	tcase_add_test(tc, test_index_full);
	tcase_add_test(tc, test_index_empty);
	tcase_add_test(tc, test_index_model);
	suite_add_tcase(s, tc);

	tc = tcase_create("timer-heap");
	tcase_add_loop_test(tc, test_heap_script, 0, (int)ARRAY_SIZE(scripts));
	tcase_add_test(tc, test_heap_equal);
	tcase_add_test(tc, test_heap_drain);
	tcase_add_test(tc, test_heap_model);
	suite_add_tcase(s, tc);

	tc = tcase_create("private-mem");
	tcase_add_unchecked_fixture(tc, page_setup, NULL);
	tcase_add_loop_test(tc, test_mem_zeroed_aligned, 0, (int)ARRAY_SIZE(sizes));
	tcase_add_test(tc, test_mem_free_unmaps);
	tcase_add_loop_test(tc, test_mem_overflow, 0, (int)ARRAY_SIZE(overflows));
	tcase_add_test(tc, test_mem_not_inherited);
	tcase_add_test(tc, test_mem_tables_not_inherited);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(tables_suite());
	int number_failed;

	srunner_run_all(sr, CK_ENV);
	number_failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return number_failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
