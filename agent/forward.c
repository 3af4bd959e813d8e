/* agent/forward.c: the forward port. A connection sends one ForwardRequest
 * frame; the agent dials the target without blocking, answers one
 * ForwardResponse, then relays raw bytes both ways until both directions have
 * ended. TCP and unix targets are relayed with splice(2) through one pipe per
 * direction (proto/relay.c). EOF in one direction becomes shutdown(SHUT_WR)
 * on the other side (half-close); an error on either side closes both.
 *
 * UDP rides the stream as datagrams each prefixed by a 2-byte big-endian
 * length, in both directions.
 *
 * The same connection carries bind streams the other way (fwd_outbound):
 * there the agent dials the host, sends a BindConnect header instead of
 * reading a request, and the target is a guest connection bind.c accepted
 * (or a UDP socket connected to one guest peer). The stream side is always
 * `cli`, so the UDP framing code serves both. fwd_proxy is the plainest
 * use: an accepted client, a target to dial, bytes both ways (the DNS
 * server's TCP path). */
#include "forward.h"
#include "agent.h"
#include "auth.h"
#include "clock.h"
#include "dgram.h"
#include "frame.h"
#include "log.h"
#include "relay.h"
#include "sockaddr.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define FWD_TARGET_SNDBUF (256 * 1024)

#define FWD_REQ_MAX 1024          /* a ForwardRequest is small */
#define FWD_ROUNDS 8               /* bounded work per wakeup, for fairness */
#define HDR_MAX 256                /* a BindConnect frame */

enum fwd_state { FWD_REQ, FWD_CONNECTING, FWD_RELAY };

/* A UDP direction: buf holds length-prefixed datagrams. */
struct udp_dir {
	uint8_t *buf;
	size_t off, len, pending;
};

struct fwd_conn {
	struct conn_hdr h;
	struct ev cli, tgt;
	enum fwd_state state;
	bool udp, dead;
	bool outbound;            /* a bind stream: we dialled cli, tgt is the guest's */
	bool proxy;               /* fwd_proxy: no request, no response, just bytes */
	bool need_auth;           /* the host's: an Auth frame comes first */
	uint64_t bind_id;         /* outbound: whose failures to count */
	void (*failed)(struct agent *a, uint64_t bind_id);   /* outbound: counts them */
	uint8_t hdr[HDR_MAX];     /* outbound: sent once cli is connected */
	size_t hdr_len;
	enum origin origin;       /* whose budget it counts against */
	struct peer_addr peer;    /* guest-originated: the guest peer */
	uint64_t active_ms;       /* last relay event */
	unsigned idle_ms;         /* 0: never idles out (the host's streams) */
	struct frame_reader rd;
	uint64_t deadline_ms;     /* request and connect must finish by then */
	struct relay_dir up, down;   /* streams. up: client -> target */
	struct udp_dir uup, udown;   /* UDP */
};

static struct fwd_conn *of_cli(struct ev *e) { return (struct fwd_conn *)((char *)e - offsetof(struct fwd_conn, cli)); }
static struct fwd_conn *of_tgt(struct ev *e) { return (struct fwd_conn *)((char *)e - offsetof(struct fwd_conn, tgt)); }

static void dirs_free(struct fwd_conn *f)
{
	relay_dir_free(&f->up);
	relay_dir_free(&f->down);
	free(f->uup.buf);
	free(f->udown.buf);
	f->uup.buf = f->udown.buf = NULL;
}

static void fwd_free(struct fwd_conn *f)
{
	dirs_free(f);
	frame_reader_free(&f->rd);
	free(f);
}

static void free_conn(struct conn_hdr *h)
{
	fwd_free(list_entry(h, struct fwd_conn, h));
}

static const struct conn_ops fwd_ops = { .free = free_conn };

static void fwd_close(struct agent *a, struct fwd_conn *f)
{
	if (f->dead)
		return;
	f->dead = true;
	ev_del(a, &f->cli);
	ev_del(a, &f->tgt);
	dirs_free(f);
	conn_retire(a, &f->h);
	budget_put(&a->budget, f->origin, &f->peer);
}

