/*
 * tftpc-local.c - the local file of a transfer.
 *
 * A get writes into a temporary file next to its name, so that the
 * rename that stores it never crosses a file system and a failed
 * download leaves nothing: neither a partial file nor a changed old one.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tftpc-local.h"

int tftpc_local_open_read(const char *path, struct tftpc_local *ret)
{
	struct tftpc_local l = { .fd = -1 };
	struct stat st;

	l.fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
	if (l.fd < 0)
		return -errno;
	if (fstat(l.fd, &st) < 0 || S_ISDIR(st.st_mode)) {
		int e = S_ISDIR(st.st_mode) ? -EISDIR : -errno;

		tftpc_local_close(&l);
		return e;
	}
	/* A pipe's size is unknown: no tsize is sent (tftpc(1)). */
	l.seekable = S_ISREG(st.st_mode);
	l.size_known = l.seekable;
	l.size = l.seekable ? (uint64_t)st.st_size : 0;
	*ret = l;
	return 0;
}

int tftpc_local_open_write(const char *path, struct tftpc_local *ret)
{
	struct tftpc_local l = { .fd = STDOUT_FILENO };

	if (strcmp(path, "-") != 0) {
		l.path = path;
		if (asprintf(&l.tmp, "%s.tftpc-XXXXXX", path) < 0)
			return -ENOMEM;
		l.fd = mkostemp(l.tmp, O_CLOEXEC);
		if (l.fd < 0) {
			int e = -errno;

			free(l.tmp);
			return e;
		}
		l.seekable = true;
	}
	*ret = l;
	return 0;
}

int tftpc_local_store(struct tftpc_local *l)
{
	mode_t um = umask(0);

	umask(um);
	if (!l->tmp)
		return 0;
	if (fchmod(l->fd, 0666 & ~um) < 0 || rename(l->tmp, l->path) < 0)
		return -errno;
	free(l->tmp);
	l->tmp = NULL;
	return 0;
}

void tftpc_local_close(struct tftpc_local *l)
{
	if (l->tmp) {
		(void)unlink(l->tmp);
		free(l->tmp);
		l->tmp = NULL;
	}
	if (l->fd > STDERR_FILENO)
		close(l->fd);
	l->fd = -1;
}
