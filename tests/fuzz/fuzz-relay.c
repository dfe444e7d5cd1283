/*
 * fuzz-relay.c - libFuzzer harness for URL links (src/relay-url.c) and
 * the fetcher's messages (privsep/relay-msg.c).
 *
 * The first byte chooses. URL: the input is "LINK\0REST"; a joined URL
 * must start with http:// or https://, hold printable ASCII only, no
 * space, '#', '\' or modifier, fit its buffer, and have only known flags.
 * Messages: what decodes encodes back to the very same bytes.
 * HTTP: header lines (split at '\n') never leave an unprintable or
 * unterminated validator; a cache entry that parses formats back to the
 * same bytes.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "fuzz-check.h"
#include "http-cache.h"
#include "relay-msg.h"
#include "relay-url.h"

static void check_url(const char *url)
{
	size_t len = strlen(url);

	CHECK(len < RELAY_URL_MAX);
	CHECK(strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0);
	for (size_t i = 0; i < len; i++)
		CHECK(url[i] > ' ' && url[i] < 0x7f && url[i] != '#' && url[i] != '\\');
}

static void fuzz_url(const uint8_t *data, size_t size)
{
	char rest[RELAY_URL_MAX], url[RELAY_URL_MAX];
	const uint8_t *nul = memchr(data, 0, size);
	size_t link_len = nul != NULL ? (size_t)(nul - data) : size;
	size_t rest_len = nul != NULL ? size - link_len - 1 : 0;
	unsigned flags = 0;

	if (rest_len >= sizeof(rest))
		rest_len = sizeof(rest) - 1;
	if (rest_len > 0)
		memcpy(rest, nul + 1, rest_len);
	rest[rest_len] = '\0';
	if (link_len == 0)
		return;
	if (relay_url_join((const char *)data, link_len, rest, url, sizeof(url), &flags) == 0) {
		check_url(url);
		CHECK((flags & ~(unsigned)RELAY_URL_FLAGS_ALL) == 0);
		CHECK(relay_url_is_remote((const char *)data, link_len));
	}
}

static void fuzz_msg(const uint8_t *data, size_t size)
{
	struct relay_msg m;
	uint8_t again[RELAY_MSG_MAX];
	int n;

	if (relay_msg_decode(data, size, &m) < 0)
		return;
	n = relay_msg_encode(&m, again, sizeof(again));
	CHECK(n > 0 && (size_t)n == size && memcmp(again, data, size) == 0);
}

static void check_validator(const char *v)
{
	size_t n = strnlen(v, HTTP_VALIDATOR_MAX);

	CHECK(n < HTTP_VALIDATOR_MAX);
	for (size_t i = 0; i < n; i++)
		CHECK(v[i] >= 0x20 && v[i] <= 0x7e);
}

static void fuzz_headers(const uint8_t *data, size_t size)
{
	struct http_cache_info c;
	const char *p = (const char *)data, *end = p + size;

	http_cache_init(&c);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) + 1 : (size_t)(end - p);

		http_cache_header(&c, p, n);
		p += n;
	}
	check_validator(c.etag);
	check_validator(c.last_modified_text);
	(void)http_cache_lifetime(&c, 1700000000);
}

static void fuzz_entry(const uint8_t *data, size_t size)
{
	struct http_cache_entry e;
	char again[4096];
	int n;

	if (http_cache_entry_parse((const char *)data, size, &e) < 0)
		return;
	n = http_cache_entry_format(&e, again, sizeof(again));
	CHECK(n > 0 && (size_t)n == size && memcmp(again, data, size) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] & 3) {
	case 0:
		fuzz_url(data + 1, size - 1);
		break;
	case 1:
		fuzz_msg(data + 1, size - 1);
		break;
	case 2:
		fuzz_headers(data + 1, size - 1);
		break;
	default:
		fuzz_entry(data + 1, size - 1);
		break;
	}
	return 0;
}
