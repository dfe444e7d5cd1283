/*
 * tftpc-digest.h - tftpc's --sha256 and --md5: a digest of the data as it
 * moves, compared with the one the user expects.
 */
#ifndef CLOISTER_TFTPC_DIGEST_H
#define CLOISTER_TFTPC_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum tftpc_digest_algo {
	TFTPC_DIGEST_SHA256 = 1,
	TFTPC_DIGEST_MD5 = 2,
};

#define TFTPC_DIGEST_MAX 32 /* bytes of the longest digest */

struct tftpc_digest {
	void *hd;              /* libgcrypt's handle; NULL when not in use */
	enum tftpc_digest_algo algo;
	uint8_t expected[TFTPC_DIGEST_MAX];
	size_t len;
};

/* Start a digest expecting hex (case-insensitive, exactly the digest's
 * length). 0, -EINVAL for hex that is not such a digest, -ENOMEM. */
int tftpc_digest_start(struct tftpc_digest *d, enum tftpc_digest_algo algo, const char *hex);

void tftpc_digest_update(struct tftpc_digest *d, const uint8_t *buf, size_t len);

/* Does the data so far have the expected digest? Puts what it has, in
 * hex, into got (2 * TFTPC_DIGEST_MAX + 1 bytes). */
bool tftpc_digest_matches(struct tftpc_digest *d, char *got);

/* Release the handle; d may be unused. */
void tftpc_digest_end(struct tftpc_digest *d);

#endif
