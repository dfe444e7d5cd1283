/*
 * fetcher.c - the fetcher's life: fork, jail, then libcurl's multi loop
 * with the monitor's socket as one more descriptor to wait on.
 *
 * One thread drives every transfer (curl_multi_poll); libcurl's threaded
 * resolver adds a thread per name lookup, nothing else does. Requests
 * beyond max_fetches wait in a bounded queue, first come first served.
 * Every FETCH gets exactly one DONE.
 *
 * A body is answered when it is complete, except a stream: when the
 * monitor allows it (RELAY_FETCH_STREAM, a +nocompress link) and the
 * origin gives a Content-Length, the DONE goes as soon as the first bytes
 * arrive, with the read end of a pipe, and the body follows into the
 * pipe. The fetcher never blocks on it: its end is non-blocking, what does
 * not fit waits in a buffer of one write's size, and the transfer is
 * paused (curl_easy_pause) until the pipe takes it, so the TFTP client's
 * pace is the fetch's. A stream that fails on the way is a pipe closed
 * early: the child sees fewer bytes than it was promised, an error.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fetcher-cache.h"
#include "fetcher.h"
#include "http-cache.h"
#include "relay-msg.h"

#define SYSTEM_CA_FILE "/etc/ssl/certs/ca-certificates.crt"
#define CA_FILE_MAX (16u << 20)
#define QUEUE_MAX 4096      /* waiting requests; more are answered "busy" */
#define MAX_REDIRS 5
#define READY_WAIT_MS 10000 /* TLS library set-up on a loaded machine */
#define STREAM_PIPE_SIZE (1 << 20) /* /proc/sys/fs/pipe-max-size by default */

struct fetcher;

struct fetch {
	struct fetcher *fr;
	bool used;
	uint32_t id;
	CURL *easy;
	struct curl_slist *headers;
	int body;                 /* memfd */
	uint64_t size, max;       /* max 0: no limit */
	bool too_large;
	char error[CURL_ERROR_SIZE];
	unsigned flags;           /* relay_fetch.flags */
	char url[RELAY_URL_MAX];
	struct http_cache_info info; /* of the final response */
	bool cached;              /* entry holds a stale copy, being revalidated */
	struct http_cache_entry entry;
	/* a stream (RELAY_DONE_STREAM): pipe is its write end, non-blocking */
	int pipe;
	uint64_t length;          /* the Content-Length promised */
	uint8_t *held;            /* bytes curl gave that the pipe did not take */
	size_t held_len, held_size;
	bool paused;              /* curl_easy_pause until held is written */
	bool broken;              /* the reader went away */
	bool draining;            /* curl is done; held still to write */
};

struct fetcher {
	const struct fetcher_config *cfg;
	int sock;
	CURLM *multi;
	struct curl_blob ca;      /* empty: https fails verification */
	struct fetch *f;          /* max_fetches of them */
	unsigned running;
	struct relay_fetch *queue; /* a ring of QUEUE_MAX */
	size_t q_head, q_len;
	struct fetcher_cache cache;
	struct curl_waitfd *waits; /* the socket, and a pipe per stream */
};

/* ---- answers ------------------------------------------------------------ */

static void answer_as(struct fetcher *fr, uint32_t id, enum relay_status status, long http,
		      const char *detail, uint64_t size, int fd, enum relay_cache cache,
		      uint32_t flags)
{
	struct relay_msg m = { .type = RELAY_MSG_DONE };

	m.done.id = id;
	m.done.cache = status == RELAY_OK ? cache : RELAY_CACHE_NONE;
	m.done.status = status;
	m.done.http_status = http >= 100 && http <= 999 ? (uint32_t)http : 0;
	if (status == RELAY_HTTP && m.done.http_status == 0)
		m.done.status = RELAY_FAILED;
	m.done.size = size;
	m.done.flags = flags;
	/* libcurl's text is ours to send, but printable ASCII only */
	for (size_t i = 0; detail != NULL && detail[i] != '\0' && i + 1 < sizeof(m.done.detail); i++)
		m.done.detail[i] = detail[i] >= 0x20 && detail[i] < 0x7f ? detail[i] : '?';
	/* A monitor that went away ends us through the next receive. */
	(void)relay_msg_send(fr->sock, &m, fd);
}

