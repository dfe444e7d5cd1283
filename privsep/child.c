/*
 * child.c - the transfer child.
 *
 * Everything here after jail_enter runs under the seccomp allow-list in
 * seccomp-child.c: the child can move bytes between the two fds it was
 * handed and talk to the monitor, nothing else. It never logs: what it has
 * to say goes into the RESULT message.
 *
 * It runs the jobs the monitor sends, one after another, all for one
 * client address (the monitor's rule: see monitor.c), and between jobs
 * holds nothing but its socketpair. After an upload it exits: the monitor
 * stores the file only once no child can hold a descriptor of it.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <netinet/udp.h>
#include <stdbool.h>
#include <poll.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "child.h"
#include "file-io.h"
#include "msg.h"
#include "tftp-packet.h"
#include "transfer.h"
#include "udp-send.h"
#include "util.h"

struct child_io {
	int file;
	struct file_stream stream; /* PSEP_JOB_STREAM: file is a pipe */
	int sock;
	int monitor;      /* socketpair end, for the report */
	struct udp_sender out; /* on sock */
	bool upload;      /* WRQ: the monitor sends the final ACK after storing */
	bool reported;
};

static int io_send(void *ctx, const uint8_t *buf, size_t len)
{
	return udp_send(&((struct child_io *)ctx)->out, buf, len);
}

static int io_send_batch(void *ctx, const uint8_t *buf, size_t len, size_t seg)
{
	return udp_send_batch(&((struct child_io *)ctx)->out, buf, len, seg);
}

/*
 * The monitor is gone: end the transfer now, as nobody will account for it
 * or store an upload. PR_SET_PDEATHSIG cannot be relied on for this: the
 * kernel sends it with the dying monitor's credentials, and a monitor of
 * another uid, with CAP_KILL not raised at that moment, may not signal us.
 */
static noreturn void exit_orphaned(void)
{
	_exit(CHILD_EXIT_OK);
}

/*
 * Waiting for a datagram, io_recv spins (non-blocking reads) for up to
 * SPIN_MAX_US while recent answers came that fast: a client on the same
 * host or a fast LAN answers in a few microseconds, and arming a timer
 * shorter than the tick (the retransmission timeout) costs two clock
 * reprogrammings per wait, which in a virtual machine more than doubled
 * the time of a lock-step block. A slower client gets no spin, and nor
 * does one on a busy host: a spin there delays the answer it waits for,
 * which then takes longer than the spin.
 */
#define SPIN_MAX_US 50

/* How long waits for a datagram took, smoothed. Kept from one transfer to
 * the next: a child serves one client address, whose answers took as long
 * last time. It starts above the spin limit: the first waits sleep. */
static uint32_t answer_wait_us = SPIN_MAX_US + 1;

/* One non-blocking read: a datagram, -EAGAIN, or an error (an ICMP one
 * too: the engine decides). */
static ssize_t recv_now(struct child_io *c, uint8_t *buf, size_t size)
{
	ssize_t n = recv(c->sock, buf, size, MSG_DONTWAIT);

	if (n >= 0)
		return n;
	return errno == EINTR ? -EAGAIN : -errno;
}

static ssize_t arrived(ssize_t n, uint64_t since)
{
	uint64_t took = now_usec() - since;

	if (took > UINT32_MAX / 2)
		took = UINT32_MAX / 2;
	answer_wait_us = (uint32_t)((7 * (uint64_t)answer_wait_us + took) / 8);
	return n;
}

static ssize_t io_recv(void *ctx, uint8_t *buf, size_t size, uint64_t deadline_us)
{
	struct child_io *c = ctx;
	uint64_t since = now_usec(), spin_until;
	ssize_t n = recv_now(c, buf, size);

	if (n != -EAGAIN)
		return n;
	if (since >= deadline_us)
		return -ETIMEDOUT;
	spin_until = answer_wait_us <= SPIN_MAX_US ? since + SPIN_MAX_US : since;
	if (spin_until > deadline_us)
		spin_until = deadline_us;
	while (now_usec() < spin_until)
		if ((n = recv_now(c, buf, size)) != -EAGAIN)
			return arrived(n, since);
	for (;;) {
		/* The socketpair too, for its hang-up: the monitor died. */
		struct pollfd pfd[2] = { { .fd = c->sock, .events = POLLIN },
					 { .fd = c->monitor, .events = 0 } };
		uint64_t now = now_usec(), left;
		struct timespec ts;
		int r;

		if (now >= deadline_us)
			return -ETIMEDOUT;
		/* Microseconds: retransmission timeouts on a LAN are a few
		 * milliseconds, and poll's would round each one up. */
		left = deadline_us - now;
		ts = (struct timespec){ .tv_sec = (time_t)(left / 1000000),
					.tv_nsec = (long)(left % 1000000) * 1000 };
		r = ppoll(pfd, 2, &ts, NULL);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0 && (pfd[1].revents & (POLLHUP | POLLERR)))
			exit_orphaned();
		if ((n = recv_now(c, buf, size)) != -EAGAIN)
			return arrived(n, since);
	}
}

