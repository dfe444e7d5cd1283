/*
 * msg.c - the monitor <-> child messages: encode, decode, send, receive.
 *
 * Wire format, one SOCK_SEQPACKET datagram, every integer little-endian:
 *
 *   header  u32 version (PSEP_MSG_VERSION), u32 type, u32 body length
 *   READY   (empty body)
 *   JOB     u32 transfer_id; u8 opcode, mode, rollover, flags;
 *           u32 blksize, windowsize, timeout_ms, rto_min_ms, rto_max_ms,
 *               retries, deadline_s, initial_window, first_rtt_usec;
 *           u64 first_sent_usec, file_size, max_size;
 *           u16 oack_len; u8 oack[PSEP_OACK_MAX]                 (582 bytes)
 *   RESULT  u32 transfer_id, status; u16 peer_error; u64 bytes, blocks;
 *           u32 retransmits; u64 duration_usec; u32 rtt_usec;
 *           char peer_message[PSEP_PEER_MSG_MAX]                 (170 bytes)
 *
 * Bodies have a fixed length per type, so the whole oack array is always
 * sent: bytes past oack_len must be zero, and so must every byte after
 * peer_message's NUL. Both sides enforce this (one validate function), so
 * a message has exactly one encoding and cannot carry hidden data: a child
 * cannot smuggle bytes past the checks, and the monitor never leaks stale
 * memory to a child.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "msg.h"
#include "tftp-packet.h"

#define HDR_LEN 12
#define JOB_BODY_LEN (4 + 4 * 1 + 9 * 4 + 3 * 8 + 2 + PSEP_OACK_MAX)
#define RESULT_BODY_LEN (4 + 4 + 2 + 8 + 8 + 4 + 8 + 4 + PSEP_PEER_MSG_MAX)
/* More than any message carries, so that surplus fds are received (and
 * closed) instead of being silently dropped by the kernel. */
#define RECV_FDS_MAX 8

_Static_assert(HDR_LEN + JOB_BODY_LEN <= PSEP_MSG_MAX, "JOB too long");
_Static_assert(HDR_LEN + RESULT_BODY_LEN <= PSEP_MSG_MAX, "RESULT too long");

/* Body length and fd count of each type: the one place they are stated. */
static const struct {
	uint16_t body_len;
	uint8_t nfds;
} msg_types[PSEP_MSG_TYPE_MAX + 1] = {
	[PSEP_MSG_READY] = { 0, 0 },
	[PSEP_MSG_JOB] = { JOB_BODY_LEN, 2 },
	[PSEP_MSG_RESULT] = { RESULT_BODY_LEN, 0 },
};

static int type_known(uint32_t type)
{
	return type >= PSEP_MSG_READY && type <= PSEP_MSG_TYPE_MAX;
}

int psep_msg_nfds(uint32_t type)
{
	return type_known(type) ? msg_types[type].nfds : -EINVAL;
}

/*
 * One walk over the fields serves both directions, so the encoder and the
 * decoder cannot disagree about the layout: with out set, each field is
 * written there; otherwise it is read from in.
 */
struct codec {
	uint8_t *out;
	const uint8_t *in;
};

/* Little-endian, one byte at a time: no alignment or host-order concerns. */
static uint64_t le(struct codec *c, uint64_t v, size_t n)
{
	if (c->out) {
		for (size_t i = 0; i < n; i++)
			*c->out++ = (uint8_t)(v >> (8 * i));
		return v;
	}
	v = 0;
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)*c->in++ << (8 * i);
	return v;
}

static void u8(struct codec *c, uint8_t *v) { *v = (uint8_t)le(c, *v, 1); }
static void u16(struct codec *c, uint16_t *v) { *v = (uint16_t)le(c, *v, 2); }
static void u32(struct codec *c, uint32_t *v) { *v = (uint32_t)le(c, *v, 4); }
static void u64(struct codec *c, uint64_t *v) { *v = le(c, *v, 8); }

