/*
 * fuzz-remap.c - libFuzzer harness for the remap language (src/remap.c).
 *
 * Input: one byte of settings (bit 0: PUT, bit 1: IPv6 client, bit 2: a
 * full-size result buffer, else (byte >> 3) * 8 bytes), then the rules
 * text, then after its last NUL the name (without one, a fixed name).
 * Whatever the rules, parsing returns 0 or -EINVAL with a terminated
 * message, and applying returns one of its documented results, writes
 * nothing past size, leaves the buffer untouched unless it says otherwise,
 * gives a NUL-terminated result that fits, and gives the same answer twice.
 * Hostile rule sets ("rg a aa", "rg a a", restart loops) must end by the
 * step limits, which libFuzzer's -timeout watches.
 *
 *   clang -fsanitize=fuzzer,address,undefined -Isrc tests/fuzz/fuzz-remap.c src/remap.c
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <string.h>

#include "fuzz-check.h"
#include "remap.h"

#define CANARY 'Z'

static const struct remap_client clients[2] = {
	{ 4, { 192, 0, 2, 169 } },
	{ 6, { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 } },
};

/* The name after the rules' last NUL, NUL-terminated in buf. */
static size_t split(const uint8_t *data, size_t size, char *buf, size_t bufsize)
{
	const uint8_t *nul = memrchr(data, '\0', size);
	size_t n;

	if (!nul) {
		strcpy(buf, "pxelinux.cfg/01-aa-bb");
		return size;
	}
	n = size - (size_t)(nul + 1 - data);
	if (n > bufsize - 1)
		n = bufsize - 1;
	memcpy(buf, nul + 1, n);
	buf[n] = '\0';
	return (size_t)(nul - data);
}

static void check_apply(const struct remap *m, const char *name, uint8_t settings)
{
	enum remap_op op = settings & 1 ? REMAP_PUT : REMAP_GET;
	const struct remap_client *c = &clients[(settings >> 1) & 1];
	size_t osize = settings & 4 ? REMAP_NAME_MAX : (size_t)(settings >> 3) * 8;
	char out[REMAP_NAME_MAX + 1], again[REMAP_NAME_MAX + 1];
	int r, r2;

	memset(out, CANARY, sizeof(out));
	r = remap_apply(m, name, op, c, out, osize);
	CHECK(out[osize] == CANARY);
	CHECK(r == 0 || r == -EACCES || r == -ELOOP || r == -ENAMETOOLONG);
	if (r == 0 || (r == -EACCES && osize > 0))
		CHECK(memchr(out, '\0', osize) != NULL);
	else
		CHECK(osize == 0 || out[0] == CANARY);
	if (r == 0 && remap_count(m) == 0)
		CHECK(strcmp(out, name) == 0);
	if (r == -ENAMETOOLONG && strlen(name) < osize && remap_count(m) == 0)
		abort();

	memset(again, CANARY, sizeof(again));
	r2 = remap_apply(m, name, op, c, again, osize);
	CHECK(r2 == r);
	if (r == 0 || r == -EACCES)
		CHECK(memcmp(out, again, osize) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[REMAP_NAME_MAX + 8];
	struct remap *m = NULL;
	struct remap_error err;
	size_t rlen;
	uint8_t settings;
	int r;

	if (size < 1)
		return 0;
	settings = data[0];
	rlen = split(data + 1, size - 1, name, sizeof(name));
	memset(&err, CANARY, sizeof(err));
	r = remap_parse((const char *)data + 1, rlen, &m, &err);
	if (r < 0) {
		CHECK(r == -EINVAL || r == -ENOMEM);
		CHECK(m == NULL);
		if (r == -EINVAL)
			CHECK(memchr(err.text, '\0', sizeof(err.text)) != NULL);
		return 0;
	}
	CHECK(m != NULL);
	CHECK(remap_count(m) <= REMAP_RULES_MAX);
	check_apply(m, name, settings);
	remap_free(m);
	return 0;
}
