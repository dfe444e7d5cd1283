/*
 * request.c - the monitor's decision on one request.
 *
 * The datagram is parsed by the pure codec and nowhere else; the name goes
 * through the pure normaliser and then to the kernel (openat2 with
 * RESOLVE_IN_ROOT), two independent guards. Options are negotiated by the
 * pure option module; the child receives only numbers and a built OACK.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log-format.h"
#include "netascii.h"
#include "open-in-root.h"
#include "request.h"

#define INITIAL_RTO_MS 1000 /* before any round trip is measured (RFC 6298) */

/* The reason a metric counts, from the code; callers that know better
 * set it after. */
static enum metrics_refusal reason_of(enum tftp_error code)
{
	switch (code) {
	case TFTP_ERR_NOTFOUND:
		return METRICS_R_NOT_FOUND;
	case TFTP_ERR_ACCESS:
		return METRICS_R_ACCESS;
	case TFTP_ERR_EXISTS:
		return METRICS_R_EXISTS;
	case TFTP_ERR_NOSPACE:
		return METRICS_R_NO_SPACE;
	case TFTP_ERR_BADOP:
		return METRICS_R_MALFORMED;
	default:
		return METRICS_R_INTERNAL;
	}
}

/* Fill *ret with what the client is told; -EACCES, for the caller to
 * return. */
static int set_refusal(struct refusal *ret, enum tftp_error code, const char *text)
{
	*ret = (struct refusal){ .code = code, .text = text, .reason = reason_of(code) };
	return -EACCES;
}

static const char *parse_error_text(int r)
{
	switch (r) {
	case -EPROTONOSUPPORT:
		return "Unsupported mode";
	case -ENAMETOOLONG:
		return "File name too long";
	case -E2BIG:
		return "Too many options";
	case -EOPNOTSUPP:
		return "Illegal TFTP operation";
	default:
		return "Malformed request";
	}
}

int request_parse(const struct settings *s, const uint8_t *buf, size_t len,
		  struct request *ret, struct refusal *ret_refusal)
{
	int r;

	memset(ret, 0, sizeof(*ret));
	ret->fd = -1;
	ret->upload.dir_fd = ret->upload.tmp_fd = -1;
	r = tftp_pkt_parse_request(buf, len, &ret->req);
	tftp_escape(ret->req.filename, ret->req.filename_len, ret->file, sizeof(ret->file));
	if (r < 0) {
		set_refusal(ret_refusal, TFTP_ERR_BADOP, parse_error_text(r));
		ret_refusal->malformed = true;
		return -EACCES;
	}
	ret->is_upload = ret->req.opcode == TFTP_OP_WRQ;
	if (ret->is_upload && !s->create && !s->overwrite && !s->wrq_devnull) {
		set_refusal(ret_refusal, TFTP_ERR_ACCESS, "Uploads are disabled");
		ret_refusal->reason = METRICS_R_UPLOAD_DISABLED;
		return -EACCES;
	}
	if (!ret->is_upload && s->write_only) {
		set_refusal(ret_refusal, TFTP_ERR_ACCESS, "Downloads are disabled");
		ret_refusal->reason = METRICS_R_DOWNLOAD_DISABLED;
		return -EACCES;
	}
	return 0;
}

int request_resolve(const struct policy_answer *a, struct request *r, struct refusal *ret_refusal)
{
	if (a->refused)
		return set_refusal(ret_refusal, a->code, a->text);
	memcpy(r->path, a->path, sizeof(r->path));
	r->limits = a->limits;
	/* Our temporary files are nobody's business. */
	if (upload_is_temp_name(r->path))
		return set_refusal(ret_refusal, TFTP_ERR_ACCESS, "Access violation");
	return 0;
}

static int open_error(int r, struct refusal *ret)
{
	switch (r) {
	case -ENOENT:
	case -ENOTDIR:
		return set_refusal(ret, TFTP_ERR_NOTFOUND, "File not found");
	case -EEXIST:
		return set_refusal(ret, TFTP_ERR_EXISTS, "File already exists");
	case -ENOSPC:
	case -EDQUOT:
		return set_refusal(ret, TFTP_ERR_NOSPACE, "Disk full or allocation exceeded");
	case -EACCES:
	case -EPERM:
	case -EISDIR:
	case -ELOOP:
	case -EXDEV:
	case -EROFS:
		return set_refusal(ret, TFTP_ERR_ACCESS, "Access violation");
	default:
		return set_refusal(ret, TFTP_ERR_UNDEF, "Cannot open file");
	}
}

/* The largest block that fits the path without IP fragmentation. */
static uint32_t blksize_limit(const struct settings *s, unsigned path_mtu, int family)
{
	unsigned headers = (family == AF_INET6 ? 40 : 20) + 8 + TFTP_DATA_HDR;

	if (!s->blksize_mtu || path_mtu <= headers + TFTP_BLKSIZE_MIN)
		return s->blksize_max;
	return path_mtu - headers < TFTP_BLKSIZE_MAX ? path_mtu - headers : TFTP_BLKSIZE_MAX;
}

