/* ceiling.c - the fastest this machine's loopback can move a file: sendfile into
 * a socket on one side, splice from the socket into /dev/null on the other. No
 * framing, no options, no error recovery: a yardstick for zcp's own overhead.
 *   ceiling serve FILE        listen on 127.0.0.1, print the port, send FILE to one
 *                             client the tuned way: a non-blocking socket with
 *                             TCP_NOTSENT_LOWAT 1 MiB, sendfile in 2 MiB calls, poll
 *                             when it is full (what zcp's event loop does, S-13)
 *   ceiling serve-naive FILE  the same with one blocking sendfile of the whole file
 *                             (much slower on some kernels: the sender outruns the
 *                             receiver and the kernel queues the whole socket buffer)
 *   ceiling fetch PORT        receive to end of stream, print the byte count */
#include <arpa/inet.h>
#include <fcntl.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static void die(const char *what)
{
	perror(what);
	exit(1);
}

#define CALL_MAX (2 << 20) /* bytes per sendfile call, as zcp's --max-chunk default */
#define LOWAT (1 << 20)    /* unsent bytes the kernel may queue, as --notsent-lowat's */

/* Sends fd's first size bytes to the non-blocking socket s in CALL_MAX calls,
 * waiting in poll() only when the socket is full. */
static void send_tuned(int s, int fd, off_t size)
{
	int lowat = LOWAT, fl = fcntl(s, F_GETFL);
	if (fl < 0 || fcntl(s, F_SETFL, fl | O_NONBLOCK) < 0 ||
	    setsockopt(s, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof lowat) < 0)
		die("socket");
	for (off_t off = 0; off < size;) {
		size_t want = size - off < CALL_MAX ? (size_t)(size - off) : CALL_MAX;
		ssize_t n = sendfile(s, fd, &off, want);
		if (n > 0)
			continue;
		if (n == 0 || errno != EAGAIN)
			die("sendfile");
		struct pollfd p = {.fd = s, .events = POLLOUT};
		if (poll(&p, 1, -1) < 0)
			die("poll");
	}
}

static int serve(const char *path, int naive)
{
	int fd = open(path, O_RDONLY), ls = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof sa;
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		die(path);
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(ls, 1) < 0 ||
	    getsockname(ls, (struct sockaddr *)&sa, &len) < 0)
		die("listen");
	printf("%d\n", ntohs(sa.sin_port));
	fflush(stdout);
	int s = accept(ls, NULL, NULL);
	if (s < 0)
		die("accept");
	if (!naive) {
		send_tuned(s, fd, st.st_size);
		return 0;
	}
	off_t off = 0;
	while (off < st.st_size)
		if (sendfile(s, fd, &off, (size_t)(st.st_size - off)) <= 0)
			die("sendfile");
	return 0;
}

static int fetch(const char *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int s = socket(AF_INET, SOCK_STREAM, 0), p[2], null = open("/dev/null", O_WRONLY);
	if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof sa) < 0)
		die("connect");
	if (pipe(p) < 0 || null < 0)
		die("pipe");
	fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
	long long total = 0;
	for (;;) {
		ssize_t n = splice(s, NULL, p[1], NULL, 1 << 20, 0);
		if (n < 0)
			die("splice");
		if (n == 0)
			break;
		total += n;
		while (n > 0) {
			ssize_t m = splice(p[0], NULL, null, NULL, (size_t)n, 0);
			if (m <= 0)
				die("splice");
			n -= m;
		}
	}
	printf("%lld\n", total);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && (!strcmp(argv[1], "serve") || !strcmp(argv[1], "serve-naive")))
		return serve(argv[2], !strcmp(argv[1], "serve-naive"));
	if (argc == 3 && !strcmp(argv[1], "fetch"))
		return fetch(argv[2]);
	fprintf(stderr, "usage: ceiling serve FILE | ceiling serve-naive FILE | ceiling fetch PORT\n");
	return 2;
}
