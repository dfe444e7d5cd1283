/*
 * spawn.h - forking jailed children and checking what they say.
 *
 * Per-child state decides which message the monitor may accept from it
 * (OpenSSH MON_PERMIT style): READY once while starting, one RESULT after
 * each job, nothing else, ever. A child that sends anything out of turn is
 * killed.
 */
#ifndef CLOISTER_SPAWN_H
#define CLOISTER_SPAWN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "jail.h"
#include "msg.h"

enum child_state {
	CHILD_FREE = 0,     /* slot unused */
	CHILD_STARTING = 1, /* forked, jailing itself; READY expected */
	CHILD_IDLE = 2,     /* jailed and waiting for a job */
	CHILD_BUSY = 3,     /* job sent; RESULT expected */
	CHILD_EXITING = 4,  /* retired, killed or done with an upload: to be reaped */
};

struct child {
	enum child_state state;
	pid_t pid;
	int sock;           /* monitor's end of the socketpair, -1 once closed */
	bool ready;         /* READY received */
	uint32_t job_id;    /* the job it runs, while BUSY */
};

/*
 * Fork a child that runs child_main (it never returns there). The monitor
 * keeps the socketpair end in c->sock (close-on-exec; the monitor only
 * reads it when epoll says a message waits). When stderr_fd >= 0 it
 * becomes the child's fd 2 (so that a subverted child cannot write lines
 * into our log). Returns 0 or -errno.
 */
int spawn_child(struct child *c, const struct jail_config *cfg, int stderr_fd);

/*
 * Receive one message from c and check it is legal in c's state: READY
 * once, RESULT only while BUSY and only for the job it runs. Returns 0 with
 * *ret_msg filled (READY marks it ready and a STARTING child IDLE; RESULT
 * makes it IDLE), -ECONNRESET when the child closed its end, -EPROTO for a
 * message out of turn, for another job or malformed (the caller kills the
 * child), or -errno.
 */
int spawn_receive(struct child *c, struct psep_msg *ret_msg);

/* Send a job with its two fds to an IDLE or STARTING child; it becomes
 * BUSY. The fds stay owned by the caller. 0 or -errno. */
int spawn_send_job(struct child *c, const struct psep_job *job, const int fds[2]);

/* SIGKILL the child (raising CAP_KILL when need_kill_cap); it becomes
 * EXITING and stays in the table until reaped. */
void spawn_kill(struct child *c, bool need_kill_cap);

/* Close the monitor's end: an idle child reads end-of-stream and exits. */
void spawn_close(struct child *c);

#endif
