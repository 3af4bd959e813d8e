/* bind.h: the privileged act itself, and handing its result back. */
#ifndef KEEL_BINDD_BIND_H
#define KEEL_BINDD_BIND_H
#include "request.h"

/* Open and bind the socket req asks for: TCP with SO_REUSEADDR and listening,
 * UDP bound; IPv6 sockets are IPV6_V6ONLY so that "::" grants no IPv4 port
 * the address policy did not see. *fd_out is O_CLOEXEC. 0 or -errno. */
int bindd_open_socket(const struct bindd_req *req, int *fd_out);

/* Send one reply line on conn, with fd attached by SCM_RIGHTS when fd >= 0.
 * Non-blocking: the reply is far smaller than an empty socket buffer, so a
 * short or refused send means the peer is gone. 0 or -errno. */
int bindd_send_reply(int conn, const char *line, int fd);
#endif
