/* stream: the vsock device proper (see device.h): connections between guest
 * ports and host unix sockets, the virtio-vsock packet state machine with
 * credit-based flow control, and the hybrid scheme's host side. */
#include "device.h"
#include "vsock_pkt.h"
#include "clock.h"
#include "log.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define HDR_TIMEOUT_MS 10000
#define HOST_PORT_BASE (1u << 30)	/* ports we allocate for host CONNECTs */
#define READS_PER_EVENT 8		/* packets per readable unix socket per turn */

static void conn_close(struct backend *b, struct conn *c, bool rst);
static void after_forward(struct backend *b, struct conn *c);

/* ---- connection table ---- */

static unsigned hash_of(uint32_t lport, uint32_t pport)
{
	return (lport * 2654435761u ^ pport * 40503u) % HASH_SIZE;
}

static struct conn *conn_find(struct backend *b, uint32_t lport, uint32_t pport)
{
	for (struct conn *c = b->hash[hash_of(lport, pport)]; c; c = c->hnext)
		if (c->lport == lport && c->pport == pport)
			return c;
	return NULL;
}

static void hash_add(struct backend *b, struct conn *c)
{
	unsigned h = hash_of(c->lport, c->pport);
	c->hnext = b->hash[h];
	b->hash[h] = c;
	c->in_hash = true;
}

static void hash_del(struct backend *b, struct conn *c)
{
	struct conn **pp = &b->hash[hash_of(c->lport, c->pport)];

	for (; *pp; pp = &(*pp)->hnext)
		if (*pp == c) {
			*pp = c->hnext;
			break;
		}
	c->in_hash = false;
}

static struct conn *conn_new(struct backend *b, int fd, enum conn_state st)
{
	struct conn *c;

	if (b->nconns >= MAX_CONNS || !(c = calloc(1, sizeof(*c))))
		return NULL;
	c->kind = EV_CONN;
	c->fd = fd;
	c->st = st;
	list_init(&c->pend);
	list_init(&c->blocked);
	list_init(&c->grave);
	list_add_tail(&b->all, &c->all);
	b->nconns++;
	return c;
}

/* Free later: events for c may still be in this epoll batch. */
static void conn_bury(struct backend *b, struct conn *c)
{
	if (c->in_hash)
		hash_del(b, c);
	list_del(&c->pend);
	list_del(&c->blocked);
	list_del(&c->all);
	if (!list_linked(&c->grave))
		list_add_tail(&b->grave, &c->grave);
}

static void free_graves(struct backend *b)
{
	while (!list_empty(&b->grave)) {
		struct conn *c = list_entry(b->grave.next, struct conn, grave);
		list_del(&c->grave);
		free(c->buf);
		free(c);
		b->nconns--;
	}
}

/* ---- epoll interest of a unix socket ---- */

static bool conn_can_read(const struct conn *c)
{
	if (c->st == C_HDR)
		return true;
	return c->st == C_OPEN && !c->local_eof && !c->peer_shut_rcv &&
	       !(c->pend_ops & P_RESPONSE) && !list_linked(&c->blocked) &&
	       conn_peer_credit(c) > 0;
}

static void conn_update_events(struct backend *b, struct conn *c)
{
	uint32_t want = 0;
	struct epoll_event e;

	if (c->fd < 0)
		return;
	if (conn_can_read(c))
		want |= EPOLLIN;
	if (c->buf_len > 0)
		want |= EPOLLOUT;
	/* a hung-up socket reports EPOLLHUP forever: park it while we have
	 * nothing to do with it (data may still wait in it for credit) */
	if (c->hup && !want) {
		if (c->registered && epoll_ctl(b->ep, EPOLL_CTL_DEL, c->fd, NULL) == 0)
			c->registered = false;
		return;
	}
	if (c->registered && want == c->ep_events)
		return;
	e = (struct epoll_event){ .events = want, .data.ptr = c };
	if (epoll_ctl(b->ep, c->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &e) == 0) {
		c->registered = true;
		c->ep_events = want;
	}
}

static void queue_ops(struct backend *b, struct conn *c, unsigned ops)
{
	c->pend_ops |= ops;
	if (!list_linked(&c->pend))
		list_add_tail(&b->pend, &c->pend);
}

