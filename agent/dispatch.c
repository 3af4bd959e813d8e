/* agent/dispatch.c: see dispatch.h. One function per request type. */
#include "dispatch.h"
#include "clock.h"
#include "frame.h"
#include "mountpoint.h"
#include "timesync.h"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

void dispatch_error(struct arena *a, Keel__Response *resp, int code, const char *msg)
{
	Keel__Error *e = arena_alloc(a, sizeof(*e));

	resp->body_case = KEEL__RESPONSE__BODY__NOT_SET;
	if (!e)
		return;
	keel__error__init(e);
	e->code = code;
	e->message = arena_strdup(a, msg);
	resp->error = e;
}

static void errno_error(struct arena *a, Keel__Response *resp, int neg, const char *what)
{
	dispatch_error(a, resp, -neg, arena_printf(a, "%s: %s", what, strerror(-neg)));
}

static void do_version(const Keel__VersionRequest *rq, struct arena *a, Keel__Response *resp)
{
	Keel__VersionResponse *v = arena_alloc(a, sizeof(*v));

	if (!v)
		return;
	keel__version_response__init(v);
	v->major = KEEL_PROTO_MAJOR;
	v->minor = KEEL_PROTO_MINOR;
	v->agent = "keel-agent " KEEL_VERSION_STRING;
	v->compatible = rq->major == KEEL_PROTO_MAJOR;
	resp->body_case = KEEL__RESPONSE__BODY_VERSION;
	resp->version = v;
}

static void do_health(struct dispatch_ctx *d, struct arena *a, Keel__Response *resp)
{
	Keel__HealthResponse *h = arena_alloc(a, sizeof(*h));

	if (!h || health_build(&d->health, a, h) < 0) {
		dispatch_error(a, resp, ENOMEM, "out of memory");
		return;
	}
	resp->body_case = KEEL__RESPONSE__BODY_HEALTH;
	resp->health = h;
}

Keel__Port *dispatch_port(struct arena *a, const struct port_entry *e)
{
	Keel__Port *p = arena_alloc(a, sizeof(*p));

	if (!p)
		return NULL;
	keel__port__init(p);
	p->transport = (Keel__Transport)e->transport;
	p->address = arena_strdup(a, e->address);
	p->port = e->port;
	p->pid = e->pid;
	p->command = arena_strdup(a, e->command);
	return p;
}

int dispatch_port_list(struct arena *a, const struct port_set *set, Keel__PortList *pl)
{
	keel__port_list__init(pl);
	if (set->n == 0)
		return 0;
	pl->ports = arena_alloc(a, set->n * sizeof(*pl->ports));
	if (!pl->ports)
		return -ENOMEM;
	for (size_t i = 0; i < set->n; i++) {
		pl->ports[i] = dispatch_port(a, &set->v[i]);
		if (!pl->ports[i])
			return -ENOMEM;
		pl->n_ports++;
	}
	return 0;
}

static void do_ports(struct dispatch_ctx *d, bool watch, struct arena *a, Keel__Response *resp)
{
	struct port_set set = { 0 };
	Keel__PortList *pl = arena_alloc(a, sizeof(*pl));
	int e;

	if (!pl) {
		dispatch_error(a, resp, ENOMEM, "out of memory");
		return;
	}
	e = d->ops->ports(d->ops_ctx, watch, &set);
	if (e < 0) {
		errno_error(a, resp, e, "port scan");
		return;
	}
	e = dispatch_port_list(a, &set, pl);
	port_set_free(&set);
	if (e < 0) {
		dispatch_error(a, resp, ENOMEM, "out of memory");
		return;
	}
	resp->body_case = KEEL__RESPONSE__BODY_PORTS;
	resp->ports = pl;
	d->watch_started = watch;
}

static void do_sync_time(struct dispatch_ctx *d, const Keel__SyncTimeRequest *rq,
			 struct arena *a, Keel__Response *resp)
{
	Keel__SyncTimeResponse *t = arena_alloc(a, sizeof(*t));
	struct timesync_result r;
	uint64_t thr = rq->threshold_ms ? rq->threshold_ms : d->time_threshold_ms;
	int e;

	if (!t)
		return;
	e = timesync_apply(rq->host_unix_ns, thr, d->ops->set_time, d->ops_ctx, &r);
	if (e < 0) {
		errno_error(a, resp, e, "clock_settime");
		return;
	}
	keel__sync_time_response__init(t);
	t->drift_ns = r.drift_ns;
	t->stepped = r.stepped;
	resp->body_case = KEEL__RESPONSE__BODY_SYNC_TIME;
	resp->sync_time = t;
}

