/*
 * listen.c - the listening sockets: where they come from, requests in
 * with their packet info, answers out from the address they were sent to.
 *
 * Every listening socket has SO_REUSEADDR, so that transfer sockets
 * (transfer-socket.c) can share its address and port.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "listen.h"
#include "log.h"
#include "tftp-packet.h"

static int set_int(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value)) < 0 ? -errno : 0;
}

char *listen_addr_text(const struct sockaddr *sa, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN], scope[IF_NAMESIZE + 1] = "";

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		/* An IPv4 client of a dual-stack socket is logged as what it
		 * is; a link-local one with its link, without which the
		 * address names no one. */
		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], host, sizeof(host));
			snprintf(buf, size, "%s:%u", host, ntohs(s6->sin6_port));
			return buf;
		}
		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		if (s6->sin6_scope_id != 0 && if_indextoname(s6->sin6_scope_id, scope + 1) != NULL)
			scope[0] = '%';
		snprintf(buf, size, "[%s%s]:%u", host, scope, ntohs(s6->sin6_port));
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		snprintf(buf, size, "%s:%u", host, ntohs(s4->sin_port));
	} else {
		snprintf(buf, size, "(family %d)", sa->sa_family);
	}
	return buf;
}

/* Is fd a UDP socket of a family we serve? 0, or -ENOTSOCK (not a
 * socket), -ESOCKTNOSUPPORT (not UDP: a stream, or a ping socket),
 * -EAFNOSUPPORT (neither IPv4 nor IPv6). */
static int check_udp(int fd, int *ret_family)
{
	int type, protocol, family;
	socklen_t len = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return -errno;
	len = sizeof(family);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &len) < 0)
		return -errno;
	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	len = sizeof(protocol);
	if (type != SOCK_DGRAM ||
	    getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) < 0 || protocol != IPPROTO_UDP)
		return -ESOCKTNOSUPPORT;
	*ret_family = family;
	return 0;
}

static const char *listen_fd_problem(int error)
{
	switch (error) {
	case -ENOTSOCK:
		return "not a socket";
	case -ESOCKTNOSUPPORT:
		return "a socket, but not a UDP one (a stream socket?)";
	case -EAFNOSUPPORT:
		return "a socket, but neither IPv4 nor IPv6";
	default:
		return strerror(-error);
	}
}

/* Check an inherited or new socket and prepare it for requests. */
static int adopt(int fd, struct listener *ret)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int family = 0, flags, r = check_udp(fd, &family);

	if (r < 0)
		return r;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -errno;
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;
	/* Transfer sockets share the port: both sides need SO_REUSEADDR, and
	 * it may be set after bind. */
	if (set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1) < 0 || set_int(fd, IPPROTO_IP, IP_PKTINFO, 1) < 0)
		return -errno;
	/* IP_PKTINFO also covers IPv4 clients on a dual-stack IPv6 socket. */
	if (family == AF_INET6 && set_int(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1) < 0)
		return -errno;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return -errno;
	/* A burst of requests arrives faster than any loop reads it. Root
	 * may force a buffer past net.core.rmem_max (systemd's ReceiveBuffer=
	 * does the same for its sockets); otherwise the kernel's maximum. */
	if (set_int(fd, SOL_SOCKET, SO_RCVBUFFORCE, LISTEN_RCVBUF) < 0)
		(void)set_int(fd, SOL_SOCKET, SO_RCVBUF, LISTEN_RCVBUF);
	ret->fd = fd;
	ret->family = family;
	ret->port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					    : ((struct sockaddr_in6 *)&ss)->sin6_port);
	return 0;
}

static uint16_t listen_port(const struct listen_addr *la)
{
	return ntohs(la->addr.ss_family == AF_INET
			     ? ((const struct sockaddr_in *)&la->addr)->sin_port
			     : ((const struct sockaddr_in6 *)&la->addr)->sin6_port);
}

/*
 * [::] alone is dual-stack: IPv4 clients arrive as ::ffff:a.b.c.d, and
 * the kernel's default (net.ipv6.bindv6only) does not get a say. Listed
 * with an IPv4 address on the same port it is IPv6 only, or the two
 * would fight over that port.
 */
