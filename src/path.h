/*
 * path.h - request file names to relative paths under the served root.
 *
 * Pure: the first of two independent guards. The second is the kernel
 * (openat2 with RESOLVE_IN_ROOT from the root directory fd).
 */
#ifndef CLOISTER_PATH_H
#define CLOISTER_PATH_H

#include <stddef.h>

#define TFTP_PATH_MAX 512 /* bytes, with the NUL */

/*
 * Turn a client's file name into a relative path:
 *  - backslashes become slashes (Windows and WDS clients send "\boot\x");
 *  - leading slashes are dropped: "/pxelinux.0" names root/pxelinux.0;
 *  - "." components are dropped;
 * and refuse (-EINVAL) a name that is empty (or only slashes), contains a
 * control character (0x01..0x1f, 0x7f), an empty component ("a//b", a
 * trailing "/") or a ".." component. -ENAMETOOLONG when the result does not
 * fit in size bytes with its NUL.
 * name need not be NUL-terminated; len bytes are read.
 * Returns 0 and writes the path to ret_path; ret_path is untouched on error.
 */
int tftp_path_normalise(const char *name, size_t len, char *ret_path, size_t size);

/* tftp_path_normalise with flags: TFTP_PATH_BACKSLASH makes '\' a
 * separator as '/' (tftp_path_normalise always does); without it '\' is
 * an ordinary byte. */
#define TFTP_PATH_BACKSLASH 1u
int tftp_path_normalise_flags(const char *name, size_t len, unsigned flags, char *ret_path,
			      size_t size);

#endif
