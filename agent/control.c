/* agent/control.c: control connections. Requests are read into a bounded
 * frame_reader, answered in order, and replies queued in a bounded output
 * buffer; a peer that stops reading stops being read (OUT_SOFT) and a watcher
 * that lets events pile up is dropped (OUT_HARD). */
#include "control.h"
#include "agent.h"
#include "auth.h"
#include "bind.h"
#include "clock.h"
#include "frame.h"
#include "log.h"
#include "probe.h"
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#define OUT_SOFT (1u << 20)
#define OUT_HARD (8u << 20)
#define OUT_KEEP (64u << 10)   /* a drained buffer bigger than this is freed */
#define HEALTH_WAIT_MAX 8
#define CLOSING_GRACE_MS 1000

struct ctl_conn {
	struct conn_hdr h;
	struct ev ev;
	struct bind_owner owner;       /* of the binds it made; from, to dispatch */
	struct frame_reader rd;
	uint8_t *out;
	size_t out_off, out_len, out_cap;
	uint64_t active_ms, partial_ms, closing_ms, stall_ms;
	bool closing, eof, dead, watching;
	bool need_auth;                /* the next frame must be the Auth */
	uint64_t auth_deadline_ms;     /* ... and complete by then */
	uint64_t watch_id;
	uint64_t waits[HEALTH_WAIT_MAX];
	unsigned nwaits;
};

static size_t pending(const struct ctl_conn *c) { return c->out_len - c->out_off; }

static void ctl_free(struct conn_hdr *h)
{
	struct ctl_conn *c = list_entry(h, struct ctl_conn, h);

	frame_reader_free(&c->rd);
	free(c->out);
	free(c);
}

static const struct conn_ops ctl_ops = { .free = ctl_free };

/* A request's from (dispatch.h) is its connection's bind owner. */
static struct ctl_conn *of_owner(void *from)
{
	return (struct ctl_conn *)((char *)from - offsetof(struct ctl_conn, owner));
}

static void ctl_close(struct agent *a, struct ctl_conn *c)
{
	if (c->dead)
		return;
	c->dead = true;
	ev_del(a, &c->ev);
	if (c->watching)
		a->watch.watchers--;   /* watch_run releases the scan when none is left */
	bind_drop_owner(a, &c->owner);
	conn_retire(a, &c->h);
	a->n_ctl--;
}

static int out_reserve(struct ctl_conn *c, size_t n)
{
	size_t ncap;
	uint8_t *nb;

	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (pending(c) + n > OUT_HARD)
		return -ENOBUFS;
	if (c->out_len + n <= c->out_cap)
		return 0;
	if (c->out_off > 0) {
		memmove(c->out, c->out + c->out_off, pending(c));
		c->out_len -= c->out_off;
		c->out_off = 0;
		if (c->out_len + n <= c->out_cap)
			return 0;
	}
	ncap = c->out_cap ? c->out_cap : 4096;
	while (ncap < c->out_len + n)
		ncap *= 2;
	nb = realloc(c->out, ncap);
	if (!nb)
		return -ENOMEM;
	c->out = nb;
	c->out_cap = ncap;
	return 0;
}

static int queue_msg(struct ctl_conn *c, const Keel__AgentMessage *m)
{
	size_t n = protobuf_c_message_get_packed_size(&m->base);
	int e = out_reserve(c, FRAME_HDR + n);

	if (e < 0)
		return e;
	frame_put_len(c->out + c->out_len, (uint32_t)n);
	protobuf_c_message_pack(&m->base, c->out + c->out_len + FRAME_HDR);
	c->out_len += FRAME_HDR + n;
	return 0;
}

static int queue_response(struct ctl_conn *c, Keel__Response *r)
{
	Keel__AgentMessage m = KEEL__AGENT_MESSAGE__INIT;

	m.kind_case = KEEL__AGENT_MESSAGE__KIND_RESPONSE;
	m.response = r;
	return queue_msg(c, &m);
}

