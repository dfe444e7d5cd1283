/*
 * fetcher-cache.c - the cache directory's files; see fetcher-cache.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fetcher-cache.h"
#include "siphash.h"

#define META_MAX (HTTP_URL_MAX + 3 * HTTP_VALIDATOR_MAX + 256)
#define TMP_PREFIX "tmp-"
#define EVICT_SCAN_MAX 16384 /* entries looked at per eviction */

static void key_of(const char *url, char out[17])
{
	/* Not secret: the name only spreads entries; the URL inside decides. */
	static const struct siphash_key k = { 0x636c6f6973746572ull, 0x72656c6179000000ull };

	snprintf(out, 17, "%016llx",
		 (unsigned long long)siphash24(&k, (const uint8_t *)url, strlen(url)));
}

int fetcher_cache_open(struct fetcher_cache *c, const char *path, uint64_t max)
{
	DIR *d;
	struct dirent *de;
	int fd;

	*c = (struct fetcher_cache){ .dir = -1, .max = max };
	if (path == NULL)
		return 0;
	c->dir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	if (c->dir < 0)
		return -errno;
	fd = dup(c->dir);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0)
			(void)unlinkat(c->dir, de->d_name, 0);
	closedir(d);
	c->gen = (uint32_t)getpid();
	return 0;
}

static int read_meta(struct fetcher_cache *c, const char *name, struct http_cache_entry *ret)
{
	char buf[META_MAX];
	int fd = openat(c->dir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return -errno;
	if ((size_t)n == sizeof(buf))
		return -EINVAL;
	return http_cache_entry_parse(buf, (size_t)n, ret);
}

int fetcher_cache_lookup(struct fetcher_cache *c, const char *url, struct http_cache_entry *ret)
{
	char key[17], name[32];
	int r;

	if (c->dir < 0)
		return -ENOENT;
	key_of(url, key);
	snprintf(name, sizeof(name), "%s.meta", key);
	r = read_meta(c, name, ret);
	if (r == -EINVAL)
		return -ENOENT; /* damaged: replaced by the next store */
	if (r == 0 && strcmp(ret->url, url) != 0)
		return -ENOENT;
	return r;
}

int fetcher_cache_body(struct fetcher_cache *c, const struct http_cache_entry *e)
{
	struct stat st;
	int fd = openat(c->dir, e->body, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != e->size) {
		close(fd);
		return -EIO;
	}
	return fd;
}

/* Write text as name, atomically. */
static int put_meta(struct fetcher_cache *c, const struct http_cache_entry *e)
{
	char buf[META_MAX], key[17], tmp[40], name[32];
	int n = http_cache_entry_format(e, buf, sizeof(buf)), fd, r = 0;

	if (n < 0)
		return n;
	key_of(e->url, key);
	snprintf(tmp, sizeof(tmp), TMP_PREFIX "%s.%u", key, ++c->gen);
	snprintf(name, sizeof(name), "%s.meta", key);
	fd = openat(c->dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, (size_t)n) != n || fsync(fd) < 0)
		r = -EIO;
	close(fd);
	if (r == 0 && renameat(c->dir, tmp, c->dir, name) < 0)
		r = -errno;
	if (r < 0)
		(void)unlinkat(c->dir, tmp, 0);
	return r;
}

static void fill_validators(struct http_cache_entry *e, const struct http_cache_info *info,
			    int64_t now)
{
	e->fresh_until = now + (int64_t)http_cache_lifetime(info, now);
	if (info->etag[0] != '\0' || info->last_modified_text[0] != '\0') {
		snprintf(e->etag, sizeof(e->etag), "%s", info->etag);
		snprintf(e->last_modified, sizeof(e->last_modified), "%s",
			 info->last_modified_text);
	}
}

/* ---- eviction --------------------------------------------------------- */

struct used {
	char meta[32];
	char body[64];
	uint64_t size;
	struct timespec when;
};

