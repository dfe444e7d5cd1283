/*
 * tftpc.c - the TFTP client: tftpc get URI [LOCAL], tftpc put LOCAL URI.
 *
 * Steps of one transfer, each in its own module:
 *   1. the URI (tftpc-uri.c) and the server's address (getaddrinfo);
 *   2. the local file: a get writes a temporary file next to LOCAL and
 *      renames it only once the data is complete, durable and checked, so
 *      that a failed download leaves nothing behind;
 *   3. the request and the server's first answer, options negotiated or
 *      not (tftpc-handshake.c);
 *   4. the socket connected to the server's answer address (its TID), and
 *      the server's own engine run as the other side (transfer.c): a get
 *      is the engine's receiver (an upload to it), a put its sender;
 *   5. the outcome as an exit status and one line naming server and file.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "tftpc-digest.h"
#include "tftpc-handshake.h"
#include "tftpc-io.h"
#include "tftpc-local.h"
#include "tftpc-progress.h"
#include "tftpc-uri.h"
#include "transfer.h"
#include "util.h"

/* Exit statuses (man/tftpc.1, EXIT STATUS). */
enum tftpc_exit {
	EXIT_OK = 0,
	EXIT_FAILURE_OTHER = 1,  /* an internal failure */
	EXIT_USAGE = 2,
	EXIT_RESOLVE = 3,        /* the host name did not resolve */
	EXIT_TIMEOUT = 4,        /* no answer, or the transfer stalled past the retries */
	EXIT_LOCAL = 5,          /* the local file could not be read, written or stored */
	EXIT_CHECKSUM = 6,       /* --sha256/--md5 did not match */
	EXIT_PROTOCOL = 7,       /* the server broke the protocol */
	EXIT_NETWORK = 8,        /* the network said no (unreachable, refused) */
	EXIT_TFTP_ERROR = 10,    /* + the server's ERROR code, 0..8 */
	EXIT_INTERRUPTED = 130,  /* SIGINT or SIGTERM */
};

#define DEFAULT_WINDOWSIZE 64
#define DEFAULT_RETRIES 5
#define DEFAULT_TIMEOUT_S 1
#define DEADLINE_S 86400
/* A put's last block is acknowledged once the server has stored the
 * file (cloister: after fsync and rename), which takes far longer than a
 * round trip: a floor under the sender's timer keeps its resends from
 * running out meanwhile. A get's receiver has floors of its own
 * (transfer-write.c). */
#define RTO_MIN_PUT_MS 100
#define RTO_MIN_GET_MS 1
#define RTO_MAX_MS 5000
#define INITIAL_WINDOW_MAX 10u /* RFC 6928's initial window, in blocks */
#define PROGRESS_EVERY_US 100000
#define ARGS_EXIT_NOW (-1) /* parse_args: --help or --version was answered */

