/* host/keelctl/conn.h: reaching the agent. Three transports: AF_VSOCK
 * (CID and port), a unix socket per agent port (--uds), or the hybrid vsock
 * socket of keel-vsock / Firecracker (--hybrid: "CONNECT <port>\n" then
 * "OK <n>\n", then the stream is the agent's). */
#ifndef KEELCTL_CONN_H
#define KEELCTL_CONN_H
#include <stdint.h>

enum conn_kind { CONN_UDS, CONN_VSOCK, CONN_HYBRID };

struct target {
	enum conn_kind kind;
	const char *path;            /* UDS: control socket; HYBRID: the socket */
	char forward_path[4096];     /* UDS: the forward socket */
	uint32_t cid;
	uint32_t control_port, forward_port;
	unsigned timeout_ms;         /* connect and each reply */
};

/* A blocking stream to the agent's control or forward port; -errno. */
int conn_open(const struct target *t, int forward, int *fd);
#endif
