/*
 * fetcher-cache.h - the relay's cache directory, kept by the fetcher.
 *
 * An entry is two files: its metadata "KEY.meta" (http-cache.h), which
 * names its body "KEY-GEN". A body is written and synced under a
 * temporary name, renamed, then the metadata the same way: the rename of
 * the metadata is the commit, so no reader ever sees half an entry; the
 * old body is unlinked after (descriptors open on it stay valid). KEY is
 * a hash of the URL (the metadata holds the URL itself).
 */
#ifndef CLOISTER_FETCHER_CACHE_H
#define CLOISTER_FETCHER_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "http-cache.h"

struct fetcher_cache {
	int dir;           /* -1: no cache */
	uint64_t max;      /* bytes of bodies kept */
	uint32_t gen;      /* for body names */
};

/* Open DIR (before the jail) and remove what a crash left behind. */
int fetcher_cache_open(struct fetcher_cache *c, const char *dir, uint64_t max);

/* The entry for url: 0 with *ret, -ENOENT, or -errno. */
int fetcher_cache_lookup(struct fetcher_cache *c, const char *url, struct http_cache_entry *ret);

/* Its body, read-only: the fd, or -errno. */
int fetcher_cache_body(struct fetcher_cache *c, const struct http_cache_entry *e);

/* Store size bytes of src as url's body, fresh for lifetime seconds from
 * now, then evict the least recently used entries beyond the limit. */
int fetcher_cache_store(struct fetcher_cache *c, const char *url, int src, uint64_t size,
			const struct http_cache_info *info, int64_t now);

/* A 304: e is fresh again, with the validators of the new answer when it
 * has them. */
int fetcher_cache_refresh(struct fetcher_cache *c, struct http_cache_entry *e,
			  const struct http_cache_info *info, int64_t now);

/* Mark e used now (eviction is least recently used first). */
void fetcher_cache_touch(struct fetcher_cache *c, const struct http_cache_entry *e);

#endif
