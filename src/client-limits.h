/*
 * client-limits.h - what one client address may cost the monitor: a rate
 * of requests, and penalties for malformed requests and crashed transfers.
 *
 * Pure: the caller passes the time (microseconds of a monotonic clock) and
 * acts on the verdict; nothing here reads a clock, does I/O or logs. All
 * memory is taken at init, for a fixed number of addresses.
 *
 * Rate: a token bucket per address, `rate_per_s` requests a second with a
 * burst of `burst`. The daemon drops a request over the rate without an
 * answer, so that a flood earns no traffic back.
 *
 * Penalties (the idea of OpenSSH's PerSourcePenalties): each offence adds
 * its seconds to the address's penalty, which runs down with time and is
 * capped at penalty_max_s. Once the penalty reaches penalty_min_s the
 * address is refused until the penalty has run out; it is then forgotten,
 * and starts from nothing.
 *
 * Keys: the host's address (its port is ignored); an IPv4 client is one
 * client on an IPv4 and on a dual-stack socket (struct addr_key). IPv6
 * addresses are keyed by their first ipv6_prefix_len bits: 128 by default,
 * since the clients of a TFTP server usually share one LAN, which is one
 * /64; an attacker who holds a /64 then has 2^64 addresses, each with its
 * own bucket and penalty, so an exposed server may want 64 (which makes
 * all link-local clients of one link one client too).
 *
 * Forgery: a UDP source address can be forged where the network does not
 * filter it. A forged flood costs the forged address only its own bucket
 * (it cannot starve another address), but malformed requests forged in a
 * victim's name penalise the victim: where forgery is possible, set
 * penalty_malformed_s to 0. A crash needs a transfer, whose replies go to
 * the real address, which makes forging one much harder.
 */
#ifndef CLOISTER_CLIENT_LIMITS_H
#define CLOISTER_CLIENT_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr-index.h"
#include "rate-limit.h"
#include "timer-heap.h"

/*
 * Addresses remembered by default, and at most. An entry costs 97 bytes
 * (40 here, 41 in the index, 16 in the heap): 4096 take 388 KiB, of
 * memory no child inherits (private-mem.h). That is more addresses than a
 * boot server's LAN has active at once; a flood from more forged
 * addresses only turns over the entries without a penalty, which gives
 * the forgers new buckets of their own and costs no one else anything.
 */
#define CLIENT_LIMITS_DEFAULT_ENTRIES 4096u
#define CLIENT_LIMITS_MAX_ENTRIES (1u << 20)

/* The largest penalty of any kind, and cap (a day). */
#define CLIENT_LIMITS_PENALTY_MAX_S 86400u

struct client_limits_config {
	unsigned rate_per_s;          /* requests a second per address; 0: no limit */
	unsigned burst;               /* requests at once after idling; 0: rate_per_s */
	unsigned penalty_malformed_s; /* per malformed request; 0: none */
	unsigned penalty_crash_s;     /* per transfer child that crashed; 0: none */
	unsigned penalty_min_s;       /* refused once the penalty reaches this */
	unsigned penalty_max_s;       /* the penalty's cap; 0: no penalties at all */
	unsigned ipv6_prefix_len;     /* the bits of an IPv6 address keyed; 0: 128 */
};

/*
 * The defaults. 50 requests a second, as many at once: pxelinux looks for
 * a dozen configuration names in a row, each perhaps resent, and this
 * leaves room for that while one address gets at most 50 answers a
 * second. A malformed request costs 1 s and refusal begins at 15 s (as
 * OpenSSH's noauth and min): a broken client is refused after 15 bad
 * requests in quick succession, not after one. A crash costs 90 s (as
 * OpenSSH's crash): above the minimum, so one crash refuses at once, and
 * an exploit that needs many tries (guessing a layout) gets about 40 an
 * hour. The cap, 600 s (OpenSSH's max), bounds how long a mistake locks
 * out a real client.
 */
