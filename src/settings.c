/*
 * settings.c - the configuration file and the command line.
 *
 * Both end in one function, apply(), so an option means the same and is
 * checked the same way wherever it is written; only the way an error is
 * located differs ("--retries: ..." or "tftpd.conf:3: retries: ...").
 * Numbers are parsed with parse_bounded, addresses with inet_pton only: no
 * name is resolved, so nothing here depends on NSS or the network.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <ini.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "relay-url.h"
#include "settings.h"
#include "tftp-options.h"
#include "util.h"

#define TFTP_PORT 69

static const char usage_text[] =
	"Usage: tftpd [OPTION]... [ROOT]\n"
	"Serve the files under ROOT (default " DEFAULT_ROOT ") over TFTP.\n"
	"\n"
	"  -f, --config=FILE          read settings from FILE first: 'key = value'\n"
	"                             lines, keys named like the long options below\n"
	"                             (and root = DIR), before any section or under\n"
	"                             [tftpd]; yes/no for switches. The command line\n"
	"                             wins; its --listen or --refuse replace the file's.\n"
	"\n"
	"Sockets and users:\n"
	"  -l, --listen=ADDR[:PORT]   listen on ADDR (IPv6 as [ADDR]:PORT, link-local as\n"
	"                             [fe80::1%eth0]:PORT); port 69 by default;\n"
	"                             repeatable. [::] is dual-stack unless an IPv4\n"
	"                             address on its port is given too. Without it, the\n"
	"                             sockets come from systemd or inetd (fd 0).\n"
	"  -u, --user=USER            run the monitor as USER (default tftp, else nobody)\n"
	"  -J, --jail-user=USER|UID   run transfer children as USER (default tftp-jail,\n"
	"                             else uid 65533); never root, never the monitor's\n"
	"\n"
	"Protocol:\n"
	"  -B, --blksize-max=N|mtu    largest block size granted (8..65464), or mtu\n"
	"                             (the default): the path MTU to the client minus\n"
	"                             headers, so that no block is IP-fragmented\n"
	"  -W, --windowsize-max=N     largest window granted (1..65535, default 64)\n"
	"      --initial-window=N     packets of a transfer's first window, which grows\n"
	"                             with each acknowledged one (1..65535, default 4)\n"
	"      --refuse=OPTION        ignore one option (blksize, tsize, timeout,\n"
	"                             windowsize, rollover, utimeout); repeatable\n"
	"      --retransmit-min=MS    shortest adaptive retransmission timeout (1..255000,\n"
	"                             default 1)\n"
	"      --retransmit-max=MS    longest one (default 5000)\n"
	"  -r, --retries=N            quick resends before the client's own timer gets a\n"
	"                             turn (1..255, default 6); then 3 slow ones\n"
	"      --deadline=SECONDS     no transfer runs longer (1..86400, default 3600)\n"
	"\n"
	"Uploads (refused unless -c or --overwrite):\n"
	"  -c, --create               uploads may create new files\n"
	"      --overwrite            uploads may replace existing files (atomically)\n"
	"      --umask=MASK           umask of uploaded files (octal, default 022)\n"
	"      --max-upload-size=SIZE largest upload, in bytes or with K, M, G\n"
	"                             (default: no limit)\n"
	"\n"
	"Names, aliases and policy (tftpd.conf(5) for [alias], [alias-once] and\n"
	"[client CIDR] sections):\n"
	"      --strip-prefix=PATH    remove PATH from the front of requested names\n"
	"      --default-file=NAME    serve NAME when a requested file does not exist\n"
	"      --backslash            '\\' separates directories, as '/' (Windows clients)\n"
	"      --lowercase            fold requested names to lower case\n"
	"  -m, --map-file=FILE        rewrite names with tftp-hpa's remap rules in FILE\n"
	"      --state-dir=DIR        where used one-time aliases are recorded\n"
	"                             (default " DEFAULT_STATE_DIR ")\n"
	"      --clients-file=FILE    append each new client address to FILE\n"
	"      --allow=CIDR, --deny=CIDR\n"
	"                             serve or refuse clients; repeatable, first match\n"
	"                             wins, default allow\n"
	"      --allow-write=CIDR, --deny-write=CIDR\n"
	"                             the same, for uploads\n"
	"      --write-only           refuse every download\n"
	"      --wrq-devnull          accept uploads and discard them (client tests)\n"
	"      --upload-dir-per-client  uploads go into a directory named after the\n"
	"                             client address (upload/192.0.2.7/fw.bin);\n"
	"      --create-client-dir    creates it\n"
	"      --max-transfers-per-client=N   transfers of one client at once\n"
	"      --max-requests-per-second-per-client=N   beyond, requests are dropped\n"
	"      --penalty-malformed=S, --penalty-crash=S, --penalty-min=S, --penalty-max=S\n"
	"                             seconds a client is refused for malformed requests\n"
	"                             or a child that died (tftpd(8) PENALTIES)\n"
	"\n"
	"HTTP relay (off unless relay or relay-fallback; tftpd.conf(5) RELAY):\n"
	"      --relay                a symbolic link whose target is an http:// or\n"
	"                             https:// URL names a remote file (or directory)\n"
	"      --relay-fallback=URL   a file that does not exist is fetched from URL/NAME\n"
	"      --relay-client-headers send X-TFTP-Client, X-TFTP-Port and X-TFTP-File\n"
	"      --relay-ca-file=FILE   trust these CAs for https (default: the system's)\n"
	"      --relay-user=USER|UID  run the fetcher as USER (default tftp-relay, else\n"
	"                             uid 65532); never root, the monitor's or the jail's\n"
	"      --relay-max-fetches=N  fetches at once (1..1024, default 16); more wait\n"
	"      --relay-max-size=SIZE  largest body fetched (default 1G)\n"
	"      --relay-timeout=SECONDS one fetch, redirects included (1..3600, default 60)\n"
	"      --relay-cache-dir=DIR  keep fetched files in DIR, by HTTP's caching rules\n"
	"                             (default: no cache)\n"
	"      --relay-cache-size=SIZE bytes of files kept there (default 1G)\n"
	"\n"
	"Checking (print, then exit):\n"
	"      --check-config         validate everything, print the effective settings\n"
	"      --map-test=NAME --client=ADDR [--write]\n"
	"                             what a request for NAME from ADDR resolves to\n"
	"\n"
	"Service:\n"
	"      --spares=N             jailed children kept ready (1..64, default 2)\n"
	"      --max-transfers=N      transfers running at once, each in a jailed child\n"
	"                             (1..16384, default 1024); more wait their turn\n"
	"      --max-requests=N       requests waiting at once: for the client's first\n"
	"                             answer, or for a child (1..65536, default 4096);\n"
	"                             beyond, the oldest unanswered is dropped, else\n"
	"                             'Server busy'\n"
	"      --child-linger=SECONDS how long a child waits for its client's next request\n"
	"                             (0..3600, default 5)\n"
	"      --grace=SECONDS        on SIGTERM, let transfers finish this long\n"
	"                             (0..3600, default 30)\n"
	"      --idle-timeout=SECONDS started by inetd: exit after this long without\n"
	"                             requests or transfers (1..86400, default 900)\n"
	"      --metrics-file=PATH    write counters in the Prometheus text format to\n"
	"                             PATH (atomically), e.g. node_exporter's textfile\n"
	"                             directory; default: none\n"
	"      --metrics-interval=SECONDS  rewrite it this often (1..3600, default 15)\n"
	"      --status               print the counters of the running server (read\n"
	"                             from its metrics-file) on one line and exit\n"
	"  -v, --verbose              also log each transfer as it starts\n"
	"      --log-format=FORMAT    text (default) or json: one JSON object per line\n"
	"                             on stderr. Text under systemd goes to the journal\n"
	"                             with TFTP_* fields; under inetd, to syslog\n"
	"  -h, --help                 show this help and exit\n"
	"  -V, --version              show the version and exit\n"
	"\n"
	"tftpd never runs in the background: systemd, inetd or the shell do that.\n"
	"Exit status: 0 stopped cleanly, 1 could not start, 2 bad command line.\n";

enum {
	OPT_SPARES = 0x100,
	OPT_MAX_TRANSFERS,
	OPT_GRACE,
	OPT_IDLE_TIMEOUT,
	OPT_REFUSE,
	OPT_RETRANSMIT_MIN,
	OPT_RETRANSMIT_MAX,
	OPT_DEADLINE,
	OPT_OVERWRITE,
	OPT_UMASK,
	OPT_MAX_UPLOAD,
	OPT_LOG_FORMAT,
	OPT_INITIAL_WINDOW,
	OPT_MAX_REQUESTS,
	OPT_CHILD_LINGER,
	OPT_ROOT, /* the file's "root"; ROOT on the command line */
	OPT_STRIP_PREFIX,
	OPT_DEFAULT_FILE,
	OPT_BACKSLASH,
	OPT_LOWERCASE,
	OPT_STATE_DIR,
	OPT_CLIENTS_FILE,
	OPT_ALLOW,
	OPT_DENY,
	OPT_ALLOW_WRITE,
	OPT_DENY_WRITE,
	OPT_WRITE_ONLY,
	OPT_WRQ_DEVNULL,
	OPT_UPLOAD_DIR_PER_CLIENT,
	OPT_CREATE_CLIENT_DIR,
	OPT_MAX_TRANSFERS_PER_CLIENT,
	OPT_MAX_RATE_PER_CLIENT,
	OPT_PENALTY_MALFORMED,
	OPT_PENALTY_CRASH,
	OPT_PENALTY_MIN,
	OPT_PENALTY_MAX,
	OPT_CHECK_CONFIG,
	OPT_MAP_TEST,
	OPT_CLIENT,
	OPT_WRITE,
	OPT_METRICS_FILE,
	OPT_METRICS_INTERVAL,
	OPT_STATUS,
	OPT_RELAY,
	OPT_RELAY_FALLBACK,
	OPT_RELAY_CLIENT_HEADERS,
	OPT_RELAY_CA_FILE,
	OPT_RELAY_USER,
	OPT_RELAY_MAX_FETCHES,
	OPT_RELAY_MAX_SIZE,
	OPT_RELAY_TIMEOUT,
	OPT_RELAY_CACHE_DIR,
	OPT_RELAY_CACHE_SIZE,
};