/* RST for a packet that belongs to no connection. */
static void queue_stray_rst(struct backend *b, uint32_t lport, uint32_t pport)
{
	static bool warned;

	if (b->rst_n == RST_QUEUE) {
		if (!warned)
			log_warn("guest rx ring stalled: dropping RSTs");
		warned = true;
		return;
	}
	unsigned i = (b->rst_head + b->rst_n++) % RST_QUEUE;
	b->rst[i].lport = lport;
	b->rst[i].pport = pport;
}

/* A guest can send malformed chains as fast as it likes: one line a second
 * at most, with the count of the ones not logged. */
static void log_malformed(const char *what)
{
	static uint64_t last_ms;
	static unsigned quiet;
	uint64_t now = mono_ms();

	if (last_ms && now - last_ms < 1000) {
		quiet++;
		return;
	}
	if (quiet)
		log_warn("%s: malformed chain dropped (and %u more since the last report)",
			 what, quiet);
	else
		log_warn("%s: malformed chain dropped", what);
	last_ms = now;
	quiet = 0;
}

/* ---- guest rx ring: packets to the guest ---- */

static bool rx_ready(struct backend *b)
{
	return vu_ring_running(&b->vu, RX) && vq_has_avail(&b->vu.vq[RX]);
}

/* Next usable rx chain (malformed ones are returned empty and skipped). */
static int rx_pop(struct backend *b, struct chain *ch)
{
	struct vq *vq = &b->vu.vq[RX];

	if (!vu_ring_running(&b->vu, RX))
		return -EAGAIN;
	for (;;) {
		int r = vq_pop(vq, &b->vu.gm, ch);
		if (r == -EAGAIN)
			return r;
		if (r == -EPROTO) {
			log_err("guest rx ring: avail index jumped; ring stopped");
			return -EAGAIN;
		}
		if (r == 0 && ch->n_out == 0 && ch->in_len >= sizeof(struct vsock_hdr))
			return 0;
		log_malformed("guest rx ring");
		if (ch->head != VQ_NO_HEAD)
			vq_push(vq, ch->head, 0);
	}
}

static void hdr_fill(struct backend *b, struct vsock_hdr *h, uint32_t lport,
		     uint32_t pport, uint16_t op, const struct conn *c)
{
	*h = (struct vsock_hdr){
		.src_cid = VSOCK_CID_HOST, .dst_cid = b->vu.guest_cid,
		.src_port = lport, .dst_port = pport,
		.type = VSOCK_TYPE_STREAM, .op = op,
		.buf_alloc = CONN_BUF_ALLOC, .fwd_cnt = c ? c->fwd_cnt : 0,
	};
}

/* Send a header-only packet; false when the guest has no rx buffer. */
static bool send_ctl(struct backend *b, uint32_t lport, uint32_t pport, uint16_t op,
		     uint32_t flags, struct conn *c)
{
	struct vsock_hdr h;
	struct chain ch;

	if (rx_pop(b, &ch) < 0)
		return false;
	hdr_fill(b, &h, lport, pport, op, c);
	h.flags = flags;
	iov_to(ch.in, ch.n_in, 0, &h, sizeof(h));
	vq_push(&b->vu.vq[RX], ch.head, sizeof(h));
	if (c)
		c->fwd_cnt_sent = c->fwd_cnt;
	return true;
}

static void flush_ctl(struct backend *b)
{
	static const struct { unsigned bit; uint16_t op; } order[] = {
		{ P_REQUEST, VSOCK_OP_REQUEST }, { P_RESPONSE, VSOCK_OP_RESPONSE },
		{ P_CREDIT_UPDATE, VSOCK_OP_CREDIT_UPDATE }, { P_SHUTDOWN, VSOCK_OP_SHUTDOWN },
		{ P_RST, VSOCK_OP_RST },
	};

	while (b->rst_n > 0) {
		unsigned i = b->rst_head;
		if (!send_ctl(b, b->rst[i].lport, b->rst[i].pport, VSOCK_OP_RST, 0, NULL))
			return;
		b->rst_head = (b->rst_head + 1) % RST_QUEUE;
		b->rst_n--;
	}
	while (!list_empty(&b->pend)) {
		struct conn *c = list_entry(b->pend.next, struct conn, pend);
		for (unsigned k = 0; k < sizeof(order) / sizeof(order[0]); k++) {
			if (!(c->pend_ops & order[k].bit))
				continue;
			if (!send_ctl(b, c->lport, c->pport, order[k].op,
				      order[k].bit == P_SHUTDOWN ? c->shut_flags : 0, c))
				return;
			c->pend_ops &= ~order[k].bit;
		}
		list_del(&c->pend);
		if (c->st == C_CLOSED)
			conn_bury(b, c);
		else
			conn_update_events(b, c);
	}
}

