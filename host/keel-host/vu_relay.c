/* host/keel-host/vu_relay.c: the vhost-user relay with replay (vu_relay.h). */
#include "vu_relay.h"
#include "clock.h"
#include "conn.h"
#include "log.h"
#include "unix_listen.h"
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define RETRY_MS 50u
#define IO_TIMEOUT_MS 2000

/* The order QEMU sets a device up in, which the replay follows: the device
 * first, then each ring (its eventfds before the kick that starts it). */
static const uint32_t dev_order[6] = {
	VU_SET_OWNER, VU_GET_FEATURES, VU_GET_PROTOCOL_FEATURES, VU_SET_PROTOCOL_FEATURES,
	VU_SET_BACKEND_REQ_FD, VU_SET_FEATURES,
};
static const uint32_t ring_order[7] = {
	VU_SET_VRING_NUM, VU_SET_VRING_BASE, VU_SET_VRING_ADDR, VU_SET_VRING_CALL,
	VU_SET_VRING_ERR, VU_SET_VRING_KICK, VU_SET_VRING_ENABLE,
};
enum { RING_BASE = 1, RING_ADDR = 2, RING_KICK = 5 };

static int slot_of(const uint32_t *order, int n, uint32_t req)
{
	for (int i = 0; i < n; i++)
		if (order[i] == req)
			return i;
	return -1;
}

static void stored_clear(struct vu_stored *s)
{
	if (s->used)
		vu_close_fds(s->fds, s->nfds);
	s->used = false;
	s->nfds = 0;
}

static void mem_clear(struct vu_relay *r)
{
	vu_close_fds(r->mem_fd, r->n_mem);
	r->n_mem = 0;
}

static void journal_clear(struct vu_relay *r)
{
	mem_clear(r);
	for (int i = 0; i < 6; i++)
		stored_clear(&r->dev[i]);
	for (int q = 0; q < VU_RELAY_RINGS; q++)
		for (int i = 0; i < 7; i++)
			stored_clear(&r->ring[q][i]);
}

static void pending_clear(struct vu_relay *r)
{
	for (unsigned i = 0; i < r->n_pending; i++)
		stored_clear(&r->pending[i]);
	r->n_pending = 0;
}

/* The ring a ring message is about (-1: not one, or out of range). */
static int ring_of(const struct vu_stored *m)
{
	uint64_t v = 0;
	uint32_t idx;

	if (m->h.size < sizeof(uint32_t))
		return -1;
	if (m->h.request == VU_SET_VRING_KICK || m->h.request == VU_SET_VRING_CALL ||
	    m->h.request == VU_SET_VRING_ERR) {
		if (m->h.size < sizeof(v))
			return -1;
		memcpy(&v, m->p, sizeof(v));
		idx = (uint32_t)(v & VU_VRING_IDX_MASK);
	} else {
		memcpy(&idx, m->p, sizeof(idx));
	}
	return idx < VU_RELAY_RINGS ? (int)idx : -1;
}

/* SET_MEM_TABLE replaces the regions, ADD_MEM_REG adds one, REM_MEM_REG
 * removes the one it names. true when the journal took m's fds. */
static bool mem_note(struct vu_relay *r, struct vu_stored *m)
{
	struct vu_region reg;
	uint32_t n;

	if (m->h.request == VU_SET_MEM_TABLE) {
		if (m->h.size < 8)
			return false;
		memcpy(&n, m->p, sizeof(n));
		if (n != m->nfds || n > VU_MAX_FDS || m->h.size < 8 + n * sizeof(reg))
			return false;
		mem_clear(r);
		memcpy(r->mem, m->p + 8, n * sizeof(reg));
		memcpy(r->mem_fd, m->fds, n * sizeof(int));
		r->n_mem = n;
		return true;
	}
	if (m->h.size < 8 + sizeof(reg))
		return false;
	memcpy(&reg, m->p + 8, sizeof(reg));
	if (m->h.request == VU_REM_MEM_REG) {
		for (unsigned i = 0; i < r->n_mem; i++)
			if (r->mem[i].gpa == reg.gpa && r->mem[i].size == reg.size &&
			    r->mem[i].uva == reg.uva) {
				close(r->mem_fd[i]);
				r->n_mem--;
				r->mem[i] = r->mem[r->n_mem];
				r->mem_fd[i] = r->mem_fd[r->n_mem];
				break;
			}
		return false;
	}
	if (m->nfds != 1 || r->n_mem == VU_MAX_FDS)
		return false;
	r->mem[r->n_mem] = reg;
	r->mem_fd[r->n_mem++] = m->fds[0];
	return true;
}

