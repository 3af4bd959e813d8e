/* host/keel-host/main.c: keel-host, the one host process of a VM (docs/
 * host-daemon.md). `keel-host start [OPTIONS]` (start.h; what scripts/
 * run-vm start runs) makes the plan from the user's config and the options
 * and execs keel-host with it in the background; `keel-host --state ...`
 * takes a plan directly (plan.h; the tests run it so, with a stand-in for
 * QEMU). With the plan it starts the helpers and QEMU (supervise.h),
 * serves the docker socket, publish and binds in-process (services.h),
 * keeps the guest clock (timekeeper.h), writes STATE/status.json
 * (status.h) and the bounded console log (console.h). One epoll loop: a
 * signalfd (SIGCHLD, SIGTERM, SIGINT, SIGHUP) and the console sockets;
 * deadlines are epoll timeouts.
 *
 * SIGTERM (run-vm stop): the agent is asked to power off (QMP
 * system_powerdown when it does not answer); a second SIGTERM, or QEMU
 * still there after the grace (90 s; 10 s without the agent), quits QEMU.
 * When QEMU exits, the helpers and services stop and keel-host exits: 0
 * when QEMU exited 0, else 1. */
#include "clock.h"
#include "config.h"
#include "console.h"
#include "fd.h"
#include "fuse_prime.h"
#include "log.h"
#include "plan.h"
#include "qmp.h"
#include "rpc.h"
#include "services.h"
#include "start.h"
#include "status.h"
#include "supervise.h"
#include "timekeeper.h"
#include "vu_relay.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STOP_GRACE_MS 90000u     /* guest power-off before QEMU is quit */
#define QUIT_GRACE_MS 5000u      /* QMP quit / SIGTERM before SIGKILL */
#define NO_AGENT_GRACE_MS 10000u /* the same when the agent did not take it */
#define REBOOTS_MAX 5u           /* VM restarts for a dead helper, then exit */

static const char usage[] =
"usage: keel-host start [OPTIONS]   (the VM of the config file and OPTIONS, in the background)\n"
"       keel-host --state DIR (--hybrid PATH | --vsock CID | --uds PATH) [--secret FILE]\n"
"                 [--docker-sock PATH [--docker-guest PATH]]\n"
"                 [--no-publish] [--bindd PATH] [--bind [udp:]GUESTPORT:HOSTADDR:HOSTPORT]...\n"
"                 [--sync-interval S] [--console-max BYTES] [--log-max BYTES]\n"
"                 [--info KEY=VALUE]... [--helper NAME SOCKET FD3DIR|- ARGC ARGV...]...\n"
"                 [--reboot-on-death NAME]... [--relay NAME FRONT]... [--relay-fs NAME FRONT]...\n"
"                 --qemu ARGC ARGV...\n"
"The host daemon of one keel VM; scripts/run-vm start runs it (docs/host-daemon.md).\n"
"Options of start:\n";

struct daemon {
	struct host_plan plan;
	struct vm vm;
	struct console con;
	struct rotlog log;           /* our own stderr, STATE/keel-host.log */
	struct vu_relay *relays;     /* --relay: QEMU's vhost-user sockets, n_relays of them */
	size_t n_relays;
	char path[7][4096];
	int ep, sfd;
	uint64_t quit_at, kill_at;   /* 0: not due */
	bool user_stop;              /* SIGTERM: no reboot, exit with QEMU */
	bool rebooting;
};

enum { P_STATUS, P_CONSOLE_SOCK, P_CONSOLE_LOG, P_QMP_HOST, P_QMP, P_LOG, P_PIDFILE, P_COUNT };

static int state_path(struct daemon *d, int which, const char *name)
{
	return snprintf(d->path[which], sizeof(d->path[which]), "%s/%s", d->plan.state, name) >=
	       (int)sizeof(d->path[which]) ? -ENAMETOOLONG : 0;
}

