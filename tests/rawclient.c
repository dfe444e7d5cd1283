/*
 * rawclient.c - a raw-packet TFTP client for the integration tests.
 *
 * Real clients cannot send a malformed request, stop acknowledging in the
 * middle of a transfer, repeat a request from the same port, send from a
 * chosen local address, show where a reply came from or check that a
 * server keeps to the window its ACKs allow. This tool does exactly that
 * and prints one line per datagram it receives, so that shell tests can
 * match the lines.
 *
 * Replies are decoded with the daemon's own codec (tftp-packet.h), so the
 * tests and the server agree on the wire format by construction; OACK is
 * decoded here because the codec only builds it.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "tftp-packet.h"
#include "util.h"

/* Exit statuses. */
enum {
	RC_OK = 0,     /* done; for send/rrq/wrq whatever the server answered */
	RC_FAIL = 1,   /* get/hold did not get what they need, or a local error */
	RC_USAGE = 2,  /* bad command line */
};

#define PKT_MAX 65536          /* bigger than any UDP payload we can receive */
#define GET_MAX_TRIES 5        /* silent timeouts in a row before get gives up */
#define TIMEOUT_MS_DEFAULT 2000
#define TIMEOUT_MS_MAX 600000
#define COUNT_MAX 100
#define DELAY_MS_MAX 60000
#define BLKSIZE_MIN 8
#define BLKSIZE_MAX 65464
#define WINDOWSIZE_MAX 65535
/* A window of 64 blocks of 65464 bytes arrives in one burst: make room. */
#define RCVBUF_BYTES (32 * 1024 * 1024)

struct client {
	int fd;
	int family;
	bool verbose;
	int timeout_ms;
	unsigned count; /* copies of the request, sent back to back */
	unsigned delay_ms;    /* put: pause before each new DATA block; get: before each ACK */
	uint64_t stop_after;  /* put: send only this many DATA blocks (0: all) */
	uint64_t ack_first;   /* hold: acknowledge this many DATA blocks first */
	const char *source;   /* bind to this local address first (NULL: any) */
	struct sockaddr_storage server;
	socklen_t server_len;
};

static const char *prog = "rawclient";

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: %s [OPTION]... HOST PORT COMMAND [ARG]...\n"
		"A raw TFTP client for tests: prints one line per received datagram.\n"
		"\n"
		"Options:\n"
		"  -4, -6          use IPv4 / IPv6 only (default: what HOST resolves to first)\n"
		"  -t TIMEOUT_MS   how long to wait for a reply (default %d)\n"
		"  -n COUNT        send each request COUNT times back to back (default 1)\n"
		"  -v              print \"FROM ADDR:PORT\" before each received datagram\n"
		"  -b ADDR         send from the local address ADDR (numeric, e.g. 127.0.0.2;\n"
		"                  a fresh port each run), as a client at that address would\n"
		"  -d DELAY_MS     put: pause DELAY_MS before each new DATA block (a slow upload);\n"
		"                  get: before each ACK but the last (a slow download)\n"
		"  -a BLOCKS       hold: acknowledge the first BLOCKS DATA blocks, then hold\n"
		"  -s BLOCKS       put: send only the first BLOCKS DATA blocks, then stay silent\n"
		"                  for TIMEOUT_MS or until an ERROR comes, printing whatever\n"
		"                  arrives (a stalled upload)\n"
		"  -h              this help\n"
		"\n"
		"Commands:\n"
		"  send HEX...                  send one datagram per HEX argument (hex digits;\n"
		"                               spaces and ':' are ignored; \"\" is an empty datagram),\n"
		"                               then print every reply until TIMEOUT_MS of silence\n"
		"  rrq FILE [MODE [OPT VAL]...] send a read request (MODE default octet);\n"
		"                               print the first reply\n"
		"  wrq FILE [MODE [OPT VAL]...] the same with a write request\n"
		"  hold FILE SECONDS            read request, print the first reply (flushed); if it\n"
		"                               is DATA 1, never acknowledge (but for -a) and keep the\n"
		"                               socket open for SECONDS, printing whatever arrives\n"
		"  get FILE OUTFILE [MODE [OPT VAL]...]\n"
		"                               download into OUTFILE (the bytes as they travel: no\n"
		"                               netascii conversion), acknowledging every block, or\n"
		"                               every window when windowsize was negotiated; block\n"
		"                               numbers roll over 65535 -> 0; prints the OACK, if\n"
		"                               any, and \"GOT bytes=N blocks=N\" on success\n"
		"  put FILE INFILE [MODE [OPT VAL]...]\n"
		"                               upload INFILE as it is, in windows when windowsize\n"
		"                               was negotiated; prints the OACK, if any, and\n"
		"                               \"PUT bytes=N blocks=N\" once the last block is\n"
		"                               acknowledged (with -s: \"STOPPED blocks=N\")\n"
		"  abort FILE CODE [MODE [OPT VAL]...]\n"
		"                               read request; print the first reply; if it is OACK\n"
		"                               or DATA answer ERROR CODE (a UEFI size probe uses 8),\n"
		"                               then print every datagram until TIMEOUT_MS of\n"
		"                               silence, or \"SILENCE\" when none came\n"
		"  window FILE OUTFILE WINDOWSIZE PATTERN SECONDS [OPT VAL]...\n"
		"                               download FILE (octet) into OUTFILE with windowsize\n"
		"                               WINDOWSIZE (and the options given), acknowledging as\n"
		"                               PATTERN says, and check RFC 7440 from outside: every\n"
		"                               DATA block received must be at most the highest ACK\n"
		"                               sent + the windowsize granted (ACK 0, of the OACK,\n"
		"                               counts as 0; blocks counted in 64 bits, the wire\n"
		"                               number rolling over 65535 -> 0).\n"
		"                               PATTERN is one of\n"
		"                                 normal    as get: each window's end, the last block,\n"
		"                                           once on a gap or a repeated block\n"
		"                                 withhold  the first ACK of DATA as normal, then none:\n"
		"                                           listen SECONDS more to what the server sends\n"
		"                                 alternate the ACK of every second window is lost\n"
		"                                           (not sent) the first time it is due, but\n"
		"                                           the last block's\n"
		"                                 stale     each ACK in a burst: older ACKs (0, a\n"
		"                                           window back, one back), the last ACK three\n"
		"                                           times, the new one, and it three times more\n"
		"                                 silent    ACK 0 only: listen SECONDS after it\n"
		"                               Withhold and silent end after their SECONDS; the\n"
		"                               others must finish the download within SECONDS.\n"
		"                               Prints the OACK, one \"BEYOND block=N last_ack=M\n"
		"                               window=W\" per block past the window, for withhold\n"
		"                               and silent \"RECEIVED block=N count=C\" per block that\n"
		"                               came after the last ACK, and a summary: \"WINDOW\n"
		"                               pattern=P windowsize=W last_ack=N blocks=N bytes=N\n"
		"                               packets=N resent=N acks=N lost=N first_round=N\n"
		"                               first_highest=N beyond=N\" (packets: DATA received;\n"
		"                               resent: of blocks received before; acks: ACKs sent,\n"
		"                               stale ones too; lost: ACKs withheld; first_round and\n"
		"                               first_highest: DATA before the first ACK of DATA)\n"
		"\n"
		"Output lines:\n"
		"  DATA block=N len=PAYLOAD_LEN    ACK block=N    ERROR code=N msg=TEXT\n"
		"  OACK NAME=VALUE...              UNKNOWN opcode=N len=N\n"
		"  MALFORMED opcode=N len=N        (known opcode that does not parse)\n"
		"  SHORT len=N                     (datagram shorter than an opcode)\n"
		"  TIMEOUT                         (nothing arrived in time)\n"
		"  SILENCE                         (abort: nothing after our ERROR)\n"
		"  BADOACK REASON                  (get/put/window: an OACK we cannot accept)\n"
		"  BEYOND block=N last_ack=M window=W   STRAY block=N expected=N   (window)\n"
		"Non-printable bytes in server strings are written as \\xHH.\n"
		"\n"
		"Exit status: 0 done (for send, rrq, wrq and abort whatever the server\n"
		"answered); 1 get, put or hold failed, window saw a block past the window,\n"
		"a stray block or a download that did not end as its pattern says, or a\n"
		"local error; 2 bad usage.\n",
		prog, TIMEOUT_MS_DEFAULT);
}

