/*
 * checks.c - tftpd --check-config and tftpd --map-test.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alias-state.h"
#include "checks.h"
#include "open-in-root.h"
#include "policy.h"

static void complain_stderr(const char *msg)
{
	fprintf(stderr, "tftpd: %s\n", msg);
}

static int open_state_dir(const struct settings *s)
{
	return open(s->state_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/* The policy as the server would build it at start. */
static int build(const struct settings *s, const struct reload_source *src, int *ret_state_dir,
		 struct policy *ret)
{
	*ret_state_dir = open_state_dir(s);
	return reload_build_policy(src, s, *ret_state_dir, ret, complain_stderr);
}

int check_config_run(const struct settings *s, const struct reload_source *src)
{
	struct policy p;
	int state_dir, root = root_open(s->root), status = 0;

	if (root < 0) {
		fprintf(stderr, "tftpd: cannot open the root directory %s: %s\n", s->root,
			strerror(-root));
		return EXIT_RUNTIME;
	}
	close(root);
	if (build(s, src, &state_dir, &p) < 0) {
		status = EXIT_USAGE;
	} else {
		settings_print(s, stdout);
		printf("# map file: %zu rules; aliases: %zu entries; [client] sections: %zu\n",
		       p.map != NULL ? remap_count(p.map) : 0, p.aliases.n, p.n_quirks);
		policy_free(&p);
		puts("# the configuration is valid");
	}
	if (state_dir >= 0)
		close(state_dir);
	return status;
}

/* --client=ADDR: an IPv4 or IPv6 address, as the server would see it. */
static int parse_client(const char *text, struct addr_key *ret, int *ret_family)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = { .sin_family = AF_INET };

	if (inet_pton(AF_INET, text, &s4.sin_addr) == 1) {
		*ret_family = AF_INET;
		return addr_key_from((const struct sockaddr *)&s4, false, ret) ? 0 : -EINVAL;
	}
	if (inet_pton(AF_INET6, text, &s6.sin6_addr) == 1) {
		*ret_family = AF_INET6;
		return addr_key_from((const struct sockaddr *)&s6, false, ret) ? 0 : -EINVAL;
	}
	return -EINVAL;
}

/* Whether the file is there, as a download would open it. */
static int show_file(const struct settings *s, const char *path, bool upload)
{
	struct stat st;
	int root = root_open(s->root), fd;

	if (root < 0) {
		printf("file: %s/%s (the root cannot be opened: %s)\n", s->root, path,
		       strerror(-root));
		return 1;
	}
	if (upload) {
		printf("upload: %s/%s\n", s->root, path);
		close(root);
		return 0;
	}
	fd = root_open_file(root, path, geteuid() == 0, &st);
	close(root);
	if (fd < 0) {
		printf("file: %s/%s (%s)\n", s->root, path, strerror(-fd));
		if (fd == -ENOENT && s->default_file != NULL) {
			printf("default-file: %s\n", s->default_file);
			return 0;
		}
		return 1;
	}
	close(fd);
	printf("file: %s/%s (%llu bytes)\n", s->root, path, (unsigned long long)st.st_size);
	return 0;
}

int map_test_run(const struct settings *s, const struct reload_source *src)
{
	struct policy_answer a;
	struct addr_key client;
	struct policy p;
	int family, state_dir, status;

	if (parse_client(s->map_client, &client, &family) < 0) {
		fprintf(stderr, "tftpd: --client: '%s' is not an IPv4 or IPv6 address\n",
			s->map_client);
		return EXIT_USAGE;
	}
	if (build(s, src, &state_dir, &p) < 0)
		return EXIT_USAGE;
	policy_decide(&p, &client, family, s->map_write, s->map_test, &a);
	printf("request: %s \"%s\" from %s\n", s->map_write ? "WRQ" : "RRQ", s->map_test,
	       s->map_client);
	if (a.was_mapped)
		printf("map-file: \"%s\"\n", a.mapped);
	if (a.refused) {
		printf("refused: error %d \"%s\" (%s)\n", (int)a.code, a.text, a.reason);
		status = 1;
	} else {
		if (a.alias != ALIAS_NONE)
			printf("alias: %s -> %s%s\n", a.requested, a.path,
			       a.alias_once ? " ([alias-once], not used yet)" : "");
		status = show_file(s, a.path, s->map_write);
	}
	policy_free(&p);
	if (state_dir >= 0)
		close(state_dir);
	return status;
}