#define SHORT_OPTIONS "f:l:u:J:B:W:r:m:cvhV"

static const struct option long_options[] = {
	{ "config", required_argument, NULL, 'f' },
	{ "listen", required_argument, NULL, 'l' },
	{ "user", required_argument, NULL, 'u' },
	{ "jail-user", required_argument, NULL, 'J' },
	{ "blksize-max", required_argument, NULL, 'B' },
	{ "windowsize-max", required_argument, NULL, 'W' },
	{ "initial-window", required_argument, NULL, OPT_INITIAL_WINDOW },
	{ "refuse", required_argument, NULL, OPT_REFUSE },
	{ "retransmit-min", required_argument, NULL, OPT_RETRANSMIT_MIN },
	{ "retransmit-max", required_argument, NULL, OPT_RETRANSMIT_MAX },
	{ "retries", required_argument, NULL, 'r' },
	{ "deadline", required_argument, NULL, OPT_DEADLINE },
	{ "create", no_argument, NULL, 'c' },
	{ "overwrite", no_argument, NULL, OPT_OVERWRITE },
	{ "umask", required_argument, NULL, OPT_UMASK },
	{ "max-upload-size", required_argument, NULL, OPT_MAX_UPLOAD },
	{ "spares", required_argument, NULL, OPT_SPARES },
	{ "max-transfers", required_argument, NULL, OPT_MAX_TRANSFERS },
	{ "max-requests", required_argument, NULL, OPT_MAX_REQUESTS },
	{ "child-linger", required_argument, NULL, OPT_CHILD_LINGER },
	{ "grace", required_argument, NULL, OPT_GRACE },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
	{ "metrics-file", required_argument, NULL, OPT_METRICS_FILE },
	{ "relay", no_argument, NULL, OPT_RELAY },
	{ "relay-fallback", required_argument, NULL, OPT_RELAY_FALLBACK },
	{ "relay-client-headers", no_argument, NULL, OPT_RELAY_CLIENT_HEADERS },
	{ "relay-ca-file", required_argument, NULL, OPT_RELAY_CA_FILE },
	{ "relay-user", required_argument, NULL, OPT_RELAY_USER },
	{ "relay-max-fetches", required_argument, NULL, OPT_RELAY_MAX_FETCHES },
	{ "relay-max-size", required_argument, NULL, OPT_RELAY_MAX_SIZE },
	{ "relay-timeout", required_argument, NULL, OPT_RELAY_TIMEOUT },
	{ "relay-cache-dir", required_argument, NULL, OPT_RELAY_CACHE_DIR },
	{ "relay-cache-size", required_argument, NULL, OPT_RELAY_CACHE_SIZE },
	{ "metrics-interval", required_argument, NULL, OPT_METRICS_INTERVAL },
	{ "status", no_argument, NULL, OPT_STATUS },
	{ "verbose", no_argument, NULL, 'v' },
	{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
	{ "strip-prefix", required_argument, NULL, OPT_STRIP_PREFIX },
	{ "default-file", required_argument, NULL, OPT_DEFAULT_FILE },
	{ "backslash", no_argument, NULL, OPT_BACKSLASH },
	{ "lowercase", no_argument, NULL, OPT_LOWERCASE },
	{ "map-file", required_argument, NULL, 'm' },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "clients-file", required_argument, NULL, OPT_CLIENTS_FILE },
	{ "allow", required_argument, NULL, OPT_ALLOW },
	{ "deny", required_argument, NULL, OPT_DENY },
	{ "allow-write", required_argument, NULL, OPT_ALLOW_WRITE },
	{ "deny-write", required_argument, NULL, OPT_DENY_WRITE },
	{ "write-only", no_argument, NULL, OPT_WRITE_ONLY },
	{ "wrq-devnull", no_argument, NULL, OPT_WRQ_DEVNULL },
	{ "upload-dir-per-client", no_argument, NULL, OPT_UPLOAD_DIR_PER_CLIENT },
	{ "create-client-dir", no_argument, NULL, OPT_CREATE_CLIENT_DIR },
	{ "max-transfers-per-client", required_argument, NULL, OPT_MAX_TRANSFERS_PER_CLIENT },
	{ "max-requests-per-second-per-client", required_argument, NULL, OPT_MAX_RATE_PER_CLIENT },
	{ "penalty-malformed", required_argument, NULL, OPT_PENALTY_MALFORMED },
	{ "penalty-crash", required_argument, NULL, OPT_PENALTY_CRASH },
	{ "penalty-min", required_argument, NULL, OPT_PENALTY_MIN },
	{ "penalty-max", required_argument, NULL, OPT_PENALTY_MAX },
	{ "check-config", no_argument, NULL, OPT_CHECK_CONFIG },
	{ "map-test", required_argument, NULL, OPT_MAP_TEST },
	{ "client", required_argument, NULL, OPT_CLIENT },
	{ "write", no_argument, NULL, OPT_WRITE },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* Keys only the file has. */
static const struct option file_only_keys[] = {
	{ "root", required_argument, NULL, OPT_ROOT },
	{ NULL, 0, NULL, 0 },
};

/* Options that take a bounded decimal number, and where it goes. */
struct number_option {
	int key;
	unsigned min, max;
	size_t offset;
};

static const struct number_option number_options[] = {
	{ 'r', 1, 255, offsetof(struct settings, retries) },
	{ 'W', 1, 65535, offsetof(struct settings, windowsize_max) },
	{ OPT_RETRANSMIT_MIN, 1, 255000, offsetof(struct settings, retransmit_min_ms) },
	{ OPT_RETRANSMIT_MAX, 1, 255000, offsetof(struct settings, retransmit_max_ms) },
	{ OPT_DEADLINE, 1, 86400, offsetof(struct settings, deadline_s) },
	{ OPT_SPARES, 1, 64, offsetof(struct settings, spares) },
	{ OPT_MAX_TRANSFERS, 1, 16384, offsetof(struct settings, max_transfers) },
	{ OPT_MAX_REQUESTS, 1, 65536, offsetof(struct settings, max_requests) },
	{ OPT_CHILD_LINGER, 0, 3600, offsetof(struct settings, child_linger_s) },
	{ OPT_INITIAL_WINDOW, 1, 65535, offsetof(struct settings, initial_window) },
	{ OPT_GRACE, 0, 3600, offsetof(struct settings, grace_s) },
	{ OPT_IDLE_TIMEOUT, 1, 86400, offsetof(struct settings, idle_timeout_s) },
	{ OPT_METRICS_INTERVAL, 1, 3600, offsetof(struct settings, metrics_interval_s) },
	{ OPT_MAX_TRANSFERS_PER_CLIENT, 0, 16384,
	  offsetof(struct settings, max_transfers_per_client) },
	{ OPT_MAX_RATE_PER_CLIENT, 0, 1000000, offsetof(struct settings, max_rate_per_client) },
	{ OPT_PENALTY_MALFORMED, 0, 86400, offsetof(struct settings, penalty_malformed_s) },
	{ OPT_PENALTY_CRASH, 0, 86400, offsetof(struct settings, penalty_crash_s) },
	{ OPT_PENALTY_MIN, 0, 86400, offsetof(struct settings, penalty_min_s) },
	{ OPT_PENALTY_MAX, 0, 86400, offsetof(struct settings, penalty_max_s) },
	{ OPT_RELAY_MAX_FETCHES, 1, 1024, offsetof(struct settings, relay_max_fetches) },
	{ OPT_RELAY_TIMEOUT, 1, 3600, offsetof(struct settings, relay_timeout_s) },
};

static int parse_port(const char *s, unsigned *ret)
{
	uint64_t v;

	if (parse_bounded(s, 1, 65535, &v) < 0)
		return -ERANGE;
	*ret = (unsigned)v;
	return 0;
}

/* "fe80::1%eth0" or "fe80::1%2": a link-local address names nothing
 * without its link (RFC 4007 zone), by interface name or index. */
static int fill_v6(const char *host, unsigned port, struct listen_addr *ret)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ret->addr;
	const char *zone = strchr(host, '%');
	size_t len = zone != NULL ? (size_t)(zone - host) : strlen(host);
	char addr[INET6_ADDRSTRLEN];
	uint64_t index;

	memset(ret, 0, sizeof(*ret));
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((uint16_t)port);
	if (len >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, host, len);
	addr[len] = '\0';
	if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) != 1)
		return -EINVAL;
	if (zone != NULL) {
		if (parse_bounded(zone + 1, 1, UINT32_MAX, &index) < 0 &&
		    (index = if_nametoindex(zone + 1)) == 0)
			return -EINVAL;
		sin6->sin6_scope_id = (uint32_t)index;
	}
	ret->len = sizeof(*sin6);
	return 0;
}

