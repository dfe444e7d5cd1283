/*
 * metrics.c - the Prometheus text of the monitor's counters. See metrics.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "metrics.h"

/* From a UEFI size probe (milliseconds) to an image over a slow link. */
const uint64_t metrics_bucket_us[METRICS_BUCKETS] = {
	10000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000, 60000000,
	300000000,
};
/* The same, as le= labels: written the one way, so that a series keeps
 * its name from one release to the next. */
static const char *const bucket_labels[METRICS_BUCKETS] = {
	"0.01", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "60", "300",
};

static const char *const op_labels[METRICS_OPS] = { "rrq", "wrq" };

static const char *const result_labels[METRICS_RESULTS] = {
	[METRICS_OK] = "ok", [METRICS_TIMEOUT] = "timeout", [METRICS_PEER_ERROR] = "peer_error",
	[METRICS_PROBE] = "probe", [METRICS_IO_ERROR] = "io_error",
	[METRICS_NO_SPACE] = "no_space", [METRICS_PROTOCOL] = "protocol",
	[METRICS_DEADLINE] = "deadline", [METRICS_INTERNAL] = "internal",
	[METRICS_UNREACHABLE] = "unreachable", [METRICS_KILLED] = "killed",
	[METRICS_REFUSED] = "refused",
};

static const char *const refusal_labels[METRICS_REFUSALS] = {
	[METRICS_R_ACCESS] = "access", [METRICS_R_NOT_FOUND] = "not_found",
	[METRICS_R_EXISTS] = "exists", [METRICS_R_NO_SPACE] = "no_space",
	[METRICS_R_POLICY] = "policy", [METRICS_R_RATE] = "rate",
	[METRICS_R_PENALTY] = "penalty", [METRICS_R_BUSY] = "busy",
	[METRICS_R_PER_CLIENT] = "per_client", [METRICS_R_MALFORMED] = "malformed",
	[METRICS_R_UPLOAD_DISABLED] = "upload_disabled",
	[METRICS_R_DOWNLOAD_DISABLED] = "download_disabled",
	[METRICS_R_UPLOAD_BUSY] = "upload_busy", [METRICS_R_INTERNAL] = "internal",
};

static const char *const child_labels[METRICS_CHILD_STATES] = {
	"starting", "idle", "busy", "exiting",
};

const char *metrics_result_label(enum metrics_result r)
{
	return (unsigned)r < METRICS_RESULTS ? result_labels[r] : "internal";
}

const char *metrics_refusal_label(enum metrics_refusal r)
{
	return (unsigned)r < METRICS_REFUSALS ? refusal_labels[r] : "internal";
}

/* The log writes "peer-error", the labels "peer_error". */
enum metrics_result metrics_result_from_name(const char *name)
{
	for (unsigned r = 0; r < METRICS_RESULTS; r++) {
		const char *l = result_labels[r];
		size_t i = 0;

		while (l[i] != '\0' && (name[i] == l[i] || (name[i] == '-' && l[i] == '_')))
			i++;
		if (l[i] == '\0' && name[i] == '\0')
			return (enum metrics_result)r;
	}
	return METRICS_INTERNAL;
}

void metrics_transfer_ended(struct metrics *m, enum metrics_op op, enum metrics_result result,
			    uint64_t bytes, uint64_t retransmits, uint64_t usec)
{
	unsigned b = 0;

	if ((unsigned)op >= METRICS_OPS || (unsigned)result >= METRICS_RESULTS)
		return;
	m->transfers[op][result]++;
	m->bytes[op] += bytes;
	m->retransmits += retransmits;
	while (b < METRICS_BUCKETS && usec > metrics_bucket_us[b])
		b++;
	if (b < METRICS_BUCKETS)
		m->duration_bucket[b]++; /* beyond the last: only in +Inf, i.e. the count */
	m->duration_count++;
	m->duration_sum_us += usec;
}

void metrics_refused(struct metrics *m, int op, enum metrics_refusal reason)
{
	if ((unsigned)reason >= METRICS_REFUSALS)
		reason = METRICS_R_INTERNAL;
	m->refused[reason]++;
	if (op >= 0 && op < METRICS_OPS)
		m->transfers[op][METRICS_REFUSED]++;
}

size_t metrics_escape_label(const char *value, char *buf, size_t size)
{
	size_t n = 0;

	for (const char *c = value; *c != '\0'; c++) {
		const char *put = *c == '\\' ? "\\\\" : *c == '"' ? "\\\"" : *c == '\n' ? "\\n" : NULL;
		char one[2] = { *c, '\0' };

		for (const char *p = put != NULL ? put : one; *p != '\0'; p++, n++)
			if (n + 1 < size)
				buf[n] = *p;
	}
	if (size > 0)
		buf[n < size ? n : size - 1] = '\0';
	return n;
}

/* ---- the text --------------------------------------------------------- */

struct out {
	char *buf;
	size_t size, used;
	bool full;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->used, o->size - o->used, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->size - o->used)
		o->full = true;
	else
		o->used += (size_t)n;
}

