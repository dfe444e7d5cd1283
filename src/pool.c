/*
 * pool.c - spares, children bound to one client address, linger, retire.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pool.h"
#include "private-mem.h"
#include "util.h"

#define START_TIMEOUT_US 5000000 /* a child not jailed by then never will be */

int pool_init(struct pool *p, struct loop *loop, const struct jail_config *jail,
	      int child_stderr, bool privileged, size_t cap, size_t spares, unsigned linger_s)
{
	memset(p, 0, sizeof(*p));
	p->loop = loop;
	p->jail = jail;
	p->child_stderr = child_stderr;
	p->privileged = privileged;
	p->cap = cap;
	p->spares = spares;
	p->linger_us = (uint64_t)linger_s * 1000000;
	/* Retired children keep their slot until reaped, which is soon. */
	p->n_slots = 2 * cap;
	p->idle_head = p->idle_tail = POOL_NONE;
	p->ch = private_calloc(p->n_slots, sizeof(*p->ch));
	if (p->ch == NULL || addr_index_init(&p->by_host, p->n_slots) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_slots; i++)
		p->ch[i].c = (struct child){ .state = CHILD_FREE, .sock = -1 };
	return 0;
}

/* ---- the list of idle bound children, oldest first ------------------- */

static void idle_push(struct pool *p, uint32_t ci)
{
	struct pool_child *c = &p->ch[ci];

	c->listed = true;
	c->prev = p->idle_tail;
	c->next = POOL_NONE;
	if (p->idle_tail != POOL_NONE)
		p->ch[p->idle_tail].next = ci;
	else
		p->idle_head = ci;
	p->idle_tail = ci;
}

static void idle_remove(struct pool *p, uint32_t ci)
{
	struct pool_child *c = &p->ch[ci];

	if (c->prev != POOL_NONE)
		p->ch[c->prev].next = c->next;
	else
		p->idle_head = c->next;
	if (c->next != POOL_NONE)
		p->ch[c->next].prev = c->prev;
	else
		p->idle_tail = c->prev;
	c->prev = c->next = POOL_NONE;
	c->listed = false;
}

/* ---- starting and ending children ------------------------------------ */

static uint32_t free_slot(const struct pool *p)
{
	for (size_t i = 0; i < p->n_slots; i++)
		if (p->ch[i].c.state == CHILD_FREE)
			return (uint32_t)i;
	return POOL_NONE;
}

static uint32_t start_child(struct pool *p)
{
	uint32_t ci = free_slot(p);
	struct pool_child *c;
	int r;

	if (ci == POOL_NONE || p->active >= p->cap || p->stopping)
		return POOL_NONE;
	c = &p->ch[ci];
	r = spawn_child(&c->c, p->jail, p->child_stderr);
	if (r < 0) {
		log_msg(LOG_ERR, "cannot fork a transfer child: %s", strerror(-r));
		return POOL_NONE;
	}
	c->bound = false;
	c->transfer = POOL_NONE;
	c->since = now_usec();
	c->prev = c->next = POOL_NONE;
	if (loop_watch(p->loop, c->c.sock, LOOP_CHILD, ci) < 0) {
		spawn_kill(&c->c, p->privileged);
		spawn_close(&c->c);
		return POOL_NONE;
	}
	p->active++;
	c->counted = true;
	loop_timer_set(p->loop, LOOP_CHILD, ci, c->since + START_TIMEOUT_US);
	return ci;
}

/* No longer counted: it is on its way out. */
static void leave(struct pool *p, uint32_t ci)
{
	struct pool_child *c = &p->ch[ci];

	if (c->listed)
		idle_remove(p, ci);
	if (c->counted)
		p->active--;
	c->counted = false;
	addr_index_remove(&p->by_host, ci);
	loop_timer_clear(p->loop, LOOP_CHILD, ci);
	if (c->c.sock >= 0)
		loop_unwatch(p->loop, c->c.sock);
}

void pool_retire(struct pool *p, uint32_t ci)
{
	struct pool_child *c = &p->ch[ci];

	leave(p, ci);
	spawn_close(&c->c);
	c->c.state = CHILD_EXITING;
}

void pool_kill(struct pool *p, uint32_t ci)
{
	struct pool_child *c = &p->ch[ci];

	leave(p, ci);
	spawn_kill(&c->c, p->privileged);
	spawn_close(&c->c);
}

static size_t unbound_spares(const struct pool *p)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n_slots; i++) {
		const struct pool_child *c = &p->ch[i];

		n += !c->bound && (c->c.state == CHILD_IDLE || c->c.state == CHILD_STARTING);
	}
	return n;
}

void pool_refill(struct pool *p)
{
	size_t have;

	if (p->stopping || p->jail_failures >= 10)
		return;
	for (have = unbound_spares(p); have < p->spares; have++)
		if (start_child(p) == POOL_NONE)
			return;
}

/* ---- which child for which client ------------------------------------ */

static uint32_t own_idle_child(const struct pool *p, const struct addr_key *host)
{
	for (uint32_t ci = addr_index_find(&p->by_host, host); ci != ADDR_INDEX_NONE;
	     ci = addr_index_find_next(&p->by_host, ci))
		if (p->ch[ci].c.state == CHILD_IDLE)
			return ci;
	return POOL_NONE;
}

/* A spare: ready ones first, else one still being jailed (the job waits
 * in its socket until it is). */
