/* agent/health.c: see health.h. Every input is outside data: lines are read
 * into fixed buffers, fields are counted before use, and a missing file only
 * adds a reason. */
#include "health.h"
#include "mountpoint.h"
#include "fd.h"
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <time.h>

#define MAX_SERVICES 16
#define MAX_MOUNTS 64
#define MAX_REASONS 32
#define MAX_SHARE_PATHS 16   /* init takes at most 16 keel.share */
#define HEALTH_ENGINE_MAX (256 * 1024)  /* the engine settings record */

struct hb {
	struct arena *a;
	Keel__HealthResponse *h;
	Keel__ServiceState *svc[MAX_SERVICES];
	Keel__MountInfo *mnt[MAX_MOUNTS];
	char *reasons[MAX_REASONS];
	/* paths init published as mounted shares (status "share ... mounted") */
	char *share_paths[MAX_SHARE_PATHS];
	size_t n_share_paths;
	bool failed, degraded;
};

static void reason(struct hb *b, bool fatal, const char *fmt, const char *arg)
{
	if (fatal)
		b->failed = true;
	else
		b->degraded = true;
	if (b->h->n_reasons < MAX_REASONS)
		b->reasons[b->h->n_reasons++] = arena_printf(b->a, fmt, arg);
}

/* init writes '-' for an empty field. */
static const char *field(const char *s) { return strcmp(s, "-") == 0 ? "" : s; }

static Keel__MountInfo *add_mount(struct hb *b)
{
	Keel__MountInfo *m;

	if (b->h->n_mounts >= MAX_MOUNTS)
		return NULL;
	m = arena_alloc(b->a, sizeof(*m));
	if (!m)
		return NULL;
	keel__mount_info__init(m);
	b->mnt[b->h->n_mounts++] = m;
	return m;
}

static void status_service(struct hb *b, char **f, int n)
{
	Keel__ServiceState *s;

	if (n < 6 || b->h->n_services >= MAX_SERVICES)
		return;
	s = arena_alloc(b->a, sizeof(*s));
	if (!s)
		return;
	keel__service_state__init(s);
	s->name = arena_strdup(b->a, f[1]);
	s->state = arena_strdup(b->a, f[2]);
	s->pid = atoi(f[3]);
	s->restarts = (uint32_t)strtoul(f[4], NULL, 10);
	s->last_exit = arena_strdup(b->a, field(f[5]));
	b->svc[b->h->n_services++] = s;
	if (strcmp(f[2], "failed") == 0)
		reason(b, true, "service %s failed", f[1]);
	else if (strcmp(f[2], "ready") != 0)
		reason(b, false, "service %s not ready", f[1]);
}

static void status_line(struct hb *b, char *line)
{
	char *f[8], *save = NULL, *t;
	int n = 0;

	for (t = strtok_r(line, " \n", &save); t && n < 8; t = strtok_r(NULL, " \n", &save))
		f[n++] = t;
	if (n == 0)
		return;
	if (strcmp(f[0], "service") == 0) {
		status_service(b, f, n);
	} else if (strcmp(f[0], "data") == 0 && n >= 2) {
		b->h->data_state = arena_strdup(b->a, f[1]);
		if (strcmp(f[1], "error") == 0)
			reason(b, true, "data disk error%s", "");
		else if (strcmp(f[1], "ephemeral") == 0)
			reason(b, false, "no data disk: /var/lib is ephemeral%s", "");
		else if (strcmp(f[1], "pending") == 0)
			reason(b, false, "data disk still being checked%s", "");
	} else if (strcmp(f[0], "data_error") == 0 && n >= 2) {
		reason(b, true, "data: %s", f[1]);
	} else if (strcmp(f[0], "share") == 0 && n >= 5 && strcmp(f[4], "mounted") == 0) {
		if (b->n_share_paths < MAX_SHARE_PATHS)
			b->share_paths[b->n_share_paths++] = arena_strdup(b->a, f[2]);
	} else if (strcmp(f[0], "share") == 0 && n >= 5) {
		Keel__MountInfo *m = add_mount(b);
		if (m) {
			m->path = arena_strdup(b->a, f[2]);
			m->source = arena_strdup(b->a, f[1]);
			m->fstype = arena_strdup(b->a, field(f[3]));
			m->role = "share";
			m->error = arena_strdup(b->a, n >= 6 ? field(f[5]) : "failed");
		}
		reason(b, false, "share %s not mounted", f[1]);
	}
}