static void bytes(struct codec *c, void *v, size_t n)
{
	if (c->out) {
		memcpy(c->out, v, n);
		c->out += n;
	} else {
		memcpy(v, c->in, n);
		c->in += n;
	}
}

static int in_range(uint64_t v, uint64_t min, uint64_t max)
{
	return v >= min && v <= max;
}

static int all_zero(const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n-- > 0)
		if (*p++ != 0)
			return 0;
	return 1;
}

static int validate_job(const struct psep_job *j)
{
	if (j->opcode != TFTP_OP_RRQ && j->opcode != TFTP_OP_WRQ)
		return -EINVAL;
	if (j->mode != TFTP_MODE_OCTET && j->mode != TFTP_MODE_NETASCII)
		return -EINVAL;
	if (j->rollover > 1 || (j->flags & ~PSEP_JOB_FLAGS_ALL) != 0)
		return -EINVAL;
	/* RFC 2348 blksize, RFC 7440 windowsize, RFC 2349 timeout (255 s). */
	if (!in_range(j->blksize, 8, 65464) || !in_range(j->windowsize, 1, 65535))
		return -EINVAL;
	if (!in_range(j->timeout_ms, 1, 255000))
		return -EINVAL;
	if (!in_range(j->rto_min_ms, 1, j->rto_max_ms) || !in_range(j->rto_max_ms, 1, 255000))
		return -EINVAL;
	if (!in_range(j->retries, 1, 255) || !in_range(j->deadline_s, 1, 86400))
		return -EINVAL;
	if (!in_range(j->initial_window, 1, 65535))
		return -EINVAL;
	/* Karn's rule needs to know about resends only of a packet sent,
	 * and only a packet sent was timed. */
	if (j->first_sent_usec == 0 &&
	    ((j->flags & PSEP_JOB_FIRST_RESENT) || j->first_rtt_usec != 0))
		return -EINVAL;
	/* A stream is downloaded, and its first bytes are the child's to read. */
	if ((j->flags & PSEP_JOB_STREAM) && (j->opcode != TFTP_OP_RRQ || j->oack_len == 0))
		return -EINVAL;
	if (j->first_rtt_usec > 255000000)
		return -EINVAL;
	/* An upload starts from an empty file (msg.h). */
	if (j->opcode == TFTP_OP_WRQ && j->file_size != 0)
		return -EINVAL;
	if (j->oack_len > PSEP_OACK_MAX)
		return -EINVAL;
	if (!all_zero(j->oack + j->oack_len, PSEP_OACK_MAX - j->oack_len))
		return -EINVAL;
	return 0;
}

/* The monitor logs this text: printable ASCII only, and nothing after the
 * NUL, so no terminal escapes and no hidden payload reach the log. */
static int validate_peer_message(const char *s)
{
	const char *nul = memchr(s, '\0', PSEP_PEER_MSG_MAX);

	if (!nul)
		return -EINVAL;
	for (const char *p = s; p < nul; p++)
		if (*p < 0x20 || *p > 0x7e)
			return -EINVAL;
	return all_zero(nul, (size_t)(s + PSEP_PEER_MSG_MAX - nul)) ? 0 : -EINVAL;
}

static int validate_result(const struct psep_result *r)
{
	int peer = r->status == PSEP_PEER_ERROR || r->status == PSEP_PROBE;

	if (r->status > PSEP_STATUS_MAX)
		return -EINVAL;
	if (r->peer_error > TFTP_ERR_OPTNEG || (!peer && r->peer_error != 0))
		return -EINVAL;
	/* Far beyond any file, and keeps sums of byte counts from overflowing. */
	if (r->bytes > (UINT64_C(1) << 62))
		return -EINVAL;
	return validate_peer_message(r->peer_message);
}

/* The same checks guard both directions. */
static int validate(const struct psep_msg *m)
{
	switch (m->type) {
	case PSEP_MSG_READY:
		return 0;
	case PSEP_MSG_JOB:
		return validate_job(&m->job);
	case PSEP_MSG_RESULT:
		return validate_result(&m->result);
	default:
		return -EINVAL;
	}
}