static int block_signals(void)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGCHLD);
	sigaddset(&s, SIGTERM);
	sigaddset(&s, SIGINT);
	sigaddset(&s, SIGHUP);
	/* before any thread: every thread inherits the mask, only ours reads */
	if (sigprocmask(SIG_BLOCK, &s, NULL) < 0)
		return -errno;
	/* a shell's `&` leaves SIGINT ignored, and an ignored signal never
	 * reaches a signalfd */
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_IGN);
	return signalfd(-1, &s, SFD_CLOEXEC | SFD_NONBLOCK);
}

static void watch(struct daemon *d, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	epoll_ctl(d->ep, EPOLL_CTL_ADD, fd, &ev);
}

/* Ask the guest to power off: the agent first, ACPI through QMP else.
 * true when the agent took it. */
static bool request_poweroff(struct daemon *d)
{
	Keel__Request req = KEEL__REQUEST__INIT;
	Keel__PowerRequest pw = KEEL__POWER_REQUEST__INIT;
	Keel__Response *resp = NULL;
	struct qmp q;
	struct rpc r;
	int e = rpc_open(&r, &d->plan.t);

	pw.action = KEEL__POWER_REQUEST__ACTION__ACTION_SHUTDOWN;
	req.body_case = KEEL__REQUEST__BODY_POWER;
	req.power = &pw;
	if (e == 0) {
		e = rpc_call(&r, &req, &resp);
		rpc_close(&r);
	}
	if (e == 0 && !resp->error) {
		log_info("stop: the agent powers the guest off");
	} else {
		log_warn("stop: the agent did not answer (%s); ACPI power-off through QMP",
			 e ? strerror(-e) : resp->error->message);
		if (qmp_open(&q, d->path[P_QMP], 2000) == 0) {
			qmp_command(&q, "system_powerdown");
			qmp_close(&q);
		}
	}
	bool ok = e == 0 && !resp->error;
	if (resp)
		keel__response__free_unpacked(resp, NULL);
	return ok;
}

static void quit_qemu(struct daemon *d)
{
	struct qmp q;

	log_warn("stop: quitting QEMU (the data disk may need fsck at the next boot)");
	if (qmp_open(&q, d->path[P_QMP], 2000) == 0) {
		qmp_command(&q, "quit");
		qmp_close(&q);
	} else {
		kill(d->vm.qemu.pid, SIGTERM);
	}
	d->quit_at = 0;
	d->kill_at = mono_ms() + QUIT_GRACE_MS;
}

static void on_stop_signal(struct daemon *d, int sig)
{
	if (d->vm.qemu.pid == 0)
		return;
	if (d->quit_at) {
		quit_qemu(d);   /* asked again: do not wait for the guest */
		return;
	}
	log_info("stop: signal %d", sig);
	d->user_stop = true;
	d->vm.stopping = true;
	status_set_str("daemon", "state", "stopping");
	/* keel-init has no ACPI power-button handler: without the agent the
	 * guest will not power off by itself, so wait less */
	d->quit_at = mono_ms() + (request_poweroff(d) ? STOP_GRACE_MS : NO_AGENT_GRACE_MS);
}