struct cfg {
	bool put;
	const char *uri_text;
	const char *local;       /* NULL: get writes the URI's basename */
	struct tftpc_uri uri;
	uint32_t blksize;        /* 0: the path's */
	uint32_t windowsize;
	bool no_options;
	uint32_t timeout_s;
	unsigned retries;
	int rollover;            /* -1: not asked */
	bool quiet;
	bool stats;
	enum tftpc_digest_algo digest;
	const char *digest_hex;
};

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* One line on stderr naming the server and the file. */
static int fail(const struct cfg *c, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(const struct cfg *c, int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "tftpc: %s %s: ", c->put ? "put" : "get", c->uri_text);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

static void usage(FILE *f)
{
	fputs("usage: tftpc [options] get tftp://host[:port]/file[;mode=netascii] [LOCAL|-]\n"
	      "       tftpc [options] put LOCAL|- tftp://host[:port]/file[;mode=netascii]\n"
	      "  -b, --blksize=N      block size to ask for (default: the path MTU's)\n"
	      "  -w, --windowsize=N   blocks per window to ask for (default 64; 1 = lock-step)\n"
	      "  -n, --no-options     plain RFC 1350: ask for no options\n"
	      "  -t, --timeout=S      timeout to ask for, and the first wait (default 1)\n"
	      "  -r, --retries=N      resends before giving up (default 5)\n"
	      "      --rollover=0|1   block number after 65535\n"
	      "  -q, --quiet          no progress bar\n"
	      "      --stats          one JSON line of figures on stdout at the end\n"
	      "      --sha256=HEX     check the data's SHA-256\n"
	      "      --md5=HEX        check the data's MD5\n"
	      "  -h, --help, -V, --version\n",
	      f);
}

static int parse_num(const char *s, uint64_t min, uint64_t max, uint32_t *ret)
{
	uint64_t v;

	if (parse_bounded(s, min, max, &v) < 0)
		return -EINVAL;
	*ret = (uint32_t)v;
	return 0;
}

enum { OPT_ROLLOVER = 256, OPT_STATS, OPT_SHA256, OPT_MD5 };

static int parse_option(struct cfg *c, int o, const char *arg)
{
	uint32_t v;

	switch (o) {
	case 'b':
		return parse_num(arg, 8, 65464, &c->blksize);
	case 'w':
		return parse_num(arg, 1, 65535, &c->windowsize);
	case 'n':
		c->no_options = true;
		return 0;
	case 't':
		return parse_num(arg, 1, 255, &c->timeout_s);
	case 'r':
		if (parse_num(arg, 0, 100, &v) < 0)
			return -EINVAL;
		c->retries = v;
		return 0;
	case OPT_ROLLOVER:
		if (parse_num(arg, 0, 1, &v) < 0)
			return -EINVAL;
		c->rollover = (int)v;
		return 0;
	case 'q':
		c->quiet = true;
		return 0;
	case OPT_STATS:
		c->stats = true;
		return 0;
	case OPT_SHA256:
	case OPT_MD5:
		c->digest = o == OPT_MD5 ? TFTPC_DIGEST_MD5 : TFTPC_DIGEST_SHA256;
		c->digest_hex = arg;
		return 0;
	}
	return -EINVAL;
}

/* 0 to go on, ARGS_EXIT_NOW, else the exit status. */
static int parse_args(int argc, char **argv, struct cfg *c)
{
	static const struct option longopts[] = {
		{ "blksize", required_argument, NULL, 'b' },
		{ "windowsize", required_argument, NULL, 'w' },
		{ "no-options", no_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "retries", required_argument, NULL, 'r' },
		{ "rollover", required_argument, NULL, OPT_ROLLOVER },
		{ "quiet", no_argument, NULL, 'q' },
		{ "stats", no_argument, NULL, OPT_STATS },
		{ "sha256", required_argument, NULL, OPT_SHA256 },
		{ "md5", required_argument, NULL, OPT_MD5 },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	*c = (struct cfg){ .windowsize = DEFAULT_WINDOWSIZE, .timeout_s = DEFAULT_TIMEOUT_S,
			   .retries = DEFAULT_RETRIES, .rollover = -1 };
	while ((o = getopt_long(argc, argv, "b:w:nt:r:qhV", longopts, NULL)) != -1) {
		if (o == 'h')
			return usage(stdout), ARGS_EXIT_NOW;
		if (o == 'V')
			return puts("tftpc (" PACKAGE_NAME ") " PACKAGE_VERSION), ARGS_EXIT_NOW;
		if (parse_option(c, o, optarg) < 0) {
			if (o != '?')
				fprintf(stderr, "tftpc: invalid value for option -%c%s\n",
					o < 256 ? o : '-', o < 256 ? "" : " (see --help)");
			return EXIT_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc >= 2 && strcmp(argv[0], "get") == 0 && argc <= 3) {
		c->uri_text = argv[1];
		c->local = argc == 3 ? argv[2] : NULL;
	} else if (argc == 3 && strcmp(argv[0], "put") == 0) {
		c->put = true;
		c->local = argv[1];
		c->uri_text = argv[2];
	} else {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (tftpc_uri_parse(c->uri_text, &c->uri) < 0) {
		fprintf(stderr, "tftpc: %s: not a tftp://host[:port]/file[;mode=...] URI\n",
			c->uri_text);
		return EXIT_USAGE;
	}
	return 0;
}

/* The transfer's state, for the callbacks. */
struct run {
	const struct cfg *cfg;
	struct tftpc_digest digest;
	const char *name;          /* for the bar */
	uint64_t total;
	bool total_known;
	bool bar;                  /* stderr is a terminal and not --quiet */
	uint64_t start_us;
	uint64_t drawn_us;
	bool drawn;
};

static unsigned term_width(void)
{
	struct winsize ws;

	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 80;
}

static void draw(struct run *r, uint64_t bytes, uint64_t now)
{
	struct tftpc_figures f = { .name = r->name, .bytes = bytes, .total = r->total,
				   .total_known = r->total_known, .elapsed_us = now - r->start_us };
	char line[600];
	unsigned w = term_width();

	/* One column short of the edge: a terminal that wraps at the last
	 * column would scroll on every redraw. */
	if (tftpc_progress_line(line, sizeof(line), &f, w > 1 ? w - 1 : w) > 0) {
		fprintf(stderr, "\r%s\033[K", line);
		fflush(stderr);
		r->drawn = true;
	}
	r->drawn_us = now;
}

static void on_data(void *arg, const uint8_t *buf, size_t len, uint64_t total)
{
	struct run *r = arg;
	uint64_t now;

	tftpc_digest_update(&r->digest, buf, len);
	if (!r->bar)
		return;
	now = now_usec();
	if (now - r->drawn_us >= PROGRESS_EVERY_US)
		draw(r, total, now);
}

/* Step 2: the local file. */
static int open_local(const struct cfg *c, struct tftpc_local *l)
{
	const char *path = c->put || c->local ? c->local : tftpc_uri_basename(&c->uri);
	int e;

	if (!path)
		return fail(c, EXIT_USAGE, "no file name to save to: give LOCAL");
	e = c->put ? tftpc_local_open_read(path, l) : tftpc_local_open_write(path, l);
	if (e < 0)
		return fail(c, EXIT_LOCAL, "cannot %s %s: %s", c->put ? "read" : "create a file next to",
			    path, strerror(-e));
	return 0;
}

static int resolve(const struct cfg *c, struct sockaddr_storage *ret, socklen_t *ret_len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_flags = AI_ADDRCONFIG };
	struct addrinfo *res;
	char port[8];
	int e;

	(void)snprintf(port, sizeof(port), "%u", c->uri.port);
	e = getaddrinfo(c->uri.host, port, &hints, &res);
	if (e == EAI_ADDRFAMILY || e == EAI_NONAME) {
		/* AI_ADDRCONFIG hides ::1 and 127.0.0.1 on a host with no
		 * other address (a test's namespace): ask again without. */
		hints.ai_flags = 0;
		e = getaddrinfo(c->uri.host, port, &hints, &res);
	}
	if (e != 0)
		return fail(c, EXIT_RESOLVE, "cannot resolve %s: %s", c->uri.host, gai_strerror(e));
	memcpy(ret, res->ai_addr, res->ai_addrlen);
	*ret_len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* What to ask for. */
static void fill_request(const struct cfg *c, const struct tftpc_local *l, uint32_t path_blk,
			 struct tftpc_request *rq)
{
	*rq = (struct tftpc_request){
		.op = c->put ? TFTP_OP_WRQ : TFTP_OP_RRQ,
		.file = c->uri.file,
		.mode = c->uri.mode,
		.options = !c->no_options,
		.timeout_ms = c->timeout_s * 1000,
		.retries = c->retries,
		.interrupted = &interrupted,
	};
	rq->ask = (struct tftp_opt_ask){
		.blksize = c->blksize ? c->blksize : path_blk,
		.windowsize = c->windowsize,
		.timeout_s = c->timeout_s,
		/* tsize of a netascii put would be the file's, not the
		 * wire's: left out, as servers do for netascii gets. */
		.tsize = !c->put || (l->size_known && c->uri.mode == TFTP_MODE_OCTET),
		.tsize_value = l->size,
		.rollover = c->rollover,
	};
}

/* The job for the engine: a get is its receiver (opcode WRQ), a put its
 * sender (RRQ). */
static void fill_job(const struct cfg *c, const struct tftpc_handshake *h, uint64_t sent_us,
		     struct psep_job *job)
{
	const struct tftp_opt_result *o = &h->opts;

	memset(job, 0, sizeof(*job));
	job->opcode = c->put ? TFTP_OP_RRQ : TFTP_OP_WRQ;
	job->mode = (uint8_t)c->uri.mode;
	job->rollover = o->rollover; /* a server that ignored the option wraps to 0 */
	job->flags = TRANSFER_JOB_CLIENT;
	job->blksize = o->blksize;
	job->windowsize = o->windowsize;
	job->timeout_ms = c->timeout_s * 1000;
	job->rto_min_ms = c->put ? RTO_MIN_PUT_MS : RTO_MIN_GET_MS;
	job->rto_max_ms = job->timeout_ms > RTO_MAX_MS ? job->timeout_ms : RTO_MAX_MS;
	job->retries = c->retries > 0 ? c->retries : 1;
	job->deadline_s = DEADLINE_S;
	job->initial_window = o->windowsize < INITIAL_WINDOW_MAX ? o->windowsize
								 : INITIAL_WINDOW_MAX;
	job->first_rtt_usec = h->rtt_us;
	/* DATA 1 came with the answer: as when the server's monitor sent
	 * the first packet, the engine finds it waiting. */
	if (h->first_len > 0)
		job->first_sent_usec = sent_us;
}

static int status_exit(const struct cfg *c, const struct psep_result *res, const char *peer)
{
	switch (res->status) {
	case PSEP_OK:
		return EXIT_OK;
	case PSEP_TIMEOUT:
	case PSEP_DEADLINE:
		return fail(c, EXIT_TIMEOUT, "%s stopped answering", peer);
	case PSEP_PEER_ERROR:
	case PSEP_PROBE:
		return fail(c, EXIT_TFTP_ERROR + res->peer_error, "%s: error %u: %s", peer,
			    res->peer_error, res->peer_message);
	case PSEP_IO_ERROR:
	case PSEP_NO_SPACE:
		return fail(c, EXIT_LOCAL, "%s %s failed", c->put ? "reading" : "writing",
			    c->local ? c->local : "the file");
	case PSEP_PROTOCOL:
		return fail(c, EXIT_PROTOCOL, "%s broke the protocol", peer);
	case PSEP_UNREACHABLE:
		return fail(c, EXIT_NETWORK, "%s is unreachable", peer);
	}
	if (interrupted)
		return fail(c, EXIT_INTERRUPTED, "interrupted");
	return fail(c, EXIT_FAILURE_OTHER, "the transfer failed");
}

static int handshake_exit(const struct cfg *c, int e, const struct tftpc_handshake *h)
{
	const char *host = c->uri.host;

	switch (e) {
	case -ETIMEDOUT:
		return fail(c, EXIT_TIMEOUT, "no answer from %s", host);
	case -EREMOTEIO:
		return fail(c, EXIT_TFTP_ERROR + (h->error_code <= 8 ? h->error_code : 0),
			    "%s: error %u: %s", host, h->error_code,
			    h->error_msg[0] ? h->error_msg : tftp_pkt_error_text(h->error_code));
	case -EPROTO:
		return fail(c, EXIT_PROTOCOL, "%s sent an answer that makes no sense", host);
	case -EINTR:
		return fail(c, EXIT_INTERRUPTED, "interrupted");
	}
	return fail(c, EXIT_NETWORK, "%s: %s", host, strerror(-e));
}

static void print_stats(const struct cfg *c, const struct psep_job *job,
			const struct psep_result *res, uint32_t resends, int status)
{
	struct tftpc_stats s = { .op = c->put ? "put" : "get", .bytes = res->bytes,
				 .elapsed_us = res->duration_usec, .blksize = job->blksize,
				 .windowsize = job->windowsize,
				 .retransmits = res->retransmits + resends,
				 .rtt_us = res->rtt_usec ? res->rtt_usec : job->first_rtt_usec,
				 .status = status };
	char line[512];

	if (tftpc_stats_json(line, sizeof(line), &s) > 0) {
		printf("%s\n", line);
		fflush(stdout);
	}
}

struct session {
	struct sockaddr_storage srv;
	socklen_t srv_len;
	int sock;
	struct tftpc_handshake h;
	struct psep_job job;
	struct psep_result res;
	uint8_t *buf;
	size_t bufsize;
};

/* Steps 3 and 4: 0 with s->res filled, else the exit status. */
static int transfer(const struct cfg *c, struct tftpc_local *l, struct run *r, struct session *s)
{
	struct tftpc_request rq;
	struct tftpc_io cio;
	struct transfer_io io;
	uint8_t first[65536];
	uint32_t blk = tftpc_path_blksize((struct sockaddr *)&s->srv, s->srv_len);
	uint64_t sent_us;
	int e;

	fill_request(c, l, blk, &rq);
	s->sock = tftpc_socket_open(s->srv.ss_family,
				    (size_t)rq.ask.windowsize * (rq.ask.blksize + 4 + 640));
	if (s->sock < 0)
		return fail(c, EXIT_NETWORK, "socket: %s", strerror(-s->sock));
	sent_us = now_usec();
	e = tftpc_handshake_run(s->sock, (struct sockaddr *)&s->srv, s->srv_len, &rq, first,
				sizeof(first), &s->h);
	if (e < 0)
		return handshake_exit(c, e, &s->h);
	if (connect(s->sock, (struct sockaddr *)&s->h.peer, s->h.peer_len) < 0)
		return fail(c, EXIT_NETWORK, "connect: %s", strerror(errno));
	fill_job(c, &s->h, sent_us, &s->job);
	if (s->h.opts.tsize_given && !c->put && c->uri.mode == TFTP_MODE_OCTET) {
		r->total = s->h.opts.tsize;
		r->total_known = true;
	}
	s->bufsize = transfer_buffer_size(&s->job);
	s->buf = aligned_alloc(8, (s->bufsize + 7) & ~(size_t)7);
	if (!s->buf)
		return fail(c, EXIT_FAILURE_OTHER, "out of memory");
	cio = (struct tftpc_io){ .sock = s->sock, .file = l->fd, .seekable = l->seekable,
				 .pending = s->h.first_len ? first : NULL,
				 .pending_len = s->h.first_len, .on_data = on_data, .arg = r,
				 .interrupted = &interrupted };
	tftpc_io_bind(&cio, &io);
	r->start_us = now_usec();
	if (transfer_run(&s->job, &io, s->buf, s->bufsize, &s->res) < 0)
		return fail(c, EXIT_FAILURE_OTHER, "internal error: the job was refused");
	return 0;
}

static int finish(const struct cfg *c, struct tftpc_local *l, struct run *r, struct session *s)
{
	char host[NI_MAXHOST + 8], got[2 * TFTPC_DIGEST_MAX + 1];
	int status, e;

	(void)snprintf(host, sizeof(host), "%s", c->uri.host);
	if (r->drawn) {
		draw(r, s->res.bytes, now_usec());
		fputc('\n', stderr);
	}
	status = status_exit(c, &s->res, host);
	if (status == EXIT_OK && !tftpc_digest_matches(&r->digest, got))
		status = fail(c, EXIT_CHECKSUM, "checksum mismatch: got %s", got);
	if (status == EXIT_OK && !c->put && (e = tftpc_local_store(l)) < 0)
		status = fail(c, EXIT_LOCAL, "cannot store %s: %s", l->path, strerror(-e));
	return status;
}

static int run(const struct cfg *c)
{
	struct tftpc_local l = { .fd = -1 };
	struct run r = { .cfg = c, .name = c->uri.file };
	struct session s = { .sock = -1 };
	int status;

	r.bar = !c->quiet && isatty(STDERR_FILENO);
	if (c->digest && tftpc_digest_start(&r.digest, c->digest, c->digest_hex) < 0)
		return fail(c, EXIT_USAGE, "not a %s digest: %s",
			    c->digest == TFTPC_DIGEST_MD5 ? "MD5" : "SHA-256", c->digest_hex);
	status = resolve(c, &s.srv, &s.srv_len);
	if (status == 0)
		status = open_local(c, &l);
	if (status == 0 && c->put) {
		r.total = l.size;
		r.total_known = l.size_known && c->uri.mode == TFTP_MODE_OCTET;
	}
	if (status == 0)
		status = transfer(c, &l, &r, &s);
	if (status == 0)
		status = finish(c, &l, &r, &s);
	else if (r.drawn)
		fputc('\n', stderr);
	if (c->stats && s.job.blksize != 0)
		print_stats(c, &s.job, &s.res, s.h.resends, status);
	tftpc_local_close(&l);
	tftpc_digest_end(&r.digest);
	free(s.buf);
	closep(&s.sock);
	return status;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct cfg c;
	int status = parse_args(argc, argv, &c);

	if (status == ARGS_EXIT_NOW)
		return EXIT_OK;
	if (status != 0)
		return status;
	/* No SA_RESTART: a wait ends at once, and the engine with it. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return run(&c);
}
