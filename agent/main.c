/* agent/main.c: keel-agent's command line, setup and shutdown. */
#include "agent.h"
#include "bind.h"
#include "control.h"
#include "decimal.h"
#include "dns_server.h"
#include "fd.h"
#include "forward.h"
#include "frame.h"
#include "hostnet.h"
#include "listen.h"
#include "listener.h"
#include "log.h"
#include "mountpoint.h"
#include "netconf.h"
#include "probe.h"
#include "timesync.h"
#include "watch.h"
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#define STR_(x) #x
#define DECIMAL(x) STR_(x)

static const char usage[] =
"usage: keel-agent [options]\n"
"  --vsock / --no-vsock      listen on AF_VSOCK (default: on)\n"
"  --control-port N          vsock control port (" DECIMAL(KEEL_CONTROL_PORT) ")\n"
"  --forward-port N          vsock forward port (" DECIMAL(KEEL_FORWARD_PORT) ")\n"
"  --secret-file PATH        the host's secret; every host stream opens with it\n"
"                            (default: the fd in KEEL_SECRET_FD, which init passes)\n"
"  --allow-any-cid           accept vsock peers other than the host (CID 2)\n"
"  --control-uds PATH        also listen for control on a unix socket\n"
"  --forward-uds PATH        also listen for forwards on a unix socket\n"
"  --host-uds PREFIX         bind streams to unix PREFIX_<port>, not vsock CID 2\n"
"  --host-address ADDR       host services address on lo (" KEEL_HOST_ADDRESS "), \"\" for none\n"
"  --dns-address ADDR        DNS server address on lo (" KEEL_DNS_ADDRESS "), \"\" for none\n"
"  --run-dir DIR             init's status directory (/run/keel)\n"
"  --docker-sock PATH        (/run/docker.sock)\n"
"  --containerd-sock PATH    (/run/containerd/containerd.sock)\n"
"  --var-lib DIR             (/var/lib)\n"
"  --init-pid PID            who gets Shutdown/Reboot signals (1)\n"
"  --net SPEC                ADDR/LEN,gw=GW,dns=DNS: configure eth0 at start\n"
"  --max-frame BYTES         largest request frame (1048576)\n"
"  --max-control N           control connections (256)\n"
"  --max-forward N           forward-port streams, the host's (1024)\n"
"  --max-guest N             streams guest processes open: binds, DNS over TCP (1024)\n"
"  --max-guest-peer N        of those, per guest source address (256)\n"
"  --guest-idle-timeout MS   a guest-opened stream with no traffic is closed (1800000)\n"
"  --dns-rate N              DNS queries per second per source, burst 2N; 0: no limit (500)\n"
"  --read-timeout MS         a started frame must complete in this (10000)\n"
"  --idle-timeout MS         idle control connections are closed (300000)\n"
"  --time-threshold MS       SyncTime steps the clock above this drift (100)\n"
"  --debug\n"
"vsock streams are refused without a secret; unix ones need it when one is set.\n"
"Readiness: with KEEL_READY_FD set, \"READY\\n\" is written to that fd once\n"
"the listeners are up.\n";

enum { O_VSOCK = 256, O_NO_VSOCK, O_CPORT, O_FPORT, O_ANYCID, O_CUDS, O_FUDS, O_HUDS, O_HADDR, O_DADDR, O_RUN, O_DOCKER,
       O_CTRD, O_VARLIB, O_INIT, O_NET, O_MAXF, O_MAXC, O_MAXFW, O_MAXG, O_MAXGP, O_GITO, O_DRATE, O_RTO, O_ITO,
       O_THR, O_DEBUG, O_SECRET, O_HELP };

static const struct option opts[] = {
	{ "vsock", no_argument, 0, O_VSOCK }, { "no-vsock", no_argument, 0, O_NO_VSOCK },
	{ "control-port", required_argument, 0, O_CPORT },
	{ "forward-port", required_argument, 0, O_FPORT },
	{ "allow-any-cid", no_argument, 0, O_ANYCID },
	{ "control-uds", required_argument, 0, O_CUDS },
	{ "forward-uds", required_argument, 0, O_FUDS },
	{ "host-uds", required_argument, 0, O_HUDS },
	{ "host-address", required_argument, 0, O_HADDR },
	{ "dns-address", required_argument, 0, O_DADDR },
	{ "run-dir", required_argument, 0, O_RUN },
	{ "docker-sock", required_argument, 0, O_DOCKER },
	{ "containerd-sock", required_argument, 0, O_CTRD },
	{ "var-lib", required_argument, 0, O_VARLIB },
	{ "init-pid", required_argument, 0, O_INIT },
	{ "net", required_argument, 0, O_NET },
	{ "max-frame", required_argument, 0, O_MAXF },
	{ "max-control", required_argument, 0, O_MAXC },
	{ "max-forward", required_argument, 0, O_MAXFW },
	{ "max-guest", required_argument, 0, O_MAXG },
	{ "max-guest-peer", required_argument, 0, O_MAXGP },
	{ "guest-idle-timeout", required_argument, 0, O_GITO },
	{ "dns-rate", required_argument, 0, O_DRATE },
	{ "read-timeout", required_argument, 0, O_RTO },
	{ "idle-timeout", required_argument, 0, O_ITO },
	{ "time-threshold", required_argument, 0, O_THR },
	{ "debug", no_argument, 0, O_DEBUG },
	{ "secret-file", required_argument, 0, O_SECRET },
	{ "help", no_argument, 0, O_HELP },
	{ 0, 0, 0, 0 }
};

