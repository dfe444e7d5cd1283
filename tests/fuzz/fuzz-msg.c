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
#include <stdlib.h>
#include <string.h>

#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct psep_msg msg, again;
	uint8_t buf[PSEP_MSG_MAX];
	int len;

	if (psep_msg_decode(data, size, &msg) < 0)
		return 0;
	if (psep_msg_nfds(msg.type) < 0)
		abort();
	len = psep_msg_encode(&msg, buf, sizeof(buf));
	if (len < 0 || (size_t)len != size || memcmp(buf, data, size) != 0)
		abort();
	/* decode fills the whole struct, padding included, so memcmp is fair. */
	if (psep_msg_decode(buf, (size_t)len, &again) != 0 || memcmp(&msg, &again, sizeof(msg)) != 0)
		abort();
	return 0;
}
