/*
 * monitor.c - the privileged parent: requests in, jobs out, results logged.
 *
 * The monitor is the only process that can name a file. It parses nothing
 * but the request itself (through the pure codec); every later datagram of
 * a transfer goes to the jailed child that runs it. Children are forked
 * ahead of need, so a request never waits for fork and sandbox set-up.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chroot.h"
#include "log.h"
#include "monitor.h"
#include "notify.h"
#include "path.h"
#include "request.h"
#include "upload.h"
#include "spawn.h"
#include "tftp-packet.h"
#include "util.h"

#define STARTUP_WAIT_MS 5000     /* for the first children to be jailed */
#define JAIL_FAILURES_MAX 10     /* consecutive children that never got ready */
#define STATUS_INTERVAL_US 1000000 /* systemd STATUS= at most once a second */
#define OPTIONS_TEXT_MAX 160     /* "blksize=65464 tsize=..." of one transfer */

enum event_kind { EV_LISTENER = 1, EV_CHILD = 2, EV_SIGNAL = 3 };

/* What the monitor itself knows of a transfer; the child's report is
 * checked against it. */
struct transfer {
	uint32_t id;
	enum tftp_opcode op;
	enum tftp_mode mode;
	size_t listener;      /* where the request came in */
	struct request_addr addr;
	char client[LISTEN_ADDR_TEXT_MAX];
	char file[ESCAPED_NAME_MAX];
	char path[TFTP_PATH_MAX];
	uint32_t blksize;
	uint32_t windowsize;
	char options[OPTIONS_TEXT_MAX]; /* as acknowledged, for the log */
	bool is_upload;
	struct upload upload; /* the temporary file, until committed or removed */
};

struct monitor {
	const struct monitor_setup *setup;
	const struct settings *s;
	int epfd;
	int sigfd;
	size_t n_slots;
	struct child *children;    /* n_slots */
	struct transfer *transfers; /* n_slots, parallel to children */
	uint32_t next_id;
	unsigned jail_failures;
	bool stopping;
	bool killed_all;
	uint64_t stop_deadline_us;
	uint64_t last_activity_us;
	uint64_t finished;         /* transfers ended, for systemd's STATUS= */
	bool status_pending;       /* STATUS= changed but was sent < 1 s ago */
	uint64_t status_sent_us;
	uint64_t watchdog_usec;    /* WATCHDOG=1 this often; 0: never */
	uint64_t watchdog_next_us;
	uint8_t buf[TFTP_REQUEST_MAX + 1];
};

static uint64_t ev_data(enum event_kind kind, size_t index)
{
	return ((uint64_t)kind << 32) | (uint32_t)index;
}

static int watch(struct monitor *m, int fd, enum event_kind kind, size_t index)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = ev_data(kind, index) };

	return epoll_ctl(m->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static const char *op_name(enum tftp_opcode op)
{
	return op == TFTP_OP_WRQ ? "WRQ" : "RRQ";
}

static const char *status_name(uint32_t status)
{
	static const char *const names[] = {
		[PSEP_OK] = "ok", [PSEP_TIMEOUT] = "timeout", [PSEP_PEER_ERROR] = "peer-error",
		[PSEP_PROBE] = "probe", [PSEP_IO_ERROR] = "io-error", [PSEP_NO_SPACE] = "no-space",
		[PSEP_PROTOCOL] = "protocol", [PSEP_DEADLINE] = "deadline",
		[PSEP_INTERNAL] = "internal",
	};

	return status <= PSEP_STATUS_MAX ? names[status] : "invalid";
}

/* ---- refusing requests ------------------------------------------------ */

static void send_error(struct monitor *m, size_t li, const struct request_addr *a,
		       enum tftp_error code, const char *text)
{
	uint8_t pkt[128];
	int n = tftp_pkt_build_error(pkt, sizeof(pkt), code, text);

	if (n > 0)
		(void)listen_reply(&m->setup->listeners[li], a, pkt, (size_t)n);
}

static void refuse(struct monitor *m, size_t li, const struct request_addr *a, const char *what,
		   const char *file, enum tftp_error code, const char *text)
{
	char client[LISTEN_ADDR_TEXT_MAX];

	listen_addr_text((const struct sockaddr *)&a->peer, client, sizeof(client));
	log_refusal(what, client, file, code, text);
	send_error(m, li, a, code, text);
}

/* ---- children --------------------------------------------------------- */

/* Stop watching a child's socket and close it. */
static void close_child(struct monitor *m, struct child *c)
{
	if (c->sock >= 0)
		epoll_ctl(m->epfd, EPOLL_CTL_DEL, c->sock, NULL);
	spawn_close(c);
}

static size_t count_state(const struct monitor *m, enum child_state state)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n_slots; i++)
		n += m->children[i].state == state;
	return n;
}

