/* runner.c - run a command and record its resource use, like a tiny time(1).
 *   runner RESULT CMD [ARG...]
 * Writes "STATUS USER_S SYS_S MAXRSS_KIB CSWITCHES" to RESULT (CSWITCHES: voluntary +
 * involuntary context switches) and exits with CMD's status.
 * It exists because a child inherits its parent's peak RSS across fork and exec:
 * launched straight from the Python driver, every process would report Python's
 * size. This launcher is small, so the peak it passes on is small too. SIGTERM,
 * SIGINT and SIGQUIT sent to it are passed on to CMD (a server is stopped through
 * its runner, which still records how it ended). The CPU and context switches are
 * those of CMD and of every descendant, those it never waited for too (an ssh
 * ProxyCommand outlives ssh): the runner is their subreaper and waits for them all. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
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
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		perror("prctl");
		return 1;
	}
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
	while (wait(NULL) >= 0 || errno == EINTR) /* the orphans, reparented here */
		;
	struct rusage all;
	if (getrusage(RUSAGE_CHILDREN, &all) < 0) {
		perror("getrusage");
		return 1;
	}
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	FILE *f = fopen(argv[1], "w");
	if (!f || fprintf(f, "%d %ld.%06ld %ld.%06ld %ld %ld\n", code, (long)all.ru_utime.tv_sec,
			  (long)all.ru_utime.tv_usec, (long)all.ru_stime.tv_sec, (long)all.ru_stime.tv_usec,
			  ru.ru_maxrss, all.ru_nvcsw + all.ru_nivcsw) < 0 || fclose(f)) {
		perror(argv[1]);
		return 1;
	}
	return code;
}
