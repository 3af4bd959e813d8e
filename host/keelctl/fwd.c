/* host/keelctl/fwd.c: host listeners whose connections each get their own
 * forward stream to the agent. One thread per forwarded connection relays
 * with proto/relay.c (splice); the main thread accepts and, for publish,
 * follows WatchPorts. Published UDP ports get a flow per host peer. */
#include "fwd.h"
#include "bindd_client.h"
#include "dgram.h"
#include "exitcodes.h"
#include "fd.h"
#include "json.h"
#include "relay.h"
#include "sockaddr.h"
#include "rpc.h"
#include "unix_listen.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* One accepted host connection and where its forward stream goes: a guest
 * TCP address and port, or (TRANSPORT_UNIX) a guest socket path. */
struct job {
	const struct target *t;
	int host_fd;
	Keel__Transport transport;
	char guest_addr[64];
	unsigned guest_port;
	const char *guest_path;
};

static bool gone(const struct pollfd *p, const struct relay_dir *from)
{
	return p->revents & POLLHUP && p->events & POLLIN && !(p->revents & POLLIN) && !from->eof;
}

void fwd_relay(int a, int b)
{
	struct relay_dir up, down;
	struct pollfd p[2];

	relay_dir_init(&up);
	relay_dir_init(&down);
	fcntl(a, F_SETFL, fcntl(a, F_GETFL) | O_NONBLOCK);
	fcntl(b, F_SETFL, fcntl(b, F_GETFL) | O_NONBLOCK);
	if (relay_dir_setup_for(&up, a) < 0 || relay_dir_setup_for(&down, b) < 0)
		goto out;
	while (!(up.done && down.done)) {
		if (relay_pump(&up, a, b, 16) < 0 || relay_pump(&down, b, a, 16) < 0)
			break;
		if (up.done && down.done)
			break;
		p[0] = (struct pollfd){ a, (short)((relay_wants_in(&up) ? POLLIN : 0) |
						 (relay_wants_out(&down) ? POLLOUT : 0)), 0 };
		p[1] = (struct pollfd){ b, (short)((relay_wants_in(&down) ? POLLIN : 0) |
						 (relay_wants_out(&up) ? POLLOUT : 0)), 0 };
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if ((p[0].revents | p[1].revents) & (POLLERR | POLLNVAL))
			break;
		/* HUP with nothing to read: that side is gone entirely. POLLIN
		 * is only reported when asked for: a side we are not reading
		 * (its bytes wait for the other side) may still hold data. */
		if (gone(&p[0], &up) || gone(&p[1], &down))
			break;
	}
out:
	relay_dir_free(&up);
	relay_dir_free(&down);
}

static void *job_run(void *arg)
{
	struct job *j = arg;
	char err[256];
	int fd;

	if (forward_open(j->t, j->transport, j->guest_addr, j->guest_port, j->guest_path,
			 &fd, err, sizeof(err)) < 0) {
		if (j->guest_path)
			fprintf(stderr, "keelctl: forward to guest %s: %s\n", j->guest_path, err);
		else
			fprintf(stderr, "keelctl: forward to guest port %u: %s\n", j->guest_port, err);
	} else {
		fwd_relay(j->host_fd, fd);
		close(fd);
	}
	close(j->host_fd);
	free(j);
	return NULL;
}

int fwd_spawn(void *(*fn)(void *), void *arg)
{
	pthread_attr_t at;
	pthread_t th;
	int e;

	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&at, 256 << 10);
	e = pthread_create(&th, &at, fn, arg);
	pthread_attr_destroy(&at);
	return -e;
}

/* A detached relay thread for j (which it frees); j is freed here when no
 * thread can be started. */
static void spawn_job(struct job *j)
{
	if (fwd_spawn(job_run, j) < 0) {
		close(j->host_fd);
		free(j);
	}
}

static void spawn(const struct target *t, int host_fd, const char *addr, unsigned port)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j) {
		close(host_fd);
		return;
	}
	j->t = t;
	j->host_fd = host_fd;
	j->transport = KEEL__TRANSPORT__TRANSPORT_TCP;
	snprintf(j->guest_addr, sizeof(j->guest_addr), "%s", addr);
	j->guest_port = port;
	spawn_job(j);
}

