/* runner.c - run a command and record its resource use, like a tiny time(1).
 *   runner RESULT CMD [ARG...]
 * Writes "STATUS USER_S SYS_S MAXRSS_KIB" to RESULT and exits with CMD's status.
 * It exists because a child inherits its parent's peak RSS across fork and exec:
 * launched straight from the Python driver, every process would report Python's
 * size. This launcher is small, so the peak it passes on is small too. */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: runner RESULT CMD [ARG...]\n");
		return 2;
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	int status;
	struct rusage ru;
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("wait4");
		return 1;
	}
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	FILE *f = fopen(argv[1], "w");
	if (!f || fprintf(f, "%d %ld.%06ld %ld.%06ld %ld\n", code, (long)ru.ru_utime.tv_sec,
			  (long)ru.ru_utime.tv_usec, (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec,
			  ru.ru_maxrss) < 0 || fclose(f)) {
		perror(argv[1]);
		return 1;
	}
	return code;
}