/* Best effort: a fresh socket's buffer takes a short frame at once. */
static void respond(struct fwd_conn *f, int err)
{
	Keel__ForwardResponse r = KEEL__FORWARD_RESPONSE__INIT;
	uint8_t buf[FRAME_HDR + 256];
	size_t n;

	r.ok = err == 0;
	r.code = err;
	r.error = f->need_auth ? (char *)"not authenticated" : err ? strerror(err) : (char *)"";
	n = protobuf_c_message_get_packed_size(&r.base);
	if (n > sizeof(buf) - FRAME_HDR)
		return;
	frame_put_len(buf, (uint32_t)n);
	protobuf_c_message_pack(&r.base, buf + FRAME_HDR);
	if (send(f->cli.fd, buf, FRAME_HDR + n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		return;
}

static void fail(struct agent *a, struct fwd_conn *f, int err)
{
	if (f->outbound)
		f->failed(a, f->bind_id);
	else if (!f->proxy)
		respond(f, err);
	fwd_close(a, f);
}

static int target_addr(const Keel__ForwardRequest *rq, struct sockaddr_storage *ss, socklen_t *len)
{
	const char *addr = *rq->address ? rq->address : "127.0.0.1";
	struct sockaddr_un *su = (struct sockaddr_un *)ss;

	memset(ss, 0, sizeof(*ss));
	if (rq->transport == KEEL__TRANSPORT__TRANSPORT_UNIX) {
		if (sockaddr_from_path(rq->path, su) < 0)
			return -EINVAL;
		*len = sizeof(*su);
		return 0;
	}
	if (rq->transport != KEEL__TRANSPORT__TRANSPORT_TCP &&
	    rq->transport != KEEL__TRANSPORT__TRANSPORT_UDP)
		return -EPROTONOSUPPORT;
	if (rq->port == 0 || rq->port > 65535)
		return -EINVAL;
	/* numeric addresses only: no resolver in the loop */
	return sockaddr_from_ip(addr, rq->port, ss, len);
}

static int dirs_setup(struct fwd_conn *f)
{
	int e;

	if (f->udp) {
		f->uup.buf = malloc(DGRAM_BUF);
		f->udown.buf = malloc(DGRAM_BUF);
		return f->uup.buf && f->udown.buf ? 0 : -ENOMEM;
	}
	if ((e = relay_dir_setup_for(&f->up, f->cli.fd)) < 0)
		return e;
	return relay_dir_setup_for(&f->down, f->tgt.fd);
}

static void update(struct agent *a, struct fwd_conn *f);

static void on_tgt(struct agent *a, struct ev *e, uint32_t events);

static void start_relay(struct agent *a, struct fwd_conn *f)
{
	int e;

	/* Bind streams set up their directions before dialling. */
	if (!f->outbound && (e = dirs_setup(f)) < 0) {
		fail(a, f, -e);
		return;
	}
	if (f->outbound) {
		/* A fresh stream takes a short frame at once, as respond() assumes. */
		if (send(f->cli.fd, f->hdr, f->hdr_len, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)f->hdr_len) {
			fail(a, f, EIO);
			return;
		}
	} else if (!f->proxy) {
		respond(f, 0);
	}
	f->state = FWD_RELAY;
	update(a, f);
}

/* Start the non-blocking connect to the target; the connection waits in
 * FWD_CONNECTING for it. */
static void connect_target(struct agent *a, struct fwd_conn *f, const struct sockaddr_storage *ss,
			   socklen_t len)
{
	int fd = socket(ss->ss_family, (f->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0) {
		fail(a, f, errno);
		return;
	}
	f->tgt.fd = fd;
	f->tgt.fn = on_tgt;
	/* A fixed send buffer bounds the kernel memory a slow target can pin per
	 * forward (autotuning grows it to tcp_wmem's 4 MiB); the kernel doubles
	 * the value, and 512 KiB still fills a loopback pipe. */
	if (!f->udp && ss->ss_family != AF_UNIX)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &(int){ FWD_TARGET_SNDBUF }, sizeof(int));
	if (connect(fd, (const struct sockaddr *)ss, len) < 0 && errno != EINPROGRESS) {
		/* EAGAIN on a unix socket: its backlog is full, a refusal too. */
		fail(a, f, errno == EAGAIN ? ECONNREFUSED : errno);
		return;
	}
	if (ev_add(a, &f->tgt, EPOLLOUT) < 0) {
		fail(a, f, ENOMEM);
		return;
	}
	f->state = FWD_CONNECTING;
	ev_set(a, &f->cli, 0);  /* still told of HUP/ERR */
}

static void dial(struct agent *a, struct fwd_conn *f, const Keel__ForwardRequest *rq)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int e = target_addr(rq, &ss, &len);

	if (e < 0) {
		fail(a, f, -e);
		return;
	}
	f->udp = rq->transport == KEEL__TRANSPORT__TRANSPORT_UDP;
	connect_target(a, f, &ss, len);
}

static void read_request(struct agent *a, struct fwd_conn *f)
{
	const uint8_t *body;
	uint32_t len;
	ssize_t n;
	Keel__ForwardRequest *rq;

	/* The Auth frame first when it is needed, then the request: both may
	 * have arrived together (exact reads take one frame at a time). */
	for (;;) {
		n = frame_reader_fill(&f->rd, f->cli.fd, true);
		if (n == 0 || (n < 0 && n != -EAGAIN && n != -EMSGSIZE)) {
			fwd_close(a, f);
			return;
		}
		n = frame_reader_next(&f->rd, &body, &len);
		if (n == 0)
			return;
		if (n < 0) {
			fail(a, f, EMSGSIZE);
			return;
		}
		if (!f->need_auth)
			break;
		if (auth_check(a, body, len) < 0) {
			log_debug("forward: not authenticated, closing");
			fail(a, f, EACCES);
			return;
		}
		f->need_auth = false;
	}
	rq = keel__forward_request__unpack(NULL, len, body);
	if (!rq) {
		fail(a, f, EINVAL);
		return;
	}
	dial(a, f, rq);
	keel__forward_request__free_unpacked(rq, NULL);
	frame_reader_free(&f->rd);
}

static void connected(struct agent *a, struct fwd_conn *f)
{
	int err = 0;
	socklen_t l = sizeof(err);
	int fd = f->outbound ? f->cli.fd : f->tgt.fd;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l) < 0)
		err = errno;
	if (err) {
		fail(a, f, err);
		return;
	}
	start_relay(a, f);
}

