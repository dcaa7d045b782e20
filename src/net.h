/* net - addresses and TCP sockets (SPEC C-4, C-7, P-10). Never prints. */
#ifndef ZCP_NET_H
#define ZCP_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "zerr.h"

#define NET_ADDR_MAX 300 /* room for "[IPV6%scope]:PORT" and long names */

/* net_split_addr() - split "HOST:PORT", "[V6]:PORT" into host and port (SPEC C-4).
 * port must be digits 0..65535. Returns 0, or -1 with *why set. Pure. */
int net_split_addr(const char *s, char *host, size_t hostlen, char *port, size_t portlen,
		   const char **why);

/* net_port() - the port number of "HOST:PORT", or -1 if addr is malformed. Pure. */
int net_port(const char *addr);

/* net_format() - "1.2.3.4:PORT" or "[::1]:PORT" for sa into buf. */
void net_format(const struct sockaddr *sa, socklen_t salen, char *buf, size_t len);

/* net_listen() - a listening TCP socket on addr; bound[] gets the real address
 * (port 0 resolved). No SO_REUSEPORT: an address in use is EADDRINUSE, also for a
 * server with workers, which share this one socket (SPEC S-16).
 * Returns the fd, or -1 with *e set (exit 4; 1 when descriptors or memory ran out). */
int net_listen(const char *addr, char *bound, size_t boundlen, struct zerr *e);

/* net_accept() result for resource pressure (SPEC S-10). */
#define NET_ACCEPT_PRESSURE (-2)

/* net_accept() - wait (unbounded unless lfd is non-blocking) for one connection on
 * lfd. Errors that belong to one connection (aborted, or a network error the new
 * socket carried, as accept(2) lists them) are retried. Returns a non-blocking,
 * close-on-exec socket and the peer's address in peer[]; NET_ACCEPT_PRESSURE with
 * *e set when descriptors or memory ran out (the caller pauses and goes on); -1
 * with errno EAGAIN when a non-blocking lfd has nothing; -1 with *e set (exit 4)
 * when the listening socket itself failed. */
int net_accept(int lfd, char *peer, size_t peerlen, struct zerr *e);

/* net_accept_patiently() - one connection on lfd, waiting it out while descriptors
 * or memory run out: pause 100 ms and try again, pressed(arg, reason) called once
 * at the start of each such spell, or not at all when NULL (SPEC S-10). Returns the
 * socket, or -1 with *e set when the listening socket itself failed. */
int net_accept_patiently(int lfd, char *peer, size_t peerlen, void (*pressed)(void *arg, const char *reason),
			 void *arg, struct zerr *e);

/* net_loopback() - whether the socket fd is bound to a loopback address (127/8,
 * ::1, or ::ffff:127/104), which only this host can reach (SPEC T-8). */
bool net_loopback(int fd);

/* net_reset_on_close() - make the coming close() of sock send a reset (SO_LINGER
 * 0), so that the peer sees an error rather than a clean end of stream (SPEC P-9). */
void net_reset_on_close(int sock);

/* net_block() - make sock blocking, each blocking call bounded by timeout_ms
 * (SO_SNDTIMEO, SO_RCVTIMEO; -1 or 0: unbounded): a call that times out fails with
 * EAGAIN. The single-transfer programs wait in the kernel this way, without a poll()
 * round per short read (SPEC P-10). Returns 0, or -1 with errno. */
int net_block(int sock, int timeout_ms);

/* net_connect() - connect to addr, trying each resolved address, each attempt
 * bounded by timeout_ms (-1 = none). Returns a non-blocking socket with the peer's
 * address in peer[], or -1 with *e set (exit 4; 1 when descriptors or memory ran out). */
int net_connect(const char *addr, int timeout_ms, char *peer, size_t peerlen, struct zerr *e);

#endif
