/*
 * reload.c - SIGHUP: read the configuration again, after the chroot.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alias-state.h"
#include "log.h"
#include "reload.h"

/* The directory of path (made absolute first: after the chroot no path
 * resolves as it did) as an O_PATH fd, and the file's name in it. */
static int hold_dir(const char *path, int *ret_dir, char *ret_base, size_t size)
{
	char *abs = realpath(path, NULL), *dir_copy, *base_copy;
	int e = 0;

	if (abs == NULL) {
		e = -errno;
		log_msg(LOG_ERR, "cannot find %s: %s", path, strerror(errno));
		return e;
	}
	dir_copy = strdup(abs);
	base_copy = strdup(abs);
	if (dir_copy == NULL || base_copy == NULL) {
		e = -ENOMEM;
	} else if ((size_t)snprintf(ret_base, size, "%s", basename(base_copy)) >= size) {
		e = -ENAMETOOLONG;
	} else {
		*ret_dir = open(dirname(dir_copy), O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (*ret_dir < 0)
			e = -errno;
	}
	if (e < 0)
		log_msg(LOG_ERR, "cannot hold the directory of %s for reloads: %s", path,
			strerror(-e));
	free(abs);
	free(dir_copy);
	free(base_copy);
	return e;
}

int reload_source_open(const struct settings *s, int argc, char **argv,
		       struct reload_source *ret)
{
	int e;

	*ret = (struct reload_source){ .argc = argc, .argv = argv, .config_dir = -1,
				       .map_dir = -1, .map_path = s->map_file };
	if (s->config != NULL &&
	    (e = hold_dir(s->config, &ret->config_dir, ret->config_base,
			  sizeof(ret->config_base))) < 0)
		return e;
	if (s->map_file != NULL &&
	    (e = hold_dir(s->map_file, &ret->map_dir, ret->map_base, sizeof(ret->map_base))) < 0)
		return e;
	return 0;
}

int reload_read_map(const struct reload_source *src, char **ret, size_t *ret_len)
{
	struct stat st;
	size_t len = 0;
	char *text = NULL;
	int fd, e = 0;

	*ret = NULL;
	*ret_len = 0;
	if (src->map_dir < 0)
		return 0;
	fd = openat(src->map_dir, src->map_base, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0)
		e = -errno;
	else if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > REMAP_TEXT_MAX)
		e = -EFBIG;
	else if ((text = malloc((size_t)st.st_size + 1)) == NULL)
		e = -ENOMEM;
	while (e == 0 && len < (size_t)st.st_size) {
		ssize_t n = read(fd, text + len, (size_t)st.st_size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = n < 0 ? -errno : 0;
			break;
		}
		len += (size_t)n;
	}
	if (fd >= 0)
		close(fd);
	if (e < 0) {
		log_msg(LOG_ERR, "cannot read the map file %s: %s", src->map_path,
			e == -EFBIG ? "not a regular file of at most 1 MiB" : strerror(-e));
		free(text);
		return e;
	}
	*ret = text;
	*ret_len = len;
	return 0;
}

int reload_build_policy(const struct reload_source *src, const struct settings *s,
			int state_dir, struct policy *ret, void (*complain)(const char *msg))
{
	char *map = NULL, msg[512];
	size_t len = 0;
	int r;

	if (reload_read_map(src, &map, &len) < 0)
		return -1;
	r = policy_build(s, map, len, s->map_file, ret, complain);
	free(map);
	if (r < 0)
		return -1;
	if (alias_state_needed(&ret->aliases) && state_dir < 0) {
		snprintf(msg, sizeof(msg), "[alias-once] needs the state directory %s, which "
			 "could not be opened at start", s->state_dir);
		complain(msg);
		policy_free(ret);
		return -1;
	}
	(void)alias_state_load(state_dir, &ret->aliases);
	return 0;
}

static void complain_to_log(const char *msg)
{
	log_msg(LOG_ERR, "reload: %s", msg);
}

int reload_read(const struct reload_source *src, struct settings *ret)
{
	int r;

	settings_set_complaint_sink(complain_to_log);
	r = settings_reload(src->argc, src->argv, src->config_dir, src->config_base, ret);
	settings_set_complaint_sink(NULL);
	if (r >= 0) {
		settings_free(ret);
		return -1;
	}
	return 0;
}

static bool same_text(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static bool same_listen(const struct settings *a, const struct settings *b)
{
	if (a->n_listen != b->n_listen)
		return false;
	for (size_t i = 0; i < a->n_listen; i++)
		if (a->listen[i].len != b->listen[i].len ||
		    memcmp(&a->listen[i].addr, &b->listen[i].addr, a->listen[i].len) != 0)
			return false;
	return true;
}

/* A copy owned by the fresh settings: the live ones are freed after the
 * swap. */
static void keep_text(struct settings *cfg, const char *name, const char *live,
		      const char **fresh)
{
	if (!same_text(live, *fresh))
		log_msg(LOG_WARNING, "reload: %s changed: it takes effect at the next start", name);
	*fresh = settings_copy_string(cfg, live);
}

static void keep_number(const char *name, unsigned live, unsigned *fresh)
{
	if (live != *fresh)
		log_msg(LOG_WARNING, "reload: %s changed (%u to %u): it takes effect at the next "
			"start", name, live, *fresh);
	*fresh = live;
}

void reload_keep_fixed(const struct settings *live, struct settings *fresh)
{
	unsigned live_format = live->log_format, fresh_format = fresh->log_format;
	unsigned live_verbose = live->verbose, fresh_verbose = fresh->verbose;

	keep_text(fresh, "root", live->root, &fresh->root);
	keep_text(fresh, "user", live->user, &fresh->user);
	keep_text(fresh, "jail-user", live->jail_user, &fresh->jail_user);
	keep_text(fresh, "state-dir", live->state_dir, &fresh->state_dir);
	keep_text(fresh, "clients-file", live->clients_file, &fresh->clients_file);
	keep_text(fresh, "map-file", live->map_file, &fresh->map_file);
	/* Its directory was opened before the chroot. */
	keep_text(fresh, "metrics-file", live->metrics_file, &fresh->metrics_file);
	if (!same_listen(live, fresh))
		log_msg(LOG_WARNING, "reload: listen changed: it takes effect at the next start");
	memcpy(fresh->listen, live->listen, sizeof(fresh->listen));
	fresh->n_listen = live->n_listen;
	keep_number("spares", live->spares, &fresh->spares);
	keep_number("max-transfers", live->max_transfers, &fresh->max_transfers);
	keep_number("max-requests", live->max_requests, &fresh->max_requests);
	keep_number("child-linger", live->child_linger_s, &fresh->child_linger_s);
	keep_number("log-format", live_format, &fresh_format);
	keep_number("verbose", live_verbose, &fresh_verbose);
	fresh->log_format = live->log_format;
	fresh->verbose = live->verbose;
	if (live->max_upload != fresh->max_upload)
		log_msg(LOG_WARNING, "reload: max-upload-size changed: it takes effect at the "
			"next start (children's file size limit)");
	fresh->max_upload = live->max_upload;
	fresh->root_path = live->root_path != NULL ? strdup(live->root_path) : NULL;
}