/* UDP, stream -> datagrams: buf[0, len) holds length-prefixed datagrams. */
static int udp_up(struct udp_dir *d, int cli, int tgt)
{
	for (int i = 0; i < FWD_ROUNDS; i++) {
		ssize_t n;

		while (d->len >= DGRAM_HDR) {
			size_t dl = dgram_hdr_get(d->buf);
			if (d->len - DGRAM_HDR < dl)
				break;
			n = send(tgt, d->buf + DGRAM_HDR, dl, MSG_DONTWAIT);
			if (n < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
				d->pending = 1;   /* wait for EPOLLOUT on the target */
				return 0;
			}
			/* Other send errors (ICMP refusals) lose the datagram, as UDP does. */
			memmove(d->buf, d->buf + DGRAM_HDR + dl, d->len - DGRAM_HDR - dl);
			d->len -= DGRAM_HDR + dl;
		}
		d->pending = 0;
		n = recv(cli, d->buf + d->len, DGRAM_BUF - d->len, MSG_DONTWAIT);
		if (n == 0)
			return -1;   /* the stream ended: the UDP flow with it */
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		d->len += (size_t)n;
	}
	return 0;
}

/* UDP, datagrams -> stream: one datagram at a time, prefixed. */
static int udp_down(struct udp_dir *d, int tgt, int cli)
{
	for (int i = 0; i < FWD_ROUNDS; i++) {
		ssize_t n;

		if (d->pending) {
			n = send(cli, d->buf + d->off, d->pending, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0)
				return errno == EAGAIN || errno == EINTR ? 0 : -1;
			d->off += (size_t)n;
			d->pending -= (size_t)n;
			continue;
		}
		n = recv(tgt, d->buf + DGRAM_HDR, DGRAM_MAX, MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN || errno == EINTR || errno == ECONNREFUSED ? 0 : -1;
		dgram_hdr_put(d->buf, (size_t)n);
		d->off = 0;
		d->pending = (size_t)n + DGRAM_HDR;
	}
	return 0;
}

static void update(struct agent *a, struct fwd_conn *f)
{
	uint32_t cm = 0, tm = 0;

	if (f->dead)
		return;
	if (f->udp) {
		if (!f->uup.pending && f->uup.len < DGRAM_BUF)
			cm |= EPOLLIN;
		if (f->uup.pending)
			tm |= EPOLLOUT;
		if (!f->udown.pending)
			tm |= EPOLLIN;
		else
			cm |= EPOLLOUT;
	} else {
		if (f->up.done && f->down.done) {
			fwd_close(a, f);
			return;
		}
		cm = (relay_wants_in(&f->up) ? EPOLLIN : 0) | (relay_wants_out(&f->down) ? EPOLLOUT : 0);
		tm = (relay_wants_in(&f->down) ? EPOLLIN : 0) | (relay_wants_out(&f->up) ? EPOLLOUT : 0);
	}
	if (ev_set(a, &f->cli, cm) < 0 || ev_set(a, &f->tgt, tm) < 0)
		fwd_close(a, f);
}

static void relay(struct agent *a, struct fwd_conn *f, uint32_t events)
{
	int r1, r2;

	f->active_ms = mono_ms();
	if (f->udp) {
		r1 = udp_up(&f->uup, f->cli.fd, f->tgt.fd);
		r2 = r1 < 0 ? 0 : udp_down(&f->udown, f->tgt.fd, f->cli.fd);
	} else {
		r1 = relay_pump(&f->up, f->cli.fd, f->tgt.fd, FWD_ROUNDS);
		r2 = r1 < 0 ? 0 : relay_pump(&f->down, f->tgt.fd, f->cli.fd, FWD_ROUNDS);
	}
	/* ERR, or HUP with nothing more to move, means that side is gone. */
	if (r1 < 0 || r2 < 0 || (events & EPOLLERR)) {
		fwd_close(a, f);
		return;
	}
	if (events & EPOLLHUP && !(events & EPOLLIN) && !f->up.pending && !f->down.pending) {
		fwd_close(a, f);
		return;
	}
	update(a, f);
}

static void on_event(struct agent *a, struct fwd_conn *f, bool is_cli, uint32_t events)
{
	switch (f->state) {
	case FWD_REQ:
		if (events & (EPOLLERR | EPOLLHUP) && !(events & EPOLLIN))
			fwd_close(a, f);
		else
			read_request(a, f);
		break;
	case FWD_CONNECTING:
		if (is_cli == f->outbound)
			connected(a, f);
		else
			fail(a, f, ECONNABORTED);   /* the other side went away while we dialled */
		break;
	case FWD_RELAY:
		relay(a, f, events);
		break;
	}
}

static void on_cli(struct agent *a, struct ev *e, uint32_t events)
{
	on_event(a, of_cli(e), true, events);
}

static void on_tgt(struct agent *a, struct ev *e, uint32_t events)
{
	on_event(a, of_tgt(e), false, events);
}

/* A connection with client side cli, counted against the budget of origin
 * (and, for the guest, of peer): -ENFILE, -EDQUOT past it, -ENOMEM. */
static int fwd_new(struct agent *a, int cli, enum origin origin, const struct peer_addr *peer,
		   struct fwd_conn **out)
{
	struct fwd_conn *f;
	int e = budget_take(&a->budget, origin, peer);

	if (e < 0)
		return e;
	f = calloc(1, sizeof(*f));
	if (!f) {
		budget_put(&a->budget, origin, peer);
		return -ENOMEM;
	}
	relay_dir_init(&f->up);
	relay_dir_init(&f->down);
	f->h.ops = &fwd_ops;
	f->origin = origin;
	if (peer)
		f->peer = *peer;
	f->cli.fd = cli;
	f->cli.fn = on_cli;
	f->tgt.fd = -1;
	f->tgt.fn = on_tgt;
	f->active_ms = mono_ms();
	f->deadline_ms = f->active_ms + a->cfg.read_timeout_ms;
	*out = f;
	return 0;
}

/* Undo fwd_new for a connection that never made it onto the list. */
static void fwd_discard(struct agent *a, struct fwd_conn *f)
{
	budget_put(&a->budget, f->origin, &f->peer);
	fwd_free(f);
}

int fwd_outbound(struct agent *a, const struct fwd_outbound *o)
{
	struct fwd_conn *f;
	int fd, e;

	if (o->hdr_len > HDR_MAX || o->first_len > DGRAM_MAX)
		return -EINVAL;
	fd = socket(o->host->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if ((e = fwd_new(a, fd, ORIGIN_GUEST, o->peer, &f)) < 0) {
		close(fd);
		return e;
	}
	if (connect(fd, o->host, o->host_len) < 0 && errno != EINPROGRESS) {
		e = errno == EAGAIN ? -ECONNREFUSED : -errno;
		goto free_conn;
	}
	f->outbound = true;
	f->udp = o->udp;
	f->bind_id = o->bind_id;
	f->failed = o->failed;
	f->idle_ms = o->idle_ms;
	memcpy(f->hdr, o->hdr, o->hdr_len);
	f->hdr_len = o->hdr_len;
	f->tgt.fd = o->guest_fd;
	f->state = FWD_CONNECTING;
	if ((e = dirs_setup(f)) < 0)
		goto free_conn;
	if (o->udp && o->first_len) {
		/* The datagram that made the flow goes first, framed. */
		dgram_hdr_put(f->udown.buf, o->first_len);
		memcpy(f->udown.buf + DGRAM_HDR, o->first, o->first_len);
		f->udown.pending = o->first_len + DGRAM_HDR;
	}
	if ((e = ev_add(a, &f->cli, EPOLLOUT)) < 0)
		goto free_conn;
	if ((e = ev_add(a, &f->tgt, 0)) < 0) {
		ev_del(a, &f->cli);
		f->tgt.fd = -1;   /* the caller still owns guest_fd */
		fwd_discard(a, f);
		return e;
	}
	list_add(&a->fwd, &f->h.link);
	return 0;
free_conn:
	f->tgt.fd = -1;
	close(fd);
	fwd_discard(a, f);
	return e;
}

int fwd_proxy(struct agent *a, int client_fd, const struct fwd_proxy *p)
{
	struct fwd_conn *f;
	int e = fwd_new(a, client_fd, ORIGIN_GUEST, p->peer, &f);

	if (e < 0)
		return e;
	f->proxy = true;
	f->idle_ms = p->idle_ms;
	if (ev_add(a, &f->cli, 0) < 0) {
		fwd_discard(a, f);
		return -ENOMEM;
	}
	list_add(&a->fwd, &f->h.link);
	connect_target(a, f, p->target, p->target_len);   /* a failure closes f */
	return 0;
}

/* The host's streams never idle out: `docker logs -f` or `docker attach`
 * may carry nothing for hours, and the host budget is the host's own. */
void fwd_accept(struct agent *a, int fd, bool need_auth)
{
	struct fwd_conn *f;

	if (fwd_new(a, fd, ORIGIN_HOST, NULL, &f) < 0) {
		close(fd);   /* past the budget: the peer sees EOF at once */
		return;
	}
	frame_reader_init(&f->rd, FWD_REQ_MAX);
	f->need_auth = need_auth;
	if (ev_add(a, &f->cli, EPOLLIN) < 0) {
		close(fd);
		fwd_discard(a, f);
		return;
	}
	list_add(&a->fwd, &f->h.link);
}

void fwd_sweep(struct agent *a, uint64_t now)
{
	struct link *it, *nx;

	list_each(&a->fwd, it, nx) {
		struct fwd_conn *f = list_entry(it, struct fwd_conn, h.link);
		if (f->state != FWD_RELAY && now >= f->deadline_ms)
			fail(a, f, ETIMEDOUT);
		else if (f->state == FWD_RELAY && f->idle_ms && now - f->active_ms >= f->idle_ms)
			fwd_close(a, f);
	}
}
