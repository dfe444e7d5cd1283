/*
 * util.h - small helpers shared by the daemon and the tests.
 */
#ifndef CLOISTER_UTIL_H
#define CLOISTER_UTIL_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parse a decimal number: digits only (no sign, no spaces, no trailing
 * text, at least one digit). Returns 0 and sets *ret, -EINVAL when s is not
 * such a number, -ERANGE when it does not fit in 64 bits. *ret is untouched
 * on error.
 */
int parse_u64(const char *s, uint64_t *ret);

/* parse_u64, then -ERANGE unless min <= value <= max (OpenBSD strtonum). */
int parse_bounded(const char *s, uint64_t min, uint64_t max, uint64_t *ret);

/* Monotonic clock in microseconds. */
uint64_t now_usec(void);

/* Close fd if >= 0 and set it to -1; keeps errno. */
void closep(int *fd);

#endif
