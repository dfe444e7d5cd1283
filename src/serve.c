/*
 * serve.c - the monitor's transfers: requests in, handshakes, hand-off to
 * children, results, uploads stored, log lines out. See serve.h.
 *
 * The monitor parses the request with the pure codec, and of what comes
 * later only a transfer's first answer (handshake.c, through the same
 * codec); every later datagram goes to the jailed child that runs it.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alias-state.h"
#include "handshake.h"
#include "log.h"
#include "path.h"
#include "private-mem.h"
#include "serve.h"
#include "tftp-packet.h"
#include "transfer-socket.h"
#include "util.h"

#define NONE UINT32_MAX
#define DEADLINE_GRACE_US 5000000 /* past the job's deadline, the child is killed */
#define STORE_WAIT_US 2000000     /* for a child to exit after its upload */
#define DALLY_US 1000000          /* answering a resent last block of an upload */
#define FINAL_ACKS_MAX 4

static const char *op_name(uint8_t op)
{
	return op == TFTP_OP_WRQ ? "WRQ" : "RRQ";
}

static const char *status_name(uint32_t status)
{
	static const char *const names[] = {
		[PSEP_OK] = "ok", [PSEP_TIMEOUT] = "timeout", [PSEP_PEER_ERROR] = "peer-error",
		[PSEP_PROBE] = "probe", [PSEP_IO_ERROR] = "io-error", [PSEP_NO_SPACE] = "no-space",
		[PSEP_PROTOCOL] = "protocol", [PSEP_DEADLINE] = "deadline",
		[PSEP_INTERNAL] = "internal", [PSEP_UNREACHABLE] = "unreachable",
	};

	return status <= PSEP_STATUS_MAX ? names[status] : "invalid";
}

/* ---- lists of records ------------------------------------------------- */

static void list_push(struct serve *sv, uint32_t *head, uint32_t *tail, uint32_t ti)
{
	struct transfer *t = &sv->t[ti];

	t->prev = *tail;
	t->next = NONE;
	if (*tail != NONE)
		sv->t[*tail].next = ti;
	else
		*head = ti;
	*tail = ti;
}

static void list_remove(struct serve *sv, uint32_t *head, uint32_t *tail, uint32_t ti)
{
	struct transfer *t = &sv->t[ti];

	if (t->prev != NONE)
		sv->t[t->prev].next = t->next;
	else
		*head = t->next;
	if (t->next != NONE)
		sv->t[t->next].prev = t->prev;
	else
		*tail = t->prev;
	t->prev = t->next = NONE;
}

int serve_init(struct serve *sv, const struct monitor_setup *setup, struct loop *loop,
	       struct pool *pool)
{
	const struct settings *s = setup->settings;

	memset(sv, 0, sizeof(*sv));
	sv->setup = setup;
	sv->s = s;
	sv->loop = loop;
	sv->pool = pool;
	/* Uploads being stored or dallying hold a record a little longer. */
	sv->n = (size_t)s->max_transfers + s->max_requests + 64;
	sv->t = private_calloc(sv->n, sizeof(*sv->t));
	sv->free_list = private_calloc(sv->n, sizeof(*sv->free_list));
	if (sv->t == NULL || sv->free_list == NULL || addr_index_init(&sv->by_peer, sv->n) < 0 ||
	    addr_index_init(&sv->by_host, sv->n) < 0)
		return -ENOMEM;
	if (client_limits_init(&sv->limits, CLIENT_LIMITS_DEFAULT_ENTRIES, &(struct
			       client_limits_config){ 0 }) < 0)
		return -ENOMEM;
	serve_settings_changed(sv);
	log_limiter_init(&sv->refusal_log, LOG_LIMIT_DEFAULT_PER_S);
	for (size_t i = 0; i < sv->n; i++)
		sv->free_list[sv->n_free++] = (uint32_t)(sv->n - 1 - i);
	sv->hs_head = sv->hs_tail = sv->q_head = sv->q_tail = NONE;
	if (relay_init(&sv->relay, setup->relay_pid, setup->relay_sock, s->max_requests) < 0)
		return -ENOMEM;
	if (sv->relay.sock >= 0 && loop_watch(loop, sv->relay.sock, LOOP_RELAY, 0) < 0)
		return -errno;
	return 0;
}

void serve_settings_changed(struct serve *sv)
{
	const struct settings *s = sv->s;
	const struct client_limits_config cfg = {
		.rate_per_s = s->max_rate_per_client, .burst = s->max_rate_per_client,
		.penalty_malformed_s = s->penalty_malformed_s, .penalty_crash_s = s->penalty_crash_s,
		.penalty_min_s = s->penalty_min_s, .penalty_max_s = s->penalty_max_s,
	};

	/* The settings were checked against the same bounds when parsed. */
	if (client_limits_set_config(&sv->limits, &cfg) < 0)
		log_msg(LOG_ERR, "the per-client limits were not changed: out of bounds");
}

size_t serve_active(const struct serve *sv)
{
	return sv->n - sv->n_free;
}

/* ---- logging ---------------------------------------------------------- */

static enum metrics_op metrics_op(uint8_t op)
{
	return op == TFTP_OP_WRQ ? METRICS_WRQ : METRICS_RRQ;
}

/* what: "RRQ", "WRQ" or "request" (neither, or not parsed yet). */
static int metrics_op_named(const char *what)
{
	return strcmp(what, "WRQ") == 0 ? METRICS_WRQ : strcmp(what, "RRQ") == 0 ? METRICS_RRQ : -1;
}

static struct log_transfer record_of(const struct transfer *t, const char *result)
{
	return (struct log_transfer){
		.id = t->id, .op = op_name(t->op), .client = t->client, .file = t->file,
		.mode = tftp_pkt_mode_name(t->mode), .result = result, .options = t->options,
		.ignored = t->ignored, .url = t->relay_url, .cache = t->relay_cache,
	};
}

