/*
 * metrics-file.h - metrics-file = PATH: the Prometheus text of the
 * monitor's counters (metrics.h), rewritten atomically.
 *
 * The file's directory is held as an O_PATH descriptor opened before the
 * chroot, so the path need not exist inside it; each write goes to a
 * temporary file in that directory (".NAME.tmp": node_exporter's textfile
 * collector reads only *.prom), is fsync'ed, and renamed over NAME, so a
 * reader sees the old text or the new one, never half of one.
 */
#ifndef CLOISTER_METRICS_FILE_H
#define CLOISTER_METRICS_FILE_H

#include <stdbool.h>

#include "metrics.h"

#define METRICS_NAME_MAX 256

struct metrics_file {
	int dir_fd;            /* -1: off */
	char name[METRICS_NAME_MAX];
	char tmp[METRICS_NAME_MAX + 8];
	bool failing;          /* the last write failed (logged once) */
};

/* Hold the directory of path (NULL: off). 0, or -errno after logging. */
int metrics_file_open(const char *path, struct metrics_file *ret);

/* Write the text of m. 0 or -errno; a failure is logged once until a
 * write succeeds again. */
int metrics_file_write(struct metrics_file *mf, const struct metrics *m);

/* tftpd --status: print the status line of the file at path. Returns the
 * exit status: 0, or 1 with a message on stderr. */
int metrics_file_status(const char *path);

#endif
