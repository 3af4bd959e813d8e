/* host/keel-host/machine.c: a VM's settings made into keel-host's plan
 * (machine.h). */
#include "machine.h"
#include "errmsg.h"
#include "child.h"
#include "decimal.h"
#include "engine_files.h"
#include "fd.h"
#include "mountpoint.h"
#include "shares.h"
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define SHARES_MAX 16
#define SECRET_BYTES 32

void machine_say(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("[keel-host] ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void machine_append(struct machine *m, const char *fmt, ...)
{
	char *more, *old = m->append;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&more, fmt, ap) < 0 || asprintf(&m->append, "%s%s", old ? old : "", more) < 0)
		abort();
	va_end(ap);
	free(more);
	free(old);
}

bool machine_path(const struct machine *m, const char *name, char *buf, size_t cap)
{
	return snprintf(buf, cap, "%s/%s", m->state, name) < (int)cap;
}

void machine_helper(struct machine *m, const char *name, const char *socket, const char *fd3_dir,
		    const struct argvec *argv)
{
	argv_add(&m->plan, "--helper");
	argv_add(&m->plan, name);
	argv_add(&m->plan, socket);
	argv_add(&m->plan, fd3_dir ? fd3_dir : "-");
	argv_add_counted(&m->plan, argv);
}

static char *program(const struct vm_config *c, const char *env, const char *rel)
{
	const char *e = getenv(env);
	char *s;
	if (e && *e)
		return strdup(e);
	if (asprintf(&s, "%s/build/%s", c->top, rel) < 0)
		abort();
	return s;
}

/* The state dir holds sockets that reach the VM's docker: it must be this
 * user's alone. A missing one is made 0700; an existing one that is not
 * ours or not 0700 is refused, never repaired (it may be a trap laid by
 * another user). */
static int state_dir(struct machine *m, char *err, size_t n)
{
	const char *dir = m->c->state;
	char real[PATH_MAX];
	struct stat st;
	mode_t old;
	int e = 0;

	if (lstat(dir, &st) < 0 && errno == ENOENT) {
		old = umask(077);
		e = mkdir_p(dir, 0700);
		umask(old);
		if (e < 0 || lstat(dir, &st) < 0)
			return errmsg(err, n, "cannot create the state dir %s", dir);
	}
	if (!S_ISDIR(st.st_mode))
		return errmsg(err, n, "state dir %s is not a directory", dir);
	if (st.st_uid != getuid())
		return errmsg(err, n, "state dir %s belongs to uid %u, not to you (%u): refusing it (--state-dir DIR)",
			    dir, (unsigned)st.st_uid, (unsigned)getuid());
	if ((st.st_mode & 07777) != 0700)
		return errmsg(err, n, "state dir %s has mode %o, not 0700: refusing it (chmod 700 it, or --state-dir DIR)",
			    dir, (unsigned)(st.st_mode & 07777));
	if (!realpath(dir, real) || !(m->state = strdup(real)))
		return errmsg(err, n, "state dir %s: %s", dir, strerror(errno));
	return 0;
}

/* A keel-host of this state dir that still runs: its pid, else 0. Ours
 * only when it carries KEEL_HELPER_OF=STATE (a pid file may be stale and
 * its pid reused). */
static pid_t running_daemon(const struct machine *m)
{
	char path[PATH_MAX], buf[32], env[65536], want[PATH_MAX + 16];
	unsigned long long pid;
	size_t len;

	if (!machine_path(m, "keel-host.pid", path, sizeof(path)) ||
	    fd_read_file(path, buf, sizeof(buf), &len) < 0)
		return 0;
	buf[len] = 0;
	buf[strcspn(buf, "\n")] = 0;
	if (!parse_decimal(buf, INT_MAX, &pid) || pid < 2)
		return 0;
	snprintf(path, sizeof(path), "/proc/%llu/environ", pid);
	if (fd_read_file(path, env, sizeof(env) - 1, &len) < 0 && len == 0)
		return 0;
	env[len] = 0;   /* a long environment is cut, not overrun */
	snprintf(want, sizeof(want), "KEEL_HELPER_OF=%s", m->state);
	for (size_t at = 0; at < len; at += strlen(env + at) + 1)
		if (strcmp(env + at, want) == 0)
			return (pid_t)pid;
	return 0;
}

