/* host/keel-host/start.c: `keel-host start` (start.h). */
#include "start.h"
#include "clock.h"
#include "config.h"
#include "machine.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define START_WAIT_MS 60000u   /* helpers and QEMU up */

/* keel's tree: --top DIR, else the directory above build/keel-host */
static void find_top(int argc, char **argv, char *top, size_t cap)
{
	char exe[PATH_MAX];
	ssize_t n;

	for (int i = 2; i + 1 < argc; i++)
		if (strcmp(argv[i], "--top") == 0) {
			snprintf(top, cap, "%s", argv[i + 1]);
			return;
		}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	exe[n > 0 ? n : 0] = 0;
	for (int up = 0; up < 2 && strrchr(exe, '/'); up++)
		*strrchr(exe, '/') = 0;
	snprintf(top, cap, "%s", exe[0] ? exe : ".");
}

/* true once path exists; false when pid exited first or at the deadline */
static bool wait_path(const char *path, pid_t pid, uint64_t deadline)
{
	struct stat st;
	int status;

	while (mono_ms() < deadline) {
		if (stat(path, &st) == 0 && (S_ISSOCK(st.st_mode) || st.st_size > 0))
			return true;
		if (waitpid(pid, &status, WNOHANG) == pid)
			return false;
		usleep(50000);
	}
	return false;
}

/* In the background: its own session, the log as stdout and stderr, and
 * KEEL_HELPER_OF=STATE in its environment and so in every child's
 * (run-vm's check that a pid is this VM's). The parent returns once QEMU
 * wrote its pid file (and the docker socket is served): 0, or 1 when the
 * daemon exited first. */
static int background(struct machine *m)
{
	char log[PATH_MAX], qemu_pid[PATH_MAX], docker[PATH_MAX];
	uint64_t deadline = mono_ms() + START_WAIT_MS;
	int fd, null;
	pid_t pid;

	fflush(stderr);
	machine_path(m, "keel-host.log", log, sizeof(log));
	machine_path(m, "docker.sock", docker, sizeof(docker));
	machine_path(m, "qemu.pid", qemu_pid, sizeof(qemu_pid));
	unlink(qemu_pid);
	if ((pid = fork()) < 0) {
		machine_say("error: fork: %s", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		setsid();
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600);
		null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd < 0 || null < 0 || dup2(null, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(1);
		/* exec'd again with the plan, so that /proc/PID/environ and
		 * cmdline show them (setenv alone changes neither) */
		setenv("KEEL_HELPER_OF", m->state, 1);
		execv("/proc/self/exe", m->plan.v);
		_exit(127);
	}
	if (!wait_path(qemu_pid, pid, deadline)) {
		if (kill(pid, 0) == 0) {
			machine_say("error: QEMU did not start within %u s: stopping", START_WAIT_MS / 1000);
			kill(pid, SIGTERM);
		}
		return 1;
	}
	if (m->c->docker_sock && !wait_path(docker, pid, mono_ms() + 10000))
		machine_say("warning: no docker socket on the host yet (see %s)", log);
	return 0;
}

int start_main(int argc, char **argv)
{
	static struct vm_config c;
	static struct machine m;
	char top[PATH_MAX], err[4096];

	find_top(argc, argv, top, sizeof(top));
	config_defaults(&c, top);
	if (config_load(&c, argc - 2, argv + 2, err, sizeof(err)) < 0 ||
	    machine_prepare(&m, &c, err, sizeof(err)) < 0) {
		machine_say("error: %s", err);
		return 1;
	}
	machine_say("booting (%s, %u cpus, %u MiB; console: %s/console.log; daemon log: %s/keel-host.log)",
		    m.accel, c.cpus, c.memory_mib, m.state, m.state);
	return background(&m);
}

