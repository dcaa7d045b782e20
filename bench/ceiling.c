/* ceiling.c - the fastest this machine's loopback can move a file: sendfile into
 * a socket on one side, splice from the socket into /dev/null on the other. No
 * framing, no options, no error recovery: a yardstick for zcp's own overhead.
 *   ceiling serve FILE   listen on 127.0.0.1, print the port, send FILE to one client
 *   ceiling fetch PORT   receive to end of stream, print the byte count */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int serve(const char *path)
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
	if (argc == 3 && argv[1][0] == 's')
		return serve(argv[2]);
	if (argc == 3 && argv[1][0] == 'f')
		return fetch(argv[2]);
	fprintf(stderr, "usage: ceiling serve FILE | ceiling fetch PORT\n");
	return 2;
}