/* Figures the monitor can vouch for replace the child's: the time, and
 * the bytes of what it opened or stored. */
static void log_figures(struct serve *sv, const struct transfer *t, const char *result,
			const struct psep_result *r, uint64_t bytes)
{
	struct log_transfer rec = record_of(t, result);
	char message[ESCAPED_NAME_MAX];

	rec.reported = true;
	rec.bytes = bytes;
	rec.blocks = r->blocks;
	rec.retransmits = r->retransmits;
	rec.usec = now_usec() - t->started_us;
	rec.blksize = t->job.blksize;
	rec.windowsize = t->job.windowsize;
	rec.rtt_us = r->rtt_usec;
	if (r->status == PSEP_PEER_ERROR || r->status == PSEP_PROBE) {
		rec.peer_error = r->peer_error;
		rec.peer_message = tftp_escape(r->peer_message, strnlen(r->peer_message,
						   sizeof(r->peer_message)), message, sizeof(message));
	}
	log_transfer(strcmp(result, "ok") == 0 || strcmp(result, "probe") == 0 ? LOG_INFO
									       : LOG_WARNING,
		     &rec);
	metrics_transfer_ended(&sv->metrics, metrics_op(t->op), metrics_result_from_name(result),
			       bytes, r->retransmits, rec.usec);
	sv->finished++;
}

/* A transfer that ended before any child reported on it. */
static void log_unreported(struct serve *sv, const struct transfer *t, const char *result,
			   int signal)
{
	struct log_transfer rec = record_of(t, result);

	rec.signal = signal;
	log_transfer(LOG_ERR, &rec);
	metrics_transfer_ended(&sv->metrics, metrics_op(t->op), metrics_result_from_name(result), 0,
			       0, now_usec() - t->started_us);
	sv->finished++;
}

static void send_listener_error(struct serve *sv, const struct transfer *t, enum tftp_error code,
				const char *text)
{
	(void)listen_send_error(&sv->setup->listeners[t->listener], &t->addr, code, text);
}

/* Kinds of refusal for the log's limiter: TFTP error codes (0..8), then
 * these. */
enum { REFUSAL_RATE = 9, REFUSAL_PENALTY, REFUSAL_PER_CLIENT };

/* One line per refusal, but a flood of one kind writes ten a second,
 * each saying how many like it were not written. */
static void log_refused(struct serve *sv, const struct request_addr *a, const char *what,
			const char *file, unsigned kind, unsigned code, const char *why)
{
	char client[LISTEN_ADDR_TEXT_MAX], text[384];
	unsigned suppressed;

	if (!log_limiter_allow(&sv->refusal_log, kind, now_usec(), &suppressed))
		return;
	listen_addr_text((const struct sockaddr *)&a->peer, client, sizeof(client));
	if (suppressed > 0) {
		snprintf(text, sizeof(text), "%s (and %u similar refusals not logged)", why,
			 suppressed);
		why = text;
	}
	log_refusal(what, client, file, code, why);
}

/* ERROR code with text to the client; the log says why, which may say
 * more than the client is told. */
static void refuse_logged(struct serve *sv, size_t li, const struct request_addr *a,
			  const char *what, const char *file, enum tftp_error code,
			  enum metrics_refusal reason, const char *text, const char *why)
{
	metrics_refused(&sv->metrics, metrics_op_named(what), reason);
	log_refused(sv, a, what, file, code, code, why);
	(void)listen_send_error(&sv->setup->listeners[li], a, code, text);
}

static void refuse(struct serve *sv, size_t li, const struct request_addr *a, const char *what,
		   const char *file, enum tftp_error code, enum metrics_refusal reason,
		   const char *text)
{
	refuse_logged(sv, li, a, what, file, code, reason, text, text);
}

/* ---- records ---------------------------------------------------------- */

static void close_socket(struct serve *sv, struct transfer *t)
{
	if (t->sock < 0)
		return;
	loop_unwatch(sv->loop, t->sock);
	close(t->sock);
	t->sock = -1;
}

/* Forget a transfer: close what it holds (an upload's temporary file is
 * removed unless it was renamed into place). */
static void release(struct serve *sv, uint32_t ti)
{
	struct transfer *t = &sv->t[ti];

	if (t->phase == PHASE_HANDSHAKE)
		list_remove(sv, &sv->hs_head, &sv->hs_tail, ti);
	else if (t->phase == PHASE_QUEUED)
		list_remove(sv, &sv->q_head, &sv->q_tail, ti);
	if (t->phase == PHASE_HANDSHAKE || t->phase == PHASE_QUEUED)
		sv->waiting--;
	else if (t->phase == PHASE_RUNNING)
		sv->running--;
	close_socket(sv, t);
	if (t->file_fd >= 0)
		close(t->file_fd);
	if (t->is_upload)
		upload_abort(&t->upload);
	free(t->alias_once);
	t->alias_once = NULL;
	free(t->relay_url);
	t->relay_url = NULL;
	loop_timer_clear(sv->loop, LOOP_TRANSFER, ti);
	addr_index_remove(&sv->by_peer, ti);
	addr_index_remove(&sv->by_host, ti);
	t->phase = PHASE_FREE;
	sv->free_list[sv->n_free++] = ti;
}

/* The oldest request whose client never answered makes room. */
static bool evict_unanswered(struct serve *sv)
{
	uint32_t ti = sv->hs_head;

	if (ti == NONE)
		return false;
	log_msg(LOG_DEBUG, "transfer %u: request table full, dropping the oldest unanswered one "
		"(client=%s)", sv->t[ti].id, sv->t[ti].client);
	release(sv, ti);
	return true;
}

static uint32_t take_record(struct serve *sv)
{
	if (sv->waiting >= sv->s->max_requests && !evict_unanswered(sv))
		return NONE;
	if (sv->n_free == 0 && !evict_unanswered(sv))
		return NONE;
	return sv->free_list[--sv->n_free];
}

