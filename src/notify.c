/*
 * notify.c - sd_notify over a socket connected before the chroot.
 *
 * sd_notify() looks NOTIFY_SOCKET up by path at every call, which fails
 * once the monitor is chrooted (unbound bind-mounts the socket
 * into its jail instead). A connected datagram socket keeps reaching the
 * same socket whatever our root is. systemd tells senders apart by the
 * credentials the kernel attaches (SO_PASSCRED on its side), so the
 * monitor, which is the main process, may send READY=1 from its jail.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

static int notify_fd = -1;
static uint64_t watchdog_usec;

/* "/run/systemd/notify" or "@abstract" into a socket address. */
static int notify_address(const char *name, struct sockaddr_un *ret, socklen_t *ret_len)
{
	size_t len = strlen(name);

	if ((name[0] != '/' && name[0] != '@') || len < 2 || len > sizeof(ret->sun_path))
		return -EINVAL;
	memset(ret, 0, sizeof(*ret));
	ret->sun_family = AF_UNIX;
	memcpy(ret->sun_path, name, len);
	if (name[0] == '@')
		ret->sun_path[0] = '\0'; /* abstract: no terminating NUL counted */
	else if (len == sizeof(ret->sun_path))
		return -EINVAL;          /* a path needs its NUL */
	*ret_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (name[0] == '/'));
	return 0;
}

static int connect_notify(const char *name)
{
	struct sockaddr_un sa;
	socklen_t len;
	int fd, r = notify_address(name, &sa, &len);

	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, len) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int notify_open(void)
{
	const char *name = getenv("NOTIFY_SOCKET");
	uint64_t usec = 0;
	int r;

	/* Checks WATCHDOG_PID against us and unsets both variables. */
	if (sd_watchdog_enabled(1, &usec) > 0)
		watchdog_usec = usec;
	if (name == NULL)
		return 0;
	r = connect_notify(name);
	if (r < 0) {
		log_msg(LOG_WARNING, "NOTIFY_SOCKET=%s: cannot connect (%s): systemd will not "
			"hear from us", name, strerror(-r));
		unsetenv("NOTIFY_SOCKET");
		watchdog_usec = 0;
		return r;
	}
	notify_fd = r;
	unsetenv("NOTIFY_SOCKET");
	return 0;
}

bool notify_enabled(void)
{
	return notify_fd >= 0;
}

uint64_t notify_watchdog_interval_usec(void)
{
	/* systemd's advice (sd_watchdog_enabled(3)): ping at half the limit. */
	return notify_fd >= 0 ? watchdog_usec / 2 : 0;
}

int notify_send(const char *text)
{
	if (notify_fd < 0)
		return 0;
	if (send(notify_fd, text, strlen(text), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}
