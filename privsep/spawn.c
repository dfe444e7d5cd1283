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

int spawn_child(struct child *c, const struct jail_ids *ids, int stderr_fd)
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
		child_main(sv[1], ids);
	}
	close(sv[1]);
	*c = (struct child){ .state = CHILD_STARTING, .pid = pid, .sock = sv[0] };
	return 0;
}

/* Which message a child may send in its current state. */
static bool permitted(const struct child *c, uint32_t type)
{
	switch (type) {
	case PSEP_MSG_READY:
		return !c->ready && (c->state == CHILD_STARTING || c->state == CHILD_BUSY);
	case PSEP_MSG_RESULT:
		return c->state == CHILD_BUSY && !c->reported;
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
	if (!permitted(c, ret_msg->type))
		return -EPROTO;
	if (ret_msg->type == PSEP_MSG_READY) {
		c->ready = true;
		if (c->state == CHILD_STARTING)
			c->state = CHILD_IDLE;
	} else {
		c->reported = true;
		c->state = CHILD_DONE;
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
	c->job_before_ready = !c->ready;
	c->state = CHILD_BUSY;
	return 0;
}

int spawn_send_commit(struct child *c, uint32_t transfer_id, uint16_t error)
{
	struct psep_msg m = { .type = PSEP_MSG_COMMIT,
			      .commit = { .transfer_id = transfer_id, .error = error } };

	if (c->state != CHILD_DONE || !c->reported)
		return -EBUSY;
	return psep_msg_send(c->sock, &m, NULL, 0);
}

void spawn_kill(struct child *c, bool need_kill_cap)
{
	if (c->pid <= 0)
		return;
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
