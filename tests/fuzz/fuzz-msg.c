/*
 * fuzz-msg.c - libFuzzer harness for the privsep message decoder.
 *
 * A child controls every byte the monitor decodes. Whatever decodes must
 * re-encode to exactly the same bytes (one encoding per message, nothing
 * hidden in padding or unused space) and decode again to the same message.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdint.h>
#include <string.h>

#include "fuzz-check.h"
#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct psep_msg msg, again;
	uint8_t buf[PSEP_MSG_MAX];
	int len;

	if (psep_msg_decode(data, size, &msg) < 0)
		return 0;
	CHECK(psep_msg_nfds(msg.type) >= 0);
	len = psep_msg_encode(&msg, buf, sizeof(buf));
	CHECK(len >= 0 && (size_t)len == size && memcmp(buf, data, size) == 0);
	/* decode fills the whole struct, padding included, so memcmp is fair. */
	CHECK(psep_msg_decode(buf, (size_t)len, &again) == 0 && memcmp(&msg, &again, sizeof(msg)) == 0);
	return 0;
}