/* Send what is queued; false when the connection had to be closed. */
static bool flush(struct agent *a, struct ctl_conn *c)
{
	while (pending(c) > 0) {
		ssize_t n = send(c->ev.fd, c->out + c->out_off, pending(c), MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			ctl_close(a, c);
			return false;
		}
		c->out_off += (size_t)n;
		c->stall_ms = 0;
	}
	if (pending(c) == 0 && c->out_cap > OUT_KEEP) {
		free(c->out);
		c->out = NULL;
		c->out_cap = c->out_off = c->out_len = 0;
	}
	return true;
}

static void update(struct agent *a, struct ctl_conn *c)
{
	uint32_t mask = 0;

	if (c->dead)
		return;
	if (c->closing && pending(c) == 0 && c->nwaits == 0) {
		ctl_close(a, c);
		return;
	}
	if (!c->closing && !c->eof && pending(c) < OUT_SOFT && !frame_reader_ready(&c->rd))
		mask |= EPOLLIN;
	if (pending(c) > 0) {
		mask |= EPOLLOUT;
		if (!c->stall_ms)
			c->stall_ms = mono_ms();
	}
	if (ev_set(a, &c->ev, mask) < 0)
		ctl_close(a, c);
}

static void start_closing(struct ctl_conn *c)
{
	c->closing = true;
	c->closing_ms = mono_ms();
}

static void after_request(struct agent *a, struct ctl_conn *c, uint64_t id)
{
	struct dispatch_ctx *d = &a->dctx;

	if (d->watch_started) {
		if (!c->watching)
			a->watch.watchers++;
		c->watching = true;
		c->watch_id = id;
	}
	if (d->pending_signal) {
		/* Answer first: init may take the VM down at once. */
		flush(a, c);
		if (kill(a->cfg.init_pid, d->pending_signal) < 0)
			log_warn("power: kill(%d): %s", (int)a->cfg.init_pid, strerror(errno));
		else
			log_info("power: sent signal %d to %d", d->pending_signal, (int)a->cfg.init_pid);
	}
}

static void handle_frame(struct agent *a, struct ctl_conn *c, const uint8_t *body, uint32_t len)
{
	struct arena ar;
	Keel__Response resp;
	int kind, r;

	arena_init(&ar);
	a->dctx.pending_signal = 0;
	a->dctx.watch_started = false;
	r = dispatch_frame(&a->dctx, &c->owner, body, len, &ar, &resp, &kind);
	if (r == -EBADMSG) {
		log_debug("control: undecodable frame of %u bytes, closing", len);
		ctl_close(a, c);
	} else if (r == 0) {
		if (queue_response(c, &resp) < 0)
			ctl_close(a, c);
		else
			after_request(a, c, resp.id);
	}
	arena_free(&ar);
}

static void refuse(struct ctl_conn *c, int code, const char *why)
{
	Keel__Response resp = KEEL__RESPONSE__INIT;
	Keel__Error err = KEEL__ERROR__INIT;

	err.code = code;
	err.message = (char *)why;
	resp.error = &err;
	queue_response(c, &resp);
	start_closing(c);
}

/* The stream's first frame: the Auth. No reply when it is right (the
 * client's first request is already behind it); else EACCES and close. */
static bool authenticate(struct agent *a, struct ctl_conn *c, const uint8_t *body, uint32_t len)
{
	if (auth_check(a, body, len) < 0) {
		log_debug("control: not authenticated, closing");
		refuse(c, EACCES, a->cfg.secret.len ? "not authenticated" :
		       "not authenticated (the agent has no secret)");
		return false;
	}
	c->need_auth = false;
	c->rd.max = a->cfg.max_frame;
	return true;
}

static void process(struct agent *a, struct ctl_conn *c)
{
	const uint8_t *body;
	uint32_t len;

	/* Replies go out in request order: a deferred Health holds the rest. */
	while (!c->dead && !c->closing && c->nwaits == 0 && pending(c) < OUT_SOFT) {
		int r = frame_reader_next(&c->rd, &body, &len);
		if (r == 0)
			break;
		if (r < 0) {
			refuse(c, EMSGSIZE, "frame too large");
			break;
		}
		c->active_ms = mono_ms();
		if (c->need_auth) {
			if (!authenticate(a, c, body, len))
				break;
			continue;
		}
		handle_frame(a, c, body, len);
	}
	if (!c->dead && frame_reader_partial(&c->rd)) {
		if (!c->partial_ms)
			c->partial_ms = mono_ms();
	} else {
		c->partial_ms = 0;
	}
	if (!c->dead && c->eof && !frame_reader_ready(&c->rd) && !c->closing) {
		/* A truncated frame at EOF is dropped; answered ones are sent. */
		start_closing(c);
	}
}