static struct child *free_slot(struct monitor *m, size_t *ret_index)
{
	for (size_t i = 0; i < m->n_slots; i++) {
		if (m->children[i].state == CHILD_FREE) {
			*ret_index = i;
			return &m->children[i];
		}
	}
	return NULL;
}

static int start_child(struct monitor *m)
{
	size_t i;
	struct child *c = free_slot(m, &i);
	int r;

	if (c == NULL)
		return -EAGAIN;
	r = spawn_child(c, &m->setup->jail, m->setup->child_stderr);
	if (r < 0) {
		log_msg(LOG_ERR, "cannot fork a transfer child: %s", strerror(-r));
		return r;
	}
	r = watch(m, c->sock, EV_CHILD, i);
	if (r < 0) {
		spawn_kill(c, m->setup->privileged);
		close_child(m, c);
		c->state = CHILD_DONE;
	}
	return r;
}

/* Keep the configured number of jailed children ready, within the limit. */
static void refill_spares(struct monitor *m)
{
	size_t spare = count_state(m, CHILD_IDLE) + count_state(m, CHILD_STARTING);

	if (m->stopping || m->jail_failures >= JAIL_FAILURES_MAX)
		return;
	while (spare < m->s->spares && start_child(m) == 0)
		spare++;
}

static struct child *idle_child(struct monitor *m, size_t *ret_index)
{
	for (size_t i = 0; i < m->n_slots; i++) {
		if (m->children[i].state == CHILD_IDLE) {
			*ret_index = i;
			return &m->children[i];
		}
	}
	/* The pool ran dry: a child still starting takes the job as soon as
	 * it is jailed (the message waits in its socket). */
	for (size_t i = 0; i < m->n_slots; i++) {
		if (m->children[i].state == CHILD_STARTING) {
			*ret_index = i;
			return &m->children[i];
		}
	}
	if (start_child(m) < 0)
		return NULL;
	return idle_child(m, ret_index);
}

/* ---- the record of a transfer and systemd's status line ----------------- */

/* Sent from run_timers, at most once a second. */
static void status_changed(struct monitor *m)
{
	m->status_pending = notify_enabled();
}

/* prefix: "" or "READY=1\n", which goes in the same datagram. */
static void send_status(struct monitor *m, const char *prefix)
{
	char text[128];

	snprintf(text, sizeof(text), "%sSTATUS=Serving: %zu transfers active, %llu finished",
		 prefix, count_state(m, CHILD_BUSY), (unsigned long long)m->finished);
	(void)notify_send(text);
	m->status_pending = false;
	m->status_sent_us = now_usec();
}

/* What the monitor knows of a transfer, for log_transfer. */
static struct log_transfer transfer_record(const struct transfer *t, const char *result)
{
	return (struct log_transfer){
		.id = t->id, .op = op_name(t->op), .client = t->client, .file = t->file,
		.mode = tftp_pkt_mode_name(t->mode), .result = result, .options = t->options,
	};
}

