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
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chroot.h"
#include "request.h"
#include "transfer.h"

#define INITIAL_RTO_MS 1000 /* before any round trip is measured (RFC 6298) */

static int refuse(struct refusal *ret, enum tftp_error code, const char *text)
{
	ret->code = code;
	ret->text = text;
	return -1;
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
	if (r < 0)
		return refuse(ret_refusal, TFTP_ERR_BADOP, parse_error_text(r));
	ret->is_upload = ret->req.opcode == TFTP_OP_WRQ;
	if (ret->is_upload && !s->create && !s->overwrite)
		return refuse(ret_refusal, TFTP_ERR_ACCESS, "Uploads are disabled");
	if (tftp_path_normalise(ret->req.filename, ret->req.filename_len, ret->path,
				sizeof(ret->path)) < 0)
		return refuse(ret_refusal, TFTP_ERR_ACCESS, "Access violation");
	/* Our temporary files are nobody's business. */
	if (upload_is_temp_name(ret->path))
		return refuse(ret_refusal, TFTP_ERR_ACCESS, "Access violation");
	return 0;
}

static int open_error(int r, struct refusal *ret)
{
	switch (r) {
	case -ENOENT:
	case -ENOTDIR:
		return refuse(ret, TFTP_ERR_NOTFOUND, "File not found");
	case -EEXIST:
		return refuse(ret, TFTP_ERR_EXISTS, "File already exists");
	case -ENOSPC:
	case -EDQUOT:
		return refuse(ret, TFTP_ERR_NOSPACE, "Disk full or allocation exceeded");
	case -EACCES:
	case -EPERM:
	case -EISDIR:
	case -ELOOP:
	case -EXDEV:
	case -EROFS:
		return refuse(ret, TFTP_ERR_ACCESS, "Access violation");
	default:
		return refuse(ret, TFTP_ERR_UNDEF, "Cannot open file");
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
	struct tftp_opt_limits lim = {
		.blksize_max = blksize_limit(s, path_mtu, family),
		.windowsize_max = s->windowsize_max,
		.upload_max = s->max_upload,
		.refused = s->refused,
		/* netascii changes the size on the wire: no tsize unless exact */
		.tsize_known = !r->is_upload && r->req.mode == TFTP_MODE_OCTET,
		.file_size = size,
	};
	int e = tftp_opt_negotiate(&r->req, &lim, ret);

	/* A window must fit the child's buffer: grant a smaller one. */
	if (e == 0 && (uint64_t)ret->windowsize * (ret->blksize + TFTP_DATA_HDR) >
			      TRANSFER_WINDOW_BYTES_MAX) {
		lim.windowsize_max = TRANSFER_WINDOW_BYTES_MAX / (ret->blksize + TFTP_DATA_HDR);
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
	job->file_size = r->is_upload ? 0 : size;
	job->max_size = r->is_upload ? s->max_upload : 0;
	oack = tftp_opt_build_oack(o, job->oack, sizeof(job->oack));
	job->oack_len = oack > 0 ? (uint16_t)oack : 0;
}

int request_open(const struct settings *s, int root_fd, bool world_readable_only,
		 unsigned path_mtu, int family, struct request *r, struct refusal *ret_refusal)
{
	uint64_t size = 0;
	int e;

	if (r->is_upload) {
		e = upload_begin(root_fd, r->path, s->create, s->overwrite, &r->upload);
		if (e < 0)
			return open_error(e, ret_refusal);
		r->fd = r->upload.tmp_fd;
	} else {
		struct stat st;

		r->fd = root_open_file(root_fd, r->path, world_readable_only, &st);
		if (r->fd < 0)
			return open_error(r->fd, ret_refusal);
		size = (uint64_t)st.st_size;
	}
	e = negotiate(s, r, size, path_mtu, family, &r->opts);
	if (e != 0) {
		request_release(r);
		return refuse(ret_refusal, (enum tftp_error)e,
			      e == TFTP_ERR_NOSPACE ? "File exceeds the upload size limit"
						    : "Option negotiation failed");
	}
	fill_job(s, r, size);
	return 0;
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