static void on_ctl(struct agent *a, struct ev *e, uint32_t events)
{
	struct ctl_conn *c = (struct ctl_conn *)((char *)e - offsetof(struct ctl_conn, ev));

	if (events & EPOLLERR) {
		ctl_close(a, c);
		return;
	}
	if (events & (EPOLLIN | EPOLLHUP) && !c->eof && !c->closing) {
		ssize_t n = frame_reader_fill(&c->rd, e->fd, false);
		if (n == 0)
			c->eof = true;
		else if (n < 0 && n != -EAGAIN && n != -EMSGSIZE) {
			ctl_close(a, c);
			return;
		}
	}
	if (events & EPOLLOUT && !flush(a, c))
		return;
	process(a, c);
	/* HUP after EOF: the peer closed both ways, so nothing can be sent
	 * (and HUP would keep firing while a deferred Health waits). */
	if (!c->dead && events & EPOLLHUP && c->eof) {
		ctl_close(a, c);
		return;
	}
	if (!c->dead && !flush(a, c))
		return;
	update(a, c);
}

/* Queue an event for one connection; the loop sends it. */
static void push_event(struct agent *a, struct ctl_conn *c, Keel__Event *ev)
{
	Keel__AgentMessage m = KEEL__AGENT_MESSAGE__INIT;

	m.kind_case = KEEL__AGENT_MESSAGE__KIND_EVENT;
	m.event = ev;
	if (c->dead || c->closing)
		return;
	/* Never closed here: the caller may be walking a list that closing
	 * changes (bind.c). The loop sends it; a peer that reads nothing ends
	 * by the closing grace. */
	if (queue_msg(c, &m) < 0)
		start_closing(c);
	else
		ev_set(a, &c->ev, c->ev.mask | EPOLLOUT);
}

/* bind_owner.removed: another connection removed one of c's binds
 * (keelctl bind is told). */
static void on_bind_removed(struct agent *a, struct bind_owner *o, Keel__Bind *m)
{
	Keel__Event ev = KEEL__EVENT__INIT;

	ev.body_case = KEEL__EVENT__BODY_BIND_REMOVED;
	ev.bind_removed = m;
	push_event(a, of_owner(o), &ev);
}

void ctl_accept(struct agent *a, int fd, bool need_auth)
{
	struct ctl_conn *c = calloc(1, sizeof(*c));

	if (!c) {
		close(fd);
		return;
	}
	c->h.ops = &ctl_ops;
	c->owner.removed = on_bind_removed;
	/* Until it has authenticated, a peer gets a small frame buffer only. */
	frame_reader_init(&c->rd, need_auth ? AUTH_FRAME_MAX : a->cfg.max_frame);
	c->ev.fd = fd;
	c->ev.fn = on_ctl;
	c->active_ms = mono_ms();
	c->need_auth = need_auth;
	c->auth_deadline_ms = c->active_ms + a->cfg.read_timeout_ms;
	if (ev_add(a, &c->ev, EPOLLIN) < 0) {
		close(fd);
		ctl_free(&c->h);
		return;
	}
	list_add(&a->ctl, &c->h.link);
	a->n_ctl++;
}