static ssize_t io_readv(void *ctx, const struct iovec *iov, int iovcnt, uint64_t off)
{
	return file_preadv_full(((struct child_io *)ctx)->file, iov, iovcnt, off);
}

static ssize_t io_stream_readv(void *ctx, const struct iovec *iov, int iovcnt, uint64_t off)
{
	return file_stream_readv(&((struct child_io *)ctx)->stream, iov, iovcnt, off);
}

static int io_write(void *ctx, const uint8_t *buf, size_t len, uint64_t off)
{
	return file_pwrite_full(((struct child_io *)ctx)->file, buf, len, off);
}

/* EINVAL: a file that cannot be synchronised, which a regular file never
 * is; wrq-devnull hands us /dev/null, where nothing needs to last. */
static int io_sync(void *ctx)
{
	if (fdatasync(((struct child_io *)ctx)->file) == 0 || errno == EINVAL)
		return 0;
	return -errno;
}

static uint64_t io_now(void *ctx)
{
	return now_usec();
}

/* The outcome is final: tell the monitor now. A successful upload ends
 * here: the monitor stores the file and sends the final ACK itself. */
static int io_report(void *ctx, const struct psep_result *res)
{
	struct child_io *c = ctx;
	struct psep_msg out = { .type = PSEP_MSG_RESULT, .result = *res };

	if (psep_msg_send(c->monitor, &out, NULL, 0) < 0)
		_exit(CHILD_EXIT_PROTOCOL);
	c->reported = true;
	return c->upload && res->status == PSEP_OK ? TRANSFER_ACK_DEFERRED : 0;
}

/*
 * The window buffer is mapped for each job and unmapped after it: a child
 * waiting for its client's next request holds no memory a big window
 * needed (malloc would keep it, in its arena or in a raised mmap threshold).
 */
static void run_job(int sock, const struct psep_job *job, int fds[PSEP_MSG_MAX_FDS])
{
	struct child_io c = { .file = fds[PSEP_FD_FILE], .sock = fds[PSEP_FD_SOCKET],
			      .monitor = sock, .out = { .sock = fds[PSEP_FD_SOCKET], .gso = true },
			      .upload = job->opcode == TFTP_OP_WRQ,
			      .stream = { .fd = fds[PSEP_FD_FILE], .size = job->file_size } };
	struct transfer_io io = {
		.ctx = &c, .send = io_send, .send_batch = io_send_batch, .recv = io_recv,
		.readv = io_readv, .write = io_write, .sync = io_sync, .now_us = io_now,
		.report = io_report,
	};
	struct psep_result res;
	size_t size = transfer_buffer_size(job);
	void *buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	/* A relayed body while it arrives: read in order, exactly its size,
	 * so that a body cut short ends as an error, never as a short file. */
	if (job->flags & PSEP_JOB_STREAM)
		io.readv = io_stream_readv;
	if (buf == MAP_FAILED) {
		memset(&res, 0, sizeof(res));
		res.transfer_id = job->transfer_id;
		res.status = PSEP_INTERNAL;
	} else {
		transfer_run(job, &io, buf, size, &res);
		munmap(buf, size);
	}
	/* Nothing of this client's transfer stays open until the next. */
	close(c.file);
	close(c.sock);
	if (!c.reported)
		io_report(&c, &res);
}

noreturn void child_main(int sock, const struct jail_config *cfg)
{
	struct psep_msg ready = { .type = PSEP_MSG_READY };

	if (jail_enter(sock, cfg) < 0)
		_exit(CHILD_EXIT_JAIL);
	/* From here on the child holds only sock and stderr. */
	if (psep_msg_send(sock, &ready, NULL, 0) < 0)
		_exit(CHILD_EXIT_PROTOCOL);
	for (;;) {
		struct psep_msg job;
		int fds[PSEP_MSG_MAX_FDS] = { -1, -1 };
		int r = psep_msg_recv(sock, &job, fds);

		if (r == -ECONNRESET)
			_exit(CHILD_EXIT_OK); /* the monitor is gone or retired us */
		if (r < 0 || job.type != PSEP_MSG_JOB)
			_exit(CHILD_EXIT_PROTOCOL);
		run_job(sock, &job.job, fds);
		if (job.job.opcode == TFTP_OP_WRQ)
			_exit(CHILD_EXIT_OK);
	}
}
