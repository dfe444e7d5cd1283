/*
 * remap.h - tftp-hpa's file name remapping language (in.tftpd -m FILE).
 *
 * Pure: the rules are parsed from text in memory and applied to a name;
 * no I/O, no globals, and nothing is allocated after remap_parse (glibc's
 * regexec may allocate internally). An operator's tftp-hpa remap file
 * works unchanged: the language and its quirks are those of tftp-hpa 5.2
 * (Debian's 5.2+20150808), the version deployed everywhere; the few
 * places where we differ are unsafe or unbounded there and are listed in
 * remap.c.
 */
#ifndef CLOISTER_REMAP_H
#define CLOISTER_REMAP_H

#include <stddef.h>
#include <stdint.h>

/* Longest name remap_apply reads, writes or builds in between, with NUL. */
#define REMAP_NAME_MAX 1024
/* tftp-hpa's DEADMAN_MAX_STEPS: applicable rules tried per request. */
#define REMAP_STEPS 1024
/* Repeats of 'g' rules per request, which tftp-hpa does not bound. */
#define REMAP_REPEATS 1024
/* tftp-hpa reads lines with fgets into 16384 bytes. */
#define REMAP_LINE_MAX 16383
#define REMAP_RULES_MAX 8192
#define REMAP_TEXT_MAX (1024 * 1024)

struct remap;

struct remap_error {
	unsigned line; /* 1-based; 0 when the file as a whole is refused */
	char text[160];
};

/*
 * Parse a whole remap file held in memory: text need not be
 * NUL-terminated; len bytes are read. On success *ret owns the rules (free
 * with remap_free); an empty or comment-only file gives zero rules.
 * Returns 0; -EINVAL with *ret_err saying which line and what is wrong
 * (print it as "FILE:LINE: TEXT"), stopping at the first bad line as
 * tftp-hpa refuses to start on any; -ENOMEM. *ret is untouched on error,
 * ret_err may be NULL.
 */
int remap_parse(const char *text, size_t len, struct remap **ret, struct remap_error *ret_err);

void remap_free(struct remap *m);

/* Number of rules, for printing the effective configuration. */
size_t remap_count(const struct remap *m);

enum remap_op {
	REMAP_GET = 1, /* RRQ: 'G' rules */
	REMAP_PUT = 2, /* WRQ: 'P' rules */
};

struct remap_client {
	/* 4 or 6, as the request's socket sees the client: tftp-hpa treats
	 * a v4-mapped client of a dual-stack socket as IPv6 ("::ffff:a.b.c.d"
	 * for \i, '6' rules). */
	int family;
	uint8_t addr[16]; /* network order; IPv4 in the first 4 bytes */
};

/*
 * Rewrite name (NUL-terminated) for a request from client c. Call it with
 * the name exactly as the client sent it, before the path normaliser,
 * which then judges the result (a rule may well produce "../x").
 * Returns
 *   0              the result is in ret_name (name itself when no rule
 *                  rewrote it);
 *   -EACCES        an 'a' rule refused the request. ret_name then holds
 *                  the text to send in the TFTP ERROR (code 2) as
 *                  tftp-hpa builds it, truncated to size, or "" when the
 *                  rule gives none and the standard "Access denied" text
 *                  applies. The only error that writes ret_name: the text
 *                  is part of the verdict;
 *   -ELOOP         REMAP_STEPS or REMAP_REPEATS was used up. tftp-hpa
 *                  refuses with ERROR code 2 "Remap table failure": do
 *                  the same;
 *   -ENAMETOOLONG  name, the result or a name in between does not fit
 *                  min(size, REMAP_NAME_MAX) bytes with its NUL;
 *   -EINVAL        bad arguments (a NULL pointer, a family not 4 or 6).
 * ret_name is untouched on every error but -EACCES.
 */
int remap_apply(const struct remap *m, const char *name, enum remap_op op,
		const struct remap_client *c, char *ret_name, size_t size);

#endif
