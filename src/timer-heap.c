/*
 * timer-heap.c - a binary min-heap of deadlines with known places.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "timer-heap.h"
#include "private-mem.h"

int timer_heap_init(struct timer_heap *h, size_t n_keys)
{
	memset(h, 0, sizeof(*h));
	h->n_keys = n_keys;
	h->heap = private_calloc(n_keys ? n_keys : 1, sizeof(*h->heap));
	h->pos = private_calloc(n_keys ? n_keys : 1, sizeof(*h->pos));
	h->at = private_calloc(n_keys ? n_keys : 1, sizeof(*h->at));
	if (!h->heap || !h->pos || !h->at) {
		timer_heap_free(h);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n_keys; i++)
		h->pos[i] = TIMER_NONE;
	return 0;
}

void timer_heap_free(struct timer_heap *h)
{
	private_free(h->heap);
	private_free(h->pos);
	private_free(h->at);
	memset(h, 0, sizeof(*h));
}

static void place(struct timer_heap *h, size_t i, uint32_t key)
{
	h->heap[i] = key;
	h->pos[key] = (uint32_t)i;
}

static void sift_up(struct timer_heap *h, size_t i)
{
	uint32_t key = h->heap[i];

	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (h->at[h->heap[parent]] <= h->at[key])
			break;
		place(h, i, h->heap[parent]);
		i = parent;
	}
	place(h, i, key);
}

static void sift_down(struct timer_heap *h, size_t i)
{
	uint32_t key = h->heap[i];

	for (;;) {
		size_t child = 2 * i + 1;

		if (child >= h->n)
			break;
		if (child + 1 < h->n && h->at[h->heap[child + 1]] < h->at[h->heap[child]])
			child++;
		if (h->at[key] <= h->at[h->heap[child]])
			break;
		place(h, i, h->heap[child]);
		i = child;
	}
	place(h, i, key);
}

void timer_heap_set(struct timer_heap *h, uint32_t key, uint64_t at)
{
	size_t i;

	if (key >= h->n_keys)
		return;
	if (h->pos[key] == TIMER_NONE) {
		h->at[key] = at;
		place(h, h->n, key);
		sift_up(h, h->n++);
		return;
	}
	i = h->pos[key];
	h->at[key] = at;
	sift_up(h, i);
	sift_down(h, h->pos[key]);
}

void timer_heap_clear(struct timer_heap *h, uint32_t key)
{
	size_t i;
	uint32_t moved;

	if (key >= h->n_keys || h->pos[key] == TIMER_NONE)
		return;
	i = h->pos[key];
	h->pos[key] = TIMER_NONE;
	if (--h->n == i)
		return;
	/* The last entry fills the hole, then finds its place. */
	moved = h->heap[h->n];
	place(h, i, moved);
	sift_up(h, i);
	sift_down(h, h->pos[moved]);
}

bool timer_heap_first(const struct timer_heap *h, uint32_t *ret_key, uint64_t *ret_at)
{
	if (h->n == 0)
		return false;
	*ret_key = h->heap[0];
	*ret_at = h->at[h->heap[0]];
	return true;
}
