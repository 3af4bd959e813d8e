/* agent/loop.c: the epoll loop. Timers are coarse: one sweep of all
 * connections every agent_sweep_ms() enforces deadlines, the port watch
 * polls on its own period, and epoll_wait sleeps until the nearest. */
#include "agent.h"
#include "clock.h"
#include "dns.h"
#include "log.h"
#include <errno.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

int ev_add(struct agent *a, struct ev *e, uint32_t mask)
{
	struct epoll_event ee = { .events = mask, .data.ptr = e };

	if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, e->fd, &ee) < 0)
		return -errno;
	e->mask = mask;
	return 0;
}

int ev_set(struct agent *a, struct ev *e, uint32_t mask)
{
	struct epoll_event ee = { .events = mask, .data.ptr = e };

	if (e->mask == mask || e->fd < 0)
		return 0;
	if (epoll_ctl(a->epfd, EPOLL_CTL_MOD, e->fd, &ee) < 0)
		return -errno;
	e->mask = mask;
	return 0;
}

/* Stop watching e and close its fd; handlers see fd -1 and skip. */
void ev_del(struct agent *a, struct ev *e)
{
	if (e->fd < 0)
		return;
	epoll_ctl(a->epfd, EPOLL_CTL_DEL, e->fd, NULL);
	close(e->fd);
	e->fd = -1;
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
	uint64_t next = a->next_sweep_ms, resume;

	if (a->watch.watchers && a->watch.next_poll_ms < next)
		next = a->watch.next_poll_ms;
	if (a->probe.running && a->probe.deadline_ms < next)
		next = a->probe.deadline_ms;
	if (listener_next_resume(a, &resume) && resume < next)
		next = resume;
	return next <= now ? 0 : (int)(next - now);
}

static void free_zombies(struct agent *a)
{
	struct link *it, *nx;

	list_each(&a->zombies, it, nx) {
		struct conn_hdr *h = list_entry(it, struct conn_hdr, link);
		list_del(it);
		switch (h->kind) {
		case CONN_CTL: ctl_free((struct ctl_conn *)h); break;
		case CONN_FWD: fwd_free((struct fwd_conn *)h); break;
		case CONN_BIND: bind_free((struct bind *)h); break;
		}
	}
}

static void timers(struct agent *a)
{
	uint64_t now = mono_ms();

	if (a->watch.watchers && now >= a->watch.next_poll_ms)
		watch_poll(a, now);
	if (!a->watch.watchers && (a->watch.have_prev || a->watch.scanner))
		watch_release(a);
	if (a->probe.running)
		probe_sweep(a, now);
	listener_resume(a, now);
	if (now >= a->next_sweep_ms) {
		ctl_sweep(a, now);
		fwd_sweep(a, now);
		dns_sweep(a, now);
		a->next_sweep_ms = now + agent_sweep_ms(a);
	}
}

int agent_run(struct agent *a)
{
	struct epoll_event evs[64];

	a->next_sweep_ms = mono_ms() + agent_sweep_ms(a);
	while (!a->stop) {
		int n = epoll_wait(a->epfd, evs, 64, timeout_ms(a, mono_ms()));
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