static void log_result(struct monitor *m, const struct transfer *t, const struct psep_result *r,
		       const char *status)
{
	struct log_transfer rec = transfer_record(t, status);

	rec.reported = true;
	rec.bytes = r->bytes;
	rec.blocks = r->blocks;
	rec.retransmits = r->retransmits;
	rec.usec = r->duration_usec;
	rec.blksize = t->blksize;
	rec.windowsize = t->windowsize;
	rec.rtt_us = r->rtt_usec;
	if (r->status == PSEP_PEER_ERROR || r->status == PSEP_PROBE) {
		rec.peer_error = r->peer_error;
		rec.peer_message = r->peer_message; /* printable ASCII: checked by the decoder */
	}
	log_transfer(strcmp(status, "ok") == 0 || strcmp(status, "probe") == 0 ? LOG_INFO
										: LOG_WARNING,
		     &rec);
	m->finished++;
	status_changed(m);
}

static uint16_t commit_error(int e)
{
	switch (e) {
	case -EEXIST:
		return TFTP_ERR_EXISTS;
	case -ENOSPC:
	case -EDQUOT:
		return TFTP_ERR_NOSPACE;
	case -EACCES:
	case -EPERM:
		return TFTP_ERR_ACCESS;
	default:
		return TFTP_ERR_UNDEF;
	}
}

/* An upload's outcome: rename the checked temporary file into place and
 * tell the child (which then sends the final ACK), or remove it. Returns
 * the status to log. */
static const char *settle_upload(struct monitor *m, struct child *c, struct transfer *t,
				 const struct psep_result *r)
{
	const char *status = status_name(r->status);
	int e;

	if (!t->is_upload)
		return status;
	if (r->status == PSEP_OK) {
		/* upload_commit checks the size against the file itself. */
		e = upload_commit(&t->upload, r->bytes, 0666 & ~m->s->umask);
		if (e < 0) {
			log_msg(LOG_ERR, "transfer %u: upload of \"%s\" not stored: %s", t->id,
				t->file, strerror(-e));
			status = "io-error";
		}
		(void)spawn_send_commit(c, t->id, e < 0 ? commit_error(e) : 0);
	}
	upload_abort(&t->upload); /* removes the temporary file unless renamed */
	return status;
}

static void on_child_message(struct monitor *m, size_t i)
{
	struct child *c = &m->children[i];
	struct psep_msg msg;
	int r = spawn_receive(c, &msg);

	if (r == -EAGAIN)
		return;
	if (r == -ECONNRESET) {
		close_child(m, c); /* it exited; SIGCHLD tells how */
		return;
	}
	if (r == 0 && msg.type == PSEP_MSG_RESULT && msg.result.transfer_id != m->transfers[i].id)
		r = -EPROTO;
	if (r < 0) {
		log_msg(LOG_ERR, "transfer child %d broke the protocol: killed", (int)c->pid);
		spawn_kill(c, m->setup->privileged);
		close_child(m, c);
		return;
	}
	if (msg.type == PSEP_MSG_READY) {
		m->jail_failures = 0;
		return;
	}
	log_result(m, &m->transfers[i], &msg.result,
		   settle_upload(m, c, &m->transfers[i], &msg.result));
	m->last_activity_us = now_usec();
	close_child(m, c);
}

/* A child ended. If it still owed a result, say how it died. */
static void on_child_exit(struct monitor *m, struct child *c, int status)
{
	size_t i = (size_t)(c - m->children);
	char how[48];

	if (c->state == CHILD_BUSY && c->sock >= 0)
		on_child_message(m, i); /* the result may be waiting in the socket */
	if (WIFSIGNALED(status))
		snprintf(how, sizeof(how), "killed signal=%d", WTERMSIG(status));
	else
		snprintf(how, sizeof(how), "exited status=%d", WEXITSTATUS(status));
	if (c->state == CHILD_BUSY && !c->reported) {
		struct transfer *t = &m->transfers[i];
		struct log_transfer rec = transfer_record(t, WIFSIGNALED(status) ? "killed"
										   : "internal");

		rec.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
		log_transfer(LOG_ERR, &rec);
		m->finished++;
		status_changed(m);
		if (t->is_upload)
			upload_abort(&m->transfers[i].upload);
		/* The client would otherwise wait for its timeouts to run out. */
		send_error(m, t->listener, &t->addr, TFTP_ERR_UNDEF, "Transfer ended by the server");
	} else if (!c->ready && !m->stopping) {
		m->jail_failures++;
		log_msg(LOG_ERR, "transfer child %d %s before its jail was ready", (int)c->pid, how);
	}
	close_child(m, c);
	*c = (struct child){ .state = CHILD_FREE, .sock = -1 };
}

