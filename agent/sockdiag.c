/* agent/sockdiag.c: NETLINK_SOCK_DIAG dumps of listening TCP and bound UDP
 * sockets with libmnl. Everything read from a reply is length-checked
 * before use; attributes go through validating callbacks into tb[]. */
#include "sockdiag.h"
#include "rtnl.h"
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

/* A dump that stalls this long is abandoned (the kernel always ends dumps,
 * but the agent's loop must never block on us for good). */
#define SOCKDIAG_RECV_TIMEOUT_S 2

int sockdiag_open(struct mnl_socket **out)
{
	return rtnl_socket_open(NETLINK_SOCK_DIAG, SOCKDIAG_RECV_TIMEOUT_S, out);
}

void sockdiag_vec_free(struct sockdiag_vec *vec)
{
	free(vec->v);
	vec->v = NULL;
	vec->n = vec->cap = 0;
}

static struct port_entry *sockdiag_vec_push(struct sockdiag_vec *vec)
{
	if (vec->n == vec->cap) {
		size_t cap = vec->cap ? vec->cap * 2 : 256;
		struct port_entry *v;

		if (cap > SOCKDIAG_MAX_ENTRIES)
			cap = SOCKDIAG_MAX_ENTRIES;
		if (vec->n >= cap)
			return NULL;
		v = realloc(vec->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		vec->v = v;
		vec->cap = cap;
	}
	return &vec->v[vec->n++];
}

static int sockdiag_fail(struct sockdiag_ctx *ctx, int err)
{
	ctx->error = err;
	return MNL_CB_ERROR;
}

/* Keep the attributes we know, each checked for its type's length. Unknown
 * (newer) attributes are skipped, as iproute2 does. */
static int sockdiag_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, INET_DIAG_MAX) < 0)
		return MNL_CB_OK;
	switch (type) {
	case INET_DIAG_SHUTDOWN:
	case INET_DIAG_SKV6ONLY:
		if (mnl_attr_validate(attr, MNL_TYPE_U8) < 0)
			return MNL_CB_ERROR;
		break;
	case INET_DIAG_MARK:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		break;
	case INET_DIAG_CGROUP_ID:
		if (mnl_attr_validate(attr, MNL_TYPE_U64) < 0)
			return MNL_CB_ERROR;
		break;
	default:
		break;
	}
	tb[type] = attr;
	return MNL_CB_OK;
}

/* Listening TCP; UDP that is bound and not connected. The kernel already
 * filters on state; checking again keeps the contract if it did not. */
static bool sockdiag_wanted(const struct sockdiag_ctx *ctx, const struct inet_diag_msg *m)
{
	if (m->id.idiag_sport == 0)
		return false;
	if (ctx->transport == PORT_TCP)
		return m->idiag_state == TCP_LISTEN;
	return m->idiag_state == TCP_CLOSE && m->id.idiag_dport == 0;
}

/* idiag_src holds 16 bytes whatever the family; IPv4 uses the first 4. */
static int sockdiag_format(struct sockdiag_ctx *ctx, const struct inet_diag_msg *m,
			   char out[INET6_ADDRSTRLEN])
{
	if (ctx->last_text[0] == '\0' ||
	    memcmp(ctx->last_addr, m->id.idiag_src, sizeof(ctx->last_addr)) != 0) {
		if (!inet_ntop(m->idiag_family, m->id.idiag_src, ctx->last_text,
			       sizeof(ctx->last_text))) {
			ctx->last_text[0] = '\0';
			return -EAFNOSUPPORT;
		}
		memcpy(ctx->last_addr, m->id.idiag_src, sizeof(ctx->last_addr));
	}
	memcpy(out, ctx->last_text, INET6_ADDRSTRLEN);
	return 0;
}

