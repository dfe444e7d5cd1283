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
	"  -B, --blksize-max=N|mtu    largest block size granted (8..65464, default\n"
	"                             65464); mtu: the path MTU minus headers\n"
	"  -W, --windowsize-max=N     largest window granted (1..65535, default 64)\n"
	"      --refuse=OPTION        ignore one option (blksize, tsize, timeout,\n"
	"                             windowsize, rollover, utimeout); repeatable\n"
	"      --retransmit-min=MS    shortest adaptive retransmission timeout (1..255000,\n"
	"                             default 10)\n"
	"      --retransmit-max=MS    longest one (default 5000)\n"
	"  -r, --retries=N            resends of one packet before giving up (1..255,\n"
	"                             default 6)\n"
	"      --deadline=SECONDS     no transfer runs longer (1..86400, default 3600)\n"
	"\n"
	"Uploads (refused unless -c or --overwrite):\n"
	"  -c, --create               uploads may create new files\n"
	"      --overwrite            uploads may replace existing files (atomically)\n"
	"      --umask=MASK           umask of uploaded files (octal, default 022)\n"
	"      --max-upload-size=SIZE largest upload, in bytes or with K, M, G\n"
	"                             (default: no limit)\n"
	"\n"
	"Service:\n"
	"      --spares=N             jailed children kept ready (1..64, default 2)\n"
	"      --max-transfers=N      transfers at once (1..4096, default 64)\n"
	"      --grace=SECONDS        on SIGTERM, let transfers finish this long\n"
	"                             (0..3600, default 30)\n"
	"      --idle-timeout=SECONDS started by inetd: exit after this long without\n"
	"                             requests or transfers (1..86400, default 900)\n"
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
	OPT_ROOT, /* the file's "root"; ROOT on the command line */
};

#define SHORT_OPTIONS "f:l:u:J:B:W:r:cvhV"

static const struct option long_options[] = {
	{ "config", required_argument, NULL, 'f' },
	{ "listen", required_argument, NULL, 'l' },
	{ "user", required_argument, NULL, 'u' },
	{ "jail-user", required_argument, NULL, 'J' },
	{ "blksize-max", required_argument, NULL, 'B' },
	{ "windowsize-max", required_argument, NULL, 'W' },
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
	{ "grace", required_argument, NULL, OPT_GRACE },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
	{ "verbose", no_argument, NULL, 'v' },
	{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
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
	{ OPT_MAX_TRANSFERS, 1, 4096, offsetof(struct settings, max_transfers) },
	{ OPT_GRACE, 0, 3600, offsetof(struct settings, grace_s) },
	{ OPT_IDLE_TIMEOUT, 1, 86400, offsetof(struct settings, idle_timeout_s) },
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
	int status;        /* -1 while all is well, else the exit status */
};

/* The first problem, located: "--NAME: ..." or "FILE:LINE: NAME: ...". */
__attribute__((format(printf, 3, 4))) static int bad_value(const struct parser *p,
							  const char *name,
							  const char *fmt, ...)
{
	va_list ap;

	if (p->file != NULL)
		fprintf(stderr, "tftpd: %s:%u: %s: ", p->file, p->line, name);
	else
		fprintf(stderr, "tftpd: --%s: ", name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(p->file != NULL ? "\n" : "\nTry 'tftpd --help' for more information.\n", stderr);
	return EXIT_USAGE;
}

__attribute__((format(printf, 1, 2))) static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("tftpd: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'tftpd --help' for more information.\n", stderr);
	return EXIT_USAGE;
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
	copy = strdup(arg);
	if (copy == NULL) {
		fputs("tftpd: out of memory\n", stderr);
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
			return o->val == 'f' || o->val == 'h' || o->val == 'V' ? NULL : o;
	for (const struct option *o = file_only_keys; o->name != NULL; o++)
		if (strcmp(o->name, name) == 0)
			return o;
	return NULL;
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
	return str;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parser *p = user;
	const struct option *o;

	if (p->status >= 0)
		return 0; /* one message is enough */
	if (section[0] != '\0' && strcmp(section, "tftpd") != 0) {
		fprintf(stderr, "tftpd: %s:%u: unknown section [%s]: settings go before any "
			"section or under [tftpd]\n", p->file, p->line, section);
		p->status = EXIT_USAGE;
		return 0;
	}
	o = file_key(name);
	if (o == NULL) {
		fprintf(stderr, "tftpd: %s:%u: unknown key '%s'\n", p->file, p->line, name);
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
	p->fp = fopen(path, "re");
	if (p->fp == NULL) {
		fprintf(stderr, "tftpd: cannot read %s: %s\n", path, strerror(errno));
		return EXIT_USAGE;
	}
	r = ini_parse_stream(read_line, p, on_key, p);
	fclose(p->fp);
	p->fp = NULL;
	if (p->status >= 0)
		return p->status;
	if (p->read_errno != 0) {
		fprintf(stderr, "tftpd: cannot read %s: %s\n", path, strerror(p->read_errno));
		return EXIT_USAGE;
	}
	if (p->too_long) {
		fprintf(stderr, "tftpd: %s:%u: line longer than %d characters\n", path, p->line,
			INI_MAX_LINE - 1);
		return EXIT_USAGE;
	}
	if (r != 0) {
		fprintf(stderr, "tftpd: %s:%d: not 'key = value', '[section]' or a comment\n",
			path, r);
		return EXIT_USAGE;
	}
	p->file = NULL;
	return -1;
}

/* ---- the command line ------------------------------------------------- */

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
	cfg->max_transfers = 64;
	cfg->grace_s = 30;
	cfg->idle_timeout_s = 900;
	cfg->blksize_max = TFTP_BLKSIZE_MAX;
	cfg->windowsize_max = 64;
	cfg->retransmit_min_ms = 10;
	cfg->retransmit_max_ms = 5000;
	cfg->deadline_s = 3600;
	cfg->umask = 022;
	cfg->log_format = LOG_FORMAT_TEXT;
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

int settings_parse_args(int argc, char **argv, struct settings *cfg)
{
	struct parser p = { .cfg = cfg, .status = -1 };
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
	return -1;
}