static void do_power(struct dispatch_ctx *d, const Keel__PowerRequest *rq,
		     struct arena *a, Keel__Response *resp)
{
	if (rq->action == KEEL__POWER_REQUEST__ACTION__ACTION_SHUTDOWN)
		d->pending_signal = SIGTERM;
	else if (rq->action == KEEL__POWER_REQUEST__ACTION__ACTION_REBOOT)
		d->pending_signal = SIGUSR1;
	else
		dispatch_error(a, resp, EINVAL, "power: unknown action");
}

static bool tag_ok(const char *tag)
{
	size_t n = strlen(tag);

	/* virtio-fs tags are at most 36 bytes; a comma would inject options. */
	return n > 0 && n <= 36 && !strpbrk(tag, ",/ \t\n");
}

static void do_mount(struct dispatch_ctx *d, const Keel__MountRequest *rq,
		     struct arena *a, Keel__Response *resp)
{
	const char *fstype = *rq->fstype ? rq->fstype : "virtiofs";
	const char *data = NULL;
	unsigned long flags = MS_NOSUID | MS_NODEV | (rq->read_only ? MS_RDONLY : 0);
	int e;

	if (!tag_ok(rq->tag)) {
		dispatch_error(a, resp, EINVAL, "mount: bad tag");
		return;
	}
	if (!share_path_allowed(rq->path)) {
		dispatch_error(a, resp, EINVAL,
			       arena_printf(a, "mount %s: %s", rq->path, mountpoint_error(-EINVAL)));
		return;
	}
	if (strcmp(fstype, "9p") == 0)
		data = "trans=virtio,version=9p2000.L,msize=262144";
	else if (strcmp(fstype, "virtiofs") != 0) {
		dispatch_error(a, resp, EINVAL, "mount: fstype must be virtiofs or 9p");
		return;
	}
	e = d->ops->mount(d->ops_ctx, rq->tag, rq->path, fstype, flags, data);
	if (e < 0)
		dispatch_error(a, resp, -e, arena_printf(a, "mount %s: %s", rq->path,
							 mountpoint_error(e)));
}

static void do_unmount(struct dispatch_ctx *d, const Keel__UnmountRequest *rq,
		       struct arena *a, Keel__Response *resp)
{
	int e;

	if (!share_path_allowed(rq->path)) {
		dispatch_error(a, resp, EINVAL,
			       arena_printf(a, "unmount %s: %s", rq->path, mountpoint_error(-EINVAL)));
		return;
	}
	e = d->ops->umount(d->ops_ctx, rq->path);
	if (e < 0)
		errno_error(a, resp, e, arena_printf(a, "unmount %s", rq->path));
}

static bool copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap)
		return false;
	memcpy(dst, src, n + 1);
	return true;
}

static void do_net_config(struct dispatch_ctx *d, const Keel__NetConfigRequest *rq,
			  struct arena *a, Keel__Response *resp)
{
	struct netconf nc;
	char err[256] = "";
	int e;

	memset(&nc, 0, sizeof(nc));
	if (!copy_str(nc.ifname, sizeof(nc.ifname), *rq->interface ? rq->interface : "eth0") ||
	    !copy_str(nc.address, sizeof(nc.address), rq->address) ||
	    !copy_str(nc.gateway, sizeof(nc.gateway), rq->gateway) ||
	    rq->n_dns > sizeof(nc.dns) / sizeof(nc.dns[0])) {
		dispatch_error(a, resp, EINVAL, "netconfig: field too long or too many dns");
		return;
	}
	for (size_t i = 0; i < rq->n_dns; i++)
		if (!copy_str(nc.dns[nc.ndns++], sizeof(nc.dns[0]), rq->dns[i])) {
			dispatch_error(a, resp, EINVAL, "netconfig: dns too long");
			return;
		}
	e = d->ops->netconf(d->ops_ctx, &nc, err, sizeof(err));
	if (e < 0)
		dispatch_error(a, resp, -e, arena_printf(a, "netconfig: %s%s%s", strerror(-e),
							 *err ? ": " : "", err));
}

static void do_bind(struct dispatch_ctx *d, void *from, const Keel__BindRequest *rq,
		    struct arena *a, Keel__Response *resp)
{
	char err[256] = "";
	Keel__Bind *b = NULL;
	int e = d->ops->bind ? d->ops->bind(d->ops_ctx, from, rq, a, &b, err, sizeof(err)) : -ENOSYS;

