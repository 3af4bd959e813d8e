/* init/spawn.h: fork+exec with a clean child: empty signal mask, default
 * dispositions, its own session, only fds 0-2 (plus an optional readiness fd
 * as fd 3 and an optional passed fd as fd 4). Exec failure comes back to the parent through a CLOEXEC pipe,
 * the way musl's posix_spawn reports it. */
#ifndef KEEL_INIT_SPAWN_H
#define KEEL_INIT_SPAWN_H
#include <stdbool.h>
#include <sys/types.h>

#define SPAWN_READY_FD 3
#define SPAWN_PASS_FD 4

struct spawn_opts {
	const char *const *argv;   /* argv[0] is an absolute path */
	const char *const *envp;   /* the whole environment */
	int out_fd;                /* stdout and stderr; -1 for /dev/null */
	int ready_fd;              /* becomes fd 3 in the child; -1 for none */
	int pass_fd;               /* becomes fd 4 in the child; -1 for none */
	bool set_oom;              /* write oom_score_adj before exec */
	int oom_score_adj;
};

/* Every signal's disposition back to SIG_DFL, including the ones musl's
 * sigaction refuses to touch (32-34, which glibc programs and shells may
 * pass down as SIG_IGN). Async-signal-safe. */
void signals_reset_default(void);

/* Start the program; *pid is set when the child was forked, even when exec
 * failed (the caller still reaps it). Returns 0, or -errno of fork or of the
 * failed step in the child (usually execve). */
int spawn(const struct spawn_opts *o, pid_t *pid);
/* Run to completion, waiting for this pid only (boot-time helpers such as
 * e2fsck). Returns the wait status in *status. */
int spawn_wait(const struct spawn_opts *o, int *status);
#endif
