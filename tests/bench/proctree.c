/*
 * proctree.c - CPU time and memory of a server and all its descendants,
 * for the benchmark.
 *
 * Servers differ in shape: one process (dnsmasq), one process with a
 * thread per transfer (atftpd), a process per transfer (tftp-hpa), a
 * monitor with jailed children (ours). Both figures are taken over the
 * whole tree so that the shapes compare:
 *
 *   proctree cpu PID       CPU seconds (user + system) of PID and every live
 *                          descendant, including what their children that
 *                          already exited and were reaped used (cutime,
 *                          cstime). The benchmark takes the difference of
 *                          two readings around a run.
 *   proctree pss PID [MS]  sample every MS milliseconds (default 50) until
 *                          SIGTERM or SIGINT, or PID is gone; print the peak
 *                          of the summed Pss (proportional set size: shared
 *                          pages divided among the processes that share
 *                          them, so a pool of forked children is not
 *                          counted once per child) and the process count
 *                          at that peak.
 *
 * The tree is walked through /proc/PID/task/TID/children, so a sample
 * costs a few reads per process rather than a scan of all of /proc.
 * Output: one line of key=value pairs. Exit status 0, 1 when PID does not
 * exist at the start, 2 for bad usage.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

enum {
	RC_OK = 0,
	RC_GONE = 1,
	RC_USAGE = 2,
};

#define PIDS_MAX 65536
#define INTERVAL_MS_DEFAULT 50
#define INTERVAL_MS_MAX 60000
#define PID_MAX_VALUE 4194304 /* PID_MAX_LIMIT on 64-bit */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	stop = 1;
}

/* Read a small /proc file into buf (NUL-terminated); length or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}

/* Append the children of every thread of pid to the list. */
static void add_children(pid_t pid, pid_t *list, size_t *n)
{
	char path[64], buf[16384];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return; /* gone meanwhile */
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/children", (int)pid, de->d_name);
		if (read_small(path, buf, sizeof(buf)) <= 0)
			continue;
		for (char *p = buf, *tok; (tok = strsep(&p, " \n")) != NULL;) {
			uint64_t v;
			if (*tok && parse_bounded(tok, 1, PID_MAX_VALUE, &v) == 0 && *n < PIDS_MAX)
				list[(*n)++] = (pid_t)v;
		}
	}
	closedir(d);
}

/* pid and its descendants, breadth first; returns how many. */
static size_t tree(pid_t root, pid_t *list)
{
	size_t n = 0;

	list[n++] = root;
	for (size_t i = 0; i < n; i++)
		add_children(list[i], list, &n);
	return n;
}

/* Fields 14-17 of /proc/PID/stat (utime stime cutime cstime), in ticks.
 * The command name (field 2) may hold spaces and parentheses: fields are
 * counted from the last ')'. */
static int stat_ticks(pid_t pid, uint64_t *ret)
{
	char path[64], buf[4096];
	unsigned long long t[4];
	char *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return -ENOENT;
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 1,
			 " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu",
			 &t[0], &t[1], &t[2], &t[3]) != 4)
		return -EINVAL;
	*ret = t[0] + t[1] + t[2] + t[3];
	return 0;
}

/* The "Pss:" line of /proc/PID/smaps_rollup, in KiB. */
static int pss_kib(pid_t pid, uint64_t *ret)
{
	char path[64], buf[4096];
	const char *p;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return -ENOENT; /* gone, or a kernel thread */
	p = strstr(buf, "\nPss:");
	if (!p)
		return -EINVAL;
	*ret = strtoull(p + 5, NULL, 10);
	return 0;
}

static int cmd_cpu(pid_t root, pid_t *list)
{
	uint64_t total = 0, t;
	size_t n = tree(root, list);
	long hz = sysconf(_SC_CLK_TCK);

	if (stat_ticks(root, &t) < 0)
		return RC_GONE;
	for (size_t i = 0; i < n; i++)
		if (stat_ticks(list[i], &t) == 0)
			total += t;
	printf("cpu_s=%.3f procs=%zu\n", (double)total / (double)(hz > 0 ? hz : 100), n);
	return RC_OK;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL); /* a signal cuts it short: that is the stop */
}

static int cmd_pss(pid_t root, pid_t *list, unsigned interval_ms)
{
	uint64_t peak = 0, v;
	size_t peak_procs = 0, samples = 0;
	struct sigaction sa = {.sa_handler = on_signal};

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (kill(root, 0) < 0 && errno == ESRCH)
		return RC_GONE;
	while (!stop) {
		size_t n = tree(root, list);
		uint64_t sum = 0;
		if (pss_kib(root, &v) < 0)
			break; /* the server is gone */
		for (size_t i = 0; i < n; i++)
			if (pss_kib(list[i], &v) == 0)
				sum += v;
		samples++;
		if (sum > peak) {
			peak = sum;
			peak_procs = n;
		}
		sleep_ms(interval_ms);
	}
	printf("peak_pss_kib=%" PRIu64 " peak_procs=%zu samples=%zu\n", peak, peak_procs,
	       samples);
	return RC_OK;
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: proctree cpu PID\n"
		     "       proctree pss PID [INTERVAL_MS]\n"
		     "CPU seconds, or the peak summed Pss, of PID and all its descendants.\n");
}

int main(int argc, char **argv)
{
	static pid_t list[PIDS_MAX];
	uint64_t pid, ms = INTERVAL_MS_DEFAULT;

	if (argc < 3 || parse_bounded(argv[2], 1, PID_MAX_VALUE, &pid) < 0) {
		usage(stderr);
		return RC_USAGE;
	}
	if (strcmp(argv[1], "cpu") == 0 && argc == 3)
		return cmd_cpu((pid_t)pid, list);
	if (strcmp(argv[1], "pss") == 0 && argc <= 4) {
		if (argc == 4 && parse_bounded(argv[3], 1, INTERVAL_MS_MAX, &ms) < 0) {
			usage(stderr);
			return RC_USAGE;
		}
		return cmd_pss((pid_t)pid, list, (unsigned)ms);
	}
	usage(stderr);
	return RC_USAGE;
}
