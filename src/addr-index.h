/*
 * addr-index.h - find records by client address, in constant time.
 *
 * Pure: keys in, record numbers out; no I/O, no allocation after init.
 * The monitor keeps two: transfers by address and port (a resent request
 * must not start a second transfer), and children by address (a child
 * serves one client address for its whole life, and takes that client's
 * next request).
 */
#ifndef CLOISTER_ADDR_INDEX_H
#define CLOISTER_ADDR_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/*
 * A client address in one canonical form: an IPv4 client is the same key
 * whether it came on an IPv4 socket or, v4-mapped, on a dual-stack one; an
 * IPv6 link-local address keeps its link. port is 0 for a key of the host
 * alone.
 */
struct addr_key {
	uint8_t family;     /* 4 or 6; 0 for none */
	uint8_t addr[16];   /* IPv4 in the first 4 bytes, the rest 0 */
	uint32_t scope;     /* IPv6 link-local: the interface index */
	uint16_t port;      /* host order */
};

/* The key of sa (with its port when with_port). False for a family other
 * than IPv4 or IPv6. */
bool addr_key_from(const struct sockaddr *sa, bool with_port, struct addr_key *ret);

bool addr_key_equal(const struct addr_key *a, const struct addr_key *b);

/* The host's address as text, without port or link: "192.0.2.7",
 * "2001:db8::7" (an IPv4 client in its IPv4 form). Returns buf, "" when
 * the key has no family. */
#define ADDR_KEY_TEXT_MAX 46 /* INET6_ADDRSTRLEN */
char *addr_key_host_text(const struct addr_key *k, char *buf, size_t size);

/* The key of every table's hash, once at start, before any table holds a
 * record: 16 random bytes (getrandom). Without it the key is zero. */
void addr_index_set_seed(const uint8_t seed[16]);

#define ADDR_INDEX_NONE UINT32_MAX

/* Records 0..n_records-1, each in the index at most once. */
struct addr_index {
	size_t n_buckets;       /* a power of two */
	size_t n_records;
	uint32_t *head;         /* n_buckets */
	uint32_t *next;         /* n_records */
	struct addr_key *key;   /* n_records */
	bool *in;               /* n_records */
};

/* Room for n_records records. 0 or -ENOMEM; free with addr_index_free. */
int addr_index_init(struct addr_index *ix, size_t n_records);
void addr_index_free(struct addr_index *ix);

/* Enter record (not in the index yet) under key. */
void addr_index_add(struct addr_index *ix, uint32_t record, const struct addr_key *key);

/* Take record out, if it is in. */
void addr_index_remove(struct addr_index *ix, uint32_t record);

/* The first record under key, or ADDR_INDEX_NONE; the next one after
 * `record` with addr_index_find_next. */
uint32_t addr_index_find(const struct addr_index *ix, const struct addr_key *key);
uint32_t addr_index_find_next(const struct addr_index *ix, uint32_t record);

#endif