static int negotiate(const struct settings *s, const struct request *r, uint64_t size,
		     unsigned path_mtu, int family, struct tftp_opt_result *ret)
{
	const struct client_quirk *q = &r->limits;
	struct tftp_opt_limits lim = {
		.blksize_max = blksize_limit(s, path_mtu, family),
		.windowsize_max = s->windowsize_max,
		.upload_max = s->max_upload,
		/* refuse = all: plain RFC 1350, no OACK, for firmware that
		 * breaks on one. */
		.refused = q->refuse_all ? (1u << TFTP_OPT_COUNT) - 1 : s->refused | q->refused,
		/* netascii changes the size on the wire: no tsize unless exact */
		.tsize_known = !r->is_upload && r->req.mode == TFTP_MODE_OCTET,
		.file_size = size,
	};
	int e;

	if (q->blksize_max != 0 && q->blksize_max < lim.blksize_max)
		lim.blksize_max = q->blksize_max;
	if (q->windowsize_max != 0 && q->windowsize_max < lim.windowsize_max)
		lim.windowsize_max = q->windowsize_max;
	e = tftp_opt_negotiate(&r->req, &lim, ret);
	/* A window must fit the child's buffer: grant a smaller one. */
	if (e == 0 && (uint64_t)ret->windowsize * (ret->blksize + TFTP_DATA_HDR) >
			      PSEP_WINDOW_BYTES_MAX) {
		lim.windowsize_max = PSEP_WINDOW_BYTES_MAX / (ret->blksize + TFTP_DATA_HDR);
		e = tftp_opt_negotiate(&r->req, &lim, ret);
	}
	return e;
}

static void fill_job(const struct settings *s, struct request *r, uint64_t size)
{
	struct psep_job *job = &r->job;
	const struct tftp_opt_result *o = &r->opts;
	int oack;

	memset(job, 0, sizeof(*job));
	job->opcode = (uint8_t)r->req.opcode;
	job->mode = (uint8_t)r->req.mode;
	job->rollover = o->rollover;
	job->blksize = o->blksize;
	job->windowsize = o->windowsize;
	if (o->timeout_us > 0) {
		/* Negotiated: honoured exactly, no adaptation (RFC 2349). */
		job->timeout_ms = o->timeout_us / 1000 ? o->timeout_us / 1000 : 1;
		job->rto_min_ms = job->rto_max_ms = job->timeout_ms;
	} else {
		job->rto_min_ms = s->retransmit_min_ms;
		job->rto_max_ms = s->retransmit_max_ms;
		job->timeout_ms = INITIAL_RTO_MS;
		if (job->timeout_ms < job->rto_min_ms)
			job->timeout_ms = job->rto_min_ms;
		if (job->timeout_ms > job->rto_max_ms)
			job->timeout_ms = job->rto_max_ms;
	}
	job->retries = s->retries;
	job->deadline_s = s->deadline_s;
	job->initial_window = s->initial_window;
	job->file_size = r->is_upload ? 0 : size;
	job->max_size = r->is_upload ? s->max_upload : 0;
	oack = tftp_opt_build_oack(o, job->oack, sizeof(job->oack));
	job->oack_len = oack > 0 ? (uint16_t)oack : 0;
}

/* create-client-dir: the client's directory in parent (a path under the
 * root, "" for the root itself), opened as any path is (open-in-root.h), so
 * that a symbolic link cannot take the new directory elsewhere. */
static int make_client_dir(int root_fd, const char *parent, const char *dir)
{
	int fd = parent[0] != '\0' ? root_openat(root_fd, parent, O_PATH | O_DIRECTORY) : root_fd;
	int e = 0;

	if (fd < 0)
		return fd;
	if (mkdirat(fd, dir, 0755) < 0 && errno != EEXIST)
		e = -errno;
	if (fd != root_fd)
		close(fd);
	return e;
}

/* upload-dir-per-client: the upload goes into a directory named after the
 * client's address, beside where it would have gone: "upload/fw.bin"
 * from 192.0.2.7 is stored as "upload/192.0.2.7/fw.bin", so that only the
 * upload directory needs to be writable, never the root. */
