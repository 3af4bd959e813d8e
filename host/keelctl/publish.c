/* host/keelctl/publish.c: `publish --auto` (publish.h). Follows WatchPorts
 * on a control connection and binds each guest port on the host: TCP
 * connections are forwarded as by `forward` (forward.c), UDP datagrams go to
 * a flow per host peer (udp_flows.c); a port below 1024 the host refuses is
 * asked of keel-bindd. Reconnects when the agent goes away. */
#include "publish.h"
#include "bindd_client.h"
#include "json.h"
#include "rpc.h"
#include "udp_flows.h"
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PUB_MAX 4096

struct pub {
	Keel__Transport transport;
	unsigned port;
	unsigned refs;          /* guest listeners (v4, v6, ...) on this port */
	int lfd;                /* -1 when not bound (skipped) */
	char dial[64];
};

struct publisher {
	const struct fwd_opts *o;
	const char *bind_addr;
	struct pub v[PUB_MAX];
	size_t n;
};

static void report(struct publisher *p, const char *what, const struct pub *e, const char *why)
{
	unsigned port = e ? e->port : 0;
	const char *tr = e && e->transport == KEEL__TRANSPORT__TRANSPORT_UDP ? "udp" : "tcp";

	if (p->o->json) {
		struct json j;
		json_init(&j, stdout);
		json_obj(&j);
		json_key(&j, "event");
		json_str(&j, what);
		json_key(&j, "port");
		json_uint(&j, port);
		if (e) {
			json_key(&j, "transport");
			json_str(&j, tr);
		}
		if (why) {
			json_key(&j, "reason");
			json_str(&j, why);
		}
		json_obj_end(&j);
		json_end(&j);
	} else {
		printf("%s %s %s:%u%s%s\n", what, e ? tr : "-", p->bind_addr, port, why ? ": " : "",
		       why ? why : "");
		fflush(stdout);
	}
	if (p->o->on_report)
		p->o->on_report(p->o->ctx, what, e ? e->transport : KEEL__TRANSPORT__TRANSPORT_TCP, port, why);
}

static struct pub *find(struct publisher *p, Keel__Transport tr, unsigned port)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].port == port && p->v[i].transport == tr)
			return &p->v[i];
	return NULL;
}

/* Where the agent should dial for a listener on address a. */
static void dial_for(const Keel__Port *gp, char *out, size_t n)
{
	if (strcmp(gp->address, "0.0.0.0") == 0 || strcmp(gp->address, "::") == 0 || !*gp->address)
		snprintf(out, n, "%s", strcmp(gp->address, "::") == 0 ? "::1" : "127.0.0.1");
	else
		snprintf(out, n, "%s", gp->address);
}

/* A port below 1024 the host refused us (EACCES): keel-bindd, when it runs
 * and lets us, binds it and hands the socket over; else say why not. */
static void publish_privileged(struct publisher *p, struct pub *e)
{
	const char *sock = p->o->bindd ? p->o->bindd : BINDD_SOCKET_DEFAULT;
	char err[160], why[320];
	int r = bindd_bind(sock, e->transport == KEEL__TRANSPORT__TRANSPORT_UDP ? BINDD_UDP : BINDD_TCP,
			   p->bind_addr, (uint16_t)e->port, &e->lfd, err, sizeof(err));

	if (r == 0) {
		report(p, "published", e, "bound by keel-bindd");
		return;
	}
	e->lfd = -1;
	if (r == -ENOENT || r == -ECONNREFUSED)
		snprintf(why, sizeof(why), "host port below 1024 needs privilege (EACCES) and "
			 "keel-bindd is not running (no socket at %s)", sock);
	else
		snprintf(why, sizeof(why), "host port below 1024 needs privilege (EACCES) and "
			 "keel-bindd refused: %s", err);
	report(p, "skipped", e, why);
}

static void add_port(struct publisher *p, const Keel__Port *gp)
{
	struct pub *e;
	int r;

	bool udp = gp->transport == KEEL__TRANSPORT__TRANSPORT_UDP;

	if (gp->transport != KEEL__TRANSPORT__TRANSPORT_TCP && !udp)
		return;
	e = find(p, gp->transport, gp->port);
	if (e) {
		/* Prefer an IPv4 wildcard dial target when one appears. */
		if (strcmp(gp->address, "0.0.0.0") == 0)
			dial_for(gp, e->dial, sizeof(e->dial));
		e->refs++;
		return;
	}
	if (p->n == PUB_MAX)
		return;
	e = &p->v[p->n++];
	e->transport = gp->transport;
	e->port = gp->port;
	e->refs = 1;
	e->lfd = -1;
	dial_for(gp, e->dial, sizeof(e->dial));
	r = fwd_bind_ip(p->bind_addr, gp->port, udp ? SOCK_DGRAM : SOCK_STREAM, &e->lfd);
	if (r == -EACCES && gp->port < 1024)
		publish_privileged(p, e);
	else if (r < 0)
		report(p, "skipped", e, strerror(-r));
	else
		report(p, "published", e, NULL);
}

