/* agent/bind.c: Bind requests, the way containers reach host services. The
 * agent listens in the VM (default on the host address, host.keel.internal)
 * and carries every accepted connection, or every new UDP peer, to the host
 * on a stream of its own that starts with a BindConnect frame; forward.c
 * relays it (fwd_outbound). The host side (keelctl bind) dials the target.
 *
 * UDP: the bound socket only sees a peer's first datagram. The agent then
 * opens a socket bound to the same address and port (SO_REUSEPORT) and
 * connected to that peer, which the kernel prefers for the peer's later
 * datagrams, so each flow is an ordinary connected-socket forward.
 *
 * A bind lives as long as the control connection that made it. */
#include "bind.h"
#include "dgram.h"
#include "agent.h"
#include "forward.h"
#include "frame.h"
#include "listener.h"
#include "log.h"
#include "sockaddr.h"
#include "watch.h"
#include <arpa/inet.h>
#include <errno.h>
#include <linux/vm_sockets.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define BIND_BACKLOG 128
#define ACCEPT_ROUNDS 16          /* bounded work per wakeup */
#define TARGET_MAX 128
#define UDP_FLOW_IDLE_MS 60000    /* a UDP flow with no datagram ends */

struct bind {
	struct conn_hdr h;        /* in agent.binds; the loop's zombies once removed */
	struct listener lis;
	uint64_t id;
	bool udp;
	char address[INET6_ADDRSTRLEN];
	unsigned port, host_port;
	char host_target[TARGET_MAX];
	struct secret token;      /* BindRequest.token, sent in every BindConnect */
	uint64_t connections, failures;
	struct bind_owner *owner;
	struct sockaddr_storage local;   /* what lis is bound to */
	socklen_t local_len;
};

static const char *tr_name(bool udp) { return udp ? "udp" : "tcp"; }

static void bind_free(struct conn_hdr *h)
{
	free(list_entry(h, struct bind, h));
}

static const struct conn_ops bind_ops = { .free = bind_free };

static struct bind *find_id(const struct agent *a, uint64_t id)
{
	struct link *it, *nx;

	list_each(&a->binds, it, nx) {
		struct bind *b = list_entry(it, struct bind, h.link);
		if (b->id == id)
			return b;
	}
	return NULL;
}

/* fwd_outbound.failed: a stream of bind id failed after it started. */
static void note_failure(struct agent *a, uint64_t id)
{
	struct bind *b = find_id(a, id);

	if (b)
		b->failures++;
}

static void bind_remove(struct agent *a, struct bind *b, const char *why)
{
	log_info("bind %llu: %s %s:%u removed (%s)", (unsigned long long)b->id, tr_name(b->udp),
		 b->address, b->port, why);
	listener_close(a, &b->lis);
	conn_retire(a, &b->h);
	a->n_binds--;
}

void bind_drop_owner(struct agent *a, const struct bind_owner *owner)
{
	struct link *it, *nx;

	list_each(&a->binds, it, nx) {
		struct bind *b = list_entry(it, struct bind, h.link);
		if (b->owner == owner)
			bind_remove(a, b, "its control connection closed");
	}
}

bool bind_owned_by(const struct agent *a, const struct bind_owner *owner)
{
	struct link *it, *nx;

	list_each(&a->binds, it, nx)
		if (list_entry(it, struct bind, h.link)->owner == owner)
			return true;
	return false;
}

/* ---- streams to the host ------------------------------------------------ */

static int host_addr(const struct agent *a, unsigned port, struct sockaddr_storage *ss,
		     socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (a->cfg.host_uds) {
		struct sockaddr_un *su = (struct sockaddr_un *)ss;
		int n = snprintf(su->sun_path, sizeof(su->sun_path), "%s_%u", a->cfg.host_uds, port);
		if (n < 0 || (size_t)n >= sizeof(su->sun_path))
			return -ENAMETOOLONG;
		su->sun_family = AF_UNIX;
		*len = sizeof(*su);
	} else {
		struct sockaddr_vm *sv = (struct sockaddr_vm *)ss;
		sv->svm_family = AF_VSOCK;
		sv->svm_cid = VMADDR_CID_HOST;
		sv->svm_port = port;
		*len = sizeof(*sv);
	}
	return 0;
}

static void peer_text(const struct sockaddr_storage *ss, char *out, size_t n)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		port = ntohs(s->sin_port);
		snprintf(out, n, "%s:%u", ip, port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		port = ntohs(s->sin6_port);
		snprintf(out, n, "[%s]:%u", ip, port);
	} else {
		snprintf(out, n, "?");
	}
}

