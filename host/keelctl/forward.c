/* host/keelctl/forward.c: `forward` and `forward-unix` (forward.h). The
 * main thread accepts; each accepted connection gets its own forward stream
 * and a relay thread (relay_thread.c). */
#include "forward.h"
#include "exitcodes.h"
#include "json.h"
#include "relay_thread.h"
#include "rpc.h"
#include "sockaddr.h"
#include "unix_listen.h"
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* One accepted host connection and where its forward stream goes: a guest
 * TCP address and port, or (TRANSPORT_UNIX) a guest socket path. */
struct job {
	const struct target *t;
	int host_fd;
	Keel__Transport transport;
	char guest_addr[64];
	unsigned guest_port;
	const char *guest_path;
};

static void *job_run(void *arg)
{
	struct job *j = arg;
	char err[256];
	int fd;

	if (forward_open(j->t, j->transport, j->guest_addr, j->guest_port, j->guest_path,
			 &fd, err, sizeof(err)) < 0) {
		if (j->guest_path)
			fprintf(stderr, "keelctl: forward to guest %s: %s\n", j->guest_path, err);
		else
			fprintf(stderr, "keelctl: forward to guest port %u: %s\n", j->guest_port, err);
	} else {
		fwd_relay(j->host_fd, fd);
		close(fd);
	}
	close(j->host_fd);
	free(j);
	return NULL;
}

/* A detached relay thread for j (which it frees); j is freed here when no
 * thread can be started. */
static void spawn_job(struct job *j)
{
	if (fwd_spawn(job_run, j) < 0) {
		close(j->host_fd);
		free(j);
	}
}

static void spawn_tcp_job(const struct target *t, int host_fd, const char *addr, unsigned port)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j) {
		close(host_fd);
		return;
	}
	j->t = t;
	j->host_fd = host_fd;
	j->transport = KEEL__TRANSPORT__TRANSPORT_TCP;
	snprintf(j->guest_addr, sizeof(j->guest_addr), "%s", addr);
	j->guest_port = port;
	spawn_job(j);
}

int fwd_bind_ip(const char *addr, unsigned port, int type, int *out)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int fd, one = 1, e;

	if ((e = sockaddr_from_ip(addr, port, &ss, &len)) < 0)
		return e;
	fd = socket(ss.ss_family, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 512) < 0)) {
		e = -errno;
		close(fd);
		return e;
	}
	*out = fd;
	return 0;
}

void fwd_accept_tcp(const struct target *t, int lfd, const char *addr, unsigned port)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

	if (fd >= 0)
		spawn_tcp_job(t, fd, addr, port);
}

int cmd_forward_run(const struct fwd_opts *o, const char *bind_addr, unsigned host_port,
		    unsigned guest_port)
{
	int lfd, e = fwd_bind_ip(bind_addr, host_port, SOCK_STREAM, &lfd);

	if (e < 0) {
		fprintf(stderr, "keelctl: cannot listen on %s:%u: %s\n", bind_addr, host_port, strerror(-e));
		return EXIT_CONNECT;
	}
	if (o->json) {
		struct json j;
		json_init(&j, stdout);
		json_obj(&j);
		json_key(&j, "listening_address");
		json_str(&j, bind_addr);
		json_key(&j, "listening_port");
		json_uint(&j, host_port);
		json_key(&j, "guest_port");
		json_uint(&j, guest_port);
		json_obj_end(&j);
		json_end(&j);
	} else
		printf("forwarding %s:%u -> guest port %u\n", bind_addr, host_port, guest_port);
	fflush(stdout);
	for (;;)
		fwd_accept_tcp(o->t, lfd, "127.0.0.1", guest_port);
}

/* --- forward-unix ---------------------------------------------------------
 * The host socket is removed on SIGINT/SIGTERM/SIGHUP: those are blocked
 * before any relay thread exists and read from a signalfd next to the
 * listener, so the main thread alone sees them. */
static void accept_unix(const struct target *t, int lfd, const char *guest_path)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	struct job *j;

	if (fd < 0)
		return;
	j = calloc(1, sizeof(*j));
	if (!j) {
		close(fd);
		return;
	}
	*j = (struct job){ .t = t, .host_fd = fd, .transport = KEEL__TRANSPORT__TRANSPORT_UNIX,
			   .guest_path = guest_path };
	spawn_job(j);
}

static void announce_unix(const struct fwd_opts *o, const struct unix_fwd *u)
{
	struct json j;

	if (!o->json) {
		printf("forwarding unix %s -> guest unix %s\n", u->host_path, u->guest_path);
	} else {
		json_init(&j, stdout);
		json_obj(&j);
		json_key(&j, "listening_path");
		json_str(&j, u->host_path);
		json_key(&j, "guest_path");
		json_str(&j, u->guest_path);
		json_obj_end(&j);
		json_end(&j);
	}
	fflush(stdout);
}

int fwd_unix_serve(const struct fwd_opts *o, const struct unix_fwd *u, int stop_fd)
{
	struct unix_listener l;
	struct pollfd p[2];
	int e = unix_listen(u->host_path, u->mode, u->gid, &l);

	if (e < 0) {
		fprintf(stderr, "keelctl: cannot listen on %s: %s\n", u->host_path,
			e == -EEXIST ? "a file or a live socket is already there" : strerror(-e));
		return EXIT_CONNECT;
	}
	announce_unix(o, u);
	p[0] = (struct pollfd){ l.fd, POLLIN, 0 };
	p[1] = (struct pollfd){ stop_fd, POLLIN, 0 };
	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (p[0].revents & POLLIN)
			accept_unix(o->t, l.fd, u->guest_path);
	}
	unix_listen_close(&l);
	return EXIT_OK;
}

int cmd_forward_unix_run(const struct fwd_opts *o, const struct unix_fwd *u)
{
	int sfd = fwd_exit_signalfd(), rc;

	if (sfd < 0) {
		fprintf(stderr, "keelctl: signalfd: %s\n", strerror(-sfd));
		return EXIT_CONNECT;
	}
	rc = fwd_unix_serve(o, u, sfd);
	close(sfd);
	return rc;
}
