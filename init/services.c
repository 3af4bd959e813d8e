/* init/services.c: the supervisor's state machine (see services.h). Nothing
 * here blocks: readiness and restarts are driven by the epoll loop through
 * services_on_event, services_on_exit and services_tick. */
#include "services.h"
#include "sockaddr.h"
#include "clock.h"
#include "fd.h"
#include "log.h"
#include "spawn.h"
#include "timeline.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define HEALTHY_RUN_MS 10000   /* a run this long resets the backoff */
#define STOP_REAP_MS 1000      /* after SIGKILL, wait this long for the reap */
#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

const char *svc_state_name(enum svc_state st)
{
	static const char *const names[] = {
		"waiting", "starting", "ready", "backoff", "failed", "stopping", "stopped",
	};
	return (unsigned)st < sizeof(names) / sizeof(names[0]) ? names[st] : "?";
}

static void set_state(struct supervisor *s, struct svc *v, enum svc_state st)
{
	if (v->state != st) {
		log_debug("service %s: %s -> %s", v->def->name,
			  svc_state_name(v->state), svc_state_name(st));
		v->state = st;
	}
	s->changed = true;
}

static void set_failed(struct supervisor *s, struct svc *v, const char *reason)
{
	size_t n = strnlen(reason, sizeof(v->reason) - 1);   /* cut, on purpose */

	memcpy(v->reason, reason, n);
	v->reason[n] = '\0';
	log_err("service %s failed: %s", v->def->name, reason);
	set_state(s, v, SVC_FAILED);
}

static struct svc *find_svc(struct supervisor *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->svcs[i].def->name, name))
			return &s->svcs[i];
	return NULL;
}

int services_init(struct supervisor *s, const struct service_def *defs, size_t n,
		  int epfd, const char *log_dir, const char *net_spec,
		  bool data_ok, const char *data_reason)
{
	size_t i;

	if (n > SERVICES_MAX)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->n = n;
	s->epfd = epfd;
	s->log_dir = log_dir;
	s->net_spec = net_spec ? net_spec : "";
	s->secret_fd = -1;
	s->data_ok = data_ok;
	s->data_reason = data_reason ? data_reason : "";
	s->changed = true;
	for (i = 0; i < n; i++) {
		struct svc *v = &s->svcs[i];
		v->def = &defs[i];
		v->state = SVC_WAITING;
		v->out_fd = v->ready_fd = -1;
		v->w_out = (struct watch){ WATCH_SVC_OUT, v };
		v->w_ready = (struct watch){ WATCH_SVC_READY, v };
		strcpy(v->last_exit, "-");
		svclog_init(&v->log, log_dir, defs[i].name, STDERR_FILENO);
	}
	return 0;
}

static void mark_ready(struct supervisor *s, struct svc *v)
{
	char name[TIMELINE_NAME_MAX];

	set_state(s, v, SVC_READY);
	snprintf(name, sizeof(name), "ready:%s", v->def->name);
	if (!timeline_get(name))
		timeline_mark(name);
	else
		log_info("service %s ready (pid %d)", v->def->name, (int)v->pid);
}

static void watch_fd(struct supervisor *s, int fd, struct watch *w)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = w };

	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		log_warn("epoll add for %s: %s", w->svc->def->name, strerror(errno));
}

static void unwatch_close(struct supervisor *s, int *fd)
{
	if (*fd >= 0)
		epoll_ctl(s->epfd, EPOLL_CTL_DEL, *fd, NULL);
	fd_close(fd);
}

/* argv plus "--net SPEC" for the agent when keel.ip was given. */
static void build_argv(const struct supervisor *s, const struct service_def *d,
		       const char **argv)
{
	size_t n = 0;

	while (d->argv[n] && n < SERVICE_ARGV_MAX) {
		argv[n] = d->argv[n];
		n++;
	}
	if (d->pass_net && s->net_spec[0]) {
		argv[n++] = "--net";
		argv[n++] = s->net_spec;
	}
	argv[n] = NULL;
}

