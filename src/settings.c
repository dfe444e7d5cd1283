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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settings.h"
#include "util.h"

#define TFTP_PORT 69

static const char usage_text[] =
	"Usage: tftpd [OPTION]... [ROOT]\n"
	"Serve the files under ROOT (default " DEFAULT_ROOT ") over TFTP.\n"
	"\n"
	"  -l, --listen=ADDR[:PORT]   listen on ADDR (IPv6 as [ADDR]:PORT); port 69 by\n"
	"                             default; repeatable. Without it, the sockets come\n"
	"                             from systemd or inetd (fd 0).\n"
	"  -u, --user=USER            run the monitor as USER (default tftp, else nobody)\n"
	"  -J, --jail-user=USER|UID   run transfer children as USER (default tftp-jail,\n"
	"                             else uid 65533); never root, never the monitor's\n"
	"  -r, --retries=N            resends of one packet before giving up (1..255,\n"
	"                             default 6)\n"
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
};

static const struct option long_options[] = {
	{ "listen", required_argument, NULL, 'l' },
	{ "user", required_argument, NULL, 'u' },
	{ "jail-user", required_argument, NULL, 'J' },
	{ "retries", required_argument, NULL, 'r' },
	{ "spares", required_argument, NULL, OPT_SPARES },
	{ "max-transfers", required_argument, NULL, OPT_MAX_TRANSFERS },
	{ "grace", required_argument, NULL, OPT_GRACE },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
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

static int parse_number(const char *name, const char *arg, uint64_t min, uint64_t max,
			unsigned *ret)
{
	uint64_t v;

	if (parse_bounded(arg, min, max, &v) < 0) {
		fprintf(stderr, "tftpd: --%s: '%s' is not a number from %llu to %llu\n", name, arg,
			(unsigned long long)min, (unsigned long long)max);
		return EXIT_USAGE;
	}
	*ret = (unsigned)v;
	return -1;
}

static int parse_one(int c, const char *arg, struct settings *cfg)
{
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
	case 'r':
		return parse_number("retries", arg, 1, 255, &cfg->retries);
	case OPT_SPARES:
		return parse_number("spares", arg, 1, 64, &cfg->spares);
	case OPT_MAX_TRANSFERS:
		return parse_number("max-transfers", arg, 1, 4096, &cfg->max_transfers);
	case OPT_GRACE:
		return parse_number("grace", arg, 0, 3600, &cfg->grace_s);
	case OPT_IDLE_TIMEOUT:
		return parse_number("idle-timeout", arg, 1, 86400, &cfg->idle_timeout_s);
	case 'v':
		cfg->verbose = true;
		return -1;
	case 'h':
		fputs(usage_text, stdout);
		return EXIT_OK;
	case 'V':
		puts("tftpd (" PACKAGE_NAME ") " PACKAGE_VERSION);
		return EXIT_OK;
	default:
		fputs("Try 'tftpd --help' for more information.\n", stderr);
		return EXIT_USAGE;
	}
}

int settings_parse_args(int argc, char **argv, struct settings *cfg)
{
	int c;

	memset(cfg, 0, sizeof(*cfg));
	cfg->root = DEFAULT_ROOT;
	cfg->retries = 6;
	cfg->spares = 2;
	cfg->max_transfers = 64;
	cfg->grace_s = 30;
	cfg->idle_timeout_s = 900;
	while ((c = getopt_long(argc, argv, "l:u:J:r:vhV", long_options, NULL)) != -1) {
		int r = parse_one(c, optarg, cfg);

		if (r >= 0)
			return r;
	}
	if (argc - optind > 1)
		return usage_error("one ROOT directory at most, not also '%s'", argv[optind + 1]);
	if (optind < argc)
		cfg->root = argv[optind];
	return -1;
}
