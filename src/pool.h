/*
 * pool.h - the monitor's jailed children: which child runs which client.
 *
 * The isolation rule: a child serves one client address for its whole
 * life. A fresh child is jailed before it is given anything; the first job
 * binds it to that job's client address, and from then on it only ever
 * gets jobs of that address, one at a time. Between jobs it holds no
 * descriptor of any client. A boot loader fetching forty files in a row so
 * costs one child, not forty; two clients never share one.
 *
 * Spare children (jailed, bound to no one) are kept ready so that a new
 * client never waits for fork and jail set-up. A child idle after a job
 * waits for its client's next request for --child-linger seconds, and is
 * retired earlier when its place is needed for another client.
 */
#ifndef CLOISTER_POOL_H
#define CLOISTER_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr-index.h"
#include "jail.h"
#include "loop.h"
#include "spawn.h"

#define POOL_NONE UINT32_MAX

struct pool_child {
	struct child c;        /* state, pid, socket (spawn.h) */
	bool bound;            /* has had a job: only `host` from now on */
	struct addr_key host;
	uint32_t transfer;     /* serve.c's record it runs, while BUSY (and, after
	                        * an upload, until it is reaped) */
	bool counted;          /* in pool.active */
	uint64_t since;        /* forked, or idle since */
	bool listed;           /* in the list of idle bound children, oldest first */
	uint32_t prev, next;
};

struct pool {
	struct loop *loop;
	const struct jail_config *jail;
	int child_stderr;
	bool privileged;       /* CAP_KILL is needed to signal a child */
	size_t cap;            /* children alive and not retired, at most */
	size_t spares;         /* spare children to keep ready */
	uint64_t linger_us;
	size_t n_slots;        /* cap, plus room for retired ones not reaped yet */
	struct pool_child *ch;
	struct addr_index by_host;
	uint32_t idle_head, idle_tail;
	size_t active;         /* STARTING, IDLE or BUSY */
	unsigned jail_failures; /* children in a row that died before READY */
	bool stopping;
};

/* Room for cap children. 0 or -ENOMEM. */
int pool_init(struct pool *p, struct loop *loop, const struct jail_config *jail,
	      int child_stderr, bool privileged, size_t cap, size_t spares, unsigned linger_s);

/* Fork children until `spares` unbound ones are ready or starting. */
void pool_refill(struct pool *p);

/*
 * A child for a job of host: an idle one of its own, else a spare, else a
 * new one (retiring the longest idle child of another host when the cap
 * is reached). It is bound to host. Returns its number, or POOL_NONE when
 * none can be had now.
 */
uint32_t pool_child_for(struct pool *p, const struct addr_key *host);

/* Hand the child a job with its fds (which stay the caller's); on failure
 * the child is killed. 0 or -errno. */
int pool_send_job(struct pool *p, uint32_t ci, const struct psep_job *job, const int fds[2],
		  uint32_t transfer);

/* The child answered its job: keep it for its host, or (after an upload,
 * which it leaves on its own) let it go. */
void pool_job_done(struct pool *p, uint32_t ci, bool upload);

/* Ask a child to go (it reads end-of-stream and exits), or kill it. */
void pool_retire(struct pool *p, uint32_t ci);
void pool_kill(struct pool *p, uint32_t ci);

/*
 * A message from child ci. READY is handled here; a RESULT is returned in
 * *ret_msg for the caller (1). 0: nothing more to do; -EPROTO: the child
 * broke the protocol and was killed; -ECONNRESET: it closed its end.
 */
int pool_on_message(struct pool *p, uint32_t ci, struct psep_msg *ret_msg);

/* The child's timer: its linger time is over, or it never got ready. */
void pool_on_timer(struct pool *p, uint32_t ci);

/* The child with this pid, or POOL_NONE. */
uint32_t pool_find_pid(const struct pool *p, pid_t pid);

/* It was reaped: free its slot. Returns whether it died before its jail
 * was ready (a jail failure). */
bool pool_reaped(struct pool *p, uint32_t ci);

/* No new children: retire the idle ones and the spares. */
void pool_stop(struct pool *p);

/* Kill every child. */
void pool_kill_all(struct pool *p);

/* Counts, for status lines and the start-up wait. */
size_t pool_count(const struct pool *p, enum child_state state);
size_t pool_live(const struct pool *p);

#endif
