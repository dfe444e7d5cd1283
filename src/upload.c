/*
 * upload.c - temporary file, check, atomic rename, stale cleanup.
 *
 * Every name is resolved relative to the parent directory's fd, which was
 * opened once with openat2(RESOLVE_IN_ROOT): the temporary file, the
 * target and the rename all refer to the same directory, so a symlink
 * swapped in later cannot redirect any step out of the root.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "open-in-root.h"
#include "upload.h"

#define TEMP_PREFIX_LEN (sizeof(UPLOAD_TEMP_PREFIX) - 1)
/* A name collision of 64 random bits means someone is creating our names;
 * a few tries tell chance from that. */
#define TEMP_TRIES 8
/* clean_stale: bounded time and stack whatever the tree looks like. */
#define CLEAN_MAX_ENTRIES 1000000UL
#define CLEAN_MAX_DEPTH 64U

static void close_fd(int *fd)
{
	int saved = errno;

	if (*fd >= 0)
		close(*fd);
	*fd = -1;
	errno = saved;
}

static const char *last_component(const char *relpath)
{
	const char *slash = strrchr(relpath, '/');

	return slash ? slash + 1 : relpath;
}

bool upload_is_temp_name(const char *relpath)
{
	if (!relpath)
		return false;
	return strncmp(last_component(relpath), UPLOAD_TEMP_PREFIX, TEMP_PREFIX_LEN) == 0;
}

/* Split relpath into parent (or ".") and last component. */
static int split_path(const char *relpath, char *ret_parent, size_t parent_size,
		      const char **ret_name)
{
	const char *name = last_component(relpath);
	size_t plen = (size_t)(name - relpath);

	/* The normaliser never produces these; refuse rather than guess. */
	if (relpath[0] == '/' || name[0] == '\0')
		return -EINVAL;
	if (strlen(name) > NAME_MAX)
		return -ENAMETOOLONG;
	if (plen == 0) {
		strcpy(ret_parent, ".");
	} else {
		if (plen > parent_size) /* plen counts the slash: room for NUL */
			return -ENAMETOOLONG;
		memcpy(ret_parent, relpath, plen - 1);
		ret_parent[plen - 1] = '\0';
	}
	*ret_name = name;
	return 0;
}

/* The parent directory, as a handle for *at calls only (O_PATH). */
static int open_parent(int root_fd, const char *parent)
{
	return root_openat(root_fd, parent, O_PATH | O_DIRECTORY);
}

/* Decide on the target as it is now; renameat2 decides again at commit. */
static int check_target(int dir_fd, const char *name, bool create, bool overwrite)
{
	struct stat st;

	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			return -errno;
		return create ? 0 : -ENOENT;
	}
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	/* Never replace a link, device, FIFO or socket: renaming over a
	 * symlink would look like writing through it to whoever follows it. */
	if (!S_ISREG(st.st_mode))
		return -EPERM;
	return overwrite ? 0 : -EEXIST;
}