static void build_env(const struct supervisor *s, const struct service_def *d, const char **envp)
{
	size_t n = 0, i;
	bool have_path = false;

	for (i = 0; d->env && d->env[i] && i < SERVICE_ENV_MAX; i++) {
		have_path |= !strncmp(d->env[i], "PATH=", 5);
		envp[n++] = d->env[i];
	}
	if (!have_path)
		envp[n++] = DEFAULT_PATH;
	if (d->ready == READY_NOTIFY)
		envp[n++] = "KEEL_READY_FD=3";
	if (d->pass_secret && s->secret_fd >= 0)
		envp[n++] = "KEEL_SECRET_FD=4";
	envp[n] = NULL;
}

static bool exec_error_is_permanent(int err)
{
	return err == ENOENT || err == EACCES || err == ENOEXEC || err == ENOTDIR ||
	       err == ELOOP || err == ENAMETOOLONG;
}

static void schedule_restart(struct supervisor *s, struct svc *v, uint64_t now);

static void start_svc(struct supervisor *s, struct svc *v, uint64_t now)
{
	const struct service_def *d = v->def;
	const char *argv[SERVICE_ARGV_MAX + 3], *envp[SERVICE_ENV_MAX + 4];
	char why[160], mark[TIMELINE_NAME_MAX];
	int out[2] = { -1, -1 }, rdy[2] = { -1, -1 }, r;
	struct spawn_opts o;
	pid_t pid;

	if (d->needs_data && !s->data_ok) {
		snprintf(why, sizeof(why), "needs /var/lib, data disk unavailable: %s",
			 s->data_reason);
		set_failed(s, v, why);
		return;
	}
	build_argv(s, d, argv);
	build_env(s, d, envp);
	if (pipe2(out, O_CLOEXEC) < 0 ||
	    (d->ready == READY_NOTIFY && pipe2(rdy, O_CLOEXEC) < 0)) {
		r = -errno;
		goto close_pipes;
	}
	fd_set_nonblock(out[0], true);
	if (rdy[0] >= 0)
		fd_set_nonblock(rdy[0], true);
	o = (struct spawn_opts){ .argv = argv, .envp = envp, .out_fd = out[1],
				 .ready_fd = rdy[1], .set_oom = true,
				 .pass_fd = d->pass_secret ? s->secret_fd : -1,
				 .oom_score_adj = d->oom_score_adj };
	r = spawn(&o, &pid);
	fd_close(&out[1]);
	fd_close(&rdy[1]);
	if (r < 0)
		goto close_pipes;
	v->pid = pid;
	v->started_ms = now;
	v->out_fd = out[0];
	v->ready_fd = rdy[0];
	watch_fd(s, v->out_fd, &v->w_out);
	if (v->ready_fd >= 0)
		watch_fd(s, v->ready_fd, &v->w_ready);
	snprintf(mark, sizeof(mark), "exec:%s", d->name);
	if (!timeline_get(mark))
		timeline_mark(mark);
	log_info("service %s started, pid %d", d->name, (int)pid);
	v->reason[0] = '\0';
	set_state(s, v, SVC_STARTING);
	if (d->ready == READY_EXEC)
		mark_ready(s, v);
	else if (d->ready == READY_SOCKET)
		v->due_ms = now;
	return;

close_pipes:
	fd_close(&out[0]);
	fd_close(&out[1]);
	fd_close(&rdy[0]);
	fd_close(&rdy[1]);
	snprintf(why, sizeof(why), "exec %s: %s", d->argv[0], strerror(-r));
	if (exec_error_is_permanent(-r)) {
		set_failed(s, v, why);
		return;
	}
	log_err("service %s: %s", d->name, why);
	schedule_restart(s, v, now);
}

/* Restart with exponential backoff, or give up after restart_limit restarts
 * within restart_window_ms. */