	if (e < 0) {
		dispatch_error(a, resp, -e, arena_printf(a, "bind: %s%s%s", strerror(-e),
							 *err ? ": " : "", err));
		return;
	}
	resp->body_case = KEEL__RESPONSE__BODY_BIND;
	resp->bind = b;
}

static void do_binds(struct dispatch_ctx *d, void *from, const Keel__UnbindRequest *rq,
		     struct arena *a, Keel__Response *resp)
{
	Keel__BindList *bl = arena_alloc(a, sizeof(*bl));
	int e;

	if (!bl)
		return;
	keel__bind_list__init(bl);
	if (rq)
		e = d->ops->unbind ? d->ops->unbind(d->ops_ctx, from, rq, a, bl) : -ENOSYS;
	else
		e = d->ops->list_binds ? d->ops->list_binds(d->ops_ctx, a, bl) : -ENOSYS;
	if (e < 0) {
		dispatch_error(a, resp, -e, arena_printf(a, "%s: %s", rq ? "unbind" : "binds",
							 e == -ENOENT ? "no such bind" : strerror(-e)));
		return;
	}
	resp->body_case = KEEL__RESPONSE__BODY_BINDS;
	resp->binds = bl;
}

void dispatch_request(struct dispatch_ctx *d, void *from, const Keel__Request *req,
		      struct arena *a, Keel__Response *resp)
{
	keel__response__init(resp);
	resp->id = req->id;
	switch (req->body_case) {
	case KEEL__REQUEST__BODY_VERSION:
		do_version(req->version, a, resp);
		break;
	case KEEL__REQUEST__BODY_HEALTH:
		do_health(d, a, resp);
		break;
	case KEEL__REQUEST__BODY_LIST_PORTS:
		do_ports(d, false, a, resp);
		break;
	case KEEL__REQUEST__BODY_WATCH_PORTS:
		do_ports(d, true, a, resp);
		break;
	case KEEL__REQUEST__BODY_SYNC_TIME:
		do_sync_time(d, req->sync_time, a, resp);
		break;
	case KEEL__REQUEST__BODY_POWER:
		do_power(d, req->power, a, resp);
		break;
	case KEEL__REQUEST__BODY_MOUNT:
		do_mount(d, req->mount, a, resp);
		break;
	case KEEL__REQUEST__BODY_UNMOUNT:
		do_unmount(d, req->unmount, a, resp);
		break;
	case KEEL__REQUEST__BODY_NET_CONFIG:
		do_net_config(d, req->net_config, a, resp);
		break;
	case KEEL__REQUEST__BODY_BIND:
		do_bind(d, from, req->bind, a, resp);
		break;
	case KEEL__REQUEST__BODY_UNBIND:
		do_binds(d, from, req->unbind, a, resp);
		break;
	case KEEL__REQUEST__BODY_LIST_BINDS:
		do_binds(d, from, NULL, a, resp);
		break;
	default:
		/* No body: empty, or a request type of a newer minor version that
		 * protobuf skipped as an unknown field. */
		dispatch_error(a, resp, req->id == 0 ? EINVAL : ENOSYS,
			       req->id == 0 ? "empty request" : "unknown request type");
		break;
	}
	if (a->failed) {
		keel__response__init(resp);
		resp->id = req->id;
		static Keel__Error oom = { PROTOBUF_C_MESSAGE_INIT(&keel__error__descriptor),
					   ENOMEM, (char *)"out of memory" };
		resp->error = &oom;
	}
}

int dispatch_frame(struct dispatch_ctx *d, void *from, const uint8_t *body, size_t len,
		   struct arena *a, Keel__Response *resp, int *kind)
{
	Keel__Request *req = keel__request__unpack(NULL, len, body);
	uint64_t id = 0;

	*kind = 0;
	if (!req) {
		if (!frame_peek_id(body, len, &id))
			return -EBADMSG;
		keel__response__init(resp);
		resp->id = id;
		dispatch_error(a, resp, EINVAL, "malformed request");
		return 0;
	}
	*kind = (int)req->body_case;
	if (req->body_case == KEEL__REQUEST__BODY_HEALTH && d->defer_health &&
	    d->defer_health(d->ops_ctx, from, req->id)) {
		keel__request__free_unpacked(req, NULL);
		return 1;
	}
	dispatch_request(d, from, req, a, resp);
	keel__request__free_unpacked(req, NULL);
	return 0;
}