void ctl_sweep(struct agent *a, uint64_t now)
{
	struct link *it, *nx;

	list_each(&a->ctl, it, nx) {
		struct ctl_conn *c = list_entry(it, struct ctl_conn, h.link);
		bool busy = c->watching || c->nwaits > 0 || bind_owned_by(a, &c->owner);
		/* need_auth: a total deadline, not one per read: a peer trickling
		 * a byte at a time cannot hold the slot. */
		if ((c->closing && now - c->closing_ms >= CLOSING_GRACE_MS) ||
		    (c->need_auth && now >= c->auth_deadline_ms) ||
		    (c->partial_ms && now - c->partial_ms >= a->cfg.read_timeout_ms) ||
		    (c->stall_ms && now - c->stall_ms >= a->cfg.idle_timeout_ms) ||
		    (!busy && !c->partial_ms && pending(c) == 0 &&
		     now - c->active_ms >= a->cfg.idle_timeout_ms))
			ctl_close(a, c);
	}
}

void ctl_broadcast_port(struct agent *a, enum port_change ch, const struct port_entry *pe)
{
	struct link *it, *nx;
	struct arena ar;
	Keel__AgentMessage m = KEEL__AGENT_MESSAGE__INIT;
	Keel__Event ev = KEEL__EVENT__INIT;
	Keel__PortEvent pev = KEEL__PORT_EVENT__INIT;

	arena_init(&ar);
	pev.kind = (Keel__PortEvent__Kind)ch;
	pev.port = dispatch_port(&ar, pe);
	ev.body_case = KEEL__EVENT__BODY_PORT;
	ev.port = &pev;
	m.kind_case = KEEL__AGENT_MESSAGE__KIND_EVENT;
	m.event = &ev;
	if (pev.port) {
		list_each(&a->ctl, it, nx) {
			struct ctl_conn *c = list_entry(it, struct ctl_conn, h.link);
			if (!c->watching)
				continue;
			ev.watch_id = c->watch_id;
			if (queue_msg(c, &m) < 0) {
				log_warn("watch: a watcher does not read its events, dropping it");
				ctl_close(a, c);
			}
		}
	}
	arena_free(&ar);
}

void ctl_flush_watchers(struct agent *a)
{
	struct link *it, *nx;

	list_each(&a->ctl, it, nx) {
		struct ctl_conn *c = list_entry(it, struct ctl_conn, h.link);
		if (c->watching && pending(c) > 0 && flush(a, c))
			update(a, c);
	}
}

void ctl_answer_health_waiters(struct agent *a)
{
	struct link *it, *nx;

	a->dctx.health.docker_ready = a->probe.ok;
	a->dctx.health.containerd_ready = probe_containerd(a->cfg.containerd_sock);
	list_each(&a->ctl, it, nx) {
		struct ctl_conn *c = list_entry(it, struct ctl_conn, h.link);
		for (unsigned i = 0; i < c->nwaits && !c->dead; i++) {
			Keel__Request req = KEEL__REQUEST__INIT;
			Keel__HealthRequest hr = KEEL__HEALTH_REQUEST__INIT;
			Keel__Response resp;
			struct arena ar;

			req.id = c->waits[i];
			req.body_case = KEEL__REQUEST__BODY_HEALTH;
			req.health = &hr;
			arena_init(&ar);
			dispatch_request(&a->dctx, &c->owner, &req, &ar, &resp);
			if (queue_response(c, &resp) < 0)
				ctl_close(a, c);
			arena_free(&ar);
		}
		c->nwaits = 0;
		if (!c->dead && flush(a, c)) {
			process(a, c);   /* requests held back behind the deferred one */
			if (!c->dead && flush(a, c))
				update(a, c);
		}
	}
}

/* Park Health request id on c until the ping ends; false when c holds
 * HEALTH_WAIT_MAX already. */
static bool park_health(struct ctl_conn *c, uint64_t id)
{
	if (c->nwaits >= HEALTH_WAIT_MAX)
		return false;
	c->waits[c->nwaits++] = id;
	return true;
}

bool ctl_defer_health(void *ctx, void *from, uint64_t id)
{
	struct agent *a = ctx;

	a->dctx.health.containerd_ready = probe_containerd(a->cfg.containerd_sock);
	if (probe_ping_pending(a) && from && park_health(of_owner(from), id))
		return true;
	/* Fresh, finished at once, or no room to wait: the latest result. */
	a->dctx.health.docker_ready = a->probe.ok;
	return false;
}