static void job_fields(struct codec *c, struct psep_job *j)
{
	u32(c, &j->transfer_id);
	u8(c, &j->opcode);
	u8(c, &j->mode);
	u8(c, &j->rollover);
	u8(c, &j->flags);
	u32(c, &j->blksize);
	u32(c, &j->windowsize);
	u32(c, &j->timeout_ms);
	u32(c, &j->rto_min_ms);
	u32(c, &j->rto_max_ms);
	u32(c, &j->retries);
	u32(c, &j->deadline_s);
	u32(c, &j->initial_window);
	u32(c, &j->first_rtt_usec);
	u64(c, &j->first_sent_usec);
	u64(c, &j->file_size);
	u64(c, &j->max_size);
	u16(c, &j->oack_len);
	bytes(c, j->oack, PSEP_OACK_MAX);
}

static void result_fields(struct codec *c, struct psep_result *r)
{
	u32(c, &r->transfer_id);
	u32(c, &r->status);
	u16(c, &r->peer_error);
	u64(c, &r->bytes);
	u64(c, &r->blocks);
	u32(c, &r->retransmits);
	u64(c, &r->duration_usec);
	u32(c, &r->rtt_usec);
	bytes(c, r->peer_message, PSEP_PEER_MSG_MAX);
}

/* Header and body; m->type must be known. When decoding, the header was
 * checked already and is only read again here. */
static void msg_fields(struct codec *c, struct psep_msg *m)
{
	uint32_t version = PSEP_MSG_VERSION, body_len = msg_types[m->type].body_len;

	u32(c, &version);
	u32(c, &m->type);
	u32(c, &body_len);
	if (m->type == PSEP_MSG_JOB)
		job_fields(c, &m->job);
	else if (m->type == PSEP_MSG_RESULT)
		result_fields(c, &m->result);
}

int psep_msg_encode(const struct psep_msg *msg, uint8_t *buf, size_t size)
{
	struct codec c = { .out = buf };
	struct psep_msg m;
	int r;

	r = validate(msg);
	if (r < 0)
		return r;
	if (size < HDR_LEN + (size_t)msg_types[msg->type].body_len)
		return -ENOBUFS;
	m = *msg; /* the walk takes non-const fields; it only reads them here */
	msg_fields(&c, &m);
	return (int)(c.out - buf);
}

int psep_msg_decode(const uint8_t *buf, size_t len, struct psep_msg *ret_msg)
{
	struct codec c = { .in = buf };
	struct psep_msg m;
	uint32_t version = 0, type = 0, body_len = 0;
	int r;

	/* The header is checked before the walk reads a body. */
	if (len < HDR_LEN || len > PSEP_MSG_MAX)
		return -EBADMSG;
	u32(&c, &version);
	u32(&c, &type);
	u32(&c, &body_len);
	if (version != PSEP_MSG_VERSION || !type_known(type))
		return -EBADMSG;
	if (body_len != msg_types[type].body_len || len != HDR_LEN + body_len)
		return -EBADMSG;
	/* Zeroed padding makes decoded messages comparable with memcmp. */
	memset(&m, 0, sizeof(m));
	m.type = type;
	c.in = buf;
	msg_fields(&c, &m);
	r = validate(&m);
	if (r < 0)
		return r;
	memcpy(ret_msg, &m, sizeof(m));
	return 0;
}