static int fill_v4(const char *host, unsigned port, struct listen_addr *ret)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&ret->addr;

	memset(ret, 0, sizeof(*ret));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		return -EINVAL;
	ret->len = sizeof(*sin);
	return 0;
}

int settings_parse_listen(const char *spec, unsigned default_port, struct listen_addr *ret)
{
	char host[INET6_ADDRSTRLEN + IF_NAMESIZE + 1];
	const char *port_text = NULL, *colon;
	unsigned port = default_port;
	size_t host_len;
	struct listen_addr la;
	int r;

	if (spec[0] == '[') {
		const char *close = strchr(spec, ']');

		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return -EINVAL;
		host_len = (size_t)(close - spec - 1);
		spec++;
		if (close[1] == ':')
			port_text = close + 2;
	} else if ((colon = strchr(spec, ':')) != NULL && strchr(colon + 1, ':') == NULL) {
		host_len = (size_t)(colon - spec); /* a.b.c.d:port */
		port_text = colon + 1;
	} else {
		host_len = strlen(spec); /* a.b.c.d, or a bare IPv6 address */
	}
	if (host_len == 0 || host_len >= sizeof(host))
		return -EINVAL;
	memcpy(host, spec, host_len);
	host[host_len] = '\0';
	if (port_text != NULL && parse_port(port_text, &port) < 0)
		return -ERANGE;
	r = strchr(host, ':') != NULL ? fill_v6(host, port, &la) : fill_v4(host, port, &la);
	if (r < 0)
		return r;
	*ret = la;
	return 0;
}

