/* net - getaddrinfo, listen, accept and a bounded non-blocking connect. */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <sys/time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <stdbool.h>
#include <unistd.h>

int net_split_addr(const char *s, char *host, size_t hostlen, char *port, size_t portlen,
		   const char **why)
{
	const char *colon, *h = s;
	size_t hlen;
	if (*s == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':') {
			*why = "expected [IPV6]:PORT";
			return -1;
		}
		h = s + 1;
		hlen = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon) {
			*why = "expected HOST:PORT";
			return -1;
		}
		hlen = (size_t)(colon - s);
		if (memchr(s, ':', hlen)) {
			*why = "IPv6 addresses go in brackets: [IPV6]:PORT";
			return -1;
		}
	}
	const char *p = colon + 1;
	size_t plen = strlen(p);
	if (hlen == 0 || hlen >= hostlen) {
		*why = hlen ? "host name too long" : "empty host";
		return -1;
	}
	if (plen == 0 || plen > 5 || plen >= portlen || strspn(p, "0123456789") != plen ||
	    atol(p) > 65535) {
		*why = "port must be a number from 0 to 65535";
		return -1;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	memcpy(port, p, plen + 1);
	return 0;
}

int net_port(const char *addr)
{
	char host[NET_ADDR_MAX], port[8];
	const char *why;
	if (net_split_addr(addr, host, sizeof host, port, sizeof port, &why) < 0)
		return -1;
	return atoi(port);
}

void net_format(const struct sockaddr *sa, socklen_t salen, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN + 8], port[8];
	if (getnameinfo(sa, salen, host, sizeof host, port, sizeof port,
			NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(buf, len, "?");
		return;
	}
	snprintf(buf, len, sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
}

static struct addrinfo *resolve(const char *addr, int passive, struct zerr *e)
{
	char host[NET_ADDR_MAX], port[8];
	const char *why;
	if (net_split_addr(addr, host, sizeof host, port, sizeof port, &why) < 0) {
		zerr_set(e, ZCP_EXIT_USAGE, "", addr, "%s", why);
		return NULL;
	}
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_protocol = IPPROTO_TCP,
				 .ai_flags = passive ? AI_PASSIVE : 0}, *res;
	int r = getaddrinfo(host, port, &hints, &res);
	if (r != 0) {
		zerr_set(e, ZCP_EXIT_NET, "getaddrinfo", addr, "%s",
			 r == EAI_SYSTEM ? strerror(errno) : gai_strerror(r));
		return NULL;
	}
	return res;
}

/* SPEC E-1: a call that failed for want of descriptors or memory is the local
 * system's failure (exit 1), whatever the call; anything else is the network's. */
static enum zcp_exit exit_of(int err)
{
	return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM ? ZCP_EXIT_SYSTEM
										  : ZCP_EXIT_NET;
}

int net_listen(const char *addr, char *bound, size_t boundlen, struct zerr *e)
{
	struct addrinfo *res = resolve(addr, 1, e), *ai;
	if (!res)
		return -1;
	int fd = -1, one = 1;
	const char *call = "socket";
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		call = "bind";
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
			call = "listen";
			if (listen(fd, SOMAXCONN) == 0)
				break;
		}
		int saved = errno;
		close(fd);
		errno = saved;
		fd = -1;
	}
	if (fd < 0) {
		zerr_sys(e, exit_of(errno), call, addr, errno);
	} else {
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		getsockname(fd, (struct sockaddr *)&ss, &len);
		net_format((struct sockaddr *)&ss, len, bound, boundlen);
	}
	freeaddrinfo(res);
	return fd;
}

/* Errors of one incoming connection, not of the listening socket (accept(2):
 * Linux passes on the new socket's pending network errors). */
static bool transient(int err)
{
	switch (err) {
	case EINTR: case ECONNABORTED: case EPROTO: case ENETDOWN: case ENOPROTOOPT:
	case EHOSTDOWN: case ENONET: case EHOSTUNREACH: case EOPNOTSUPP: case ENETUNREACH:
	case EPERM: /* a firewall rule refused it */
		return true;
	default:
		return false;
	}
}

int net_accept(int lfd, char *peer, size_t peerlen, struct zerr *e)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd;
	do {
		len = sizeof ss;
		fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
	} while (fd < 0 && transient(errno));
	if (fd >= 0) {
		net_format((struct sockaddr *)&ss, len, peer, peerlen);
		return fd;
	}
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return -1;
	int err = errno;
	zerr_sys(e, ZCP_EXIT_NET, "accept", "", err);
	return err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM ? NET_ACCEPT_PRESSURE : -1;
}

bool net_loopback(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return false;
	if (ss.ss_family == AF_INET)
		return ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr) >> 24 == 127;
	const struct in6_addr *a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
	return ss.ss_family == AF_INET6 && (IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127));
}

void net_reset_on_close(int sock)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	setsockopt(sock, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
}

/* Sets the kernel's bound on each blocking call of fd: opt SO_SNDTIMEO or
 * SO_RCVTIMEO, timeout_ms (-1 or 0: none). */
static int set_timeo(int fd, int opt, int timeout_ms)
{
	struct timeval tv = {0};
	if (timeout_ms > 0)
		tv = (struct timeval){.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
	return setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof tv);
}

/* One connect bounded by timeout_ms through SO_SNDTIMEO, so that no poll() is
 * spent on it (-v counts only data-path waits); the socket is made non-blocking
 * once connected. Returns 0 or -1 with errno (ETIMEDOUT when the time ran out). */
static int connect_bounded(int fd, const struct sockaddr *sa, socklen_t len, int timeout_ms)
{
	if (set_timeo(fd, SO_SNDTIMEO, timeout_ms) < 0)
		return -1;
	if (connect(fd, sa, len) < 0) {
		if (errno == EINPROGRESS)
			errno = ETIMEDOUT;
		return -1;
	}
	if (set_timeo(fd, SO_SNDTIMEO, 0) < 0)
		return -1;
	int fl = fcntl(fd, F_GETFL);
	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int net_block(int sock, int timeout_ms)
{
	int fl = fcntl(sock, F_GETFL);
	if (fl < 0 || set_timeo(sock, SO_SNDTIMEO, timeout_ms) < 0 ||
	    set_timeo(sock, SO_RCVTIMEO, timeout_ms) < 0)
		return -1;
	return fcntl(sock, F_SETFL, fl & ~O_NONBLOCK);
}

int net_connect(const char *addr, int timeout_ms, char *peer, size_t peerlen, struct zerr *e)
{
	struct addrinfo *res = resolve(addr, 0, e), *ai;
	if (!res)
		return -1;
	int fd = -1, err = 0;
	const char *call = "socket";
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		call = fd < 0 ? "socket" : "connect";
		if (fd >= 0 && connect_bounded(fd, ai->ai_addr, ai->ai_addrlen, timeout_ms) == 0) {
			net_format(ai->ai_addr, ai->ai_addrlen, peer, peerlen);
			break;
		}
		err = errno;
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return zerr_sys(e, exit_of(err), call, addr, err);
	return fd;
}

int net_accept_patiently(int lfd, char *peer, size_t peerlen, void (*pressed)(void *arg, const char *reason),
			 void *arg, struct zerr *e)
{
	for (bool told = false;; told = true) {
		int fd = net_accept(lfd, peer, peerlen, e);
		if (fd != NET_ACCEPT_PRESSURE)
			return fd;
		if (!told && pressed)
			pressed(arg, e->reason);
		poll(NULL, 0, 100);
	}
}
