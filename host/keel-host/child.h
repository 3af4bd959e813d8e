/* host/keel-host/child.h: starting one child of the daemon. Every child is
 * in its own session, has the daemon's death signal set (PR_SET_PDEATHSIG:
 * a kill -9 of keel-host takes its VM with it), a clean signal mask and
 * default dispositions, stdin /dev/null and stdout/stderr appended to its
 * log. An exec failure comes back through a CLOEXEC pipe. */
#ifndef KEEL_HOST_CHILD_H
#define KEEL_HOST_CHILD_H
#include <stddef.h>
#include <sys/types.h>

struct child_spec {
	char *const *argv;           /* argv[0] is looked up in PATH */
	const char *log;             /* appended to, created 0600 */
	const char *fd3_dir;         /* NULL, or a directory opened as fd 3 */
	int death_signal;            /* sent to the child when keel-host dies */
};

/* Fork and exec; *pid on success. -errno (the exec's errno too). */
int child_spawn(const struct child_spec *s, pid_t *pid);

/* Run a short program to its end (a check, a probe) with stdin /dev/null:
 * its stdout and stderr into out (cap bytes with the NUL; the rest is
 * dropped), its wait status into *status. 0, or -errno when it could not
 * be forked (an exec failure is exit status 127). */
int child_run(char *const *argv, char *out, size_t cap, int *status);
#endif