/* ---- one option, from wherever it came -------------------------------- */

struct parser {
	struct settings *cfg;
	const char *file;  /* NULL while reading the command line */
	FILE *fp;
	unsigned line;
	int read_errno;    /* the file could not be read */
	bool too_long;     /* a line longer than inih's buffer */
	bool cli_listen;   /* the command line's --listen replaced the file's */
	bool cli_refuse;
	bool cli_access;   /* ..and its --allow/--deny, --allow-write/--deny-write */
	bool cli_write;
	char raw[INI_MAX_LINE]; /* the line inih is reading, as written */
	int dir_fd;        /* >= 0: the file is base in this directory (a reload) */
	const char *base;
	int status;        /* -1 while all is well, else the exit status */
};

static void print_complaint(const char *msg)
{
	fprintf(stderr, "tftpd: %s\n", msg);
}

/* Where messages about the configuration go: stderr at start, the log on
 * a reload. */
static void (*complaint_sink)(const char *msg) = print_complaint;

void settings_set_complaint_sink(void (*sink)(const char *msg))
{
	complaint_sink = sink != NULL ? sink : print_complaint;
}

__attribute__((format(printf, 1, 2))) static void complain(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	complaint_sink(msg);
}

/* The first problem, located: "--NAME: ..." or "FILE:LINE: NAME: ...". */
__attribute__((format(printf, 3, 4))) static int bad_value(const struct parser *p,
							  const char *name,
							  const char *fmt, ...)
{
	char what[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (p->file != NULL) {
		complain("%s:%u: %s: %s", p->file, p->line, name, what);
	} else {
		complain("--%s: %s", name, what);
		fputs("Try 'tftpd --help' for more information.\n", stderr);
	}
	return EXIT_USAGE;
}

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
	char what[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	complain("%s", what);
	fputs("Try 'tftpd --help' for more information.\n", stderr);
	return EXIT_USAGE;
}

/* Remember an allocation, freed with the settings; NULL when out of
 * memory (ptr is freed then). */
static char *own(struct settings *cfg, char *ptr)
{
	void *grown;

	if (ptr == NULL)
		return NULL;
	grown = realloc(cfg->owned, (cfg->n_owned + 1) * sizeof(*cfg->owned));
	if (grown == NULL) {
		free(ptr);
		return NULL;
	}
	cfg->owned = grown;
	cfg->owned[cfg->n_owned++] = ptr;
	return ptr;
}

const char *settings_copy_string(struct settings *cfg, const char *text)
{
	return text != NULL ? own(cfg, strdup(text)) : NULL;
}

void settings_free(struct settings *cfg)
{
	for (size_t i = 0; i < cfg->n_owned; i++)
		free(cfg->owned[i]);
	free(cfg->owned);
	free(cfg->lines);
	free((char *)cfg->root_path);
	cfg->owned = NULL;
	cfg->lines = NULL;
	cfg->root_path = NULL;
	cfg->n_owned = cfg->n_lines = 0;
}

/* argv outlives us; the file's buffer does not. */
static int keep_string(const struct parser *p, const char *name, const char *arg,
		       const char **ret)
{
	char *copy;

	if (arg[0] == '\0')
		return bad_value(p, name, "must not be empty");
	if (p->file == NULL) {
		*ret = arg;
		return -1;
	}
	copy = own(p->cfg, strdup(arg));
	if (copy == NULL) {
		complain("out of memory");
		return EXIT_RUNTIME;
	}
	*ret = copy;
	return -1;
}

/* A switch: given alone on the command line, yes or no in the file. */
static int parse_switch(const struct parser *p, const char *name, const char *arg, bool *ret)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	if (arg == NULL) {
		*ret = true;
		return -1;
	}
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(arg, yes[i]) == 0) {
			*ret = true;
			return -1;
		}
		if (strcasecmp(arg, no[i]) == 0) {
			*ret = false;
			return -1;
		}
	}
	return bad_value(p, name, "'%s' is not yes or no (true/false, on/off, 1/0)", arg);
}

static int parse_number(const struct parser *p, const char *name, const struct number_option *o,
			const char *arg)
{
	uint64_t v;

	if (parse_bounded(arg, o->min, o->max, &v) < 0)
		return bad_value(p, name, "'%s' is not a number from %u to %u", arg, o->min, o->max);
	*(unsigned *)(void *)((char *)p->cfg + o->offset) = (unsigned)v;
	return -1;
}

/* "1048576", "512K", "100M", "4G". */
static int parse_size(const char *arg, uint64_t *ret)
{
	char digits[32];
	size_t len = strlen(arg);
	unsigned shift = 0;
	uint64_t v;

	if (len == 0 || len >= sizeof(digits))
		return -EINVAL;
	memcpy(digits, arg, len + 1);
	switch (digits[len - 1]) {
	case 'K': case 'k': shift = 10; break;
	case 'M': case 'm': shift = 20; break;
	case 'G': case 'g': shift = 30; break;
	default: break;
	}
	if (shift)
		digits[len - 1] = '\0';
	if (parse_bounded(digits, 0, UINT64_MAX >> shift, &v) < 0)
		return -ERANGE;
	*ret = v << shift;
	return 0;
}

static int parse_listen(struct parser *p, const char *name, const char *arg)
{
	struct settings *cfg = p->cfg;

	/* The command line's addresses replace the file's, not add to them. */
	if (p->file == NULL && !p->cli_listen) {
		p->cli_listen = true;
		cfg->n_listen = 0;
	}
	if (cfg->n_listen == SETTINGS_LISTEN_MAX)
		return bad_value(p, name, "too many addresses (at most %d): %s",
				 SETTINGS_LISTEN_MAX, arg);
	if (settings_parse_listen(arg, TFTP_PORT, &cfg->listen[cfg->n_listen]) < 0)
		return bad_value(p, name, "'%s' is not ADDR[:PORT] with a numeric address "
				 "(IPv6 in brackets, a link as [fe80::1%%eth0]) and a port from 1 "
				 "to 65535", arg);
	cfg->n_listen++;
	return -1;
}

static int parse_refuse(struct parser *p, const char *name, const char *arg)
{
	int opt = tftp_opt_from_name(arg);

	if (p->file == NULL && !p->cli_refuse) {
		p->cli_refuse = true;
		p->cfg->refused = 0;
	}
	if (opt < 0)
		return bad_value(p, name, "unknown option '%s' (blksize, tsize, timeout, "
				 "windowsize, rollover, utimeout)", arg);
	p->cfg->refused |= 1u << opt;
	return -1;
}