static bool wants_v6only(const struct settings *s, const struct listen_addr *la)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)&la->addr;

	if (la->addr.ss_family != AF_INET6 || !IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr))
		return false;
	for (size_t i = 0; i < s->n_listen; i++)
		if (s->listen[i].addr.ss_family == AF_INET &&
		    listen_port(&s->listen[i]) == listen_port(la))
			return true;
	return false;
}

static int open_standalone(const struct listen_addr *la, bool v6only, struct listener *ret)
{
	char text[LISTEN_ADDR_TEXT_MAX];
	int fd = socket(la->addr.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int r;

	if (fd < 0)
		return -errno;
	if (la->addr.ss_family == AF_INET6 && set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, v6only) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	/* SO_REUSEADDR comes after bind (in adopt): set before, it would let
	 * a second server bind the same port instead of failing. */
	if (bind(fd, (const struct sockaddr *)&la->addr, la->len) < 0) {
		r = -errno;
		log_msg(LOG_ERR, "cannot listen on %s: %s",
			listen_addr_text((const struct sockaddr *)&la->addr, text, sizeof(text)),
			strerror(-r));
		close(fd);
		return r;
	}
	r = adopt(fd, ret);
	if (r < 0)
		close(fd);
	return r;
}

static int from_systemd(int n, struct listener *ret, size_t max)
{
	if ((size_t)n > max) {
		log_msg(LOG_ERR, "systemd passed %d sockets; at most %zu are supported", n, max);
		return -E2BIG;
	}
	for (int i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + i;
		int r = adopt(fd, &ret[i]);

		if (r < 0) {
			log_msg(LOG_ERR, "fd %d from systemd is %s: the socket unit must have "
				"ListenDatagram= lines only", fd, listen_fd_problem(r));
			return r;
		}
	}
	return n;
}

static int from_inetd(struct listener *ret)
{
	int r = adopt(0, ret);

	if (r == -ENOTSOCK) {
		log_msg(LOG_ERR, "no socket to serve: give --listen=ADDR[:PORT], "
			"or start from systemd or inetd");
		return r;
	}
	if (r < 0) {
		log_msg(LOG_ERR, "fd 0 from inetd is %s: use \"dgram udp wait\" (or udp6)",
			listen_fd_problem(r));
		return r;
	}
	return 1;
}

int listen_setup(const struct settings *s, struct listener *ret, size_t max,
		 enum listen_mode *ret_mode)
{
	int n = sd_listen_fds(1);

	if (n < 0) {
		log_msg(LOG_ERR, "cannot read the sockets systemd passed: %s", strerror(-n));
		return n;
	}
	if (n > 0) {
		if (s->n_listen > 0)
			log_msg(LOG_WARNING, "started by systemd: --listen is ignored");
		*ret_mode = LISTEN_SYSTEMD;
		return from_systemd(n, ret, max);
	}
	if (s->n_listen == 0) {
		*ret_mode = LISTEN_INETD;
		return from_inetd(&ret[0]);
	}
	*ret_mode = LISTEN_STANDALONE;
	for (size_t i = 0; i < s->n_listen && i < max; i++) {
		int r = open_standalone(&s->listen[i], wants_v6only(s, &s->listen[i]), &ret[i]);

		if (r < 0) {
			while (i-- > 0)
				close(ret[i].fd);
			return r;
		}
	}
	return (int)s->n_listen;
}

/* An IPv4 destination seen on an IPv6 socket becomes ::ffff:a.b.c.d. */
static void local_from_v4(const struct listener *l, struct in_addr a, struct request_addr *r)
{
	if (l->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&r->local;

		s4->sin_family = AF_INET;
		s4->sin_addr = a;
		s4->sin_port = htons(l->port);
		r->local_len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&r->local;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr.s6_addr[10] = 0xff;
		s6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&s6->sin6_addr.s6_addr[12], &a, 4);
		s6->sin6_port = htons(l->port);
		r->local_len = sizeof(*s6);
	}
}

/*
 * Which of our addresses the request was sent to. An IPv4 request on a
 * dual-stack socket carries both IP_PKTINFO and IPV6_PKTINFO (with the
 * mapped address); IP_PKTINFO is preferred, as only it tells a broadcast
 * request's interface address.
 */