static void escape_print(FILE *out, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			fputc(c, out);
		else
			fprintf(out, "\\x%02x", c);
	}
}

static void format_addr(const struct sockaddr_storage *sa, char *out, size_t size)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
		snprintf(out, size, "%s:%u", host, port);
	} else if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
		snprintf(out, size, "[%s]:%u", host, port);
	} else {
		snprintf(out, size, "family-%d", sa->ss_family);
	}
}

/* The length of a sockaddr of this family, for sendto(). */
static socklen_t addr_len(const struct sockaddr_storage *sa)
{
	return sa->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)a;
		const struct sockaddr_in *y = (const struct sockaddr_in *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
		const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;
		return x->sin6_port == y->sin6_port &&
		       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
	}
	return false;
}

/* OACK: name NUL value NUL ..., at least one pair (RFC 2347). */
static bool print_oack(const uint8_t *buf, size_t len)
{
	const char *p = (const char *)buf + 2;
	const char *end = (const char *)buf + len;

	if (len < 2 || buf[len - 1] != '\0' || len == 2)
		return false;
	/* Check the shape first so that a malformed OACK prints one line. */
	size_t fields = 0;
	for (const char *q = p; q < end; q += strlen(q) + 1)
		fields++;
	if (fields % 2 != 0)
		return false;

	fputs("OACK", stdout);
	while (p < end) {
		size_t nlen = strlen(p);
		const char *v = p + nlen + 1;
		size_t vlen = strlen(v);
		fputc(' ', stdout);
		escape_print(stdout, p, nlen);
		fputc('=', stdout);
		escape_print(stdout, v, vlen);
		p = v + vlen + 1;
	}
	fputc('\n', stdout);
	return true;
}

/* One line (two with -v) for one received datagram. */
static void print_packet(const struct client *c, const uint8_t *buf, size_t len,
			 const struct sockaddr_storage *from)
{
	int op = tftp_pkt_opcode(buf, len);

	if (c->verbose) {
		char addr[INET6_ADDRSTRLEN + 16];
		format_addr(from, addr, sizeof(addr));
		printf("FROM %s\n", addr);
	}
	if (op < 0) {
		printf("SHORT len=%zu\n", len);
		return;
	}
	switch (op) {
	case TFTP_OP_DATA: {
		uint16_t block;
		const uint8_t *payload;
		size_t plen;
		if (tftp_pkt_parse_data(buf, len, &block, &payload, &plen) == 0) {
			printf("DATA block=%u len=%zu\n", block, plen);
			return;
		}
		break;
	}
	case TFTP_OP_ACK: {
		uint16_t block;
		if (tftp_pkt_parse_ack(buf, len, &block) == 0) {
			printf("ACK block=%u\n", block);
			return;
		}
		break;
	}
	case TFTP_OP_ERROR: {
		uint16_t code;
		char msg[1024];
		if (tftp_pkt_parse_error(buf, len, &code, msg, sizeof(msg)) == 0) {
			printf("ERROR code=%u msg=%s\n", code, msg);
			return;
		}
		break;
	}
	case TFTP_OP_OACK:
		if (print_oack(buf, len))
			return;
		break;
	default:
		printf("UNKNOWN opcode=%d len=%zu\n", op, len);
		return;
	}
	printf("MALFORMED opcode=%d len=%zu\n", op, len);
}

/*
 * Wait up to timeout_ms for one datagram. Returns its length (>= 0),
 * -ETIMEDOUT, or -errno.
 */
static ssize_t receive(const struct client *c, int timeout_ms, uint8_t *buf, size_t size,
		       struct sockaddr_storage *ret_from)
{
	struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
	uint64_t deadline = now_usec() + (uint64_t)timeout_ms * 1000;

	for (;;) {
		uint64_t now = now_usec();
		int left = now >= deadline ? 0 : (int)((deadline - now + 999) / 1000);
		int r = poll(&pfd, 1, left);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			return -ETIMEDOUT;

		socklen_t flen = sizeof(*ret_from);
		ssize_t n = recvfrom(c->fd, buf, size, 0, (struct sockaddr *)ret_from, &flen);
		if (n >= 0)
			return n;
		if (errno == EINTR || errno == EAGAIN)
			continue;
		/* A stray ICMP error on an unconnected socket: keep waiting. */
		if (errno == ECONNREFUSED)
			continue;
		return -errno;
	}
}

static int send_to(const struct client *c, const uint8_t *buf, size_t len,
		   const struct sockaddr_storage *to, socklen_t tolen)
{
	if (sendto(c->fd, buf, len, 0, (const struct sockaddr *)to, tolen) < 0) {
		int e = errno;
		fprintf(stderr, "%s: sendto: %s\n", prog, strerror(e));
		return -e;
	}
	return 0;
}

