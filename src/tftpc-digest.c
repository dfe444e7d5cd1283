/*
 * tftpc-digest.c - SHA-256 and MD5 with libgcrypt.
 *
 * libgcrypt, and not OpenSSL or nettle: libsystemd, which cloister links
 * already, depends on it, so tftpc adds no library to a system that runs
 * tftpd; and it is Debian's library with the longest record of careful
 * maintenance for plain hashing.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <gcrypt.h>
#include <stdio.h>
#include <string.h>

#include "tftpc-digest.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int gcry_algo(enum tftpc_digest_algo algo)
{
	return algo == TFTPC_DIGEST_MD5 ? GCRY_MD_MD5 : GCRY_MD_SHA256;
}

int tftpc_digest_start(struct tftpc_digest *d, enum tftpc_digest_algo algo, const char *hex)
{
	gcry_md_hd_t hd;
	size_t len = algo == TFTPC_DIGEST_MD5 ? 16 : 32;

	memset(d, 0, sizeof(*d));
	if (!hex || strlen(hex) != 2 * len)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		int hi = hexval((unsigned char)hex[2 * i]), lo = hexval((unsigned char)hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		d->expected[i] = (uint8_t)(hi << 4 | lo);
	}
	/* libgcrypt wants its version checked before first use; no secure
	 * memory is needed for a public checksum. */
	if (!gcry_check_version(NULL))
		return -ENOMEM;
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	if (gcry_md_open(&hd, gcry_algo(algo), 0) != 0)
		return -ENOMEM;
	d->hd = hd;
	d->algo = algo;
	d->len = len;
	return 0;
}

void tftpc_digest_update(struct tftpc_digest *d, const uint8_t *buf, size_t len)
{
	if (d->hd)
		gcry_md_write(d->hd, buf, len);
}

bool tftpc_digest_matches(struct tftpc_digest *d, char *got)
{
	const uint8_t *md;

	got[0] = '\0';
	if (!d->hd)
		return true;
	md = gcry_md_read(d->hd, gcry_algo(d->algo));
	if (!md)
		return false;
	for (size_t i = 0; i < d->len; i++)
		(void)snprintf(got + 2 * i, 3, "%02x", md[i]);
	return memcmp(md, d->expected, d->len) == 0;
}

void tftpc_digest_end(struct tftpc_digest *d)
{
	if (d->hd)
		gcry_md_close(d->hd);
	d->hd = NULL;
}