static void reap_children(struct monitor *m)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (size_t i = 0; i < m->n_slots; i++) {
			if (m->children[i].state != CHILD_FREE && m->children[i].pid == pid) {
				on_child_exit(m, &m->children[i], status);
				break;
			}
		}
	}
	m->last_activity_us = now_usec();
	refill_spares(m);
}

/* ---- one request ------------------------------------------------------ */

/* A client that resends its request while its transfer runs must not get
 * a second transfer: the child answers the resent request itself. */
static bool in_flight(const struct monitor *m, const struct request_addr *a)
{
	for (size_t i = 0; i < m->n_slots; i++) {
		const struct child *c = &m->children[i];

		if ((c->state == CHILD_BUSY || (c->state == CHILD_DONE && !c->reported)) &&
		    m->transfers[i].addr.peer_len == a->peer_len &&
		    memcmp(&m->transfers[i].addr.peer, &a->peer, a->peer_len) == 0)
			return true;
	}
	return false;
}

/* Two uploads of one name at once: the second is refused. */
static bool upload_in_flight(const struct monitor *m, const char *path)
{
	for (size_t i = 0; i < m->n_slots; i++)
		if (m->transfers[i].is_upload && m->transfers[i].upload.tmp_fd >= 0 &&
		    strcmp(m->transfers[i].path, path) == 0)
			return true;
	return false;
}

/* "blksize=1428 tsize=9000": what the OACK granted, in its order. */
static void describe_options(const struct tftp_opt_result *o, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < o->n_acked && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s=%s", i ? " " : "",
					 tftp_opt_name(o->acked[i]), o->values[o->acked[i]]);
}

static void record_transfer(struct monitor *m, size_t ci, size_t li,
			    const struct request_addr *a, struct request *r)
{
	struct transfer *t = &m->transfers[ci];

	*t = (struct transfer){ .id = r->job.transfer_id, .op = r->req.opcode, .listener = li,
				.mode = r->req.mode, .addr = *a, .blksize = r->job.blksize,
				.windowsize = r->job.windowsize, .is_upload = r->is_upload,
				.upload = r->upload };
	listen_addr_text((const struct sockaddr *)&a->peer, t->client, sizeof(t->client));
	describe_options(&r->opts, t->options, sizeof(t->options));
	memcpy(t->file, r->file, sizeof(t->file));
	memcpy(t->path, r->path, sizeof(t->path));
	/* The record owns the temporary file now. */
	r->upload.dir_fd = r->upload.tmp_fd = -1;
	r->fd = -1;
}

/* Hand the opened file and a fresh transfer socket to a jailed child. */
static void start_transfer(struct monitor *m, size_t li, const struct request_addr *a,
			   struct request *r)
{
	const struct monitor_setup *ms = m->setup;
	const char *what = op_name(r->req.opcode);
	struct refusal no;
	struct child *c;
	size_t ci;
	int sock, fds[2], e;