static void parse_pktinfo(const struct listener *l, struct msghdr *mh, struct request_addr *r)
{
	bool have_v4 = false, have_v6 = false;
	struct in_pktinfo pi4;
	struct in6_pktinfo pi6;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(pi4))) {
			memcpy(&pi4, CMSG_DATA(c), sizeof(pi4));
			have_v4 = true;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
			   c->cmsg_len >= CMSG_LEN(sizeof(pi6))) {
			memcpy(&pi6, CMSG_DATA(c), sizeof(pi6));
			have_v6 = true;
		}
	}
	if (have_v4) {
		/* A broadcast request is answered from the interface's own
		 * address, not the broadcast one. */
		if (pi4.ipi_addr.s_addr == htonl(INADDR_BROADCAST) ||
		    IN_MULTICAST(ntohl(pi4.ipi_addr.s_addr)))
			pi4.ipi_addr = pi4.ipi_spec_dst;
		local_from_v4(l, pi4.ipi_addr, r);
		r->ifindex = pi4.ipi_ifindex;
	} else if (have_v6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&r->local;

		s6->sin6_family = AF_INET6;
		s6->sin6_addr = pi6.ipi6_addr;
		s6->sin6_port = htons(l->port);
		/* A link-local address means nothing without its link. */
		if (IN6_IS_ADDR_LINKLOCAL(&pi6.ipi6_addr))
			s6->sin6_scope_id = pi6.ipi6_ifindex;
		r->local_len = sizeof(*s6);
		r->ifindex = (int)pi6.ipi6_ifindex;
	}
}

int listen_recv_batch(const struct listener *l, struct listen_batch *b)
{
	union control {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo)) + CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} control[LISTEN_BATCH];
	struct mmsghdr mm[LISTEN_BATCH];
	struct iovec iov[LISTEN_BATCH];
	int n;

	memset(mm, 0, sizeof(mm));
	for (size_t i = 0; i < LISTEN_BATCH; i++) {
		memset(&b->addr[i], 0, sizeof(b->addr[i]));
		iov[i] = (struct iovec){ .iov_base = b->buf[i], .iov_len = LISTEN_DATAGRAM_MAX };
		mm[i].msg_hdr = (struct msghdr){
			.msg_name = &b->addr[i].peer, .msg_namelen = sizeof(b->addr[i].peer),
			.msg_iov = &iov[i], .msg_iovlen = 1,
			.msg_control = control[i].buf, .msg_controllen = sizeof(control[i].buf),
		};
	}
	do
		n = recvmmsg(l->fd, mm, LISTEN_BATCH, MSG_DONTWAIT, NULL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? 0 : -errno;
	b->n = (size_t)n;
	for (size_t i = 0; i < b->n; i++) {
		struct msghdr *mh = &mm[i].msg_hdr;

		b->addr[i].peer_len = mh->msg_namelen;
		parse_pktinfo(l, mh, &b->addr[i]);
		if (mh->msg_flags & MSG_TRUNC)
			b->len[i] = -EMSGSIZE; /* larger than any request */
		else if (b->addr[i].local_len == 0)
			b->len[i] = -EADDRNOTAVAIL; /* cannot answer correctly */
		else
			b->len[i] = (ssize_t)mm[i].msg_len;
	}
	return n;
}

int listen_reply(const struct listener *l, const struct request_addr *a, const uint8_t *buf,
		 size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = {
		.msg_name = (void *)&a->peer, .msg_namelen = a->peer_len,
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = control.buf,
	};
	struct cmsghdr *c;

	memset(&control, 0, sizeof(control));
	c = (struct cmsghdr *)control.buf;
	if (a->local.ss_family == AF_INET) {
		struct in_pktinfo pi = { .ipi_spec_dst = ((const struct sockaddr_in *)&a->local)->sin_addr };

		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		mh.msg_controllen = CMSG_SPACE(sizeof(pi));
	} else {
		struct in6_pktinfo pi = { .ipi6_addr = ((const struct sockaddr_in6 *)&a->local)->sin6_addr,
					  .ipi6_ifindex = (unsigned)a->ifindex };

		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		mh.msg_controllen = CMSG_SPACE(sizeof(pi));
	}
	if (sendmsg(l->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

int listen_send_error(const struct listener *l, const struct request_addr *a,
		      enum tftp_error code, const char *text)
{
	uint8_t pkt[TFTP_ERROR_PKT_MAX];
	int n = tftp_pkt_build_error(pkt, sizeof(pkt), code, text);

	return n < 0 ? n : listen_reply(l, a, pkt, (size_t)n);
}