/* What the last boot left: logs, the status, how keelctl reached it. */
static void fresh_state(struct machine *m)
{
	static const char *const names[] = { "console.log", "console.log.1", "keelctl-args", "status.json",
					     "shares", "qemu-cmdline" };
	char path[PATH_MAX];
	glob_t g;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (machine_path(m, names[i], path, sizeof(path)))
			unlink(path);
	if (machine_path(m, "*.log", path, sizeof(path)) && glob(path, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++)
			unlink(g.gl_pathv[i]);
		globfree(&g);
	}
}

static bool in_path(const char *prog)
{
	const char *path = getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin";
	char buf[PATH_MAX];

	for (const char *p = path; *p; p += strcspn(p, ":") + (p[strcspn(p, ":")] == ':')) {
		int len = (int)strcspn(p, ":");
		if (snprintf(buf, sizeof(buf), "%.*s/%s", len, p, prog) < (int)sizeof(buf) &&
		    access(buf, X_OK) == 0)
			return true;
	}
	return false;
}

/* scripts/qemu-accel decides by trying (docs/run-vm.md) */
static int accelerator(struct machine *m, char *err, size_t n)
{
	char probe[PATH_MAX], out[256];
	int status, e;

	if (m->c->accel)
		return (m->accel = strdup(m->c->accel)) ? 0 : errmsg(err, n, "out of memory");
	snprintf(probe, sizeof(probe), "%s/scripts/qemu-accel", m->c->top);
	char *argv[] = { probe, m->c->kernel, NULL };
	if ((e = child_run(argv, out, sizeof(out), &status)) < 0)
		return errmsg(err, n, "cannot run %s: %s", probe, strerror(-e));
	out[strcspn(out, "\n")] = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || (strcmp(out, "kvm") && strcmp(out, "tcg")))
		return errmsg(err, n, "the accelerator probe failed: %s", out);
	m->accel = strdup(out);
	return 0;
}

/* The machine, the root image, network, console and the monitors. */
static void qemu_base(struct machine *m)
{
	const struct vm_config *c = m->c;
	struct argvec *q = &m->qemu;
	char *netdev;

	/* no_timer_check: on a loaded host (TCG above all) the kernel can miss
	 * the IO-APIC timer probe and panic with "IO-APIC + timer doesn't work" */
	machine_append(m, "console=ttyS0 root=/dev/vda ro rootfstype=erofs init=/sbin/init panic=-1 no_timer_check quiet"
			  " keel.ip=10.0.2.15/24,gw=10.0.2.2,dns=10.0.2.3 keel.hostname=keel");
	if (asprintf(&netdev, "user,id=n0") < 0)
		abort();
	for (size_t i = 0; i < c->hostfwds.n; i++) {
		char *old = netdev;
		if (asprintf(&netdev, "%s,hostfwd=%s", old, c->hostfwds.v[i]) < 0)
			abort();
		free(old);
	}
	argv_add(q, "qemu-system-x86_64");
	argv_add(q, "-name"), argv_add(q, "keel"), argv_add(q, "-M"), argv_add(q, "q35");
	argv_add(q, "-accel"), argv_add(q, m->accel);
	argv_add(q, "-cpu"), argv_add(q, strcmp(m->accel, "kvm") ? "max" : "host");
	argv_add(q, "-smp"), argv_addf(q, "%u", c->cpus);
	argv_add(q, "-m"), argv_addf(q, "%uM", c->memory_mib);
	/* vhost-user devices (keel-vsock, virtiofsd) map guest RAM: it must be a shared memfd */
	argv_add(q, "-object"), argv_addf(q, "memory-backend-memfd,id=mem,size=%uM,share=on", c->memory_mib);
	argv_add(q, "-numa"), argv_add(q, "node,memdev=mem");
	argv_add(q, "-nodefaults"), argv_add(q, "-no-user-config"), argv_add(q, "-display"), argv_add(q, "none");
	argv_add(q, "-no-reboot");
	argv_add(q, "-kernel"), argv_add(q, c->kernel);
	argv_add(q, "-drive"), argv_addf(q, "file=%s,format=raw,if=none,id=root,readonly=on", c->image);
	argv_add(q, "-device"), argv_add(q, "virtio-blk-pci,drive=root");
	argv_add(q, "-netdev"), argv_add(q, netdev);
	argv_add(q, "-device"), argv_add(q, "virtio-net-pci,netdev=n0");
	argv_add(q, "-device"), argv_add(q, "virtio-rng-pci");
	/* keel-host listens there and writes console.log, bounded */
	argv_add(q, "-chardev"), argv_addf(q, "socket,id=ser0,path=%s/console.sock", m->state);
	argv_add(q, "-serial"), argv_add(q, "chardev:ser0");
	argv_add(q, "-qmp"), argv_addf(q, "unix:%s/qmp.sock,server=on,wait=off", m->state);
	/* keel-host's own monitor (RESUME events for the time sync) */
	argv_add(q, "-qmp"), argv_addf(q, "unix:%s/qmp-host.sock,server=on,wait=off", m->state);
	argv_add(q, "-pidfile"), argv_addf(q, "%s/qemu.pid", m->state);
	free(netdev);
}