/* Keep m in the journal when it sets state up (the journal then owns its
 * fds); drop what a stop or reset undid. true when m's fds were kept. */
static bool journal_note(struct vu_relay *r, struct vu_stored *m)
{
	int slot = slot_of(dev_order, 6, m->h.request), q;

	if (m->h.request == VU_SET_MEM_TABLE || m->h.request == VU_ADD_MEM_REG ||
	    m->h.request == VU_REM_MEM_REG)
		return mem_note(r, m);
	if (m->h.request == VU_RESET_OWNER || m->h.request == VU_RESET_DEVICE) {
		journal_clear(r);
		return false;
	}
	if (m->h.request == VU_GET_VRING_BASE) {
		/* the ring stops; QEMU sets all of it again to start it */
		if ((q = ring_of(m)) >= 0)
			for (int i = 0; i < 7; i++)
				stored_clear(&r->ring[q][i]);
		return false;
	}
	if (slot >= 0) {
		stored_clear(&r->dev[slot]);
		r->dev[slot] = *m;
		return true;
	}
	slot = slot_of(ring_order, 7, m->h.request);
	if (slot < 0 || (q = ring_of(m)) < 0)
		return false;
	stored_clear(&r->ring[q][slot]);
	r->ring[q][slot] = *m;
	return true;
}

/* The used ring address QEMU gave ring q (0: none). */
static uint64_t ring_used_uva(const struct vu_relay *r, int q)
{
	const struct vu_stored *ad = &r->ring[q][RING_ADDR];
	uint64_t used;

	if (!ad->used || ad->h.size < 24)
		return 0;
	memcpy(&used, ad->p + 16, sizeof(used));   /* index, flags, desc, used */
	return used;
}

/* A ring's used index, from guest memory: the region that holds the used
 * address (QEMU's virtual address). */
static int used_index_at(const struct vu_relay *r, uint64_t used, uint16_t *idx)
{
	for (unsigned i = 0; i < r->n_mem && used; i++) {
		const struct vu_region *g = &r->mem[i];
		if (used < g->uva || used - g->uva + 4 > g->size)
			continue;
		if (pread(r->mem_fd[i], idx, sizeof(*idx), (off_t)(g->mmap_offset + used - g->uva + 2)) !=
		    (ssize_t)sizeof(*idx))
			return -EIO;
		return 0;
	}
	return -ERANGE;
}

static int send_back(struct vu_relay *r, const struct vu_stored *m, bool replayed)
{
	struct vu_hdr h = m->h;

	if (replayed) {
		h.flags &= ~VU_FLAG_NEED_REPLY;
		if (vu_has_reply(h.request))
			r->swallow++;
	}
	return vu_send(r->back, &h, m->p, m->fds, m->nfds);
}

int vu_relay_send(struct vu_relay *r, uint32_t req, const void *payload, uint32_t size,
		  const int *fds, unsigned nfds)
{
	struct vu_stored m = { .used = true, .h = { req, VU_VERSION, size }, .nfds = nfds };

	if (size > sizeof(m.p) || nfds > VU_MAX_FDS)
		return -EINVAL;
	if (size)
		memcpy(m.p, payload, size);
	if (nfds)
		memcpy(m.fds, fds, nfds * sizeof(int));
	return send_back(r, &m, true);
}

/* The guest's memory as one SET_MEM_TABLE, however QEMU sent it. */
static int send_mem_table(struct vu_relay *r)
{
	uint8_t p[8 + VU_MAX_FDS * sizeof(struct vu_region)];
	uint32_t n = r->n_mem, pad = 0;

	memcpy(p, &n, sizeof(n));
	memcpy(p + 4, &pad, sizeof(pad));
	memcpy(p + 8, r->mem, n * sizeof(struct vu_region));
	return vu_relay_send(r, VU_SET_MEM_TABLE, p, 8 + n * (uint32_t)sizeof(struct vu_region),
			     r->mem_fd, n);
}

