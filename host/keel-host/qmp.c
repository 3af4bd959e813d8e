/* host/keel-host/qmp.c: QMP over a unix socket (qmp.h). */
#include "qmp.h"
#include "sockaddr.h"
#include "fd.h"
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

/* A whole line in buf: parse it and shift it out. */
static int take_line(struct qmp *q, json_t **msg)
{
	char *nl = memchr(q->buf, '\n', q->n);
	json_error_t err;
	size_t len;

	if (!nl)
		return q->n == sizeof(q->buf) ? -EMSGSIZE : -EAGAIN;
	len = (size_t)(nl - q->buf) + 1;
	*msg = json_loadb(q->buf, len - 1, 0, &err);
	memmove(q->buf, q->buf + len, q->n - len);
	q->n -= len;
	return *msg && json_is_object(*msg) ? 0 : -EPROTO;
}

int qmp_next(struct qmp *q, json_t **msg)
{
	ssize_t r;
	int e = take_line(q, msg);

	if (e != -EAGAIN)
		return e;
	r = read(q->fd, q->buf + q->n, sizeof(q->buf) - q->n);
	if (r < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (r == 0)
		return -EPIPE;
	q->n += (size_t)r;
	return take_line(q, msg);
}

/* The next message, waiting for it (the socket's receive timeout bounds
 * each read). */
static int next_blocking(struct qmp *q, json_t **msg)
{
	int e;

	while ((e = qmp_next(q, msg)) == -EAGAIN) {
		struct pollfd p = { q->fd, POLLIN, 0 };
		if (poll(&p, 1, 5000) <= 0)
			return -ETIMEDOUT;
	}
	return e;
}

int qmp_command(struct qmp *q, const char *cmd)
{
	char line[128];
	json_t *m;
	int n = snprintf(line, sizeof(line), "{\"execute\":\"%s\"}\n", cmd), e;

	if (n < 0 || (size_t)n >= sizeof(line))
		return -EINVAL;
	if ((e = fd_write_all(q->fd, line, (size_t)n)) < 0)
		return e;
	for (;;) {
		if ((e = next_blocking(q, &m)) < 0)
			return e;
		e = json_object_get(m, "return") ? 0 : json_object_get(m, "error") ? -EIO : -EAGAIN;
		json_decref(m);
		if (e != -EAGAIN)
			return e;
	}
}

int qmp_open(struct qmp *q, const char *path, unsigned timeout_ms)
{
	struct sockaddr_un sa;
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	json_t *greeting;
	int e;

	q->n = 0;
	if ((e = sockaddr_from_path(path, &sa)) < 0)
		return e;
	q->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (q->fd < 0)
		return -errno;
	setsockopt(q->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(q->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(q->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		e = -errno;
		goto fail;
	}
	if ((e = next_blocking(q, &greeting)) < 0)
		goto fail;
	e = json_object_get(greeting, "QMP") ? 0 : -EPROTO;
	json_decref(greeting);
	/* then non-blocking: qmp_next reads once, and a reader that drains
	 * the events must not wait out SO_RCVTIMEO after the last one */
	if (e == 0 && (e = qmp_command(q, "qmp_capabilities")) == 0 &&
	    (e = fd_set_nonblock(q->fd, true)) == 0)
		return 0;
fail:
	qmp_close(q);
	return e;
}

void qmp_close(struct qmp *q)
{
	fd_close(&q->fd);
	q->n = 0;
}
