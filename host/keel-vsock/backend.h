/* backend: the keel-vsock device: one epoll loop serving the vhost-user
 * socket, the guest's rings and the host unix sockets of the hybrid scheme. */
#ifndef KEEL_VSOCK_BACKEND_H
#define KEEL_VSOCK_BACKEND_H
#include <stdbool.h>
#include <stdint.h>

struct backend_opts {
	const char *vu_path;		/* vhost-user socket we listen on */
	const char *uds_path;		/* hybrid socket; guest->host uses uds_path_PORT */
	uint64_t guest_cid;
	bool keep_listening;		/* serve the next QEMU after a disconnect */
	unsigned connect_timeout_ms;	/* host CONNECT waiting for the guest */
};

/* Runs until QEMU disconnects (or SIGTERM/SIGINT): 0, or -errno on setup. */
int backend_run(const struct backend_opts *o);
#endif
