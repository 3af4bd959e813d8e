/* init/loop.c: the one epoll loop of PID 1. A signalfd carries every signal
 * init acts on (dispatched through a const table), one timerfd wakes the
 * supervisor for its deadlines, service pipes carry output and readiness. */
#include "init.h"
#include "clock.h"
#include "log.h"
#include "status.h"
#include "timeline.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_child(struct init_ctx *c);
static void on_poweroff(struct init_ctx *c);
static void on_reboot(struct init_ctx *c);

static const struct {
	int sig;
	void (*fn)(struct init_ctx *c);
} signal_table[] = {
	{ SIGCHLD, on_child },
	{ SIGTERM, on_poweroff },
	{ SIGINT,  on_poweroff },      /* ctrl-alt-del, after RB_DISABLE_CAD */
	{ SIGPWR,  on_poweroff },
	{ SIGUSR1, on_reboot },
};

/* Reap every child, orphans included; services get their exit handled. */
static void on_child(struct init_ctx *c)
{
	uint64_t now = mono_ms();
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		services_on_exit(&c->sup, pid, status, now);
}

static void begin_shutdown(struct init_ctx *c, enum shutdown_kind kind)
{
	if (c->shutdown != SHUTDOWN_NONE)
		return;
	c->shutdown = kind;
	timeline_mark("shutdown-request");
	log_info("%s requested: stopping services in reverse order",
		 kind == SHUTDOWN_REBOOT ? "reboot" : "power off");
	services_stop_all(&c->sup, mono_ms());
}

static void on_poweroff(struct init_ctx *c) { begin_shutdown(c, SHUTDOWN_POWEROFF); }
static void on_reboot(struct init_ctx *c) { begin_shutdown(c, SHUTDOWN_REBOOT); }

static void on_signalfd(struct init_ctx *c)
{
	struct signalfd_siginfo si;
	size_t i;

	while (read(c->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		for (i = 0; i < sizeof(signal_table) / sizeof(signal_table[0]); i++)
			if ((int)si.ssi_signo == signal_table[i].sig)
				signal_table[i].fn(c);
	}
}

int loop_setup(struct init_ctx *c)
{
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t set;
	size_t i;

	sigemptyset(&set);
	for (i = 0; i < sizeof(signal_table) / sizeof(signal_table[0]); i++)
		sigaddset(&set, signal_table[i].sig);
	c->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	c->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (c->sigfd < 0 || c->timerfd < 0 || c->epfd < 0)
		return -errno;
	c->w_sig = (struct watch){ WATCH_SIGNAL, NULL };
	c->w_timer = (struct watch){ WATCH_TIMER, NULL };
	ev.data.ptr = &c->w_sig;
	if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->sigfd, &ev) < 0)
		return -errno;
	ev.data.ptr = &c->w_timer;
	if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, c->timerfd, &ev) < 0)
		return -errno;
	return 0;
}

void publish_status(struct init_ctx *c)
{
	struct status_view v = {
		.pid = getpid(), .boot_ms = c->boot_ms, .data = &c->data,
		.shares = c->shares, .nshares = c->nshares, .sup = &c->sup,
	};
	int r = status_publish(&v, c->status_path);

	if (r < 0)
		log_err("status %s: %s", c->status_path, strerror(-r));
}

static void arm_timer(struct init_ctx *c, uint64_t at_ms)
{
	struct itimerspec its = { 0 };

	if (at_ms != UINT64_MAX) {
		if (at_ms == 0)
			at_ms = 1;            /* 0 would disarm */
		its.it_value.tv_sec = (time_t)(at_ms / 1000);
		its.it_value.tv_nsec = (long)(at_ms % 1000) * 1000000L;
	}
	if (timerfd_settime(c->timerfd, TFD_TIMER_ABSTIME, &its, NULL) < 0)
		log_err("timerfd: %s", strerror(errno));
}

/* Once every service is ready or has failed: one summary line and the
 * timeline file for the host tooling. */
static void maybe_summary(struct init_ctx *c)
{
	char line[2048];
	size_t i;

	if (c->summary_done)
		return;
	for (i = 0; i < c->sup.n; i++)
		if (c->sup.svcs[i].state != SVC_READY && c->sup.svcs[i].state != SVC_FAILED)
			return;
	c->summary_done = true;
	timeline_mark("services");
	timeline_summary(line, sizeof(line));
	log_info("timeline: summary %s", line);
	if (timeline_write(c->timeline_path) < 0)
		log_err("cannot write %s", c->timeline_path);
}

static void dispatch(struct init_ctx *c, struct watch *w)
{
	uint64_t ticks;

	switch (w->kind) {
	case WATCH_SIGNAL:
		on_signalfd(c);
		break;
	case WATCH_TIMER:
		if (read(c->timerfd, &ticks, sizeof(ticks)) < 0) {
			/* EAGAIN: already consumed */
		}
		break;
	case WATCH_DATA:
		data_step_finish(c);
		break;
	default:
		services_on_event(&c->sup, w, mono_ms());
		break;
	}
}

void loop_run(struct init_ctx *c)
{
	struct epoll_event evs[16];
	int n, i;

	for (;;) {
		uint64_t next = services_tick(&c->sup, mono_ms());

		if (c->shutdown == SHUTDOWN_NONE)
			maybe_summary(c);
		if (c->sup.changed) {
			c->sup.changed = false;
			publish_status(c);
		}
		if (c->shutdown != SHUTDOWN_NONE && services_all_stopped(&c->sup))
			shutdown_finish(c);
		arm_timer(c, next);
		n = epoll_wait(c->epfd, evs, (int)(sizeof(evs) / sizeof(evs[0])), -1);
		if (n < 0 && errno != EINTR) {
			log_err("epoll_wait: %s", strerror(errno));
			reap_forever();
		}
		for (i = 0; i < n; i++)
			dispatch(c, evs[i].data.ptr);
	}
}
