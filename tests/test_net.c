/* Check suite for src/net.c: listening, connecting and accepting on the real
 * loopback, with the failures the kernel gives on demand (ports in use, rlimits). */
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "net.h"
#include "testutil.h"

static struct zerr e;
static char bound[NET_ADDR_MAX], peer[NET_ADDR_MAX];

static void set_nofile(rlim_t cur)
{
	struct rlimit rl;
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rl.rlim_cur = cur;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
}

/* Lowers RLIMIT_NOFILE so that no descriptor above the ones open now is free. */
static void no_more_fds(void)
{
	int lowest = dup(0);
	ck_assert_int_ge(lowest, 0);
	close(lowest);
	set_nofile((rlim_t)lowest);
}

static void more_fds(void) { set_nofile(1024); }

/* SPEC E-1 E-2: a port already listened on: bind fails, exit 4, named. */
START_TEST(e1_listen_address_in_use)
{
	int a = net_listen("127.0.0.1:0", bound, sizeof bound, &e);
	ck_assert_int_ge(a, 0);
	ck_assert_int_eq(net_listen(bound, peer, sizeof peer, &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_NET);
	ck_assert_str_eq(e.call, "bind");
	ck_assert_str_eq(e.object, bound);
	ck_assert_str_eq(e.reason, "Address already in use");
	close(a);
}
END_TEST

/* SPEC C-4 E-1: a name that does not resolve is a network error naming getaddrinfo;
 * a malformed address (past the option parser) is a usage error. */
START_TEST(c4_unresolvable_and_malformed)
{
	ck_assert_int_eq(net_connect("no-such-host.invalid:9", 1000, peer, sizeof peer, &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_NET);
	ck_assert_str_eq(e.call, "getaddrinfo");
	ck_assert_int_eq(net_listen("no-such-host.invalid:0", bound, sizeof bound, &e), -1);
	ck_assert_str_eq(e.call, "getaddrinfo");
	ck_assert_int_eq(net_connect("nonsense", 1000, peer, sizeof peer, &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_USAGE);
	ck_assert_str_eq(e.reason, "expected HOST:PORT");
}
END_TEST

/* SPEC E-1 E-2: a connection refused, and no descriptor left for the socket. */
START_TEST(e1_connect_refused_and_no_fds)
{
	int a = net_listen("127.0.0.1:0", bound, sizeof bound, &e);
	close(a); /* nothing listens there now */
	ck_assert_int_eq(net_connect(bound, 1000, peer, sizeof peer, &e), -1);
	ck_assert_str_eq(e.call, "connect");
	ck_assert_str_eq(e.reason, "Connection refused");
	no_more_fds();
	ck_assert_int_eq(net_listen("127.0.0.1:0", bound, sizeof bound, &e), -1);
	ck_assert_str_eq(e.call, "socket");
	ck_assert_str_eq(e.reason, "Too many open files");
	ck_assert_int_eq(e.code, ZCP_EXIT_SYSTEM); /* the local system's want, not the network's */
	ck_assert_int_eq(net_connect(bound, 1000, peer, sizeof peer, &e), -1);
	ck_assert_str_eq(e.call, "socket");
	ck_assert_str_eq(e.reason, "Too many open files");
	ck_assert_int_eq(e.code, ZCP_EXIT_SYSTEM);
	more_fds(); /* LeakSanitizer needs one at exit */
}
END_TEST

/* SPEC S-10: out of descriptors, accept reports pressure, not a failure; the
 * connection still waits and is accepted once a descriptor is free. */
START_TEST(s10_accept_pressure_then_served)
{
	int lfd = net_listen("127.0.0.1:0", bound, sizeof bound, &e);
	ck_assert_int_ge(lfd, 0);
	int c = net_connect(bound, 1000, peer, sizeof peer, &e);
	ck_assert_int_ge(c, 0);
	no_more_fds();
	ck_assert_int_eq(net_accept(lfd, peer, sizeof peer, &e), NET_ACCEPT_PRESSURE);
	ck_assert_str_eq(e.call, "accept");
	ck_assert_str_eq(e.reason, "Too many open files");
	more_fds();
	int s = net_accept(lfd, peer, sizeof peer, &e);
	ck_assert_int_ge(s, 0);
	ck_assert_ptr_nonnull(strstr(peer, "127.0.0.1:"));
	ck_assert(fcntl(s, F_GETFL) & O_NONBLOCK);
	close(s);
	close(c);
	close(lfd);
}
END_TEST

/* SPEC S-10: a non-blocking listening socket with nobody waiting says EAGAIN;
 * a descriptor that is not a socket is a failure of the listener itself. */
START_TEST(s10_accept_nothing_and_broken_listener)
{
	int lfd = net_listen("127.0.0.1:0", bound, sizeof bound, &e);
	ck_assert_int_eq(fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK), 0);
	ck_assert_int_eq(net_accept(lfd, peer, sizeof peer, &e), -1);
	ck_assert_int_eq(errno, EAGAIN);
	close(lfd);
	int fd = open("/dev/null", O_RDONLY);
	ck_assert_int_eq(net_accept(fd, peer, sizeof peer, &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_NET);
	ck_assert_str_eq(e.reason, "Socket operation on non-socket");
	close(fd);
}
END_TEST

/* SPEC P-9: after net_reset_on_close() a close sends a reset: the peer sees an error. */
START_TEST(p9_abort_resets)
{
	int lfd = net_listen("127.0.0.1:0", bound, sizeof bound, &e);
	int c = net_connect(bound, 1000, peer, sizeof peer, &e);
	int s = net_accept(lfd, peer, sizeof peer, &e);
	ck_assert_int_ge(s, 0);
	net_reset_on_close(s);
	close(s);
	char b;
	struct pollfd p = {.fd = c, .events = POLLIN};
	ck_assert_int_eq(poll(&p, 1, 2000), 1);
	ck_assert_int_eq(recv(c, &b, 1, 0), -1);
	ck_assert_int_eq(errno, ECONNRESET);
	close(c);
	close(lfd);
}
END_TEST

static int timeo_ms(int fd, int opt)
{
	struct timeval tv;
	socklen_t len = sizeof tv;
	ck_assert_int_eq(getsockopt(fd, SOL_SOCKET, opt, &tv, &len), 0);
	return (int)(tv.tv_sec * 1000 + tv.tv_usec / 1000);
}

/* SPEC P-10: net_block makes each call wait in the kernel, bounded: a recv with
 * nothing to read returns EAGAIN after the timeout, not at once and not never. */
START_TEST(p10_blocking_call_bounded_by_timeout)
{
	int sv[2];
	tu_tcp_pair(sv);
	ck_assert_int_eq(net_block(sv[0], 300), 0);
	ck_assert_int_eq(fcntl(sv[0], F_GETFL) & O_NONBLOCK, 0);
	ck_assert_int_eq(timeo_ms(sv[0], SO_SNDTIMEO), 300);
	ck_assert_int_eq(timeo_ms(sv[0], SO_RCVTIMEO), 300);
	struct timespec t0, t1;
	char b;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(recv(sv[0], &b, 1, 0), -1);
	ck_assert_int_eq(errno, EAGAIN);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert(waited > 0.25 && waited < 5.0);
	ck_assert_int_eq(send(sv[1], "x", 1, 0), 1); /* data ends the wait at once */
	ck_assert_int_eq(recv(sv[0], &b, 1, 0), 1);
	ck_assert_int_eq(net_block(sv[0], -1), 0); /* unbounded: no timeout left behind */
	ck_assert_int_eq(timeo_ms(sv[0], SO_RCVTIMEO), 0);
	ck_assert_int_eq(timeo_ms(sv[0], SO_SNDTIMEO), 0);
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(net_block(p[0], 300), -1); /* not a socket: refused, said */
	ck_assert_int_eq(errno, ENOTSOCK);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* SPEC C-7: an address net_format cannot name (not IP) prints as "?". */
START_TEST(c7_format_unknown_family)
{
	struct sockaddr_storage ss = {.ss_family = AF_PACKET};
	char buf[32];
	net_format((struct sockaddr *)&ss, sizeof ss, buf, sizeof buf);
	ck_assert_str_eq(buf, "?");
}
END_TEST

/* --- net_accept_patiently (SPEC S-10) */

static int listener(char *where, size_t len)
{
	int lfd = net_listen("127.0.0.1:0", where, len, &e);
	ck_assert_int_ge(lfd, 0);
	return lfd;
}

/* Each spell of pressure the waiting accept tells about, and its reason. */
static int spells;
static char spell_reason[128];
static void pressed(void *arg, const char *reason)
{
	(void)arg;
	spells++;
	snprintf(spell_reason, sizeof spell_reason, "%s", reason);
}

/* SPEC S-10: a connection waiting is taken, with the peer's address, and nothing said. */
START_TEST(s10_accept_names_peer)
{
	char local[NET_ADDR_MAX];
	int lfd = listener(bound, sizeof bound);
	int c = net_connect(bound, 1000, peer, sizeof peer, &e);
	ck_assert_int_ge(c, 0);
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	ck_assert_int_eq(getsockname(c, (struct sockaddr *)&ss, &sl), 0);
	net_format((struct sockaddr *)&ss, sl, local, sizeof local);
	int fd = net_accept_patiently(lfd, peer, sizeof peer, pressed, NULL, &e);
	ck_assert_int_ge(fd, 0);
	ck_assert_str_eq(peer, local);
	ck_assert_int_eq(spells, 0);
	close(fd);
	close(c);
	close(lfd);
}
END_TEST

static volatile sig_atomic_t ticks;
static int spare = -1;

/* The third tick frees a descriptor: the pressure ends after two pauses at least. */
static void on_tick(int sig)
{
	(void)sig;
	if (++ticks == 3)
		close(spare);
}

/* SPEC S-10: while descriptors run out, accepting pauses and tries again, saying so
 * once for the whole spell (not at all without a hook), and takes the connection once a
 * descriptor is free. Each tick of a 20 ms timer cuts a pause short, so the tries are
 * counted by the ticks, not by the clock. */
START_TEST(s10_accept_pressure_said_once)
{
	bool quiet = _i;
	
	int lfd = listener(bound, sizeof bound);
	int c = net_connect(bound, 1000, peer, sizeof peer, &e);
	ck_assert_int_ge(c, 0);
	struct rlimit rl;
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rl.rlim_cur = 256;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	int fd;
	while ((fd = dup(STDIN_FILENO)) >= 0) /* every descriptor taken */
		spare = fd;
	ck_assert_int_eq(errno, EMFILE);
	ck_assert_int_ge(spare, 0);
	struct sigaction sa = {.sa_handler = on_tick};
	ck_assert_int_eq(sigaction(SIGALRM, &sa, NULL), 0);
	struct itimerval it = {.it_interval = {0, 20000}, .it_value = {0, 20000}};
	ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
	fd = net_accept_patiently(lfd, peer, sizeof peer, quiet ? NULL : pressed, NULL, &e);
	it = (struct itimerval){0};
	setitimer(ITIMER_REAL, &it, NULL);
	ck_assert_int_eq(fd, spare); /* the one descriptor that came free */
	ck_assert_int_ge(ticks, 3);
	ck_assert_int_eq(spells, quiet ? 0 : 1); /* told once for the whole spell */
	if (!quiet)
		ck_assert_str_eq(spell_reason, "Too many open files");
	close(fd); /* room for the sanitizers' own files at exit */
	close(c);
	close(lfd);
}
END_TEST

/* SPEC S-10: a failure of the listening socket itself ends the wait: -1, exit class 4. */
START_TEST(s10_accept_listener_fails)
{
	int sv[2];
	tu_socketpair(sv, 0);
	ck_assert_int_eq(net_accept_patiently(sv[0], peer, sizeof peer, pressed, NULL, &e), -1);
	ck_assert_int_eq(e.code, ZCP_EXIT_NET);
	ck_assert_str_eq(e.call, "accept");
	ck_assert_str_eq(e.reason, "Invalid argument");
	ck_assert_int_eq(spells, 0);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* SPEC T-8: loopback is told by the address a socket is bound to: 127/8 and ::1
 * are; the wildcard, a unix socket and what is no socket at all are not. */
START_TEST(t8_loopback_told_by_the_bound_address)
{
	char where[NET_ADDR_MAX];
	int l4 = net_listen("127.0.0.1:0", where, sizeof where, &e);
	ck_assert_int_ge(l4, 0);
	ck_assert(net_loopback(l4));
	close(l4);
	int any = net_listen("0.0.0.0:0", where, sizeof where, &e);
	ck_assert_int_ge(any, 0);
	ck_assert(!net_loopback(any));
	close(any);
	static const struct { const char *addr; bool loop; } v6[] = {
		{"[::1]:0", true}, {"[::ffff:127.0.0.1]:0", true}, {"[::ffff:0.0.0.0]:0", false}, {"[::]:0", false},
	};
	for (size_t i = 0; i < sizeof v6 / sizeof v6[0]; i++) {
		int l6 = net_listen(v6[i].addr, where, sizeof where, &e);
		if (l6 < 0) /* a host without IPv6 cannot bind it */
			continue;
		ck_assert_msg(net_loopback(l6) == v6[i].loop, "%s", v6[i].addr);
		close(l6);
	}
	int sv[2];
	tu_socketpair(sv, 0);
	ck_assert(!net_loopback(sv[0]));
	close(sv[0]);
	close(sv[1]);
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	ck_assert(!net_loopback(p[0])); /* getsockname fails: not loopback */
	close(p[0]);
	close(p[1]);
}
END_TEST

/* SPEC C-4: an address is HOST:PORT or [IPV6]:PORT, the port digits 0..65535;
 * each malformed one is told why. */
static const struct { const char *in, *host, *port, *why; } addrs[] = {
	{"example.org:80", "example.org", "80", NULL},
	{"[::1]:65535", "::1", "65535", NULL},
	{"h:0", "h", "0", NULL},
	{"[::1]80", NULL, NULL, "expected [IPV6]:PORT"},
	{"[::1", NULL, NULL, "expected [IPV6]:PORT"},
	{"::1:80", NULL, NULL, "IPv6 addresses go in brackets: [IPV6]:PORT"},
	{":80", NULL, NULL, "empty host"},
	{"[]:80", NULL, NULL, "empty host"},
	{"h:", NULL, NULL, "port must be a number from 0 to 65535"},
	{"h:65536", NULL, NULL, "port must be a number from 0 to 65535"},
	{"h:123456", NULL, NULL, "port must be a number from 0 to 65535"},
	{"h:8O", NULL, NULL, "port must be a number from 0 to 65535"},
	{"h:-1", NULL, NULL, "port must be a number from 0 to 65535"},
};

START_TEST(c4_address_split_or_told_why)
{
	char host[16], port[8];
	const char *why = NULL;
	int r = net_split_addr(addrs[_i].in, host, sizeof host, port, sizeof port, &why);
	if (addrs[_i].why) {
		ck_assert_int_eq(r, -1);
		ck_assert_str_eq(why, addrs[_i].why);
		ck_assert_int_eq(net_port(addrs[_i].in), -1);
		return;
	}
	ck_assert_int_eq(r, 0);
	ck_assert_str_eq(host, addrs[_i].host);
	ck_assert_str_eq(port, addrs[_i].port);
	ck_assert_int_eq(net_port(addrs[_i].in), atoi(addrs[_i].port));
	ck_assert_int_eq(net_split_addr("a-host-name-of-16:1", host, sizeof host, port, sizeof port, &why), -1);
	ck_assert_str_eq(why, "host name too long");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("net");
	TCase *tc = tcase_create("sockets");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, e1_listen_address_in_use);
	tcase_add_test(tc, c4_unresolvable_and_malformed);
	tcase_add_test(tc, e1_connect_refused_and_no_fds);
	tcase_add_test(tc, s10_accept_pressure_then_served);
	tcase_add_test(tc, s10_accept_nothing_and_broken_listener);
	tcase_add_test(tc, p9_abort_resets);
	tcase_add_test(tc, c7_format_unknown_family);
	tcase_add_test(tc, p10_blocking_call_bounded_by_timeout);
	tcase_add_test(tc, s10_accept_names_peer);
	tcase_add_loop_test(tc, s10_accept_pressure_said_once, 0, 2);
	tcase_add_test(tc, s10_accept_listener_fails);
	tcase_add_test(tc, t8_loopback_told_by_the_bound_address);
	tcase_add_loop_test(tc, c4_address_split_or_told_why, 0, (int)(sizeof addrs / sizeof addrs[0]));
	suite_add_tcase(s, tc);
	return tu_run(s) ? 1 : 0;
}
