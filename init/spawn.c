/* init/spawn.c: see spawn.h. Everything between fork and exec is
 * async-signal-safe: no malloc, no stdio. */
#include "spawn.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define HIGH_FD 10   /* sources are moved up here so dup2 cannot clobber them */

static void child_fail(int errfd, int err)
{
	ssize_t r = write(errfd, &err, sizeof(err));
	(void)r;
	_exit(127);
}

/* Close every fd from first up, except keep (the exec-error pipe). */
static void close_from_except(int first, int keep)
{
	int fd;

	if (syscall(SYS_close_range, (unsigned)first, (unsigned)keep - 1, 0) == 0 &&
	    syscall(SYS_close_range, (unsigned)keep + 1, ~0u, 0) == 0)
		return;
	/* Older kernels: every fd init opens is CLOEXEC anyway; this is the
	 * belt to those braces. */
	for (fd = first; fd < 1024; fd++)
		if (fd != keep)
			close(fd);
}

void signals_reset_default(void)
{
	/* SIG_DFL is 0, so an all-zero kernel sigaction (handler, flags,
	 * restorer, mask) means "default" whatever the architecture's layout. */
	static const unsigned long zero[8];
	int sig;

	for (sig = 1; sig < NSIG; sig++)     /* EINVAL for KILL/STOP: fine */
		syscall(SYS_rt_sigaction, sig, zero, NULL, sizeof(uint64_t));
}

static void write_oom(int adj)
{
	char buf[16];
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	int n = snprintf(buf, sizeof(buf), "%d\n", adj);

	if (fd < 0)
		return;
	if (write(fd, buf, (size_t)n) < 0) {
		/* not fatal: the service runs with init's value */
	}
	close(fd);
}

static void child_setup(const struct spawn_opts *o, int errfd)
{
	sigset_t none;
	int out = -1, ready = -1, pass = -1, null, moved;

	signals_reset_default();
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setsid();
	/* Move every source fd above the targets first so no dup2 clobbers
	 * one that is still needed. */
	if ((moved = fcntl(errfd, F_DUPFD_CLOEXEC, HIGH_FD)) < 0)
		child_fail(errfd, errno);
	errfd = moved;
	if (o->out_fd >= 0 && (out = fcntl(o->out_fd, F_DUPFD_CLOEXEC, HIGH_FD)) < 0)
		child_fail(errfd, errno);
	if (o->ready_fd >= 0 && (ready = fcntl(o->ready_fd, F_DUPFD_CLOEXEC, HIGH_FD)) < 0)
		child_fail(errfd, errno);
	if (o->pass_fd >= 0 && (pass = fcntl(o->pass_fd, F_DUPFD_CLOEXEC, HIGH_FD)) < 0)
		child_fail(errfd, errno);
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		child_fail(errfd, errno);
	if (dup2(null, 0) < 0 || dup2(out >= 0 ? out : null, 1) < 0 ||
	    dup2(out >= 0 ? out : null, 2) < 0)
		child_fail(errfd, errno);
	if (ready >= 0 && dup2(ready, SPAWN_READY_FD) < 0)
		child_fail(errfd, errno);
	if (pass >= 0 && dup2(pass, SPAWN_PASS_FD) < 0)
		child_fail(errfd, errno);
	if (pass >= 0 && ready < 0)
		close(SPAWN_READY_FD);
	close_from_except(pass >= 0 ? SPAWN_PASS_FD + 1 : ready >= 0 ? SPAWN_READY_FD + 1 : 3, errfd);
	if (o->set_oom)
		write_oom(o->oom_score_adj);
	execve(o->argv[0], (char *const *)o->argv, (char *const *)o->envp);
	child_fail(errfd, errno);
}

int spawn(const struct spawn_opts *o, pid_t *pid)
{
	int pfd[2], err = 0;
	ssize_t n;

	*pid = -1;
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return -errno;
	*pid = fork();
	if (*pid < 0) {
		err = errno;
		close(pfd[0]);
		close(pfd[1]);
		return -err;
	}
	if (*pid == 0) {
		close(pfd[0]);
		child_setup(o, pfd[1]);
	}
	close(pfd[1]);
	/* EOF: exec succeeded (the CLOEXEC write end closed); 4 bytes: errno.
	 * Bounded: the child either execs or exits right away. */
	do
		n = read(pfd[0], &err, sizeof(err));
	while (n < 0 && errno == EINTR);
	close(pfd[0]);
	if (n == (ssize_t)sizeof(err))
		return -(err ? err : EIO);
	return 0;
}

int spawn_wait(const struct spawn_opts *o, int *status)
{
	pid_t pid, w;
	int r = spawn(o, &pid);

	if (pid < 0)
		return r;
	do
		w = waitpid(pid, status, 0);
	while (w < 0 && errno == EINTR);
	if (r < 0)
		return r;
	return w < 0 ? -errno : 0;
}
