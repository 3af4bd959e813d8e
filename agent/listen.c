/* agent/listen.c: the control and forward listeners (AF_VSOCK and AF_UNIX)
 * and the accept path with the control cap and peer check (forward.c keeps
 * the host budget of forward streams). */
#include "listen.h"
#include "agent.h"
#include "auth.h"
#include "control.h"
#include "forward.h"
#include "listener.h"
#include "sockaddr.h"
#include "vsock.h"
#include <errno.h>
#include <linux/vm_sockets.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define BACKLOG 1024

int listen_unix(const char *path, int *out)
{
	struct sockaddr_un sa;
	int fd, e;

	if ((e = sockaddr_from_path(path, &sa)) < 0)
		return e;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(path); /* a stale socket from a previous run */
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || chmod(path, 0600) < 0 ||
	    listen(fd, BACKLOG) < 0) {
		e = -errno;
		close(fd);
		return e;
	}
	*out = fd;
	return 0;
}

/* On vsock only the host may talk to us: a process in the guest (or in a
 * container) reaching the agent through loopback must be refused. */
static bool peer_allowed(const struct agent *a, int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return false;
	if (ss.ss_family != AF_VSOCK || a->cfg.allow_any_cid)
		return true;
	len = sizeof(ss);
	if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
		return false;
	return ((struct sockaddr_vm *)&ss)->svm_cid == VMADDR_CID_HOST;
}

static void on_accept(struct agent *a, struct ev *e, uint32_t events)
{
	struct listener *l = (struct listener *)e;   /* ev is its first member */
	bool fwd = l == &a->lis[1] || l == &a->lis[3];
	bool auth = auth_needed(a, l == &a->lis[0] || l == &a->lis[1]);
	int i;

	(void)events;
	/* Bounded per wakeup so one listener cannot starve the others. */
	for (i = 0; i < 64; i++) {
		int fd = listener_accept(a, l, NULL, NULL);
		if (fd < 0)
			return;
		if (!peer_allowed(a, fd) || (!fwd && a->n_ctl >= a->cfg.max_control)) {
			close(fd); /* past the cap or not the host: refused at once */
			continue;
		}
		if (fwd)
			fwd_accept(a, fd, auth);   /* closes it past the host budget */
		else
			ctl_accept(a, fd, auth);
	}
}

static int add_listener(struct agent *a, unsigned slot, int fd)
{
	static const char *const names[] = { "vsock control port", "vsock forward port",
					     "unix control socket", "unix forward socket" };
	int e = listener_add(a, &a->lis[slot], fd, on_accept, names[slot]);

	if (e < 0) {
		close(fd);
		a->lis[slot].ev.fd = -1;
		return e;
	}
	a->nlis++;
	return 0;
}

/* Slots: 0 vsock control, 1 vsock forward, 2 unix control, 3 unix forward. */
int agent_listen(struct agent *a)
{
	int fd, e;

	for (unsigned i = 0; i < 4; i++)
		a->lis[i].ev.fd = -1;
	if (a->cfg.vsock) {
		if ((e = vsock_listen(a->cfg.control_port, SOCK_NONBLOCK, BACKLOG, &fd)) < 0 || (e = add_listener(a, 0, fd)) < 0)
			return e;
		if ((e = vsock_listen(a->cfg.forward_port, SOCK_NONBLOCK, BACKLOG, &fd)) < 0 || (e = add_listener(a, 1, fd)) < 0)
			return e;
	}
	if (a->cfg.control_uds) {
		if ((e = listen_unix(a->cfg.control_uds, &fd)) < 0 || (e = add_listener(a, 2, fd)) < 0)
			return e;
	}
	if (a->cfg.forward_uds) {
		if ((e = listen_unix(a->cfg.forward_uds, &fd)) < 0 || (e = add_listener(a, 3, fd)) < 0)
			return e;
	}
	return a->nlis ? 0 : -EINVAL;
}
