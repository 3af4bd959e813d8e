/* init/main.c: keel-init, PID 1. Startup in order (each step logs its own
 * failure and boot goes on), then the epoll loop, which never returns.
 *
 *   keel-init                         production, as the kernel's init
 *   keel-init --test [--cmdline FILE] [--services FILE] [--run-dir DIR]
 *             [--data-dir DIR] [--blkid PATH] [--fw-cfg DIR]
 *                                     PID 1 of a PID namespace on a host
 *
 * --cmdline implies --test: the real command line only comes from /proc.
 * As PID 1, an argument it does not know is logged and skipped (the kernel
 * passes init its unknown parameters); main never returns. */
#include "init.h"
#include "clock.h"
#include "eci.h"
#include "fd.h"
#include "fwcfg.h"
#include "log.h"
#include "spawn.h"
#include "timeline.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

static struct init_ctx ctx;   /* large: keep it off the stack */

void reap_forever(void)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (;;) {
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		sigwait(&set, &sig);
	}
}

static __attribute__((noreturn)) void usage_exit(const char *why, const char *arg)
{
	char shown[80];

	printable_copy(shown, sizeof(shown), arg ? arg : "");
	fprintf(stderr, "keel-init: %s%s%s%s\nusage: keel-init [--test] [--cmdline FILE] "
		"[--services FILE] [--run-dir DIR] [--data-dir DIR] [--blkid PATH] [--fw-cfg DIR]\n", why,
		arg ? " '" : "", shown, arg ? "'" : "");
	exit(2);
}

/* The kernel hands init, as argv, every parameter it does not know that has
 * no '=' ("single", "foo", a typo): as PID 1, such a word is logged and
 * skipped, since PID 1's exit panics the kernel. Run by hand (not PID 1) it
 * is a usage error, and keel-init refuses to run anyway. */
static void bad_arg(bool pid1, const char *arg, const char *why)
{
	char shown[80];

	if (!pid1)
		usage_exit(why, arg);
	printable_copy(shown, sizeof(shown), arg);
	log_warn("ignoring argument '%s': %s", shown, why);
}

/* The paths argv may set; set_paths checks and copies them. */
struct args {
	const char *run_dir, *data_dir;
};

/* Where the value of an option that takes one goes; NULL: no such option. */
static const char **value_slot(struct init_ctx *c, struct args *a, const char *opt)
{
	if (!strcmp(opt, "--cmdline"))
		return &c->cmdline_file;
	if (!strcmp(opt, "--services"))
		return &c->services_file;
	if (!strcmp(opt, "--run-dir"))
		return &a->run_dir;
	if (!strcmp(opt, "--data-dir"))
		return &a->data_dir;
	if (!strcmp(opt, "--blkid"))
		return &c->blkid_path;
	if (!strcmp(opt, "--fw-cfg"))
		return &c->fwcfg_root;
	return NULL;
}

/* A path that does not fit its buffer is refused (the default is used). */
static const char *fitting(const char *path, size_t cap, bool pid1)
{
	if (!path || strlen(path) < cap)
		return path;
	bad_arg(pid1, path, "path too long");
	return NULL;
}

static void set_paths(struct init_ctx *c, const struct args *a, bool pid1)
{
	const char *run_dir = fitting(a->run_dir, sizeof(c->run_dir), pid1);
	const char *data_dir = fitting(a->data_dir, sizeof(c->data_dir), pid1);

	strcpy(c->run_dir, run_dir ? run_dir : RUN_DIR_DEFAULT);
	/* In test mode /var/lib is the host's: use one under the run dir. */
	if (data_dir)
		strcpy(c->data_dir, data_dir);
	else if (!c->test_mode)
		strcpy(c->data_dir, DATA_DIR_DEFAULT);
	else if (snprintf(c->data_dir, sizeof(c->data_dir), "%s/var-lib", c->run_dir) >=
		 (int)sizeof(c->data_dir)) {
		bad_arg(pid1, c->run_dir, "path too long for a var-lib below it");
		strcpy(c->data_dir, RUN_DIR_DEFAULT "/var-lib");
	}
	snprintf(c->status_path, sizeof(c->status_path), "%s/status", c->run_dir);
	snprintf(c->log_dir, sizeof(c->log_dir), "%s/log", c->run_dir);
	snprintf(c->timeline_path, sizeof(c->timeline_path), "%s/timeline", c->run_dir);
}

static void parse_args(struct init_ctx *c, int argc, char **argv, bool pid1)
{
	struct args a = { .run_dir = RUN_DIR_DEFAULT };
	const char **slot;
	int i;

	c->blkid_path = BLKID_PATH_DEFAULT;
	c->fwcfg_root = FWCFG_ROOT_DEFAULT;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--test"))
			c->test_mode = true;
		else if (!(slot = value_slot(c, &a, argv[i])))
			bad_arg(pid1, argv[i], "unknown option");
		else if (i + 1 == argc)
			bad_arg(pid1, argv[i], "missing argument");
		else
			*slot = argv[++i];
	}
	if (c->cmdline_file)
		c->test_mode = true;
	set_paths(c, &a, pid1);
}