static int client_upload_path(const struct settings *s, int root_fd,
			      const struct addr_key *client, struct request *r)
{
	char dir[ADDR_KEY_TEXT_MAX], parent[TFTP_PATH_MAX], path[TFTP_PATH_MAX];
	const char *slash = strrchr(r->path, '/'), *base = slash != NULL ? slash + 1 : r->path;
	size_t plen = slash != NULL ? (size_t)(slash - r->path) : 0;
	int e;

	if (addr_key_host_text(client, dir, sizeof(dir))[0] == '\0')
		return -EINVAL;
	memcpy(parent, r->path, plen);
	parent[plen] = '\0';
	if ((size_t)snprintf(path, sizeof(path), "%s%s%s/%s", parent, plen ? "/" : "", dir, base) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	if (s->create_client_dir && (e = make_client_dir(root_fd, parent, dir)) < 0)
		return e;
	memcpy(r->path, path, sizeof(path));
	return 0;
}

static int open_upload(const struct settings *s, const struct request_site *site,
		       const struct addr_key *client, struct request *r)
{
	int e;

	if (s->wrq_devnull)
		e = upload_begin_discard(site->null_fd, &r->upload);
	else if (s->upload_dir_per_client && (e = client_upload_path(s, site->root_fd, client, r)) < 0)
		return e;
	else
		e = upload_begin(site->root_fd, r->path, s->create, s->overwrite, &r->upload);
	if (e < 0)
		return e;
	r->fd = r->upload.tmp_fd;
	return 0;
}

/* The file, else default-file when it does not exist. */
static int open_download(const struct settings *s, const struct request_site *site,
			 struct request *r, uint64_t *ret_size)
{
	struct stat st;

	/* Relayed: the body relay.c checked, in place of a file; a stream's
	 * size is what the fetcher announced, the child holds it to it. */
	if (r->fd >= 0 && r->stream) {
		*ret_size = r->stream_size;
		return 0;
	}
	if (r->fd >= 0) {
		if (fstat(r->fd, &st) < 0) {
			int e = -errno;

			close(r->fd);
			r->fd = -1;
			return e;
		}
		*ret_size = (uint64_t)st.st_size;
		return 0;
	}
	r->fd = root_open_file(site->root_fd, r->path, site->world_readable_only, &st);
	if (r->fd == -ENOENT && s->default_file != NULL &&
	    tftp_path_normalise(s->default_file, strlen(s->default_file), r->path,
				sizeof(r->path)) == 0)
		r->fd = root_open_file(site->root_fd, r->path, site->world_readable_only, &st);
	if (r->fd < 0)
		return r->fd;
	*ret_size = (uint64_t)st.st_size;
	return 0;
}

int request_open(const struct settings *s, const struct request_site *site,
		 const struct addr_key *client, unsigned path_mtu, int family, struct request *r,
		 struct refusal *ret_refusal)
{
	uint64_t size = 0;
	int e = r->is_upload ? open_upload(s, site, client, r) : open_download(s, site, r, &size);

	if (e < 0) {
		r->fd = -1;
		return open_error(e, ret_refusal);
	}
	e = negotiate(s, r, size, path_mtu, family, &r->opts);
	if (e != 0) {
		request_release(r);
		return set_refusal(ret_refusal, (enum tftp_error)e,
				   e == TFTP_ERR_NOSPACE ? "File exceeds the upload size limit"
							 : "Option negotiation failed");
	}
	fill_job(s, r, size);
	/* Its options were refused after all: no OACK, and DATA 1 would be
	 * the monitor's to read, which it never does from a pipe. */
	if (r->stream && r->job.oack_len == 0) {
		request_release(r);
		return set_refusal(ret_refusal, TFTP_ERR_UNDEF,
				   "Relay: a streamed file needs the tsize or blksize option");
	}
	if (r->stream)
		r->job.flags |= PSEP_JOB_STREAM;
	return 0;
}

/* DATA 1 of a request without options: 512 bytes of the file, netascii
 * encoded from its start, as the child encodes it again. */
static int first_data(const struct request *r, uint8_t *buf, size_t size, bool *ret_last)
{
	uint8_t raw[TFTP_BLKSIZE_DEFAULT];
	size_t len = 0, used = 0;
	ssize_t n;

	if (size < TFTP_DATA_HDR + TFTP_BLKSIZE_DEFAULT)
		return -ENOBUFS;
	do
		n = pread(r->fd, raw, sizeof(raw), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	tftp_pkt_put_data_header(buf, TFTP_DATA_HDR, 1);
	if (r->req.mode == TFTP_MODE_NETASCII) {
		struct netascii_enc enc = { 0 };

		len = netascii_encode(&enc, raw, (size_t)n, &used, buf + TFTP_DATA_HDR,
				      TFTP_BLKSIZE_DEFAULT);
		/* The whole file fit only if it was all read and encoded. */
		*ret_last = len < TFTP_BLKSIZE_DEFAULT && n < (ssize_t)sizeof(raw) &&
			    used == (size_t)n && !enc.has_pending;
	} else {
		len = (size_t)n;
		memcpy(buf + TFTP_DATA_HDR, raw, len);
		*ret_last = len < TFTP_BLKSIZE_DEFAULT;
	}
	return (int)(TFTP_DATA_HDR + len);
}

int request_first_packet(const struct request *r, uint8_t *buf, size_t size, bool *ret_last)
{
	*ret_last = false;
	if (r->job.oack_len > 0) {
		if (size < r->job.oack_len)
			return -ENOBUFS;
		memcpy(buf, r->job.oack, r->job.oack_len);
		return r->job.oack_len;
	}
	if (r->is_upload)
		return tftp_pkt_build_ack(buf, size, 0);
	return first_data(r, buf, size, ret_last);
}

void request_release(struct request *r)
{
	if (r->is_upload) {
		upload_abort(&r->upload); /* closes tmp_fd, which r->fd shares */
		r->fd = -1;
	} else if (r->fd >= 0) {
		close(r->fd);
		r->fd = -1;
	}
}