static int older(const void *a, const void *b)
{
	const struct used *x = a, *y = b;

	if (x->when.tv_sec != y->when.tv_sec)
		return x->when.tv_sec < y->when.tv_sec ? -1 : 1;
	return x->when.tv_nsec < y->when.tv_nsec ? -1 : x->when.tv_nsec > y->when.tv_nsec;
}

static size_t list_entries(struct fetcher_cache *c, struct used *u, size_t max, uint64_t *total)
{
	int fd = dup(c->dir);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	size_t n = 0;

	*total = 0;
	if (d == NULL)
		return 0;
	rewinddir(d);
	while ((de = readdir(d)) != NULL && n < max) {
		size_t len = strlen(de->d_name);
		struct http_cache_entry e;
		struct stat st;

		if (len < 6 || strcmp(de->d_name + len - 5, ".meta") != 0 || len >= sizeof(u->meta) ||
		    fstatat(c->dir, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    read_meta(c, de->d_name, &e) < 0)
			continue;
		memcpy(u[n].meta, de->d_name, len + 1);
		memcpy(u[n].body, e.body, sizeof(u[n].body));
		u[n].size = e.size;
		u[n].when = st.st_mtim;
		*total += e.size;
		n++;
	}
	closedir(d);
	return n;
}

/* Least recently used first, until the bodies fit in c->max. */
static void evict(struct fetcher_cache *c)
{
	struct used *u = calloc(EVICT_SCAN_MAX, sizeof(*u));
	uint64_t total;
	size_t n;

	if (u == NULL)
		return;
	n = list_entries(c, u, EVICT_SCAN_MAX, &total);
	qsort(u, n, sizeof(*u), older);
	for (size_t i = 0; i < n && total > c->max; i++) {
		(void)unlinkat(c->dir, u[i].meta, 0);
		(void)unlinkat(c->dir, u[i].body, 0);
		total -= u[i].size;
	}
	free(u);
}

int fetcher_cache_store(struct fetcher_cache *c, const char *url, int src, uint64_t size,
			const struct http_cache_info *info, int64_t now)
{
	struct http_cache_entry e, old;
	char key[17], tmp[80];
	bool had = fetcher_cache_lookup(c, url, &old) == 0;
	off_t off = 0;
	int fd, r = 0;

	if (c->dir < 0 || size > c->max)
		return 0;
	memset(&e, 0, sizeof(e));
	snprintf(e.url, sizeof(e.url), "%s", url);
	key_of(url, key);
	snprintf(e.body, sizeof(e.body), "%s-%08x", key, ++c->gen);
	e.size = size;
	fill_validators(&e, info, now);
	snprintf(tmp, sizeof(tmp), TMP_PREFIX "%s", e.body);
	fd = openat(c->dir, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (r == 0 && (uint64_t)off < size) {
		ssize_t n = sendfile(fd, src, &off, (size_t)(size - (uint64_t)off));

		if (n <= 0)
			r = n < 0 ? -errno : -EIO;
	}
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r == 0 && renameat(c->dir, tmp, c->dir, e.body) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlinkat(c->dir, tmp, 0);
		return r;
	}
	r = put_meta(c, &e);
	if (r < 0) {
		(void)unlinkat(c->dir, e.body, 0);
		return r;
	}
	if (had && strcmp(old.body, e.body) != 0)
		(void)unlinkat(c->dir, old.body, 0);
	evict(c);
	return 0;
}

int fetcher_cache_refresh(struct fetcher_cache *c, struct http_cache_entry *e,
			  const struct http_cache_info *info, int64_t now)
{
	fill_validators(e, info, now);
	return put_meta(c, e);
}

void fetcher_cache_touch(struct fetcher_cache *c, const struct http_cache_entry *e)
{
	char key[17], name[32];

	key_of(e->url, key);
	snprintf(name, sizeof(name), "%s.meta", key);
	(void)utimensat(c->dir, name, NULL, AT_SYMLINK_NOFOLLOW);
}