static int bind_port(const char *addr, unsigned port, int type, int *out)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1, e;

	if ((e = sockaddr_from_ip(addr, port, &ss, &len)) < 0)
		return e;
	fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 512) < 0)) {
		e = -errno;
		close(fd);
		return e;
	}
	*out = fd;
	return 0;
}

static void accept_one(const struct target *t, int lfd, const char *addr, unsigned port)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd >= 0)
		spawn(t, fd, addr, port);
}

int cmd_forward_run(const struct fwd_opts *o, const char *bind_addr, unsigned host_port,
		    unsigned guest_port)
{
	int lfd, e = bind_port(bind_addr, host_port, SOCK_STREAM, &lfd);

	if (e < 0) {
		fprintf(stderr, "keelctl: cannot listen on %s:%u: %s\n", bind_addr, host_port, strerror(-e));
		return EXIT_CONNECT;
	}
	if (o->json) {
		struct json j;
		json_init(&j, stdout);
		json_obj(&j);
		json_key(&j, "listening_address");
		json_str(&j, bind_addr);
		json_key(&j, "listening_port");
		json_uint(&j, host_port);
		json_key(&j, "guest_port");
		json_uint(&j, guest_port);
		json_obj_end(&j);
		json_end(&j);
	} else
		printf("forwarding %s:%u -> guest port %u\n", bind_addr, host_port, guest_port);
	fflush(stdout);
	for (;;)
		accept_one(o->t, lfd, "127.0.0.1", guest_port);
}

/* --- forward-unix ---------------------------------------------------------
 * The host socket is removed on SIGINT/SIGTERM/SIGHUP: those are blocked
 * before any relay thread exists and read from a signalfd next to the
 * listener, so the main thread alone sees them. */
static void accept_unix(const struct target *t, int lfd, const char *guest_path)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	struct job *j;

	if (fd < 0)
		return;
	j = calloc(1, sizeof(*j));
	if (!j) {
		close(fd);
		return;
	}
	*j = (struct job){ .t = t, .host_fd = fd, .transport = KEEL__TRANSPORT__TRANSPORT_UNIX,
			   .guest_path = guest_path };
	spawn_job(j);
}

static void announce_unix(const struct fwd_opts *o, const struct unix_fwd *u)
{
	struct json j;

	if (!o->json) {
		printf("forwarding unix %s -> guest unix %s\n", u->host_path, u->guest_path);
	} else {
		json_init(&j, stdout);
		json_obj(&j);
		json_key(&j, "listening_path");
		json_str(&j, u->host_path);
		json_key(&j, "guest_path");
		json_str(&j, u->guest_path);
		json_obj_end(&j);
		json_end(&j);
	}
	fflush(stdout);
}

int fwd_exit_signalfd(void)
{
	sigset_t sigs;
	int sfd;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	return sfd < 0 ? -errno : sfd;
}

int fwd_unix_serve(const struct fwd_opts *o, const struct unix_fwd *u, int stop_fd)
{
	struct unix_listener l;
	struct pollfd p[2];
	int e = unix_listen(u->host_path, u->mode, u->gid, &l);

	if (e < 0) {
		fprintf(stderr, "keelctl: cannot listen on %s: %s\n", u->host_path,
			e == -EEXIST ? "a file or a live socket is already there" : strerror(-e));
		return EXIT_CONNECT;
	}
	announce_unix(o, u);
	p[0] = (struct pollfd){ l.fd, POLLIN, 0 };
	p[1] = (struct pollfd){ stop_fd, POLLIN, 0 };
	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (p[0].revents & POLLIN)
			accept_unix(o->t, l.fd, u->guest_path);
	}
	unix_listen_close(&l);
	return EXIT_OK;
}

int cmd_forward_unix_run(const struct fwd_opts *o, const struct unix_fwd *u)
{
	int sfd = fwd_exit_signalfd(), rc;

	if (sfd < 0) {
		fprintf(stderr, "keelctl: signalfd: %s\n", strerror(-sfd));
		return EXIT_CONNECT;
	}
	rc = fwd_unix_serve(o, u, sfd);
	close(sfd);
	return rc;
}

