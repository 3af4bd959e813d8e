/* libFuzzer harness for the agent's request dispatcher: decode any frame
 * body and answer it, with every side effect (clock, mount, netlink, ports)
 * replaced by a harmless stand-in; the reply must pack. */
#include "agent/arena.c"
#include "agent/dispatch.c"
#include "agent/health.c"
#include "agent/timesync.c"
#include "proto/frame.c"
#include <stdlib.h>

/* ports.c talks to the kernel; the dispatcher only needs this of it. */
void port_set_free(struct port_set *set)
{
	free(set->v);
	set->v = NULL;
	set->n = 0;
}

static int f_settime(void *c, int64_t ns) { (void)c; (void)ns; return 0; }
static int f_mount(void *c, const char *s, const char *d, const char *t, unsigned long f, const char *x)
{
	(void)c; (void)s; (void)d; (void)t; (void)f; (void)x;
	return -ENODEV;
}
static int f_umount(void *c, const char *p) { (void)c; (void)p; return -EINVAL; }
static int f_netconf(void *c, const struct netconf *nc, char *err, size_t n)
{
	(void)c;
	snprintf(err, n, "no %s", nc->ifname);
	return -ENODEV;
}
static int f_ports(void *c, bool watch, struct port_set *out)
{
	(void)c; (void)watch;
	out->n = 2;
	out->v = calloc(2, sizeof(*out->v));
	if (!out->v)
		return -ENOMEM;
	out->v[0] = (struct port_entry){ .transport = PORT_TCP, .address = "0.0.0.0", .port = 80, .pid = 1, .command = "x" };
	out->v[1] = (struct port_entry){ .transport = PORT_UDP, .address = "::", .port = 53 };
	return 0;
}

/* Bind ops echo the request back, so untrusted strings reach the reply. */
static int f_bind(void *c, void *from, const Keel__BindRequest *rq, struct arena *ar,
		  Keel__Bind **out, char *err, size_t n)
{
	Keel__Bind *b = arena_alloc(ar, sizeof(*b));

	(void)c;
	(void)from;
	if (rq->port == 0 || rq->port > 65535) {
		snprintf(err, n, "port %u", rq->port);
		return -EINVAL;
	}
	if (!b)
		return -ENOMEM;
	keel__bind__init(b);
	b->id = 1;
	b->transport = rq->transport;
	b->address = arena_strdup(ar, rq->address);
	b->port = rq->port;
	b->host_port = rq->host_port;
	b->host_target = arena_strdup(ar, rq->host_target);
	*out = b;
	return 0;
}
static int f_unbind(void *c, void *from, const Keel__UnbindRequest *rq, struct arena *ar,
		    Keel__BindList *out)
{
	(void)c; (void)from; (void)ar; (void)out;
	return rq->id == 7 ? 0 : -ENOENT;
}
static int f_list_binds(void *c, struct arena *ar, Keel__BindList *out)
{
	Keel__BindRequest rq = KEEL__BIND_REQUEST__INIT;
	Keel__Bind *b = NULL;
	char err[16];

	rq.port = 1;
	out->binds = arena_alloc(ar, sizeof(*out->binds));
	if (!out->binds || f_bind(c, NULL, &rq, ar, &b, err, sizeof(err)) < 0)
		return -ENOMEM;
	out->binds[out->n_binds++] = b;
	return 0;
}

static const struct dispatch_ops ops = {
	.set_time = f_settime, .mount = f_mount, .umount = f_umount, .netconf = f_netconf,
	.ports = f_ports, .bind = f_bind, .unbind = f_unbind, .list_binds = f_list_binds,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dispatch_ctx d = {
		.ops = &ops, .time_threshold_ms = 100,
		.health = { .status_path = "/nonexistent-keel-fuzz/status", .mountinfo = "/proc/self/mountinfo",
			    .meminfo = "/proc/meminfo", .loadavg = "/proc/loadavg", .var_lib = "/tmp",
			    .agent = "fuzz" },
	};
	struct arena a;
	Keel__Response resp;
	Keel__AgentMessage m = KEEL__AGENT_MESSAGE__INIT;
	int kind;

	arena_init(&a);
	if (dispatch_frame(&d, NULL, data, size, &a, &resp, &kind) == 0) {
		uint8_t *out;
		m.kind_case = KEEL__AGENT_MESSAGE__KIND_RESPONSE;
		m.response = &resp;
		out = malloc(protobuf_c_message_get_packed_size(&m.base) + 1);
		if (out)
			protobuf_c_message_pack(&m.base, out);
		free(out);
	}
	arena_free(&a);
	return 0;
}