int psep_msg_send(int sock, const struct psep_msg *msg, const int *fds, size_t nfds)
{
	uint8_t buf[PSEP_MSG_MAX];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * PSEP_MSG_MAX_FDS)];
	} ctl;
	struct iovec iov;
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	int want = psep_msg_nfds(msg->type), len;
	ssize_t n;

	if (want < 0 || (size_t)want != nfds || (nfds > 0 && !fds))
		return -EINVAL;
	len = psep_msg_encode(msg, buf, sizeof(buf));
	if (len < 0)
		return len;
	iov = (struct iovec){ .iov_base = buf, .iov_len = (size_t)len };
	if (nfds > 0) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	/* MSG_NOSIGNAL: a dead peer is an error to report, not a SIGPIPE.
	 * Without fds, send() (sendto with no address): the jailed child may
	 * not call sendmsg, whose destination its filter cannot see. */
	do
		n = nfds > 0 ? sendmsg(sock, &mh, MSG_NOSIGNAL)
			     : send(sock, buf, (size_t)len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	/* SOCK_SEQPACKET sends a record whole or not at all. */
	return n == len ? 0 : -EIO;
}

static void close_fds(const int *fds, size_t n)
{
	while (n-- > 0)
		close(fds[n]);
}

/*
 * Take every fd the kernel installed, even from a message that is wrong in
 * other ways, so that the caller can close them all. Any control message
 * but SCM_RIGHTS is refused (-EBADMSG).
 */
static int collect_fds(struct msghdr *mh, int *fds, size_t *nfds)
{
	int r = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		size_t n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len < CMSG_LEN(0)) {
			r = -EBADMSG;
			continue;
		}
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (*nfds < RECV_FDS_MAX) {
				fds[(*nfds)++] = fd;
			} else {
				close(fd);
				r = -EBADMSG;
			}
		}
	}
	return r;
}

/* /dev/null (character device 1:3): where an upload goes that the
 * operator asked to discard (wrq-devnull). */
static bool is_dev_null(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && major(st->st_rdev) == 1 && minor(st->st_rdev) == 3;
}

/* Only fstat: the child runs this under its seccomp filter. A download
 * reads a regular file, or a pipe when the job says it is a stream; an
 * upload writes a regular file, or /dev/null. */
static int check_job_fds(const int *fds, const struct psep_job *job)
{
	bool upload = job->opcode == TFTP_OP_WRQ;
	struct stat file, sock;

	if (fstat(fds[PSEP_FD_FILE], &file) < 0 || fstat(fds[PSEP_FD_SOCKET], &sock) < 0)
		return -errno;
	if (!S_ISSOCK(sock.st_mode))
		return -EBADF;
	if (job->flags & PSEP_JOB_STREAM)
		return S_ISFIFO(file.st_mode) ? 0 : -EBADF;
	return S_ISREG(file.st_mode) || (upload && is_dev_null(&file)) ? 0 : -EBADF;
}

int psep_msg_recv(int sock, struct psep_msg *ret_msg, int ret_fds[PSEP_MSG_MAX_FDS])
{
	/* One byte more than any message, so an oversized one is refused even
	 * where MSG_TRUNC would not be reported. */
	uint8_t buf[PSEP_MSG_MAX + 1];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * RECV_FDS_MAX)];
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	int fds[RECV_FDS_MAX];
	size_t nfds = 0;
	struct psep_msg m;
	ssize_t n;
	int r;

	/* MSG_CMSG_CLOEXEC: the child may not call fcntl(), and an fd must
	 * never outlive an exec in the monitor. */
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	r = collect_fds(&mh, fds, &nfds);
	if (r < 0)
		goto fail;
	r = -ECONNRESET;
	if (n == 0)
		goto fail;
	r = -EBADMSG;
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		goto fail;
	r = psep_msg_decode(buf, (size_t)n, &m);
	if (r < 0)
		goto fail;
	r = -EBADMSG;
	if (nfds != (size_t)psep_msg_nfds(m.type))
		goto fail;
	if (m.type == PSEP_MSG_JOB &&
	    (r = check_job_fds(fds, &m.job)) < 0)
		goto fail;
	memcpy(ret_msg, &m, sizeof(m));
	if (nfds > 0)
		memcpy(ret_fds, fds, nfds * sizeof(int));
	return 0;
fail:
	close_fds(fds, nfds);
	return r;
}
