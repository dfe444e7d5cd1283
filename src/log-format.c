/*
 * log-format.c - rendering log records: text line, JSON line, journal
 * datagram. See log-format.h.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "log-format.h"

/* An output buffer that remembers whether anything did not fit. */
struct out {
	char *buf;
	size_t size, len;
	bool full;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->full || o->size - o->len <= n) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void put_str(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

__attribute__((format(printf, 2, 3))) static void put_fmt(struct out *o, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		o->full = true; /* only short numeric pieces go through here */
	else
		put(o, tmp, (size_t)n);
}

static int finish(struct out *o)
{
	return o->full ? -ENOBUFS : (int)o->len;
}

static struct out out_init(char *buf, size_t size)
{
	if (size > 0)
		buf[0] = '\0';
	return (struct out){ .buf = buf, .size = size, .full = size == 0 };
}

static const char *str_or_empty(const char *s)
{
	return s != NULL ? s : "";
}

/* ---- text ------------------------------------------------------------- */

/*
 * A quoted value of the text line: '"' becomes \x22, so that no value can
 * end its quotes early and forge fields after them (file="x" result=ok).
 * Every '\' in a value already starts an escape (tftp_escape), so \x22 is
 * as unambiguous as the others.
 */
static void put_quoted(struct out *o, const char *s)
{
	put_str(o, "\"");
	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '"')
			put_str(o, "\\x22");
		else
			put(o, p, 1);
	}
	put_str(o, "\"");
}

/* The line format is an interface: operators' scripts and our tests match
 * it, so fields are only ever appended. */
int log_fmt_transfer_text(const struct log_transfer *t, char *buf, size_t size)
{
	struct out o = out_init(buf, size);

	put_fmt(&o, "transfer %" PRIu32 " ", t->id);
	put_str(&o, str_or_empty(t->op));
	put_str(&o, " client=");
	put_str(&o, str_or_empty(t->client));
	put_str(&o, " file=");
	put_quoted(&o, str_or_empty(t->file));
	put_str(&o, " mode=");
	put_str(&o, str_or_empty(t->mode));
	put_str(&o, " result=");
	put_str(&o, str_or_empty(t->result));
	if (t->signal > 0)
		put_fmt(&o, " signal=%d", t->signal);
	if (t->reported) {
		put_fmt(&o, " bytes=%" PRIu64 " blocks=%" PRIu64, t->bytes, t->blocks);
		put_fmt(&o, " retransmits=%" PRIu32 " usec=%" PRIu64, t->retransmits, t->usec);
		put_fmt(&o, " blksize=%" PRIu32 " windowsize=%" PRIu32, t->blksize, t->windowsize);
		put_fmt(&o, " rtt_us=%" PRIu32, t->rtt_us);
	}
	if (t->peer_message != NULL) {
		put_fmt(&o, " peer_error=%u peer_message=", t->peer_error);
		put_quoted(&o, t->peer_message);
	}
	if (t->ignored != NULL && t->ignored[0] != '\0') {
		put_str(&o, " ignored=");
		put_quoted(&o, t->ignored);
	}
	if (t->url != NULL) {
		put_str(&o, " source=relay url=");
		put_quoted(&o, t->url);
	}
	if (t->url != NULL && t->cache != NULL) {
		put_str(&o, " cache=");
		put_str(&o, t->cache);
	}
	return finish(&o);
}

int log_fmt_refusal_text(const struct log_refusal *r, char *buf, size_t size)
{
	struct out o = out_init(buf, size);

	put_str(&o, "refused ");
	put_str(&o, str_or_empty(r->op));
	put_str(&o, " client=");
	put_str(&o, str_or_empty(r->client));
	put_str(&o, " file=");
	put_quoted(&o, str_or_empty(r->file));
	put_fmt(&o, " error=%u reason=", r->error);
	put_quoted(&o, str_or_empty(r->reason));
	return finish(&o);
}

/* ---- fields ----------------------------------------------------------- */

