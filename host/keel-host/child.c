/* host/keel-host/child.c: fork + exec with the daemon's rules (child.h).
 * fork, not posix_spawn: the death signal, the session and fd 3 must be set
 * in the child; between fork and exec only async-signal-safe calls. */
#include "child.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void __attribute__((noreturn)) in_child(const struct child_spec *s, pid_t parent,
					       int logfd, int dirfd, int errfd)
{
	sigset_t none;
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC), e;

	setsid();
	if (prctl(PR_SET_PDEATHSIG, s->death_signal) < 0 || getppid() != parent)
		_exit(127);   /* the daemon is already gone */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		signal(sig, SIG_DFL);
	if (null < 0 || dup2(null, 0) < 0 || dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0 ||
	    (dirfd >= 0 && dup2(dirfd, 3) < 0))
		goto fail;
	execvp(s->argv[0], s->argv);
fail:
	e = errno;
	(void)!write(errfd, &e, sizeof(e));
	_exit(127);
}

int child_spawn(const struct child_spec *s, pid_t *pid)
{
	int logfd, dirfd = -1, p[2], e = 0;
	pid_t parent = getpid(), c;
	ssize_t n;

	logfd = open(s->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600);
	if (logfd < 0)
		return -errno;
	if (s->fd3_dir && (dirfd = open(s->fd3_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		e = -errno;
		goto close_log;
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		e = -errno;
		goto close_dir;
	}
	c = fork();
	if (c == 0)
		in_child(s, parent, logfd, dirfd, p[1]);
	close(p[1]);
	if (c < 0) {
		e = -errno;
	} else {
		while ((n = read(p[0], &e, sizeof(e))) < 0 && errno == EINTR)
			;
		if (n == (ssize_t)sizeof(e)) {
			waitpid(c, NULL, 0);
			e = -e;
		} else {
			e = 0;
			*pid = c;
		}
	}
	close(p[0]);
close_dir:
	if (dirfd >= 0)
		close(dirfd);
close_log:
	close(logfd);
	return e;
}

int child_run(char *const *argv, char *out, size_t cap, int *status)
{
	int p[2], null, e = 0;
	size_t len = 0;
	ssize_t n;
	pid_t c;
	char sink[512];

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	if ((c = fork()) == 0) {
		null = open("/dev/null", O_RDONLY);
		if (null < 0 || dup2(null, 0) < 0 || dup2(p[1], 1) < 0 || dup2(p[1], 2) < 0)
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(p[1]);
	if (c < 0) {
		e = -errno;
		close(p[0]);
		return e;
	}
	/* all of it is read, what does not fit is dropped */
	while ((n = read(p[0], len + 1 < cap ? out + len : sink,
			 len + 1 < cap ? cap - len - 1 : sizeof(sink))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (len + 1 < cap)
			len += (size_t)n;
	}
	if (cap)
		out[len] = 0;
	close(p[0]);
	while (waitpid(c, status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}
