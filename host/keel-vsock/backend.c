/* backend: keel-vsock's epoll loop and its vhost-user side; the vsock
 * device itself is stream.c (device.h explains the split and the thread). */
#include "device.h"
#include "sockaddr.h"
#include "clock.h"
#include "fd.h"
#include "log.h"
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* ---- vhost-user side ---- */

static void ring_state(void *ctx, unsigned idx, bool running)
{
	struct backend *b = ctx;
	int fd = b->vu.kick_fd[idx];
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = &b->k_kick[idx] };

	if (fd >= 0) {
		if (running)
			epoll_ctl(b->ep, EPOLL_CTL_ADD, fd, &e);
		else
			epoll_ctl(b->ep, EPOLL_CTL_DEL, fd, NULL);
	}
	log_debug("ring %u %s", idx, running ? "running" : "stopped");
	if (running && idx == TX)
		b->tx_more = true;
	/* a stopped ring means the driver is reset: its connections are gone */
	if (!running)
		drop_all(b, "device reset");
}

static const struct vu_ops vu_ops = { .ring_state = ring_state };

static int add_watch(struct backend *b, int fd, int *tag)
{
	struct epoll_event e = { .events = EPOLLIN, .data.ptr = tag };
	return epoll_ctl(b->ep, EPOLL_CTL_ADD, fd, &e) < 0 ? -errno : 0;
}

static void vu_disconnect(struct backend *b)
{
	epoll_ctl(b->ep, EPOLL_CTL_DEL, b->vu.sock, NULL);
	fd_close(&b->vu.sock);
	vu_reset(&b->vu);
	drop_all(b, "VM gone");
	if (!b->o->keep_listening)
		b->quit = true;
}

static void on_vu_accept(struct backend *b)
{
	int fd = accept4(b->vu_listen, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (b->vu.sock >= 0) {
		log_warn("a second vhost-user client refused");
		close(fd);
		return;
	}
	b->vu.sock = fd;
	if (add_watch(b, fd, &b->k_vu_sock) < 0)
		vu_disconnect(b);
	else
		log_info("QEMU connected");
}

static void on_vu_msg(struct backend *b)
{
	int r = vu_serve_one(&b->vu);

	if (r == 1)
		log_warn("vhost-user: %s", b->vu.error);
	if (r < 0) {
		if (r != -EPIPE && r != -ECONNRESET)
			log_err("vhost-user: %s; dropping QEMU",
				b->vu.error ? b->vu.error : strerror(-r));
		else
			log_info("QEMU disconnected");
		vu_disconnect(b);
	}
}

static void on_kick(struct backend *b, unsigned idx)
{
	uint64_t v;

	if (b->vu.kick_fd[idx] >= 0 && read(b->vu.kick_fd[idx], &v, sizeof(v)) < 0)
		return;
	if (idx == TX)
		process_tx(b);
	/* RX kick: new buffers; the end of the loop turn uses them */
}

/* ---- setup and loop ---- */

static int listen_unix(const char *path, int backlog)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd;

	if ((fd = sockaddr_from_path(path, &sa)) < 0)
		return fd;
	/* a stale socket from an earlier run is replaced; anything else is not ours */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, backlog) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

static int setup(struct backend *b, const struct backend_opts *o)
{
	sigset_t mask;
	int r;

	memset(b, 0, sizeof(*b));
	b->o = o;
	b->vu_listen = b->hyb = b->sig = -1;
	b->k_vu_listen = EV_VU_LISTEN;
	b->k_vu_sock = EV_VU_SOCK;
	b->k_kick[RX] = EV_KICK_RX;
	b->k_kick[TX] = EV_KICK_TX;
	b->k_hyb = EV_HYB;
	b->k_sig = EV_SIG;
	b->next_port = 0;	/* alloc_port starts at its own base */
	list_init(&b->all);
	list_init(&b->pend);
	list_init(&b->blocked);
	list_init(&b->grave);
	vu_init(&b->vu, o->guest_cid, &vu_ops, b);
	b->ep = epoll_create1(EPOLL_CLOEXEC);
	if (b->ep < 0)
		return -errno;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	b->sig = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (b->sig < 0)
		return -errno;
	if ((b->vu_listen = listen_unix(o->vu_path, 1)) < 0) {
		log_err("%s: %s", o->vu_path, strerror(-b->vu_listen));
		return b->vu_listen;
	}
	if ((b->hyb = listen_unix(o->uds_path, 128)) < 0) {
		log_err("%s: %s", o->uds_path, strerror(-b->hyb));
		return b->hyb;
	}
	fd_set_nonblock(b->hyb, true);
	if ((r = add_watch(b, b->sig, &b->k_sig)) < 0 ||
	    (r = add_watch(b, b->vu_listen, &b->k_vu_listen)) < 0 ||
	    (r = add_watch(b, b->hyb, &b->k_hyb)) < 0)
		return r;
	return 0;
}

static void dispatch_event(struct backend *b, const struct epoll_event *e)
{
	int kind = *(int *)e->data.ptr;

	switch (kind) {
	case EV_VU_LISTEN: on_vu_accept(b); break;
	case EV_VU_SOCK: on_vu_msg(b); break;
	case EV_KICK_RX: on_kick(b, RX); break;
	case EV_KICK_TX: on_kick(b, TX); break;
	case EV_HYB: on_hyb_accept(b); break;
	case EV_SIG: b->quit = true; break;
	case EV_CONN: on_conn_event(b, e->data.ptr, e->events); break;
	}
}

int backend_run(const struct backend_opts *o)
{
	struct backend *b = calloc(1, sizeof(*b));
	struct epoll_event ev[64];
	uint64_t next_check = 0;
	int r;

	if (!b)
		return -ENOMEM;
	r = setup(b, o);
	if (r < 0)
		goto out;
	log_info("listening: vhost-user %s, hybrid %s, guest cid %llu", o->vu_path,
		 o->uds_path, (unsigned long long)o->guest_cid);
	while (!b->quit) {
		int timeout = b->tx_more ? 0 : list_empty(&b->all) ? -1 : 500;
		int n = epoll_wait(b->ep, ev, 64, timeout);
		if (n < 0 && errno != EINTR) {
			r = -errno;
			break;
		}
		for (int i = 0; i < n; i++)
			dispatch_event(b, &ev[i]);
		if (b->tx_more)
			process_tx(b);
		if (mono_ms() >= next_check) {
			check_deadlines(b);
			next_check = mono_ms() + 250;
		}
		end_turn(b);
	}
	drop_all(b, "shutting down");
	end_turn(b);	/* frees what drop_all closed */
out:
	if (b->vu.sock >= 0)
		fd_close(&b->vu.sock);
	vu_reset(&b->vu);
	if (b->vu_listen >= 0) {
		close(b->vu_listen);
		unlink(o->vu_path);
	}
	if (b->hyb >= 0) {
		close(b->hyb);
		unlink(o->uds_path);
	}
	if (b->sig >= 0)
		close(b->sig);
	if (b->ep >= 0)
		close(b->ep);
	free(b);
	return r;
}
