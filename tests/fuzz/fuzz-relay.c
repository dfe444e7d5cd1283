/*
 * fuzz-relay.c - libFuzzer harness for URL links (src/relay-url.c) and
 * the fetcher's messages (privsep/relay-msg.c).
 *
 * The first byte chooses. URL: the input is "LINK\0REST"; a joined URL
 * must start with http:// or https://, hold printable ASCII only, no
 * space, '#', '\' or modifier, fit its buffer, and have only known flags.
 * Messages: what decodes encodes back to the very same bytes.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <string.h>

#include "fuzz-check.h"
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		fuzz_msg(data + 1, size - 1);
	else
		fuzz_url(data + 1, size - 1);
	return 0;
}
