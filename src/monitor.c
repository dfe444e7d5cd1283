/*
 * monitor.c - the privileged parent's event loop: sockets, signals,
 * timers, start-up and shutdown.
 *
 * What happens to a request is serve.c's business, which child runs it
 * pool.c's; this file only waits, and tells them what happened: a datagram
 * on a listener or on a transfer socket, a message from a child, a child's
 * exit, a timer running out, a signal.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "loop.h"
#include "metrics-file.h"
#include "monitor.h"
#include "notify.h"
#include "pool.h"
#include "private-mem.h"
#include "serve.h"
#include "timer-heap.h"
#include "util.h"

#define STARTUP_WAIT_MS 5000       /* for the first children to be jailed */
#define STATUS_INTERVAL_US 1000000 /* systemd STATUS= at most once a second */
#define EVENTS_MAX 64
#define BATCHES_PER_WAKE 8         /* a flood on one socket cannot starve the rest */

struct loop {
	int epfd;
	struct timer_heap timers; /* transfers' keys first, then children's */
	size_t n_transfers;
};

struct monitor {
	const struct monitor_setup *setup;
	const struct settings *s;
	struct loop loop;
	struct pool pool;
	struct serve serve;
	int sigfd;
	bool stopping;
	bool killed_all;
	uint64_t stop_deadline_us;
	uint64_t last_activity_us;
	bool status_pending;       /* STATUS= changed but was sent < 1 s ago */
	uint64_t status_sent_us;
	uint64_t status_finished;  /* serve.finished when STATUS= was last sent */
	uint64_t watchdog_usec;    /* WATCHDOG=1 this often; 0: never */
	uint64_t watchdog_next_us;
	uint64_t metrics_next_us;  /* the metrics file is written again then */
	struct listen_batch batch;
};

/* ---- the loop's services (loop.h) ------------------------------------ */

static uint64_t ev_data(enum loop_kind kind, uint32_t index)
{
	return ((uint64_t)kind << 32) | index;
}

int loop_watch(struct loop *l, int fd, enum loop_kind kind, uint32_t index)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = ev_data(kind, index) };

	return epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

void loop_unwatch(struct loop *l, int fd)
{
	(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, fd, NULL);
}

static uint32_t timer_key(const struct loop *l, enum loop_kind kind, uint32_t index)
{
	return kind == LOOP_TRANSFER ? index : (uint32_t)l->n_transfers + index;
}

void loop_timer_set(struct loop *l, enum loop_kind kind, uint32_t index, uint64_t at)
{
	timer_heap_set(&l->timers, timer_key(l, kind, index), at);
}

void loop_timer_clear(struct loop *l, enum loop_kind kind, uint32_t index)
{
	timer_heap_clear(&l->timers, timer_key(l, kind, index));
}

/* ---- systemd's status line ------------------------------------------- */

/* prefix: "" or "READY=1\n", which goes in the same datagram. */
static void send_status(struct monitor *m, const char *prefix)
{
	char text[320], counters[192];

	metrics_counters_line(&m->serve.metrics, counters, sizeof(counters));
	snprintf(text, sizeof(text),
		 "%sSTATUS=Serving: %zu transfers active, %zu waiting, %llu finished (%s)", prefix,
		 m->serve.running, m->serve.waiting, (unsigned long long)m->serve.finished,
		 counters);
	(void)notify_send(text);
	m->status_pending = false;
	m->status_sent_us = now_usec();
	m->status_finished = m->serve.finished;
}

/* ---- the metrics file ------------------------------------------------ */

static bool metrics_on(const struct monitor *m)
{
	return m->setup->metrics->dir_fd >= 0;
}

/* The gauges are read now; the counters are serve.c's. */
static void write_metrics(struct monitor *m)
{
	struct metrics *x = &m->serve.metrics;

	if (!metrics_on(m))
		return;
	x->active = m->serve.running;
	x->queued = m->serve.waiting;
	for (unsigned c = 0; c < METRICS_CHILD_STATES; c++)
		x->children[c] = pool_count(&m->pool, (enum child_state)(CHILD_STARTING + c));
	(void)metrics_file_write(m->setup->metrics, x);
	/* metrics-interval may change on a reload: read at every write. */
	m->metrics_next_us = now_usec() + (uint64_t)m->s->metrics_interval_s * 1000000;
}

/* ---- listeners --------------------------------------------------------- */

