/*
 * clients-file.h - clients-file = FILE: each client address the server
 * has not seen before is appended, with the time, so that an operator
 * sees which machines appeared (WvTFTPd's registered clients).
 *
 * The file is opened before the chroot and read once: the addresses it
 * lists are known. A line is "2026-12-02T10:00:00Z 192.0.2.7", written in
 * one append (O_APPEND), so that lines of two writers never mix.
 */
#ifndef CLOISTER_CLIENTS_FILE_H
#define CLOISTER_CLIENTS_FILE_H

#include <stdbool.h>

#include "addr-index.h"

#define CLIENTS_FILE_MAX 65536 /* addresses remembered; beyond, none is added */

struct clients_file {
	int fd;                 /* -1: off */
	struct addr_index known;
	size_t n_known;
	bool full_logged;
};

/* Open path (created 0640 when missing) and read the addresses it lists.
 * 0, or -errno after logging. */
int clients_file_open(const char *path, struct clients_file *ret);

/* A request came from host (port 0): append it if it is new. */
void clients_file_note(struct clients_file *cf, const struct addr_key *host);

#endif