/* "20G" in bytes (K, M, G, T: powers of 1024, as truncate(1) has them) */
static bool size_bytes(const char *s, off_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	int shift = !*end ? 0 : *end == 'K' ? 10 : *end == 'M' ? 20 : *end == 'G' ? 30 : *end == 'T' ? 40 : -1;

	if (end == s || shift < 0 || (*end && end[1]) || v > (1ull << (62 - shift)))
		return false;
	*out = (off_t)(v << shift);
	return true;
}

/* The persistent data disk, made sparse on first use (the guest formats
 * it: keel.data.new says it may, unprobed). */
static int data_disk(struct machine *m, char *err, size_t n)
{
	const char *data = m->c->data;
	char dir[PATH_MAX];
	off_t size;
	int fd;

	if (!data)
		return 0;
	if (access(data, F_OK) < 0) {
		if (!size_bytes(m->c->data_size, &size))
			return errmsg(err, n, "data-size '%s' is not a size", m->c->data_size);
		snprintf(dir, sizeof(dir), "%s", data);
		if (strrchr(dir, '/') && strrchr(dir, '/') != dir)
			*strrchr(dir, '/') = 0, mkdir_p(dir, 0755);
		if ((fd = open(data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0 || ftruncate(fd, size) < 0) {
			int e = errno;
			if (fd >= 0)
				close(fd), unlink(data);
			return errmsg(err, n, "cannot create the data disk %s: %s", data, strerror(e));
		}
		close(fd);
		machine_say("created data disk %s (%s, sparse; formatted by the guest)", data, m->c->data_size);
		machine_append(m, " keel.data.new");
	}
	argv_add(&m->qemu, "-drive"), argv_addf(&m->qemu, "file=%s,format=raw,if=none,id=data,discard=unmap", data);
	argv_add(&m->qemu, "-device"), argv_add(&m->qemu, "virtio-blk-pci,drive=data");
	machine_append(m, " keel.data=/dev/vdb");
	return 0;
}

/* The per-boot secret every host stream to the agent opens with
 * (docs/threat-model.md): new each boot, readable by this user only,
 * handed to the guest through fw_cfg (keel-init reads it; containers do
 * not see /sys/firmware), never on the kernel command line. */
static int secret(struct machine *m, char *err, size_t n)
{
	unsigned char s[SECRET_BYTES];
	char path[PATH_MAX];

	if (!machine_path(m, "secret", path, sizeof(path)) ||
	    getrandom(s, sizeof(s), 0) != (ssize_t)sizeof(s) ||
	    fd_write_file_atomic(path, s, sizeof(s), 0600) < 0)
		return errmsg(err, n, "cannot write %s", path);
	argv_add(&m->qemu, "-fw_cfg"), argv_addf(&m->qemu, "name=opt/keel/secret,file=%s", path);
	return 0;
}

static bool vhost_vsock_usable(void)
{
	const char *force = getenv("KEEL_FORCE_USER_VSOCK");
	int fd;

	if (force && *force)
		return false;
	if ((fd = open("/dev/vhost-vsock", O_RDWR | O_CLOEXEC)) < 0)
		return false;
	close(fd);
	return true;
}

/* vsock: the kernel's vhost-vsock when this user may open it, else
 * keel-vsock behind keel-host's relay. STATE/keelctl-args says how keelctl
 * reaches the agent; the plan gets the same. */
static int vsock(struct machine *m, char *err, size_t n)
{
	char args[PATH_MAX * 2 + 64], path[PATH_MAX];
	struct argvec cmd = { 0 };

	if (vhost_vsock_usable()) {
		unsigned cid = 3 + (unsigned)getpid() % 60000;
		argv_add(&m->qemu, "-device"), argv_addf(&m->qemu, "vhost-vsock-pci,guest-cid=%u", cid);
		snprintf(args, sizeof(args), "--vsock %u --secret %s/secret\n", cid, m->state);
	} else {
		if (access(m->vsock_bin, X_OK) < 0)
			return errmsg(err, n, "%s missing (make), and /dev/vhost-vsock is not usable", m->vsock_bin);
		argv_add(&cmd, m->vsock_bin);
		argv_add(&cmd, "--socket"), argv_addf(&cmd, "%s/keel-vsock.vu", m->state);
		argv_add(&cmd, "--uds"), argv_addf(&cmd, "%s/vsock.sock", m->state);
		argv_add(&cmd, "--guest-cid"), argv_add(&cmd, "3");
		snprintf(path, sizeof(path), "%s/keel-vsock.vu", m->state);
		machine_helper(m, "keel-vsock", path, NULL, &cmd);
		argv_free(&cmd);
		/* QEMU connects to keel-host (vhost-vsock.sock), which relays to
		 * keel-vsock (keel-vsock.vu) and hands a restarted one the session */
		argv_add(&m->plan, "--relay"), argv_add(&m->plan, "keel-vsock");
		argv_addf(&m->plan, "%s/vhost-vsock.sock", m->state);
		argv_add(&m->qemu, "-chardev"), argv_addf(&m->qemu, "socket,id=vsock0,path=%s/vhost-vsock.sock", m->state);
		argv_add(&m->qemu, "-device"), argv_add(&m->qemu, "vhost-user-vsock-pci,chardev=vsock0");
		snprintf(args, sizeof(args), "--hybrid %s/vsock.sock --secret %s/secret\n", m->state, m->state);
	}
	/* the plan takes the same words */
	char words[sizeof(args)];
	snprintf(words, sizeof(words), "%s", args);
	for (char *save = NULL, *w = strtok_r(words, " \n", &save); w; w = strtok_r(NULL, " \n", &save))
		argv_add(&m->plan, w);
	if (!machine_path(m, "keelctl-args", path, sizeof(path)) ||
	    fd_write_file_atomic(path, args, strlen(args), 0600) < 0)
		return errmsg(err, n, "cannot write %s", path);
	return 0;
}

static int shares(struct machine *m, char *err, size_t n)
{
	static struct share list[SHARES_MAX];
	char path[PATH_MAX];
	const char *text;
	size_t count;

	if (shares_collect(m->c, list, SHARES_MAX, &count, err, n) < 0)
		return -1;
	for (size_t i = 0; i < count; i++)
		if (share_serve(m, i, &list[i], err, n) < 0)
			return -1;
	text = m->shares_list ? m->shares_list : "";
	if (!machine_path(m, "shares", path, sizeof(path)) ||
	    fd_write_file_atomic(path, text, strlen(text), 0600) < 0)
		return errmsg(err, n, "cannot write %s", path);
	return 0;
}

/* STATE/qemu-cmdline: the command as a shell would take it */
static void write_cmdline(struct machine *m)
{
	char path[PATH_MAX];
	FILE *f;

	if (!machine_path(m, "qemu-cmdline", path, sizeof(path)) || !(f = fopen(path, "we")))
		return;
	for (int pass = 0; pass < 2; pass++) {
		const struct argvec *a = pass ? &m->qemu : &m->guard;
		for (size_t i = 0; i < a->n; i++) {
			fputc('\'', f);
			for (const char *c = a->v[i]; *c; c++)
				*c == '\'' ? fputs("'\\''", f) : fputc(*c, f);
			fputs("' ", f);
		}
	}
	fputc('\n', f);
	fclose(f);
}

/* The daemon's own options (plan.h) beside what the steps added. */
static void services(struct machine *m)
{
	const struct vm_config *c = m->c;
	struct argvec *p = &m->plan;

	argv_add(p, "--state"), argv_add(p, m->state);
	argv_add(p, "--sync-interval"), argv_addf(p, "%u", c->sync_interval_s);
	argv_add(p, "--info"), argv_addf(p, "accel=%s", m->accel);
	argv_add(p, "--info"), argv_addf(p, "cpus=%u", c->cpus);
	argv_add(p, "--info"), argv_addf(p, "memory=%u", c->memory_mib);
	if (c->docker_sock)
		argv_add(p, "--docker-sock"), argv_addf(p, "%s/docker.sock", m->state);
	if (!c->publish)
		argv_add(p, "--no-publish");
	for (size_t i = 0; i < c->binds.n; i++)
		argv_add(p, "--bind"), argv_add(p, c->binds.v[i]);
}

int machine_prepare(struct machine *m, const struct vm_config *c, char *err, size_t n)
{
	struct argvec qemu = { 0 };

	*m = (struct machine){ .c = c, .root = getuid() == 0 };
	m->vsock_bin = program(c, "KEEL_VSOCK", "keel-vsock");
	m->virtiofsd_bin = program(c, "VIRTIOFSD", "virtiofsd/virtiofsd");
	m->fsguard_bin = program(c, "KEEL_FSGUARD", "keel-fsguard");
	m->engine_bin = program(c, "KEEL_ENGINE_SETTINGS", "keel-engine-settings");
	argv_add(&m->plan, "keel-host");
	if (state_dir(m, err, n) < 0)
		return -1;
	pid_t running = running_daemon(m);
	if (running)
		return errmsg(err, n, "a VM runs in %s already (keel-host pid %d): stop it first", m->state, (int)running);
	fresh_state(m);
	if (access(c->kernel, R_OK) < 0)
		return errmsg(err, n, "no kernel at %s (make kernel)", c->kernel);
	if (access(c->image, R_OK) < 0)
		return errmsg(err, n, "no image at %s (make image)", c->image);
	if (!in_path("qemu-system-x86_64"))
		return errmsg(err, n, "qemu-system-x86_64 not found (scripts/install-deps)");
	if (accelerator(m, err, n) < 0)
		return -1;
	qemu_base(m);
	/* before any helper is planned: a bad settings file stops here */
	if (engine_files(m, err, n) < 0 || data_disk(m, err, n) < 0 || secret(m, err, n) < 0 ||
	    vsock(m, err, n) < 0 || shares(m, err, n) < 0)
		return -1;
	if (c->eci)
		machine_append(m, " keel.eci=1");
	if (c->append)
		machine_append(m, " %s", c->append);
	argv_add(&m->qemu, "-append"), argv_add(&m->qemu, m->append);
	write_cmdline(m);
	services(m);
	argv_extend(&qemu, &m->guard);
	argv_extend(&qemu, &m->qemu);
	argv_add(&m->plan, "--qemu");
	argv_add_counted(&m->plan, &qemu);
	argv_free(&qemu);
	return 0;
}