static void on_listener(struct monitor *m, size_t li)
{
	const struct listener *l = &m->setup->listeners[li];

	for (int round = 0; round < BATCHES_PER_WAKE && !m->stopping; round++) {
		int n = listen_recv_batch(l, &m->batch);

		if (n <= 0)
			return;
		m->last_activity_us = now_usec();
		for (size_t i = 0; i < m->batch.n; i++)
			if (m->batch.len[i] >= 0) /* oversized or without packet info: dropped */
				serve_request(&m->serve, li, m->batch.buf[i], (size_t)m->batch.len[i],
					      &m->batch.addr[i]);
		if (m->batch.n < LISTEN_BATCH)
			return;
	}
}

/* ---- children ---------------------------------------------------------- */

static void reap_children(struct monitor *m)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		uint32_t ci = pool_find_pid(&m->pool, pid);

		if (pid == m->serve.relay.pid) {
			serve_relay_exited(&m->serve, status);
			continue;
		}
		if (ci == POOL_NONE)
			continue;
		serve_on_child_exit(&m->serve, ci, status);
		if (pool_reaped(&m->pool, ci) && !m->stopping)
			log_msg(LOG_ERR, "transfer child %d %s %d before its jail was ready",
				(int)pid, WIFSIGNALED(status) ? "killed by signal" : "exited with",
				WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	}
	m->last_activity_us = now_usec();
	serve_dispatch(&m->serve);
}

/* ---- signals and shutdown --------------------------------------------- */

static void begin_stop(struct monitor *m, const char *why)
{
	if (m->stopping) {
		log_msg(LOG_NOTICE, "%s again: ending transfers now", why);
		m->stop_deadline_us = 0;
		return;
	}
	m->stopping = true;
	m->stop_deadline_us = now_usec() + (uint64_t)m->s->grace_s * 1000000;
	(void)notify_send("STOPPING=1\nSTATUS=Stopping: letting transfers in flight finish");
	for (size_t i = 0; i < m->setup->n_listeners; i++)
		loop_unwatch(&m->loop, m->setup->listeners[i].fd);
	serve_stop(&m->serve);
	/* Idle children read end-of-stream and exit. */
	pool_stop(&m->pool);
	log_msg(LOG_NOTICE, "%s: no new requests; %zu transfers may finish within %u s", why,
		m->serve.running + m->serve.waiting, m->s->grace_s);
}

static void complain_to_log(const char *msg)
{
	log_msg(LOG_ERR, "reload: %s", msg);
}

/* SIGHUP: the new configuration and its policy (aliases, map file, access
 * lists) replace the old ones between two events, whole or not at all;
 * transfers in flight keep what they were given. */
static void reload(struct monitor *m)
{
	const struct monitor_setup *ms = m->setup;
	struct settings *live = ms->settings, fresh, old;
	struct policy policy;

	if (m->stopping)
		return;
	(void)notify_send("RELOADING=1\nSTATUS=reloading the configuration\n");
	if (reload_read(&ms->reload, &fresh) < 0) {
		log_msg(LOG_ERR, "reload: the new configuration has errors: the one in use is kept");
	} else {
		reload_keep_fixed(live, &fresh);
		if (reload_build_policy(&ms->reload, &fresh, ms->state_dir, &policy,
					complain_to_log) < 0) {
			settings_free(&fresh);
			log_msg(LOG_ERR, "reload: the new configuration has errors: the one in use "
				"is kept");
		} else {
			old = *live;
			*live = fresh;
			settings_free(&old);
			policy_free(ms->policy);
			*ms->policy = policy;
			serve_settings_changed(&m->serve);
			log_msg(LOG_NOTICE, "reload: configuration read again%s%s",
				live->config != NULL ? " from " : "",
				live->config != NULL ? live->config : "");
		}
	}
	m->status_finished = UINT64_MAX; /* STATUS= again */
	(void)notify_send("READY=1\n");
}

static void on_signal(struct monitor *m)
{
	struct signalfd_siginfo si;

	while (read(m->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap_children(m);
			break;
		case SIGTERM:
			begin_stop(m, "SIGTERM");
			break;
		case SIGINT:
			begin_stop(m, "SIGINT");
			break;
		case SIGHUP:
			reload(m);
			break;
		}
	}
}

/* ---- timers ------------------------------------------------------------ */

static void earliest(uint64_t *at, uint64_t t)
{
	if (t < *at)
		*at = t;
}

static uint64_t idle_deadline(const struct monitor *m)
{
	return m->last_activity_us + (uint64_t)m->s->idle_timeout_s * 1000000;
}