static int send_server(const struct client *c, const uint8_t *buf, size_t len)
{
	return send_to(c, buf, len, &c->server, c->server_len);
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Hex digits to bytes, ignoring spaces and ':'. Returns length or -EINVAL. */
static ssize_t parse_hex(const char *s, uint8_t *out, size_t size)
{
	size_t n = 0;
	int hi = -1;

	for (; *s != '\0'; s++) {
		if (*s == ' ' || *s == ':' || *s == '\t' || *s == '\n')
			continue;
		int v = hexval(*s);
		if (v < 0)
			return -EINVAL;
		if (hi < 0) {
			hi = v;
			continue;
		}
		if (n >= size)
			return -E2BIG;
		out[n++] = (uint8_t)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0)
		return -EINVAL; /* odd number of digits */
	return (ssize_t)n;
}

/* Append a string with its NUL; returns the new length or -E2BIG. */
static ssize_t put_string(uint8_t *buf, size_t size, size_t len, const char *s)
{
	size_t slen = strlen(s) + 1;

	if (slen > size - len)
		return -E2BIG;
	memcpy(buf + len, s, slen);
	return (ssize_t)(len + slen);
}

/* opcode, file, mode, then option name/value pairs. */
static ssize_t build_request(uint8_t *buf, size_t size, enum tftp_opcode op, const char *file,
			     const char *mode, char **opts, int n_opts)
{
	ssize_t len;

	if (size < 2)
		return -E2BIG;
	buf[0] = 0;
	buf[1] = (uint8_t)op;
	len = put_string(buf, size, 2, file);
	if (len >= 0)
		len = put_string(buf, size, (size_t)len, mode);
	for (int i = 0; i < n_opts && len >= 0; i++)
		len = put_string(buf, size, (size_t)len, opts[i]);
	return len;
}

static int send_request(const struct client *c, const uint8_t *req, size_t len)
{
	for (unsigned i = 0; i < c->count; i++) {
		int r = send_server(c, req, len);
		if (r < 0)
			return r;
	}
	return 0;
}

static int report_recv_error(ssize_t r)
{
	fprintf(stderr, "%s: recvfrom: %s\n", prog, strerror((int)-r));
	return RC_FAIL;
}

/* The file a download is written to, or -1 (said on stderr). */
static int create_output(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
	return fd;
}

/* Did build_request's request fit? Says so on stderr when not. */
static bool request_fits(ssize_t len)
{
	if (len < 0)
		fprintf(stderr, "%s: request too long\n", prog);
	return len >= 0;
}

/* Wait for the answer to a request and print it: its length, or -1 with
 * *ret_rc the exit status (RC_OK after printing TIMEOUT: silence is an
 * answer too). */
static ssize_t receive_answer(const struct client *c, uint8_t *buf, size_t size,
			      struct sockaddr_storage *from, int *ret_rc)
{
	ssize_t n = receive(c, c->timeout_ms, buf, size, from);

	if (n == -ETIMEDOUT) {
		puts("TIMEOUT");
		*ret_rc = RC_OK;
		return -1;
	}
	if (n < 0) {
		*ret_rc = report_recv_error(n);
		return -1;
	}
	print_packet(c, buf, (size_t)n, from);
	return n;
}

static int cmd_send(struct client *c, int argc, char **argv)
{
	static uint8_t buf[PKT_MAX];
	struct sockaddr_storage from;
	bool got = false;

	if (argc < 1) {
		fprintf(stderr, "%s: send: at least one HEX datagram expected\n", prog);
		return RC_USAGE;
	}
	for (int i = 0; i < argc; i++) {
		ssize_t len = parse_hex(argv[i], buf, sizeof(buf));
		if (len < 0) {
			fprintf(stderr, "%s: send: bad hex datagram \"%s\"\n", prog, argv[i]);
			return RC_USAGE;
		}
		if (send_server(c, buf, (size_t)len) < 0)
			return RC_FAIL;
	}
	for (;;) {
		ssize_t n = receive(c, c->timeout_ms, buf, sizeof(buf), &from);
		if (n == -ETIMEDOUT)
			break;
		if (n < 0)
			return report_recv_error(n);
		print_packet(c, buf, (size_t)n, &from);
		got = true;
	}
	if (!got)
		puts("TIMEOUT");
	return RC_OK;
}

static int cmd_request(struct client *c, enum tftp_opcode op, int argc, char **argv)
{
	static uint8_t buf[PKT_MAX];
	struct sockaddr_storage from;
	const char *mode = argc >= 2 ? argv[1] : "octet";
	int n_opts = argc > 2 ? argc - 2 : 0;

	if (argc < 1) {
		fprintf(stderr, "%s: FILE expected\n", prog);
		return RC_USAGE;
	}
	if (n_opts % 2 != 0) {
		fprintf(stderr, "%s: options come in OPT VAL pairs\n", prog);
		return RC_USAGE;
	}
	ssize_t len = build_request(buf, sizeof(buf), op, argv[0], mode, argv + 2, n_opts);
	if (!request_fits(len))
		return RC_USAGE;
	if (send_request(c, buf, (size_t)len) < 0)
		return RC_FAIL;

	int rc = RC_OK;

	(void)receive_answer(c, buf, sizeof(buf), &from, &rc);
	return rc;
}

static int send_ack(const struct client *c, uint16_t block, const struct sockaddr_storage *to,
		    socklen_t tolen);

static int cmd_hold(struct client *c, int argc, char **argv)
{
	static uint8_t buf[PKT_MAX];
	struct sockaddr_storage from;
	uint64_t seconds;
	uint16_t block;
	const uint8_t *payload;
	size_t plen;

	if (argc != 2 || parse_bounded(argv[1], 0, 86400, &seconds) < 0) {
		fprintf(stderr, "%s: hold: FILE SECONDS expected (SECONDS 0..86400)\n", prog);
		return RC_USAGE;
	}
	ssize_t len = build_request(buf, sizeof(buf), TFTP_OP_RRQ, argv[0], "octet", NULL, 0);
	if (!request_fits(len))
		return RC_USAGE;
	if (send_request(c, buf, (size_t)len) < 0)
		return RC_FAIL;

	ssize_t n = receive(c, c->timeout_ms, buf, sizeof(buf), &from);
	if (n == -ETIMEDOUT) {
		puts("TIMEOUT");
		fflush(stdout);
		return RC_FAIL;
	}
	if (n < 0)
		return report_recv_error(n);
	print_packet(c, buf, (size_t)n, &from);
	fflush(stdout);
	if (tftp_pkt_opcode(buf, (size_t)n) != TFTP_OP_DATA ||
	    tftp_pkt_parse_data(buf, (size_t)n, &block, &payload, &plen) < 0 || block != 1)
		return RC_FAIL;
	/* With -a, answer the first blocks, so that the transfer is the
	 * server's in earnest (a child runs it), then fall silent. */
	for (uint64_t acked = 0; acked < c->ack_first;) {
		uint16_t want = (uint16_t)(acked + 1);

		if (block == want) {
			if (send_ack(c, block, &from, addr_len(&from)) < 0)
				return RC_FAIL;
			acked++;
			if (acked == c->ack_first)
				break;
		}
		n = receive(c, c->timeout_ms, buf, sizeof(buf), &from);
		if (n < 0)
			return n == -ETIMEDOUT ? (puts("TIMEOUT"), RC_FAIL) : report_recv_error(n);
		print_packet(c, buf, (size_t)n, &from);
		fflush(stdout);
		if (tftp_pkt_parse_data(buf, (size_t)n, &block, &payload, &plen) < 0)
			return RC_FAIL;
	}

	/* Keep the transfer in flight: read (so that the lines show what the
	 * server does meanwhile) but never acknowledge. */
	uint64_t deadline = now_usec() + seconds * 1000000;
	for (;;) {
		uint64_t now = now_usec();
		if (now >= deadline)
			break;
		uint64_t left_ms = (deadline - now + 999) / 1000;
		n = receive(c, left_ms > INT32_MAX ? INT32_MAX : (int)left_ms, buf, sizeof(buf),
			    &from);
		if (n == -ETIMEDOUT)
			break;
		if (n < 0)
			return report_recv_error(n);
		print_packet(c, buf, (size_t)n, &from);
		fflush(stdout);
	}
	return RC_OK;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int send_ack(const struct client *c, uint16_t block, const struct sockaddr_storage *to,
		    socklen_t tolen)
{
	uint8_t ack[TFTP_ACK_LEN];
	int len = tftp_pkt_build_ack(ack, sizeof(ack), block);

	if (len < 0)
		return len;
	return send_to(c, ack, (size_t)len, to, tolen);
}

/* RFC 1350: a datagram from another port is answered with ERROR 5 and
 * does not disturb the transfer. */
static void reject_foreign(const struct client *c, const struct sockaddr_storage *from)
{
	uint8_t err[128];
	int len = tftp_pkt_build_error(err, sizeof(err), TFTP_ERR_BADTID, "Unknown transfer ID");

	if (len > 0)
		(void)send_to(c, err, (size_t)len, from, addr_len(from));
}

/* get and put: a window of big blocks arrives in one burst. Best effort:
 * SO_RCVBUFFORCE works for root, SO_RCVBUF up to net.core.rmem_max. */
static void grow_rcvbuf(const struct client *c)
{
	int size = RCVBUF_BYTES;

	if (setsockopt(c->fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

/* What get and put need to know about one transfer. */
struct session {
	struct sockaddr_storage tid; /* the server's end, from its first reply */
	socklen_t tid_len;
	bool have_tid;
	size_t blksize;
	uint64_t windowsize;
};

static void session_init(struct session *s)
{
	memset(s, 0, sizeof(*s));
	s->blksize = TFTP_BLKSIZE_DEFAULT;
	s->windowsize = 1;
}

/* Take the peer's address as the transfer ID; print it with -v. */
static void session_set_tid(const struct client *c, struct session *s,
			    const struct sockaddr_storage *from)
{
	s->tid = *from;
	s->tid_len = addr_len(from);
	s->have_tid = true;
	if (c->verbose) {
		char addr[INET6_ADDRSTRLEN + 16];
		format_addr(from, addr, sizeof(addr));
		printf("FROM %s\n", addr);
	}
}

/* The value we requested for option NAME (case-insensitive), or NULL. */
static const char *requested(char **opts, int n_opts, const char *name)
{
	for (int i = 0; i + 1 < n_opts; i += 2)
		if (strcasecmp(opts[i], name) == 0)
			return opts[i + 1];
	return NULL;
}

/*
 * Check an OACK against what we asked for (RFC 2347: only options we sent,
 * values no bigger than ours) and take blksize and windowsize from it.
 * Prints the OACK, or "BADOACK ..." and returns -EPROTO.
 */
static int session_apply_oack(const struct client *c, struct session *s, const uint8_t *buf,
			      size_t len, const struct sockaddr_storage *from, char **opts,
			      int n_opts)
{
	const char *p = (const char *)buf + 2;
	const char *end = (const char *)buf + len;

	print_packet(c, buf, len, from);
	if (len <= 2 || buf[len - 1] != '\0') {
		puts("BADOACK malformed");
		return -EPROTO;
	}
	while (p < end) {
		const char *name = p, *value = p + strlen(p) + 1;
		if (value >= end) {
			puts("BADOACK option without value");
			return -EPROTO;
		}
		p = value + strlen(value) + 1;

		const char *asked = requested(opts, n_opts, name);
		uint64_t v, want;
		if (asked == NULL) {
			printf("BADOACK unrequested option %s\n", name);
			return -EPROTO;
		}
		if (strcasecmp(name, "blksize") == 0) {
			if (parse_bounded(value, BLKSIZE_MIN, BLKSIZE_MAX, &v) < 0 ||
			    (parse_u64(asked, &want) == 0 && v > want)) {
				printf("BADOACK blksize %s (asked %s)\n", value, asked);
				return -EPROTO;
			}
			s->blksize = (size_t)v;
		} else if (strcasecmp(name, "windowsize") == 0) {
			if (parse_bounded(value, 1, WINDOWSIZE_MAX, &v) < 0 ||
			    (parse_u64(asked, &want) == 0 && v > want)) {
				printf("BADOACK windowsize %s (asked %s)\n", value, asked);
				return -EPROTO;
			}
			s->windowsize = v;
		}
	}
	return 0;
}

/* Request arguments shared by get, put and abort: [MODE [OPT VAL]...]. */
static int parse_request_args(int argc, char **argv, const char **ret_mode, char ***ret_opts,
			      int *ret_n_opts)
{
	int n_opts = argc > 1 ? argc - 1 : 0;

	if (n_opts % 2 != 0) {
		fprintf(stderr, "%s: options come in OPT VAL pairs\n", prog);
		return RC_USAGE;
	}
	*ret_mode = argc >= 1 ? argv[0] : "octet";
	*ret_opts = argv + 1;
	*ret_n_opts = n_opts;
	return RC_OK;
}

static void pause_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int cmd_get(struct client *c, int argc, char **argv)
{
	static uint8_t buf[PKT_MAX];
	uint8_t req[TFTP_REQUEST_MAX];
	struct sockaddr_storage from;
	struct session s;
	const char *mode;
	char **opts;
	int n_opts;
	uint16_t expected = 1;
	uint64_t bytes = 0, blocks = 0, in_window = 0;
	bool gap_acked = false;
	unsigned tries = 0;
	int rc = RC_FAIL;

	if (argc < 2) {
		fprintf(stderr, "%s: get: FILE OUTFILE [MODE [OPT VAL]...] expected\n", prog);
		return RC_USAGE;
	}
	rc = parse_request_args(argc - 2, argv + 2, &mode, &opts, &n_opts);
	if (rc != RC_OK)
		return rc;
	rc = RC_FAIL;
	ssize_t rlen = build_request(req, sizeof(req), TFTP_OP_RRQ, argv[0], mode, opts, n_opts);
	if (!request_fits(rlen))
		return RC_USAGE;
	int out = create_output(argv[1]);
	if (out < 0)
		return RC_FAIL;
	session_init(&s);
	grow_rcvbuf(c);
	if (send_request(c, req, (size_t)rlen) < 0)
		goto done;

	for (;;) {
		ssize_t n = receive(c, c->timeout_ms, buf, sizeof(buf), &from);
		if (n == -ETIMEDOUT) {
			if (++tries > GET_MAX_TRIES) {
				printf("TIMEOUT\n");
				goto done;
			}
			/* Resend what the server is waiting for (after an
			 * OACK, expected - 1 is block 0). */
			int r = s.have_tid ? send_ack(c, (uint16_t)(expected - 1), &s.tid, s.tid_len)
					   : send_server(c, req, (size_t)rlen);
			if (r < 0)
				goto done;
			in_window = 0;
			continue;
		}
		if (n < 0) {
			report_recv_error(n);
			goto done;
		}
		if (s.have_tid && !same_addr(&from, &s.tid)) {
			if (c->verbose) {
				char addr[INET6_ADDRSTRLEN + 16];
				format_addr(&from, addr, sizeof(addr));
				printf("FOREIGN %s\n", addr);
			}
			reject_foreign(c, &from);
			continue;
		}

		int op = tftp_pkt_opcode(buf, (size_t)n);
		if (op == TFTP_OP_OACK && n_opts > 0 && blocks == 0) {
			if (!s.have_tid) {
				session_set_tid(c, &s, &from);
				if (session_apply_oack(c, &s, buf, (size_t)n, &from, opts, n_opts) < 0)
					goto done;
			}
			/* The first OACK, or a resent one (our ACK 0 was lost). */
			if (send_ack(c, 0, &s.tid, s.tid_len) < 0)
				goto done;
			continue;
		}

		uint16_t block;
		const uint8_t *payload;
		size_t plen;
		if (op != TFTP_OP_DATA ||
		    tftp_pkt_parse_data(buf, (size_t)n, &block, &payload, &plen) < 0) {
			/* ERROR, an OACK we did not ask for, or garbage: the
			 * transfer is over. */
			print_packet(c, buf, (size_t)n, &from);
			goto done;
		}
		if (!s.have_tid)
			session_set_tid(c, &s, &from); /* no options, or all ignored */
		if (block != expected) {
			/* Our ACK was lost, the server resent, or a block of the
			 * window went missing: say once where we are (RFC 7440:
			 * the server goes on after the last block acknowledged). */
			if (!gap_acked) {
				if (send_ack(c, (uint16_t)(expected - 1), &s.tid, s.tid_len) < 0)
					goto done;
				gap_acked = true;
				in_window = 0;
			}
			continue;
		}
		if (plen > s.blksize) {
			/* More than was negotiated is a server bug, not data. */
			print_packet(c, buf, (size_t)n, &from);
			goto done;
		}

		int r = write_all(out, payload, plen);
		if (r < 0) {
			fprintf(stderr, "%s: %s: %s\n", prog, argv[1], strerror(-r));
			goto done;
		}
		bytes += plen;
		blocks++;
		tries = 0;
		gap_acked = false;
		bool last = plen < s.blksize;
		if (last || ++in_window >= s.windowsize) {
			if (!last && c->delay_ms > 0)
				pause_ms(c->delay_ms); /* a slow client */
			if (send_ack(c, block, &s.tid, s.tid_len) < 0)
				goto done;
			in_window = 0;
		}
		if (last)
			break;
		expected++; /* uint16_t: 65535 rolls over to 0 */
	}
	if (close(out) < 0) {
		out = -1;
		fprintf(stderr, "%s: %s: %s\n", prog, argv[1], strerror(errno));
		goto done;
	}
	out = -1;
	printf("GOT bytes=%" PRIu64 " blocks=%" PRIu64 "\n", bytes, blocks);
	rc = RC_OK;
done:
	closep(&out);
	return rc;
}

/*
 * window: an RFC 7440 window-bound checker. A download acknowledged as the
 * pattern says, in which every DATA block received must lie within what
 * the ACKs sent so far allow: block <= the highest ACK sent + windowsize,
 * counting ACK 0 (of the OACK) as 0. Blocks are counted from 1 in 64 bits,
 * on past the 16-bit rollover to 0. What the pattern withholds is an ACK
 * lost on the way: it raises nothing.
 */
enum pattern {
	PAT_NORMAL,    /* as get: each window's end, the last block, once on a gap */
	PAT_WITHHOLD,  /* the first ACK of DATA as normal, then none */
	PAT_ALTERNATE, /* the ACK of every second window is lost once */
	PAT_STALE,     /* each ACK in a burst of older and duplicate ACKs */
	PAT_SILENT,    /* ACK 0 of the OACK, then none */
};

static const char *const pattern_names[] = {
	[PAT_NORMAL] = "normal", [PAT_WITHHOLD] = "withhold", [PAT_ALTERNATE] = "alternate",
	[PAT_STALE] = "stale", [PAT_SILENT] = "silent",
};

#define PATTERN_COUNT (sizeof(pattern_names) / sizeof(pattern_names[0]))
#define STALE_DUPLICATES 3         /* copies of the last ACK before and of the new one after */
#define CHECK_BLOCKS_MAX (1u << 24) /* blocks a checked download may have */
#define CHECK_OPTS_MAX 32           /* OPT VAL arguments */

/* Datagrams seen per block index (index < len); grows on demand. */
struct block_counts {
	uint32_t *n;
	size_t len;
};

static int count_block(struct block_counts *bc, uint64_t index, uint32_t *ret_count)
{
	if (index >= CHECK_BLOCKS_MAX)
		return -E2BIG;
	if (index >= bc->len) {
		size_t len = bc->len == 0 ? 1024 : bc->len;

		while (len <= index)
			len *= 2;
		uint32_t *n = realloc(bc->n, len * sizeof(*n));
		if (n == NULL)
			return -ENOMEM;
		memset(n + bc->len, 0, (len - bc->len) * sizeof(*n));
		bc->n = n;
		bc->len = len;
	}
	*ret_count = ++bc->n[index];
	return 0;
}

struct checker {
	enum pattern pattern;
	uint64_t window;      /* as negotiated: 1 without an OACK */
	uint64_t acked;       /* the highest block an ACK sent named (0: none yet) */
	bool acked_data;      /* an ACK of a DATA block went out */
	bool stopped;         /* withhold, silent: no more ACKs go out */
	uint64_t stop_at;     /* ... and listening ends then */
	uint64_t seconds;
	uint64_t due;         /* alternate: the highest ACK that was due */
	uint64_t windows;     /* ... and how many windows' ACKs that moved on */
	uint64_t packets;     /* DATA datagrams received */
	uint64_t resent;      /* ... of a block received before */
	uint64_t beyond;      /* ... past the window */
	uint64_t stray;       /* ... naming no block of this file */
	uint64_t acks;        /* ACK datagrams sent, stale and duplicate ones too */
	uint64_t lost;        /* ACKs the pattern withheld */
	uint64_t first_round; /* DATA received before the first ACK of DATA */
	uint64_t first_highest;
	struct block_counts seen; /* every DATA */
	struct block_counts held; /* DATA after the stop */
};

static int checker_send(const struct client *c, struct checker *k, const struct session *s,
			uint64_t index)
{
	int r = send_ack(c, (uint16_t)index, &s->tid, s->tid_len);

	if (r < 0)
		return r;
	k->acks++;
	if (index > k->acked)
		k->acked = index;
	if (index > 0)
		k->acked_data = true;
	return 0;
}

static void checker_stop(struct checker *k)
{
	k->stopped = true;
	k->stop_at = now_usec() + k->seconds * 1000000;
}

/* stale: ACKs older than the last one (ACK 0, a window back, one back),
 * then the last one again: none of them may move the server. Never an old
 * one whose 16-bit number is also that of a block the window allows next. */
static int stale_burst(const struct client *c, struct checker *k, const struct session *s)
{
	const uint64_t a = k->acked;
	const uint64_t old[] = {0, a > k->window ? a - k->window : 0, a > 1 ? a - 1 : 0};

	for (size_t i = 0; i < sizeof(old) / sizeof(old[0]); i++)
		if (old[i] < a && a + k->window - old[i] < 65536 &&
		    checker_send(c, k, s, old[i]) < 0)
			return -1;
	for (unsigned i = 0; i < STALE_DUPLICATES; i++)
		if (checker_send(c, k, s, a) < 0)
			return -1;
	return 0;
}

/* The normal rules say ACK index is due (last: it names the final block);
 * the pattern decides what goes out. */
static int checker_ack(const struct client *c, struct checker *k, const struct session *s,
		       uint64_t index, bool last)
{
	switch (k->pattern) {
	case PAT_NORMAL:
		return checker_send(c, k, s, index);
	case PAT_SILENT:
		k->lost++;
		return 0;
	case PAT_WITHHOLD:
		if (k->stopped) {
			k->lost++;
			return 0;
		}
		if (checker_send(c, k, s, index) < 0)
			return -1;
		if (index > 0)
			checker_stop(k);
		return 0;
	case PAT_ALTERNATE:
		/* The first ACK of every second window is lost; the one that
		 * answers the server's resend goes out, so that the next
		 * window's is again a first send (one the server may time). */
		if (index > k->due) {
			k->due = index;
			if (k->windows++ % 2 == 1 && !last) {
				k->lost++;
				return 0;
			}
		}
		return checker_send(c, k, s, index);
	case PAT_STALE:
		if (stale_burst(c, k, s) < 0 || checker_send(c, k, s, index) < 0)
			return -1;
		for (unsigned i = 0; i < STALE_DUPLICATES; i++)
			if (checker_send(c, k, s, index) < 0)
				return -1;
		return 0;
	}
	return -1;
}

static void checker_report(const struct checker *k, uint64_t blocks, uint64_t bytes)
{
	for (size_t i = 1; i < k->held.len; i++)
		if (k->held.n[i] > 0)
			printf("RECEIVED block=%zu count=%" PRIu32 "\n", i, k->held.n[i]);
	printf("WINDOW pattern=%s windowsize=%" PRIu64 " last_ack=%" PRIu64 " blocks=%" PRIu64
	       " bytes=%" PRIu64 " packets=%" PRIu64 " resent=%" PRIu64 " acks=%" PRIu64
	       " lost=%" PRIu64 " first_round=%" PRIu64 " first_highest=%" PRIu64
	       " beyond=%" PRIu64 "\n",
	       pattern_names[k->pattern], k->window, k->acked, blocks, bytes, k->packets,
	       k->resent, k->acks, k->lost, k->first_round, k->first_highest, k->beyond);
}

/* One DATA block received: count it, check it against the window. False
 * when it names no block of the file (a stray number). */
static bool checker_data(struct checker *k, uint64_t expected, uint16_t block,
			 uint64_t *ret_index)
{
	/* The block nearest to the one expected that has this wire number. */
	int64_t d = (int16_t)(uint16_t)(block - (uint16_t)expected);
	uint32_t times;

	k->packets++;
	if ((int64_t)expected + d < 1) {
		printf("STRAY block=%u expected=%" PRIu64 "\n", block, expected);
		k->stray++;
		return false;
	}
	*ret_index = (uint64_t)((int64_t)expected + d);
	if (*ret_index > k->acked + k->window) {
		printf("BEYOND block=%" PRIu64 " last_ack=%" PRIu64 " window=%" PRIu64 "\n",
		       *ret_index, k->acked, k->window);
		k->beyond++;
	}
	if (!k->acked_data) {
		k->first_round++;
		if (*ret_index > k->first_highest)
			k->first_highest = *ret_index;
	}
	if (count_block(&k->seen, *ret_index, &times) < 0 ||
	    (k->stopped && count_block(&k->held, *ret_index, &times) < 0)) {
		fprintf(stderr, "%s: window: too many blocks to count\n", prog);
		k->stray++;
		return false;
	}
	if (k->seen.n[*ret_index] > 1)
		k->resent++;
	return true;
}

static int parse_pattern(const char *name, enum pattern *ret)
{
	for (size_t i = 0; i < PATTERN_COUNT; i++)
		if (strcmp(name, pattern_names[i]) == 0) {
			*ret = (enum pattern)i;
			return 0;
		}
	return -EINVAL;
}

static int cmd_window(struct client *c, int argc, char **argv)
{
	static uint8_t buf[PKT_MAX];
	uint8_t req[TFTP_REQUEST_MAX];
	char *opts[CHECK_OPTS_MAX + 2];
	struct sockaddr_storage from;
	struct session s;
	struct checker k = {0};
	uint64_t w, expected = 1, bytes = 0, blocks = 0, in_window = 0, end;
	bool gap_acked = false, ended = false;
	unsigned tries = 0;
	int n_opts, rc = RC_FAIL;

	if (argc < 5 || (argc - 5) % 2 != 0 || argc - 5 > CHECK_OPTS_MAX ||
	    parse_bounded(argv[2], 1, WINDOWSIZE_MAX, &w) < 0 ||
	    parse_pattern(argv[3], &k.pattern) < 0 ||
	    parse_bounded(argv[4], 1, 86400, &k.seconds) < 0) {
		fprintf(stderr, "%s: window: FILE OUTFILE WINDOWSIZE PATTERN SECONDS [OPT VAL]... "
			"expected (WINDOWSIZE 1..%d, PATTERN normal, withhold, alternate, stale or "
			"silent, SECONDS 1..86400, at most %d OPT VAL arguments)\n",
			prog, WINDOWSIZE_MAX, CHECK_OPTS_MAX);
		return RC_USAGE;
	}
	opts[0] = (char *)"windowsize";
	opts[1] = argv[2];
	n_opts = 2 + (argc - 5);
	memcpy(opts + 2, argv + 5, (size_t)(argc - 5) * sizeof(*opts));
	ssize_t rlen = build_request(req, sizeof(req), TFTP_OP_RRQ, argv[0], "octet", opts, n_opts);
	if (!request_fits(rlen))
		return RC_USAGE;
	int out = create_output(argv[1]);
	if (out < 0)
		return RC_FAIL;
	session_init(&s);
	k.window = 1;
	grow_rcvbuf(c);
	if (send_request(c, req, (size_t)rlen) < 0)
		goto done;
	end = now_usec() + k.seconds * 1000000;
	if (k.pattern == PAT_SILENT)
		checker_stop(&k);

	for (;;) {
		uint64_t now = now_usec(), until = k.stopped ? k.stop_at : end;
		if (now >= until) {
			if (k.stopped)
				ended = true; /* listened as long as it was told */
			else
				puts("TIMEOUT");
			break;
		}
		uint64_t left_ms = (until - now + 999) / 1000;
		int wait_ms = left_ms < (uint64_t)c->timeout_ms ? (int)left_ms : c->timeout_ms;
		ssize_t n = receive(c, wait_ms, buf, sizeof(buf), &from);
		if (n == -ETIMEDOUT) {
			if (wait_ms < c->timeout_ms || k.stopped)
				continue; /* the end, or silence we wait out */
			if (++tries > GET_MAX_TRIES) {
				puts("TIMEOUT");
				break;
			}
			/* As get: say again what the server is waiting for. */
			int r = s.have_tid ? checker_ack(c, &k, &s, expected - 1, false)
					   : send_server(c, req, (size_t)rlen);
			if (r < 0)
				break;
			in_window = 0;
			continue;
		}
		if (n < 0) {
			report_recv_error(n);
			break;
		}
		if (s.have_tid && !same_addr(&from, &s.tid)) {
			reject_foreign(c, &from);
			continue;
		}

		int op = tftp_pkt_opcode(buf, (size_t)n);
		if (op == TFTP_OP_OACK && k.packets == 0) {
			if (!s.have_tid) {
				session_set_tid(c, &s, &from);
				if (session_apply_oack(c, &s, buf, (size_t)n, &from, opts, n_opts) < 0)
					break;
				k.window = s.windowsize;
			}
			/* ACK 0, the OACK's, goes out whatever the pattern. */
			if (checker_send(c, &k, &s, 0) < 0)
				break;
			if (k.pattern == PAT_SILENT)
				checker_stop(&k);
			continue;
		}

		uint16_t block;
		const uint8_t *payload;
		size_t plen;
		uint64_t index;
		if (op != TFTP_OP_DATA ||
		    tftp_pkt_parse_data(buf, (size_t)n, &block, &payload, &plen) < 0) {
			print_packet(c, buf, (size_t)n, &from); /* ERROR or nonsense */
			break;
		}
		if (!s.have_tid)
			session_set_tid(c, &s, &from); /* no OACK: windowsize 1 */
		if (!checker_data(&k, expected, block, &index))
			break;
		if (index != expected) {
			if (!gap_acked) {
				if (checker_ack(c, &k, &s, expected - 1, false) < 0)
					break;
				gap_acked = true;
				in_window = 0;
			}
			continue;
		}
		if (plen > s.blksize) {
			print_packet(c, buf, (size_t)n, &from);
			break;
		}
		int r = write_all(out, payload, plen);
		if (r < 0) {
			fprintf(stderr, "%s: %s: %s\n", prog, argv[1], strerror(-r));
			break;
		}
		bytes += plen;
		blocks++;
		tries = 0;
		gap_acked = false;
		expected++;
		bool last = plen < s.blksize;
		if (last || ++in_window >= k.window) {
			if (checker_ack(c, &k, &s, index, last) < 0)
				break;
			in_window = 0;
		}
		if (last) {
			ended = true;
			break;
		}
	}
	checker_report(&k, blocks, bytes);
	if (close(out) < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, argv[1], strerror(errno));
		ended = false;
	}
	out = -1;
	if (ended && k.beyond == 0 && k.stray == 0)
		rc = RC_OK;
done:
	closep(&out);
	free(k.seen.n);
	free(k.held.n);
	return rc;
}

/* DATA block number k (1-based, 64 bits) of fd: header + payload in buf. */
static ssize_t build_data(int fd, uint64_t size, size_t blksize, uint64_t k, uint8_t *buf,
			  size_t bufsize)
{
	uint64_t off = (k - 1) * blksize;
	size_t want = off >= size ? 0 : (size - off < blksize ? (size_t)(size - off) : blksize);
	size_t got = 0;

	if (tftp_pkt_put_data_header(buf, bufsize, (uint16_t)k) < 0 ||
	    TFTP_DATA_HDR + want > bufsize)
		return -ENOBUFS;
	while (got < want) {
		ssize_t r = pread(fd, buf + TFTP_DATA_HDR + got, want - got, (off_t)(off + got));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return -EIO; /* the file shrank under us */
		got += (size_t)r;
	}
	return (ssize_t)(TFTP_DATA_HDR + want);
}

/* put -s: stay silent for TIMEOUT_MS, printing what the server sends,
 * until an ERROR ends the transfer. */
static int stall(const struct client *c, uint64_t sent)
{
	static uint8_t buf[PKT_MAX];
	struct sockaddr_storage from;
	uint64_t deadline = now_usec() + (uint64_t)c->timeout_ms * 1000;

	printf("STOPPED blocks=%" PRIu64 "\n", sent);
	fflush(stdout);
	for (;;) {
		uint64_t now = now_usec();
		if (now >= deadline)
			return RC_OK;
		ssize_t n = receive(c, (int)((deadline - now + 999) / 1000), buf, sizeof(buf),
				    &from);
		if (n == -ETIMEDOUT)
			return RC_OK;
		if (n < 0)
			return report_recv_error(n);
		print_packet(c, buf, (size_t)n, &from);
		fflush(stdout);
		if (tftp_pkt_opcode(buf, (size_t)n) == TFTP_OP_ERROR)
			return RC_OK;
	}
}

static int cmd_put(struct client *c, int argc, char **argv)
{
	static uint8_t buf[PKT_MAX];
	static uint8_t data[PKT_MAX];
	uint8_t req[TFTP_REQUEST_MAX];
	struct sockaddr_storage from;
	struct session s;
	struct stat st;
	const char *mode;
	char **opts;
	int n_opts;
	unsigned tries = 0;
	int rc;

	if (argc < 2) {
		fprintf(stderr, "%s: put: FILE INFILE [MODE [OPT VAL]...] expected\n", prog);
		return RC_USAGE;
	}
	rc = parse_request_args(argc - 2, argv + 2, &mode, &opts, &n_opts);
	if (rc != RC_OK)
		return rc;
	ssize_t rlen = build_request(req, sizeof(req), TFTP_OP_WRQ, argv[0], mode, opts, n_opts);
	if (!request_fits(rlen))
		return RC_USAGE;
	int in = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (in < 0 || fstat(in, &st) < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, argv[1], strerror(errno));
		closep(&in);
		return RC_FAIL;
	}
	rc = RC_FAIL;
	session_init(&s);
	grow_rcvbuf(c);
	if (send_request(c, req, (size_t)rlen) < 0)
		goto done;

	/* The server's go-ahead: ACK 0, or an OACK when we sent options. */
	for (;;) {
		ssize_t n = receive(c, c->timeout_ms, buf, sizeof(buf), &from);
		if (n == -ETIMEDOUT) {
			if (++tries > GET_MAX_TRIES) {
				printf("TIMEOUT\n");
				goto done;
			}
			if (send_server(c, req, (size_t)rlen) < 0)
				goto done;
			continue;
		}
		if (n < 0) {
			report_recv_error(n);
			goto done;
		}
		int op = tftp_pkt_opcode(buf, (size_t)n);
		uint16_t block;
		if (op == TFTP_OP_OACK && n_opts > 0) {
			session_set_tid(c, &s, &from);
			if (session_apply_oack(c, &s, buf, (size_t)n, &from, opts, n_opts) < 0)
				goto done;
			break;
		}
		if (op == TFTP_OP_ACK && tftp_pkt_parse_ack(buf, (size_t)n, &block) == 0 &&
		    block == 0) {
			session_set_tid(c, &s, &from);
			break;
		}
		print_packet(c, buf, (size_t)n, &from); /* ERROR or nonsense */
		goto done;
	}

	/* Blocks are counted from 1 in 64 bits; the wire carries the low 16
	 * (65535 rolls over to 0). The last block is shorter than blksize,
	 * empty when the size is a multiple of it. */
	uint64_t size = (uint64_t)st.st_size;
	uint64_t total = size / s.blksize + 1;
	uint64_t base = 1, next = 1, highest = 0;
	tries = 0;
	for (;;) {
		while (next < base + s.windowsize && next <= total) {
			if (c->stop_after > 0 && next > c->stop_after) {
				rc = stall(c, c->stop_after);
				goto done;
			}
			if (next > highest && c->delay_ms > 0)
				pause_ms(c->delay_ms);
			ssize_t len = build_data(in, size, s.blksize, next, data, sizeof(data));
			if (len < 0) {
				fprintf(stderr, "%s: %s: %s\n", prog, argv[1],
					strerror((int)-len));
				goto done;
			}
			if (send_to(c, data, (size_t)len, &s.tid, s.tid_len) < 0)
				goto done;
			if (next > highest)
				highest = next;
			next++;
		}

		ssize_t n = receive(c, c->timeout_ms, buf, sizeof(buf), &from);
		if (n == -ETIMEDOUT) {
			if (++tries > GET_MAX_TRIES) {
				printf("TIMEOUT\n");
				goto done;
			}
			next = base; /* resend the window */
			continue;
		}
		if (n < 0) {
			report_recv_error(n);
			goto done;
		}
		if (!same_addr(&from, &s.tid)) {
			reject_foreign(c, &from);
			continue;
		}
		int op = tftp_pkt_opcode(buf, (size_t)n);
		uint16_t block;
		if (op == TFTP_OP_OACK && base == 1)
			continue; /* a resent OACK: our DATA 1 is on its way */
		if (op != TFTP_OP_ACK || tftp_pkt_parse_ack(buf, (size_t)n, &block) < 0) {
			print_packet(c, buf, (size_t)n, &from);
			goto done;
		}
		/* Which block, of those sent, does this ACK name? A duplicate
		 * of an old ACK moves nothing and resends nothing (RFC 1123). */
		for (uint64_t k = next - 1; k >= base; k--) {
			if ((uint16_t)k != block)
				continue;
			base = k + 1;
			tries = 0;
			/* Acknowledged short of what we sent: the server missed a
			 * block; go on from there (RFC 7440). */
			next = base;
			break;
		}
		if (base > total)
			break;
	}
	printf("PUT bytes=%" PRIu64 " blocks=%" PRIu64 "\n", size, total);
	rc = RC_OK;
done:
	closep(&in);
	return rc;
}

static int cmd_abort(struct client *c, int argc, char **argv)
{
	static uint8_t buf[PKT_MAX];
	uint8_t err[128];
	struct sockaddr_storage from;
	const char *mode;
	char **opts;
	int n_opts;
	uint64_t code;

	if (argc < 2 || parse_bounded(argv[1], 0, 65535, &code) < 0) {
		fprintf(stderr, "%s: abort: FILE CODE [MODE [OPT VAL]...] expected\n", prog);
		return RC_USAGE;
	}
	int rc = parse_request_args(argc - 2, argv + 2, &mode, &opts, &n_opts);
	if (rc != RC_OK)
		return rc;
	ssize_t len = build_request(buf, sizeof(buf), TFTP_OP_RRQ, argv[0], mode, opts, n_opts);
	if (!request_fits(len))
		return RC_USAGE;
	if (send_request(c, buf, (size_t)len) < 0)
		return RC_FAIL;

	ssize_t n = receive_answer(c, buf, sizeof(buf), &from, &rc);
	if (n < 0)
		return rc;
	int op = tftp_pkt_opcode(buf, (size_t)n);
	if (op != TFTP_OP_OACK && op != TFTP_OP_DATA)
		return RC_OK;

	int elen = tftp_pkt_build_error(err, sizeof(err), (enum tftp_error)code, "aborted");
	if (elen < 0 || send_to(c, err, (size_t)elen, &from, addr_len(&from)) < 0)
		return RC_FAIL;
	bool got = false;
	for (;;) {
		n = receive(c, c->timeout_ms, buf, sizeof(buf), &from);
		if (n == -ETIMEDOUT)
			break;
		if (n < 0)
			return report_recv_error(n);
		print_packet(c, buf, (size_t)n, &from);
		got = true;
	}
	if (!got)
		puts("SILENCE");
	return RC_OK;
}

/* -b: bind to the source address (port 0: the kernel picks one). */
static int bind_source(struct client *c, int family)
{
	struct addrinfo hints = {.ai_family = family,
				 .ai_socktype = SOCK_DGRAM,
				 .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE};
	struct addrinfo *res;
	int r = getaddrinfo(c->source, "0", &hints, &res);

	if (r != 0) {
		fprintf(stderr, "%s: -b %s: %s\n", prog, c->source, gai_strerror(r));
		return RC_USAGE;
	}
	r = bind(c->fd, res->ai_addr, res->ai_addrlen);
	int e = errno;
	freeaddrinfo(res);
	if (r < 0) {
		fprintf(stderr, "%s: bind %s: %s\n", prog, c->source, strerror(e));
		return RC_FAIL;
	}
	return RC_OK;
}

static int open_client(struct client *c, const char *host, const char *port)
{
	struct addrinfo hints = {.ai_family = c->family,
				 .ai_socktype = SOCK_DGRAM,
				 .ai_flags = AI_NUMERICSERV};
	struct addrinfo *res;
	uint64_t p;

	if (parse_bounded(port, 1, 65535, &p) < 0) {
		fprintf(stderr, "%s: bad port \"%s\"\n", prog, port);
		return RC_USAGE;
	}
	int r = getaddrinfo(host, port, &hints, &res);
	if (r != 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, host, gai_strerror(r));
		return RC_USAGE;
	}
	memcpy(&c->server, res->ai_addr, res->ai_addrlen);
	c->server_len = res->ai_addrlen;
	c->fd = socket(res->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int e = errno;
	int family = res->ai_family;
	freeaddrinfo(res);
	if (c->fd < 0) {
		fprintf(stderr, "%s: socket: %s\n", prog, strerror(e));
		return RC_FAIL;
	}
	return c->source != NULL ? bind_source(c, family) : RC_OK;
}

int main(int argc, char **argv)
{
	struct client c = {.fd = -1,
			   .family = AF_UNSPEC,
			   .timeout_ms = TIMEOUT_MS_DEFAULT,
			   .count = 1};
	uint64_t v;
	int opt, rc;

	/* "+": stop at the first non-option so that a HEX argument or a
	 * file name starting with '-' reaches the command. */
	while ((opt = getopt(argc, argv, "+46t:n:d:s:a:b:vh")) != -1) {
		switch (opt) {
		case '4':
			c.family = AF_INET;
			break;
		case '6':
			c.family = AF_INET6;
			break;
		case 't':
			if (parse_bounded(optarg, 1, TIMEOUT_MS_MAX, &v) < 0) {
				fprintf(stderr, "%s: -t: 1..%d milliseconds expected\n", prog,
					TIMEOUT_MS_MAX);
				return RC_USAGE;
			}
			c.timeout_ms = (int)v;
			break;
		case 'n':
			if (parse_bounded(optarg, 1, COUNT_MAX, &v) < 0) {
				fprintf(stderr, "%s: -n: 1..%d expected\n", prog, COUNT_MAX);
				return RC_USAGE;
			}
			c.count = (unsigned)v;
			break;
		case 'd':
			if (parse_bounded(optarg, 0, DELAY_MS_MAX, &v) < 0) {
				fprintf(stderr, "%s: -d: 0..%d milliseconds expected\n", prog,
					DELAY_MS_MAX);
				return RC_USAGE;
			}
			c.delay_ms = (unsigned)v;
			break;
		case 's':
			if (parse_bounded(optarg, 1, UINT64_MAX, &v) < 0) {
				fprintf(stderr, "%s: -s: a number of blocks (>= 1) expected\n", prog);
				return RC_USAGE;
			}
			c.stop_after = v;
			break;
		case 'a':
			if (parse_bounded(optarg, 0, UINT64_MAX, &v) < 0) {
				fprintf(stderr, "%s: -a: a number of blocks expected\n", prog);
				return RC_USAGE;
			}
			c.ack_first = v;
			break;
		case 'b':
			c.source = optarg;
			break;
		case 'v':
			c.verbose = true;
			break;
		case 'h':
			usage(stdout);
			return RC_OK;
		default:
			usage(stderr);
			return RC_USAGE;
		}
	}
	if (argc - optind < 3) {
		usage(stderr);
		return RC_USAGE;
	}
	const char *host = argv[optind], *port = argv[optind + 1], *cmd = argv[optind + 2];
	char **args = argv + optind + 3;
	int nargs = argc - optind - 3;

	rc = open_client(&c, host, port);
	if (rc != RC_OK)
		return rc;

	if (strcmp(cmd, "send") == 0)
		rc = cmd_send(&c, nargs, args);
	else if (strcmp(cmd, "rrq") == 0)
		rc = cmd_request(&c, TFTP_OP_RRQ, nargs, args);
	else if (strcmp(cmd, "wrq") == 0)
		rc = cmd_request(&c, TFTP_OP_WRQ, nargs, args);
	else if (strcmp(cmd, "hold") == 0)
		rc = cmd_hold(&c, nargs, args);
	else if (strcmp(cmd, "get") == 0)
		rc = cmd_get(&c, nargs, args);
	else if (strcmp(cmd, "put") == 0)
		rc = cmd_put(&c, nargs, args);
	else if (strcmp(cmd, "abort") == 0)
		rc = cmd_abort(&c, nargs, args);
	else if (strcmp(cmd, "window") == 0)
		rc = cmd_window(&c, nargs, args);
	else {
		fprintf(stderr, "%s: unknown command \"%s\"\n", prog, cmd);
		rc = RC_USAGE;
	}
	closep(&c.fd);
	if (fflush(stdout) != 0 && rc == RC_OK)
		rc = RC_FAIL;
	return rc;
}