static void answer(struct fetcher *fr, uint32_t id, enum relay_status status, long http,
		   const char *detail, uint64_t size, int fd, enum relay_cache cache)
{
	answer_as(fr, id, status, http, detail, size, fd, cache, 0);
}

static enum relay_status status_of(CURLcode rc, const struct fetch *f, long http)
{
	if (f->too_large || rc == CURLE_FILESIZE_EXCEEDED)
		return RELAY_TOO_LARGE;
	switch (rc) {
	case CURLE_OK:
		return http == 200 ? RELAY_OK : RELAY_HTTP;
	case CURLE_OPERATION_TIMEDOUT:
		return RELAY_TIMEOUT;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_GOT_NOTHING:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		return RELAY_CONNECT;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
		return RELAY_TLS;
	default:
		return RELAY_FAILED;
	}
}

/* The body is complete: no one may change it from now on, not even us. */
static int seal(int fd)
{
	return fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0
		       ? -errno
		       : 0;
}

static bool cache_on(const struct fetcher *fr, unsigned flags)
{
	return fr->cache.dir >= 0 && !(flags & RELAY_URL_NOCACHE);
}

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

/* Answer id with fd, e's body from the cache, and close it. */
static void answer_entry(struct fetcher *fr, uint32_t id, const struct http_cache_entry *e,
			 int fd, enum relay_cache how)
{
	fetcher_cache_touch(&fr->cache, e);
	answer(fr, id, RELAY_OK, 200, "", e->size, fd, how);
	close(fd);
}

/* Answer id with the cached body of e; false when it cannot be read. */
static bool answer_cached(struct fetcher *fr, uint32_t id, const struct http_cache_entry *e,
			  enum relay_cache how)
{
	int fd = fetcher_cache_body(&fr->cache, e);

	if (fd < 0)
		return false;
	answer_entry(fr, id, e, fd, how);
	return true;
}

/* The origin failed where a stale copy could stand in (stale-if-error):
 * no answer, a 5xx. A 404 or a refused certificate is an answer. */
static bool origin_failed(enum relay_status st, long http)
{
	return st == RELAY_TIMEOUT || st == RELAY_CONNECT || (st == RELAY_HTTP && http >= 500);
}

static void answer_fetched(struct fetcher *fr, struct fetch *f, long http)
{
	enum relay_cache how = RELAY_CACHE_NONE;

	if (seal(f->body) < 0) {
		answer(fr, f->id, RELAY_FAILED, 0, "cannot seal the body", 0, -1, how);
		return;
	}
	if (cache_on(fr, f->flags)) {
		how = RELAY_CACHE_MISS;
		/* Not stored is not fatal: the client still gets the body. */
		if (http_cache_storable(&f->info))
			(void)fetcher_cache_store(&fr->cache, f->url, f->body, f->size, &f->info,
						  now_s());
	}
	answer(fr, f->id, RELAY_OK, http, "", f->size, f->body, how);
}

static void release(struct fetcher *fr, struct fetch *f)
{
	if (f->body >= 0)
		close(f->body);
	if (f->pipe >= 0)
		close(f->pipe);
	free(f->held);
	*f = (struct fetch){ .body = -1, .pipe = -1 };
	fr->running--;
}

/* The rest of a stream into its pipe: 0 when all of it went, -EAGAIN when
 * the pipe is full, another -errno when the reader is gone. */
static int flush_held(struct fetch *f)
{
	size_t done = 0;
	int e = 0;

	while (done < f->held_len) {
		ssize_t w = write(f->pipe, f->held + done, f->held_len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			e = -errno;
			break;
		}
		done += (size_t)w;
	}
	memmove(f->held, f->held + done, f->held_len - done);
	f->held_len -= done;
	if (e < 0 && e != -EAGAIN)
		f->broken = true;
	return e;
}