/* The BindConnect frame that opens each stream. */
static size_t connect_header(const struct bind *b, const struct sockaddr_storage *peer,
			     uint8_t *buf, size_t cap)
{
	Keel__BindConnect m = KEEL__BIND_CONNECT__INIT;
	char text[INET6_ADDRSTRLEN + 8];
	size_t n;

	peer_text(peer, text, sizeof(text));
	m.bind_id = b->id;
	m.transport = b->udp ? KEEL__TRANSPORT__TRANSPORT_UDP : KEEL__TRANSPORT__TRANSPORT_TCP;
	m.peer = text;
	m.token.data = (uint8_t *)b->token.b;
	m.token.len = b->token.len;
	n = protobuf_c_message_get_packed_size(&m.base);
	if (n + FRAME_HDR > cap)
		return 0;
	frame_put_len(buf, (uint32_t)n);
	protobuf_c_message_pack(&m.base, buf + FRAME_HDR);
	return n + FRAME_HDR;
}

/* Guest-originated relays idle out (docs/agent.md, "Budgets"): a UDP flow
 * after a minute, like a NAT's; a TCP stream after --guest-idle-timeout. */
static unsigned idle_ms(const struct agent *a, bool udp)
{
	unsigned t = a->cfg.guest_idle_ms;

	return udp && t > UDP_FLOW_IDLE_MS ? UDP_FLOW_IDLE_MS : t;
}

/* Start the stream for guest_fd; false when the caller must close it (past
 * the guest budget or this peer's share of it, or the host cannot be
 * reached). */
static bool carry(struct agent *a, struct bind *b, int guest_fd,
		  const struct sockaddr_storage *peer, socklen_t plen, const uint8_t *first,
		  size_t first_len)
{
	struct sockaddr_storage host;
	struct peer_addr pa;
	uint8_t hdr[256];
	struct fwd_outbound o = { .guest_fd = guest_fd, .udp = b->udp, .bind_id = b->id,
				  .failed = note_failure, .hdr = hdr, .first = first, .first_len = first_len,
				  .peer = &pa, .idle_ms = idle_ms(a, b->udp) };
	int e;

	peer_addr_from(peer, plen, &pa);
	o.hdr_len = connect_header(b, peer, hdr, sizeof(hdr));
	if (!o.hdr_len)
		e = -EMSGSIZE;
	else if ((e = host_addr(a, b->host_port, &host, &o.host_len)) == 0) {
		o.host = (struct sockaddr *)&host;
		e = fwd_outbound(a, &o);
	}
	if (e < 0) {
		b->failures++;
		log_debug("bind %llu: stream to host port %u: %s", (unsigned long long)b->id,
			  b->host_port, strerror(-e));
		return false;
	}
	b->connections++;
	return true;
}

static void accept_tcp(struct agent *a, struct bind *b)
{
	for (int i = 0; i < ACCEPT_ROUNDS; i++) {
		struct sockaddr_storage peer;
		socklen_t plen;
		int fd = listener_accept(a, &b->lis, &peer, &plen);

		if (fd < 0)
			return;
		if (!carry(a, b, fd, &peer, plen, NULL, 0))
			close(fd);
	}
}

