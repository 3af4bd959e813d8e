/* proto/relay.c: see relay.h. */
#include "relay.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

void relay_dir_init(struct relay_dir *d)
{
	*d = (struct relay_dir){ .p = { -1, -1 } };
}

int relay_dir_setup(struct relay_dir *d, bool copy)
{
	d->copy = copy;
	if (copy) {
		d->buf = malloc(RELAY_COPY_BUF);
		return d->buf ? 0 : -ENOMEM;
	}
	if (pipe2(d->p, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	/* Bigger batches per call; the default 64 KiB is fine if refused. */
	fcntl(d->p[1], F_SETPIPE_SZ, RELAY_PIPE_SIZE);
	return 0;
}

int relay_dir_setup_for(struct relay_dir *d, int src)
{
	int dom = 0;
	socklen_t l = sizeof(dom);

	if (getsockopt(src, SOL_SOCKET, SO_DOMAIN, &dom, &l) < 0)
		dom = 0;
	return relay_dir_setup(d, !(dom == AF_INET || dom == AF_INET6) ||
			       getenv("KEEL_RELAY_COPY") != NULL);
}

void relay_dir_free(struct relay_dir *d)
{
	for (int i = 0; i < 2; i++)
		if (d->p[i] >= 0)
			close(d->p[i]);
	d->p[0] = d->p[1] = -1;
	free(d->buf);
	d->buf = NULL;
}

static int soft(void) { return errno == EAGAIN || errno == EINTR ? 0 : -1; }

static int finish(struct relay_dir *d, int dst)
{
	if (!d->done && shutdown(dst, SHUT_WR) < 0 && errno != ENOTCONN)
		return -1;
	d->done = true;
	return 0;
}

/* 1 when src cannot splice (EINVAL before anything moved). */
static int pump_splice(struct relay_dir *d, int src, int dst, int rounds)
{
	for (int i = 0; i < rounds; i++) {
		ssize_t n;

		if (d->pending) {
			n = splice(d->p[0], NULL, dst, NULL, d->pending, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n < 0)
				return soft();
			d->pending -= (size_t)n;
			continue;
		}
		if (d->eof)
			return finish(d, dst);
		n = splice(src, NULL, d->p[1], NULL, RELAY_CHUNK, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n == 0)
			d->eof = true;
		else if (n > 0)
			d->pending += (size_t)n;
		else if (errno == EINVAL)
			return 1;
		else
			return soft();
	}
	return 0;
}

static int pump_copy(struct relay_dir *d, int src, int dst, int rounds)
{
	for (int i = 0; i < rounds; i++) {
		ssize_t n;

		if (d->pending) {
			n = send(dst, d->buf + d->off, d->pending, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0)
				return soft();
			d->off += (size_t)n;
			d->pending -= (size_t)n;
			continue;
		}
		if (d->eof)
			return finish(d, dst);
		n = recv(src, d->buf, RELAY_COPY_BUF, MSG_DONTWAIT);
		if (n == 0)
			d->eof = true;
		else if (n > 0) {
			d->off = 0;
			d->pending = (size_t)n;
		} else
			return soft();
	}
	return 0;
}

int relay_pump(struct relay_dir *d, int src, int dst, int rounds)
{
	int r;

	if (d->copy)
		return pump_copy(d, src, dst, rounds);
	r = pump_splice(d, src, dst, rounds);
	if (r != 1)
		return r;
	relay_dir_free(d);
	if (relay_dir_setup(d, true) < 0)
		return -1;
	return pump_copy(d, src, dst, rounds);
}