static void schedule_restart(struct supervisor *s, struct svc *v, uint64_t now)
{
	const struct service_def *d = v->def;
	unsigned i, keep = 0;
	uint64_t delay;
	char why[128];

	for (i = 0; i < v->nhist; i++)
		if (now - v->restart_ms[i] < d->restart_window_ms)
			v->restart_ms[keep++] = v->restart_ms[i];
	v->nhist = keep;
	if (v->nhist >= d->restart_limit) {
		snprintf(why, sizeof(why), "%u restarts within %u ms, giving up",
			 v->nhist, d->restart_window_ms);
		set_failed(s, v, why);
		return;
	}
	if (v->nhist == RESTART_HISTORY) {
		memmove(v->restart_ms, v->restart_ms + 1, sizeof(v->restart_ms[0]) * (RESTART_HISTORY - 1));
		v->nhist--;
	}
	v->restart_ms[v->nhist++] = now;
	v->restarts++;
	delay = d->backoff_min_ms;
	for (i = 0; i < v->backoff_step && delay < d->backoff_max_ms; i++)
		delay *= 2;
	if (delay > d->backoff_max_ms)
		delay = d->backoff_max_ms;
	v->backoff_step++;
	v->due_ms = now + delay;
	log_info("service %s: restart %u in %llu ms", d->name, v->restarts,
		 (unsigned long long)delay);
	set_state(s, v, SVC_BACKOFF);
}

static bool socket_accepts(const char *path)
{
	struct sockaddr_un sa;
	int fd, r;

	if (sockaddr_from_path(path, &sa) < 0)
		return false;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return false;
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	return r == 0;
}

static void tick_one(struct supervisor *s, struct svc *v, uint64_t now)
{
	struct svc *dep;
	char why[96];

	switch (v->state) {
	case SVC_WAITING:
		if (v->def->needs_data && s->data_pending)
			break;
		dep = v->def->after ? find_svc(s, v->def->after) : NULL;
		if (dep && dep->state == SVC_FAILED) {
			snprintf(why, sizeof(why), "dependency %s failed", dep->def->name);
			set_failed(s, v, why);
		} else if (!dep || dep->state == SVC_READY) {
			start_svc(s, v, now);
		}
		break;
	case SVC_BACKOFF:
		if (now >= v->due_ms)
			start_svc(s, v, now);
		break;
	case SVC_STARTING:
		if (v->def->ready == READY_SOCKET && now >= v->due_ms) {
			if (socket_accepts(v->def->ready_path))
				mark_ready(s, v);
			else
				v->due_ms = now + SOCKET_POLL_MS;
		}
		break;
	default:
		break;
	}
}

/* Shutdown: the last running service gets SIGTERM, then SIGKILL after its
 * grace; the next one is only touched once this one is gone. */
static void tick_stop(struct supervisor *s, uint64_t now)
{
	size_t i;

	for (i = s->n; i-- > 0;) {
		struct svc *v = &s->svcs[i];

		if (v->pid <= 0) {
			if (v->state != SVC_FAILED && v->state != SVC_STOPPED)
				set_state(s, v, SVC_STOPPED);
			continue;
		}
		if (v->state != SVC_STOPPING) {
			log_info("stopping %s (pid %d), grace %u ms", v->def->name,
				 (int)v->pid, v->def->grace_ms);
			kill(v->pid, SIGTERM);
			v->due_ms = now + v->def->grace_ms;
			v->killed = false;
			set_state(s, v, SVC_STOPPING);
		} else if (now >= v->due_ms && !v->killed) {
			log_warn("%s did not stop within %u ms, killing", v->def->name,
				 v->def->grace_ms);
			kill(v->pid, SIGKILL);
			v->killed = true;
			v->due_ms = now + STOP_REAP_MS;
		} else if (now >= v->due_ms) {
			/* Unkillable (stuck in the kernel): do not hold up the rest;
			 * shutdown's final reaping collects it if it ever exits. */
			log_err("%s (pid %d) survives SIGKILL; going on", v->def->name,
				(int)v->pid);
			v->pid = 0;
			set_state(s, v, SVC_STOPPED);
			continue;
		}
		return;                  /* one at a time, in reverse order */
	}
}

