/* agent/listener.c: accepting on the agent's listeners (control and forward
 * ports, bind listeners, DNS over TCP) without spinning when fds run out.
 *
 * All of them are level-triggered. When accept4 fails for want of fds or
 * memory (common/accept.h), the connection stays in the backlog and the
 * listener stays readable: retried every turn, that was a busy loop with a
 * log line per turn. Instead the listener leaves the epoll set for
 * ACCEPT_PAUSE_MS (keel-bindd does the same); the backlog keeps its peers
 * waiting meanwhile. One log line per LISTENER_LOG_MS says so for all
 * listeners together, with the number of pauses since the last line. */
#include "listener.h"
#include "agent.h"
#include "accept.h"
#include "clock.h"
#include "log.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

int listener_add(struct agent *a, struct listener *l, int fd,
		 void (*fn)(struct agent *, struct ev *, uint32_t), const char *name)
{
	l->ev.fd = fd;
	l->ev.fn = fn;
	list_init(&l->paused);
	snprintf(l->name, sizeof(l->name), "%s", name);
	return ev_add(a, &l->ev, EPOLLIN);
}

static void pause_listener(struct agent *a, struct listener *l, int err, uint64_t now)
{
	struct listener_pauses *p = &a->paused;

	if (ev_set(a, &l->ev, 0) < 0)
		return;   /* cannot stop watching it: nothing to resume either */
	l->resume_ms = now + ACCEPT_PAUSE_MS;
	list_add_tail(&p->list, &l->paused);
	if (p->logged_ms && now - p->logged_ms < LISTENER_LOG_MS) {
		p->unlogged++;
		return;
	}
	log_warn("accept (%s): %s; pausing it %d ms (%u other pauses in the last %d s)", l->name,
		 strerror(err), ACCEPT_PAUSE_MS, p->unlogged, LISTENER_LOG_MS / 1000);
	p->logged_ms = now;
	p->unlogged = 0;
}

int listener_accept(struct agent *a, struct listener *l, struct sockaddr_storage *peer,
		    socklen_t *plen)
{
	int fd;

	if (plen)
		*plen = sizeof(*peer);
	fd = accept_nb(l->ev.fd, (struct sockaddr *)peer, plen);
	if (fd >= 0)
		return fd;
	if (fd != -EAGAIN)
		pause_listener(a, l, -fd, mono_ms());
	return -1;
}

void listener_close(struct agent *a, struct listener *l)
{
	list_del(&l->paused);
	ev_del(a, &l->ev);
}

void listener_resume(struct agent *a, uint64_t now)
{
	struct link *it, *nx;

	list_each(&a->paused.list, it, nx) {
		struct listener *l = list_entry(it, struct listener, paused);

		if (now < l->resume_ms)
			break;   /* oldest first: the rest end later */
		list_del(&l->paused);
		ev_set(a, &l->ev, EPOLLIN);
	}
}

bool listener_next_resume(const struct agent *a, uint64_t *when)
{
	if (list_empty(&a->paused.list))
		return false;
	*when = list_entry(a->paused.list.next, struct listener, paused)->resume_ms;
	return true;
}
