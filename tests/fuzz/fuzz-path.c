/*
 * fuzz-path.c - libFuzzer harness for name normalisation and escaping
 * (src/path.c).
 *
 * Whatever the input, an accepted path must be one the kernel can only
 * resolve below the root: relative, no "." or ".." component, no empty
 * component, no control byte, no backslash. Normalising it again must
 * change nothing. Escaped text must be printable ASCII, NUL-terminated
 * inside its buffer, and decode back to the input when not truncated.
 *
 *   clang -fsanitize=fuzzer,address,undefined -Isrc tests/fuzz/fuzz-path.c src/path.c
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-check.h"
#include "log-format.h"
#include "path.h"

static void check_path(const char *p, size_t size)
{
	size_t len = strlen(p), i;
	const char *c = p;

	CHECK(len > 0 && len < size);
	CHECK(p[0] != '/');
	CHECK(p[len - 1] != '/');
	for (i = 0; i < len; i++) {
		unsigned char b = (unsigned char)p[i];

		CHECK(b >= 0x20 && b != 0x7f && b != '\\');
	}
	/* Component by component: never empty, ".", or "..". */
	for (;;) {
		const char *slash = strchr(c, '/');
		size_t clen = slash ? (size_t)(slash - c) : strlen(c);

		CHECK(clen > 0);
		CHECK(!(clen == 1 && c[0] == '.'));
		CHECK(!(clen == 2 && c[0] == '.' && c[1] == '.'));
		if (!slash)
			break;
		c = slash + 1;
	}
	CHECK(strstr(p, "//") == NULL);
}

static void fuzz_normalise(const uint8_t *data, size_t size)
{
	char out[TFTP_PATH_MAX + 1], again[TFTP_PATH_MAX];
	/* Vary the output size too, from the input. */
	size_t osize = size ? (data[0] % 2 ? TFTP_PATH_MAX : data[0] % 64) : TFTP_PATH_MAX;
	int r;

	memset(out, 'Z', sizeof(out));
	r = tftp_path_normalise((const char *)data, size, out, osize);
	CHECK(out[osize] == 'Z');
	if (r < 0) {
		CHECK(r == -EINVAL || r == -ENAMETOOLONG);
		CHECK(osize == 0 || out[0] == 'Z');
		/* "Too long" is never said of an otherwise invalid name. */
		if (r == -ENAMETOOLONG && osize < TFTP_PATH_MAX)
			CHECK(tftp_path_normalise((const char *)data, size, again,
						  sizeof(again)) != -EINVAL);
		return;
	}
	check_path(out, osize);
	/* Idempotent. */
	CHECK(tftp_path_normalise(out, strlen(out), again, sizeof(again)) == 0);
	CHECK(strcmp(out, again) == 0);
}

/* The reference: every byte escaped, and where each byte's escape ends. */
static size_t ref_escape(const uint8_t *d, size_t n, char *full, size_t *ends)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, l = 0;

	for (i = 0; i < n; i++) {
		if (d[i] >= 0x20 && d[i] < 0x7f && d[i] != '\\') {
			full[l++] = (char)d[i];
		} else {
			full[l++] = '\\';
			full[l++] = 'x';
			full[l++] = hex[d[i] >> 4];
			full[l++] = hex[d[i] & 0xf];
		}
		ends[i] = l;
	}
	full[l] = '\0';
	return l;
}

static void fuzz_escape(const uint8_t *data, size_t size)
{
	char out[1024];
	size_t osize = size ? (data[size - 1] * 7u) % sizeof(out) : sizeof(out);
	char *full = malloc(4 * size + 1);
	size_t *ends = malloc((size + 1) * sizeof(*ends));
	size_t flen, budget, prefix = 0, dots, i;

	CHECK(full && ends);
	flen = ref_escape(data, size, full, ends);
	memset(out, 'Z', sizeof(out));
	CHECK(tftp_escape((const char *)data, size, out, osize) == out);
	if (osize < sizeof(out))
		CHECK(out[osize] == 'Z');
	if (osize == 0)
		goto done;
	if (flen < osize) {
		CHECK(strcmp(out, full) == 0);
		goto done;
	}
	/* Truncated: the longest run of whole escapes that leaves room for
	 * "...", then the dots (fewer only when the buffer is tiny). */
	budget = osize > 4 ? osize - 4 : 0;
	for (i = 0; i < size && ends[i] <= budget; i++)
		prefix = ends[i];
	dots = osize - 1 < 3 ? osize - 1 : 3;
	CHECK(strlen(out) == prefix + dots);
	CHECK(memcmp(out, full, prefix) == 0);
	for (i = 0; i < dots; i++)
		CHECK(out[prefix + i] == '.');
done:
	free(full);
	free(ends);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_normalise(data, size);
	fuzz_escape(data, size);
	return 0;
}