/* ---- host -> guest data ---- */

/* Move one packet from the unix socket into a guest rx buffer: 1 sent,
 * 0 nothing to do now, -1 connection ended or closed. */
static int pump_one(struct backend *b, struct conn *c)
{
	struct iovec iov[CHAIN_MAX_IOV];
	struct vsock_hdr h;
	struct chain ch;
	size_t max;
	unsigned n;
	ssize_t r;

	if (!conn_can_read(c))
		return 0;
	if (rx_pop(b, &ch) < 0) {
		list_add_tail(&b->blocked, &c->blocked);
		return 0;
	}
	max = ch.in_len - sizeof(h);
	if (max > conn_peer_credit(c))
		max = conn_peer_credit(c);
	if (max > VSOCK_MAX_PKT)
		max = VSOCK_MAX_PKT;
	n = iov_slice(ch.in, ch.n_in, sizeof(h), max, iov, CHAIN_MAX_IOV);
	do
		r = readv(c->fd, iov, (int)n);
	while (r < 0 && errno == EINTR);
	if (r <= 0) {
		vq_unpop(&b->vu.vq[RX]);
		if (r < 0 && errno == EAGAIN)
			return 0;
		if (r < 0) {		/* ECONNRESET and the like: abort */
			conn_close(b, c, true);
			return -1;
		}
		c->local_eof = true;	/* host wrote its last byte */
		c->shut_flags = VSOCK_SHUTDOWN_SEND;
		queue_ops(b, c, P_SHUTDOWN);
		after_forward(b, c);
		return -1;
	}
	hdr_fill(b, &h, c->lport, c->pport, VSOCK_OP_RW, c);
	h.len = (uint32_t)r;
	iov_to(ch.in, ch.n_in, 0, &h, sizeof(h));
	vq_push(&b->vu.vq[RX], ch.head, sizeof(h) + (uint32_t)r);
	c->tx_cnt += (uint32_t)r;
	c->fwd_cnt_sent = c->fwd_cnt;
	c->pend_ops &= ~P_CREDIT_UPDATE;
	return 1;
}

static void conn_pump_in(struct backend *b, struct conn *c)
{
	for (int i = 0; i < READS_PER_EVENT; i++)
		if (pump_one(b, c) <= 0)
			break;
	conn_update_events(b, c);
}

/* ---- guest -> host data ---- */

static void buf_append(struct conn *c, const struct iovec *iov, unsigned n, size_t skip)
{
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *p = iov[i].iov_base;
		size_t l = iov[i].iov_len;
		if (skip >= l) {
			skip -= l;
			continue;
		}
		p += skip;
		l -= skip;
		skip = 0;
		while (l > 0) {
			uint32_t tail = (c->buf_head + c->buf_len) % CONN_BUF_ALLOC;
			size_t k = CONN_BUF_ALLOC - tail < l ? CONN_BUF_ALLOC - tail : l;
			memcpy(c->buf + tail, p, k);
			c->buf_len += (uint32_t)k;
			p += k;
			l -= k;
		}
	}
}

static void after_forward(struct backend *b, struct conn *c)
{
	if (c->buf_len == 0 && c->peer_shut_send && !c->wr_shut) {
		shutdown(c->fd, SHUT_WR);
		c->wr_shut = true;
	}
	if (c->buf_len == 0 && c->peer_shut_send && (c->local_eof || c->peer_shut_rcv)) {
		conn_close(b, c, true);
		return;
	}
	if (conn_credit_update_due(c))
		queue_ops(b, c, P_CREDIT_UPDATE);
	conn_update_events(b, c);
}

