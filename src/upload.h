/*
 * upload.h - uploads that never leave a partial or clobbered file.
 *
 * The monitor creates a temporary file next to the target (exclusive,
 * mode 0600, a name no request may use), the child writes into it, and
 * only a complete, checked upload is renamed into place, atomically.
 * Every failure removes the temporary file; stale ones left by a crash are
 * removed at start.
 */
#ifndef CLOISTER_UPLOAD_H
#define CLOISTER_UPLOAD_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define UPLOAD_TEMP_PREFIX ".tftpd-upload."

struct upload {
	int dir_fd;                  /* the target's directory (O_PATH), -1 when closed */
	int tmp_fd;                  /* the temporary file, O_RDWR, -1 when closed */
	char tmp_name[64];           /* UPLOAD_TEMP_PREFIX + 16 random hex digits */
	char final_name[NAME_MAX + 1];
	bool overwrite;
	bool discard;                /* wrq-devnull: tmp_fd is /dev/null, nothing is stored */
};

/*
 * True when the last component of a normalised relative path names one of
 * our temporary files: such names are refused for reading and writing.
 */
bool upload_is_temp_name(const char *relpath);

/*
 * Prepare an upload of relpath (normalised, relative) under root_fd:
 * open the parent directory with openat2(RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS) and look at the target without following a final
 * symlink:
 *   exists, not a regular file          -> -EISDIR / -EPERM
 *   exists and !overwrite               -> -EEXIST
 *   missing and !create                 -> -ENOENT
 *   parent missing / not a directory    -> -ENOENT / -ENOTDIR
 * then create the temporary file (O_CREAT|O_EXCL|O_NOFOLLOW, 0600, random
 * name from getrandom). Returns 0 with *ret filled (both fds owned by it),
 * or -errno with nothing left behind.
 */
int upload_begin(int root_fd, const char *relpath, bool create, bool overwrite,
		 struct upload *ret);

/* An upload that is accepted and thrown away (wrq-devnull): tmp_fd is a
 * duplicate of null_fd, and commit stores nothing. 0 or -errno. */
int upload_begin_discard(int null_fd, struct upload *ret);

/*
 * Finish a successful upload: fstat the temporary file (must be a regular
 * file of exactly expected_size bytes, else -EBADMSG; no larger than
 * max_size when that is not 0, else -EFBIG), fchmod it to mode,
 * fsync it, then renameat2 it onto the target (RENAME_NOREPLACE unless
 * overwrite: a file that appeared meanwhile is never clobbered, -EEXIST).
 * Returns 0 or -errno; on failure the caller calls upload_abort.
 * Closes nothing. A discarded upload is done: 0, nothing checked.
 */
int upload_commit(struct upload *u, uint64_t expected_size, uint64_t max_size, mode_t mode);

/* Remove the temporary file if it is still there and close both fds.
 * Idempotent; safe after a successful commit (then only closes). */
void upload_abort(struct upload *u);

/* Close both fds after a successful commit. Idempotent. */
void upload_close(struct upload *u);

/*
 * Remove temporary files left by a crash: regular files whose name starts
 * with UPLOAD_TEMP_PREFIX, in root_fd's tree down to max_depth levels of
 * directories, never following symlinks. Returns how many were removed,
 * or -errno when root_fd cannot be read.
 */
int upload_clean_stale(int root_fd, unsigned max_depth);

#endif
