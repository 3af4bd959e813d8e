#include "rpc.h"
#include "frame.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static bool closed_by_peer(int e)
{
	return e == -EPIPE || e == -ECONNRESET;
}

int rpc_open(struct rpc *r, const struct target *t)
{
	memset(r, 0, sizeof(*r));
	r->next_id = 1;
	r->fd = -1;
	r->max_frame = 16u << 20;   /* a reply may list thousands of ports */
	return conn_open(t, 0, &r->fd);
}

void rpc_close(struct rpc *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

void rpc_wait_forever(struct rpc *r)
{
	struct timeval tv = { 0, 0 };

	setsockopt(r->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

int rpc_read(struct rpc *r, Keel__AgentMessage **m)
{
	uint8_t *body;
	uint32_t len;
	int e = frame_read_blocking(r->fd, r->max_frame, &body, &len);

	if (e < 0)
		return e == -EAGAIN ? -ETIMEDOUT : e;
	*m = keel__agent_message__unpack(NULL, len, body);
	free(body);
	return *m ? 0 : -EPROTO;
}

int rpc_call(struct rpc *r, Keel__Request *req, Keel__Response **resp)
{
	Keel__AgentMessage *m;
	int e;

	req->id = r->next_id++;
	e = frame_write_msg(r->fd, &req->base);
	/* A peer that refused the stream (a wrong secret) has answered and
	 * closed: its answer is still to be read. */
	if (e < 0 && !closed_by_peer(e))
		return e;
	for (;;) {
		if ((e = rpc_read(r, &m)) < 0)
			return e;
		/* id 0 with an error: the agent could not tell which request it
		 * answers (a refused Auth, an oversized frame), so it is ours. */
		if (m->kind_case == KEEL__AGENT_MESSAGE__KIND_RESPONSE &&
		    (m->response->id == req->id || (m->response->id == 0 && m->response->error))) {
			*resp = m->response;
			m->response = NULL;
			m->kind_case = KEEL__AGENT_MESSAGE__KIND__NOT_SET;
			keel__agent_message__free_unpacked(m, NULL);
			return 0;
		}
		if (m->kind_case == KEEL__AGENT_MESSAGE__KIND_EVENT && r->on_event)
			r->on_event(r->ctx, m->event);
		keel__agent_message__free_unpacked(m, NULL);
	}
}

int forward_open(const struct target *t, Keel__Transport tr, const char *addr,
		 uint32_t port, const char *path, int *out, char *err, size_t errlen)
{
	Keel__ForwardRequest rq = KEEL__FORWARD_REQUEST__INIT;
	Keel__ForwardResponse *rs;
	uint8_t *body;
	uint32_t len;
	int fd, e;

	*err = 0;
	if ((e = conn_open(t, 1, &fd)) < 0) {
		snprintf(err, errlen, "cannot reach the agent's forward port: %s", strerror(-e));
		return e;
	}
	rq.transport = tr;
	rq.address = (char *)(addr ? addr : "");
	rq.port = port;
	rq.path = (char *)(path ? path : "");
	e = frame_write_msg(fd, &rq.base);
	if (e == 0 || closed_by_peer(e))
		e = frame_read_blocking(fd, 4096, &body, &len);
	if (e < 0) {
		snprintf(err, errlen, "forward handshake: %s", strerror(-e));
		close(fd);
		return e;
	}
	rs = keel__forward_response__unpack(NULL, len, body);
	free(body);
	if (!rs || !rs->ok) {
		e = rs && rs->code > 0 ? -rs->code : -EPROTO;
		snprintf(err, errlen, "agent: %s", rs ? rs->error : "malformed ForwardResponse");
		if (rs)
			keel__forward_response__free_unpacked(rs, NULL);
		close(fd);
		return e;
	}
	keel__forward_response__free_unpacked(rs, NULL);
	*out = fd;
	return 0;
}
