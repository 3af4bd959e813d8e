#include "vsock_pkt.h"
#include <errno.h>

int vsock_pkt_parse(const struct chain *c, struct vsock_pkt *pkt)
{
	if (c->n_in > 0 || c->out_len < sizeof(pkt->hdr))
		return -EBADMSG;
	iov_from(c->out, c->n_out, 0, &pkt->hdr, sizeof(pkt->hdr));
	if (pkt->hdr.len > VSOCK_MAX_PKT || pkt->hdr.len > c->out_len - sizeof(pkt->hdr))
		return -EBADMSG;
	pkt->n_iov = iov_slice(c->out, c->n_out, sizeof(pkt->hdr), pkt->hdr.len,
			       pkt->iov, CHAIN_MAX_IOV);
	return 0;
}