static int replay(struct vu_relay *r)
{
	bool running = r->n_mem > 0;   /* a session to take over */
	unsigned sent = 0;
	int e;

	for (int i = 0; i < 6; i++)
		if (r->dev[i].used) {
			if ((e = send_back(r, &r->dev[i], true)) < 0)
				return e;
			sent++;
		}
	if (running && r->prime && (e = r->prime(r)) < 0) {
		log_warn("%s: the new backend's session did not start: %s", r->name, strerror(-e));
		return e;
	}
	if (running) {
		if ((e = send_mem_table(r)) < 0)
			return e;
		sent++;
	}
	for (int q = 0; q < VU_RELAY_RINGS; q++)
		for (int i = 0; i < 7; i++) {
			struct vu_stored m = r->ring[q][i];   /* a copy: the base may change */
			uint16_t used;
			if (!m.used)
				continue;
			if (i == RING_BASE && r->ring[q][RING_KICK].used &&
			    used_index_at(r, ring_used_uva(r, q), &used) == 0) {
				uint32_t base = used;
				memcpy(m.p + 4, &base, sizeof(base));   /* index, num */
			}
			if ((e = send_back(r, &m, true)) < 0)
				return e;
			sent++;
		}
	if (sent)
		log_info("%s: its vhost-user session replayed (%u messages)", r->name, sent);
	return 0;
}

static void watch(struct vu_relay *r, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	epoll_ctl(r->ep, EPOLL_CTL_ADD, fd, &ev);
}

static void drop(struct vu_relay *r, int *fd)
{
	if (*fd < 0)
		return;
	epoll_ctl(r->ep, EPOLL_CTL_DEL, *fd, NULL);
	close(*fd);
	*fd = -1;
}

