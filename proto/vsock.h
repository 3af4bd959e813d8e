/* proto/vsock.h: a listening AF_VSOCK socket, the transport of the keel
 * wire (the agent's control and forward ports, keelctl's bind streams).
 * Here rather than in common/, which keel-init builds with musl: musl has
 * no <linux/vm_sockets.h>. */
#ifndef KEEL_VSOCK_LISTEN_H
#define KEEL_VSOCK_LISTEN_H

/* Listen on PORT for any CID; flags are added to SOCK_STREAM|SOCK_CLOEXEC
 * (SOCK_NONBLOCK for an event loop). 0 and the fd in *out, or -errno. */
int vsock_listen(unsigned port, int flags, int backlog, int *out);
#endif
