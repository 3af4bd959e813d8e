/* Unit tests for the agent's dispatcher, health rules and time decision,
 * with fake side effects (the host tests drive the real ones). */
#include "agent/arena.c"
#include "agent/dispatch.c"
#include "agent/health.c"
#include "agent/timesync.c"
#include "agent/ports.c"
#include "agent/sockdiag.c"
#include "agent/port_owner.c"
#include "agent/netconf.c"
#include "proto/frame.c"
#include "harness.h"
#include <stdlib.h>
#include <unistd.h>

static int64_t stepped_to;
static int f_settime(void *c, int64_t ns) { (void)c; stepped_to = ns; return 0; }
static int f_mount(void *c, const char *s, const char *d, const char *t, unsigned long f, const char *x)
{
	(void)c; (void)s; (void)d; (void)t; (void)x;
	return (f & (MS_NOSUID | MS_NODEV)) == (MS_NOSUID | MS_NODEV) ? 0 : -EPERM;
}
static int f_umount(void *c, const char *p) { (void)c; (void)p; return -EBUSY; }
static int f_netconf(void *c, const struct netconf *nc, char *err, size_t n)
{
	(void)c;
	snprintf(err, n, "no such link %s", nc->ifname);
	return -ENODEV;
}
static int f_ports(void *c, bool w, struct port_set *out) { (void)c; (void)w; out->n = 0; out->v = NULL; return 0; }
static const struct dispatch_ops ops = {
	.set_time = f_settime, .mount = f_mount, .umount = f_umount, .netconf = f_netconf,
	.ports = f_ports,   /* no bind ops: Bind must answer ENOSYS */
};

static char dir[] = "/tmp/keel-unit-XXXXXX";
static char status_path[256], mountinfo_path[256];

static struct dispatch_ctx ctx(void)
{
	struct dispatch_ctx d = {
		.ops = &ops, .time_threshold_ms = 100,
		.health = { .status_path = status_path, .mountinfo = mountinfo_path,
			    .meminfo = "/proc/meminfo", .loadavg = "/proc/loadavg", .var_lib = "/",
			    .docker_ready = true, .containerd_ready = true,
			    .agent = "unit" },
	};
	return d;
}

static void write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");
	fputs(s, f);
	fclose(f);
}

TEST(time_step_decision)
{
	struct timesync_result r;
	struct timespec ts;
	int64_t now;

	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	stepped_to = 0;
	CHECK_EQ_INT(timesync_apply(now, 100, f_settime, NULL, &r), 0);
	CHECK(!r.stepped && r.drift_ns >= 0 && r.drift_ns < 100000000);
	CHECK_EQ_INT(timesync_apply(now + 5000000000LL, 100, f_settime, NULL, &r), 0);
	CHECK(r.stepped && stepped_to == now + 5000000000LL);
	CHECK(r.drift_ns < -4000000000LL && r.drift_ns > -6000000000LL);
	CHECK_EQ_INT(timesync_apply(now + 5000000000LL, 60000, f_settime, NULL, &r), 0);
	CHECK(!r.stepped);
	CHECK_EQ_INT(timesync_apply(0, 100, f_settime, NULL, &r), -EINVAL);
	CHECK_EQ_INT(timesync_apply(INT64_MIN, 100, f_settime, NULL, &r), -EINVAL);
}

static Keel__Status health_status(const char *status, const char *mounts, size_t *nreasons)
{
	struct dispatch_ctx d = ctx();
	struct arena a;
	Keel__HealthResponse h;
	Keel__Status s;

	write_file(status_path, status);
	write_file(mountinfo_path, mounts);
	arena_init(&a);
	CHECK_EQ_INT(health_build(&d.health, &a, &h), 0);
	s = h.status;
	*nreasons = h.n_reasons;
	arena_free(&a);
	return s;
}

static const char ro_root[] =
	"20 1 254:0 / / ro,relatime - erofs /dev/vda ro\n"
	"30 20 254:16 / /var/lib rw,relatime - ext4 /dev/vdb rw\n"
	"40 20 0:50 / /mnt/host/src rw,nosuid,nodev - virtiofs src rw\n";

TEST(health_rules)
{
	size_t n;
	const char *ok = "init 1 100\ndata disk /dev/vdb\nservice dockerd ready 10 0 -\n";

	/* "/" as var_lib on the build machine: skip the space rule's effect if low. */
	struct statvfs sv;
	statvfs("/", &sv);
	bool roomy = (uint64_t)sv.f_bavail * sv.f_frsize > (1ull << 30);
	if (roomy) {
		CHECK_EQ_INT(health_status(ok, ro_root, &n), KEEL__STATUS__STATUS_OK);
		CHECK_EQ_INT(n, 0);
	}
	CHECK_EQ_INT(health_status("data disk /dev/vdb\nservice dockerd backoff 0 3 exit:1\n", ro_root, &n),
		     KEEL__STATUS__STATUS_DEGRADED);
	CHECK_EQ_INT(health_status("data error /dev/vdb\ndata_error fsck_failed\nservice dockerd ready 1 0 -\n", ro_root, &n),
		     KEEL__STATUS__STATUS_FAILED);
	CHECK(n >= 2);
	CHECK_EQ_INT(health_status("service containerd failed 0 5 exit:1\n", ro_root, &n),
		     KEEL__STATUS__STATUS_FAILED);
	/* A writable root is not what keel boots. */
	CHECK_EQ_INT(health_status(ok, "20 1 254:0 / / rw - ext4 /dev/vda rw\n", &n),
		     KEEL__STATUS__STATUS_DEGRADED);
}