static void relay_io_timeouts(int fd)
{
	struct timeval tv = { IO_TIMEOUT_MS / 1000, (IO_TIMEOUT_MS % 1000) * 1000 };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static bool reply_ack_on(const struct vu_relay *r)
{
	const struct vu_stored *pf = &r->dev[3];   /* SET_PROTOCOL_FEATURES */
	uint64_t f = 0;

	if (pf->used && pf->h.size >= sizeof(f))
		memcpy(&f, pf->p, sizeof(f));
	return f & (1ull << 3);                    /* VHOST_USER_PROTOCOL_F_REPLY_ACK */
}

static bool expects_reply(const struct vu_relay *r, const struct vu_hdr *h)
{
	return vu_has_reply(h->request) || ((h->flags & VU_FLAG_NEED_REPLY) && reply_ack_on(r));
}

static void answer_front(struct vu_relay *r, uint32_t req, const void *p, uint32_t size)
{
	struct vu_hdr h = { req, VU_VERSION | VU_FLAG_REPLY, size };

	if (r->front >= 0 && vu_send(r->front, &h, p, NULL, 0) < 0)
		log_warn("%s: cannot answer QEMU", r->name);
}

/* No backend to answer what QEMU waits for: an ack or a stopped ring's base
 * from the relay, a question again to the next backend. */
static void settle_owed(struct vu_relay *r, bool sent)
{
	struct vu_stored *m = &r->owed.m;

	if (!r->owed.due)
		return;
	if (m->h.request == VU_GET_VRING_BASE) {
		uint32_t st[2] = { 0, 0 };
		uint16_t used = 0;
		memcpy(st, m->p, sizeof(st[0]));
		if (used_index_at(r, r->owed.used_uva, &used) == 0)
			st[1] = used;
		answer_front(r, m->h.request, st, sizeof(st));
	} else if (r->owed.kept) {
		uint64_t ok = 0;
		answer_front(r, m->h.request, &ok, sizeof(ok));
	} else if (sent && r->n_pending < VU_RELAY_PENDING) {
		/* asked of the dead backend: first in line for the next one */
		memmove(&r->pending[1], &r->pending[0], r->n_pending * sizeof(r->pending[0]));
		r->pending[0] = *m;
		r->n_pending++;
		return;
	} else {
		return;   /* already waiting in pending */
	}
	r->owed.due = false;
}

static void backend_lost(struct vu_relay *r, const char *why)
{
	if (r->back < 0)
		return;
	log_warn("%s: vhost-user backend gone (%s); QEMU's session is kept for the next one",
		 r->name, why);
	drop(r, &r->back);
	r->swallow = 0;
	r->retry_ms = mono_ms() + RETRY_MS;
	settle_owed(r, true);
}

/* The backend is there (again): the journal, then what waited. */
static void backend_connect(struct vu_relay *r)
{
	int e;

	if ((e = conn_unix(r->back_path, &r->back)) < 0) {
		r->back = -1;
		r->retry_ms = mono_ms() + RETRY_MS;
		return;
	}
	relay_io_timeouts(r->back);
	watch(r, r->back);
	r->retry_ms = 0;
	if ((e = replay(r)) < 0) {
		backend_lost(r, strerror(-e));
		return;
	}
	for (unsigned i = 0; i < r->n_pending; i++)
		if ((e = send_back(r, &r->pending[i], false)) < 0) {
			backend_lost(r, strerror(-e));
			return;
		}
	pending_clear(r);
}

static void front_lost(struct vu_relay *r)
{
	log_info("%s: QEMU closed its vhost-user socket", r->name);
	drop(r, &r->front);
	drop(r, &r->back);
	journal_clear(r);
	pending_clear(r);
	r->swallow = 0;
	r->retry_ms = 0;
	r->owed.due = false;
}

static void on_front(struct vu_relay *r)
{
	struct vu_stored m = { .used = true };
	int e = vu_recv(r->front, &m.h, m.p, sizeof(m.p), m.fds, &m.nfds);
	bool kept;

	if (e < 0) {
		front_lost(r);
		return;
	}
	if (expects_reply(r, &m.h)) {
		int q = m.h.request == VU_GET_VRING_BASE ? ring_of(&m) : -1;
		r->owed.due = true;
		r->owed.used_uva = q >= 0 ? ring_used_uva(r, q) : 0;   /* before the note drops it */
		r->owed.m = m;
		r->owed.m.nfds = 0;
	}
	kept = journal_note(r, &m);
	r->owed.kept = r->owed.due && kept;
	if (r->back >= 0 && (e = send_back(r, &m, false)) < 0)
		backend_lost(r, strerror(-e));
	if (r->back < 0 && (kept || m.h.request == VU_GET_VRING_BASE))
		settle_owed(r, false);
	if (r->back >= 0 || kept || m.h.request == VU_GET_VRING_BASE) {
		/* sent, or the replay will send its latest state, or answered */
		if (!kept)
			vu_close_fds(m.fds, m.nfds);
		return;
	}
	if (r->n_pending == VU_RELAY_PENDING) {
		log_err("%s: %u messages from QEMU wait for the backend; dropping QEMU's session",
			r->name, r->n_pending);
		vu_close_fds(m.fds, m.nfds);
		front_lost(r);
		return;
	}
	r->pending[r->n_pending++] = m;
}

static void on_back(struct vu_relay *r)
{
	struct vu_stored m;
	int e = vu_recv(r->back, &m.h, m.p, sizeof(m.p), m.fds, &m.nfds);

	if (e < 0) {
		backend_lost(r, e == -EPIPE ? "closed" : strerror(-e));
		return;
	}
	if (r->swallow) {
		r->swallow--;             /* a replayed message's */
	} else {
		r->owed.due = false;
		if (r->front >= 0 && (e = vu_send(r->front, &m.h, m.p, m.fds, m.nfds)) < 0) {
			vu_close_fds(m.fds, m.nfds);
			front_lost(r);
			return;
		}
	}
	vu_close_fds(m.fds, m.nfds);
}

static void on_listen(struct vu_relay *r)
{
	int fd = accept4(r->lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (r->front >= 0) {
		log_warn("%s: a second vhost-user client refused", r->name);
		close(fd);
		return;
	}
	r->front = fd;
	relay_io_timeouts(fd);
	watch(r, fd);
	backend_connect(r);
}

bool vu_relay_ready(struct vu_relay *r, int fd)
{
	if (fd < 0)
		return false;
	if (fd == r->lfd)
		on_listen(r);
	else if (fd == r->front)
		on_front(r);
	else if (fd == r->back)
		on_back(r);
	else
		return false;
	return true;
}

int vu_relay_timeout(struct vu_relay *r)
{
	uint64_t now;

	if (r->front < 0 || r->back >= 0 || !r->retry_ms)
		return -1;
	now = mono_ms();
	if (now >= r->retry_ms)
		backend_connect(r);
	if (r->back >= 0 || !r->retry_ms)
		return -1;
	now = mono_ms();
	return r->retry_ms > now ? (int)(r->retry_ms - now) : 0;
}

int vu_relay_open(struct vu_relay *r, const char *name, const char *front_path,
		  const char *back_path, int ep)
{
	struct unix_listener l;
	int e;

	memset(r, 0, sizeof(*r));
	*r = (struct vu_relay){ .name = name, .front_path = front_path, .back_path = back_path,
				.ep = ep, .lfd = -1, .front = -1, .back = -1 };
	if ((e = unix_listen(front_path, 0600, (gid_t)-1, &l)) < 0)
		return e;
	r->lfd = l.fd;
	watch(r, r->lfd);
	return 0;
}

void vu_relay_close(struct vu_relay *r)
{
	drop(r, &r->front);
	drop(r, &r->back);
	drop(r, &r->lfd);
	unlink(r->front_path);
	journal_clear(r);
	pending_clear(r);
}