static void read_status(struct hb *b, const char *path)
{
	char line[512];
	FILE *f = fopen(path, "re");

	if (!f) {
		reason(b, false, "no status from init (%s)", path);
		return;
	}
	while (fgets(line, sizeof(line), f))
		status_line(b, line);
	fclose(f);
}

/* A share: what init mounted as one (at the host's path, so any path), or
 * any virtiofs/9p mount (the agent's Mount request adds those). */
static bool is_share(const struct hb *b, const char *path, const char *fstype)
{
	size_t i;

	if (strcmp(fstype, "virtiofs") == 0 || strcmp(fstype, "9p") == 0)
		return true;
	for (i = 0; i < b->n_share_paths; i++)
		if (b->share_paths[i] && strcmp(b->share_paths[i], path) == 0)
			return true;
	return false;
}

/* The mount at each path that counts is the last one (it hides the others). */
static Keel__MountInfo *mount_at(struct hb *b, const char *path)
{
	for (size_t i = 0; i < b->h->n_mounts; i++)
		if (strcmp(b->mnt[i]->path, path) == 0 && !*b->mnt[i]->error)
			return b->mnt[i];
	return add_mount(b);
}

static void mountinfo_line(struct hb *b, const struct health_input *in, char *line)
{
	char *f[32], *save = NULL, *t, *fstype = NULL, *source = NULL;
	int n = 0, i;
	const char *role;
	Keel__MountInfo *m;
	bool ro;

	for (t = strtok_r(line, " \n", &save); t && n < 32; t = strtok_r(NULL, " \n", &save))
		f[n++] = t;
	for (i = 6; i + 2 < n; i++)
		if (strcmp(f[i], "-") == 0) {
			fstype = f[i + 1];
			source = f[i + 2];
			break;
		}
	if (!fstype)
		return;
	mount_path_unescape(f[4]);
	mount_path_unescape(source);
	if (strcmp(f[4], "/") == 0)
		role = "root";
	else if (strcmp(f[4], in->var_lib) == 0)
		role = strcmp(fstype, "tmpfs") == 0 ? "ephemeral" : "data";
	else if (is_share(b, f[4], fstype))
		role = "share";
	else
		return;
	m = mount_at(b, f[4]);
	if (!m)
		return;
	ro = strncmp(f[5], "ro", 2) == 0 && (f[5][2] == ',' || !f[5][2]);
	m->path = arena_strdup(b->a, f[4]);
	m->source = arena_strdup(b->a, source);
	m->fstype = arena_strdup(b->a, fstype);
	m->read_only = ro;
	m->role = (char *)role;
	if (strcmp(role, "root") == 0)
		b->h->root_read_only = ro;
}

static void read_mounts(struct hb *b, const struct health_input *in)
{
	char line[4096];
	FILE *f = fopen(in->mountinfo, "re");

	if (!f) {
		reason(b, false, "cannot read %s", in->mountinfo);
		return;
	}
	while (fgets(line, sizeof(line), f))
		mountinfo_line(b, in, line);
	fclose(f);
}

static void read_meminfo(struct hb *b, const char *path)
{
	char line[256];
	unsigned long long v;
	FILE *f = fopen(path, "re");

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemTotal: %llu kB", &v) == 1)
			b->h->mem_total_kib = v;
		else if (sscanf(line, "MemAvailable: %llu kB", &v) == 1)
			b->h->mem_available_kib = v;
	}
	fclose(f);
}

static void read_loadavg(struct hb *b, const char *path)
{
	FILE *f = fopen(path, "re");

	if (!f)
		return;
	if (fscanf(f, "%lf %lf %lf", &b->h->load1, &b->h->load5, &b->h->load15) != 3)
		b->h->load1 = b->h->load5 = b->h->load15 = 0;
	fclose(f);
}

