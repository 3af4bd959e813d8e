/* host/keelctl/rpc.h: requests over the control stream, and forward streams. */
#ifndef KEELCTL_RPC_H
#define KEELCTL_RPC_H
#include "conn.h"
#include "keel.pb-c.h"
#include <stddef.h>

struct rpc {
	int fd;
	uint64_t next_id;
	uint32_t max_frame;
	/* Events that arrive while waiting for a response go here (or are
	 * dropped when NULL). */
	void (*on_event)(void *ctx, const Keel__Event *ev);
	void *ctx;
};

int rpc_open(struct rpc *r, const struct target *t);
void rpc_close(struct rpc *r);
/* Send req (its id is assigned) and wait for its Response (free it with
 * keel__response__free_unpacked). -EPROTO on an undecodable reply. */
int rpc_call(struct rpc *r, Keel__Request *req, Keel__Response **resp);
/* Next message from the agent (blocking). */
int rpc_read(struct rpc *r, Keel__AgentMessage **m);
/* Drop the reply timeout, for streams that wait for events. */
void rpc_wait_forever(struct rpc *r);

/* Open a forward stream to transport/address/port (or unix path) in the
 * guest. On an agent refusal, -code and err holds its text. */
int forward_open(const struct target *t, Keel__Transport tr, const char *addr,
		 uint32_t port, const char *path, int *fd, char *err, size_t errlen);
#endif
