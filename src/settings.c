/*
 * settings.c - command line parsing.
 *
 * Numbers are parsed with parse_bounded, addresses with inet_pton only: no
 * name is resolved, so nothing here depends on NSS or the network.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settings.h"
#include "tftp-options.h"
#include "util.h"

#define TFTP_PORT 69

static const char usage_text[] =
	"Usage: tftpd [OPTION]... [ROOT]\n"
	"Serve the files under ROOT (default " DEFAULT_ROOT ") over TFTP.\n"
	"\n"
	"Sockets and users:\n"
	"  -l, --listen=ADDR[:PORT]   listen on ADDR (IPv6 as [ADDR]:PORT); port 69 by\n"
	"                             default; repeatable. Without it, the sockets come\n"
	"                             from systemd or inetd (fd 0).\n"
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
};

static const struct option long_options[] = {
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
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

/* Options that take a bounded decimal number, and where it goes. */
struct number_option {
	int key;
	const char *name;
	unsigned min, max;
	size_t offset;
};

static const struct number_option number_options[] = {
	{ 'r', "retries", 1, 255, offsetof(struct settings, retries) },
	{ 'W', "windowsize-max", 1, 65535, offsetof(struct settings, windowsize_max) },
	{ OPT_RETRANSMIT_MIN, "retransmit-min", 1, 255000,
	  offsetof(struct settings, retransmit_min_ms) },
	{ OPT_RETRANSMIT_MAX, "retransmit-max", 1, 255000,
	  offsetof(struct settings, retransmit_max_ms) },
	{ OPT_DEADLINE, "deadline", 1, 86400, offsetof(struct settings, deadline_s) },
	{ OPT_SPARES, "spares", 1, 64, offsetof(struct settings, spares) },
	{ OPT_MAX_TRANSFERS, "max-transfers", 1, 4096, offsetof(struct settings, max_transfers) },
	{ OPT_GRACE, "grace", 0, 3600, offsetof(struct settings, grace_s) },
	{ OPT_IDLE_TIMEOUT, "idle-timeout", 1, 86400, offsetof(struct settings, idle_timeout_s) },
};

static int parse_port(const char *s, unsigned *ret)
{
	uint64_t v;

	if (parse_bounded(s, 1, 65535, &v) < 0)
		return -ERANGE;
	*ret = (unsigned)v;
	return 0;
}

static int fill_v6(const char *host, unsigned port, struct listen_addr *ret)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ret->addr;

	memset(ret, 0, sizeof(*ret));
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((uint16_t)port);
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) != 1)
		return -EINVAL;
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
	char host[INET6_ADDRSTRLEN + 1];
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

static int parse_number(const struct number_option *o, const char *arg, struct settings *cfg)
{
	uint64_t v;

	if (parse_bounded(arg, o->min, o->max, &v) < 0) {
		fprintf(stderr, "tftpd: --%s: '%s' is not a number from %u to %u\n", o->name, arg,
			o->min, o->max);
		return EXIT_USAGE;
	}
	*(unsigned *)(void *)((char *)cfg + o->offset) = (unsigned)v;
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

static int parse_special(int c, const char *arg, struct settings *cfg)
{
	uint64_t v;
	int opt;

	switch (c) {
	case 'B':
		if (strcmp(arg, "mtu") == 0) {
			cfg->blksize_mtu = true;
			return -1;
		}
		if (parse_bounded(arg, TFTP_BLKSIZE_MIN, TFTP_BLKSIZE_MAX, &v) < 0)
			return usage_error("--blksize-max: '%s' is not 'mtu' or a number from "
					   "8 to 65464", arg);
		cfg->blksize_max = (unsigned)v;
		cfg->blksize_mtu = false;
		return -1;
	case OPT_REFUSE:
		opt = tftp_opt_from_name(arg);
		if (opt < 0)
			return usage_error("--refuse: unknown option '%s' (blksize, tsize, timeout, "
					   "windowsize, rollover, utimeout)", arg);
		cfg->refused |= 1u << opt;
		return -1;
	case OPT_UMASK: {
		char *end;
		unsigned long m;

		errno = 0;
		m = strtoul(arg, &end, 8);
		if (errno || *arg == '\0' || *end != '\0' || m > 0777)
			return usage_error("--umask: '%s' is not an octal mask from 0 to 0777", arg);
		cfg->umask = (unsigned)m;
		return -1;
	}
	case OPT_MAX_UPLOAD:
		if (parse_size(arg, &cfg->max_upload) < 0)
			return usage_error("--max-upload-size: '%s' is not a size such as "
					   "1048576, 512K, 100M or 4G", arg);
		return -1;
	}
	return EXIT_USAGE;
}

static int parse_one(int c, const char *arg, struct settings *cfg)
{
	for (size_t i = 0; i < sizeof(number_options) / sizeof(number_options[0]); i++)
		if (number_options[i].key == c)
			return parse_number(&number_options[i], arg, cfg);
	switch (c) {
	case 'l':
		if (cfg->n_listen == SETTINGS_LISTEN_MAX)
			return usage_error("too many --listen addresses (at most 16): %s", arg);
		if (settings_parse_listen(arg, TFTP_PORT, &cfg->listen[cfg->n_listen]) < 0)
			return usage_error("--listen: '%s' is not ADDR[:PORT] with a numeric "
					   "address and a port from 1 to 65535", arg);
		cfg->n_listen++;
		return -1;
	case 'u':
		cfg->user = arg;
		return -1;
	case 'J':
		cfg->jail_user = arg;
		return -1;
	case 'c':
		cfg->create = true;
		return -1;
	case OPT_OVERWRITE:
		cfg->overwrite = true;
		return -1;
	case 'v':
		cfg->verbose = true;
		return -1;
	case 'h':
		fputs(usage_text, stdout);
		return EXIT_OK;
	case 'V':
		puts("tftpd (" PACKAGE_NAME ") " PACKAGE_VERSION);
		return EXIT_OK;
	case 'B':
	case OPT_REFUSE:
	case OPT_UMASK:
	case OPT_MAX_UPLOAD:
		return parse_special(c, arg, cfg);
	default:
		fputs("Try 'tftpd --help' for more information.\n", stderr);
		return EXIT_USAGE;
	}
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
}

int settings_parse_args(int argc, char **argv, struct settings *cfg)
{
	int c;

	set_defaults(cfg);
	while ((c = getopt_long(argc, argv, "l:u:J:B:W:r:cvhV", long_options, NULL)) != -1) {
		int r = parse_one(c, optarg, cfg);

		if (r >= 0)
			return r;
	}
	if (argc - optind > 1)
		return usage_error("one ROOT directory at most, not also '%s'", argv[optind + 1]);
	if (optind < argc)
		cfg->root = argv[optind];
	if (cfg->retransmit_min_ms > cfg->retransmit_max_ms)
		return usage_error("--retransmit-min (%u ms) is above --retransmit-max (%u ms)",
				   cfg->retransmit_min_ms, cfg->retransmit_max_ms);
	return -1;
}