/* A stream's fetch ended. Its DONE went long ago: all that is left is to
 * close the pipe, once every byte is in it, or at once when the fetch
 * failed, so that the reader sees the body end early. */
static void finish_stream(struct fetcher *fr, struct fetch *f, CURLcode rc)
{
	curl_multi_remove_handle(fr->multi, f->easy);
	curl_easy_cleanup(f->easy);
	f->easy = NULL;
	curl_slist_free_all(f->headers);
	f->headers = NULL;
	if (rc == CURLE_OK && !f->broken && f->size == f->length && f->held_len > 0) {
		f->draining = true;
		return;
	}
	release(fr, f);
}

static void finish(struct fetcher *fr, struct fetch *f, CURLcode rc)
{
	long http = 0;
	enum relay_status st;

	if (f->pipe >= 0) {
		finish_stream(fr, f, rc);
		return;
	}
	curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &http);
	st = status_of(rc, f, http);
	if (f->cached && rc == CURLE_OK && http == 304) {
		(void)fetcher_cache_refresh(&fr->cache, &f->entry, &f->info, now_s());
		if (!answer_cached(fr, f->id, &f->entry, RELAY_CACHE_REVALIDATED))
			answer(fr, f->id, RELAY_FAILED, 304, "the cached copy is gone", 0, -1,
			       RELAY_CACHE_NONE);
	} else if (f->cached && origin_failed(st, http) &&
		   answer_cached(fr, f->id, &f->entry, RELAY_CACHE_STALE)) {
		/* served stale; the monitor logs it */
	} else if (st == RELAY_OK) {
		answer_fetched(fr, f, http);
	} else {
		answer(fr, f->id, st, http,
		       f->error[0] != '\0' ? f->error : rc != CURLE_OK ? curl_easy_strerror(rc) : "",
		       0, -1, RELAY_CACHE_NONE);
	}
	curl_multi_remove_handle(fr->multi, f->easy);
	curl_easy_cleanup(f->easy);
	curl_slist_free_all(f->headers);
	release(fr, f);
}

/* ---- starting a fetch ------------------------------------------------- */

/*
 * The first bytes of a 200: a stream when the monitor allows one and the
 * length is known and allowed; the DONE goes now, with the pipe's read
 * end. Not a stream: the memfd takes the body, as ever. A revalidation
 * (a stale copy in the cache) is never streamed: its answer may still be
 * the cached copy, should the origin fail.
 */
static void maybe_stream(struct fetch *f)
{
	curl_off_t length = -1;
	int p[2];

	if (!(f->flags & RELAY_FETCH_STREAM) || f->cached ||
	    curl_easy_getinfo(f->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) != CURLE_OK ||
	    length <= 0 || (f->max != 0 && (uint64_t)length > f->max))
		return;
	if (pipe2(p, O_CLOEXEC) < 0)
		return;
	if (fcntl(p[1], F_SETFL, O_NONBLOCK) < 0) {
		close(p[0]);
		close(p[1]);
		return;
	}
	/* Room for a few TFTP windows; the default (64 KiB) works too. */
	(void)fcntl(p[1], F_SETPIPE_SZ, STREAM_PIPE_SIZE);
	answer_as(f->fr, f->id, RELAY_OK, 200, "", (uint64_t)length, p[0], RELAY_CACHE_NONE,
		  RELAY_DONE_STREAM);
	close(p[0]);
	close(f->body);
	f->body = -1;
	f->pipe = p[1];
	f->length = (uint64_t)length;
}

/* Into the pipe what it takes; the rest is held, and the next bytes wait
 * (CURL_WRITEFUNC_PAUSE: libcurl gives them again after the unpause). */