static bool num(const char *s, unsigned long long lo, unsigned long long hi, unsigned long long *v)
{
	return parse_decimal(s, hi, v) && *v >= lo;
}

static const char *secret_file;

static int parse_args(int argc, char **argv, struct agent_config *c)
{
	unsigned long long v;
	int o;

	*c = (struct agent_config){
		.vsock = true, .control_port = KEEL_CONTROL_PORT, .forward_port = KEEL_FORWARD_PORT,
		.run_dir = "/run/keel", .docker_sock = "/run/docker.sock",
		.containerd_sock = "/run/containerd/containerd.sock", .var_lib = "/var/lib",
		.init_pid = 1,
		.host_address = KEEL_HOST_ADDRESS, .dns_address = KEEL_DNS_ADDRESS, .max_frame = FRAME_MAX_DEFAULT,
		.max_control = 256, .max_forward = 1024, .max_guest = 1024, .max_guest_peer = 256,
		.guest_idle_ms = 1800000, .dns_rate = 500, .read_timeout_ms = 10000,
		.idle_timeout_ms = 300000, .time_threshold_ms = TIMESYNC_DEFAULT_THRESHOLD_MS,
	};
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		bool ok = true;
		switch (o) {
		case O_VSOCK: c->vsock = true; break;
		case O_NO_VSOCK: c->vsock = false; break;
		case O_CPORT: ok = num(optarg, 1, UINT32_MAX - 1, &v); c->control_port = (unsigned)v; break;
		case O_FPORT: ok = num(optarg, 1, UINT32_MAX - 1, &v); c->forward_port = (unsigned)v; break;
		case O_ANYCID: c->allow_any_cid = true; break;
		case O_CUDS: c->control_uds = optarg; break;
		case O_FUDS: c->forward_uds = optarg; break;
		case O_HUDS: c->host_uds = optarg; break;
		case O_HADDR: c->host_address = optarg; break;
		case O_DADDR: c->dns_address = optarg; break;
		case O_RUN: c->run_dir = optarg; break;
		case O_DOCKER: c->docker_sock = optarg; break;
		case O_CTRD: c->containerd_sock = optarg; break;
		case O_VARLIB: c->var_lib = optarg; break;
		case O_INIT: ok = num(optarg, 1, INT32_MAX, &v); c->init_pid = (pid_t)v; break;
		case O_NET: c->net = optarg; break;
		case O_MAXF: ok = num(optarg, 16, 64u << 20, &v); c->max_frame = (uint32_t)v; break;
		case O_MAXC: ok = num(optarg, 1, 65536, &v); c->max_control = (unsigned)v; break;
		case O_MAXFW: ok = num(optarg, 1, 65536, &v); c->max_forward = (unsigned)v; break;
		case O_MAXG: ok = num(optarg, 1, 65536, &v); c->max_guest = (unsigned)v; break;
		case O_MAXGP: ok = num(optarg, 1, 65536, &v); c->max_guest_peer = (unsigned)v; break;
		case O_GITO: ok = num(optarg, 100, 86400000, &v); c->guest_idle_ms = (unsigned)v; break;
		case O_DRATE: ok = num(optarg, 0, 1000000, &v); c->dns_rate = (unsigned)v; break;
		case O_RTO: ok = num(optarg, 10, 3600000, &v); c->read_timeout_ms = (unsigned)v; break;
		case O_ITO: ok = num(optarg, 10, 86400000, &v); c->idle_timeout_ms = (unsigned)v; break;
		case O_THR: ok = num(optarg, 0, 86400000, &v); c->time_threshold_ms = v; break;
		case O_DEBUG: c->debug = true; break;
		case O_SECRET: secret_file = optarg; break;
		case O_HELP: fputs(usage, stdout); exit(0);
		default: ok = false; break;
		}
		if (!ok) {
			fputs(usage, stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fputs(usage, stderr);
		return -EINVAL;
	}
	return 0;
}

static int op_settime(void *ctx, int64_t ns) { return timesync_settime(ctx, ns); }

static int op_mount(void *ctx, const char *src, const char *dst, const char *fstype,
		    unsigned long flags, const char *data)
{
	char covered[64];
	int e = mountpoint_prepare(dst, covered, sizeof(covered));

	(void)ctx;
	if (e < 0)
		return e;
	return mount(src, dst, fstype, flags, data) < 0 ? -errno : 0;
}

static int op_umount(void *ctx, const char *path)
{
	(void)ctx;
	return umount2(path, UMOUNT_NOFOLLOW) < 0 ? -errno : 0;
}

static int op_netconf(void *ctx, const struct netconf *nc, char *err, size_t errlen)
{
	int e = netconf_apply(nc, err, errlen);

	if (e == 0 && nc->ndns > 0)
		e = dns_set_nameservers(ctx, nc);
	return e;
}

static const struct dispatch_ops agent_ops = {
	.set_time = op_settime, .mount = op_mount, .umount = op_umount,
	.netconf = op_netconf, .ports = watch_ports,
	.bind = bind_op_add, .unbind = bind_op_remove, .list_binds = bind_op_list,
};

static void on_signal(struct agent *a, struct ev *e, uint32_t events)
{
	struct signalfd_siginfo si;

	(void)events;
	if (read(e->fd, &si, sizeof(si)) == sizeof(si)) {
		log_info("signal %u: stopping", si.ssi_signo);
		a->loop.stop = true;
	}
}

static int setup_signals(struct agent *a)
{
	sigset_t set;

	/* Peers that vanish must give EPIPE, not kill us. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	a->sig.fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (a->sig.fd < 0)
		return -errno;
	a->sig.fn = on_signal;
	return ev_add(a, &a->sig, EPOLLIN);
}

static void setup_dispatch(struct agent *a)
{
	struct dispatch_ctx *d = &a->dctx;

	snprintf(a->status_path, sizeof(a->status_path), "%s/status", a->cfg.run_dir);
	snprintf(a->engine_path, sizeof(a->engine_path), "%s/engine-settings.pb", a->cfg.run_dir);
	d->ops = &agent_ops;
	d->ops_ctx = a;
	d->defer_health = ctl_defer_health;
	d->time_threshold_ms = a->cfg.time_threshold_ms;
	d->health = (struct health_input){
		.status_path = a->status_path, .mountinfo = "/proc/self/mountinfo",
		.meminfo = "/proc/meminfo", .loadavg = "/proc/loadavg",
		.var_lib = a->cfg.var_lib, .engine_path = a->engine_path,
		.agent = "keel-agent " KEEL_VERSION_STRING,
	};
}

/* The fds the budgets can hold at worst, so that EMFILE is a bug and not
 * a limit a guest can reach: a relay holds up to 6 (two sockets, two
 * splice pipes: DNS over TCP, TCP on both sides), a control connection 1, a
 * bind listener 1 (and each pending DNS forward its socket), plus the
 * agent's own (listeners, epoll, signalfd, netlink, probe, stdio). With the
 * defaults: 6 * (1024 + 1024) + 256 + 256 + 512 + 64 = 13376. */
static rlim_t nofile_needed(const struct agent_config *c)
{
	return (rlim_t)6 * (c->max_forward + c->max_guest) + c->max_control + BINDS_MAX +
	       DNS_PENDING_MAX + 64;
}

/* Set RLIMIT_NOFILE to what the budgets need (raising the hard limit too:
 * the VM's init gives 4096, less than 13376); never lower than it was. */
static void raise_nofile(const struct agent_config *c)
{
	rlim_t need = nofile_needed(c);
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= need)
		return;
	rl.rlim_cur = need;
	if (rl.rlim_max < need)
		rl.rlim_max = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
		return;
	getrlimit(RLIMIT_NOFILE, &rl);   /* no CAP_SYS_RESOURCE: as far as the hard limit */
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	log_warn("RLIMIT_NOFILE %llu, below the %llu the budgets may use: accepts pause when fds run out",
		 (unsigned long long)rl.rlim_cur, (unsigned long long)need);
}

static int apply_net(struct agent *a, const char *spec)
{
	struct netconf nc;
	char err[256] = "";
	int e = netconf_parse(spec, &nc);

	if (e < 0) {
		log_err("--net %s: %s", spec, strerror(-e));
		return e;
	}
	e = netconf_apply(&nc, err, sizeof(err));
	if (e < 0) {
		log_err("--net %s: %s%s%s", spec, strerror(-e), *err ? ": " : "", err);
		return e;
	}
	if (nc.ndns > 0 && (e = dns_set_nameservers(a, &nc)) < 0)
		log_err("%s: %s", a->dns.resolv.path, strerror(-e));
	return e;
}

/* The loop's work besides events, in the order it runs. */
static const struct loop_timer loop_timers[] = {
	{ watch_run, watch_next_poll },
	{ probe_sweep, probe_next_deadline },
	{ listener_resume, listener_next_resume },
};
static void (*const loop_sweeps[])(struct agent *, uint64_t) = { ctl_sweep, fwd_sweep, dns_sweep };
static const struct loop_work loop_work = {
	loop_timers, sizeof(loop_timers) / sizeof(loop_timers[0]),
	loop_sweeps, sizeof(loop_sweeps) / sizeof(loop_sweeps[0]),
};

static void tell_ready(void)
{
	const char *s = getenv("KEEL_READY_FD");
	unsigned long long fd;

	if (!s || !num(s, 0, 65535, &fd))
		return;
	if (fd_write_all((int)fd, "READY\n", 6) < 0)
		log_warn("KEEL_READY_FD=%s: cannot write", s);
	close((int)fd);
	unsetenv("KEEL_READY_FD");
}

/* --secret-file, else the fd init passes (KEEL_SECRET_FD, read and closed
 * at once: a restarted agent gets a new one). 0, or -errno when the file
 * given cannot be used. */
static int load_secret(struct agent_config *c)
{
	const char *s = getenv("KEEL_SECRET_FD");
	unsigned long long fd;
	int e;

	if (secret_file) {
		if ((e = secret_read_file(secret_file, &c->secret)) < 0)
			log_err("--secret-file %s: %s", secret_file,
				e == -EINVAL ? "not 16 to 64 bytes" : strerror(-e));
		return e;
	}
	if (s && num(s, 3, 65535, &fd)) {
		if ((e = secret_read_fd((int)fd, &c->secret)) < 0)
			log_err("KEEL_SECRET_FD=%s: %s", s, strerror(-e));
		close((int)fd);
	}
	unsetenv("KEEL_SECRET_FD");
	if (!c->secret.len && c->vsock)
		log_warn("no secret: every host stream on vsock is refused");
	return 0;
}

int main(int argc, char **argv)
{
	static struct agent a;
	int e;

	if (parse_args(argc, argv, &a.cfg) < 0)
		return 2;
	log_init("keel-agent", a.cfg.debug);
	if (load_secret(&a.cfg) < 0)
		return 1;
	/* A fixed threshold: big frame buffers are mmapped and given back on
	 * free, instead of glibc raising it and keeping them in the heap. */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	raise_nofile(&a.cfg);
	if (budget_init(&a.budget, a.cfg.max_forward, a.cfg.max_guest, a.cfg.max_guest_peer) < 0) {
		log_err("setup: %s", strerror(ENOMEM));
		return 1;
	}
	list_init(&a.paused.list);
	list_init(&a.ctl);
	list_init(&a.fwd);
	list_init(&a.binds);
	a.probe.ev.fd = -1;
	a.probe.done = ctl_answer_health_waiters;
	a.watch.changed = ctl_broadcast_port;
	a.watch.flush = ctl_flush_watchers;
	dns_server_init(&a.dns, a.cfg.run_dir);
	if (loop_init(&a.loop, &loop_work) < 0 || (e = setup_signals(&a)) < 0) {
		log_err("setup: %s", strerror(errno));
		return 1;
	}
	setup_dispatch(&a);
	hostnet_setup(&a.cfg);
	dns_server_start(&a);
	if (a.cfg.net && apply_net(&a, a.cfg.net) < 0)
		log_warn("network not configured; going on");
	e = agent_listen(&a);
	if (e < 0) {
		log_err("listen: %s", strerror(-e));
		return 1;
	}
	log_info("listening (vsock %s, control %s, forward %s)", a.cfg.vsock ? "on" : "off",
		 a.cfg.control_uds ? a.cfg.control_uds : "-", a.cfg.forward_uds ? a.cfg.forward_uds : "-");
	tell_ready();
	e = agent_run(&a);
	if (e < 0)
		log_err("loop: %s", strerror(-e));
	if (a.cfg.control_uds)
		unlink(a.cfg.control_uds);
	if (a.cfg.forward_uds)
		unlink(a.cfg.forward_uds);
	return e < 0 ? 1 : 0;
}