static void set_own_oom(void)
{
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

	if (fd < 0 || fd_write_all(fd, "-1000\n", 6) < 0)
		log_warn("cannot set oom_score_adj: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
}

static void warn_param(void *unused, const char *msg)
{
	(void)unused;
	log_warn("%s", msg);
}

static void read_cmdline(struct init_ctx *c)
{
	static char buf[8192];      /* the kernel's limit is smaller (COMMAND_LINE_SIZE) */
	const char *path = c->cmdline_file ? c->cmdline_file : "/proc/cmdline";
	ssize_t n = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		n = read(fd, buf, sizeof(buf));
		close(fd);
	}
	if (n < 0) {
		log_err("cannot read %s: %s; using defaults", path, strerror(errno));
		n = 0;
	}
	cmdline_parse(buf, (size_t)n, &c->cfg, warn_param, NULL);
	if (c->cfg.debug)
		log_init("keel-init", true);
}

static void setup_shares(struct init_ctx *c)
{
	size_t i;

	for (i = 0; i < c->cfg.nshares; i++) {
		const struct share_cfg *s = &c->cfg.shares[i];

		if (share_mount(s, &c->shares[i]) < 0)
			log_err("share %s at %s: %s", s->tag, s->path, c->shares[i].message);
		else
			log_info("share %s at %s (%s%s)", s->tag, s->path,
				 c->shares[i].fstype, s->ro ? ", ro" : "");
	}
	c->nshares = c->cfg.nshares;
	timeline_mark("shares");
}

static void setup_services(struct init_ctx *c)
{
	const struct service_def *defs = builtin_services;
	size_t n = builtin_nservices;
	char err[256];
	int r;

	if (c->services_file) {
		r = services_file_load(c->services_file, &c->table, err, sizeof(err));
		defs = c->table.defs;
		n = r < 0 ? 0 : c->table.n;
	} else {
		/* ECI asked for but not composable: no dockerd without it */
		if (c->cfg.eci && (r = eci_services(defs, n, &c->table)) < 0) {
			snprintf(err, sizeof(err), "ECI mode: %s", strerror(-r));
		} else {
			if (c->cfg.eci)
				defs = c->table.defs, n = c->table.n;
			r = services_validate(defs, n, err, sizeof(err));
		}
		n = r < 0 ? 0 : n;
	}
	if (r < 0)
		log_err("service table: %s; running no services", err);
	services_init(&c->sup, defs, n, c->epfd, c->log_dir, c->cfg.net,
		      c->data.kind != DATA_ERROR, c->data.error);
	c->sup.secret_fd = c->secret_fd;
	c->sup.data_pending = c->data.kind == DATA_PENDING;
}

int main(int argc, char **argv)
{
	struct init_ctx *c = &ctx;
	sigset_t all;
	int r;

	/* First: every signal blocked, so none is lost or acted on by default
	 * before the signalfd exists. Children get a clean mask in spawn. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, NULL);
	/* An inherited SIG_IGN for SIGCHLD would make the kernel reap
	 * children itself and lose their exit status: start from defaults. */
	signals_reset_default();
	c->boot_ms = mono_ms();
	log_init("keel-init", false);
	parse_args(c, argc, argv, getpid() == 1);
	if (getpid() != 1)
		usage_exit("must run as PID 1 (for tests: unshare --pid --fork --mount "
			   "--mount-proc keel-init --test ...)", NULL);
	timeline_mark("init");
	/* ctrl-alt-del becomes SIGINT instead of an immediate reboot; in a PID
	 * namespace this command is refused anyway. */
	if (!c->test_mode && reboot(RB_DISABLE_CAD) < 0)
		log_warn("RB_DISABLE_CAD: %s", strerror(errno));
	boot_mounts(c);
	timeline_mark("mounts");
	set_own_oom();             /* needs /proc */
	host_secret_load(c);       /* needs /sys */
	boot_container_cgroup(c);
	read_cmdline(c);
	boot_identity(c);
	if (mkdir_p(c->log_dir, 0755) < 0)
		log_err("cannot create %s: %s", c->log_dir, strerror(errno));
	if ((r = loop_setup(c)) < 0) {
		log_err("event loop: %s; only reaping from now on", strerror(-r));
		reap_forever();
	}
	/* The data step runs beside the shares and the first services. */
	data_step_start(c);
	setup_shares(c);
	setup_services(c);
	publish_status(c);
	loop_run(c);
}