static bool inetd_idle_watch(const struct monitor *m)
{
	return !m->stopping && m->setup->mode == LISTEN_INETD && serve_active(&m->serve) == 0;
}

/* Milliseconds until the next timer, -1 for none. */
static int next_timeout_ms(const struct monitor *m)
{
	uint64_t now = now_usec(), at = UINT64_MAX, t;
	uint32_t key;

	if (timer_heap_first(&m->loop.timers, &key, &t))
		earliest(&at, t);
	if (m->stopping && !m->killed_all)
		earliest(&at, m->stop_deadline_us);
	if (inetd_idle_watch(m))
		earliest(&at, idle_deadline(m));
	if (m->status_pending)
		earliest(&at, m->status_sent_us + STATUS_INTERVAL_US);
	if (m->watchdog_usec > 0)
		earliest(&at, m->watchdog_next_us);
	if (metrics_on(m))
		earliest(&at, m->metrics_next_us);
	if (at == UINT64_MAX)
		return -1;
	if (at <= now)
		return 0;
	return at - now >= (uint64_t)INT_MAX * 1000 ? INT_MAX : (int)((at - now + 999) / 1000);
}

/* The records' timers that are due, in order. */
static void run_record_timers(struct monitor *m, uint64_t now)
{
	uint32_t key;
	uint64_t at;

	while (timer_heap_first(&m->loop.timers, &key, &at) && at <= now) {
		timer_heap_clear(&m->loop.timers, key);
		if (key < m->loop.n_transfers)
			serve_on_timer(&m->serve, key);
		else
			pool_on_timer(&m->pool, key - (uint32_t)m->loop.n_transfers);
	}
}

/* Run whatever timer is due. Called after every wake-up, not only on a
 * timeout: under steady traffic epoll never times out, and the watchdog
 * must still be fed. */
static void run_timers(struct monitor *m)
{
	uint64_t now = now_usec();

	run_record_timers(m, now);
	if (m->stopping && !m->killed_all && now >= m->stop_deadline_us) {
		log_msg(LOG_NOTICE, "grace period over: ending %zu transfers",
			m->serve.running + m->serve.waiting);
		serve_end_all(&m->serve);
		pool_kill_all(&m->pool);
		m->killed_all = true;
	}
	if (inetd_idle_watch(m) && now >= idle_deadline(m)) {
		log_msg(LOG_INFO, "idle for %u s: exiting so that inetd takes the socket back",
			m->s->idle_timeout_s);
		begin_stop(m, "idle");
	}
	if (m->serve.finished != m->status_finished)
		m->status_pending = notify_enabled();
	if (m->status_pending && now >= m->status_sent_us + STATUS_INTERVAL_US)
		send_status(m, "");
	if (m->watchdog_usec > 0 && now >= m->watchdog_next_us) {
		(void)notify_send("WATCHDOG=1");
		m->watchdog_next_us = now + m->watchdog_usec;
	}
	if (metrics_on(m) && now >= m->metrics_next_us)
		write_metrics(m);
}

/* ---- set-up and loop -------------------------------------------------- */

static int setup_signals(struct monitor *m)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	signal(SIGPIPE, SIG_IGN);
	m->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (m->sigfd < 0)
		return -errno;
	return loop_watch(&m->loop, m->sigfd, LOOP_SIGNAL, 0);
}

static void dispatch(struct monitor *m, const struct epoll_event *ev)
{
	uint32_t index = (uint32_t)ev->data.u64;

	switch ((enum loop_kind)(ev->data.u64 >> 32)) {
	case LOOP_LISTENER:
		on_listener(m, index);
		break;
	case LOOP_CHILD:
		if (m->pool.ch[index].c.sock >= 0)
			serve_on_child_message(&m->serve, index);
		break;
	case LOOP_TRANSFER:
		serve_on_socket(&m->serve, index);
		break;
	case LOOP_SIGNAL:
		on_signal(m);
		break;
	case LOOP_RELAY:
		serve_on_relay(&m->serve);
		break;
	}
}

static int wait_events(struct monitor *m, int timeout_ms)
{
	struct epoll_event evs[EVENTS_MAX];
	int n = epoll_wait(m->loop.epfd, evs, EVENTS_MAX, timeout_ms);

	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++)
		dispatch(m, &evs[i]);
	return n;
}

/* Wait until the first spares are jailed: a broken jail must stop the
 * start, not the first client. */
