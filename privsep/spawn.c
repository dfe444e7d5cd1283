/*
 * spawn.c - forking jailed children and checking what they say.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "caps.h"
#include "child.h"
#include "spawn.h"

int spawn_child(struct child *c, const struct jail_config *cfg, int stderr_fd)
{
	int sv[2];
	pid_t pid;

	/* SEQPACKET: message boundaries, and EOF when the other end dies. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		int r = -errno;

		close(sv[0]);
		close(sv[1]);
		return r;
	}
	if (pid == 0) {
		sigset_t none;

		/* The monitor blocks its signals for signalfd; a child
		 * must stay killable and must not inherit that. */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (stderr_fd >= 0 && dup2(stderr_fd, STDERR_FILENO) < 0)
			_exit(CHILD_EXIT_JAIL);
		close(sv[0]);
		child_main(sv[1], cfg);
	}
	close(sv[1]);
	*c = (struct child){ .state = CHILD_STARTING, .pid = pid, .sock = sv[0] };
	return 0;
}

/* Which message a child may send in its current state. */
static bool permitted(const struct child *c, const struct psep_msg *m)
{
	switch (m->type) {
	case PSEP_MSG_READY:
		return !c->ready && (c->state == CHILD_STARTING || c->state == CHILD_BUSY);
	case PSEP_MSG_RESULT:
		return c->state == CHILD_BUSY && c->ready && m->result.transfer_id == c->job_id;
	default:
		return false; /* a child never sends a JOB */
	}
}

int spawn_receive(struct child *c, struct psep_msg *ret_msg)
{
	int fds[PSEP_MSG_MAX_FDS];
	int r = psep_msg_recv(c->sock, ret_msg, fds);

	if (r == -ECONNRESET || r == -EAGAIN)
		return r;
	if (r < 0)
		return -EPROTO;
	if (!permitted(c, ret_msg)) {
		/* A JOB out of a child carries descriptors: never keep them. */
		for (int i = 0; i < psep_msg_nfds(ret_msg->type); i++)
			close(fds[i]);
		return -EPROTO;
	}
	if (ret_msg->type == PSEP_MSG_READY) {
		c->ready = true;
		if (c->state == CHILD_STARTING)
			c->state = CHILD_IDLE;
	} else {
		c->state = CHILD_IDLE;
		c->job_id = 0;
	}
	return 0;
}

int spawn_send_job(struct child *c, const struct psep_job *job, const int fds[2])
{
	struct psep_msg m = { .type = PSEP_MSG_JOB, .job = *job };
	int r;

	if (c->state != CHILD_IDLE && c->state != CHILD_STARTING)
		return -EBUSY;
	r = psep_msg_send(c->sock, &m, fds, 2);
	if (r < 0)
		return r;
	c->state = CHILD_BUSY;
	c->job_id = job->transfer_id;
	return 0;
}

void spawn_kill(struct child *c, bool need_kill_cap)
{
	if (c->pid <= 0)
		return;
	c->state = CHILD_EXITING;
	if (need_kill_cap && caps_raise(CAP_KILL) < 0)
		return;
	kill(c->pid, SIGKILL);
	if (need_kill_cap)
		caps_lower(CAP_KILL);
}

void spawn_close(struct child *c)
{
	if (c->sock >= 0) {
		close(c->sock);
		c->sock = -1;
	}
}
