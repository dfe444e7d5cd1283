/*
 * private-mem.h - memory of the monitor that no child inherits.
 *
 * The monitor's tables hold every client's address, file name and state,
 * and the requests it has just read. A child forked from it would inherit
 * a copy of all of them: other clients' data in a process that one
 * client's bytes may subvert, and pages that become the child's own as
 * soon as the monitor writes its copy (copy on write), about 100 KiB per
 * child in a storm. Mapped with MADV_DONTFORK, they are absent from every
 * child: a child that touched one would fault, not read it.
 */
#ifndef CLOISTER_PRIVATE_MEM_H
#define CLOISTER_PRIVATE_MEM_H

#include <stddef.h>

/* n * size zeroed bytes, aligned for any type; NULL with errno set (ENOMEM
 * also when n * size overflows). */
void *private_calloc(size_t n, size_t size);

/* Give back what private_calloc returned; NULL is ignored. */
void private_free(void *p);

#endif