/* ---- requests --------------------------------------------------------- */

/* Two uploads of one name at once: the second is refused. Uploads are
 * few, so a scan will do. */
static bool upload_in_flight(const struct serve *sv, const char *path)
{
	/* A dallying upload is stored: it only answers a resent last block. */
	for (size_t i = 0; i < sv->n; i++)
		if (sv->t[i].phase != PHASE_FREE && sv->t[i].phase != PHASE_DALLY &&
		    sv->t[i].is_upload && strcmp(sv->t[i].path, path) == 0)
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

/* "x-vendor=1 foo=bar": options we do not know, which RFC 2347 says to
 * ignore, logged so that an operator sees what a client asked for. */
static void describe_ignored(const struct tftp_request *req, char *buf, size_t size)
{
	char name[64], value[64];
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < req->n_options && used < size; i++) {
		const struct tftp_option *o = &req->options[i];

		if (o->name == NULL || o->value == NULL || tftp_opt_from_name(o->name) >= 0)
			continue;
		used += (size_t)snprintf(buf + used, size - used, "%s%s=%s", used ? " " : "",
					 tftp_escape(o->name, strlen(o->name), name, sizeof(name)),
					 tftp_escape(o->value, strlen(o->value), value,
						     sizeof(value)));
	}
}

static void fill_record(struct serve *sv, struct transfer *t, size_t li,
			const struct request_addr *a, struct request *r, int sock)
{
	uint32_t id = ++sv->next_id;

	*t = (struct transfer){ .phase = PHASE_HANDSHAKE, .id = id, .listener = li, .addr = *a,
				.op = (uint8_t)r->req.opcode, .mode = (uint8_t)r->req.mode,
				.is_upload = r->is_upload, .upload = r->upload, .job = r->job,
				.file_fd = r->is_upload ? -1 : r->fd, .sock = sock,
				.child = NONE, .prev = NONE, .next = NONE,
				.started_us = now_usec() };
	t->job.transfer_id = id;
	t->file_size = r->job.file_size;
	(void)addr_key_from((const struct sockaddr *)&a->peer, false, &t->host);
	listen_addr_text((const struct sockaddr *)&a->peer, t->client, sizeof(t->client));
	describe_options(&r->opts, t->options, sizeof(t->options));
	describe_ignored(&r->req, t->ignored, sizeof(t->ignored));
	memcpy(t->file, r->file, sizeof(t->file));
	memcpy(t->path, r->path, sizeof(t->path));
	/* Not fatal when out of memory: the alias is then used once more. */
	t->alias_once = r->alias_once != NULL ? strdup(r->alias_once) : NULL;
	/* Out of memory: the log line then lacks the URL. */
	t->relay_url = r->relay_url != NULL ? strdup(r->relay_url) : NULL;
	t->relay_cache = r->relay_cache;
	/* The record owns the file (or the upload's temporary file) now. */
	r->upload.dir_fd = r->upload.tmp_fd = -1;
	r->fd = -1;
}

static const uint8_t *first_packet(const struct transfer *t, size_t *len)
{
	if (t->first_len == 0) {
		*len = t->job.oack_len;
		return t->job.oack;
	}
	*len = t->first_len;
	return t->first;
}

/* Send the first packet (again). False when the socket says the client is
 * gone. */