static int sockdiag_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[INET_DIAG_MAX + 1] = { 0 };
	struct sockdiag_ctx *ctx = data;
	const struct inet_diag_msg *m;
	struct port_entry *e;

	if (nlh->nlmsg_type != SOCK_DIAG_BY_FAMILY)
		return sockdiag_fail(ctx, -EPROTO);
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return sockdiag_fail(ctx, -EBADMSG);
	m = mnl_nlmsg_get_payload(nlh);
	if (m->idiag_family != ctx->family)
		return sockdiag_fail(ctx, -EPROTO);
	if (mnl_attr_parse(nlh, sizeof(*m), sockdiag_attr_cb, tb) < 0)
		return sockdiag_fail(ctx, -EBADMSG);
	if (!sockdiag_wanted(ctx, m))
		return MNL_CB_OK;

	e = sockdiag_vec_push(ctx->out);
	if (!e)
		return sockdiag_fail(ctx, -ENOBUFS);
	memset(e, 0, sizeof(*e));
	e->transport = ctx->transport;
	e->port = ntohs(m->id.idiag_sport);
	e->inode = m->idiag_inode;
	e->uid = m->idiag_uid;
	e->v6only = tb[INET_DIAG_SKV6ONLY] && mnl_attr_get_u8(tb[INET_DIAG_SKV6ONLY]);
	if (sockdiag_format(ctx, m, e->address) < 0) {
		ctx->out->n--;
		return sockdiag_fail(ctx, -EAFNOSUPPORT);
	}
	return MNL_CB_OK;
}

/* NLMSG_DONE of a dump may carry the dump's error (an int) and ext-ack. */
static int sockdiag_done_cb(const struct nlmsghdr *nlh, void *data)
{
	int err;

	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(err)) {
		memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
		if (err < 0)
			return sockdiag_fail(data, err < -4095 ? -EPROTO : err);
	}
	return MNL_CB_STOP;
}

static int sockdiag_error_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlmsgerr *e;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
		return sockdiag_fail(data, -EBADMSG);
	e = mnl_nlmsg_get_payload(nlh);
	if (e->error == 0)
		return MNL_CB_STOP;
	if (e->error > 0 || e->error < -4095)
		return sockdiag_fail(data, -EPROTO);
	return sockdiag_fail(data, e->error);
}

int sockdiag_parse(const void *buf, size_t len, uint32_t seq, uint32_t portid,
		   struct sockdiag_ctx *ctx)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = sockdiag_error_cb,
		[NLMSG_DONE] = sockdiag_done_cb,
	};
	int r;

	ctx->error = 0;
	if (!rtnl_msgs_ok(buf, len))
		return -EBADMSG;
	r = mnl_cb_run2(buf, len, seq, portid, sockdiag_msg_cb, ctx, ctl, NLMSG_MIN_TYPE);
	if (r < 0)
		return ctx->error ? ctx->error : (errno ? -errno : -EPROTO);
	return r == MNL_CB_STOP ? 0 : 1;
}

int sockdiag_dump(struct mnl_socket *nl, void *buf, uint32_t *seq,
		  struct sockdiag_ctx *ctx)
{
	struct inet_diag_req_v2 *req;
	struct nlmsghdr *nlh;
	uint32_t portid = mnl_socket_get_portid(nl);
	int r = 1;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++*seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = (uint8_t)ctx->family;
	req->sdiag_protocol = ctx->transport == PORT_TCP ? IPPROTO_TCP : IPPROTO_UDP;
	/* A bound, unconnected UDP socket sits in TCP_CLOSE; connected ones
	 * move to TCP_ESTABLISHED and are left out here. */
	req->idiag_states = ctx->transport == PORT_TCP ? 1u << TCP_LISTEN : 1u << TCP_CLOSE;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;

	do {
		ssize_t n = mnl_socket_recvfrom(nl, buf, SOCKDIAG_BUF_SIZE);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EPROTO;
		r = sockdiag_parse(buf, (size_t)n, *seq, portid, ctx);
	} while (r > 0);
	return r;
}