TEST(health_mounts)
{
	struct dispatch_ctx d = ctx();
	struct arena a;
	Keel__HealthResponse h;

	d.health.var_lib = "/var/lib";
	write_file(status_path, "share bad /mnt/host/bad virtiofs error no_such_tag\n");
	write_file(mountinfo_path, ro_root);
	arena_init(&a);
	health_build(&d.health, &a, &h);
	CHECK(h.root_read_only);
	CHECK_EQ_INT(h.n_mounts, 4);
	if (h.n_mounts != 4) {
		arena_free(&a);
		return;
	}
	CHECK_EQ_STR(h.mounts[0]->role, "share");
	CHECK_EQ_STR(h.mounts[0]->error, "no_such_tag");
	CHECK_EQ_STR(h.mounts[1]->role, "root");
	CHECK_EQ_STR(h.mounts[2]->role, "data");
	CHECK_EQ_STR(h.mounts[3]->path, "/mnt/host/src");
	CHECK_EQ_STR(h.mounts[3]->source, "src");
	arena_free(&a);
}

static Keel__Response run(const uint8_t *b, size_t n, struct arena *a, int *rc)
{
	struct dispatch_ctx d = ctx();
	Keel__Response r;
	int kind;

	*rc = dispatch_frame(&d, NULL, b, n, a, &r, &kind);
	return r;
}

TEST(dispatch_errors)
{
	struct arena a;
	Keel__Response r;
	int rc;
	static const uint8_t unknown_type[] = { 0x08, 5, 0xfa, 0x06, 0 };       /* id 5, field 111 */
	static const uint8_t version2[] = { 0x08, 6, 0x52, 2, 0x08, 2 };        /* major 2 */
	static const uint8_t garbage[] = { 0xff, 0xff, 0xff };
	static const uint8_t mount_out[] = { 0x08, 7, 0x82, 0x01, 9, 0x0a, 1, 't', 0x12, 4, '/', 'e', 't', 'c' };
	static const uint8_t net[] = { 0x08, 8, 0x92, 0x01, 6, 0x0a, 4, 'e', 't', 'h', '9' };
	static const uint8_t bind[] = { 0x08, 9, 0x9a, 0x01, 2, 0x18, 80 };     /* port 80 */
	static const uint8_t list_binds[] = { 0x08, 10, 0xaa, 0x01, 0 };

	arena_init(&a);
	r = run(NULL, 0, &a, &rc);
	CHECK(rc == 0 && r.id == 0 && r.error && r.error->code == EINVAL);
	CHECK_EQ_STR(r.error->message, "empty request");
	r = run(unknown_type, sizeof(unknown_type), &a, &rc);
	CHECK(rc == 0 && r.id == 5 && r.error && r.error->code == ENOSYS);
	r = run(version2, sizeof(version2), &a, &rc);
	CHECK(rc == 0 && !r.error && r.version && !r.version->compatible && r.version->major == 1);
	r = run(garbage, sizeof(garbage), &a, &rc);
	CHECK_EQ_INT(rc, -EBADMSG);
	r = run(mount_out, sizeof(mount_out), &a, &rc);
	CHECK(rc == 0 && r.id == 7 && r.error && r.error->code == EINVAL);
	r = run(net, sizeof(net), &a, &rc);
	CHECK(rc == 0 && r.error && r.error->code == ENODEV && strstr(r.error->message, "no such link eth9"));
	/* An agent without bind ops (the fuzzer's and this one) says so. */
	r = run(bind, sizeof(bind), &a, &rc);
	CHECK(rc == 0 && r.id == 9 && r.error && r.error->code == ENOSYS && !r.bind);
	CHECK(strncmp(r.error->message, "bind: ", 6) == 0);
	r = run(list_binds, sizeof(list_binds), &a, &rc);
	CHECK(rc == 0 && r.id == 10 && r.error && r.error->code == ENOSYS && !r.binds);
	arena_free(&a);
}

static void setup(void)
{
	if (!mkdtemp(dir))
		abort();
	snprintf(status_path, sizeof(status_path), "%s/status", dir);
	snprintf(mountinfo_path, sizeof(mountinfo_path), "%s/mountinfo", dir);
}

static void teardown(void)
{
	unlink(status_path);
	unlink(mountinfo_path);
	rmdir(dir);
}

RUN_TESTS(setup(); RUN(time_step_decision); RUN(health_rules);
	  RUN(health_mounts); RUN(dispatch_errors); teardown())
