/* host/keelctl/conn.h: reaching the agent. Three transports: AF_VSOCK
 * (CID and port), a unix socket per agent port (--uds), or the hybrid vsock
 * socket of keel-vsock / Firecracker (--hybrid: "CONNECT <port>\n" then
 * "OK <n>\n", then the stream is the agent's). Every stream opens with an
 * Auth frame carrying the VM's secret (docs/protocol.md). */
#ifndef KEELCTL_CONN_H
#define KEELCTL_CONN_H
#include "secret.h"
#include <stdint.h>

enum conn_kind { CONN_UDS, CONN_VSOCK, CONN_HYBRID };

struct target {
	enum conn_kind kind;
	const char *path;            /* UDS: control socket; HYBRID: the socket */
	char forward_path[4096];     /* UDS: the forward socket */
	uint32_t cid;
	uint32_t control_port, forward_port;
	unsigned timeout_ms;         /* connect and each reply */
	struct secret secret;        /* len 0: none, no Auth frame sent */
};

/* A blocking stream to the agent's control or forward port, its Auth frame
 * sent (no reply to wait for); -errno. */
int conn_open(const struct target *t, int forward, int *fd);
/* A stream connection to the unix socket at path: 0 with *fd, or -errno. */
int conn_unix(const char *path, int *fd);
#endif
