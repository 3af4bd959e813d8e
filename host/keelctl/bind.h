/* host/keelctl/bind.h: `keelctl bind`, the host end of a guest listener.
 * The agent listens in the VM; each guest connection (TCP) or guest peer
 * (UDP) arrives here as its own stream (vsock port, or the unix socket
 * PATH_<port> with --uds/--hybrid), opened by one BindConnect frame; keelctl
 * dials the host target and relays. */
#ifndef KEELCTL_BIND_H
#define KEELCTL_BIND_H
#include "conn.h"
#include "keel.pb-c.h"
#include <stdbool.h>
#include <stddef.h>

/* The first host port tried when none is given (the dynamic range). */
#define BIND_HOST_PORT_FIRST 49152u

struct bind_spec {
	Keel__Transport transport;   /* TCP or UDP */
	char guest_addr[64];         /* "": the agent's default (host address) */
	unsigned guest_port;
	char target_host[256];       /* the host target, resolved at start */
	unsigned target_port;
	unsigned host_port;          /* stream listener port; 0: pick one */
	bool wait;                   /* agent unreachable at start: retry, not exit */
};

/* "[ADDR:]PORT" (ADDR may be [v6]) into addr and port (1..65535). Without
 * ADDR, addr is left as it is. false when malformed. */
bool bind_parse_addr_port(const char *s, char *addr, size_t alen, unsigned *port);
/* Bind and serve until SIGINT, SIGTERM or SIGHUP. Returns an exit code. */
int cmd_bind_run(const struct target *t, bool json, const struct bind_spec *s);
/* The same until stop_fd is readable; reentrant (one call per thread).
 * Returns an exit code. */
int bind_serve(const struct target *t, bool json, const struct bind_spec *s, int stop_fd);
#endif
