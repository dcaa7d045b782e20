/* runner.c - run a command and record its resource use, like a tiny time(1).
 *   runner RESULT CMD [ARG...]
 * Writes "STATUS USER_S SYS_S MAXRSS_KIB CSWITCHES" to RESULT (CSWITCHES: voluntary +
 * involuntary context switches) and exits with CMD's status.
 * It exists because a child inherits its parent's peak RSS across fork and exec:
 * launched straight from the Python driver, every process would report Python's
 * size. This launcher is small, so the peak it passes on is small too. SIGTERM,
 * SIGINT and SIGQUIT sent to it are passed on to CMD (a server is stopped through
 * its runner, which still records how it ended). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile pid_t child;

static void pass_on(int sig)
{
	if (child > 0)
		kill(child, sig);
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: runner RESULT CMD [ARG...]\n");
		return 2;
	}
	struct sigaction sa = {.sa_handler = pass_on};
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	child = pid;
	int status;
	struct rusage ru;
	pid_t got;
	while ((got = wait4(pid, &status, 0, &ru)) < 0 && errno == EINTR)
		;
	if (got < 0) {
		perror("wait4");
		return 1;
	}
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	FILE *f = fopen(argv[1], "w");
	if (!f || fprintf(f, "%d %ld.%06ld %ld.%06ld %ld %ld\n", code, (long)ru.ru_utime.tv_sec,
			  (long)ru.ru_utime.tv_usec, (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec,
			  ru.ru_maxrss, ru.ru_nvcsw + ru.ru_nivcsw) < 0 || fclose(f)) {
		perror(argv[1]);
		return 1;
	}
	return code;
}