static size_t stream_body(struct fetch *f, const char *data, size_t len)
{
	int e;

	if (f->broken)
		return 0;
	if (f->held_len > 0) {
		e = flush_held(f);
		if (e == -EAGAIN) {
			f->paused = true;
			return CURL_WRITEFUNC_PAUSE;
		}
		if (e < 0)
			return 0;
	}
	/* libcurl stops at Content-Length; this holds it to it anyway. */
	if (len > f->length - f->size)
		return 0;
	if (len > f->held_size) {
		uint8_t *h = realloc(f->held, len);

		if (h == NULL)
			return 0;
		f->held = h;
		f->held_size = len;
	}
	memcpy(f->held, data, len);
	f->held_len = len;
	f->size += len;
	e = flush_held(f);
	return e == 0 || e == -EAGAIN ? len : 0;
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct fetch *f = arg;
	size_t len = size * n, done = 0;
	long http = 0;

	/* An error page is not a file: read and dropped. */
	curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &http);
	if (http != 200)
		return len;
	if (f->pipe < 0 && f->size == 0 && len > 0)
		maybe_stream(f);
	if (f->pipe >= 0)
		return stream_body(f, data, len);
	if (f->max != 0 && f->size + len > f->max) {
		f->too_large = true;
		return 0; /* libcurl ends the transfer with CURLE_WRITE_ERROR */
	}
	while (done < len) {
		ssize_t w = write(f->body, data + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return 0;
		done += (size_t)w;
	}
	f->size += len;
	return len;
}

/* Every header line of every response: http-cache.c keeps the last
 * response's caching headers. */
static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	struct fetch *f = arg;

	http_cache_header(&f->info, data, size * n);
	return size * n;
}

static int add_header(struct curl_slist **list, const char *name, const char *value)
{
	char line[RELAY_FILE_MAX + 32];
	struct curl_slist *l;

	snprintf(line, sizeof(line), "%s: %s", name, value);
	l = curl_slist_append(*list, line);
	if (l == NULL)
		return -ENOMEM;
	*list = l;
	return 0;
}

/* X-TFTP-Client, X-TFTP-Port, X-TFTP-File: a backend answers per client. */
static int client_headers(struct fetch *f, const struct relay_fetch *rq)
{
	char port[8];

	snprintf(port, sizeof(port), "%u", (unsigned)rq->client_port);
	if (add_header(&f->headers, "X-TFTP-Client", rq->client) < 0 ||
	    add_header(&f->headers, "X-TFTP-Port", port) < 0 ||
	    add_header(&f->headers, "X-TFTP-File", rq->file) < 0)
		return -ENOMEM;
	return 0;
}

static int set_options(struct fetcher *fr, struct fetch *f, const struct relay_fetch *rq)
{
	const struct fetcher_config *cfg = fr->cfg;
	CURL *e = f->easy;
	CURLcode rc = CURLE_OK;

	/* clang-format off */
	rc |= curl_easy_setopt(e, CURLOPT_URL, rq->url);
	/* http(s) only, also where a redirect points */
	rc |= curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	rc |= curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	rc |= curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_MAXREDIRS, (long)MAX_REDIRS);
	if (rq->flags & RELAY_FETCH_STREAM) {
		/* A stream goes at the TFTP client's pace, which no total
		 * bounds: a stall of relay-timeout ends it (a paused transfer
		 * is not measured). */
		rc |= curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
		rc |= curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)cfg->timeout_s);
	} else {
		rc |= curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)cfg->timeout_s);
	}
	rc |= curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long)(cfg->timeout_s < 10 ? cfg->timeout_s : 10));
	rc |= curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	rc |= curl_easy_setopt(e, CURLOPT_USERAGENT, "cloister-tftpd/" PACKAGE_VERSION);
	rc |= curl_easy_setopt(e, CURLOPT_ERRORBUFFER, f->error);
	rc |= curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	rc |= curl_easy_setopt(e, CURLOPT_WRITEDATA, f);
	rc |= curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	rc |= curl_easy_setopt(e, CURLOPT_HEADERDATA, f);
	/* the CA store was read before the jail; no directory is looked in */
	rc |= curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &fr->ca);
	rc |= curl_easy_setopt(e, CURLOPT_CAINFO, NULL);
	rc |= curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	/* "": every encoding libcurl decodes; NULL: identity only */
	rc |= curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING,
			       (rq->flags & RELAY_URL_NOCOMPRESS) ? NULL : "");
	if (cfg->max_size != 0)
		rc |= curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)cfg->max_size);
	/* clang-format on */
	if (rc != CURLE_OK)
		return -EINVAL;
	if ((rq->flags & RELAY_FETCH_CLIENT_HEADERS) && client_headers(f, rq) < 0)
		return -ENOMEM;
	if (f->headers != NULL && curl_easy_setopt(e, CURLOPT_HTTPHEADER, f->headers) != CURLE_OK)
		return -EINVAL;
	return 0;
}