static bool write_failed(ssize_t r)
{
	return r < 0 && errno != EAGAIN && errno != EINTR;
}

static void conn_flush_out(struct backend *b, struct conn *c)
{
	while (c->buf_len > 0) {
		uint32_t first = CONN_BUF_ALLOC - c->buf_head;
		struct iovec iov[2] = {
			{ c->buf + c->buf_head, first < c->buf_len ? first : c->buf_len },
			{ c->buf, first < c->buf_len ? c->buf_len - first : 0 },
		};
		ssize_t r = writev(c->fd, iov, iov[1].iov_len ? 2 : 1);
		if (write_failed(r)) {
			conn_close(b, c, true);	/* host program went away */
			return;
		}
		if (r <= 0)
			break;
		c->buf_head = (c->buf_head + (uint32_t)r) % CONN_BUF_ALLOC;
		c->buf_len -= (uint32_t)r;
		c->fwd_cnt += (uint32_t)r;
	}
	after_forward(b, c);
}

static void on_guest_rw(struct backend *b, struct conn *c, const struct vsock_pkt *p)
{
	uint32_t len = p->hdr.len;
	ssize_t r = 0;

	if (len == 0)
		return;
	if (c->peer_shut_send || conn_rx_overrun(c, len)) {
		log_warn("guest port %u: %s; connection reset", c->pport,
			 c->peer_shut_send ? "data after shutdown" : "sent beyond its credit");
		conn_close(b, c, true);
		return;
	}
	c->rx_cnt += len;
	if (c->buf_len == 0) {
		do
			r = writev(c->fd, p->iov, (int)p->n_iov);
		while (r < 0 && errno == EINTR);
		if (write_failed(r)) {
			conn_close(b, c, true);
			return;
		}
		if (r < 0)
			r = 0;
		c->fwd_cnt += (uint32_t)r;
	}
	if ((uint32_t)r < len) {
		if (!c->buf && !(c->buf = malloc(CONN_BUF_ALLOC))) {
			log_err("out of memory; connection reset");
			conn_close(b, c, true);
			return;
		}
		buf_append(c, p->iov, p->n_iov, (size_t)r);
	}
	after_forward(b, c);
}

/* ---- closing ---- */

/* Close the unix side; with rst, tell the guest (after any queued SHUTDOWN)
 * and free once that went out. */