static uint32_t spare_child(const struct pool *p)
{
	uint32_t starting = POOL_NONE;

	for (size_t i = 0; i < p->n_slots; i++) {
		const struct pool_child *c = &p->ch[i];

		if (c->bound)
			continue;
		if (c->c.state == CHILD_IDLE)
			return (uint32_t)i;
		if (c->c.state == CHILD_STARTING && starting == POOL_NONE)
			starting = (uint32_t)i;
	}
	return starting;
}

uint32_t pool_child_for(struct pool *p, const struct addr_key *host)
{
	uint32_t ci = own_idle_child(p, host);

	if (ci != POOL_NONE) {
		idle_remove(p, ci);
		loop_timer_clear(p->loop, LOOP_CHILD, ci);
		return ci;
	}
	ci = spare_child(p);
	if (ci == POOL_NONE) {
		/* Full: the longest idle child of another client makes room. */
		if (p->active >= p->cap && p->idle_head != POOL_NONE)
			pool_retire(p, p->idle_head);
		ci = start_child(p);
		if (ci == POOL_NONE)
			return POOL_NONE;
	}
	if (p->ch[ci].c.state == CHILD_IDLE)
		loop_timer_clear(p->loop, LOOP_CHILD, ci);
	p->ch[ci].bound = true;
	p->ch[ci].host = *host;
	addr_index_add(&p->by_host, ci, host);
	return ci;
}

int pool_send_job(struct pool *p, uint32_t ci, const struct psep_job *job, const int fds[2],
		  uint32_t transfer)
{
	struct pool_child *c = &p->ch[ci];
	int r = spawn_send_job(&c->c, job, fds);

	if (r < 0) {
		log_msg(LOG_ERR, "cannot hand a job to child %d: %s", (int)c->c.pid, strerror(-r));
		pool_kill(p, ci);
		return r;
	}
	c->transfer = transfer;
	return 0;
}

void pool_job_done(struct pool *p, uint32_t ci, bool upload)
{
	struct pool_child *c = &p->ch[ci];

	/* After an upload the child exits on its own (child.c): it must hold
	 * nothing of the file once the monitor gives it its public name, and
	 * the monitor waits for its exit, so it remembers the transfer. */
	if (upload || p->stopping || p->linger_us == 0) {
		if (!upload)
			c->transfer = POOL_NONE;
		pool_retire(p, ci);
		return;
	}
	c->transfer = POOL_NONE;
	c->since = now_usec();
	idle_push(p, ci);
	loop_timer_set(p->loop, LOOP_CHILD, ci, c->since + p->linger_us);
}

/* ---- events ---------------------------------------------------------- */

int pool_on_message(struct pool *p, uint32_t ci, struct psep_msg *ret_msg)
{
	struct pool_child *c = &p->ch[ci];
	bool starting = c->c.state == CHILD_STARTING;
	int r = spawn_receive(&c->c, ret_msg);

	if (r == -EAGAIN)
		return 0;
	if (r == -ECONNRESET) {
		/* It exited; SIGCHLD tells how (a BUSY one stays BUSY, so
		 * that its transfer is ended then). */
		leave(p, ci);
		spawn_close(&c->c);
		if (c->c.state != CHILD_BUSY)
			c->c.state = CHILD_EXITING;
		return r;
	}
	if (r < 0) {
		/* Its transfer, if any, is ended when it is reaped. */
		log_msg(LOG_ERR, "transfer child %d broke the protocol: killed", (int)c->c.pid);
		pool_kill(p, ci);
		return r;
	}
	if (ret_msg->type == PSEP_MSG_READY) {
		p->jail_failures = 0;
		if (starting) {
			loop_timer_clear(p->loop, LOOP_CHILD, ci);
			c->since = now_usec();
		}
		return 0;
	}
	return 1;
}

void pool_on_timer(struct pool *p, uint32_t ci)
{
	struct pool_child *c = &p->ch[ci];

	if (c->c.state == CHILD_STARTING) {
		log_msg(LOG_ERR, "transfer child %d not jailed within %d s: killed", (int)c->c.pid,
			START_TIMEOUT_US / 1000000);
		pool_kill(p, ci);
	} else if (c->listed) {
		pool_retire(p, ci);
	}
}

uint32_t pool_find_pid(const struct pool *p, pid_t pid)
{
	for (size_t i = 0; i < p->n_slots; i++)
		if (p->ch[i].c.state != CHILD_FREE && p->ch[i].c.pid == pid)
			return (uint32_t)i;
	return POOL_NONE;
}

bool pool_reaped(struct pool *p, uint32_t ci)
{
	struct pool_child *c = &p->ch[ci];
	bool jail_failed = !c->c.ready;

	leave(p, ci);
	spawn_close(&c->c);
	*c = (struct pool_child){ .c = { .state = CHILD_FREE, .sock = -1 } };
	if (jail_failed && !p->stopping)
		p->jail_failures++;
	return jail_failed;
}

void pool_stop(struct pool *p)
{
	p->stopping = true;
	for (size_t i = 0; i < p->n_slots; i++) {
		enum child_state st = p->ch[i].c.state;

		if (st == CHILD_IDLE || st == CHILD_STARTING)
			pool_retire(p, (uint32_t)i);
	}
}

void pool_kill_all(struct pool *p)
{
	for (size_t i = 0; i < p->n_slots; i++)
		if (p->ch[i].c.state != CHILD_FREE)
			pool_kill(p, (uint32_t)i);
}

size_t pool_count(const struct pool *p, enum child_state state)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n_slots; i++)
		n += p->ch[i].c.state == state;
	return n;
}

size_t pool_live(const struct pool *p)
{
	return p->n_slots - pool_count(p, CHILD_FREE);
}