static bool has_deadline(const struct svc *v)
{
	return v->state == SVC_BACKOFF || v->state == SVC_STOPPING ||
	       (v->state == SVC_STARTING && v->def->ready == READY_SOCKET);
}

void services_set_data(struct supervisor *s, bool ok, const char *reason)
{
	s->data_pending = false;
	s->data_ok = ok;
	s->data_reason = reason ? reason : "";
	s->changed = true;
}

uint64_t services_tick(struct supervisor *s, uint64_t now)
{
	uint64_t next = UINT64_MAX;
	size_t i;

	if (s->stopping)
		tick_stop(s, now);
	else
		for (i = 0; i < s->n; i++)
			tick_one(s, &s->svcs[i], now);
	for (i = 0; i < s->n; i++)
		if (has_deadline(&s->svcs[i]) && s->svcs[i].due_ms < next)
			next = s->svcs[i].due_ms;
	return next;
}

static void drain_output(struct svc *v)
{
	char buf[4096];
	ssize_t n;
	int rounds = 16;             /* bounded: a chatty service cannot starve init */

	while (rounds-- > 0 && (n = read(v->out_fd, buf, sizeof(buf))) > 0)
		svclog_write(&v->log, buf, (size_t)n);
}

bool services_on_exit(struct supervisor *s, pid_t pid, int status, uint64_t now)
{
	struct svc *v = NULL;
	size_t i;

	for (i = 0; i < s->n && !v; i++)
		if (s->svcs[i].pid == pid)
			v = &s->svcs[i];
	if (!v)
		return false;
	if (v->out_fd >= 0)
		drain_output(v);
	svclog_flush(&v->log);
	unwatch_close(s, &v->out_fd);
	unwatch_close(s, &v->ready_fd);
	v->pid = 0;
	if (WIFSIGNALED(status))
		snprintf(v->last_exit, sizeof(v->last_exit), "signal:%d", WTERMSIG(status));
	else
		snprintf(v->last_exit, sizeof(v->last_exit), "exit:%d", WEXITSTATUS(status));
	if (s->stopping || v->state == SVC_STOPPING) {
		log_info("service %s stopped (%s)", v->def->name, v->last_exit);
		set_state(s, v, SVC_STOPPED);
		return true;
	}
	log_warn("service %s exited (%s)", v->def->name, v->last_exit);
	if (now - v->started_ms >= HEALTHY_RUN_MS)
		v->backoff_step = 0;
	schedule_restart(s, v, now);
	return true;
}

static void on_ready_fd(struct supervisor *s, struct svc *v)
{
	char buf[256];
	ssize_t n = read(v->ready_fd, buf, sizeof(buf));

	if (n < 0)
		return;                  /* EAGAIN */
	if (n == 0) {
		if (v->state == SVC_STARTING)
			log_warn("service %s closed its readiness fd without a line",
				 v->def->name);
		unwatch_close(s, &v->ready_fd);
		return;
	}
	if (v->state == SVC_STARTING && memchr(buf, '\n', (size_t)n))
		mark_ready(s, v);
}

void services_on_event(struct supervisor *s, struct watch *w, uint64_t now)
{
	struct svc *v = w->svc;
	char buf[4096];
	ssize_t n;

	(void)now;
	if (w->kind == WATCH_SVC_READY && v->ready_fd >= 0) {
		on_ready_fd(s, v);
		return;
	}
	if (w->kind != WATCH_SVC_OUT || v->out_fd < 0)
		return;
	n = read(v->out_fd, buf, sizeof(buf));
	if (n > 0)
		svclog_write(&v->log, buf, (size_t)n);
	else if (n == 0)
		unwatch_close(s, &v->out_fd);   /* it closed stdout; keep running */
}

void services_stop_all(struct supervisor *s, uint64_t now)
{
	s->stopping = true;
	tick_stop(s, now);
}

bool services_all_stopped(const struct supervisor *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->svcs[i].pid > 0)
			return false;
	return true;
}