/* Signals; true when QEMU is gone. */
static bool on_signals(struct daemon *d)
{
	struct signalfd_siginfo si;

	bool gone;

	while (read(d->sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		if (si.ssi_signo != SIGCHLD)
			on_stop_signal(d, (int)si.ssi_signo);
	gone = vm_reap(&d->vm);
	if (!gone && d->vm.reboot_pending && !d->rebooting && !d->user_stop) {
		/* the agent, if it still answers, powers off in order; without
		 * it (keel-vsock gone) QEMU is quit at once */
		d->rebooting = true;
		d->vm.stopping = true;
		status_set_str("vm", "state", "rebooting");
		if (request_poweroff(d))
			d->quit_at = mono_ms() + 30000;
		else
			quit_qemu(d);
	}
	return gone;
}

static int timeout_ms(struct daemon *d)
{
	uint64_t now = mono_ms();
	int t = vm_restart_due(&d->vm), due;

	if (d->quit_at && now >= d->quit_at)
		quit_qemu(d);
	if (d->kill_at && now >= d->kill_at) {
		kill(d->vm.qemu.pid, SIGKILL);
		d->kill_at = 0;
	}
	for (size_t i = 0; i < d->n_relays; i++) {
		due = vu_relay_timeout(&d->relays[i]);
		t = due >= 0 && (t < 0 || due < t) ? due : t;
	}
	for (int i = 0; i < 2; i++) {
		uint64_t at = i ? d->kill_at : d->quit_at;
		if (!at)
			continue;
		due = at > now ? (int)(at - now) : 0;
		t = t < 0 || due < t ? due : t;
	}
	/* our own log is checked against its bound every 10 s at most */
	return t < 0 || t > 10000 ? 10000 : t;
}

static bool relay_ready(struct daemon *d, int fd)
{
	for (size_t i = 0; i < d->n_relays; i++)
		if (vu_relay_ready(&d->relays[i], fd))
			return true;
	return false;
}

static void loop(struct daemon *d)
{
	struct epoll_event ev[8];

	for (;;) {
		int n = epoll_wait(d->ep, ev, 8, timeout_ms(d));
		for (int i = 0; i < n; i++) {
			int fd = ev[i].data.fd;
			if (fd == d->sfd) {
				if (on_signals(d))
					return;
				continue;
			}
			if (relay_ready(d, fd))
				continue;
			int before = d->con.cfd;
			console_ready(&d->con, fd);
			if (d->con.cfd >= 0 && d->con.cfd != before)
				watch(d, d->con.cfd);
		}
		rotlog_check(&d->log);
	}
}

/* QEMU's side of each relayed helper, before QEMU starts. */
static int open_relays(struct daemon *d)
{
	if (!(d->relays = calloc(d->plan.n_helpers ? d->plan.n_helpers : 1, sizeof(*d->relays))))
		return -ENOMEM;
	for (size_t i = 0; i < d->plan.n_helpers; i++) {
		const struct plan_helper *h = &d->plan.helpers[i];
		int e;
		if (!h->relay_front)
			continue;
		if ((e = vu_relay_open(&d->relays[d->n_relays], h->name, h->relay_front, h->socket,
				       d->ep)) < 0) {
			log_err("%s: cannot listen on %s: %s", h->name, h->relay_front, strerror(-e));
			return e;
		}
		if (h->relay_fuse)
			d->relays[d->n_relays].prime = fuse_prime;
		d->n_relays++;
	}
	return 0;
}

static int setup(struct daemon *d)
{
	static const char *const names[P_COUNT] = { "status.json", "console.sock", "console.log",
						    "qmp-host.sock", "qmp.sock", "keel-host.log",
						    "keel-host.pid" };
	char pid[32];
	int e;

	for (int i = 0; i < P_COUNT; i++)
		if ((e = state_path(d, i, names[i])) < 0)
			return e;
	/* stderr is the log the front end opened; bound it here */
	d->log = (struct rotlog){ .path = d->path[P_LOG], .fd = STDERR_FILENO,
				  .max = (off_t)d->plan.log_max };
	if ((e = status_init(d->path[P_STATUS])) < 0)
		return e;
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	status_set_int("daemon", "pid", getpid());
	status_set_str("daemon", "state", "starting");
	status_set_str("daemon", "log", d->path[P_LOG]);
	status_set_str("vm", "state", "starting");
	status_set_str("vm", "console", d->path[P_CONSOLE_LOG]);
	for (size_t i = 0; i < d->plan.n_info; i++) {
		char kv[256], *eq;
		snprintf(kv, sizeof(kv), "%s", d->plan.info[i]);
		if ((eq = strchr(kv, '=')))   /* plan_parse checked; a long one is cut */
			*eq = 0, status_set_info(kv, eq + 1);
	}
	if ((e = fd_write_file_atomic(d->path[P_PIDFILE], pid, strlen(pid), 0600)) < 0)
		return e;
	if ((d->ep = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return -errno;
	watch(d, d->sfd);
	if ((e = console_open(&d->con, d->path[P_CONSOLE_SOCK], d->path[P_CONSOLE_LOG],
			      (off_t)d->plan.console_max)) < 0)
		return e;
	watch(d, d->con.lfd);
	return open_relays(d);
}

/* The shares the front end listed in STATE/shares (DIR TAB TAG TAB NOTE). */
static void read_shares(struct daemon *d)
{
	char path[4096], line[8192];
	FILE *f;

	snprintf(path, sizeof(path), "%s/shares", d->plan.state);
	if (!(f = fopen(path, "re")))
		return;
	while (fgets(line, sizeof(line), f)) {
		char *tag = strchr(line, '\t'), *note = tag ? strchr(tag + 1, '\t') : NULL;
		if (!note)
			continue;
		*tag++ = 0;
		*note++ = 0;
		note[strcspn(note, "\n")] = 0;
		status_share(line, tag, note);
	}
	fclose(f);
}

static int run(struct daemon *d)
{
	struct timekeeper tk = { &d->plan.t, d->path[P_QMP_HOST], d->plan.sync_interval_s };
	int e;

	if ((e = vm_start_helpers(&d->vm)) < 0)
		return 1;
	read_shares(d);
	if ((e = vm_start_qemu(&d->vm)) < 0) {
		log_err("qemu: cannot start %s: %s", d->plan.qemu[0], strerror(-e));
		vm_stop_helpers(&d->vm, 3000);
		return 1;
	}
	if ((e = services_start(&d->plan)) < 0 || (e = timekeeper_start(&tk)) < 0)
		log_err("a service did not start: %s", strerror(-e));
	status_set_str("daemon", "state", "running");
	for (;;) {
		loop(d);
		vm_stop_helpers(&d->vm, 3000);
		if (!d->rebooting || d->user_stop)
			break;
		if (d->vm.reboots >= REBOOTS_MAX) {
			log_err("the VM was restarted %u times already: giving up", d->vm.reboots);
			break;
		}
		d->rebooting = false;
		d->quit_at = d->kill_at = 0;
		log_info("restarting the VM (reboot %u)", d->vm.reboots + 1);
		if ((e = vm_restart(&d->vm)) < 0) {
			log_err("the VM did not start again: %s", strerror(-e));
			break;
		}
	}
	services_stop();
	for (size_t i = 0; i < d->n_relays; i++)
		vu_relay_close(&d->relays[i]);
	status_set_str("daemon", "state", "exited");
	log_info("the VM is down (qemu %s); every helper stopped", d->vm.qemu.last_exit);
	return strcmp(d->vm.qemu.last_exit, "exit 0") == 0 ? 0 : 1;
}

/* The daemon with a plan (plan.h), in this process. */
static int daemon_main(int argc, char **argv)
{
	static struct daemon d;
	char err[256];
	int rc;

	if (plan_parse(argc, argv, &d.plan, err, sizeof(err)) < 0) {
		fprintf(stderr, "keel-host: %s\n%s", err, usage);
		return 2;
	}
	if ((d.sfd = block_signals()) < 0 || setup(&d) < 0) {
		log_err("setup in %s failed: %s", d.plan.state, strerror(errno));
		return 1;
	}
	vm_init(&d.vm, &d.plan);
	rc = run(&d);
	unlink(d.path[P_PIDFILE]);
	unlink(d.path[P_CONSOLE_SOCK]);
	return rc;
}

int main(int argc, char **argv)
{
	log_init("keel-host", false);
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(usage, stdout);
		fputs(config_usage, stdout);
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "start") == 0)
		return start_main(argc, argv);
	return daemon_main(argc, argv);
}
