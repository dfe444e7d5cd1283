/*
 * alias-state.h - the state file of one-time aliases: which [alias-once]
 * entries were used, so that a restart does not arm them again.
 *
 * The file is STATE_DIR/aliases-once, one entry's key per line (alias.h),
 * written by the monitor through the state directory it opened before
 * the chroot: a temporary file, synced, renamed over the old one.
 */
#ifndef CLOISTER_ALIAS_STATE_H
#define CLOISTER_ALIAS_STATE_H

#include <stdbool.h>

#include "alias.h"

#define ALIAS_STATE_FILE "aliases-once"

/* Whether t has [alias-once] entries (then a state directory is needed). */
bool alias_state_needed(const struct alias_table *t);

/* Mark the entries the file names as used. 0 (a missing file is an empty
 * one), or -errno after logging. */
int alias_state_load(int state_dir, struct alias_table *t);

/* Write the file from t. 0, or -errno after logging: the use is then
 * forgotten at the next start. */
int alias_state_save(int state_dir, const struct alias_table *t);

#endif