static void header(struct out *o, const char *name, const char *type, const char *help)
{
	put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Microseconds as seconds, exactly: "1.250000". */
static void put_seconds(struct out *o, uint64_t usec)
{
	put(o, "%llu.%06llu", (unsigned long long)(usec / 1000000),
	    (unsigned long long)(usec % 1000000));
}

static uint64_t sum_results(const struct metrics *m, bool ok)
{
	uint64_t n = 0;

	for (unsigned op = 0; op < METRICS_OPS; op++)
		for (unsigned r = 0; r < METRICS_RESULTS; r++)
			if (r != METRICS_REFUSED && (r == METRICS_OK || r == METRICS_PROBE) == ok)
				n += m->transfers[op][r];
	return n;
}

static uint64_t sum_refused(const struct metrics *m)
{
	uint64_t n = 0;

	for (unsigned r = 0; r < METRICS_REFUSALS; r++)
		n += m->refused[r];
	return n;
}

int metrics_counters_line(const struct metrics *m, char *buf, size_t size)
{
	return snprintf(buf, size, "ok=%llu failed=%llu refused=%llu bytes=%llu retransmits=%llu",
			(unsigned long long)sum_results(m, true),
			(unsigned long long)sum_results(m, false),
			(unsigned long long)sum_refused(m),
			(unsigned long long)(m->bytes[METRICS_RRQ] + m->bytes[METRICS_WRQ]),
			(unsigned long long)m->retransmits);
}

int metrics_status_line(const struct metrics *m, char *buf, size_t size)
{
	char counters[192];

	metrics_counters_line(m, counters, sizeof(counters));
	return snprintf(buf, size, "active=%llu queued=%llu %s", (unsigned long long)m->active,
			(unsigned long long)m->queued, counters);
}

static void put_transfers(struct out *o, const struct metrics *m)
{
	header(o, "tftpd_transfers_total", "counter",
	       "Transfers ended (or refused), by operation and result.");
	for (unsigned op = 0; op < METRICS_OPS; op++)
		for (unsigned r = 0; r < METRICS_RESULTS; r++)
			put(o, "tftpd_transfers_total{op=\"%s\",result=\"%s\"} %llu\n", op_labels[op],
			    result_labels[r], (unsigned long long)m->transfers[op][r]);
	header(o, "tftpd_bytes_total", "counter",
	       "Bytes of files sent (rrq) or stored (wrq), as the monitor counts them.");
	for (unsigned op = 0; op < METRICS_OPS; op++)
		put(o, "tftpd_bytes_total{op=\"%s\"} %llu\n", op_labels[op],
		    (unsigned long long)m->bytes[op]);
	header(o, "tftpd_retransmits_total", "counter", "Packets sent again: on a timeout, or to a client that asked again.");
	put(o, "tftpd_retransmits_total %llu\n", (unsigned long long)m->retransmits);
	header(o, "tftpd_refused_total", "counter", "Requests refused, by reason.");
	for (unsigned r = 0; r < METRICS_REFUSALS; r++)
		put(o, "tftpd_refused_total{reason=\"%s\"} %llu\n", refusal_labels[r],
		    (unsigned long long)m->refused[r]);
}

/* Buckets are cumulative: each counts every transfer up to its bound. */
static void put_durations(struct out *o, const struct metrics *m)
{
	uint64_t below = 0;

	header(o, "tftpd_transfer_duration_seconds", "histogram",
	       "Time from request to end of the transfers that ended.");
	for (unsigned b = 0; b < METRICS_BUCKETS; b++) {
		below += m->duration_bucket[b];
		put(o, "tftpd_transfer_duration_seconds_bucket{le=\"%s\"} %llu\n", bucket_labels[b],
		    (unsigned long long)below);
	}
	put(o, "tftpd_transfer_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
	    (unsigned long long)m->duration_count);
	put(o, "tftpd_transfer_duration_seconds_sum ");
	put_seconds(o, m->duration_sum_us);
	put(o, "\ntftpd_transfer_duration_seconds_count %llu\n",
	    (unsigned long long)m->duration_count);
}

static void put_gauges(struct out *o, const struct metrics *m)
{
	char version[128];

	header(o, "tftpd_transfers_active", "gauge", "Transfers a jailed child runs now.");
	put(o, "tftpd_transfers_active %llu\n", (unsigned long long)m->active);
	header(o, "tftpd_requests_queued", "gauge",
	       "Requests waiting for their client's first answer or for a child.");
	put(o, "tftpd_requests_queued %llu\n", (unsigned long long)m->queued);
	header(o, "tftpd_children", "gauge", "Transfer children, by state.");
	for (unsigned c = 0; c < METRICS_CHILD_STATES; c++)
		put(o, "tftpd_children{state=\"%s\"} %llu\n", child_labels[c],
		    (unsigned long long)m->children[c]);
	header(o, "tftpd_start_time_seconds", "gauge", "When the server started, since the epoch.");
	put(o, "tftpd_start_time_seconds ");
	put_seconds(o, m->start_time_us);
	metrics_escape_label(m->version != NULL ? m->version : "", version, sizeof(version));
	put(o, "\n");
	header(o, "tftpd_build_info", "gauge", "Always 1; the version in a label.");
	put(o, "tftpd_build_info{version=\"%s\"} 1\n", version);
}

int metrics_format(const struct metrics *m, char *buf, size_t size)
{
	struct out o = { .buf = buf, .size = size };
	char status[256];

	if (size == 0)
		return -ENOSPC;
	buf[0] = '\0';
	metrics_status_line(m, status, sizeof(status));
	put(&o, "%s%s\n", METRICS_STATUS_PREFIX, status);
	put_transfers(&o, m);
	put_durations(&o, m);
	put_gauges(&o, m);
	return o.full ? -ENOSPC : (int)o.used;
}
