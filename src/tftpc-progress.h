/*
 * tftpc-progress.h - what tftpc shows of a transfer: the progress bar on a
 * terminal and the --stats line at the end.
 *
 * Pure: figures in, one line of text out. No I/O, no clock, no globals;
 * tftpc.c decides when to draw.
 */
#ifndef CLOISTER_TFTPC_PROGRESS_H
#define CLOISTER_TFTPC_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

struct tftpc_figures {
	const char *name;     /* shown as given, cut to fit */
	uint64_t bytes;       /* file bytes moved so far */
	uint64_t total;       /* file size, when total_known */
	int total_known;      /* tsize or the local file's size is known */
	uint64_t elapsed_us;  /* since the transfer began */
};

/*
 * The bar line, at most width columns (ASCII only; 20..512, else clamped):
 *   name  12.5 MiB  3.2 MiB/s  ETA 0:04 [########------------]  45%
 * Without a known total: name, bytes and rate. Returns its length
 * (< size), or -ENOBUFS when size is smaller than width + 1.
 */
int tftpc_progress_line(char *buf, size_t size, const struct tftpc_figures *f, unsigned width);

/* "12.5 MiB" style: B below 1 KiB, else KiB, MiB, GiB, TiB with one
 * decimal. buf holds at least 16 bytes. */
void tftpc_human_bytes(char *buf, size_t size, uint64_t n);

struct tftpc_stats {
	const char *op;        /* "get" or "put" */
	uint64_t bytes;
	uint64_t elapsed_us;
	uint32_t blksize;
	uint32_t windowsize;
	uint32_t retransmits;
	uint32_t rtt_us;       /* smoothed, 0 = unknown */
	int status;            /* the exit status */
};

/* The --stats line: one JSON object, no newline, e.g.
 * {"op":"get","bytes":1024,"seconds":0.012,"blksize":1468,...}.
 * Its length (< size), or -ENOBUFS. */
int tftpc_stats_json(char *buf, size_t size, const struct tftpc_stats *s);

#endif
