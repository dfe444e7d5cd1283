/*
 * log-format.h - what one log record says, rendered for each target.
 *
 * Pure: records in, bytes out. No I/O, no allocation, no globals, so the
 * text line, the JSON line and the journal datagram are unit-tested
 * (tests/check-log.c) exactly as the daemon writes them.
 *
 * Every string in a record must already be printable: client-controlled
 * text (names, a client's error message) goes through tftp_escape, so every
 * '\' in it starts an escape. The text line writes '"' inside a quoted
 * value as \x22, so a value cannot close its quotes and forge fields. JSON escaping (of '"', '\' and anything below 0x20) and
 * the journal's binary field encoding (for a value with a newline) are
 * done here all the same, so a caller's mistake cannot break a line.
 */
#ifndef CLOISTER_LOG_FORMAT_H
#define CLOISTER_LOG_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LOG_LINE_MAX 8192   /* a rendered line or datagram never needs more */
#define LOG_FIELDS_MAX 24

/* One transfer, as it ended. */
struct log_transfer {
	uint32_t id;
	const char *op;           /* "RRQ", "WRQ" */
	const char *client;       /* "192.0.2.1:1234", "[2001:db8::1]:1234" */
	const char *file;         /* escaped */
	const char *mode;         /* "octet", "netascii" */
	const char *result;       /* "ok", "timeout", ..., "killed", "internal" */
	bool reported;            /* the child sent its figures: bytes .. rtt_us valid */
	uint64_t bytes, blocks, usec;
	uint32_t retransmits, blksize, windowsize, rtt_us;
	const char *options;      /* negotiated, "blksize=1428 tsize=9000"; NULL or "" if none */
	const char *ignored;      /* options unknown to us (RFC 2347), escaped; NULL or "" if none */
	const char *peer_message; /* the client's ERROR text; NULL when it sent none */
	unsigned peer_error;      /* the client's ERROR code, with peer_message */
	int signal;               /* the child died of this signal; 0 otherwise */
	const char *url;          /* relayed: the URL the body came from; NULL otherwise */
	const char *cache;        /* relayed: "hit", "miss", "revalidated", "stale"; or NULL */
};

/* One request the monitor turned down. */
struct log_refusal {
	const char *op;           /* "RRQ", "WRQ", "request" */
	const char *client;
	const char *file;         /* escaped */
	unsigned error;           /* the TFTP error code sent */
	const char *reason;       /* the error text sent */
};

/* One named value of a record: a string (str != NULL) or a number. */
struct log_field {
	const char *json;    /* key in a JSON line: "client" */
	const char *journal; /* journal field name: "TFTP_CLIENT" */
	const char *str;
	int64_t num;
};

/*
 * The text line, without the "tftpd: " prefix and newline:
 *   transfer 3 RRQ client=... file="..." mode=octet result=ok bytes=...
 *   refused RRQ client=... file="..." error=1 reason="File not found"
 * Returns the length, or -ENOBUFS when it does not fit in size (buf then
 * holds a truncated, terminated line).
 */
int log_fmt_transfer_text(const struct log_transfer *t, char *buf, size_t size);
int log_fmt_refusal_text(const struct log_refusal *r, char *buf, size_t size);

/*
 * The record's fields, in a fixed order, for the structured targets.
 * Figures a record does not have (no report, no peer error, no signal)
 * are left out. Returns how many were written to out (<= LOG_FIELDS_MAX).
 */
size_t log_fmt_transfer_fields(const struct log_transfer *t, struct log_field *out);
size_t log_fmt_refusal_fields(const struct log_refusal *r, struct log_field *out);

/*
 * One JSON object, no newline:
 *   {"event":"transfer","priority":"info","message":"transfer 3 ...","id":3,...}
 * event: "transfer", "refusal" or "message"; message (the text line),
 * when not NULL, is added as "message". Returns the length or -ENOBUFS
 * (then buf is empty: a cut JSON object is not JSON).
 */
int log_fmt_json(const char *event, int priority, const char *message,
		 const struct log_field *fields, size_t n, char *buf, size_t size);

/*
 * One datagram of the journal's native protocol: MESSAGE, PRIORITY,
 * SYSLOG_IDENTIFIER=tftpd, then each field under its journal name. A
 * value containing a newline uses the binary form (name, newline, 64-bit
 * little-endian length, value, newline). Returns the length or -ENOBUFS.
 */
int log_fmt_journal(int priority, const char *message, const struct log_field *fields,
		    size_t n, char *buf, size_t size);

/* "err", "warning", "info", ... for a syslog priority. */
const char *log_fmt_priority_name(int priority);

/*
 * Copy s into out (size bytes, always NUL-terminated) with every byte
 * outside printable ASCII, and the backslash, written as \xHH; truncated
 * with "..." when it does not fit. For logging client-controlled text.
 * Returns out.
 */
char *tftp_escape(const char *s, size_t len, char *out, size_t size);

#endif
