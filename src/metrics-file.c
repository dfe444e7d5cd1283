/*
 * metrics-file.c - writing the metrics file, and reading its status line
 * back for tftpd --status. See metrics-file.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "metrics-file.h"
#include "util.h"

#define METRICS_TEXT_MAX 16384 /* the text is about 6 KiB */

int metrics_file_open(const char *path, struct metrics_file *ret)
{
	char *dir_copy = NULL, *base_copy = NULL;
	int e = 0;

	*ret = (struct metrics_file){ .dir_fd = -1 };
	if (path == NULL)
		return 0;
	dir_copy = strdup(path);
	base_copy = strdup(path);
	if (dir_copy == NULL || base_copy == NULL) {
		e = -ENOMEM;
	} else if ((size_t)snprintf(ret->name, sizeof(ret->name), "%s", basename(base_copy)) >=
		   sizeof(ret->name) || strcmp(ret->name, "/") == 0 ||
		   strcmp(ret->name, ".") == 0 || strcmp(ret->name, "..") == 0) {
		e = -EINVAL;
	} else {
		snprintf(ret->tmp, sizeof(ret->tmp), ".%s.tmp", ret->name);
		/* A relative path is relative to where we start, not to the root. */
		ret->dir_fd = open(dirname(dir_copy), O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (ret->dir_fd < 0)
			e = -errno;
	}
	if (e < 0)
		log_msg(LOG_ERR, "metrics-file %s: cannot open its directory: %s", path,
			e == -EINVAL ? "not a file name" : strerror(-e));
	free(dir_copy);
	free(base_copy);
	return e;
}

int metrics_file_write(struct metrics_file *mf, const struct metrics *m)
{
	char text[METRICS_TEXT_MAX];
	int n, e;

	if (mf->dir_fd < 0)
		return 0;
	n = metrics_format(m, text, sizeof(text));
	e = n < 0 ? n : replace_file_at(mf->dir_fd, mf->tmp, mf->name, text, (size_t)n, 0644);
	if (e < 0 && !mf->failing)
		log_msg(LOG_ERR, "metrics-file %s: cannot write it: %s (said once until it "
			"works again)", mf->name, strerror(-e));
	else if (e == 0 && mf->failing)
		log_msg(LOG_NOTICE, "metrics-file %s: written again", mf->name);
	mf->failing = e < 0;
	return e;
}

int metrics_file_status(const char *path)
{
	const size_t prefix = strlen(METRICS_STATUS_PREFIX);
	char line[512];
	FILE *fp;

	if (path == NULL) {
		fputs("tftpd: --status needs metrics-file (the running server writes its "
		      "counters there)\n", stderr);
		return EXIT_FAILURE;
	}
	fp = fopen(path, "re");
	if (fp == NULL) {
		fprintf(stderr, "tftpd: cannot read the metrics file %s: %s\n", path,
			strerror(errno));
		return EXIT_FAILURE;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, METRICS_STATUS_PREFIX, prefix) != 0)
			continue;
		fclose(fp);
		fputs(line + prefix, stdout);
		return EXIT_SUCCESS;
	}
	fclose(fp);
	fprintf(stderr, "tftpd: %s has no status line: not written by tftpd\n", path);
	return EXIT_FAILURE;
}
