/* agent/loop.c: the epoll loop. Timers are coarse: one sweep of all
 * connections every agent_sweep_ms() enforces deadlines, the other timers
 * (loop_work) run on their own periods, and epoll_wait sleeps until the
 * nearest. */
#include "agent.h"
#include "clock.h"
#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

int ev_add(struct agent *a, struct ev *e, uint32_t mask)
{
	struct epoll_event ee = { .events = mask, .data.ptr = e };

	if (epoll_ctl(a->loop.epfd, EPOLL_CTL_ADD, e->fd, &ee) < 0)
		return -errno;
	e->mask = mask;
	return 0;
}

int ev_set(struct agent *a, struct ev *e, uint32_t mask)
{
	struct epoll_event ee = { .events = mask, .data.ptr = e };

	if (e->mask == mask || e->fd < 0)
		return 0;
	if (epoll_ctl(a->loop.epfd, EPOLL_CTL_MOD, e->fd, &ee) < 0)
		return -errno;
	e->mask = mask;
	return 0;
}

void ev_del(struct agent *a, struct ev *e)
{
	if (e->fd < 0)
		return;
	epoll_ctl(a->loop.epfd, EPOLL_CTL_DEL, e->fd, NULL);
	close(e->fd);
	e->fd = -1;
}

void conn_retire(struct agent *a, struct conn_hdr *h)
{
	list_del(&h->link);
	list_add(&a->loop.zombies, &h->link);
}

int loop_init(struct loop *l, const struct loop_work *work)
{
	list_init(&l->zombies);
	l->work = work;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	return l->epfd < 0 ? -errno : 0;
}

/* Deadlines are checked at a quarter of the shortest one, at most 250 ms
 * apart: a deadline fires between 1x and 1.25x its nominal value. */
unsigned agent_sweep_ms(const struct agent *a)
{
	unsigned t = a->cfg.read_timeout_ms / 4;

	if (a->cfg.idle_timeout_ms / 4 < t)
		t = a->cfg.idle_timeout_ms / 4;
	if (a->cfg.guest_idle_ms / 4 < t)
		t = a->cfg.guest_idle_ms / 4;
	if (t > 250)
		t = 250;
	return t < 10 ? 10 : t;
}

static int timeout_ms(const struct agent *a, uint64_t now)
{
	const struct loop_work *w = a->loop.work;
	uint64_t next = a->loop.next_sweep_ms, when;

	for (size_t i = 0; i < w->ntimers; i++)
		if (w->timers[i].next(a, &when) && when < next)
			next = when;
	return next <= now ? 0 : (int)(next - now);
}

static void free_zombies(struct agent *a)
{
	struct link *it, *nx;

	list_each(&a->loop.zombies, it, nx) {
		struct conn_hdr *h = list_entry(it, struct conn_hdr, link);
		list_del(it);
		h->ops->free(h);
	}
}

static void timers(struct agent *a)
{
	const struct loop_work *w = a->loop.work;
	uint64_t now = mono_ms();

	for (size_t i = 0; i < w->ntimers; i++)
		w->timers[i].run(a, now);
	if (now >= a->loop.next_sweep_ms) {
		for (size_t i = 0; i < w->nsweeps; i++)
			w->sweeps[i](a, now);
		a->loop.next_sweep_ms = now + agent_sweep_ms(a);
	}
}

int agent_run(struct agent *a)
{
	struct epoll_event evs[64];

	a->loop.next_sweep_ms = mono_ms() + agent_sweep_ms(a);
	while (!a->loop.stop) {
		int n = epoll_wait(a->loop.epfd, evs, 64, timeout_ms(a, mono_ms()));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (int i = 0; i < n; i++) {
			struct ev *e = evs[i].data.ptr;
			if (e->fd >= 0)
				e->fn(a, e, evs[i].events);
		}
		timers(a);
		free_zombies(a);
	}
	return 0;
}