static bool send_first(struct transfer *t)
{
	size_t len;
	const uint8_t *pkt = first_packet(t, &len);

	t->sent_us = now_usec();
	if (send(t->sock, pkt, len, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
		return true;
	/* A full queue or a firewall is loss, which the resends repair. */
	return errno == EAGAIN || errno == ENOBUFS || errno == EPERM || errno == EINTR;
}

static void arm_handshake_timer(struct serve *sv, uint32_t ti)
{
	struct transfer *t = &sv->t[ti];
	bool give_up;
	uint64_t after = handshake_next(&t->job, t->sends, &give_up);

	loop_timer_set(sv->loop, LOOP_TRANSFER, ti, t->sent_us + after);
}

/*
 * Between its bind and its connect, a new transfer socket is a second
 * socket on the listening address and port, and the kernel may queue on it
 * a datagram meant for the listener: another client's request. Whatever
 * the socket holds right after its connect arrived before it, so each goes
 * back to the request path as the listener would have had it. The depth
 * bound keeps a chain of such sockets from recursing far; past it the
 * datagram is lost, and its client resends it.
 */
#define REROUTE_DEPTH_MAX 4
#define STRAYS_MAX 16

static bool same_peer(const struct request_addr *x, const struct request_addr *y)
{
	struct addr_key kx, ky;

	return addr_key_from((const struct sockaddr *)&x->peer, true, &kx) &&
	       addr_key_from((const struct sockaddr *)&y->peer, true, &ky) &&
	       addr_key_equal(&kx, &ky);
}

static void reroute_strays(struct serve *sv, size_t li, int sock, const struct request_addr *a)
{
	uint8_t buf[LISTEN_DATAGRAM_MAX + 1]; /* + 1: the parser may add a NUL */

	if (sv->reroute_depth >= REROUTE_DEPTH_MAX)
		return;
	sv->reroute_depth++;
	for (unsigned i = 0; i < STRAYS_MAX; i++) {
		struct request_addr stray = *a; /* same local address and link */
		ssize_t n;

		stray.peer_len = sizeof(stray.peer);
		n = recvfrom(sock, buf, LISTEN_DATAGRAM_MAX, MSG_DONTWAIT | MSG_PEEK | MSG_TRUNC,
			     (struct sockaddr *)&stray.peer, &stray.peer_len);
		/* Our own client's (its request again) stays for the handshake. */
		if (n < 0 || same_peer(&stray, a))
			break;
		(void)recv(sock, buf, 0, MSG_DONTWAIT | MSG_TRUNC);
		if ((size_t)n <= LISTEN_DATAGRAM_MAX) /* longer: no request */
			serve_request(sv, li, buf, (size_t)n, &stray);
	}
	sv->reroute_depth--;
}

static void offence(struct serve *sv, const struct addr_key *peer, enum client_offence o)
{
	struct addr_key host = *peer;

	host.port = 0;
	client_limits_offence(&sv->limits, &host, o, now_usec());
}

/* The client's rate and penalties (client-limits.h): over its rate, a
 * request is dropped without an answer, so that a flood earns nothing;
 * a penalised client is told why, within its rate. */
static bool admitted(struct serve *sv, size_t li, const struct request_addr *a,
		     const struct addr_key *peer)
{
	struct addr_key host = *peer;
	struct client_penalty pen;
	uint64_t now = now_usec();
	char text[96];

	host.port = 0;
	switch (client_limits_check(&sv->limits, &host, now, &pen)) {
	case CLIENT_RATE_LIMITED:
		metrics_refused(&sv->metrics, -1, METRICS_R_RATE);
		log_refused(sv, a, "request", "", REFUSAL_RATE, TFTP_ERR_UNDEF,
			    "over max-requests-per-second-per-client: dropped, no answer");
		return false;
	case CLIENT_PENALISED:
		snprintf(text, sizeof(text), "Refused for %llu s: %s",
			 (unsigned long long)((pen.until_us - now) / 1000000 + 1),
			 pen.why == CLIENT_OFFENCE_CRASH ? "a transfer crashed"
							 : "malformed requests");
		refuse_logged(sv, li, a, "request", "", TFTP_ERR_ACCESS, METRICS_R_PENALTY, text, text);
		return false;
	default:
		return true;
	}
}

/* max-transfers-per-client: those running, waiting or being stored. */
static bool within_client_limit(struct serve *sv, size_t li, const struct request_addr *a,
				const struct addr_key *peer, const struct request *r)
{
	unsigned max = sv->s->max_transfers_per_client, n = 0;
	struct addr_key host = *peer;

	if (max == 0)
		return true;
	host.port = 0;
	for (uint32_t ti = addr_index_find(&sv->by_host, &host); ti != ADDR_INDEX_NONE && n < max;
	     ti = addr_index_find_next(&sv->by_host, ti))
		n++;
	if (n < max)
		return true;
	refuse_logged(sv, li, a, op_name((uint8_t)r->req.opcode), r->file, TFTP_ERR_ACCESS,
		      METRICS_R_PER_CLIENT, "Too many transfers from this address",
		      "over max-transfers-per-client");
	return false;
}

/* The operator's rules: refused (logged with the reason), or the path
 * and the client's limits in r. */
static bool decide(struct serve *sv, size_t li, const struct request_addr *a,
		   const struct addr_key *peer, struct request *r, struct policy_answer *answer)
{
	const char *what = op_name((uint8_t)r->req.opcode);
	char name[TFTP_FILENAME_MAX + 1], why[sizeof(answer->text) + sizeof(answer->reason) + 4];
	struct addr_key host = *peer;
	struct refusal no;

	host.port = 0;
	memcpy(name, r->req.filename, r->req.filename_len);
	name[r->req.filename_len] = '\0';
	policy_decide(sv->setup->policy, &host, sv->setup->listeners[li].family, r->is_upload, name,
		      answer);
	if (request_resolve(answer, r, &no) == 0) {
		r->alias_once = answer->alias_once
					? alias_once_key(&sv->setup->policy->aliases, answer->alias)
					: NULL;
		return true;
	}
	if (answer->refused) {
		snprintf(why, sizeof(why), "%s (%s)", answer->text, answer->reason);
		refuse_logged(sv, li, a, what, r->file, no.code, METRICS_R_POLICY, no.text, why);
	} else {
		refuse(sv, li, a, what, r->file, no.code, no.reason, no.text);
	}
	return false;
}

/* Open what the request names, make its socket, send its first packet. */
static void accept_request(struct serve *sv, size_t li, const struct request_addr *a,
			   const struct addr_key *peer, struct request *r)
{
	const struct monitor_setup *ms = sv->setup;
	const struct request_site site = { .root_fd = ms->root_fd,
					   .world_readable_only = ms->privileged,
					   .null_fd = ms->null_fd };
	const char *what = op_name((uint8_t)r->req.opcode);
	uint8_t first[TFTP_DATA_HDR + TFTP_BLKSIZE_DEFAULT];
	struct refusal no;
	struct transfer *t;
	uint32_t ti, id;
	int sock, n;
	bool last;

	ti = take_record(sv);
	if (ti == NONE) {
		refuse(sv, li, a, what, r->file, TFTP_ERR_UNDEF, METRICS_R_BUSY,
		       "Server busy, try again later");
		return;
	}
	sock = transfer_socket_open(&ms->listeners[li], a,
				      ms->privileged && ms->listeners[li].port < 1024);
	if (sock < 0) {
		sv->free_list[sv->n_free++] = ti;
		log_msg(LOG_ERR, "cannot make a transfer socket: %s", strerror(-sock));
		refuse(sv, li, a, what, r->file, TFTP_ERR_UNDEF, METRICS_R_INTERNAL, "Internal error");
		return;
	}
	if (request_open(sv->s, &site, peer, transfer_socket_path_mtu(sock),
			 ms->listeners[li].family, r, &no) < 0) {
		sv->free_list[sv->n_free++] = ti;
		close(sock);
		refuse(sv, li, a, what, r->file, no.code, no.reason, no.text);
		return;
	}
	/* Room for a window each way: a client that bursts (or a big window
	 * of an upload) is not dropped at our door. */
	transfer_socket_size_buffers(sock, (size_t)r->job.windowsize * (r->job.blksize + TFTP_DATA_HDR));
	n = request_first_packet(r, first, sizeof(first), &last);
	if (n < 0) {
		sv->free_list[sv->n_free++] = ti;
		close(sock);
		request_release(r);
		refuse(sv, li, a, what, r->file, TFTP_ERR_UNDEF, METRICS_R_INTERNAL, "Read error");
		return;
	}
	t = &sv->t[ti];
	fill_record(sv, t, li, a, r, sock);
	if (t->job.oack_len == 0) {
		memcpy(t->first, first, (size_t)n);
		t->first_len = (uint16_t)n;
	}
	t->first_is_last = last;
	sv->waiting++;
	addr_index_add(&sv->by_peer, ti, peer);
	addr_index_add(&sv->by_host, ti, &t->host);
	list_push(sv, &sv->hs_head, &sv->hs_tail, ti);
	/* Before the first packet: nothing of this client's answer is in yet.
	 * A stray's request may take this record's place in a full table. */
	id = t->id;
	reroute_strays(sv, li, sock, a);
	if (t->phase != PHASE_HANDSHAKE || t->id != id)
		return;
	if (loop_watch(sv->loop, sock, LOOP_TRANSFER, ti) < 0 || !send_first(t)) {
		log_unreported(sv, t, "internal", 0);
		release(sv, ti);
		return;
	}
	t->sends = 1;
	arm_handshake_timer(sv, ti);
}

/* A download the relay serves: it waits for the fetcher (serve-relay.c),
 * or is refused here. False: it is served from the root as ever. */
static bool relay_request(struct serve *sv, size_t li, const struct request_addr *a,
			  const uint8_t *buf, size_t len, const struct request *r)
{
	char url[RELAY_URL_MAX];
	unsigned flags = 0;
	int e = relay_route(sv->s, sv->setup->root_fd, r->path, url, sizeof(url), &flags);

	if (e == 0)
		return false;
	if (e < 0) {
		log_msg(LOG_WARNING, "relay: the link for \"%s\" is no URL we fetch: %s", r->file,
			strerror(-e));
		refuse(sv, li, a, "RRQ", r->file, TFTP_ERR_NOTFOUND, METRICS_R_NOT_FOUND,
		       "File not found");
		return true;
	}
	if (sv->s->relay_client_headers)
		flags |= RELAY_FETCH_CLIENT_HEADERS;
	/* Identity encoding: the body may come as it arrives, its length
	 * announced. Only a request with options can take one: the monitor
	 * answers it with an OACK, and never reads the pipe for a DATA 1. */
	if ((flags & RELAY_URL_NOCOMPRESS) && r->req.n_options > 0 && !r->limits.refuse_all)
		flags |= RELAY_FETCH_STREAM;
	e = relay_submit(&sv->relay, url, flags, r->file, li, a, buf, len);
	if (e < 0 && e != -EALREADY) /* EALREADY: resent while it waits */
		refuse(sv, li, a, "RRQ", r->file, TFTP_ERR_UNDEF, METRICS_R_BUSY,
		       "Server busy, try again later");
	return true;
}

void serve_request(struct serve *sv, size_t li, const uint8_t *buf, size_t len,
		   const struct request_addr *a)
{
	struct addr_key peer;
	struct request r;
	struct refusal no;
	struct policy_answer answer;
	int op = tftp_pkt_opcode(buf, len);

	/* A DATA or ACK on the listening port belongs to no transfer we know
	 * (RFC 1350: error 5 to that address only). An ERROR is never
	 * answered, so two servers cannot bounce errors forever. */
	if (op == TFTP_OP_DATA || op == TFTP_OP_ACK) {
		(void)listen_send_error(&sv->setup->listeners[li], a, TFTP_ERR_BADTID, NULL);
		return;
	}
	if (op < 0 || op == TFTP_OP_ERROR || sv->stopping)
		return;
	/* A request again from a client whose transfer exists: its socket
	 * takes the next one; this one was queued before it existed. */
	if (!addr_key_from((const struct sockaddr *)&a->peer, true, &peer) ||
	    addr_index_find(&sv->by_peer, &peer) != ADDR_INDEX_NONE) {
		log_msg(LOG_DEBUG, "duplicate request from a client with a transfer in flight: "
			"dropped");
		return;
	}
	if (!admitted(sv, li, a, &peer))
		return;
	clients_file_note(sv->setup->clients, &peer);
	if (request_parse(sv->s, buf, len, &r, &no) < 0) {
		if (no.malformed)
			offence(sv, &peer, CLIENT_OFFENCE_MALFORMED);
		refuse(sv, li, a, op == TFTP_OP_WRQ ? "WRQ" : op == TFTP_OP_RRQ ? "RRQ" : "request",
		       r.file, no.code, no.reason, no.text);
		return;
	}
	if (!decide(sv, li, a, &peer, &r, &answer) || !within_client_limit(sv, li, a, &peer, &r))
		return;
	if (r.is_upload && upload_in_flight(sv, r.path)) {
		refuse(sv, li, a, "WRQ", r.file, TFTP_ERR_ACCESS, METRICS_R_UPLOAD_BUSY,
		       "Another upload of this file is in progress");
		return;
	}
	if (!r.is_upload && relay_enabled(&sv->relay, sv->s) && relay_request(sv, li, a, buf, len, &r))
		return;
	accept_request(sv, li, a, &peer, &r);
}

void serve_relayed(struct serve *sv, const struct relay_waiter *w, const struct relay_answer *ans,
		   enum tftp_error code, const char *text)
{
	struct addr_key peer;
	struct request r;
	struct refusal no;
	struct policy_answer answer;

	/* Decided again: a reload may have changed the policy meanwhile. */
	if (sv->stopping || !addr_key_from((const struct sockaddr *)&w->addr.peer, true, &peer) ||
	    addr_index_find(&sv->by_peer, &peer) != ADDR_INDEX_NONE)
		return;
	if (request_parse(sv->s, w->pkt, w->len, &r, &no) < 0) {
		refuse(sv, w->listener, &w->addr, "RRQ", r.file, no.code, no.reason, no.text);
		return;
	}
	if (!decide(sv, w->listener, &w->addr, &peer, &r, &answer))
		return;
	if (ans->done.status != RELAY_OK) {
		refuse(sv, w->listener, &w->addr, "RRQ", r.file, code,
		       code == TFTP_ERR_NOTFOUND ? METRICS_R_NOT_FOUND : METRICS_R_INTERNAL, text);
		return;
	}
	r.fd = fcntl(ans->fd, F_DUPFD_CLOEXEC, 3);
	if (r.fd < 0) {
		refuse(sv, w->listener, &w->addr, "RRQ", r.file, TFTP_ERR_UNDEF, METRICS_R_INTERNAL,
		       "Internal error");
		return;
	}
	r.relay_url = ans->url;
	r.relay_cache = relay_cache_name(ans->done.cache);
	if (ans->done.flags & RELAY_DONE_STREAM) {
		r.stream = true;
		r.stream_size = ans->done.size;
		r.relay_cache = "stream";
	}
	accept_request(sv, w->listener, &w->addr, &peer, &r);
}

/* ---- one-time aliases -------------------------------------------------- */

/* A download through an [alias-once] entry succeeded: the entry is used
 * up, here and in the state file, which a restart reads. A reload may
 * have removed or re-targeted the entry meanwhile: then nothing is used. */
static void downloaded(struct serve *sv, const struct transfer *t)
{
	struct policy *p = sv->setup->policy;
	uint32_t id;

	if (t->alias_once == NULL)
		return;
	id = alias_once_find(&p->aliases, t->alias_once, strlen(t->alias_once));
	if (id == ALIAS_NONE || alias_consume(&p->aliases, id) < 0)
		return;
	/* Recorded first: once the line is in the log, the file says so. */
	if (alias_state_save(sv->setup->state_dir, &p->aliases) == 0)
		log_msg(LOG_NOTICE, "transfer %u: one-time alias used: %s", t->id, t->alias_once);
	else
		log_msg(LOG_NOTICE, "transfer %u: one-time alias used, not recorded: %s", t->id,
			t->alias_once);
}

/* ---- the handshake ---------------------------------------------------- */

/* Drop the datagram that waits in the socket. */
static void consume(struct serve *sv, struct transfer *t)
{
	(void)recv(t->sock, sv->peek, sizeof(sv->peek), MSG_DONTWAIT);
}

/* The figures of a transfer the monitor ended by itself. */
static struct psep_result own_result(const struct transfer *t, enum psep_status status)
{
	return (struct psep_result){ .status = status,
				     .retransmits = t->sends - 1 + t->answers };
}

static void end_handshake(struct serve *sv, uint32_t ti, enum psep_status status)
{
	struct transfer *t = &sv->t[ti];
	struct psep_result r = own_result(t, status);

	log_figures(sv, t, status_name(status), &r, 0);
	release(sv, ti);
}

/* The client gave up (or ended its size probe) in answer to the first
 * packet: its ERROR, read through the codec. */
static void handshake_peer_error(struct serve *sv, uint32_t ti)
{
	struct transfer *t = &sv->t[ti];
	struct psep_result r = own_result(t, PSEP_PEER_ERROR);
	ssize_t n = recv(t->sock, sv->peek, sizeof(sv->peek), MSG_DONTWAIT);
	uint16_t code = TFTP_ERR_UNDEF;

	if (n < 0 || tftp_pkt_parse_error(sv->peek, (size_t)n, &code, r.peer_message,
					  sizeof(r.peer_message)) < 0)
		r.peer_message[0] = '\0';
	r.peer_error = code <= TFTP_ERR_OPTNEG ? code : TFTP_ERR_UNDEF;
	/* RFC 2347: ERROR 8 in answer to an OACK ends a UEFI size probe. */
	if (t->job.oack_len > 0 && r.peer_error == TFTP_ERR_OPTNEG)
		r.status = PSEP_PROBE;
	log_figures(sv, t, status_name(r.status), &r, 0);
	release(sv, ti);
}

/* ACK 1 of a file that fit in DATA 1: done without a child. */
static void handshake_done(struct serve *sv, uint32_t ti)
{
	struct transfer *t = &sv->t[ti];
	struct psep_result r = own_result(t, PSEP_OK);

	consume(sv, t);
	r.blocks = 1;
	log_figures(sv, t, "ok", &r, t->file_size);
	downloaded(sv, t);
	release(sv, ti);
}

static void queue(struct serve *sv, uint32_t ti)
{
	struct transfer *t = &sv->t[ti];

	list_remove(sv, &sv->hs_head, &sv->hs_tail, ti);
	loop_unwatch(sv->loop, t->sock);
	loop_timer_clear(sv->loop, LOOP_TRANSFER, ti);
	t->phase = PHASE_QUEUED;
	list_push(sv, &sv->q_head, &sv->q_tail, ti);
}

static void handshake_input(struct serve *sv, uint32_t ti)
{
	struct transfer *t = &sv->t[ti];
	ssize_t n = recv(t->sock, sv->peek, sizeof(sv->peek), MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);

	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return;
		/* An ICMP error: nobody listens there (a forged source). */
		end_handshake(sv, ti, PSEP_UNREACHABLE);
		return;
	}
	switch (handshake_classify(&t->job, t->first_is_last, sv->peek,
				   (size_t)n < sizeof(sv->peek) ? (size_t)n : sizeof(sv->peek),
				   (size_t)n)) {
	case HS_ANSWER:
		/* Timed now, as it arrives: the child reads it later. Karn's
		 * rule: only a first packet sent once times anything. */
		if (t->sends + t->answers == 1) {
			uint64_t rtt = now_usec() - t->sent_us;

			t->job.first_rtt_usec = rtt < 255000000 ? (uint32_t)rtt : 0;
		}
		queue(sv, ti);
		serve_dispatch(sv);
		return;
	case HS_DONE:
		handshake_done(sv, ti);
		return;
	case HS_PEER_ERROR:
		handshake_peer_error(sv, ti);
		return;
	case HS_REQUEST:
		consume(sv, t);
		if (t->answers < HANDSHAKE_REQUESTS_ANSWERED_MAX) {
			t->answers++;
			if (!send_first(t))
				end_handshake(sv, ti, PSEP_UNREACHABLE);
		}
		return;
	case HS_IGNORE:
		consume(sv, t);
		return;
	}
}

static void handshake_timer(struct serve *sv, uint32_t ti)
{
	struct transfer *t = &sv->t[ti];
	bool give_up;

	(void)handshake_next(&t->job, t->sends, &give_up);
	if (give_up) {
		end_handshake(sv, ti, PSEP_TIMEOUT);
		return;
	}
	if (!send_first(t)) {
		end_handshake(sv, ti, PSEP_UNREACHABLE);
		return;
	}
	t->sends++;
	arm_handshake_timer(sv, ti);
}

/* ---- hand-off to a child ---------------------------------------------- */

static bool hand_off(struct serve *sv, uint32_t ti, uint32_t ci)
{
	struct transfer *t = &sv->t[ti];
	int fds[2];

	t->job.first_sent_usec = t->sent_us;
	/* Karn's rule: a resent first packet times no round trip. */
	t->job.flags = (t->job.flags & PSEP_JOB_STREAM) |
		       (t->sends + t->answers > 1 ? PSEP_JOB_FIRST_RESENT : 0);
	fds[PSEP_FD_FILE] = t->is_upload ? t->upload.tmp_fd : t->file_fd;
	fds[PSEP_FD_SOCKET] = t->sock;
	if (pool_send_job(sv->pool, ci, &t->job, fds, ti) < 0)
		return false;
	list_remove(sv, &sv->q_head, &sv->q_tail, ti);
	sv->waiting--;
	sv->running++;
	t->phase = PHASE_RUNNING;
	t->child = ci;
	/* The child holds them now; an upload's socket stays, for the final
	 * ACK the monitor sends once the file is stored. */
	if (!t->is_upload) {
		close(t->file_fd);
		t->file_fd = -1;
		close(t->sock);
		t->sock = -1;
	}
	loop_timer_set(sv->loop, LOOP_TRANSFER, ti,
		       t->started_us + (uint64_t)t->job.deadline_s * 1000000 + DEADLINE_GRACE_US);
	log_msg(LOG_DEBUG, "transfer %u start %s client=%s file=\"%s\" mode=%s child=%d", t->id,
		op_name(t->op), t->client, t->file, tftp_pkt_mode_name(t->mode),
		(int)sv->pool->ch[ci].c.pid);
	return true;
}

void serve_dispatch(struct serve *sv)
{
	while (sv->q_head != NONE && sv->running < sv->s->max_transfers) {
		uint32_t ti = sv->q_head, ci = pool_child_for(sv->pool, &sv->t[ti].host);

		if (ci == POOL_NONE)
			break;
		if (!hand_off(sv, ti, ci)) {
			log_unreported(sv, &sv->t[ti], "internal", 0);
			release(sv, ti);
		}
	}
	pool_refill(sv->pool);
}

/* ---- results ---------------------------------------------------------- */

static uint16_t commit_error(int e)
{
	switch (e) {
	case -EEXIST:
		return TFTP_ERR_EXISTS;
	case -ENOSPC:
	case -EDQUOT:
	case -EFBIG:
		return TFTP_ERR_NOSPACE;
	case -EACCES:
	case -EPERM:
		return TFTP_ERR_ACCESS;
	default:
		return TFTP_ERR_UNDEF;
	}
}

/* The final ACK names the upload's last block. In octet mode the stored
 * size says which it is; netascii changes sizes, so there the child's
 * count is taken (it can only mislead its own client). */
static uint16_t final_block(const struct transfer *t, uint64_t size)
{
	uint64_t index = t->mode == TFTP_MODE_OCTET ? size / t->job.blksize + 1 : t->result.blocks;

	if (t->job.rollover == 1)
		return (uint16_t)((index - 1) % 65535 + 1);
	return (uint16_t)index;
}

static void send_final_ack(struct transfer *t, uint64_t size)
{
	uint8_t ack[TFTP_ACK_LEN];

	tftp_pkt_build_ack(ack, sizeof(ack), final_block(t, size));
	(void)send(t->sock, ack, sizeof(ack), MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* The child that wrote the upload is gone: nothing can write to the file
 * any more. Check it, rename it into place, then tell the client. */
static void store_upload(struct serve *sv, uint32_t ti)
{
	struct transfer *t = &sv->t[ti];
	struct stat st;
	uint64_t size = t->result.bytes;
	int e = upload_commit(&t->upload, size, sv->s->max_upload, 0666 & ~sv->s->umask);

	if (e < 0) {
		log_msg(LOG_ERR, "transfer %u: upload of \"%s\" not stored: %s", t->id, t->file,
			strerror(-e));
		(void)transfer_socket_send_error(t->sock, (enum tftp_error)commit_error(e),
						 "Could not store the file");
		log_figures(sv, t, e == -EFBIG ? "no-space" : "io-error", &t->result,
			    fstat(t->upload.tmp_fd, &st) == 0 ? (uint64_t)st.st_size : 0);
		release(sv, ti);
		return;
	}
	log_figures(sv, t, "ok", &t->result, size);
	upload_close(&t->upload);
	send_final_ack(t, size);
	t->final_acks = 1;
	t->phase = PHASE_DALLY;
	if (loop_watch(sv->loop, t->sock, LOOP_TRANSFER, ti) < 0) {
		release(sv, ti);
		return;
	}
	loop_timer_set(sv->loop, LOOP_TRANSFER, ti, now_usec() + DALLY_US);
}

static void on_result(struct serve *sv, uint32_t ci, const struct psep_result *r)
{
	uint32_t ti = sv->pool->ch[ci].transfer;
	struct transfer *t = &sv->t[ti];

	if (!t->is_upload) {
		/* The bytes of a download cannot be more than the file had. */
		log_figures(sv, t, status_name(r->status), r,
			    r->bytes < t->file_size ? r->bytes : t->file_size);
		if (r->status == PSEP_OK)
			downloaded(sv, t);
		pool_job_done(sv->pool, ci, false);
		release(sv, ti);
		serve_dispatch(sv);
		return;
	}
	/* The child leaves after an upload; the file waits for its exit. */
	pool_job_done(sv->pool, ci, true);
	sv->running--;
	t->phase = PHASE_STORING;
	if (r->status != PSEP_OK) {
		log_figures(sv, t, status_name(r->status), r, r->bytes);
		sv->pool->ch[ci].transfer = POOL_NONE;
		release(sv, ti);
	} else {
		t->result = *r;
		loop_timer_set(sv->loop, LOOP_TRANSFER, ti, now_usec() + STORE_WAIT_US);
	}
	serve_dispatch(sv);
}

/* A child that broke the protocol was killed already; reaping it ends
 * its transfer (and removes an upload's temporary file). */
void serve_on_child_message(struct serve *sv, uint32_t ci)
{
	struct psep_msg msg;

	if (pool_on_message(sv->pool, ci, &msg) == 1)
		on_result(sv, ci, &msg.result);
}

/* ---- a child's end ----------------------------------------------------- */

/* A signal of the child's own making: a fault, an abort (a sanitizer's
 * report) or a system call its filter forbids. SIGKILL and SIGTERM come
 * from the operator, the OOM killer or our deadline, not from input. */
static bool is_crash(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL || sig == SIGFPE ||
	       sig == SIGABRT || sig == SIGSYS || sig == SIGTRAP;
}

void serve_on_child_exit(struct serve *sv, uint32_t ci, int status)
{
	uint32_t ti = sv->pool->ch[ci].transfer;
	struct transfer *t;
	bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;

	if (ti == POOL_NONE || ti >= sv->n)
		return;
	t = &sv->t[ti];
	if (t->phase == PHASE_STORING && t->child == ci) {
		if (clean) {
			store_upload(sv, ti);
		} else {
			(void)transfer_socket_send_error(t->sock, TFTP_ERR_UNDEF,
							 "Transfer ended by the server");
			log_unreported(sv, t, "internal", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
			release(sv, ti);
		}
		return;
	}
	if (t->phase != PHASE_RUNNING || t->child != ci)
		return;
	/* It died owing a result: say how, and tell the client, which would
	 * otherwise wait for its timeouts to run out. A crash may be the
	 * client's doing, perhaps on purpose. */
	if (WIFSIGNALED(status) && is_crash(WTERMSIG(status)))
		offence(sv, &t->host, CLIENT_OFFENCE_CRASH);
	log_unreported(sv, t, t->deadline_killed ? "deadline"
						  : WIFSIGNALED(status) ? "killed" : "internal",
		       WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	send_listener_error(sv, t, TFTP_ERR_UNDEF, t->deadline_killed ? "Transfer took too long"
									: "Transfer ended by the server");
	release(sv, ti);
	serve_dispatch(sv);
}

/* ---- sockets and timers ---------------------------------------------- */

void serve_on_socket(struct serve *sv, uint32_t ti)
{
	struct transfer *t = &sv->t[ti];

	if (t->phase == PHASE_HANDSHAKE) {
		handshake_input(sv, ti);
	} else if (t->phase == PHASE_DALLY) {
		/* The client resent its last block: our final ACK was lost. */
		consume(sv, t);
		if (t->final_acks < FINAL_ACKS_MAX) {
			t->final_acks++;
			send_final_ack(t, t->result.bytes);
		}
	}
}

void serve_on_timer(struct serve *sv, uint32_t ti)
{
	struct transfer *t = &sv->t[ti];

	switch (t->phase) {
	case PHASE_HANDSHAKE:
		handshake_timer(sv, ti);
		break;
	case PHASE_RUNNING:
		/* Its deadline is the monitor's to keep, not the child's. */
		log_msg(LOG_WARNING, "transfer %u: child %d is past the deadline: killed", t->id,
			(int)sv->pool->ch[t->child].c.pid);
		t->deadline_killed = true;
		pool_kill(sv->pool, t->child);
		break;
	case PHASE_STORING:
		log_msg(LOG_ERR, "transfer %u: child %d did not exit after its upload: killed",
			t->id, (int)sv->pool->ch[t->child].c.pid);
		pool_kill(sv->pool, t->child);
		sv->pool->ch[t->child].transfer = POOL_NONE; /* its exit stores nothing */
		(void)transfer_socket_send_error(t->sock, TFTP_ERR_UNDEF,
						 "Transfer ended by the server");
		log_unreported(sv, t, "internal", 0);
		release(sv, ti);
		break;
	case PHASE_DALLY:
		release(sv, ti);
		break;
	default:
		break;
	}
}

void serve_stop(struct serve *sv)
{
	sv->stopping = true;
}

void serve_end_all(struct serve *sv)
{
	for (size_t i = 0; i < sv->n; i++) {
		struct transfer *t = &sv->t[i];

		if (t->phase == PHASE_HANDSHAKE || t->phase == PHASE_QUEUED ||
		    t->phase == PHASE_DALLY)
			release(sv, (uint32_t)i);
	}
}