static struct fetch *free_slot(struct fetcher *fr)
{
	for (unsigned i = 0; i < fr->cfg->max_fetches; i++)
		if (!fr->f[i].used)
			return &fr->f[i];
	return NULL;
}

/* A fresh copy answers at once; a stale one with validators is asked
 * about (If-None-Match, If-Modified-Since). True: answered. */
static bool from_cache(struct fetcher *fr, struct fetch *f, const struct relay_fetch *rq)
{
	int fd;

	if (!cache_on(fr, rq->flags) || fetcher_cache_lookup(&fr->cache, rq->url, &f->entry) < 0)
		return false;
	/* A damaged entry is fetched anew, and so replaced. */
	fd = fetcher_cache_body(&fr->cache, &f->entry);
	if (fd < 0)
		return false;
	if (f->entry.fresh_until > now_s()) {
		answer_entry(fr, rq->id, &f->entry, fd, RELAY_CACHE_HIT);
		return true;
	}
	close(fd);
	f->cached = true;
	if ((f->entry.etag[0] != '\0' && add_header(&f->headers, "If-None-Match",
						      f->entry.etag) < 0) ||
	    (f->entry.last_modified[0] != '\0' &&
	     add_header(&f->headers, "If-Modified-Since", f->entry.last_modified) < 0))
		f->cached = false;
	return false;
}

static void start(struct fetcher *fr, const struct relay_fetch *rq)
{
	struct fetch *f = free_slot(fr);

	*f = (struct fetch){ .used = true, .id = rq->id, .max = fr->cfg->max_size,
			     .flags = rq->flags, .body = -1, .pipe = -1, .fr = fr };
	memcpy(f->url, rq->url, sizeof(f->url));
	http_cache_init(&f->info);
	if (from_cache(fr, f, rq)) {
		curl_slist_free_all(f->headers);
		*f = (struct fetch){ .body = -1, .pipe = -1 };
		return;
	}
	f->body = memfd_create("relay-body", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	f->easy = curl_easy_init();
	if (f->body < 0 || f->easy == NULL || set_options(fr, f, rq) < 0 ||
	    curl_multi_add_handle(fr->multi, f->easy) != CURLM_OK) {
		answer(fr, rq->id, RELAY_FAILED, 0, "cannot start the fetch", 0, -1, RELAY_CACHE_NONE);
		curl_easy_cleanup(f->easy);
		curl_slist_free_all(f->headers);
		if (f->body >= 0)
			close(f->body);
		*f = (struct fetch){ .body = -1, .pipe = -1 };
		return;
	}
	fr->running++;
}

/* ---- the loop ------------------------------------------------------------ */

static void start_queued(struct fetcher *fr)
{
	while (fr->q_len > 0 && fr->running < fr->cfg->max_fetches) {
		start(fr, &fr->queue[fr->q_head]);
		fr->q_head = (fr->q_head + 1) % QUEUE_MAX;
		fr->q_len--;
	}
}

/* Every message waiting on the socket. False when the monitor is gone (or
 * broke the protocol: it is then no monitor of ours). */
static bool take_requests(struct fetcher *fr)
{
	for (;;) {
		struct relay_msg m;
		int fd, r = relay_msg_recv(fr->sock, &m, &fd);

		if (r == -EAGAIN)
			return true;
		if (r < 0 || m.type != RELAY_MSG_FETCH)
			return false;
		if (fr->q_len == QUEUE_MAX) {
			answer(fr, m.fetch.id, RELAY_FAILED, 0, "too many fetches waiting", 0, -1,
			       RELAY_CACHE_NONE);
			continue;
		}
		fr->queue[(fr->q_head + fr->q_len) % QUEUE_MAX] = m.fetch;
		fr->q_len++;
	}
}

static void reap_done(struct fetcher *fr)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(fr->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		for (unsigned i = 0; i < fr->cfg->max_fetches; i++)
			if (fr->f[i].used && fr->f[i].easy == msg->easy_handle) {
				finish(fr, &fr->f[i], msg->data.result);
				break;
			}
	}
}

