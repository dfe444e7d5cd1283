/*
 * client-limits.c - the table of client addresses with their buckets and
 * penalties, and what it forgets when full. See client-limits.h.
 *
 * Eviction, when a new address needs an entry and none is free: first an
 * entry whose penalty has run out (the earliest end in the heap), then one
 * without a penalty, oldest first: of the few oldest, one whose bucket is
 * full (forgetting it loses nothing: a new entry starts full), else the
 * oldest. An entry with a running penalty is never forgotten, so a flood
 * from many (forged) addresses cannot wipe an offender's penalty; with
 * every entry penalised, a new address goes untracked (see the header).
 * Each step is O(1) or O(log n): the work per request is bounded.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>

#include "client-limits.h"
#include "private-mem.h"

#define US_PER_S 1000000u

/* How many of the oldest entries are looked at for a full bucket. */
#define EVICT_SCAN 4

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static unsigned burst_of(const struct client_limits_config *cfg)
{
	return cfg->burst ? cfg->burst : cfg->rate_per_s;
}

static bool config_valid(const struct client_limits_config *cfg)
{
	return cfg->rate_per_s <= RATE_LIMIT_MAX && cfg->burst <= RATE_LIMIT_MAX &&
	       cfg->penalty_malformed_s <= CLIENT_LIMITS_PENALTY_MAX_S &&
	       cfg->penalty_crash_s <= CLIENT_LIMITS_PENALTY_MAX_S &&
	       cfg->penalty_max_s <= CLIENT_LIMITS_PENALTY_MAX_S &&
	       (cfg->penalty_max_s == 0 || cfg->penalty_min_s <= cfg->penalty_max_s) &&
	       cfg->ipv6_prefix_len <= 128;
}

/* The key the table knows k by: the host alone, IPv6 by its prefix. */
static struct addr_key keyed(const struct client_limits *cl, const struct addr_key *k)
{
	struct addr_key key = *k;
	unsigned bits = cl->cfg.ipv6_prefix_len ? cl->cfg.ipv6_prefix_len : 128;

	key.port = 0;
	if (key.family != 6 || bits >= 128)
		return key;
	key.addr[bits / 8] &= (uint8_t)(0xff00u >> (bits % 8));
	memset(key.addr + bits / 8 + 1, 0, 15 - bits / 8);
	return key;
}

/* ---- the list of entries without a penalty, oldest first ---- */

static void list_unlink(struct client_limits *cl, uint32_t i)
{
	struct client_entry *e = &cl->entry[i];

	if (e->older != CLIENT_LIMITS_NONE)
		cl->entry[e->older].newer = e->newer;
	else
		cl->oldest = e->newer;
	if (e->newer != CLIENT_LIMITS_NONE)
		cl->entry[e->newer].older = e->older;
	else
		cl->newest = e->older;
	e->older = e->newer = CLIENT_LIMITS_NONE;
}

static void list_push_newest(struct client_limits *cl, uint32_t i)
{
	struct client_entry *e = &cl->entry[i];

	e->older = cl->newest;
	e->newer = CLIENT_LIMITS_NONE;
	if (cl->newest != CLIENT_LIMITS_NONE)
		cl->entry[cl->newest].newer = i;
	else
		cl->oldest = i;
	cl->newest = i;
}

/* A request from entry i: it becomes the newest, if on the list. */
static void touch(struct client_limits *cl, uint32_t i)
{
	if (cl->entry[i].penalty_until_us != 0)
		return;
	list_unlink(cl, i);
	list_push_newest(cl, i);
}

/* ---- penalties ---- */

static void penalty_end(struct client_limits *cl, uint32_t i)
{
	struct client_entry *e = &cl->entry[i];

	e->penalty_until_us = 0;
	e->refused = 0;
	e->why = CLIENT_OFFENCE_MALFORMED;
	timer_heap_clear(&cl->penalty, i);
	list_push_newest(cl, i);
}

/* Bring entry i's penalty to now_us: held to the cap of the current
 * configuration, and ended once run out. */
static void penalty_settle(struct client_limits *cl, uint32_t i, uint64_t now_us)
{
	struct client_entry *e = &cl->entry[i];
	uint64_t cap = add_sat(now_us, (uint64_t)cl->cfg.penalty_max_s * US_PER_S);

	if (e->penalty_until_us == 0)
		return;
	if (e->penalty_until_us > cap) {
		e->penalty_until_us = cap;
		timer_heap_set(&cl->penalty, i, cap);
	}
	if (e->penalty_until_us <= now_us)
		penalty_end(cl, i);
}

static unsigned penalty_of(const struct client_limits_config *cfg, enum client_offence o)
{
	if (cfg->penalty_max_s == 0)
		return 0;
	switch (o) {
	case CLIENT_OFFENCE_MALFORMED:
		return cfg->penalty_malformed_s;
	case CLIENT_OFFENCE_CRASH:
		return cfg->penalty_crash_s;
	case CLIENT_OFFENCE_MAX:
		break;
	}
	return 0;
}

/* ---- entries ---- */

/* Forget entry i, to use it again. */
static void evict(struct client_limits *cl, uint32_t i)
{
	if (cl->entry[i].penalty_until_us != 0)
		timer_heap_clear(&cl->penalty, i);
	else
		list_unlink(cl, i);
	addr_index_remove(&cl->index, i);
	cl->evicted++;
}

/* Of the few oldest entries on the list, one with a full bucket, else the
 * oldest; CLIENT_LIMITS_NONE when the list is empty. */
