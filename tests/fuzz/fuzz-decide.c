/*
 * fuzz-decide.c - libFuzzer harness for the decision on one request
 * (src/policy.c): access lists, the map file, the names rules and the
 * aliases together, as the monitor runs them.
 *
 * The input is text in three parts split by lines "%%": settings lines
 * after a first byte whose bits choose the names rules ("KIND KEY = VALUE",
 * KIND a for allow/deny, w for allow-write/deny-write, l for [alias], o
 * for [alias-once], or c:CIDR for a [client CIDR] key), a map file, and
 * requests ("ADDR U|D NAME").
 *
 * Checked: building never fails without one message; a refusal carries a
 * TFTP error code and a terminated text; a path served is one the path
 * normaliser keeps as it is (no "..", no empty component, no control
 * character), whatever the map file and the aliases made of the name;
 * and the same request decided twice gets the same answer.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "fuzz-check.h"
#include "policy.h"

#define LINES_MAX 64
#define TEXT_MAX 512

struct part {
	const char *p;
	size_t len;
};

/* Up to three parts, split at "\n%%\n". */
static size_t split(const char *data, size_t size, struct part *parts)
{
	size_t n = 0;
	const char *p = data, *end = data + size;

	while (n < 2) {
		const char *sep = memmem(p, (size_t)(end - p), "\n%%\n", 4);

		if (sep == NULL)
			break;
		parts[n++] = (struct part){ p, (size_t)(sep - p) };
		p = sep + 4;
	}
	parts[n++] = (struct part){ p, (size_t)(end - p) };
	return n;
}

static int complaints;

static void complain(const char *msg)
{
	CHECK(msg != NULL && msg[0] != '\0' && strlen(msg) < 4096);
	complaints++;
}

/* "KIND KEY = VALUE" into l, its strings in store. */
static bool parse_line(char *text, struct setting_line *l)
{
	char *space = strchr(text, ' '), *eq;

	if (space == NULL || (eq = strchr(space, '=')) == NULL)
		return false;
	*space = *eq = '\0';
	*l = (struct setting_line){ .key = space + 1, .value = eq + 1 };
	snprintf(l->where, sizeof(l->where), "fuzz:%d", 1);
	switch (text[0]) {
	case 'a': l->kind = SETTING_ACCESS; break;
	case 'w': l->kind = SETTING_WRITE; break;
	case 'l': l->kind = SETTING_ALIAS; break;
	case 'o': l->kind = SETTING_ALIAS_ONCE; break;
	case 'c':
		if (text[1] != ':')
			return false;
		l->kind = SETTING_CLIENT;
		l->section = text + 2;
		break;
	default:
		return false;
	}
	return true;
}

static bool client_key(const char *text, struct addr_key *k, int *family)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in s4 = { .sin_family = AF_INET };

	if (inet_pton(AF_INET, text, &s4.sin_addr) == 1) {
		*family = AF_INET;
		return addr_key_from((const struct sockaddr *)&s4, false, k);
	}
	if (inet_pton(AF_INET6, text, &s6.sin6_addr) == 1) {
		*family = AF_INET6;
		return addr_key_from((const struct sockaddr *)&s6, false, k);
	}
	return false;
}

static void check_answer(const struct policy_answer *a)
{
	char again[TFTP_PATH_MAX];

	if (a->refused) {
		CHECK(a->code <= TFTP_ERR_OPTNEG);
		CHECK(strnlen(a->text, sizeof(a->text)) < sizeof(a->text));
		CHECK(a->text[0] != '\0');
		CHECK(strnlen(a->reason, sizeof(a->reason)) < sizeof(a->reason));
		return;
	}
	CHECK(strnlen(a->path, sizeof(a->path)) < sizeof(a->path));
	CHECK(tftp_path_normalise_flags(a->path, strlen(a->path), 0, again, sizeof(again)) == 0);
	CHECK(strcmp(again, a->path) == 0);
}

/* "ADDR U|D NAME" */
static void decide(const struct policy *p, char *req)
{
	char *s1 = strchr(req, ' '), *s2;
	struct policy_answer a, b;
	struct addr_key k;
	int family;

	if (s1 == NULL || (s2 = strchr(s1 + 1, ' ')) == NULL)
		return;
	*s1 = *s2 = '\0';
	if (!client_key(req, &k, &family))
		return;
	policy_decide(p, &k, family, s1[1] == 'U', s2 + 1, &a);
	check_answer(&a);
	policy_decide(p, &k, family, s1[1] == 'U', s2 + 1, &b);
	CHECK(a.refused == b.refused && strcmp(a.path, b.path) == 0 &&
	      strcmp(a.text, b.text) == 0 && a.alias == b.alias);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct setting_line lines[LINES_MAX];
	struct part parts[3];
	struct settings s = { 0 };
	struct policy p;
	char *copy = malloc(size + 1), *line, *save = NULL;
	size_t n;

	if (copy == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	n = split(copy, size, parts);
	for (size_t i = 0; i < n; i++)
		((char *)parts[i].p)[parts[i].len] = '\0';
	/* The first byte's bits choose the names rules. */
	s.backslash = size > 0 && (data[0] & 1);
	s.lowercase = size > 0 && (data[0] & 2);
	s.strip_prefix = size > 0 && (data[0] & 4) ? "/tftpboot" : NULL;
	s.root_path = size > 0 && (data[0] & 8) ? "/srv/tftp" : NULL;
	s.lines = lines;
	for (line = strtok_r((char *)parts[0].p + (size > 0), "\n", &save);
	     line != NULL && s.n_lines < LINES_MAX;
	     line = strtok_r(NULL, "\n", &save))
		if (parse_line(line, &lines[s.n_lines]))
			s.n_lines++;
	complaints = 0;
	if (policy_build(&s, n > 1 ? parts[1].p : NULL, n > 1 ? parts[1].len : 0, "map", &p,
			 complain) < 0) {
		CHECK(complaints == 1);
		free(copy);
		return 0;
	}
	CHECK(complaints == 0);
	if (n > 2)
		for (line = strtok_r((char *)parts[2].p, "\n", &save); line != NULL;
		     line = strtok_r(NULL, "\n", &save))
			decide(&p, line);
	policy_free(&p);
	free(copy);
	return 0;
}