static void conn_close(struct backend *b, struct conn *c, bool rst)
{
	if (c->fd >= 0) {
		if (c->registered)
			epoll_ctl(b->ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
		c->registered = false;
	}
	list_del(&c->blocked);
	free(c->buf);
	c->buf = NULL;
	c->buf_len = 0;
	/* no RST for a REQUEST the guest never saw */
	if (rst && c->st != C_HDR && !(c->pend_ops & P_REQUEST)) {
		c->st = C_CLOSED;
		c->pend_ops &= P_SHUTDOWN;
		queue_ops(b, c, P_RST);
		return;
	}
	c->st = C_CLOSED;
	conn_bury(b, c);
}

/* Tell a host program waiting for its CONNECT why it failed, then close. */
static void conn_refuse(struct backend *b, struct conn *c, const char *why, bool rst)
{
	char line[80];
	int n = snprintf(line, sizeof(line), "ERR %s\n", why);

	if (c->fd >= 0 && send(c->fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		log_debug("host client gone before its error: %s", strerror(errno));
	conn_close(b, c, rst);
}

void drop_all(struct backend *b, const char *why)
{
	while (!list_empty(&b->all)) {
		struct conn *c = list_entry(b->all.next, struct conn, all);
		if (c->st == C_HDR || c->st == C_CONNECTING)
			conn_refuse(b, c, why, false);
		else
			conn_close(b, c, false);
		conn_bury(b, c);
	}
	b->rst_n = 0;
}

/* ---- packets from the guest ---- */

static void on_guest_request(struct backend *b, const struct vsock_hdr *h)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct conn *c;
	int fd, n;

	n = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", b->o->uds_path, h->dst_port);
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
		goto refuse;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto refuse;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    !(c = conn_new(b, fd, C_OPEN))) {
		log_debug("guest connect to host port %u: %s", h->dst_port, strerror(errno));
		close(fd);
		goto refuse;
	}
	c->lport = h->dst_port;
	c->pport = h->src_port;
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	hash_add(b, c);
	queue_ops(b, c, P_RESPONSE);
	conn_update_events(b, c);
	return;
refuse:
	queue_stray_rst(b, h->dst_port, h->src_port);
}

static void on_guest_response(struct backend *b, struct conn *c)
{
	char line[32];
	int n = snprintf(line, sizeof(line), "OK %u\n", c->lport);

	if (send(c->fd, line, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) != n) {
		conn_close(b, c, true);
		return;
	}
	c->st = C_OPEN;
	conn_update_events(b, c);
}

static void on_guest_shutdown(struct backend *b, struct conn *c, uint32_t flags)
{
	if (flags & VSOCK_SHUTDOWN_RCV)
		c->peer_shut_rcv = true;
	if (flags & VSOCK_SHUTDOWN_SEND)
		c->peer_shut_send = true;
	after_forward(b, c);
}

static void on_guest_pkt(struct backend *b, const struct vsock_pkt *p)
{
	const struct vsock_hdr *h = &p->hdr;
	struct conn *c;

	if (h->src_cid != b->vu.guest_cid || h->dst_cid != VSOCK_CID_HOST ||
	    h->type != VSOCK_TYPE_STREAM) {
		if (h->op != VSOCK_OP_RST)
			queue_stray_rst(b, h->dst_port, h->src_port);
		return;
	}
	c = conn_find(b, h->dst_port, h->src_port);
	if (h->op == VSOCK_OP_REQUEST) {
		if (c) {		/* a second REQUEST for a live pair */
			conn_close(b, c, false);
			queue_stray_rst(b, h->dst_port, h->src_port);
			return;
		}
		on_guest_request(b, h);
		return;
	}
	if (!c || c->st == C_CLOSED) {
		if (h->op != VSOCK_OP_RST && !c)
			queue_stray_rst(b, h->dst_port, h->src_port);
		if (c && h->op == VSOCK_OP_RST)
			c->pend_ops &= ~P_RST;	/* the guest already forgot it */
		if (c && !c->pend_ops) {
			list_del(&c->pend);
			conn_bury(b, c);
		}
		return;
	}
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	switch (h->op) {
	case VSOCK_OP_RESPONSE:
		if (c->st == C_CONNECTING && !(c->pend_ops & P_REQUEST))
			on_guest_response(b, c);
		else
			conn_close(b, c, true);
		return;
	case VSOCK_OP_RST:
		if (c->st == C_CONNECTING)
			conn_refuse(b, c, "connection refused", false);
		else
			conn_close(b, c, false);
		return;
	}
	if (c->st != C_OPEN) {
		conn_close(b, c, true);
		return;
	}
	switch (h->op) {
	case VSOCK_OP_RW:
		on_guest_rw(b, c, p);
		break;
	case VSOCK_OP_SHUTDOWN:
		on_guest_shutdown(b, c, h->flags);
		break;
	case VSOCK_OP_CREDIT_REQUEST:
		queue_ops(b, c, P_CREDIT_UPDATE);
		break;
	case VSOCK_OP_CREDIT_UPDATE:
		conn_update_events(b, c);	/* credit may have opened */
		break;
	default:
		conn_close(b, c, true);
	}
}

void process_tx(struct backend *b)
{
	struct vq *vq = &b->vu.vq[TX];
	struct vsock_pkt pkt;
	struct chain ch;

	b->tx_more = false;
	if (!vu_ring_running(&b->vu, TX))
		return;
	for (unsigned i = 0; i < vq->num; i++) {
		int r = vq_pop(vq, &b->vu.gm, &ch);
		if (r == -EAGAIN)
			return;
		if (r == -EPROTO) {
			log_err("guest tx ring: avail index jumped; ring stopped");
			return;
		}
		if (r == 0 && vsock_pkt_parse(&ch, &pkt) == 0)
			on_guest_pkt(b, &pkt);
		else
			log_malformed("guest tx ring");
		if (ch.head != VQ_NO_HEAD)
			vq_push(vq, ch.head, 0);
	}
	b->tx_more = true;	/* fairness: the rest after the next epoll turn */
}

/* ---- host unix side ---- */

static uint32_t alloc_port(struct backend *b, uint32_t pport)
{
	do {
		if (++b->next_port < HOST_PORT_BASE)
			b->next_port = HOST_PORT_BASE;
	} while (conn_find(b, b->next_port, pport));
	return b->next_port;
}

/* Parse the "CONNECT <port>\n" line without reading past it: bytes after it
 * are the program's data for the guest. */
static void conn_read_hdr(struct backend *b, struct conn *c)
{
	char line[48], *end;
	unsigned long port;
	ssize_t n;
	char *nl;

	n = recv(c->fd, line, sizeof(line) - 1, MSG_PEEK);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(b, c, false);
		return;
	}
	line[n] = 0;
	nl = memchr(line, '\n', (size_t)n);
	if (!nl) {
		if ((size_t)n == sizeof(line) - 1)
			conn_refuse(b, c, "bad request (expected CONNECT <port>)", false);
		else if (c->hup)
			conn_close(b, c, false);
		return;
	}
	if (recv(c->fd, line, (size_t)(nl - line) + 1, 0) != nl - line + 1) {
		conn_close(b, c, false);
		return;
	}
	*nl = 0;
	if (nl > line && nl[-1] == '\r')
		nl[-1] = 0;
	errno = 0;
	if (strncmp(line, "CONNECT ", 8) != 0 || line[8] < '0' || line[8] > '9' ||
	    (port = strtoul(line + 8, &end, 10), *end) || errno || port > UINT32_MAX) {
		conn_refuse(b, c, "bad request (expected CONNECT <port>)", false);
		return;
	}
	c->pport = (uint32_t)port;
	c->lport = alloc_port(b, c->pport);
	hash_add(b, c);
	c->st = C_CONNECTING;
	c->peer_buf_alloc = 0;
	c->deadline_ms = mono_ms() + b->o->connect_timeout_ms;
	queue_ops(b, c, P_REQUEST);
	conn_update_events(b, c);
}

