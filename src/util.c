/*
 * util.c - small helpers shared by the daemon and the tests: bounded
 * number parsing, the monotonic clock, fd closing, atomic file replacement.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "file-io.h"
#include "util.h"

/*
 * Not strtoull(): it accepts leading spaces, a sign ("-1" becomes
 * UINT64_MAX) and "0x" prefixes, all of which a client could use to slip a
 * value past a range check (RFC 2348/2349/7440 values are plain decimal).
 * Digits are tested as ASCII, independent of the locale.
 */
int parse_u64(const char *s, uint64_t *ret)
{
	uint64_t v = 0;
	bool overflow = false;
	const char *p;

	if (!s || *s == '\0')
		return -EINVAL;
	for (p = s; *p; p++) {
		unsigned d;

		if (*p < '0' || *p > '9')
			return -EINVAL;
		d = (unsigned)(*p - '0');
		/* Keep scanning after an overflow so that "99...9x" is
		 * reported as invalid, not as out of range. */
		if (v > (UINT64_MAX - d) / 10)
			overflow = true;
		else
			v = v * 10 + d;
	}
	if (overflow)
		return -ERANGE;
	*ret = v;
	return 0;
}

int parse_bounded(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
	uint64_t v;
	int r;

	r = parse_u64(s, &v);
	if (r < 0)
		return r;
	if (v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

int ascii_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

int ascii_casecmp(const char *a, const char *b)
{
	for (; *a && ascii_lower((unsigned char)*a) == ascii_lower((unsigned char)*b); a++, b++)
		;
	return ascii_lower((unsigned char)*a) - ascii_lower((unsigned char)*b);
}

uint64_t now_usec(void)
{
	struct timespec ts;

	/* Monotonic: timeouts must not jump with the wall clock (NTP, admin).
	 * It cannot fail with a valid clock id; if it did, every timer would
	 * be wrong, so stop rather than run on garbage. */
	if (clock_gettime(CLOCK_MONOTONIC, &ts) < 0)
		abort();
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void closep(int *fd)
{
	int saved;

	if (!fd || *fd < 0)
		return;
	saved = errno;
	/* No retry on EINTR: Linux has already released the fd, and a retry
	 * could close one just opened by another thread. */
	(void)close(*fd);
	*fd = -1;
	errno = saved;
}

void *grow_table(void *array, size_t *cap, size_t elem_size, size_t max)
{
	size_t n = *cap ? *cap * 2 : 16;
	void *p;

	if (n > max)
		n = max;
	if (n <= *cap)
		return NULL;
	p = reallocarray(array, n, elem_size);
	if (p)
		*cap = n;
	return p;
}

int replace_file_at(int dir_fd, const char *tmp, const char *name, const char *text, size_t len,
		    mode_t mode)
{
	int fd = openat(dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY,
			mode);
	int e;

	if (fd < 0)
		return -errno;
	e = file_write_full(fd, text, len);
	if (e == 0 && fsync(fd) < 0)
		e = -errno;
	if (close(fd) < 0 && e == 0)
		e = -errno;
	/* The rename is the commit. */
	if (e == 0 && renameat(dir_fd, tmp, dir_fd, name) < 0)
		e = -errno;
	if (e < 0)
		(void)unlinkat(dir_fd, tmp, 0);
	return e;
}