static int parse_blksize_max(const struct parser *p, const char *name, const char *arg)
{
	uint64_t v;

	if (strcmp(arg, "mtu") == 0) {
		p->cfg->blksize_mtu = true;
		return -1;
	}
	if (parse_bounded(arg, TFTP_BLKSIZE_MIN, TFTP_BLKSIZE_MAX, &v) < 0)
		return bad_value(p, name, "'%s' is not 'mtu' or a number from 8 to 65464", arg);
	p->cfg->blksize_max = (unsigned)v;
	p->cfg->blksize_mtu = false;
	return -1;
}

static int parse_umask(const struct parser *p, const char *name, const char *arg)
{
	char *end;
	unsigned long m;

	errno = 0;
	m = strtoul(arg, &end, 8);
	if (errno || *arg < '0' || *arg > '7' || *end != '\0' || m > 0777)
		return bad_value(p, name, "'%s' is not an octal mask from 0 to 0777", arg);
	p->cfg->umask = (unsigned)m;
	return -1;
}

static int parse_log_format(const struct parser *p, const char *name, const char *arg)
{
	if (strcmp(arg, "text") == 0)
		p->cfg->log_format = LOG_FORMAT_TEXT;
	else if (strcmp(arg, "json") == 0)
		p->cfg->log_format = LOG_FORMAT_JSON;
	else
		return bad_value(p, name, "'%s' is not text or json", arg);
	return -1;
}

/* A base URL ending in '/', under which a missing file's name is
 * fetched: checked now, as relay-url.c will read it for each request. */
static int parse_relay_fallback(const struct parser *p, const char *name, const char *arg)
{
	char url[RELAY_URL_MAX];
	unsigned flags;

	if (arg[0] == '\0') {
		p->cfg->relay_fallback = NULL;
		return -1;
	}
	if (relay_url_join(arg, strlen(arg), "x", url, sizeof(url), &flags) < 0)
		return bad_value(p, name, "'%s' is not an http:// or https:// URL ending in '/'",
				 arg);
	return keep_string(p, name, arg, &p->cfg->relay_fallback);
}

static void drop_lines(struct settings *cfg, enum setting_kind kind)
{
	size_t kept = 0;

	for (size_t i = 0; i < cfg->n_lines; i++)
		if (cfg->lines[i].kind != kind)
			cfg->lines[kept++] = cfg->lines[i];
	cfg->n_lines = kept;
}

/* Keep a line for the policy tables; its strings must outlive us. */
static int add_line(struct parser *p, enum setting_kind kind, const char *key, const char *value,
		    const char *section)
{
	struct settings *cfg = p->cfg;
	struct setting_line *l;

	if (cfg->n_lines == SETTINGS_LINES_MAX)
		return bad_value(p, key, "too many list and section lines (at most %d)",
				 SETTINGS_LINES_MAX);
	if (cfg->n_lines % 64 == 0) {
		void *grown = realloc(cfg->lines, (cfg->n_lines + 64) * sizeof(*cfg->lines));

		if (grown == NULL) {
			complain("out of memory");
			return EXIT_RUNTIME;
		}
		cfg->lines = grown;
	}
	l = &cfg->lines[cfg->n_lines];
	*l = (struct setting_line){ .kind = kind };
	l->key = own(cfg, strdup(key));
	l->value = own(cfg, strdup(value));
	l->section = section != NULL ? own(cfg, strdup(section)) : NULL;
	if (l->key == NULL || l->value == NULL || (section != NULL && l->section == NULL)) {
		complain("out of memory");
		return EXIT_RUNTIME;
	}
	if (p->file != NULL)
		snprintf(l->where, sizeof(l->where), "%s:%u", p->file, p->line);
	else
		snprintf(l->where, sizeof(l->where), "--%s", key);
	cfg->n_lines++;
	return -1;
}

/* allow/deny (kind SETTING_ACCESS) or allow-write/deny-write: in order,
 * the command line's list replacing the file's. */
static int parse_acl(struct parser *p, const char *name, const char *arg, enum setting_kind kind)
{
	bool *replaced = kind == SETTING_ACCESS ? &p->cli_access : &p->cli_write;

	if (p->file == NULL && !*replaced) {
		*replaced = true;
		drop_lines(p->cfg, kind);
	}
	return add_line(p, kind, name, arg, NULL);
}

/*
 * The one place an option's value is checked and stored. arg is NULL
 * for a switch given on the command line. Returns -1, or an exit status
 * after printing one message.
 */
