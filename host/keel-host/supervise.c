/* host/keel-host/supervise.c: launching and restarting (supervise.h). */
#include "supervise.h"
#include "child.h"
#include "clock.h"
#include "fd.h"
#include "log.h"
#include "status.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BACKOFF_MIN_MS 500u
#define BACKOFF_MAX_MS 30000u
#define STABLE_MS 60000u
#define SOCKET_WAIT_MS 10000u

static void describe_exit(int status, char *out, size_t n)
{
	if (WIFSIGNALED(status))
		snprintf(out, n, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(out, n, "exit %d", WEXITSTATUS(status));
}

static void pid_file(const struct vm *v, const struct proc *p)
{
	char path[4096], text[32];
	int n;

	if (snprintf(path, sizeof(path), "%s/%s.pid", v->plan->state, p->name) >= (int)sizeof(path))
		return;
	if (!p->pid) {
		unlink(path);
		return;
	}
	n = snprintf(text, sizeof(text), "%d\n", (int)p->pid);
	fd_write_file_atomic(path, text, (size_t)n, 0600);
}

static void report(const struct vm *v, const struct proc *p, const char *state)
{
	/* every helper is a vhost-user backend, which QEMU never reconnects
	 * unless keel-host relays its socket */
	const char *note = p->restarts && !p->reboot_vm && !p->relayed && !v->reboots ?
		"restarted, but QEMU does not reconnect its vhost-user device: "
		"its device is down until the VM restarts" : NULL;

	status_helper(p->name, state, p->pid, p->restarts, p->last_exit[0] ? p->last_exit : NULL, note);
}

static int spawn(struct vm *v, struct proc *p, int death_signal)
{
	char log[4096];
	struct child_spec s = { p->argv, log, p->fd3_dir, death_signal };
	int e;

	if (snprintf(log, sizeof(log), "%s/%s.log", v->plan->state, p->name) >= (int)sizeof(log))
		return -ENAMETOOLONG;
	if (p->socket)
		unlink(p->socket);   /* a dead helper's socket would look ready */
	if ((e = child_spawn(&s, &p->pid)) < 0)
		return e;
	p->started_ms = mono_ms();
	p->restart_at_ms = 0;
	if (p != &v->qemu)
		pid_file(v, p);
	return 0;
}

void vm_init(struct vm *v, const struct host_plan *p)
{
	memset(v, 0, sizeof(*v));
	v->plan = p;
	v->n_helpers = p->n_helpers;
	for (size_t i = 0; i < p->n_helpers; i++)
		v->helpers[i] = (struct proc){ .name = p->helpers[i].name, .socket = p->helpers[i].socket,
					       .fd3_dir = p->helpers[i].fd3_dir, .argv = p->helpers[i].argv,
					       .backoff_ms = BACKOFF_MIN_MS, .reboot_vm = p->helpers[i].reboot_vm,
					       .relayed = p->helpers[i].relay_front != NULL };
	v->qemu = (struct proc){ .name = "qemu", .argv = p->qemu };
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static int wait_socket(struct proc *p)
{
	uint64_t deadline = mono_ms() + SOCKET_WAIT_MS;
	int status;

	while (!exists(p->socket)) {
		if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
			describe_exit(status, p->last_exit, sizeof(p->last_exit));
			p->pid = 0;
			return -ECHILD;
		}
		if (mono_ms() >= deadline)
			return -ETIMEDOUT;
		nanosleep(&(struct timespec){ 0, 20 * 1000000 }, NULL);
	}
	return 0;
}

int vm_start_helpers(struct vm *v)
{
	int e = 0;

	for (size_t i = 0; i < v->n_helpers && e == 0; i++) {
		struct proc *p = &v->helpers[i];
		if ((e = spawn(v, p, SIGKILL)) < 0)
			log_err("%s: cannot start %s: %s", p->name, p->argv[0], strerror(-e));
		else if ((e = wait_socket(p)) < 0)
			log_err("%s: no socket at %s: %s", p->name, p->socket,
				e == -ECHILD ? p->last_exit : "not within 10 s");
		else
			log_info("%s: running (pid %d)", p->name, (int)p->pid);
		report(v, p, e ? "failed" : "running");
	}
	if (e)
		vm_stop_helpers(v, 3000);
	return e;
}

int vm_start_qemu(struct vm *v)
{
	/* SIGTERM: QEMU quits at once ("terminating on signal 15") */
	int e = spawn(v, &v->qemu, SIGTERM);

	if (e == 0) {
		log_info("qemu: started (pid %d)", (int)v->qemu.pid);
		status_set_str("vm", "state", "running");
		status_set_int("vm", "pid", v->qemu.pid);
		status_set_int("vm", "started_unix", time(NULL));
	}
	return e;
}

static struct proc *find(struct vm *v, pid_t pid)
{
	for (size_t i = 0; i < v->n_helpers; i++)
		if (v->helpers[i].pid == pid)
			return &v->helpers[i];
	return v->qemu.pid == pid ? &v->qemu : NULL;
}

/* status: its wait status; -1 when it could not even be started */
static void helper_died(struct vm *v, struct proc *p, int status)
{
	uint64_t now = mono_ms();

	if (v->stopping) {
		report(v, p, "stopped");
		return;
	}
	/* A vhost-user backend exits 0 when QEMU closes its socket, which QEMU
	 * does as it exits (a guest power-off): its SIGCHLD can come before
	 * QEMU's. Only a crash or a kill restarts the VM. A relayed helper is
	 * restarted whatever its exit (virtiofsd exits 0 after refusing a
	 * message too): if QEMU is going, its exit stops the restart. */
	if (p->reboot_vm && status == 0) {
		report(v, p, "stopped");
		return;
	}
	if (p->reboot_vm) {
		if (!v->reboot_pending)
			log_warn("%s: %s; QEMU cannot reconnect its device: restarting the VM",
				 p->name, p->last_exit);
		v->reboot_pending = true;
		p->restarts++;
		report(v, p, "restarting with the VM");
		return;
	}
	if (now - p->started_ms >= STABLE_MS)
		p->backoff_ms = BACKOFF_MIN_MS;
	p->restart_at_ms = now + p->backoff_ms;
	log_warn("%s: %s; restart %u in %u ms", p->name, p->last_exit, p->restarts + 1, p->backoff_ms);
	p->backoff_ms = p->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : p->backoff_ms * 2;
	report(v, p, "restarting");
}

bool vm_reap(struct vm *v)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		struct proc *p = find(v, pid);
		if (!p)
			continue;
		describe_exit(status, p->last_exit, sizeof(p->last_exit));
		if (p != &v->qemu)
			kill(-pid, SIGKILL);   /* what it left in its session */
		p->pid = 0;
		if (p == &v->qemu) {
			log_info("qemu: %s", p->last_exit);
			status_set_str("vm", "state", "stopped");
			status_set_str("vm", "exit", p->last_exit);
		} else {
			pid_file(v, p);
			helper_died(v, p, status);
		}
	}
	return v->qemu.pid == 0;
}

