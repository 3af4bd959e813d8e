/* agent/probe.c: is dockerd answering, is containerd accepting? Health must
 * not stall the loop on a hung dockerd, so the ping is a small state machine
 * in the epoll set: non-blocking connect to the unix socket, write
 * "GET /_ping", read the status line, all bounded by PROBE_TIMEOUT_MS. A
 * result is reused for PROBE_FRESH_MS, so a burst of Health calls costs one
 * ping. A Health request that needs a fresh ping is answered when it ends. */
#include "agent.h"
#include "clock.h"
#include "sockaddr.h"
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static const char ping[] = "GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n";

static int unix_connect_nb(const char *path, int *out)
{
	struct sockaddr_un sa;
	int fd, e;

	if ((e = sockaddr_from_path(path, &sa)) < 0)
		return e;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS &&
	    errno != EAGAIN) {
		e = -errno;
		close(fd);
		return e;
	}
	*out = fd;
	return 0;
}

bool probe_containerd(const char *path)
{
	int fd;

	if (unix_connect_nb(path, &fd) < 0)
		return false;
	close(fd);
	return true;
}

bool probe_fresh(const struct agent *a, uint64_t now)
{
	return !a->probe.running && a->probe.done_ms && now - a->probe.done_ms < PROBE_FRESH_MS;
}

static void finish(struct agent *a, bool ok, bool answer)
{
	struct docker_probe *p = &a->probe;

	ev_del(a, &p->ev);
	p->running = false;
	p->ok = ok;
	p->done_ms = mono_ms();
	if (answer)
		ctl_answer_health_waiters(a);
}

/* The reply starts "HTTP/1.x 200"; dockerd's body is "OK". */
static bool reply_ok(const struct docker_probe *p)
{
	return p->got >= 12 && memcmp(p->buf, "HTTP/1.", 7) == 0 && memcmp(p->buf + 8, " 200", 4) == 0;
}

static void on_probe(struct agent *a, struct ev *e, uint32_t events)
{
	struct docker_probe *p = &a->probe;
	ssize_t n;

	if (events & EPOLLOUT) {
		/* connect() done: the request fits any socket buffer at once. */
		n = send(e->fd, ping, sizeof(ping) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n != (ssize_t)sizeof(ping) - 1 || ev_set(a, e, EPOLLIN) < 0) {
			finish(a, false, true);
			return;
		}
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		n = recv(e->fd, p->buf + p->got, sizeof(p->buf) - p->got, MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN)
			return;
		if (n > 0)
			p->got += (size_t)n;
		if (n <= 0 || p->got >= 12 || p->got == sizeof(p->buf))
			finish(a, reply_ok(p), true);
	}
}

bool probe_start(struct agent *a)
{
	struct docker_probe *p = &a->probe;
	int fd;

	if (p->running)
		return false;
	p->got = 0;
	if (unix_connect_nb(a->cfg.docker_sock, &fd) < 0) {
		p->ok = false;
		p->done_ms = mono_ms();
		return true;
	}
	p->ev.fd = fd;
	p->ev.fn = on_probe;
	if (ev_add(a, &p->ev, EPOLLOUT) < 0) {
		close(fd);
		p->ev.fd = -1;
		p->ok = false;
		p->done_ms = mono_ms();
		return true;
	}
	p->running = true;
	p->deadline_ms = mono_ms() + PROBE_TIMEOUT_MS;
	return false;
}

void probe_sweep(struct agent *a, uint64_t now)
{
	if (a->probe.running && now >= a->probe.deadline_ms)
		finish(a, false, true);
}

bool probe_before_health(void *ctx, uint64_t id)
{
	struct agent *a = ctx;
	uint64_t now = mono_ms();

	a->dctx.health.containerd_ready = probe_containerd(a->cfg.containerd_sock);
	if (!probe_fresh(a, now) && (a->probe.running || !probe_start(a)) &&
	    ctl_defer_current(a, id))
		return true;
	/* Fresh, finished at once, or no room to wait: the latest result. */
	a->dctx.health.docker_ready = a->probe.ok;
	return false;
}