static void add_str(struct log_field *f, size_t *n, const char *json, const char *journal,
		    const char *s)
{
	f[(*n)++] = (struct log_field){ .json = json, .journal = journal, .str = str_or_empty(s) };
}

static void add_num(struct log_field *f, size_t *n, const char *json, const char *journal,
		    int64_t v)
{
	f[(*n)++] = (struct log_field){ .json = json, .journal = journal, .num = v };
}

size_t log_fmt_transfer_fields(const struct log_transfer *t, struct log_field *f)
{
	size_t n = 0;

	add_num(f, &n, "id", "TFTP_TRANSFER_ID", t->id);
	add_str(f, &n, "op", "TFTP_OP", t->op);
	add_str(f, &n, "client", "TFTP_CLIENT", t->client);
	add_str(f, &n, "file", "TFTP_FILE", t->file);
	add_str(f, &n, "mode", "TFTP_MODE", t->mode);
	add_str(f, &n, "result", "TFTP_RESULT", t->result);
	if (t->signal > 0)
		add_num(f, &n, "signal", "TFTP_SIGNAL", t->signal);
	if (t->reported) {
		/* Figures are unsigned up to 64 bits; none gets near 2^63. */
		add_num(f, &n, "bytes", "TFTP_BYTES", (int64_t)t->bytes);
		add_num(f, &n, "blocks", "TFTP_BLOCKS", (int64_t)t->blocks);
		add_num(f, &n, "retransmits", "TFTP_RETRANSMITS", t->retransmits);
		add_num(f, &n, "usec", "TFTP_USEC", (int64_t)t->usec);
		add_num(f, &n, "blksize", "TFTP_BLKSIZE", t->blksize);
		add_num(f, &n, "windowsize", "TFTP_WINDOWSIZE", t->windowsize);
		add_num(f, &n, "rtt_us", "TFTP_RTT_US", t->rtt_us);
	}
	add_str(f, &n, "options", "TFTP_OPTIONS", t->options);
	if (t->peer_message != NULL) {
		add_num(f, &n, "peer_error", "TFTP_PEER_ERROR", t->peer_error);
		add_str(f, &n, "peer_message", "TFTP_PEER_MESSAGE", t->peer_message);
	}
	if (t->ignored != NULL && t->ignored[0] != '\0')
		add_str(f, &n, "ignored", "TFTP_IGNORED_OPTIONS", t->ignored);
	if (t->url != NULL) {
		add_str(f, &n, "source", "TFTP_SOURCE", "relay");
		add_str(f, &n, "url", "TFTP_URL", t->url);
		if (t->cache != NULL)
			add_str(f, &n, "cache", "TFTP_CACHE", t->cache);
	}
	return n;
}

size_t log_fmt_refusal_fields(const struct log_refusal *r, struct log_field *f)
{
	size_t n = 0;

	add_str(f, &n, "op", "TFTP_OP", r->op);
	add_str(f, &n, "client", "TFTP_CLIENT", r->client);
	add_str(f, &n, "file", "TFTP_FILE", r->file);
	add_num(f, &n, "error", "TFTP_ERROR", r->error);
	add_str(f, &n, "reason", "TFTP_REASON", r->reason);
	add_str(f, &n, "result", "TFTP_RESULT", "refused");
	return n;
}

/* ---- JSON ------------------------------------------------------------- */

/* RFC 8259: '"', '\' and control characters must be escaped. */
static void put_json_string(struct out *o, const char *s)
{
	put_str(o, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			char esc[2] = { '\\', (char)*p };

			put(o, esc, 2);
		} else if (*p < 0x20 || *p == 0x7f) {
			put_fmt(o, "\\u%04x", *p);
		} else {
			put(o, (const char *)p, 1);
		}
	}
	put_str(o, "\"");
}