void on_conn_event(struct backend *b, struct conn *c, uint32_t ev)
{
	if (c->fd < 0)
		return;
	if (ev & (EPOLLHUP | EPOLLERR))
		c->hup = true;
	if (c->st == C_HDR) {
		conn_read_hdr(b, c);
		return;
	}
	if ((ev & EPOLLOUT) || ((ev & (EPOLLHUP | EPOLLERR)) && c->buf_len > 0))
		conn_flush_out(b, c);
	if (c->fd >= 0 && c->st == C_OPEN)
		conn_pump_in(b, c);
	else if (c->fd >= 0)
		conn_update_events(b, c);
}

void on_hyb_accept(struct backend *b)
{
	int fd = accept4(b->hyb, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct conn *c;

	if (fd < 0)
		return;
	if (!(c = conn_new(b, fd, C_HDR))) {
		static const char msg[] = "ERR too many connections\n";
		if (send(fd, msg, sizeof(msg) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			log_debug("refused client gone");
		close(fd);
		return;
	}
	c->deadline_ms = mono_ms() + HDR_TIMEOUT_MS;
	conn_update_events(b, c);
}

void check_deadlines(struct backend *b)
{
	uint64_t now = mono_ms();

	for (struct link *l = b->all.next, *next; l != &b->all; l = next) {
		struct conn *c = list_entry(l, struct conn, all);
		next = l->next;
		if ((c->st == C_HDR || c->st == C_CONNECTING) && now >= c->deadline_ms)
			conn_refuse(b, c, c->st == C_HDR ? "timed out waiting for CONNECT"
				    : "timed out (guest did not answer)", true);
	}
}

/* What every loop turn ends with: queued control packets, connections that
 * waited for rx buffers, interrupts, and memory of closed connections. */
void end_turn(struct backend *b)
{
	flush_ctl(b);
	if (!list_empty(&b->blocked) && rx_ready(b)) {
		while (!list_empty(&b->blocked)) {
			struct conn *c = list_entry(b->blocked.next, struct conn, blocked);
			list_del(&c->blocked);
			conn_update_events(b, c);
		}
	}
	vu_signal(&b->vu, RX);
	vu_signal(&b->vu, TX);
	free_graves(b);
}