	if (count_state(m, CHILD_BUSY) >= m->s->max_transfers ||
	    (c = idle_child(m, &ci)) == NULL) {
		refuse(m, li, a, what, r->file, TFTP_ERR_UNDEF, "Server busy, try again later");
		return;
	}
	sock = listen_transfer_socket(&ms->listeners[li], a,
				      ms->privileged && ms->listeners[li].port < 1024);
	if (sock < 0) {
		log_msg(LOG_ERR, "cannot make a transfer socket: %s", strerror(-sock));
		refuse(m, li, a, what, r->file, TFTP_ERR_UNDEF, "Internal error");
		return;
	}
	if (request_open(m->s, ms->root_fd, ms->privileged, listen_path_mtu(sock),
			 ms->listeners[li].family, r, &no) < 0) {
		close(sock);
		refuse(m, li, a, what, r->file, no.code, no.text);
		return;
	}
	r->job.transfer_id = ++m->next_id;
	fds[PSEP_FD_FILE] = r->fd;
	fds[PSEP_FD_SOCKET] = sock;
	e = spawn_send_job(c, &r->job, fds);
	close(sock);
	if (e < 0) {
		log_msg(LOG_ERR, "cannot hand a job to child %d: %s", (int)c->pid, strerror(-e));
		spawn_kill(c, ms->privileged);
		request_release(r);
		return;
	}
	if (!r->is_upload)
		request_release(r); /* the child holds the file now */
	record_transfer(m, ci, li, a, r);
	log_msg(LOG_DEBUG, "transfer %u start %s client=%s file=\"%s\" mode=%s child=%d",
		r->job.transfer_id, what, m->transfers[ci].client, r->file,
		tftp_pkt_mode_name(r->req.mode), (int)c->pid);
	status_changed(m);
	refill_spares(m);
}

static void on_request(struct monitor *m, size_t li, size_t len, const struct request_addr *a)
{
	struct request r;
	struct refusal no;
	int op = tftp_pkt_opcode(m->buf, len);

	/* A DATA or ACK on the listening port belongs to no transfer we know
	 * (RFC 1350: error 5 to that address only). An ERROR is never
	 * answered, so two servers cannot bounce errors forever. */
	if (op == TFTP_OP_DATA || op == TFTP_OP_ACK) {
		send_error(m, li, a, TFTP_ERR_BADTID, NULL); /* the codec's standard text */
		return;
	}
	if (op < 0 || op == TFTP_OP_ERROR)
		return;
	if (in_flight(m, a)) {
		log_msg(LOG_DEBUG, "duplicate request from a client with a transfer in flight: "
			"dropped");
		return;
	}
	if (request_parse(m->s, m->buf, len, &r, &no) < 0) {
		refuse(m, li, a, op == TFTP_OP_WRQ ? "WRQ" : op == TFTP_OP_RRQ ? "RRQ" : "request",
		       r.file, no.code, no.text);
		return;
	}
	if (r.is_upload && upload_in_flight(m, r.path)) {
		refuse(m, li, a, "WRQ", r.file, TFTP_ERR_ACCESS,
		       "Another upload of this file is in progress");
		return;
	}
	start_transfer(m, li, a, &r);
}

static void on_listener(struct monitor *m, size_t li)
{
	/* Bounded, so a flood on one socket cannot starve the rest. */
	for (int n = 0; n < 64 && !m->stopping; n++) {
		struct request_addr a;
		ssize_t len = listen_recv(&m->setup->listeners[li], m->buf, sizeof(m->buf) - 1, &a);

		if (len == -EAGAIN)
			return;
		if (len < 0)
			continue; /* oversized or without packet info: dropped */
		m->last_activity_us = now_usec();
		on_request(m, li, (size_t)len, &a);
	}
}

/* ---- signals and shutdown --------------------------------------------- */

static void begin_stop(struct monitor *m, const char *why)
{
	if (m->stopping) {
		log_msg(LOG_NOTICE, "%s again: ending transfers now", why);
		m->stop_deadline_us = 0;
		return;
	}
	m->stopping = true;
	m->stop_deadline_us = now_usec() + (uint64_t)m->s->grace_s * 1000000;
	(void)notify_send("STOPPING=1\nSTATUS=Stopping: letting transfers in flight finish");
	for (size_t i = 0; i < m->setup->n_listeners; i++)
		epoll_ctl(m->epfd, EPOLL_CTL_DEL, m->setup->listeners[i].fd, NULL);
	/* Idle children read end-of-stream and exit. */
	for (size_t i = 0; i < m->n_slots; i++) {
		struct child *c = &m->children[i];

		if (c->state == CHILD_IDLE || c->state == CHILD_STARTING)
			close_child(m, c);
	}
	log_msg(LOG_NOTICE, "%s: no new requests; %zu transfers may finish within %u s", why,
		count_state(m, CHILD_BUSY), m->s->grace_s);
}