const char *log_fmt_priority_name(int priority)
{
	static const char *const names[] = {
		[LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit",
		[LOG_ERR] = "err", [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice",
		[LOG_INFO] = "info", [LOG_DEBUG] = "debug",
	};

	return names[LOG_PRI(priority)];
}

int log_fmt_json(const char *event, int priority, const char *message,
		 const struct log_field *fields, size_t n, char *buf, size_t size)
{
	struct out o = out_init(buf, size);

	put_str(&o, "{\"event\":");
	put_json_string(&o, event);
	put_str(&o, ",\"priority\":");
	put_json_string(&o, log_fmt_priority_name(priority));
	if (message != NULL) {
		put_str(&o, ",\"message\":");
		put_json_string(&o, message);
	}
	for (size_t i = 0; i < n; i++) {
		put_str(&o, ",");
		put_json_string(&o, fields[i].json);
		put_str(&o, ":");
		if (fields[i].str != NULL)
			put_json_string(&o, fields[i].str);
		else
			put_fmt(&o, "%" PRId64, fields[i].num);
	}
	put_str(&o, "}");
	if (o.full && size > 0)
		buf[0] = '\0';
	return finish(&o);
}

/* ---- journal ---------------------------------------------------------- */

/* "NAME=value\n", or for a value with a newline the binary form the
 * native protocol defines: NAME\n, length as 64-bit little endian, value,
 * \n. */
static void put_journal_field(struct out *o, const char *name, const char *value)
{
	size_t len = strlen(value);

	put_str(o, name);
	if (memchr(value, '\n', len) == NULL) {
		put_str(o, "=");
	} else {
		uint8_t le[8];

		for (int i = 0; i < 8; i++)
			le[i] = (uint8_t)((uint64_t)len >> (8 * i));
		put_str(o, "\n");
		put(o, (const char *)le, sizeof(le));
	}
	put(o, value, len);
	put_str(o, "\n");
}

int log_fmt_journal(int priority, const char *message, const struct log_field *fields,
		    size_t n, char *buf, size_t size)
{
	struct out o = out_init(buf, size);
	char num[24];

	put_journal_field(&o, "MESSAGE", str_or_empty(message));
	snprintf(num, sizeof(num), "%d", LOG_PRI(priority));
	put_journal_field(&o, "PRIORITY", num);
	put_journal_field(&o, "SYSLOG_IDENTIFIER", "tftpd");
	for (size_t i = 0; i < n; i++) {
		if (fields[i].str != NULL) {
			put_journal_field(&o, fields[i].journal, fields[i].str);
		} else {
			snprintf(num, sizeof(num), "%" PRId64, fields[i].num);
			put_journal_field(&o, fields[i].journal, num);
		}
	}
	return finish(&o);
}

/* Client text for logs: escaping (as OpenBSD stravis VIS_CSTYLE). */

static bool keep_raw(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '\\';
}

static size_t escaped_len(unsigned char c)
{
	return keep_raw(c) ? 1 : 4;
}

static size_t put_escaped(char *out, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";

	if (keep_raw(c)) {
		out[0] = (char)c;
		return 1;
	}
	/* '\' is escaped too, so that every '\' in a log line starts an
	 * escape and a client cannot forge one (OpenBSD stravis VIS_CSTYLE). */
	out[0] = '\\';
	out[1] = 'x';
	out[2] = hex[c >> 4];
	out[3] = hex[c & 0xf];
	return 4;
}

char *tftp_escape(const char *s, size_t len, char *out, size_t size)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t total = 0, budget, pos = 0, i, dots;

	if (!out || size == 0)
		return out;
	if (!s)
		len = 0;
	for (i = 0; i < len && total < size; i++)
		total += escaped_len(p[i]);

	/* Truncated output keeps room for "..." so the reader sees it was cut;
	 * escapes are never split, so the text stays unambiguous. */
	budget = total < size ? size - 1 : (size > 4 ? size - 4 : 0);
	for (i = 0; i < len && pos + escaped_len(p[i]) <= budget; i++)
		pos += put_escaped(out + pos, p[i]);
	if (i < len)
		for (dots = 0; dots < 3 && pos < size - 1; dots++)
			out[pos++] = '.';
	out[pos] = '\0';
	return out;
}
