/* fanout.c - start N clients at one instant, each on its own range of a file, and
 * time each to its exit.
 *   fanout N SIZE CMD [ARG...]
 * ARGs may hold {off}, {len} and {last} (off + len - 1): client i gets the range
 * [i * SIZE/N, ...), the last one the remainder too. Every client is forked first and
 * waits on a pipe; closing it releases them all at once, so none has a head start.
 * Prints one JSON object: "release" and "exits" (CLOCK_MONOTONIC seconds: the
 * release, each client's exit), "failed" (clients with a nonzero status), and
 * "user"/"sys" (the clients' CPU seconds, summed). The clients' standard output goes
 * to /dev/null: the JSON is all that fanout prints there. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Writes arg with {off}, {len} and {last} replaced into out[0..cap). */
static void substitute(const char *arg, uint64_t off, uint64_t len, char *out, size_t cap)
{
	size_t n = 0;
	while (*arg && n + 24 < cap) {
		uint64_t v = 0;
		size_t skip = 0;
		if (!strncmp(arg, "{off}", 5))
			v = off, skip = 5;
		else if (!strncmp(arg, "{len}", 5))
			v = len, skip = 5;
		else if (!strncmp(arg, "{last}", 6))
			v = off + len - 1, skip = 6;
		if (skip) {
			n += (size_t)snprintf(out + n, cap - n, "%llu", (unsigned long long)v);
			arg += skip;
		} else {
			out[n++] = *arg++;
		}
	}
	out[n] = '\0';
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: fanout N SIZE CMD [ARG...]\n");
		return 2;
	}
	long n = atol(argv[1]);
	uint64_t size = strtoull(argv[2], NULL, 10);
	if (n < 1 || n > 100000 || size < (uint64_t)n) {
		fprintf(stderr, "fanout: need 1 <= N <= SIZE\n");
		return 2;
	}
	int gate[2];
	pid_t *pids = calloc((size_t)n, sizeof *pids);
	double *times = calloc((size_t)n, sizeof *times);
	if (!pids || !times || pipe(gate) < 0) {
		perror("fanout");
		return 1;
	}
	uint64_t part = size / (uint64_t)n;
	for (long i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			perror("fork");
			return 1;
		}
		if (pids[i])
			continue;
		close(gate[1]);
		uint64_t off = (uint64_t)i * part, len = i == n - 1 ? size - off : part;
		char **args = calloc((size_t)argc, sizeof *args);
		for (int a = 3; a < argc; a++) {
			args[a - 3] = malloc(4096);
			substitute(argv[a], off, len, args[a - 3], 4096);
		}
		int null = open("/dev/null", O_WRONLY);
		if (null < 0 || dup2(null, 1) < 0) {
			perror("/dev/null");
			_exit(127);
		}
		char c;
		while (read(gate[0], &c, 1) < 0 && errno == EINTR) /* the release: end of file */
			;
		execvp(args[0], args);
		perror(args[0]);
		_exit(127);
	}
	close(gate[0]);
	double t0 = now();
	close(gate[1]);
	long failed = 0;
	struct rusage total = {0};
	for (long done = 0; done < n; done++) {
		int status;
		struct rusage ru;
		pid_t pid = wait4(-1, &status, 0, &ru);
		if (pid < 0) {
			perror("wait4");
			return 1;
		}
		double t = now() - t0;
		for (long i = 0; i < n; i++)
			if (pids[i] == pid)
				times[i] = t;
		failed += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
		timeradd(&total.ru_utime, &ru.ru_utime, &total.ru_utime);
		timeradd(&total.ru_stime, &ru.ru_stime, &total.ru_stime);
	}
	printf("{\"release\": %.6f, \"exits\": [", t0);
	for (long i = 0; i < n; i++)
		printf("%s%.6f", i ? ", " : "", t0 + times[i]);
	printf("], \"failed\": %ld, \"user\": %ld.%06ld, \"sys\": %ld.%06ld}\n", failed,
	       (long)total.ru_utime.tv_sec, (long)total.ru_utime.tv_usec, (long)total.ru_stime.tv_sec,
	       (long)total.ru_stime.tv_usec);
	return failed ? 1 : 0;
}
