/*
 * serve.h - the monitor's transfers, from request to log line.
 *
 * A transfer's life, each phase a state of its record:
 *   HANDSHAKE  the request was accepted: the file is open, the transfer
 *              socket made, and the monitor sent the first packet itself
 *              (handshake.h); no child is spent until the client answers;
 *   QUEUED     the client answered; waiting for a child (pool.h);
 *   RUNNING    a child runs it; the monitor enforces the deadline;
 *   STORING    an upload the child reported complete: waiting for the
 *              child to exit, then the monitor checks the file and renames
 *              it into place (upload.h);
 *   DALLY      an upload stored: the monitor sent the final ACK and answers
 *              a resent last block for a moment.
 * Every record is bounded: --max-transfers RUNNING, --max-requests
 * HANDSHAKE and QUEUED together; when the table is full the oldest
 * unanswered request makes room (a forged source never answers), and only
 * when there is none is a request refused with "Server busy".
 */
#ifndef CLOISTER_SERVE_H
#define CLOISTER_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr-index.h"
#include "client-limits.h"
#include "clients-file.h"
#include "listen.h"
#include "loop.h"
#include "metrics.h"
#include "monitor.h"
#include "pool.h"
#include "rate-limit.h"
#include "relay.h"
#include "request.h"

#define OPTIONS_TEXT_MAX 160 /* "blksize=65464 tsize=..." of one transfer */

enum phase {
	PHASE_FREE = 0,
	PHASE_HANDSHAKE,
	PHASE_QUEUED,
	PHASE_RUNNING,
	PHASE_STORING,
	PHASE_DALLY,
};

/* What the monitor itself knows of a transfer; a child's report is checked
 * against it. */
struct transfer {
	enum phase phase;
	uint32_t id;
	size_t listener;       /* where the request came in */
	struct request_addr addr;
	struct addr_key host;  /* the client's address: its child's */
	char client[LISTEN_ADDR_TEXT_MAX];
	char file[ESCAPED_NAME_MAX];
	char path[TFTP_PATH_MAX];
	char options[OPTIONS_TEXT_MAX]; /* as acknowledged, for the log */
	char ignored[OPTIONS_TEXT_MAX]; /* unknown options the client sent, escaped */
	uint8_t op, mode;
	bool is_upload;
	struct upload upload;  /* the temporary file, until committed or removed */
	struct psep_job job;
	uint64_t file_size;    /* RRQ: at open */
	int file_fd;           /* RRQ: until handed over */
	int sock;              /* until handed over; an upload's until the end */
	uint8_t first[TFTP_DATA_HDR + TFTP_BLKSIZE_DEFAULT]; /* DATA 1 or ACK 0 */
	uint16_t first_len;    /* 0: the first packet is the job's OACK */
	bool first_is_last;
	char *alias_once;          /* an [alias-once] download: its key, to consume on success */
	char *relay_url;           /* relayed: where the body came from, for the log */
	const char *relay_cache;   /* ..and how the cache had it (static), or NULL */
	unsigned sends;        /* of the first packet, by its timer */
	unsigned answers;      /* of it, to resent requests */
	unsigned final_acks;
	bool deadline_killed;
	uint64_t started_us, sent_us;
	uint32_t child;        /* RUNNING, STORING */
	uint32_t prev, next;   /* HANDSHAKE: oldest first; QUEUED: first come first */
	struct psep_result result; /* STORING: the child's report */
};

struct serve {
	const struct monitor_setup *setup;
	const struct settings *s;
	struct loop *loop;
	struct pool *pool;
	size_t n;              /* records */
	struct transfer *t;
	struct relay relay;    /* requests waiting for the fetcher */
	uint32_t *free_list;   /* free records, a stack */
	size_t n_free;
	struct addr_index by_peer; /* every record but FREE, by address and port */
	struct addr_index by_host; /* the same, by address alone: transfers per client */
	struct client_limits limits; /* request rate and penalties per client */
	struct log_limiter refusal_log; /* refusal lines, per kind */
	struct clients_file *clients;   /* clients-file, from the monitor's setup */
	uint32_t hs_head, hs_tail;
	uint32_t q_head, q_tail;
	size_t waiting;        /* HANDSHAKE and QUEUED */
	size_t running;        /* RUNNING */
	uint32_t next_id;
	uint64_t finished;     /* transfers ended, for systemd's STATUS= */
	struct metrics metrics; /* counted where the log lines are written */
	bool stopping;
	unsigned reroute_depth; /* reroute_strays calls in progress */
	uint8_t peek[TFTP_DATA_HDR + TFTP_BLKSIZE_DEFAULT];
};

int serve_init(struct serve *sv, const struct monitor_setup *setup, struct loop *loop,
	       struct pool *pool);

/* After a reload: the per-client limits of the new settings. */
void serve_settings_changed(struct serve *sv);

/* One datagram that arrived on listener li. */
void serve_request(struct serve *sv, size_t li, const uint8_t *buf, size_t len,
		   const struct request_addr *a);

/* The transfer socket of record ti is readable (or has an error). */
void serve_on_socket(struct serve *sv, uint32_t ti);

/* The timer of record ti ran out. */
void serve_on_timer(struct serve *sv, uint32_t ti);

/* A message from child ci (READY goes to the pool, RESULT ends a job). */
void serve_on_child_message(struct serve *sv, uint32_t ci);

/* Child ci was reaped with this wait status. */
void serve_on_child_exit(struct serve *sv, uint32_t ci, int status);

/*
 * A relayed request's fetch ended: decided again as it came, then served
 * from ans->fd (RELAY_OK), or refused with code and text.
 */
void serve_relayed(struct serve *sv, const struct relay_waiter *w, const struct relay_answer *ans,
		   enum tftp_error code, const char *text);

/* The fetcher's socket is readable: answers for waiting requests. */
void serve_on_relay(struct serve *sv);

/* The fetcher was reaped with this wait status. */
void serve_relay_exited(struct serve *sv, int status);

/* Give waiting transfers the children that can be had now. */
void serve_dispatch(struct serve *sv);

/* SIGTERM: take no more requests; what is in flight goes on. */
void serve_stop(struct serve *sv);

/* The grace period is over: end everything (children are killed by the
 * caller; what waits for a client or a child is dropped). */
void serve_end_all(struct serve *sv);

/* Records in use. */
size_t serve_active(const struct serve *sv);

#endif