static void read_space(struct hb *b, const char *var_lib)
{
	struct statvfs sv;
	uint64_t free_b, total;

	if (statvfs(var_lib, &sv) < 0) {
		reason(b, true, "cannot statvfs %s", var_lib);
		return;
	}
	free_b = (uint64_t)sv.f_bavail * sv.f_frsize;
	total = (uint64_t)sv.f_blocks * sv.f_frsize;
	b->h->var_lib_free_bytes = free_b;
	b->h->var_lib_total_bytes = total;
	if (free_b < HEALTH_MIN_FREE_BYTES || free_b * 100 < total * HEALTH_MIN_FREE_PCT)
		reason(b, false, "%s is low on space", var_lib);
}

static void read_clocks(struct hb *b)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	b->h->uptime_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	clock_gettime(CLOCK_REALTIME, &ts);
	b->h->clock_unix_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* protobuf-c allocates the decoded record in the reply's arena. */
static void *arena_pb_alloc(void *a, size_t n) { return arena_alloc(a, n); }
static void arena_pb_free(void *a, void *p) { (void)a; (void)p; }

/* keel-engine-settings' record of dockerd's last start. No file yet (dockerd
 * has not started, or a test without it): no engine field. */
static void read_engine(struct hb *b, const char *path)
{
	ProtobufCAllocator alloc = { arena_pb_alloc, arena_pb_free, b->a };
	uint8_t *buf;
	size_t len, i;
	int r;

	if (!path || !(buf = malloc(HEALTH_ENGINE_MAX)))
		return;
	r = fd_read_file(path, buf, HEALTH_ENGINE_MAX, &len);
	if (r == 0 && !(b->h->engine = keel__engine_settings__unpack(&alloc, len, buf)))
		reason(b, false, "%s does not decode", path);
	else if (r < 0 && r != -ENOENT)
		reason(b, false, "cannot read %s", path);
	free(buf);
	if (!b->h->engine)
		return;
	if (*b->h->engine->error)
		reason(b, false, "engine settings refused: %s", b->h->engine->error);
	if (*b->h->engine->ca_error)
		reason(b, false, "engine CA certificates refused: %s", b->h->engine->ca_error);
	/* one reason per key, up to a few: reasons are bounded, and a long
	 * list of refusals must not push out a failed service */
	for (i = 0; i < b->h->engine->n_refused && b->h->engine->n_refused <= 3; i++)
		reason(b, false, "engine setting %s refused (keelctl health says why)",
		       b->h->engine->refused[i]->key);
	if (b->h->engine->n_refused > 3)
		reason(b, false, "%s engine settings refused (keelctl health says which and why)",
		       arena_printf(b->a, "%zu", b->h->engine->n_refused));
}

int health_build(const struct health_input *in, struct arena *a, Keel__HealthResponse *h)
{
	struct hb *b = arena_alloc(a, sizeof(*b));

	if (!b)
		return -ENOMEM;
	keel__health_response__init(h);
	b->a = a;
	b->h = h;
	h->services = b->svc;
	h->mounts = b->mnt;
	h->reasons = b->reasons;
	h->agent = (char *)in->agent;
	h->data_state = "";
	read_status(b, in->status_path);
	read_engine(b, in->engine_path);
	read_mounts(b, in);
	if (!h->root_read_only)
		reason(b, false, "root filesystem is writable%s", "");
	h->docker_ready = in->docker_ready;
	h->containerd_ready = in->containerd_ready;
	if (!in->docker_ready)
		reason(b, false, "dockerd does not answer /_ping%s", "");
	if (!in->containerd_ready)
		reason(b, false, "containerd socket refuses connections%s", "");
	read_space(b, in->var_lib);
	read_meminfo(b, in->meminfo);
	read_loadavg(b, in->loadavg);
	read_clocks(b);
	h->status = b->failed ? KEEL__STATUS__STATUS_FAILED :
		    b->degraded ? KEEL__STATUS__STATUS_DEGRADED : KEEL__STATUS__STATUS_OK;
	return a->failed ? -ENOMEM : 0;
}