#define CLIENT_LIMITS_CONFIG_DEFAULT                                                                \
	{                                                                                          \
		.rate_per_s = 50, .burst = 50, .penalty_malformed_s = 1, .penalty_crash_s = 90,    \
		.penalty_min_s = 15, .penalty_max_s = 600, .ipv6_prefix_len = 128,                 \
	}

enum client_verdict {
	CLIENT_OK = 0,           /* serve it */
	CLIENT_RATE_LIMITED = 1, /* drop it, without an answer */
	CLIENT_PENALISED = 2,    /* refuse it: one ERROR, with the reason */
	CLIENT_VERDICT_MAX
};

/* In order of gravity: a penalty's reason is the gravest in it. */
enum client_offence {
	CLIENT_OFFENCE_MALFORMED = 0, /* a request the codec rejected */
	CLIENT_OFFENCE_CRASH = 1,     /* a transfer child died of a signal */
	CLIENT_OFFENCE_MAX
};

/* Why and until when a penalised address is refused. */
struct client_penalty {
	uint64_t until_us;
	enum client_offence why;
};

/* One remembered address. In the index while used; then either on the
 * list, oldest first (no penalty), or in the heap (a penalty running). */
struct client_entry {
	struct rate_bucket bucket;
	uint64_t penalty_until_us; /* 0: no penalty */
	uint32_t older, newer;     /* the list; CLIENT_LIMITS_NONE at its ends */
	uint8_t refused;           /* the penalty reached the minimum */
	uint8_t why;               /* enum client_offence */
};

#define CLIENT_LIMITS_NONE UINT32_MAX

struct client_limits {
	struct client_limits_config cfg;
	size_t n_entries;
	size_t n_used;              /* entries 0..n_used-1 have been given out */
	struct client_entry *entry; /* n_entries */
	struct addr_index index;    /* entries by key */
	struct timer_heap penalty;  /* entries with a penalty, by its end */
	uint32_t oldest, newest;    /* the list of entries without a penalty */
	/* For the daemon's log and status: */
	uint64_t evicted;           /* entries forgotten to make room */
	uint64_t untracked;         /* checks of an address there was no room for */
	uint64_t offences_lost;     /* offences of an address there was no room for */
};

/*
 * Room for entries addresses (1..CLIENT_LIMITS_MAX_ENTRIES) under cfg.
 * 0, -EINVAL for a bad count or configuration (client_limits_set_config),
 * or -ENOMEM; on failure nothing is held. Free with client_limits_free.
 */
int client_limits_init(struct client_limits *cl, size_t entries,
		       const struct client_limits_config *cfg);
void client_limits_free(struct client_limits *cl);

/*
 * A new configuration, keeping what is remembered: credit is capped at the
 * new burst, a penalty at the new cap (a cap of 0 ends every penalty). A
 * new ipv6_prefix_len keys IPv6 addresses anew: entries under the old keys
 * no longer match, and age out. 0, or -EINVAL (nothing changed) for a rate
 * or burst above RATE_LIMIT_MAX, a penalty above
 * CLIENT_LIMITS_PENALTY_MAX_S, a minimum above a non-zero cap, or a prefix
 * length above 128.
 */
int client_limits_set_config(struct client_limits *cl, const struct client_limits_config *cfg);

/*
 * The verdict on a request from k at now_us. Each request not dropped
 * spends one of the address's tokens, a penalised one too: the ERRORs a
 * penalised address earns are held to its rate. For CLIENT_PENALISED,
 * *ret_penalty says until when and why; otherwise it is left alone.
 *
 * When every entry holds a running penalty there is no room for a new
 * address: it is not limited (CLIENT_OK), and counted in untracked. A
 * table full of penalties must not lock out every other client.
 */
enum client_verdict client_limits_check(struct client_limits *cl, const struct addr_key *k,
					uint64_t now_us, struct client_penalty *ret_penalty);

/* Record an offence of k at now_us. */
void client_limits_offence(struct client_limits *cl, const struct addr_key *k,
			   enum client_offence o, uint64_t now_us);

#endif