int vm_restart_due(struct vm *v)
{
	uint64_t now = mono_ms();
	int next = -1, e;

	for (size_t i = 0; i < v->n_helpers; i++) {
		struct proc *p = &v->helpers[i];
		if (!p->restart_at_ms || v->stopping)
			continue;
		if (p->restart_at_ms > now) {
			int left = (int)(p->restart_at_ms - now);
			next = next < 0 || left < next ? left : next;
			continue;
		}
		p->restarts++;
		if ((e = spawn(v, p, SIGKILL)) < 0) {
			snprintf(p->last_exit, sizeof(p->last_exit), "cannot start: %s", strerror(-e));
			p->started_ms = now;
			helper_died(v, p, -1);
			continue;
		}
		log_info("%s: restarted (pid %d, restart %u)", p->name, (int)p->pid, p->restarts);
		report(v, p, "running");
	}
	return next;
}

/* " keel.data.new" out of the -append argument, in place. */
static void drop_data_new(char **argv)
{
	static const char flag[] = " keel.data.new";

	for (size_t i = 0; argv[i] && argv[i + 1]; i++) {
		char *at;
		if (strcmp(argv[i], "-append") != 0 || !(at = strstr(argv[i + 1], flag)))
			continue;
		memmove(at, at + sizeof(flag) - 1, strlen(at + sizeof(flag) - 1) + 1);
	}
}

int vm_restart(struct vm *v)
{
	int e;

	v->stopping = false;
	v->reboot_pending = false;
	v->reboots++;
	status_set_int("vm", "reboots", v->reboots);
	drop_data_new(v->qemu.argv);
	if ((e = vm_start_helpers(v)) < 0)
		return e;
	return vm_start_qemu(v);
}

void vm_stop_helpers(struct vm *v, unsigned grace_ms)
{
	uint64_t deadline = mono_ms() + grace_ms;
	bool left = true;

	v->stopping = true;
	for (size_t i = 0; i < v->n_helpers; i++)
		if (v->helpers[i].pid)
			kill(-v->helpers[i].pid, SIGTERM);
	while (left) {
		vm_reap(v);
		left = false;
		for (size_t i = 0; i < v->n_helpers; i++)
			left |= v->helpers[i].pid != 0;
		if (!left)
			break;
		if (mono_ms() >= deadline)
			for (size_t i = 0; i < v->n_helpers; i++)
				if (v->helpers[i].pid)
					kill(-v->helpers[i].pid, SIGKILL);
		nanosleep(&(struct timespec){ 0, 20 * 1000000 }, NULL);
	}
	for (size_t i = 0; i < v->n_helpers; i++) {
		v->helpers[i].restart_at_ms = 0;
		pid_file(v, &v->helpers[i]);
	}
}
