/*
 * loop.h - what the monitor's event loop offers the parts it drives:
 * descriptors to watch and one timer per record.
 *
 * monitor.c implements it; pool.c (the children) and serve.c (the
 * transfers) use it, and never each other's records through it.
 */
#ifndef CLOISTER_LOOP_H
#define CLOISTER_LOOP_H

#include <stdint.h>

enum loop_kind {
	LOOP_LISTENER = 1, /* a port-69 socket: index of the listener */
	LOOP_CHILD = 2,    /* a child's socketpair end; a child's timer */
	LOOP_SIGNAL = 3,
	LOOP_TRANSFER = 4, /* a transfer socket the monitor reads itself; a transfer's timer */
	LOOP_RELAY = 5,    /* the fetcher's socket */
};

struct loop;

/* Watch fd for input (and errors) as (kind, index). 0 or -errno. */
int loop_watch(struct loop *l, int fd, enum loop_kind kind, uint32_t index);

/* Stop watching fd (before it is closed). */
void loop_unwatch(struct loop *l, int fd);

/* The one timer of record (kind, index): set or move it to the monotonic
 * time at (microseconds), or clear it. Only LOOP_CHILD and LOOP_TRANSFER
 * have timers. */
void loop_timer_set(struct loop *l, enum loop_kind kind, uint32_t index, uint64_t at);
void loop_timer_clear(struct loop *l, enum loop_kind kind, uint32_t index);

#endif
