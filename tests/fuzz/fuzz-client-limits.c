/*
 * fuzz-client-limits.c - per-client limits (client-limits.c) and the log
 * limiter (rate-limit.c), run as a state machine.
 *
 * The input is a script (fuzz-engine.h) of operations on a table of 8
 * entries shared by 12 addresses (IPv4, the same v4-mapped, IPv6 in two
 * /64s): checks, offences, steps of the clock (small, large, to the far
 * end, and back), new configurations and log lines.
 *
 * Checked after every step: the table's lists, heap and index agree; an
 * address refused until some time is never CLIENT_OK before it (unless a
 * new cap shortened the penalty); a refusal ends after now and no later
 * than the cap; at one instant an address gets at most a burst of
 * requests through; and every log line is either let through or counted
 * exactly once as suppressed.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "client-limits.h"
#include "fuzz-engine.h"
#include "rate-limit.h"

#define ENTRIES 8
#define ADDRS 12
#define REASONS (LOG_LIMIT_REASONS + 2)

struct world {
	struct client_limits cl;
	struct log_limiter log;
	struct addr_key key[ADDRS];
	uint64_t now;
	uint64_t refused_until[ADDRS]; /* from the last CLIENT_PENALISED; 0: none */
	unsigned through[ADDRS];       /* not dropped at this instant */
	uint64_t evicted;              /* cl.evicted when `through` was reset */
	uint64_t log_calls[REASONS], log_lines[REASONS], log_reported[REASONS];
};

static struct addr_key key_of(unsigned i)
{
	static const char *const addrs[ADDRS] = {
		"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6",
		"::ffff:10.0.0.1", "::ffff:10.0.0.2",
		"2001:db8::1", "2001:db8::2", "2001:db8:0:1::1", "2001:db8:0:1::2",
	};
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;
	struct addr_key k;

	memset(&s4, 0, sizeof(s4));
	memset(&s6, 0, sizeof(s6));
	if (inet_pton(AF_INET, addrs[i], &s4.sin_addr) == 1) {
		s4.sin_family = AF_INET;
		CHECK(addr_key_from((const struct sockaddr *)&s4, false, &k));
	} else {
		CHECK(inet_pton(AF_INET6, addrs[i], &s6.sin6_addr) == 1);
		s6.sin6_family = AF_INET6;
		s6.sin6_port = htons((uint16_t)(1000 + i));
		CHECK(addr_key_from((const struct sockaddr *)&s6, true, &k));
	}
	return k;
}

static unsigned pick(struct script *s, const unsigned *v, size_t n)
{
	return v[script_byte(s) % n];
}

static struct client_limits_config script_config(struct script *s)
{
	static const unsigned rates[] = { 0, 1, 2, 3, 10, 50, 1000, RATE_LIMIT_MAX };
	static const unsigned bursts[] = { 0, 1, 2, 5, 50, RATE_LIMIT_MAX };
	static const unsigned secs[] = { 0, 1, 2, 15, 90, 600, CLIENT_LIMITS_PENALTY_MAX_S };
	static const unsigned prefixes[] = { 0, 1, 48, 64, 65, 127, 128 };
	struct client_limits_config c;

	c.rate_per_s = pick(s, rates, sizeof(rates) / sizeof(rates[0]));
	c.burst = pick(s, bursts, sizeof(bursts) / sizeof(bursts[0]));
	c.penalty_malformed_s = pick(s, secs, sizeof(secs) / sizeof(secs[0]));
	c.penalty_crash_s = pick(s, secs, sizeof(secs) / sizeof(secs[0]));
	c.penalty_min_s = pick(s, secs, sizeof(secs) / sizeof(secs[0]));
	c.penalty_max_s = pick(s, secs, sizeof(secs) / sizeof(secs[0]));
	c.ipv6_prefix_len = pick(s, prefixes, sizeof(prefixes) / sizeof(prefixes[0]));
	return c;
}

static unsigned burst_now(const struct world *w)
{
	return w->cl.cfg.burst ? w->cl.cfg.burst : w->cl.cfg.rate_per_s;
}

/* A new instant, or a table that forgot: the burst is counted anew. */
static void new_instant(struct world *w)
{
	memset(w->through, 0, sizeof(w->through));
	w->evicted = w->cl.evicted;
}

static void do_check(struct world *w, unsigned a)
{
	struct client_penalty p = { 0, CLIENT_OFFENCE_MAX };
	uint64_t untracked = w->cl.untracked;
	uint64_t cap = (uint64_t)w->cl.cfg.penalty_max_s * 1000000u;
	enum client_verdict v = client_limits_check(&w->cl, &w->key[a], w->now, &p);

	CHECK(v == CLIENT_OK || v == CLIENT_RATE_LIMITED || v == CLIENT_PENALISED);
	if (w->cl.evicted != w->evicted)
		new_instant(w);
	if (v == CLIENT_OK)
		CHECK(w->now >= w->refused_until[a]);
	if (v == CLIENT_PENALISED) {
		CHECK(p.why == CLIENT_OFFENCE_MALFORMED || p.why == CLIENT_OFFENCE_CRASH);
		CHECK(p.until_us > w->now || (w->now == UINT64_MAX && p.until_us == UINT64_MAX));
		CHECK(p.until_us - w->now <= cap);
		w->refused_until[a] = p.until_us;
	} else {
		CHECK(p.until_us == 0 && p.why == CLIENT_OFFENCE_MAX);
	}
	if (v != CLIENT_RATE_LIMITED && w->cl.untracked == untracked && w->cl.cfg.rate_per_s) {
		w->through[a]++;
		CHECK(w->through[a] <= burst_now(w));
	}
}

