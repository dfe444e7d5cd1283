/*
 * http-cache.h - HTTP caching rules for the relay (RFC 9111), pure.
 *
 * The fetcher feeds every response header line to http_cache_header as
 * libcurl hands it over (a status line starts a new response: redirects
 * and 100 Continue leave nothing behind), then asks whether the response
 * may be stored and for how long it is fresh. It also reads and writes a
 * cache entry's metadata with this file, so that every byte an origin
 * sent or the cache directory holds is parsed here and nowhere else.
 */
#ifndef CLOISTER_HTTP_CACHE_H
#define CLOISTER_HTTP_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_VALIDATOR_MAX 256  /* an ETag or Last-Modified, with NUL */
#define HTTP_HEURISTIC_MAX 86400 /* a heuristic lifetime is at most a day */

struct http_cache_info {
	bool no_store, no_cache, has_max_age, has_expires, has_date, has_last_modified;
	uint64_t max_age;                     /* seconds */
	int64_t expires, date, last_modified; /* seconds since the epoch */
	char etag[HTTP_VALIDATOR_MAX];        /* as sent, quotes included; "" none */
	char last_modified_text[HTTP_VALIDATOR_MAX];
};

void http_cache_init(struct http_cache_info *c);

/* One header line (len bytes, CRLF or not). Unknown headers, and values
 * that do not parse, are ignored as RFC 9111 says (an Expires that does
 * not parse means "already expired"). */
void http_cache_header(struct http_cache_info *c, const char *line, size_t len);

/* May the response be stored (no no-store)? */
bool http_cache_storable(const struct http_cache_info *c);

/* How long, in seconds from its arrival at now, the response stays fresh:
 * 0 with no-cache; max-age; else Expires - Date (or - now); else 10% of
 * its age since Last-Modified, at most HTTP_HEURISTIC_MAX; else 0. */
uint64_t http_cache_lifetime(const struct http_cache_info *c, int64_t now);

/* An IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), len bytes: 0 with
 * *ret, or -EINVAL. */
int http_parse_date(const char *s, size_t len, int64_t *ret);

/* A cache entry's metadata, as stored beside its body. */
#define HTTP_URL_MAX 1024 /* as RELAY_URL_MAX */

struct http_cache_entry {
	char url[HTTP_URL_MAX];        /* what it was fetched from: a key's collision is a miss */
	char body[64];                 /* the body file's name in the cache */
	uint64_t size;
	int64_t fresh_until;           /* seconds since the epoch */
	char etag[HTTP_VALIDATOR_MAX];
	char last_modified[HTTP_VALIDATOR_MAX];
};

/* "url U\nbody NAME\nsize N\nfresh N\netag V\nlm V\n" into buf: length, or
 * -ENOBUFS. */
int http_cache_entry_format(const struct http_cache_entry *e, char *buf, size_t size);

/* The same back, every line checked (a body name of [0-9a-f-] only, the
 * validators printable): 0, or -EINVAL. */
int http_cache_entry_parse(const char *buf, size_t len, struct http_cache_entry *ret);

#endif