/* What to wait for besides libcurl's own: the monitor's socket first,
 * then the pipe of every stream that holds bytes back, for room. */
static unsigned wait_set(struct fetcher *fr)
{
	unsigned n = 0;

	fr->waits[n++] = (struct curl_waitfd){ .fd = fr->sock, .events = CURL_WAIT_POLLIN };
	for (unsigned i = 0; i < fr->cfg->max_fetches; i++)
		if (fr->f[i].used && fr->f[i].pipe >= 0 && fr->f[i].held_len > 0)
			fr->waits[n++] = (struct curl_waitfd){ .fd = fr->f[i].pipe,
							       .events = CURL_WAIT_POLLOUT };
	return n;
}

/* Streams whose pipe has room again: write what is held, then let libcurl
 * go on, or, when it is done, close the pipe: the body's end. */
static void drain_streams(struct fetcher *fr)
{
	for (unsigned i = 0; i < fr->cfg->max_fetches; i++) {
		struct fetch *f = &fr->f[i];
		int e;

		if (!f->used || f->pipe < 0 || (f->held_len == 0 && !f->paused))
			continue;
		e = f->held_len > 0 ? flush_held(f) : 0;
		if (e == -EAGAIN)
			continue;
		if (f->draining) {
			release(fr, f);
		} else if (f->paused) {
			/* on_body runs again, inside, and fails if broken */
			f->paused = false;
			curl_easy_pause(f->easy, CURLPAUSE_CONT);
		}
	}
}

static int serve_monitor(struct fetcher *fr)
{
	for (;;) {
		unsigned nw = wait_set(fr);
		int still;

		if (curl_multi_poll(fr->multi, fr->waits, nw, 1000, NULL) != CURLM_OK)
			return -EIO;
		if ((fr->waits[0].revents & (CURL_WAIT_POLLIN | CURL_WAIT_POLLPRI)) &&
		    !take_requests(fr))
			return 0;
		drain_streams(fr);
		start_queued(fr);
		if (curl_multi_perform(fr->multi, &still) != CURLM_OK)
			return -EIO;
		reap_done(fr);
		start_queued(fr);
	}
}

/* ---- before the jail ---------------------------------------------------- */

/* The CA store, whole, into memory: the jail opens no certificate file. */
static int load_ca(const char *path, struct curl_blob *ret)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	struct stat st;
	char *buf;
	size_t got = 0;

	*ret = (struct curl_blob){ .flags = CURL_BLOB_NOCOPY };
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uint64_t)st.st_size > CA_FILE_MAX) {
		close(fd);
		return -EINVAL;
	}
	buf = malloc((size_t)st.st_size);
	while (buf != NULL && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (buf == NULL || got != (size_t)st.st_size) {
		free(buf);
		return -EIO;
	}
	ret->data = buf;
	ret->len = got;
	return 0;
}