static void on_signal(struct monitor *m)
{
	struct signalfd_siginfo si;

	while (read(m->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap_children(m);
			break;
		case SIGTERM:
			begin_stop(m, "SIGTERM");
			break;
		case SIGINT:
			begin_stop(m, "SIGINT");
			break;
		case SIGHUP:
			/* Not a reason to die: a stray HUP from a terminal or a
			 * habit must not cut transfers off. */
			log_msg(LOG_NOTICE, "SIGHUP: reloading the configuration is not supported; "
				"ignored (restart to apply changes)");
			break;
		}
	}
}

static size_t live_children(const struct monitor *m)
{
	return m->n_slots - count_state(m, CHILD_FREE);
}

static void earliest(uint64_t *at, uint64_t t)
{
	if (t < *at)
		*at = t;
}

static uint64_t idle_deadline(const struct monitor *m)
{
	return m->last_activity_us + (uint64_t)m->s->idle_timeout_s * 1000000;
}

/* Milliseconds until the next timer, -1 for none: the end of the grace
 * period, the inetd idle timeout (only while no transfer runs, which
 * would otherwise be a busy loop), a held-back STATUS=, the watchdog. */
static int next_timeout_ms(const struct monitor *m)
{
	uint64_t now = now_usec(), at = UINT64_MAX;

	if (m->stopping && !m->killed_all)
		earliest(&at, m->stop_deadline_us);
	if (!m->stopping && m->setup->mode == LISTEN_INETD && count_state(m, CHILD_BUSY) == 0)
		earliest(&at, idle_deadline(m));
	if (m->status_pending)
		earliest(&at, m->status_sent_us + STATUS_INTERVAL_US);
	if (m->watchdog_usec > 0)
		earliest(&at, m->watchdog_next_us);
	if (at == UINT64_MAX)
		return -1;
	if (at <= now)
		return 0;
	return at - now >= (uint64_t)INT_MAX * 1000 ? INT_MAX : (int)((at - now + 999) / 1000);
}

/* Run whatever timer is due. Called after every wake-up, not only on a
 * timeout: under steady traffic epoll never times out, and the watchdog
 * must still be fed. */
static void run_timers(struct monitor *m)
{
	uint64_t now = now_usec();

	if (m->stopping && !m->killed_all && now >= m->stop_deadline_us) {
		log_msg(LOG_NOTICE, "grace period over: ending %zu transfers",
			count_state(m, CHILD_BUSY));
		for (size_t i = 0; i < m->n_slots; i++)
			if (m->children[i].state != CHILD_FREE)
				spawn_kill(&m->children[i], m->setup->privileged);
		m->killed_all = true;
	}
	if (!m->stopping && m->setup->mode == LISTEN_INETD && count_state(m, CHILD_BUSY) == 0 &&
	    now >= idle_deadline(m)) {
		log_msg(LOG_INFO, "idle for %u s: exiting so that inetd takes the socket back",
			m->s->idle_timeout_s);
		begin_stop(m, "idle");
	}
	if (m->status_pending && now >= m->status_sent_us + STATUS_INTERVAL_US)
		send_status(m, "");
	if (m->watchdog_usec > 0 && now >= m->watchdog_next_us) {
		(void)notify_send("WATCHDOG=1");
		m->watchdog_next_us = now + m->watchdog_usec;
	}
}

/* ---- set-up and loop -------------------------------------------------- */

static int setup_signals(struct monitor *m)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	m->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (m->sigfd < 0)
		return -errno;
	return watch(m, m->sigfd, EV_SIGNAL, 0);
}

static void dispatch(struct monitor *m, const struct epoll_event *ev)
{
	size_t index = (uint32_t)ev->data.u64;

	switch ((enum event_kind)(ev->data.u64 >> 32)) {
	case EV_LISTENER:
		on_listener(m, index);
		break;
	case EV_CHILD:
		if (m->children[index].sock >= 0)
			on_child_message(m, index);
		break;
	case EV_SIGNAL:
		on_signal(m);
		break;
	}
}