/* A socket bound where the bind is and connected to one guest peer. */
static int flow_socket(const struct bind *b, const struct sockaddr_storage *peer, socklen_t plen)
{
	int fd = socket(b->local.ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), e;

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &(int){ 1 }, sizeof(int)) < 0 ||
	    bind(fd, (const struct sockaddr *)&b->local, b->local_len) < 0 ||
	    connect(fd, (const struct sockaddr *)peer, plen) < 0) {
		e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

static void accept_udp(struct agent *a, struct bind *b)
{
	static uint8_t buf[DGRAM_MAX];

	for (int i = 0; i < ACCEPT_ROUNDS; i++) {
		struct sockaddr_storage peer;
		socklen_t plen = sizeof(peer);
		ssize_t n = recvfrom(b->lis.ev.fd, buf, sizeof(buf), MSG_DONTWAIT,
				     (struct sockaddr *)&peer, &plen);
		int fd;

		if (n < 0)
			return;
		fd = flow_socket(b, &peer, plen);
		if (fd < 0) {
			b->failures++;
			continue;
		}
		if (!carry(a, b, fd, &peer, plen, buf, (size_t)n))
			close(fd);
	}
}

static void on_lis(struct agent *a, struct ev *e, uint32_t events)
{
	struct bind *b = (struct bind *)((char *)e - offsetof(struct bind, lis));

	(void)events;
	if (b->udp)
		accept_udp(a, b);
	else
		accept_tcp(a, b);
}

/* ---- requests --------------------------------------------------------- */

static const char *default_address(const struct agent *a)
{
	return a->cfg.host_address && *a->cfg.host_address ? a->cfg.host_address : "127.0.0.1";
}

/* Who holds transport/port in the guest, for the EADDRINUSE message. */
static void describe_owner(struct agent *a, bool udp, unsigned port, char *err, size_t errlen)
{
	struct port_set set = { 0 };

	if (watch_ports(a, false, &set) < 0)
		return;
	for (size_t i = 0; i < set.n; i++) {
		const struct port_entry *p = &set.v[i];
		if (p->port != port || p->transport != (udp ? PORT_UDP : PORT_TCP))
			continue;
		if (p->pid)
			snprintf(err, errlen, "%s %s:%u is held by pid %u (%s)", tr_name(udp),
				 p->address, port, p->pid, p->command);
		else
			snprintf(err, errlen, "%s %s:%u is held by another socket", tr_name(udp),
				 p->address, port);
		break;
	}
	port_set_free(&set);
}

/* UDP sockets that share a port all need SO_REUSEPORT, so the listener sets
 * it; a plain bind first tells whether anyone else holds the port. */
static int open_listener(struct bind *b)
{
	int type = (b->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC | SOCK_NONBLOCK;
	int fd, e;

	if (b->udp) {
		fd = socket(b->local.ss_family, type, 0);
		if (fd < 0)
			return -errno;
		e = bind(fd, (struct sockaddr *)&b->local, b->local_len) < 0 ? -errno : 0;
		close(fd);
		if (e < 0)
			return e;
	}
	fd = socket(b->local.ss_family, type, 0);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int)) < 0 ||
	    (b->udp && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &(int){ 1 }, sizeof(int)) < 0) ||
	    bind(fd, (struct sockaddr *)&b->local, b->local_len) < 0 ||
	    (!b->udp && listen(fd, BIND_BACKLOG) < 0)) {
		e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

static bool same_place(const struct bind *b, bool udp, const char *address, unsigned port)
{
	return b->udp == udp && b->port == port && !strcmp(b->address, address);
}

static int check_request(struct agent *a, const Keel__BindRequest *rq, char *err, size_t errlen)
{
	struct link *it, *nx;
	bool udp = rq->transport == KEEL__TRANSPORT__TRANSPORT_UDP;
	const char *addr = *rq->address ? rq->address : default_address(a);

	if (rq->transport != KEEL__TRANSPORT__TRANSPORT_TCP && !udp) {
		snprintf(err, errlen, "transport must be tcp or udp");
		return -EPROTONOSUPPORT;
	}
	if (rq->port == 0 || rq->port > 65535 || rq->host_port == 0 ||
	    rq->host_port == VMADDR_PORT_ANY) {
		snprintf(err, errlen, "port must be 1..65535 and host_port nonzero");
		return -EINVAL;
	}
	/* The host tells its streams from forged ones by this token (a guest
	 * process or another VM can connect to the host's port too). */
	if (rq->token.len < SECRET_MIN || rq->token.len > SECRET_MAX) {
		snprintf(err, errlen, "token must be %u..%u bytes", SECRET_MIN, SECRET_MAX);
		return -EINVAL;
	}
	if (strlen(rq->host_target) >= TARGET_MAX || strlen(addr) >= INET6_ADDRSTRLEN) {
		snprintf(err, errlen, "address or host_target too long");
		return -EINVAL;
	}
	if (a->n_binds >= BINDS_MAX) {
		snprintf(err, errlen, "at most %d binds", BINDS_MAX);
		return -ENOSPC;
	}
	list_each(&a->binds, it, nx) {
		struct bind *b = list_entry(it, struct bind, h.link);
		if (same_place(b, udp, addr, rq->port)) {
			snprintf(err, errlen, "%s %s:%u is already bound (bind %llu)", tr_name(udp),
				 addr, rq->port, (unsigned long long)b->id);
			return -EADDRINUSE;
		}
	}
	return 0;
}

static Keel__Bind *to_proto(struct arena *ar, const struct bind *b)
{
	Keel__Bind *m = arena_alloc(ar, sizeof(*m));

	if (!m)
		return NULL;
	keel__bind__init(m);
	m->id = b->id;
	m->transport = b->udp ? KEEL__TRANSPORT__TRANSPORT_UDP : KEEL__TRANSPORT__TRANSPORT_TCP;
	m->address = arena_strdup(ar, b->address);
	m->port = b->port;
	m->host_port = b->host_port;
	m->host_target = arena_strdup(ar, b->host_target);
	m->connections = b->connections;
	m->failures = b->failures;
	return m;
}

int bind_op_add(void *ctx, void *from, const Keel__BindRequest *rq, struct arena *ar,
		Keel__Bind **out, char *err, size_t errlen)
{
	struct agent *a = ctx;
	struct bind *b;
	char name[sizeof(b->lis.name)];
	int e = check_request(a, rq, err, errlen), fd;

	if (e < 0)
		return e;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->h.ops = &bind_ops;
	b->udp = rq->transport == KEEL__TRANSPORT__TRANSPORT_UDP;
	snprintf(b->address, sizeof(b->address), "%s", *rq->address ? rq->address : default_address(a));
	b->port = rq->port;
	b->host_port = rq->host_port;
	snprintf(b->host_target, sizeof(b->host_target), "%s", rq->host_target);
	memcpy(b->token.b, rq->token.data, rq->token.len);
	b->token.len = rq->token.len;
	b->owner = from;
	if (sockaddr_from_ip(b->address, b->port, &b->local, &b->local_len) < 0) {
		snprintf(err, errlen, "address %s is not a numeric IPv4 or IPv6 address", b->address);
		e = -EINVAL;
		goto free_bind;
	}
	fd = open_listener(b);
	if (fd < 0) {
		e = fd;
		if (e == -EADDRINUSE)
			describe_owner(a, b->udp, b->port, err, errlen);
		else if (e == -EADDRNOTAVAIL)
			snprintf(err, errlen, "%s is not an address of the VM", b->address);
		goto free_bind;
	}
	b->id = a->next_bind_id + 1;
	snprintf(name, sizeof(name), "bind %llu %s %s:%u", (unsigned long long)b->id,
		 tr_name(b->udp), b->address, b->port);
	if ((e = listener_add(a, &b->lis, fd, on_lis, name)) < 0) {
		close(fd);
		goto free_bind;
	}
	a->next_bind_id = b->id;
	list_add(&a->binds, &b->h.link);
	a->n_binds++;
	log_info("bind %llu: %s %s:%u -> host port %u (%s)", (unsigned long long)b->id,
		 tr_name(b->udp), b->address, b->port, b->host_port, b->host_target);
	*out = to_proto(ar, b);
	return 0;
free_bind:
	free(b);
	return e;
}

static int fill_list(struct arena *ar, Keel__BindList *out, size_t n)
{
	out->binds = n ? arena_alloc(ar, n * sizeof(*out->binds)) : NULL;
	return n && !out->binds ? -ENOMEM : 0;
}

int bind_op_list(void *ctx, struct arena *ar, Keel__BindList *out)
{
	struct agent *a = ctx;
	struct link *it, *nx;

	if (fill_list(ar, out, a->n_binds) < 0)
		return -ENOMEM;
	list_each(&a->binds, it, nx) {
		Keel__Bind *m = to_proto(ar, list_entry(it, struct bind, h.link));
		if (!m)
			return -ENOMEM;
		out->binds[out->n_binds++] = m;
	}
	return 0;
}

int bind_op_remove(void *ctx, void *from, const Keel__UnbindRequest *rq, struct arena *ar,
		   Keel__BindList *out)
{
	struct agent *a = ctx;
	struct link *it, *nx;
	bool udp = rq->transport == KEEL__TRANSPORT__TRANSPORT_UDP;
	const char *addr = *rq->address ? rq->address : default_address(a);

	if (fill_list(ar, out, a->n_binds) < 0)
		return -ENOMEM;
	list_each(&a->binds, it, nx) {
		struct bind *b = list_entry(it, struct bind, h.link);
		Keel__Bind *m;

		if (rq->id ? b->id != rq->id : !same_place(b, udp, addr, rq->port))
			continue;
		if (!(m = to_proto(ar, b)))
			return -ENOMEM;
		out->binds[out->n_binds++] = m;
		/* Another connection removed it: its owner (keelctl bind) is told. */
		if (b->owner && b->owner != from)
			b->owner->removed(a, b->owner, m);
		bind_remove(a, b, "unbind request");
	}
	return out->n_binds ? 0 : -ENOENT;
}