/* --- UDP publishing ----------------------------------------------------------
 * One forward stream (TRANSPORT_UDP, 2-byte framed datagrams) per host peer
 * address and port; a thread per flow carries the replies back with sendto
 * on the shared host socket. A flow idle for FWD_UDP_IDLE_S ends. */
#define UDP_FLOWS_MAX 256

struct udp_flow {
	bool used;
	int host_fd, stream;
	struct sockaddr_storage peer;
	socklen_t peer_len;
};

static struct udp_flow flows[UDP_FLOWS_MAX];
static pthread_mutex_t flows_lock = PTHREAD_MUTEX_INITIALIZER;

static void *udp_flow_run(void *arg)
{
	struct udp_flow *f = arg;
	uint8_t buf[DGRAM_BUF];
	struct pollfd p = { f->stream, POLLIN, 0 };
	size_t n;

	while (poll(&p, 1, FWD_UDP_IDLE_S * 1000) > 0 && dgram_read(f->stream, buf, &n) == 0)
		sendto(f->host_fd, buf + DGRAM_HDR, n, 0, (struct sockaddr *)&f->peer, f->peer_len);
	pthread_mutex_lock(&flows_lock);
	close(f->stream);
	f->used = false;
	pthread_mutex_unlock(&flows_lock);
	return NULL;
}

/* Shut the streams of a host socket that is being closed; threads end. */
static void udp_flows_close(int host_fd)
{
	pthread_mutex_lock(&flows_lock);
	for (int i = 0; i < UDP_FLOWS_MAX; i++)
		if (flows[i].used && flows[i].host_fd == host_fd)
			shutdown(flows[i].stream, SHUT_RDWR);
	pthread_mutex_unlock(&flows_lock);
}

static struct udp_flow *udp_flow_get(const struct target *t, int host_fd, const char *addr,
				     unsigned port, const struct sockaddr_storage *peer, socklen_t plen)
{
	struct udp_flow *f = NULL;
	char err[256];
	pthread_t th;
	int fd;

	pthread_mutex_lock(&flows_lock);
	for (int i = 0; i < UDP_FLOWS_MAX && !f; i++)
		if (flows[i].used && flows[i].host_fd == host_fd && flows[i].peer_len == plen &&
		    !memcmp(&flows[i].peer, peer, plen))
			f = &flows[i];
	pthread_mutex_unlock(&flows_lock);
	if (f)
		return f;
	if (forward_open(t, KEEL__TRANSPORT__TRANSPORT_UDP, addr, port, NULL, &fd, err, sizeof(err)) < 0) {
		fprintf(stderr, "keelctl: udp forward to guest port %u: %s\n", port, err);
		return NULL;
	}
	pthread_mutex_lock(&flows_lock);
	for (int i = 0; i < UDP_FLOWS_MAX && !f; i++)
		if (!flows[i].used)
			f = &flows[i];
	if (f) {
		*f = (struct udp_flow){ true, host_fd, fd, *peer, plen };
		if (pthread_create(&th, NULL, udp_flow_run, f) == 0)
			pthread_detach(th);
		else
			f->used = false, f = NULL;
	}
	pthread_mutex_unlock(&flows_lock);
	if (!f)
		close(fd);
	return f;
}

static void udp_datagram(const struct target *t, int host_fd, const char *addr, unsigned port)
{
	uint8_t buf[DGRAM_BUF];
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	ssize_t n = recvfrom(host_fd, buf + DGRAM_HDR, DGRAM_MAX, MSG_DONTWAIT,
			     (struct sockaddr *)&peer, &plen);
	struct udp_flow *f;

	if (n < 0)
		return;
	f = udp_flow_get(t, host_fd, addr, port, &peer, plen);
	if (!f)
		return;
	if (dgram_write(f->stream, buf, (size_t)n) < 0)
		shutdown(f->stream, SHUT_RDWR);
}

/* --- publish --auto ------------------------------------------------------ */

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
	r = bind_port(p->bind_addr, gp->port, udp ? SOCK_DGRAM : SOCK_STREAM, &e->lfd);
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
					udp_datagram(p->o->t, e->lfd, e->dial, e->port);
				else
					accept_one(p->o->t, e->lfd, e->dial, e->port);
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