static int prepare(struct fetcher *fr, const struct fetcher_config *cfg, int sock)
{
	int r;

	fr->cfg = cfg;
	fr->sock = sock;
	if ((r = fetcher_cache_open(&fr->cache, cfg->cache_dir, cfg->cache_size)) < 0)
		return r;
	/* The cache is the fetcher's alone: its user, nobody else. */
	if (fr->cache.dir >= 0 && cfg->switch_ids &&
	    (fchown(fr->cache.dir, cfg->uid, cfg->gid) < 0 || fchmod(fr->cache.dir, 0700) < 0))
		return -errno;
	r = load_ca(cfg->ca_file != NULL ? cfg->ca_file : SYSTEM_CA_FILE, &fr->ca);
	/* Without a system store, http still works and https fails to verify. */
	if (r < 0 && cfg->ca_file != NULL)
		return r;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -EIO;
	fr->multi = curl_multi_init();
	fr->f = calloc(cfg->max_fetches, sizeof(*fr->f));
	fr->queue = calloc(QUEUE_MAX, sizeof(*fr->queue));
	fr->waits = calloc(1 + (size_t)cfg->max_fetches, sizeof(*fr->waits));
	if (fr->multi == NULL || fr->f == NULL || fr->queue == NULL || fr->waits == NULL)
		return -ENOMEM;
	curl_multi_setopt(fr->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)cfg->max_fetches);
	return fcntl(sock, F_SETFL, O_NONBLOCK) < 0 ? -errno : 0;
}

/* Why the fetcher could not start: the one DONE before READY, id 0. */
__attribute__((noreturn)) static void start_failed(int sock, const char *what, int e)
{
	struct relay_msg m = { .type = RELAY_MSG_DONE };

	m.done.status = RELAY_FAILED;
	snprintf(m.done.detail, sizeof(m.done.detail), "%s: %s", what, strerror(-e));
	(void)relay_msg_send(sock, &m, -1);
	_exit(1);
}

static void fetcher_main(int sock, const struct fetcher_config *cfg)
{
	struct fetcher fr = { 0 };
	struct relay_msg ready = { .type = RELAY_MSG_READY };
	int r;

	if (cfg->stderr_fd >= 0 && dup2(cfg->stderr_fd, STDERR_FILENO) < 0)
		_exit(1);
	/* A stream's reader that went away is EPIPE on the write, not death. */
	signal(SIGPIPE, SIG_IGN);
	if ((r = fetcher_close_fds(sock)) < 0)
		start_failed(sock, "cannot close descriptors", r);
	if ((r = prepare(&fr, cfg, sock)) < 0)
		start_failed(sock, "cannot set up libcurl", r);
	if ((r = fetcher_jail_enter(sock, fr.cache.dir, cfg)) < 0)
		start_failed(sock, r == -EEXIST ? "the TFTP root is readable from its jail"
						: "cannot jail itself", r);
	if (relay_msg_send(sock, &ready, -1) < 0)
		_exit(1);
	_exit(serve_monitor(&fr) < 0 ? 1 : 0);
}

/* ---- in the monitor -------------------------------------------------- */

static int wait_ready(int sock, char *why, size_t size)
{
	struct pollfd p = { .fd = sock, .events = POLLIN };
	struct relay_msg m;
	int fd, r;

	do
		r = poll(&p, 1, READY_WAIT_MS);
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return r < 0 ? -errno : -ETIMEDOUT;
	r = relay_msg_recv(sock, &m, &fd);
	if (r < 0)
		return r;
	if (m.type == RELAY_MSG_DONE && m.done.id == 0)
		snprintf(why, size, "%s", m.done.detail);
	return m.type == RELAY_MSG_READY ? 0 : -EPROTO;
}

int fetcher_spawn(const struct fetcher_config *cfg, pid_t *ret_pid, int *ret_sock, char *why,
		  size_t why_size)
{
	int sv[2], r;
	pid_t pid;

	if (cfg->max_fetches == 0 || cfg->timeout_s == 0)
		return -EINVAL;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		r = -errno;
		close(sv[0]);
		close(sv[1]);
		return r;
	}
	if (pid == 0) {
		close(sv[0]);
		fetcher_main(sv[1], cfg);
	}
	close(sv[1]);
	snprintf(why, why_size, "it ended before it was jailed");
	r = wait_ready(sv[0], why, why_size);
	if (r == 0 && fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0)
		r = -errno;
	if (r < 0) {
		close(sv[0]);
		kill(pid, SIGKILL);
		(void)waitpid(pid, NULL, 0);
		return r;
	}
	*ret_pid = pid;
	*ret_sock = sv[0];
	return 0;
}