static void drop(struct publisher *p, struct pub *e)
{
	if (e->lfd >= 0) {
		if (e->transport == KEEL__TRANSPORT__TRANSPORT_UDP)
			udp_flows_close(e->lfd);
		close(e->lfd);
		report(p, "unpublished", e, NULL);
	}
	*e = p->v[--p->n];
}

static void remove_port(struct publisher *p, const Keel__Port *gp)
{
	struct pub *e = find(p, gp->transport, gp->port);

	if (!e)
		return;
	if (--e->refs == 0)
		drop(p, e);
}

/* After (re)connecting: the snapshot is the truth; keep what still exists. */
static void resync(struct publisher *p, const Keel__PortList *pl)
{
	for (size_t i = 0; i < p->n; i++)
		p->v[i].refs = 0;
	for (size_t i = 0; i < pl->n_ports; i++)
		add_port(p, pl->ports[i]);
	for (size_t i = p->n; i-- > 0; )
		if (p->v[i].refs == 0)
			drop(p, &p->v[i]);
}

static int watch(struct publisher *p, struct rpc *r)
{
	Keel__Request req = KEEL__REQUEST__INIT;
	Keel__WatchPortsRequest w = KEEL__WATCH_PORTS_REQUEST__INIT;
	Keel__Response *resp;
	int e;

	req.body_case = KEEL__REQUEST__BODY_WATCH_PORTS;
	req.watch_ports = &w;
	if ((e = rpc_call(r, &req, &resp)) < 0)
		return e;
	if (resp->error || resp->body_case != KEEL__RESPONSE__BODY_PORTS) {
		fprintf(stderr, "keelctl: watch: %s\n", resp->error ? resp->error->message : "no port list");
		keel__response__free_unpacked(resp, NULL);
		return -EPROTO;
	}
	resync(p, resp->ports);
	keel__response__free_unpacked(resp, NULL);
	rpc_wait_forever(r);
	return 0;
}

/* Serve until the control stream ends. */
static void serve(struct publisher *p, struct rpc *r)
{
	struct pollfd fds[PUB_MAX + 1];

	for (;;) {
		size_t n = 0;
		fds[n++] = (struct pollfd){ r->fd, POLLIN, 0 };
		for (size_t i = 0; i < p->n; i++)
			fds[n++] = (struct pollfd){ p->v[i].lfd, p->v[i].lfd >= 0 ? POLLIN : 0, 0 };
		if (poll(fds, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		for (size_t i = 1; i < n; i++)
			if (fds[i].revents & POLLIN) {
				struct pub *e = &p->v[i - 1];
				if (e->transport == KEEL__TRANSPORT__TRANSPORT_UDP)
					udp_flows_forward(p->o->t, e->lfd, e->dial, e->port);
				else
					fwd_accept_tcp(p->o->t, e->lfd, e->dial, e->port);
			}
		if (fds[0].revents) {
			Keel__AgentMessage *m;
			if (rpc_read(r, &m) < 0)
				return;
			if (m->kind_case == KEEL__AGENT_MESSAGE__KIND_EVENT &&
			    m->event->body_case == KEEL__EVENT__BODY_PORT && m->event->port->port) {
				if (m->event->port->kind == KEEL__PORT_EVENT__KIND__KIND_ADDED)
					add_port(p, m->event->port->port);
				else if (m->event->port->kind == KEEL__PORT_EVENT__KIND__KIND_REMOVED)
					remove_port(p, m->event->port->port);
			}
			keel__agent_message__free_unpacked(m, NULL);
		}
	}
}

int cmd_publish_run(const struct fwd_opts *o, const char *bind_addr)
{
	static struct publisher p;
	unsigned backoff_ms = 100;

	p.o = o;
	p.bind_addr = bind_addr;
	for (;;) {
		struct rpc r;
		int e = rpc_open(&r, o->t);
		if (e == 0 && (e = watch(&p, &r)) == 0) {
			backoff_ms = 100;
			serve(&p, &r);
			report(&p, "disconnected", NULL, "agent went away; reconnecting");
		}
		if (r.fd >= 0)
			rpc_close(&r);
		/* Keep host listeners while away: a restarted agent resyncs them. */
		struct timespec ts = { backoff_ms / 1000, (long)(backoff_ms % 1000) * 1000000 };
		nanosleep(&ts, NULL);
		backoff_ms = backoff_ms * 2 > 5000 ? 5000 : backoff_ms * 2;
	}
}
