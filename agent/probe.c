/* agent/probe.c: is dockerd answering, is containerd accepting? Health must
 * not stall the loop on a hung dockerd, so the ping is a small state machine
 * in the epoll set: non-blocking connect to the unix socket, write
 * "GET /_ping", read the status line, all bounded by PROBE_TIMEOUT_MS. A
 * result is reused for PROBE_FRESH_MS, so a burst of Health calls costs one
 * ping. A Health request that needs a fresh ping is answered when it ends. */
#include "probe.h"
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

static bool fresh(const struct agent *a, uint64_t now)
{
	return !a->probe.running && a->probe.done_ms && now - a->probe.done_ms < PROBE_FRESH_MS;
}

static void finish(struct agent *a, bool ok)
{
	struct docker_probe *p = &a->probe;

	ev_del(a, &p->ev);
	p->running = false;
	p->ok = ok;
	p->done_ms = mono_ms();
	p->done(a);
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
			finish(a, false);
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
			finish(a, reply_ok(p));
	}
}

/* Start a ping unless one runs; true when it finished at once. */
static bool start(struct agent *a)
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
		finish(a, false);
}

bool probe_next_deadline(const struct agent *a, uint64_t *when)
{
	*when = a->probe.deadline_ms;
	return a->probe.running;
}

bool probe_ping_pending(struct agent *a)
{
	return !fresh(a, mono_ms()) && (a->probe.running || !start(a));
}