static uint32_t list_victim(const struct client_limits *cl, uint64_t now_us)
{
	unsigned burst = burst_of(&cl->cfg);
	uint32_t i = cl->oldest;

	for (int n = 0; n < EVICT_SCAN && i != CLIENT_LIMITS_NONE; n++) {
		if (rate_bucket_is_full(&cl->entry[i].bucket, cl->cfg.rate_per_s, burst, now_us))
			return i;
		i = cl->entry[i].newer;
	}
	return cl->oldest;
}

/* An entry to use for a new address, or CLIENT_LIMITS_NONE. */
static uint32_t take_entry(struct client_limits *cl, uint64_t now_us)
{
	uint32_t i;
	uint64_t until;

	if (cl->n_used < cl->n_entries)
		return (uint32_t)cl->n_used++;
	if (!timer_heap_first(&cl->penalty, &i, &until) || until > now_us)
		i = list_victim(cl, now_us);
	if (i != CLIENT_LIMITS_NONE)
		evict(cl, i);
	return i;
}

/* The entry of key, made for it when absent; CLIENT_LIMITS_NONE when
 * there is no room. */
static uint32_t entry_of(struct client_limits *cl, const struct addr_key *key, uint64_t now_us)
{
	uint32_t i = addr_index_find(&cl->index, key);
	struct client_entry *e;

	if (i != ADDR_INDEX_NONE) {
		penalty_settle(cl, i, now_us);
		return i;
	}
	i = take_entry(cl, now_us);
	if (i == CLIENT_LIMITS_NONE)
		return i;
	e = &cl->entry[i];
	memset(e, 0, sizeof(*e));
	rate_bucket_fill(&e->bucket, burst_of(&cl->cfg));
	addr_index_add(&cl->index, i, key);
	list_push_newest(cl, i);
	return i;
}

/* ---- the interface ---- */

int client_limits_init(struct client_limits *cl, size_t entries,
		       const struct client_limits_config *cfg)
{
	int r;

	memset(cl, 0, sizeof(*cl));
	cl->oldest = cl->newest = CLIENT_LIMITS_NONE;
	if (entries == 0 || entries > CLIENT_LIMITS_MAX_ENTRIES || !config_valid(cfg))
		return -EINVAL;
	cl->cfg = *cfg;
	cl->n_entries = entries;
	cl->entry = private_calloc(entries, sizeof(*cl->entry));
	r = cl->entry ? addr_index_init(&cl->index, entries) : -ENOMEM;
	if (r == 0)
		r = timer_heap_init(&cl->penalty, entries);
	if (r < 0)
		client_limits_free(cl);
	return r;
}

void client_limits_free(struct client_limits *cl)
{
	private_free(cl->entry);
	addr_index_free(&cl->index);
	timer_heap_free(&cl->penalty);
	memset(cl, 0, sizeof(*cl));
}

int client_limits_set_config(struct client_limits *cl, const struct client_limits_config *cfg)
{
	if (!config_valid(cfg))
		return -EINVAL;
	cl->cfg = *cfg;
	return 0;
}

enum client_verdict client_limits_check(struct client_limits *cl, const struct addr_key *k,
					uint64_t now_us, struct client_penalty *ret_penalty)
{
	struct addr_key key = keyed(cl, k);
	struct client_entry *e;
	uint32_t i;

	/* Without a rate, only an address already known can be penalised. */
	if (cl->cfg.rate_per_s == 0) {
		i = addr_index_find(&cl->index, &key);
		if (i != ADDR_INDEX_NONE)
			penalty_settle(cl, i, now_us);
	} else {
		i = entry_of(cl, &key, now_us);
		if (i == CLIENT_LIMITS_NONE)
			cl->untracked++;
	}
	if (i == CLIENT_LIMITS_NONE)
		return CLIENT_OK;
	e = &cl->entry[i];
	touch(cl, i);
	if (cl->cfg.rate_per_s != 0 &&
	    !rate_bucket_take(&e->bucket, cl->cfg.rate_per_s, burst_of(&cl->cfg), now_us))
		return CLIENT_RATE_LIMITED;
	if (!e->refused)
		return CLIENT_OK;
	ret_penalty->until_us = e->penalty_until_us;
	ret_penalty->why = (enum client_offence)e->why;
	return CLIENT_PENALISED;
}

void client_limits_offence(struct client_limits *cl, const struct addr_key *k,
			   enum client_offence o, uint64_t now_us)
{
	unsigned seconds = penalty_of(&cl->cfg, o);
	struct addr_key key = keyed(cl, k);
	struct client_entry *e;
	uint64_t from, until, cap;
	uint32_t i;

	if (seconds == 0)
		return;
	i = entry_of(cl, &key, now_us);
	if (i == CLIENT_LIMITS_NONE) {
		cl->offences_lost++;
		return;
	}
	e = &cl->entry[i];
	/* Penalties add up from what is left of the last one. */
	from = e->penalty_until_us ? e->penalty_until_us : now_us;
	cap = add_sat(now_us, (uint64_t)cl->cfg.penalty_max_s * US_PER_S);
	until = add_sat(from, (uint64_t)seconds * US_PER_S);
	if (until > cap)
		until = cap;
	if (e->penalty_until_us == 0)
		list_unlink(cl, i);
	e->penalty_until_us = until;
	timer_heap_set(&cl->penalty, i, until);
	if ((unsigned)o > e->why)
		e->why = (uint8_t)o;
	if (until - now_us >= (uint64_t)cl->cfg.penalty_min_s * US_PER_S)
		e->refused = 1;
}
