/*
 * private-mem.c - memory of the monitor that no child inherits. See
 * private-mem.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>

#include "private-mem.h"

/* The mapping's length is kept in front of what the caller gets; 64 bytes
 * keep the caller's memory aligned for anything, cache lines included. */
#define HEADER 64

void *private_calloc(size_t n, size_t size)
{
	size_t len;
	uint8_t *base;

	if (size != 0 && n > (SIZE_MAX - HEADER) / size) {
		errno = ENOMEM;
		return NULL;
	}
	len = HEADER + n * size;
	/* Anonymous memory is zeroed by the kernel. */
	base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	if (madvise(base, len, MADV_DONTFORK) < 0) {
		int e = errno;

		munmap(base, len);
		errno = e;
		return NULL;
	}
	*(size_t *)base = len;
	return base + HEADER;
}

void private_free(void *p)
{
	uint8_t *base;

	if (p == NULL)
		return;
	base = (uint8_t *)p - HEADER;
	munmap(base, *(size_t *)base);
}