static int apply(struct parser *p, const struct option *o, const char *arg)
{
	struct settings *cfg = p->cfg;
	const char *name = o->name;

	for (size_t i = 0; i < sizeof(number_options) / sizeof(number_options[0]); i++)
		if (number_options[i].key == o->val)
			return parse_number(p, name, &number_options[i], arg);
	switch (o->val) {
	case 'l':
		return parse_listen(p, name, arg);
	case OPT_REFUSE:
		return parse_refuse(p, name, arg);
	case 'B':
		return parse_blksize_max(p, name, arg);
	case OPT_UMASK:
		return parse_umask(p, name, arg);
	case OPT_LOG_FORMAT:
		return parse_log_format(p, name, arg);
	case OPT_MAX_UPLOAD:
		if (parse_size(arg, &cfg->max_upload) < 0)
			return bad_value(p, name, "'%s' is not a size such as 1048576, 512K, 100M "
					 "or 4G", arg);
		return -1;
	case OPT_RELAY_MAX_SIZE:
		if (parse_size(arg, &cfg->relay_max_size) < 0 || cfg->relay_max_size == 0)
			return bad_value(p, name, "'%s' is not a size such as 1048576, 512K, 100M "
					 "or 4G", arg);
		return -1;
	case OPT_RELAY_CACHE_SIZE:
		if (parse_size(arg, &cfg->relay_cache_size) < 0 || cfg->relay_cache_size == 0)
			return bad_value(p, name, "'%s' is not a size such as 1048576, 512K, 100M "
					 "or 4G", arg);
		return -1;
	case OPT_RELAY_CACHE_DIR:
		return keep_string(p, name, arg, &cfg->relay_cache_dir);
	case OPT_RELAY:
		return parse_switch(p, name, arg, &cfg->relay);
	case OPT_RELAY_CLIENT_HEADERS:
		return parse_switch(p, name, arg, &cfg->relay_client_headers);
	case OPT_RELAY_FALLBACK:
		return parse_relay_fallback(p, name, arg);
	case OPT_RELAY_CA_FILE:
		return keep_string(p, name, arg, &cfg->relay_ca_file);
	case OPT_RELAY_USER:
		return keep_string(p, name, arg, &cfg->relay_user);
	case 'u':
		return keep_string(p, name, arg, &cfg->user);
	case 'J':
		return keep_string(p, name, arg, &cfg->jail_user);
	case OPT_ROOT:
		return keep_string(p, name, arg, &cfg->root);
	case 'c':
		return parse_switch(p, name, arg, &cfg->create);
	case OPT_OVERWRITE:
		return parse_switch(p, name, arg, &cfg->overwrite);
	case 'v':
		return parse_switch(p, name, arg, &cfg->verbose);
	case OPT_STRIP_PREFIX:
		return keep_string(p, name, arg, &cfg->strip_prefix);
	case OPT_DEFAULT_FILE:
		return keep_string(p, name, arg, &cfg->default_file);
	case 'm':
		return keep_string(p, name, arg, &cfg->map_file);
	case OPT_STATE_DIR:
		return keep_string(p, name, arg, &cfg->state_dir);
	case OPT_CLIENTS_FILE:
		return keep_string(p, name, arg, &cfg->clients_file);
	case OPT_METRICS_FILE:
		return keep_string(p, name, arg, &cfg->metrics_file);
	case OPT_STATUS:
		return parse_switch(p, name, arg, &cfg->status);
	case OPT_BACKSLASH:
		return parse_switch(p, name, arg, &cfg->backslash);
	case OPT_LOWERCASE:
		return parse_switch(p, name, arg, &cfg->lowercase);
	case OPT_WRITE_ONLY:
		return parse_switch(p, name, arg, &cfg->write_only);
	case OPT_WRQ_DEVNULL:
		return parse_switch(p, name, arg, &cfg->wrq_devnull);
	case OPT_UPLOAD_DIR_PER_CLIENT:
		return parse_switch(p, name, arg, &cfg->upload_dir_per_client);
	case OPT_CREATE_CLIENT_DIR:
		return parse_switch(p, name, arg, &cfg->create_client_dir);
	case OPT_ALLOW:
	case OPT_DENY:
		return parse_acl(p, name, arg, SETTING_ACCESS);
	case OPT_ALLOW_WRITE:
	case OPT_DENY_WRITE:
		return parse_acl(p, name, arg, SETTING_WRITE);
	case OPT_CHECK_CONFIG:
		return parse_switch(p, name, arg, &cfg->check_config);
	case OPT_WRITE:
		return parse_switch(p, name, arg, &cfg->map_write);
	case OPT_MAP_TEST:
		return keep_string(p, name, arg, &cfg->map_test);
	case OPT_CLIENT:
		return keep_string(p, name, arg, &cfg->map_client);
	default:
		return bad_value(p, name, "cannot be set here");
	}
}

/* ---- the configuration file ------------------------------------------ */

static const struct option *file_key(const char *name)
{
	for (const struct option *o = long_options; o->name != NULL; o++)
		if (strcmp(o->name, name) == 0)
			/* Not settings: what the file would mean by them is unclear. */
			return o->val == 'f' || o->val == 'h' || o->val == 'V' ||
				       o->val == OPT_CHECK_CONFIG || o->val == OPT_MAP_TEST ||
				       o->val == OPT_CLIENT || o->val == OPT_WRITE ||
				       o->val == OPT_STATUS
				       ? NULL
				       : o;
	for (const struct option *o = file_only_keys; o->name != NULL; o++)
		if (strcmp(o->name, name) == 0)
			return o;
	return NULL;
}

static bool known_section(const char *name, size_t len)
{
	return (len == 5 && memcmp(name, "tftpd", 5) == 0) ||
	       (len == 5 && memcmp(name, "alias", 5) == 0) ||
	       (len == 10 && memcmp(name, "alias-once", 10) == 0) ||
	       (len > 7 && memcmp(name, "client ", 7) == 0);
}

/* A section header names one we know, even when no key follows it (inih
 * tells us of a section only with its first key). */
static bool known_section_line(struct parser *p)
{
	const char *s = p->raw, *end;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s != '[' || (end = strchr(s, ']')) == NULL)
		return true;
	if (known_section(s + 1, (size_t)(end - s - 1)))
		return true;
	complain("%s:%u: unknown section %.*s]: settings go before any section or under "
		 "[tftpd]; the others are [alias], [alias-once] and [client CIDR]", p->file,
		 p->line, (int)(end - s), s);
	p->status = EXIT_USAGE;
	return false;
}

/* inih's reader, counting lines so that every message can name one, and
 * refusing a line longer than inih's buffer (inih would read its tail as
 * a line of its own). */
static char *read_line(char *str, int num, void *stream)
{
	struct parser *p = stream;
	size_t len;

	if (p->status >= 0 || p->too_long)
		return NULL;
	errno = 0;
	if (fgets(str, num, p->fp) == NULL) {
		if (ferror(p->fp))
			p->read_errno = errno ? errno : EIO;
		return NULL;
	}
	p->line++;
	len = strlen(str);
	if (len > 0 && str[len - 1] != '\n' && !feof(p->fp)) {
		p->too_long = true;
		return NULL;
	}
	memcpy(p->raw, str, len + 1);
	if (!known_section_line(p))
		return NULL;
	return str;
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' ||
			   end[-1] == '\r'))
		*--end = '\0';
	return s;
}

/* The line as written, split at its first '=' and trimmed; an inline
 * comment (';' or '#' after a space) is cut. inih also splits at ':',
 * which an IPv6 client in an alias key contains. */
static int split_raw(struct parser *p, char **ret_key, char **ret_value)
{
	char *eq = strchr(p->raw, '='), *v;

	if (eq == NULL)
		return -EINVAL;
	*eq = '\0';
	v = eq + 1;
	for (char *c = v; *c != '\0'; c++)
		if ((*c == ';' || *c == '#') && c > v && (c[-1] == ' ' || c[-1] == '\t')) {
			*c = '\0';
			break;
		}
	*ret_key = trim(p->raw);
	*ret_value = trim(v);
	return **ret_key == '\0' || **ret_value == '\0' ? -EINVAL : 0;
}

static int on_alias(struct parser *p, enum setting_kind kind)
{
	char *key, *value;

	if (split_raw(p, &key, &value) < 0) {
		complain("%s:%u: not 'CLIENT/NAME = TARGET'", p->file, p->line);
		return EXIT_USAGE;
	}
	return add_line(p, kind, key, value, NULL);
}

/* [client CIDR]: the protocol limits one group of clients gets. */
static int on_client_key(struct parser *p, const char *cidr, const char *name, const char *value)
{
	static const char *const keys[] = { "blksize-max", "windowsize-max", "refuse" };

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(name, keys[i]) == 0)
			return add_line(p, SETTING_CLIENT, name, value, cidr);
	complain("%s:%u: [client %s]: unknown key '%s' (blksize-max, "
		"windowsize-max or refuse)", p->file, p->line, cidr, name);
	return EXIT_USAGE;
}

