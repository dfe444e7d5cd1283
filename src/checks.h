/*
 * checks.h - tftpd --check-config and tftpd --map-test: answer, then exit.
 *
 * Both go through the code a running server uses (the settings parser,
 * policy_build, policy_decide), so that what they print is what the
 * server would do.
 */
#ifndef CLOISTER_CHECKS_H
#define CLOISTER_CHECKS_H

#include "reload.h"
#include "settings.h"

/* Validate everything and print the effective configuration on stdout.
 * Exit status: 0, or 2 after one "FILE:LINE: ..." message on stderr (1
 * for a root or state directory that cannot be opened). */
int check_config_run(const struct settings *s, const struct reload_source *src);

/* What a request for s->map_test from s->map_client (an upload with
 * s->map_write) resolves to, on stdout. Exit status: 0 when it would be
 * served (or accepted), 1 when refused or not found, 2 for a bad --client
 * or configuration. */
int map_test_run(const struct settings *s, const struct reload_source *src);

#endif