static int wait_for_pool(struct monitor *m)
{
	uint64_t until = now_usec() + STARTUP_WAIT_MS * 1000;

	while (pool_count(&m->pool, CHILD_IDLE) < m->s->spares) {
		uint64_t now = now_usec();

		if (m->pool.jail_failures > 0 || now >= until || m->stopping)
			return -ECHILD;
		if (wait_events(m, (int)((until - now) / 1000) + 1) < 0)
			return -errno;
	}
	return 0;
}

static void announce(const struct monitor *m)
{
	const struct monitor_setup *ms = m->setup;
	char addrs[512] = "", one[LISTEN_ADDR_TEXT_MAX];
	size_t used = 0;

	for (size_t i = 0; i < ms->n_listeners; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);

		if (getsockname(ms->listeners[i].fd, (struct sockaddr *)&ss, &len) < 0)
			continue;
		listen_addr_text((struct sockaddr *)&ss, one, sizeof(one));
		used += (size_t)snprintf(addrs + used, sizeof(addrs) - used, "%s%s", i ? " " : "",
					 one);
		if (used >= sizeof(addrs))
			break;
	}
	log_msg(LOG_INFO, "ready: serving %s on %s (monitor uid %u, children uid %u, %u spares)",
		ms->root_text, addrs, (unsigned)getuid(),
		(unsigned)(ms->jail.switch_ids ? ms->jail.uid : getuid()), m->s->spares);
}

/* Sockets, root and the first jailed children are there: tell systemd. */
static void notify_ready(struct monitor *m)
{
	write_metrics(m);
	send_status(m, "READY=1\n");
	m->watchdog_usec = notify_watchdog_interval_usec();
	m->watchdog_next_us = m->status_sent_us + m->watchdog_usec;
}

static int monitor_init(struct monitor *m, const struct monitor_setup *setup)
{
	const struct settings *s = setup->settings;
	size_t cap = (size_t)s->max_transfers + s->spares;

	struct timespec wall;

	memset(m, 0, sizeof(*m));
	m->setup = setup;
	m->s = s;
	m->sigfd = -1;
	m->last_activity_us = now_usec();
	m->loop.epfd = epoll_create1(EPOLL_CLOEXEC);
	if (m->loop.epfd < 0)
		return -errno;
	if (pool_init(&m->pool, &m->loop, &setup->jail, setup->child_stderr, setup->privileged,
		      cap, s->spares, s->child_linger_s) < 0 ||
	    serve_init(&m->serve, setup, &m->loop, &m->pool) < 0)
		return -ENOMEM;
	m->loop.n_transfers = m->serve.n;
	clock_gettime(CLOCK_REALTIME, &wall);
	m->serve.metrics.start_time_us = (uint64_t)wall.tv_sec * 1000000 +
					 (uint64_t)wall.tv_nsec / 1000;
	m->serve.metrics.version = PACKAGE_VERSION;
	if (timer_heap_init(&m->loop.timers, m->serve.n + m->pool.n_slots) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < setup->n_listeners; i++)
		if (loop_watch(&m->loop, setup->listeners[i].fd, LOOP_LISTENER, (uint32_t)i) < 0)
			return -errno;
	return setup_signals(m);
}

int monitor_run(const struct monitor_setup *setup)
{
	/* Every client's records and requests: no child inherits them. */
	struct monitor *m = private_calloc(1, sizeof(*m));
	int r;

	if (m == NULL || (r = monitor_init(m, setup)) < 0) {
		log_msg(LOG_ERR, "cannot set up the event loop: %s", strerror(m ? -r : ENOMEM));
		return EXIT_RUNTIME;
	}
	pool_refill(&m->pool);
	if (wait_for_pool(m) < 0) {
		log_msg(LOG_ERR, "transfer children could not be jailed: refusing to serve");
		pool_kill_all(&m->pool);
		return EXIT_RUNTIME;
	}
	announce(m);
	notify_ready(m);
	while (!m->stopping || pool_live(&m->pool) > 0 || serve_active(&m->serve) > 0) {
		r = wait_events(m, next_timeout_ms(m));
		if (r < 0) {
			log_msg(LOG_ERR, "event loop: %s", strerror(-r));
			return EXIT_RUNTIME;
		}
		run_timers(m);
	}
	/* The last figures: what a scraper reads until the next start. */
	write_metrics(m);
	log_msg(LOG_INFO, "stopped");
	return EXIT_OK;
}
