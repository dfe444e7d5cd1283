/*
 * metrics.h - the monitor's counters, and the Prometheus text exposition
 * format (version 0.0.4) of them.
 *
 * Pure: a struct of counters in, text out; no I/O, no clock, no globals.
 * metrics-file.c writes the text where an operator's node_exporter (its
 * textfile collector) or any other scraper reads it, so the daemon never
 * listens on another port.
 *
 * Every label value comes from a fixed table here (no client text, no
 * file name): the number of series is bounded whatever clients send.
 */
#ifndef CLOISTER_METRICS_H
#define CLOISTER_METRICS_H

#include <stddef.h>
#include <stdint.h>

enum metrics_op { METRICS_RRQ, METRICS_WRQ, METRICS_OPS };

/* How a transfer ended: the log's result= names, '-' as '_'. */
enum metrics_result {
	METRICS_OK,
	METRICS_TIMEOUT,
	METRICS_PEER_ERROR,
	METRICS_PROBE,       /* a size probe ended by the client (RFC 2347) */
	METRICS_IO_ERROR,
	METRICS_NO_SPACE,
	METRICS_PROTOCOL,
	METRICS_DEADLINE,
	METRICS_INTERNAL,
	METRICS_UNREACHABLE,
	METRICS_KILLED,
	METRICS_REFUSED,     /* refused before any transfer began */
	METRICS_RESULTS,
};

/* Why a request was refused. */
enum metrics_refusal {
	METRICS_R_ACCESS,          /* ERROR 2 from opening, or our temporary names */
	METRICS_R_NOT_FOUND,
	METRICS_R_EXISTS,          /* an upload over a file, without overwrite */
	METRICS_R_NO_SPACE,
	METRICS_R_POLICY,          /* allow/deny, [alias], map-file rules */
	METRICS_R_RATE,            /* max-requests-per-second-per-client: dropped */
	METRICS_R_PENALTY,         /* a penalised client */
	METRICS_R_BUSY,            /* the request table is full */
	METRICS_R_PER_CLIENT,      /* max-transfers-per-client */
	METRICS_R_MALFORMED,
	METRICS_R_UPLOAD_DISABLED,
	METRICS_R_DOWNLOAD_DISABLED, /* write-only */
	METRICS_R_UPLOAD_BUSY,     /* another upload of the same name */
	METRICS_R_INTERNAL,        /* no socket, a read error */
	METRICS_REFUSALS,
};

/* The children's states, as spawn.h numbers them (starting 1 .. exiting 4). */
enum metrics_child { METRICS_STARTING, METRICS_IDLE, METRICS_BUSY, METRICS_EXITING,
		     METRICS_CHILD_STATES };

/* Upper bounds of the duration histogram, in microseconds. */
#define METRICS_BUCKETS 11
extern const uint64_t metrics_bucket_us[METRICS_BUCKETS];

struct metrics {
	/* counters, since the start */
	uint64_t transfers[METRICS_OPS][METRICS_RESULTS];
	uint64_t bytes[METRICS_OPS];
	uint64_t retransmits;
	uint64_t refused[METRICS_REFUSALS];
	uint64_t duration_bucket[METRICS_BUCKETS]; /* per bucket, not cumulative */
	uint64_t duration_count;
	uint64_t duration_sum_us;
	/* gauges, filled in when the text is made */
	uint64_t active;         /* transfers a child runs */
	uint64_t queued;         /* waiting for the client's first answer or a child */
	uint64_t children[METRICS_CHILD_STATES];
	uint64_t start_time_us;  /* wall clock, microseconds since the epoch */
	const char *version;
};

/* The result named as in the log ("peer-error"); METRICS_INTERNAL for a
 * name not known here. */
enum metrics_result metrics_result_from_name(const char *name);

/* A transfer ended, with the monitor's own figures. */
void metrics_transfer_ended(struct metrics *m, enum metrics_op op, enum metrics_result result,
			    uint64_t bytes, uint64_t retransmits, uint64_t usec);

/* A request refused; op < 0 when it was neither RRQ nor WRQ. */
void metrics_refused(struct metrics *m, int op, enum metrics_refusal reason);

/* The labels, as written in the text. */
const char *metrics_result_label(enum metrics_result r);
const char *metrics_refusal_label(enum metrics_refusal r);

/*
 * A label value escaped as the exposition format wants it: backslash,
 * double quote and line feed as \\, \" and \n. Always terminated; returns
 * the length the whole would need (as snprintf), so >= size means cut.
 */
size_t metrics_escape_label(const char *value, char *buf, size_t size);

/* "ok=10 failed=1 refused=3 bytes=123 retransmits=4": the counters
 * since the start (ok counts size probes too). As snprintf. */
int metrics_counters_line(const struct metrics *m, char *buf, size_t size);

/*
 * One line, no newline: "active=2 queued=0 ok=10 failed=1 refused=3
 * bytes=123 retransmits=4" - systemd's STATUS= and tftpd --status.
 * Returns what snprintf returns.
 */
int metrics_status_line(const struct metrics *m, char *buf, size_t size);

/* The line that carries it in the file, a comment to Prometheus. */
#define METRICS_STATUS_PREFIX "# tftpd-status: "

/*
 * The whole text: the status comment, then every metric with its HELP
 * and TYPE. Its length, or -ENOSPC when it does not fit in size.
 */
int metrics_format(const struct metrics *m, char *buf, size_t size);

#endif
