/*
 * util.h - small helpers shared by the daemon and the tests.
 */
#ifndef CLOISTER_UTIL_H
#define CLOISTER_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Parse a decimal number: digits only (no sign, no spaces, no trailing
 * text, at least one digit). Returns 0 and sets *ret, -EINVAL when s is not
 * such a number, -ERANGE when it does not fit in 64 bits. *ret is untouched
 * on error.
 */
int parse_u64(const char *s, uint64_t *ret);

/* parse_u64, then -ERANGE unless min <= value <= max (OpenBSD strtonum). */
int parse_bounded(const char *s, uint64_t min, uint64_t max, uint64_t *ret);

/*
 * Case-insensitive ASCII: mode names (RFC 1350) and option names (RFC
 * 2347) are compared so. Not tolower()/strcasecmp(), which follow the
 * locale: in a Turkish one "OCTET" and "BLKSIZE" would not match.
 */
int ascii_lower(int c);
/* Like strcasecmp, in ASCII only: <0, 0 or >0. */
int ascii_casecmp(const char *a, const char *b);

/* Monotonic clock in microseconds. */
uint64_t now_usec(void);

/* Close fd if >= 0 and set it to -1; keeps errno. */
void closep(int *fd);

/*
 * Room in a table that grows while it is built (configuration tables):
 * array, of *cap elements of elem_size bytes, reallocated to twice as many
 * (16 at first), but never more than max. Returns the new array and sets
 * *cap; NULL (array still valid, *cap untouched) when out of memory or
 * *cap is already max.
 */
void *grow_table(void *array, size_t *cap, size_t elem_size, size_t max);

/*
 * Replace name in dir_fd with text, atomically: written to tmp (same
 * directory, created with mode), fsync'ed, then renamed over name, so a
 * reader sees the old file or the new one, never half of one. On failure
 * tmp is removed. 0 or -errno.
 */
int replace_file_at(int dir_fd, const char *tmp, const char *name, const char *text, size_t len,
		    mode_t mode);

#endif
