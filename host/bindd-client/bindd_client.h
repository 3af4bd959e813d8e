/* bindd_client.h: ask keel-bindd for a bound TCP/UDP socket on a port below
 * 1024. Self-contained (libc only): add bindd_client.c to a program's link.
 * Library code: it does not log; the message for a failure goes to err. */
#ifndef KEEL_BINDD_CLIENT_H
#define KEEL_BINDD_CLIENT_H
#include "bindd_proto.h"
#include <stddef.h>
#include <stdint.h>

/* Ask the daemon at sock_path (NULL: BINDD_SOCKET_DEFAULT) for a socket of
 * transport (BINDD_TCP = 1 or BINDD_UDP = 2) bound to addr ("127.0.0.1",
 * "::1", "0.0.0.0", "::", ...) and port. TCP sockets come back listening
 * (SO_REUSEADDR, backlog SOMAXCONN), UDP ones bound; IPv6 ones IPV6_V6ONLY.
 * Both are blocking and O_CLOEXEC in this process.
 *
 * Returns 0 and the socket in *fd_out, or -errno with a one-line reason in
 * err (when errlen > 0):
 *   -ENOENT, -ECONNREFUSED  no daemon at sock_path (not installed/running)
 *   -EACCES                 this user may not ask (socket file or group)
 *   -EPERM                  port outside 1-1023, or address not allowed
 *   -EINVAL                 bad arguments
 *   -EADDRINUSE, ...        the bind itself failed in the daemon
 *   -ETIMEDOUT, -EPROTO     the daemon did not answer, or answered nonsense
 * Blocks at most about 5 s. */
int bindd_bind(const char *sock_path, int transport, const char *addr,
	       uint16_t port, int *fd_out, char *err, size_t errlen);
#endif
