/*
 * tftpc-progress.c - the progress bar and the --stats line, as text.
 *
 * The bar follows ntftp's (node-tftp): name, bytes so far, rate, time
 * left, the bar and the percentage, so that users moving from it find
 * the same figures in the same order.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tftpc-progress.h"

#define WIDTH_MIN 20u
#define WIDTH_MAX 512u
#define NAME_MAX_COLS 24u /* a long name leaves room for the figures */
#define BAR_MIN 10u

void tftpc_human_bytes(char *buf, size_t size, uint64_t n)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	size_t u = 0;

	if (n < 1024) {
		(void)snprintf(buf, size, "%" PRIu64 " B", n);
		return;
	}
	v /= 1024;
	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	(void)snprintf(buf, size, "%.1f %s", v, units[u]);
}

/* Bytes per second, 0 before any time passed. */
static uint64_t rate_of(const struct tftpc_figures *f)
{
	double r;

	if (f->elapsed_us == 0)
		return 0;
	/* In double, and saturated: converting a double too large for the
	 * integer is undefined (the fuzzer found a byte count that made one). */
	r = (double)f->bytes * 1e6 / (double)f->elapsed_us;
	return r >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)r;
}

/* "m:ss" (or "h:mm:ss"), "--:--" when there is nothing to go by. */
static void eta_text(char *buf, size_t size, const struct tftpc_figures *f, uint64_t rate)
{
	uint64_t left_s;

	if (rate == 0 || f->bytes > f->total) {
		(void)snprintf(buf, size, "--:--");
		return;
	}
	left_s = (f->total - f->bytes) / rate + ((f->total - f->bytes) % rate != 0);
	if (left_s >= 3600)
		(void)snprintf(buf, size, "%" PRIu64 ":%02u:%02u", left_s / 3600,
			       (unsigned)(left_s / 60 % 60), (unsigned)(left_s % 60));
	else
		(void)snprintf(buf, size, "%u:%02u", (unsigned)(left_s / 60), (unsigned)(left_s % 60));
}

/* The name, its head cut to a '~' beyond NAME_MAX_COLS columns; control
 * bytes (a name from the command line may hold any) are shown as '?'.
 * buf holds NAME_MAX_COLS + 1 bytes. */
static void name_text(char *buf, const char *name)
{
	size_t len = strlen(name), i = 0;

	if (len > NAME_MAX_COLS) {
		buf[i++] = '~';
		name += len - (NAME_MAX_COLS - 1);
	}
	for (; *name; name++) {
		unsigned char c = (unsigned char)*name;

		buf[i++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	buf[i] = '\0';
}

static unsigned percent_of(const struct tftpc_figures *f)
{
	if (f->total == 0 || f->bytes >= f->total)
		return 100;
	return (unsigned)(f->bytes * 100.0 / (double)f->total);
}

int tftpc_progress_line(char *buf, size_t size, const struct tftpc_figures *f, unsigned width)
{
	char name[NAME_MAX_COLS + 1], done[16], rate[24], eta[24];
	uint64_t r = rate_of(f);
	int n;

	width = width < WIDTH_MIN ? WIDTH_MIN : (width > WIDTH_MAX ? WIDTH_MAX : width);
	if (!buf || size < (size_t)width + 1)
		return -ENOBUFS;
	name_text(name, f->name ? f->name : "");
	tftpc_human_bytes(done, sizeof(done), f->bytes);
	tftpc_human_bytes(rate, sizeof(rate) - 2, r);
	strcat(rate, "/s");
	if (!f->total_known) {
		n = snprintf(buf, (size_t)width + 1, "%s  %s  %s", name, done, rate);
		return n > (int)width ? (int)width : n;
	}
	eta_text(eta, sizeof(eta), f, r);
	n = snprintf(buf, (size_t)width + 1, "%s  %s  %s  ETA %s ", name, done, rate, eta);
	if (n < 0)
		return -ENOBUFS;
	/* The bar takes what is left, "[...] 100%" being 7 columns more. */
	if ((unsigned)n + BAR_MIN + 7 <= width) {
		unsigned bar = width - (unsigned)n - 7, pct = percent_of(f);
		unsigned full = (unsigned)((uint64_t)bar * pct / 100);

		buf[n++] = '[';
		memset(buf + n, '#', full);
		memset(buf + n + full, '-', bar - full);
		n += (int)bar;
		n += snprintf(buf + n, size - (size_t)n, "] %3u%%", pct);
	} else if (n > (int)width) {
		n = (int)width;
	}
	buf[n] = '\0';
	return n;
}

int tftpc_stats_json(char *buf, size_t size, const struct tftpc_stats *s)
{
	int n = snprintf(buf, size,
			 "{\"op\":\"%s\",\"bytes\":%" PRIu64 ",\"seconds\":%.6f,\"blksize\":%" PRIu32
			 ",\"windowsize\":%" PRIu32 ",\"retransmissions\":%" PRIu32
			 ",\"rtt_ms\":%.3f,\"exit\":%d}",
			 s->op, s->bytes, (double)s->elapsed_us / 1e6, s->blksize, s->windowsize,
			 s->retransmits, (double)s->rtt_us / 1e3, s->status);

	return n < 0 || (size_t)n >= size ? -ENOBUFS : n;
}
