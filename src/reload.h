/*
 * reload.h - SIGHUP: read the configuration again, after the chroot.
 *
 * What a reload reads is reached through directories opened before the
 * chroot (the configuration file's and the map file's), so an editor that
 * replaces a file by renaming a new one over it is seen. Settings that
 * shaped what was acquired before the chroot (sockets, users, the root,
 * table sizes, the state directory) keep their old values, each named in
 * the log, until a restart.
 */
#ifndef CLOISTER_RELOAD_H
#define CLOISTER_RELOAD_H

#include <limits.h>

#include "policy.h"
#include "settings.h"

struct reload_source {
	int argc;
	char **argv;
	int config_dir;                  /* -1: no configuration file */
	char config_base[NAME_MAX + 1];
	int map_dir;                     /* -1: no map file */
	char map_base[NAME_MAX + 1];
	const char *map_path;            /* as given, for messages */
};

/* Before the chroot: hold the directories of the files a reload reads.
 * 0, or -errno after logging what could not be opened. */
int reload_source_open(const struct settings *s, int argc, char **argv,
		       struct reload_source *ret);

/* The map file's text (malloc'ed, *ret NULL when there is no map file)
 * through its directory. 0, or -errno after logging. */
int reload_read_map(const struct reload_source *src, char **ret, size_t *ret_len);

/*
 * The policy of settings s, with the map file read through src and the
 * one-time alias state from state_dir (-1: none; needed only when there
 * are [alias-once] entries). 0, or -1 after complain() said why.
 */
int reload_build_policy(const struct reload_source *src, const struct settings *s,
			int state_dir, struct policy *ret, void (*complain)(const char *msg));

/* Read the settings again into *ret (freed with settings_free). 0, or -1
 * after logging the problem as "FILE:LINE: ..." */
int reload_read(const struct reload_source *src, struct settings *ret);

/* Carry into fresh what only a restart may change, logging each one the
 * operator changed; then fresh can replace live. */
void reload_keep_fixed(const struct settings *live, struct settings *fresh);

#endif