static int on_section_key(struct parser *p, const char *section, const char *name,
			  const char *value)
{
	if (strcmp(section, "alias") == 0)
		return on_alias(p, SETTING_ALIAS);
	if (strcmp(section, "alias-once") == 0)
		return on_alias(p, SETTING_ALIAS_ONCE);
	if (strncmp(section, "client ", 7) == 0 && section[7] != '\0')
		return on_client_key(p, section + 7, name, value);
	complain("%s:%u: unknown section [%s]: settings go before any section "
		"or under [tftpd]; the others are [alias], [alias-once] and [client CIDR]",
		p->file, p->line, section);
	return EXIT_USAGE;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parser *p = user;
	const struct option *o;

	if (p->status >= 0)
		return 0; /* one message is enough */
	if (section[0] != '\0' && strcmp(section, "tftpd") != 0) {
		p->status = on_section_key(p, section, name, value);
		return p->status < 0;
	}
	o = file_key(name);
	if (o == NULL) {
		complain("%s:%u: unknown key '%s'", p->file, p->line, name);
		p->status = EXIT_USAGE;
		return 0;
	}
	p->status = apply(p, o, value);
	return p->status < 0;
}

static int load_file(struct parser *p, const char *path)
{
	int r;

	p->file = path;
	if (p->dir_fd >= 0) {
		int fd = openat(p->dir_fd, p->base, O_RDONLY | O_CLOEXEC | O_NOCTTY);

		p->fp = fd >= 0 ? fdopen(fd, "r") : NULL;
		if (fd >= 0 && p->fp == NULL)
			close(fd);
	} else {
		p->fp = fopen(path, "re");
	}
	if (p->fp == NULL) {
		complain("cannot read %s: %s", path, strerror(errno));
		return EXIT_USAGE;
	}
	r = ini_parse_stream(read_line, p, on_key, p);
	fclose(p->fp);
	p->fp = NULL;
	if (p->status >= 0)
		return p->status;
	if (p->read_errno != 0) {
		complain("cannot read %s: %s", path, strerror(p->read_errno));
		return EXIT_USAGE;
	}
	if (p->too_long) {
		complain("%s:%u: line longer than %d characters", path, p->line,
			INI_MAX_LINE - 1);
		return EXIT_USAGE;
	}
	if (r != 0) {
		complain("%s:%d: not 'key = value', '[section]' or a comment",
			path, r);
		return EXIT_USAGE;
	}
	p->file = NULL;
	return -1;
}

/* ---- the command line ------------------------------------------------- */

/* ---- printing the effective configuration ---------------------------- */

static const unsigned *number_at(const struct settings *cfg, int key)
{
	for (size_t i = 0; i < sizeof(number_options) / sizeof(number_options[0]); i++)
		if (number_options[i].key == key)
			return (const unsigned *)(const void *)((const char *)cfg +
								number_options[i].offset);
	return NULL;
}

static const bool *switch_at(const struct settings *cfg, int key)
{
	switch (key) {
	case 'c': return &cfg->create;
	case OPT_OVERWRITE: return &cfg->overwrite;
	case 'v': return &cfg->verbose;
	case OPT_BACKSLASH: return &cfg->backslash;
	case OPT_LOWERCASE: return &cfg->lowercase;
	case OPT_WRITE_ONLY: return &cfg->write_only;
	case OPT_WRQ_DEVNULL: return &cfg->wrq_devnull;
	case OPT_UPLOAD_DIR_PER_CLIENT: return &cfg->upload_dir_per_client;
	case OPT_CREATE_CLIENT_DIR: return &cfg->create_client_dir;
	case OPT_RELAY: return &cfg->relay;
	case OPT_RELAY_CLIENT_HEADERS: return &cfg->relay_client_headers;
	default: return NULL;
	}
}

static const char *string_at(const struct settings *cfg, int key)
{
	switch (key) {
	case 'u': return cfg->user;
	case 'J': return cfg->jail_user;
	case OPT_STRIP_PREFIX: return cfg->strip_prefix;
	case OPT_DEFAULT_FILE: return cfg->default_file;
	case 'm': return cfg->map_file;
	case OPT_STATE_DIR: return cfg->state_dir;
	case OPT_CLIENTS_FILE: return cfg->clients_file;
	case OPT_METRICS_FILE: return cfg->metrics_file;
	case OPT_RELAY_FALLBACK: return cfg->relay_fallback;
	case OPT_RELAY_CA_FILE: return cfg->relay_ca_file;
	case OPT_RELAY_USER: return cfg->relay_user;
	case OPT_RELAY_CACHE_DIR: return cfg->relay_cache_dir;
	default: return NULL;
	}
}

static void print_listen(const struct settings *cfg, FILE *out)
{
	for (size_t i = 0; i < cfg->n_listen; i++) {
		const struct sockaddr *sa = (const struct sockaddr *)&cfg->listen[i].addr;
		char host[INET6_ADDRSTRLEN] = "?";

		if (sa->sa_family == AF_INET6) {
			const struct sockaddr_in6 *s6 = (const void *)sa;

			inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
			fprintf(out, "listen = [%s]:%u\n", host, ntohs(s6->sin6_port));
		} else {
			const struct sockaddr_in *s4 = (const void *)sa;

			inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
			fprintf(out, "listen = %s:%u\n", host, ntohs(s4->sin_port));
		}
	}
}

/* Keys whose value is not a number, a switch or a plain string. */
static void print_special(const struct settings *cfg, int key, FILE *out)
{
	switch (key) {
	case 'l':
		print_listen(cfg, out);
		break;
	case OPT_REFUSE:
		for (int o = 0; o < TFTP_OPT_COUNT; o++)
			if (cfg->refused & (1u << o))
				fprintf(out, "refuse = %s\n", tftp_opt_name((enum tftp_opt)o));
		break;
	case 'B':
		if (cfg->blksize_mtu)
			fputs("blksize-max = mtu\n", out);
		else
			fprintf(out, "blksize-max = %u\n", cfg->blksize_max);
		break;
	case OPT_UMASK:
		fprintf(out, "umask = %03o\n", cfg->umask);
		break;
	case OPT_MAX_UPLOAD:
		if (cfg->max_upload != 0)
			fprintf(out, "max-upload-size = %llu\n", (unsigned long long)cfg->max_upload);
		break;
	case OPT_RELAY_MAX_SIZE:
		fprintf(out, "relay-max-size = %llu\n", (unsigned long long)cfg->relay_max_size);
		break;
	case OPT_RELAY_CACHE_SIZE:
		fprintf(out, "relay-cache-size = %llu\n", (unsigned long long)cfg->relay_cache_size);
		break;
	case OPT_LOG_FORMAT:
		fprintf(out, "log-format = %s\n", cfg->log_format == LOG_FORMAT_JSON ? "json" : "text");
		break;
	default:
		break;
	}
}