static int wait_events(struct monitor *m, int timeout_ms)
{
	struct epoll_event evs[32];
	int n = epoll_wait(m->epfd, evs, 32, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++)
		dispatch(m, &evs[i]);
	return n;
}

/* Wait until the first spares are jailed: a broken jail must stop the
 * start, not the first client. */
static int wait_for_pool(struct monitor *m)
{
	uint64_t until = now_usec() + STARTUP_WAIT_MS * 1000;

	while (count_state(m, CHILD_IDLE) < m->s->spares) {
		uint64_t now = now_usec();

		if (m->jail_failures > 0 || now >= until || m->stopping)
			return -ECHILD;
		if (wait_events(m, (int)((until - now) / 1000) + 1) < 0)
			return -errno;
	}
	return 0;
}

static void announce(const struct monitor *m)
{
	const struct monitor_setup *ms = m->setup;
	char addrs[512] = "", one[LISTEN_ADDR_TEXT_MAX];
	size_t used = 0;

	for (size_t i = 0; i < ms->n_listeners; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);

		if (getsockname(ms->listeners[i].fd, (struct sockaddr *)&ss, &len) < 0)
			continue;
		listen_addr_text((struct sockaddr *)&ss, one, sizeof(one));
		used += (size_t)snprintf(addrs + used, sizeof(addrs) - used, "%s%s", i ? " " : "",
					 one);
		if (used >= sizeof(addrs))
			break;
	}
	log_msg(LOG_INFO, "ready: serving %s on %s (monitor uid %u, children uid %u, %u spares)",
		ms->root_text, addrs, (unsigned)getuid(),
		(unsigned)(ms->jail.switch_ids ? ms->jail.uid : getuid()), m->s->spares);
}

/* Sockets, root and the first jailed children are there: tell systemd. */
static void notify_ready(struct monitor *m)
{
	send_status(m, "READY=1\n");
	m->watchdog_usec = notify_watchdog_interval_usec();
	m->watchdog_next_us = m->status_sent_us + m->watchdog_usec;
}

static int monitor_init(struct monitor *m, const struct monitor_setup *setup)
{
	memset(m, 0, sizeof(*m));
	m->setup = setup;
	m->s = setup->settings;
	m->sigfd = -1;
	m->n_slots = m->s->max_transfers + m->s->spares + 1;
	m->children = calloc(m->n_slots, sizeof(*m->children));
	m->transfers = calloc(m->n_slots, sizeof(*m->transfers));
	m->epfd = epoll_create1(EPOLL_CLOEXEC);
	m->last_activity_us = now_usec();
	if (m->children == NULL || m->transfers == NULL || m->epfd < 0)
		return -ENOMEM;
	for (size_t i = 0; i < m->n_slots; i++)
		m->children[i].sock = -1;
	for (size_t i = 0; i < setup->n_listeners; i++)
		if (watch(m, setup->listeners[i].fd, EV_LISTENER, i) < 0)
			return -errno;
	return setup_signals(m);
}

int monitor_run(const struct monitor_setup *setup)
{
	struct monitor *m = malloc(sizeof(*m));
	int r;

	if (m == NULL || monitor_init(m, setup) < 0) {
		log_msg(LOG_ERR, "cannot set up the event loop: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	refill_spares(m);
	if (wait_for_pool(m) < 0) {
		log_msg(LOG_ERR, "transfer children could not be jailed: refusing to serve");
		for (size_t i = 0; i < m->n_slots; i++)
			spawn_kill(&m->children[i], setup->privileged);
		return EXIT_RUNTIME;
	}
	announce(m);
	notify_ready(m);
	while (!m->stopping || live_children(m) > 0) {
		r = wait_events(m, next_timeout_ms(m));
		if (r < 0) {
			log_msg(LOG_ERR, "event loop: %s", strerror(-r));
			return EXIT_RUNTIME;
		}
		run_timers(m);
	}
	log_msg(LOG_INFO, "stopped");
	return EXIT_OK;
}