/* What the clock does: a little, a lot, to the far end, or back. */
static void do_time(struct world *w, struct script *s)
{
	uint8_t how = script_byte(s);
	uint64_t step, was = w->now;

	switch (how % 5) {
	case 0:
		step = script_byte(s);
		break;
	case 1:
		step = (uint64_t)script_u16(s) * 1000u;
		break;
	case 2:
		step = (uint64_t)script_u16(s) * 1000000u;
		break;
	case 3:
		w->now = UINT64_MAX - (uint64_t)script_u16(s) * 1000000u;
		step = 0;
		break;
	default:
		/* Back: the monitor's clock never does, but nothing may break. */
		w->now -= w->now < 1000000u ? w->now : 1000000u;
		step = 0;
		break;
	}
	w->now = w->now > UINT64_MAX - step ? UINT64_MAX : w->now + step;
	/* A penalty ended at a later time stays ended: no promise holds
	 * across a clock gone back. */
	if (w->now < was)
		memset(w->refused_until, 0, sizeof(w->refused_until));
	new_instant(w);
}

static void do_config(struct world *w, struct script *s)
{
	struct client_limits_config old = w->cl.cfg, c = script_config(s);
	uint64_t cap;

	if (client_limits_set_config(&w->cl, &c) < 0) {
		CHECK(memcmp(&w->cl.cfg, &old, sizeof(old)) == 0);
		return;
	}
	/* A lower cap shortens refusals; new IPv6 keys forget them. */
	cap = (uint64_t)c.penalty_max_s * 1000000u;
	cap = w->now > UINT64_MAX - cap ? UINT64_MAX : w->now + cap;
	for (unsigned a = 0; a < ADDRS; a++) {
		if (w->refused_until[a] > cap)
			w->refused_until[a] = cap;
		if (c.ipv6_prefix_len != old.ipv6_prefix_len && w->key[a].family == 6)
			w->refused_until[a] = 0;
	}
	new_instant(w);
}

static void do_log(struct world *w, unsigned reason)
{
	unsigned sup = UINT32_MAX;
	unsigned slot = reason < LOG_LIMIT_REASONS ? reason : LOG_LIMIT_REASONS - 1;

	w->log_calls[slot]++;
	if (log_limiter_allow(&w->log, reason, w->now, &sup)) {
		CHECK(sup != UINT32_MAX);
		w->log_lines[slot]++;
		w->log_reported[slot] += sup;
	} else {
		CHECK(sup == UINT32_MAX);
	}
	CHECK(w->log_calls[slot] ==
	      w->log_lines[slot] + w->log_reported[slot] + w->log.reason[slot].suppressed);
}

/* The list, the heap and the index describe the same entries. */
static void check_table(const struct client_limits *cl)
{
	size_t on_list = 0;
	uint32_t prev = CLIENT_LIMITS_NONE;

	CHECK(cl->n_used <= cl->n_entries);
	for (uint32_t i = cl->oldest; i != CLIENT_LIMITS_NONE; i = cl->entry[i].newer) {
		CHECK(i < cl->n_used && on_list < cl->n_used);
		CHECK(cl->entry[i].older == prev);
		CHECK(cl->entry[i].penalty_until_us == 0 && !cl->entry[i].refused);
		CHECK(cl->penalty.pos[i] == TIMER_NONE);
		prev = i;
		on_list++;
	}
	CHECK(cl->newest == prev);
	CHECK(on_list + cl->penalty.n == cl->n_used);
	for (uint32_t i = 0; i < cl->n_used; i++) {
		const struct client_entry *e = &cl->entry[i];

		CHECK(cl->index.in[i]);
		CHECK(addr_index_find(&cl->index, &cl->index.key[i]) == i);
		CHECK(e->bucket.credit <= (uint64_t)RATE_LIMIT_MAX * 1000000u);
		CHECK(e->why < CLIENT_OFFENCE_MAX);
		if (e->penalty_until_us != 0)
			CHECK(cl->penalty.pos[i] != TIMER_NONE &&
			      cl->penalty.at[i] == e->penalty_until_us);
	}
}

static void step(struct world *w, struct script *s)
{
	uint8_t op = script_byte(s);

	switch (op % 8) {
	case 0:
	case 1:
	case 2:
		do_check(w, script_byte(s) % ADDRS);
		break;
	case 3:
		client_limits_offence(&w->cl, &w->key[script_byte(s) % ADDRS],
				      (enum client_offence)(script_byte(s) % (CLIENT_OFFENCE_MAX + 1)),
				      w->now);
		if (w->cl.evicted != w->evicted)
			new_instant(w);
		break;
	case 4:
	case 5:
		do_time(w, s);
		break;
	case 6:
		do_config(w, s);
		break;
	default:
		do_log(w, script_byte(s) % REASONS);
		break;
	}
	check_table(&w->cl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct client_limits_config defaults = CLIENT_LIMITS_CONFIG_DEFAULT;
	static struct world w;
	struct script s = { data, size };
	struct client_limits_config c;

	memset(&w, 0, sizeof(w));
	for (unsigned a = 0; a < ADDRS; a++)
		w.key[a] = key_of(a);
	c = script_config(&s);
	if (client_limits_init(&w.cl, 1 + script_byte(&s) % ENTRIES, &c) < 0)
		CHECK(client_limits_init(&w.cl, ENTRIES, &defaults) == 0);
	log_limiter_init(&w.log, script_byte(&s) % 4);
	w.now = (uint64_t)script_u16(&s) * 1000000u;
	w.evicted = 0;
	for (unsigned n = 0; s.left > 0 && n < 4096; n++)
		step(&w, &s);
	client_limits_free(&w.cl);
	return 0;
}