static void print_lines(const struct settings *cfg, enum setting_kind kind, FILE *out)
{
	const char *section = NULL;

	for (size_t i = 0; i < cfg->n_lines; i++) {
		const struct setting_line *l = &cfg->lines[i];

		if (l->kind != kind)
			continue;
		if (kind == SETTING_CLIENT && (section == NULL || strcmp(section, l->section) != 0)) {
			fprintf(out, "\n[client %s]\n", l->section);
			section = l->section;
		}
		fprintf(out, "%s = %s\n", l->key, l->value);
	}
}

static bool has_lines(const struct settings *cfg, enum setting_kind kind)
{
	for (size_t i = 0; i < cfg->n_lines; i++)
		if (cfg->lines[i].kind == kind)
			return true;
	return false;
}

void settings_print(const struct settings *cfg, FILE *out)
{
	fprintf(out, "# effective configuration%s%s\n[tftpd]\nroot = %s\n",
		cfg->config != NULL ? ", from " : "", cfg->config != NULL ? cfg->config : "",
		cfg->root);
	for (const struct option *o = long_options; o->name != NULL; o++) {
		const unsigned *n = number_at(cfg, o->val);
		const bool *b = switch_at(cfg, o->val);
		const char *str = string_at(cfg, o->val);

		if (n != NULL)
			fprintf(out, "%s = %u\n", o->name, *n);
		else if (b != NULL)
			fprintf(out, "%s = %s\n", o->name, *b ? "yes" : "no");
		else if (str != NULL)
			fprintf(out, "%s = %s\n", o->name, str);
		else
			print_special(cfg, o->val, out);
	}
	print_lines(cfg, SETTING_ACCESS, out);
	print_lines(cfg, SETTING_WRITE, out);
	if (has_lines(cfg, SETTING_ALIAS))
		fputs("\n[alias]\n", out);
	print_lines(cfg, SETTING_ALIAS, out);
	if (has_lines(cfg, SETTING_ALIAS_ONCE))
		fputs("\n[alias-once]\n", out);
	print_lines(cfg, SETTING_ALIAS_ONCE, out);
	print_lines(cfg, SETTING_CLIENT, out);
}

static const struct option *option_by_key(int c)
{
	for (const struct option *o = long_options; o->name != NULL; o++)
		if (o->val == c)
			return o;
	return NULL;
}

static void set_defaults(struct settings *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->root = DEFAULT_ROOT;
	cfg->retries = 6;
	cfg->spares = 2;
	cfg->max_transfers = 1024;
	cfg->max_requests = 4096;
	cfg->child_linger_s = 5;
	cfg->initial_window = 4;
	cfg->grace_s = 30;
	cfg->idle_timeout_s = 900;
	cfg->metrics_interval_s = 15;
	cfg->blksize_max = TFTP_BLKSIZE_MAX;
	cfg->blksize_mtu = true;
	cfg->windowsize_max = 64;
	cfg->retransmit_min_ms = 1;
	cfg->retransmit_max_ms = 5000;
	cfg->deadline_s = 3600;
	cfg->umask = 022;
	cfg->log_format = LOG_FORMAT_TEXT;
	cfg->state_dir = DEFAULT_STATE_DIR;
	cfg->penalty_malformed_s = 1;
	cfg->penalty_crash_s = 90;
	cfg->relay_max_fetches = 16;
	cfg->relay_max_size = 1ull << 30;
	cfg->relay_timeout_s = 60;
	cfg->relay_cache_size = 1ull << 30;
	cfg->penalty_min_s = 15;
	cfg->penalty_max_s = 600;
}

/* First pass: --help, --version, malformed options and --config, so that
 * the file is read before the command line overrides it. */
static int find_config(int argc, char **argv, struct settings *cfg)
{
	int c;

	while ((c = getopt_long(argc, argv, SHORT_OPTIONS, long_options, NULL)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage_text, stdout);
			return EXIT_OK;
		case 'V':
			puts("tftpd (" PACKAGE_NAME ") " PACKAGE_VERSION);
			return EXIT_OK;
		case 'f':
			cfg->config = optarg;
			break;
		case '?':
		case ':':
			fputs("Try 'tftpd --help' for more information.\n", stderr);
			return EXIT_USAGE;
		}
	}
	return -1;
}

static int apply_args(struct parser *p, int argc, char **argv)
{
	int c;

	optind = 0; /* glibc: start over, from argv[1] */
	while ((c = getopt_long(argc, argv, SHORT_OPTIONS, long_options, NULL)) != -1) {
		const struct option *o = option_by_key(c);
		int r;

		if (c == 'f')
			continue;
		if (o == NULL)
			return EXIT_USAGE; /* cannot happen: the first pass checked */
		r = apply(p, o, optarg);
		if (r >= 0)
			return r;
	}
	if (argc - optind > 1)
		return usage_error("one ROOT directory at most, not also '%s'", argv[optind + 1]);
	if (optind < argc)
		p->cfg->root = argv[optind];
	return -1;
}

static int parse_all(int argc, char **argv, int dir_fd, const char *base, struct settings *cfg)
{
	struct parser p = { .cfg = cfg, .status = -1, .dir_fd = dir_fd, .base = base };
	int r;

	set_defaults(cfg);
	r = find_config(argc, argv, cfg);
	if (r >= 0)
		return r;
	if (cfg->config != NULL && (r = load_file(&p, cfg->config)) >= 0)
		return r;
	r = apply_args(&p, argc, argv);
	if (r >= 0)
		return r;
	if (cfg->retransmit_min_ms > cfg->retransmit_max_ms)
		return usage_error("retransmit-min (%u ms) is above retransmit-max (%u ms)",
				   cfg->retransmit_min_ms, cfg->retransmit_max_ms);
	if (cfg->penalty_max_s != 0 && cfg->penalty_min_s > cfg->penalty_max_s)
		return usage_error("penalty-min (%u s) is above penalty-max (%u s)",
				   cfg->penalty_min_s, cfg->penalty_max_s);
	if (cfg->map_test != NULL && cfg->map_client == NULL)
		return usage_error("--map-test needs --client=ADDR");
	/* Clients name files by the root's absolute path too. */
	if (dir_fd < 0)
		cfg->root_path = realpath(cfg->root, NULL);
	return -1;
}

int settings_parse_args(int argc, char **argv, struct settings *cfg)
{
	return parse_all(argc, argv, -1, NULL, cfg);
}

int settings_reload(int argc, char **argv, int config_dir_fd, const char *config_base,
		    struct settings *cfg)
{
	optind = 0;
	return parse_all(argc, argv, config_dir_fd, config_base, cfg);
}
