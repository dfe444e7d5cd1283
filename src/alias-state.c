/*
 * alias-state.c - the state file of one-time aliases.
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

#include "alias-state.h"
#include "log.h"
#include "util.h"

#define STATE_TEMP ALIAS_STATE_FILE ".new"
#define STATE_SIZE_MAX (ALIAS_MAX * ALIAS_KEY_MAX)

bool alias_state_needed(const struct alias_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->entry[i].once)
			return true;
	return false;
}

static int read_all(int fd, char *buf, size_t size, size_t *ret_len)
{
	size_t len = 0;

	while (len < size) {
		ssize_t n = read(fd, buf + len, size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	*ret_len = len;
	return 0;
}

int alias_state_load(int state_dir, struct alias_table *t)
{
	struct stat st;
	char *text;
	size_t len = 0, stale;
	int fd, e;

	if (state_dir < 0 || !alias_state_needed(t))
		return 0;
	fd = openat(state_dir, ALIAS_STATE_FILE, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0 || fstat(fd, &st) < 0) {
		e = -errno;
		log_msg(LOG_ERR, "cannot read the one-time alias state: %s", strerror(-e));
		if (fd >= 0)
			close(fd);
		return e;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > STATE_SIZE_MAX) {
		close(fd);
		log_msg(LOG_ERR, "the one-time alias state is not a regular file of at most %d "
			"bytes", STATE_SIZE_MAX);
		return -EINVAL;
	}
	text = malloc((size_t)st.st_size + 1);
	e = text != NULL ? read_all(fd, text, (size_t)st.st_size, &len) : -ENOMEM;
	close(fd);
	if (e == 0) {
		stale = alias_state_parse(t, text, len);
		if (stale > 0)
			log_msg(LOG_NOTICE, "one-time alias state: %zu line(s) name no entry of the "
				"configuration any more: dropped", stale);
	} else {
		log_msg(LOG_ERR, "cannot read the one-time alias state: %s", strerror(-e));
	}
	free(text);
	return e;
}

int alias_state_save(int state_dir, const struct alias_table *t)
{
	size_t size = alias_state_size(t) + 1, len = 0;
	char *text = malloc(size);
	int e;

	if (state_dir < 0)
		e = -EBADF;
	else if (text == NULL)
		e = -ENOMEM;
	else if ((e = alias_state_format(t, text, size, &len)) == 0)
		e = replace_file_at(state_dir, STATE_TEMP, ALIAS_STATE_FILE, text, len, 0600);
	if (e < 0)
		log_msg(LOG_ERR, "cannot save the one-time alias state: %s: the used alias is armed "
			"again at the next start", strerror(-e));
	free(text);
	return e;
}
