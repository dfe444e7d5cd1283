/*
 * timer-heap.h - the monitor's timers: one deadline per key, earliest
 * first.
 *
 * Pure: a binary min-heap over small integer keys (record numbers), with
 * each key's place remembered, so that setting, moving and clearing a
 * timer are O(log n) and nothing is allocated after init.
 */
#ifndef CLOISTER_TIMER_HEAP_H
#define CLOISTER_TIMER_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct timer_heap {
	size_t n_keys;
	size_t n;          /* timers set */
	uint32_t *heap;    /* n keys, earliest first */
	uint32_t *pos;     /* n_keys: place in heap, or TIMER_NONE */
	uint64_t *at;      /* n_keys: deadline */
};

#define TIMER_NONE UINT32_MAX

/* Keys 0..n_keys-1. 0 or -ENOMEM; free with timer_heap_free. */
int timer_heap_init(struct timer_heap *h, size_t n_keys);
void timer_heap_free(struct timer_heap *h);

/* Set key's timer to at, or move it there. */
void timer_heap_set(struct timer_heap *h, uint32_t key, uint64_t at);

/* Clear key's timer, if set. */
void timer_heap_clear(struct timer_heap *h, uint32_t key);

/* The earliest timer: true with its key and deadline, false when none. */
bool timer_heap_first(const struct timer_heap *h, uint32_t *ret_key, uint64_t *ret_at);

#endif