static int random_hex(char *ret, size_t size)
{
	uint64_t v;
	ssize_t n;

	do
		n = getrandom(&v, sizeof(v), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if ((size_t)n != sizeof(v))
		return -EIO;
	snprintf(ret, size, "%016" PRIx64, v);
	return 0;
}

/* Exclusive create: never opens anything that was already there. */
static int create_temp(int dir_fd, char *ret_name, size_t size)
{
	char hex[17];
	int i, r, fd;

	for (i = 0; i < TEMP_TRIES; i++) {
		r = random_hex(hex, sizeof(hex));
		if (r < 0)
			return r;
		snprintf(ret_name, size, "%s%s", UPLOAD_TEMP_PREFIX, hex);
		fd = openat(dir_fd, ret_name,
			    O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0)
			return fd;
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

int upload_begin(int root_fd, const char *relpath, bool create, bool overwrite,
		 struct upload *ret)
{
	char parent[PATH_MAX];
	char tmp_name[sizeof(ret->tmp_name)];
	const char *name;
	int dir_fd, tmp_fd, r;

	if (!relpath || !ret)
		return -EINVAL;
	r = split_path(relpath, parent, sizeof(parent), &name);
	if (r < 0)
		return r;
	/* Our own temporaries are nobody's upload target (nor "." / ".."). */
	if (upload_is_temp_name(name))
		return -EPERM;
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -EISDIR;
	dir_fd = open_parent(root_fd, parent);
	if (dir_fd < 0)
		return dir_fd;
	r = check_target(dir_fd, name, create, overwrite);
	if (r < 0) {
		close_fd(&dir_fd);
		return r;
	}
	tmp_fd = create_temp(dir_fd, tmp_name, sizeof(tmp_name));
	if (tmp_fd < 0) {
		close_fd(&dir_fd);
		return tmp_fd;
	}
	ret->dir_fd = dir_fd;
	ret->tmp_fd = tmp_fd;
	memcpy(ret->tmp_name, tmp_name, sizeof(tmp_name));
	snprintf(ret->final_name, sizeof(ret->final_name), "%s", name);
	ret->overwrite = overwrite;
	ret->discard = false;
	return 0;
}

/*
 * An O_PATH fd cannot be fsync'ed (EBADF), so open the directory for
 * reading just for that. Best effort: the file itself is already on disk,
 * and failing the upload now would leave the client guessing whether it
 * landed, while the rename has in fact been done.
 */
static void sync_dir(int dir_fd)
{
	int fd = openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return;
	(void)fsync(fd);
	close_fd(&fd);
}

int upload_begin_discard(int null_fd, struct upload *ret)
{
	*ret = (struct upload){ .dir_fd = -1, .discard = true };
	ret->tmp_fd = fcntl(null_fd, F_DUPFD_CLOEXEC, 0);
	return ret->tmp_fd < 0 ? -errno : 0;
}

int upload_commit(struct upload *u, uint64_t expected_size, uint64_t max_size, mode_t mode)
{
	struct stat st;

	if (u && u->discard)
		return 0;
	if (!u || u->dir_fd < 0 || u->tmp_fd < 0 || u->tmp_name[0] == '\0')
		return -EBADF;
	/* Size is checked on the fd the child wrote to: a short or
	 * overlong upload never gets a public name. */
	if (fstat(u->tmp_fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != expected_size)
		return -EBADMSG;
	/* The limit is the monitor's to enforce, not only the child's. */
	if (max_size != 0 && (uint64_t)st.st_size > max_size)
		return -EFBIG;
	/* Permission bits only: client data never becomes set-id or sticky. */
	if (fchmod(u->tmp_fd, mode & 0777) < 0)
		return -errno;
	/* Data before name: after a crash the target is old or new, never
	 * a new name on missing blocks. */
	if (fsync(u->tmp_fd) < 0)
		return -errno;
	/* RENAME_NOREPLACE: a file that appeared since begin is not ours to
	 * clobber. */
	if (renameat2(u->dir_fd, u->tmp_name, u->dir_fd, u->final_name,
		      u->overwrite ? 0 : RENAME_NOREPLACE) < 0)
		return -errno;
	/* The temporary name is gone: abort must not unlink anything now. */
	u->tmp_name[0] = '\0';
	sync_dir(u->dir_fd);
	return 0;
}

void upload_abort(struct upload *u)
{
	if (!u)
		return;
	/* Only a name we created and still own; ENOENT (removed by someone
	 * else) changes nothing. */
	if (u->dir_fd >= 0 && u->tmp_name[0] != '\0')
		(void)unlinkat(u->dir_fd, u->tmp_name, 0);
	u->tmp_name[0] = '\0';
	upload_close(u);
}

void upload_close(struct upload *u)
{
	if (!u)
		return;
	close_fd(&u->tmp_fd);
	close_fd(&u->dir_fd);
}

struct clean_state {
	unsigned long visited;
	int removed;
};

static int clean_dir(int dir_fd, unsigned depth, unsigned max_depth, struct clean_state *s);

/* Enter a subdirectory; O_NOFOLLOW so a symlink swapped in after the
 * fstatat is refused, never followed. */
static void clean_subdir(int parent_fd, const char *name, unsigned depth,
			 unsigned max_depth, struct clean_state *s)
{
	int fd = openat(parent_fd, name,
			O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return;
	(void)clean_dir(fd, depth + 1, max_depth, s);
}

static void clean_entry(int dir_fd, const char *name, unsigned depth,
			unsigned max_depth, struct clean_state *s)
{
	struct stat st;
	bool temp = strncmp(name, UPLOAD_TEMP_PREFIX, TEMP_PREFIX_LEN) == 0;

	if (!temp && depth >= max_depth)
		return;
	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return;
	if (temp && S_ISREG(st.st_mode)) {
		if (unlinkat(dir_fd, name, 0) == 0)
			s->removed++;
	} else if (S_ISDIR(st.st_mode) && depth < max_depth) {
		clean_subdir(dir_fd, name, depth, max_depth, s);
	}
}

/* Takes ownership of dir_fd (an fd opened for reading). Best effort below
 * the top: callers ignore the result for subdirectories. */
static int clean_dir(int dir_fd, unsigned depth, unsigned max_depth, struct clean_state *s)
{
	DIR *d = fdopendir(dir_fd);
	struct dirent *de;

	if (!d) {
		int r = -errno;

		close_fd(&dir_fd);
		return r;
	}
	while ((de = readdir(d)) != NULL) {
		if (++s->visited > CLEAN_MAX_ENTRIES)
			break;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		clean_entry(dirfd(d), de->d_name, depth, max_depth, s);
	}
	closedir(d);
	return 0;
}

int upload_clean_stale(int root_fd, unsigned max_depth)
{
	struct clean_state s = { 0, 0 };
	/* root_fd is O_PATH: getdents needs a descriptor opened for reading. */
	int fd = openat(root_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -errno;
	/* One fd and one stack frame per level: keep both bounded. */
	if (max_depth > CLEAN_MAX_DEPTH)
		max_depth = CLEAN_MAX_DEPTH;
	r = clean_dir(fd, 0, max_depth, &s);
	return r < 0 ? r : s.removed;
}
