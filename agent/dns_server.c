/* agent/dns_server.c: the agent's DNS server on cfg.dns_address:53 (UDP).
 * The host names are answered at once (dns.c); every other query goes,
 * unchanged but for a fresh random id, to the first upstream nameserver from
 * one unconnected socket, and the reply that comes back from that upstream
 * with that id goes to the client with its own id restored. A bounded table
 * holds the forwards in flight; when it is full, or no upstream is known,
 * the client gets SERVFAIL at once rather than waiting for its timeout.
 * TCP (a client's retry after a truncated reply, or `use-vc`) is not
 * parsed: each connection is relayed as a whole to the current upstream's
 * port 53 (fwd_proxy), so large answers arrive intact; the two host names
 * are answered over UDP only (their answers are never truncated). One
 * server per process: its state is
 * this file's, like the loop it runs in. */
#include "agent.h"
#include "clock.h"
#include "dns.h"
#include "log.h"
#include "netconf.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#define DNS_PORT 53
#define DNS_BATCH 64             /* datagrams per wakeup and socket: fairness */
#define DNS_UPSTREAM_MAX 3
#define DNS_RESOLV_READ_MAX 4096

struct dns_pending {
	struct sockaddr_storage client;
	socklen_t client_len;
	struct sockaddr_in upstream;
	uint64_t deadline_ms;
	uint16_t client_id, up_id;
	bool used;
};

static struct dns_server {
	bool running;
	struct ev srv, fwd;              /* clients' socket, upstreams' socket */
	struct ev tcp;                   /* clients' TCP listener */
	struct in_addr self;
	uint8_t host[4];
	bool have_host;
	struct sockaddr_in up[DNS_UPSTREAM_MAX];
	size_t nup, cur;                 /* cur: the upstream asked now */
	struct dns_pending pend[DNS_PENDING_MAX];
	size_t npend;
	uint8_t rnd[256];
	size_t rnd_left;
	uint64_t rnd_mix;
	uint8_t buf[65536];              /* any UDP datagram */
} S = { .srv.fd = -1, .fwd.fd = -1, .tcp.fd = -1 };

bool dns_server_running(void) { return S.running; }

/* splitmix64: only when getrandom has nothing yet (very early boot). */
static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint16_t random16(void)
{
	if (S.rnd_left < 2) {
		ssize_t n = getrandom(S.rnd, sizeof(S.rnd), GRND_NONBLOCK);

		if (n != (ssize_t)sizeof(S.rnd)) {
			S.rnd_mix = mix64(S.rnd_mix ^ mono_ns());
			return (uint16_t)S.rnd_mix;
		}
		S.rnd_left = sizeof(S.rnd);
	}
	S.rnd_left -= 2;
	return (uint16_t)(S.rnd[S.rnd_left] << 8 | S.rnd[S.rnd_left + 1]);
}

static bool id_in_use(uint16_t id)
{
	for (size_t i = 0; i < DNS_PENDING_MAX; i++)
		if (S.pend[i].used && S.pend[i].up_id == id)
			return true;
	return false;
}

static struct dns_pending *pending_new(void)
{
	if (S.npend == DNS_PENDING_MAX)
		return NULL;
	for (size_t i = 0; i < DNS_PENDING_MAX; i++)
		if (!S.pend[i].used) {
			uint16_t id;

			/* At most 511 ids are taken: a free one comes quickly. */
			do
				id = random16();
			while (id_in_use(id));
			S.pend[i] = (struct dns_pending){ .used = true, .up_id = id };
			S.npend++;
			return &S.pend[i];
		}
	return NULL;
}

static void pending_free(struct dns_pending *p)
{
	p->used = false;
	S.npend--;
}

static void send_to(int fd, const void *buf, size_t len, const struct sockaddr *to, socklen_t tolen)
{
	/* A full socket buffer or a vanished client drops the datagram:
	 * DNS clients retry. */
	if (sendto(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL, to, tolen) < 0)
		log_debug("dns: sendto: %s", strerror(errno));
}

/* Forward q (S.buf[0..len)) to the current upstream; -errno when it could
 * not be sent, the client then gets SERVFAIL. */
static int forward(const struct dns_query *q, size_t len, const struct sockaddr_storage *from,
		   socklen_t fromlen)
{
	struct dns_pending *p;

	if (S.nup == 0)
		return -ENETUNREACH;
	p = pending_new();
	if (!p)
		return -ENOBUFS;
	p->client = *from;
	p->client_len = fromlen;
	p->client_id = q->id;
	p->upstream = S.up[S.cur];
	p->deadline_ms = mono_ms() + DNS_PENDING_MS;
	dns_set_id(S.buf, p->up_id);
	if (sendto(S.fwd.fd, S.buf, len, MSG_DONTWAIT | MSG_NOSIGNAL,
		   (const struct sockaddr *)&p->upstream, sizeof(p->upstream)) < 0) {
		int e = -errno;

		dns_set_id(S.buf, q->id);
		pending_free(p);
		return e;
	}
	return 0;
}

static void on_query_datagram(size_t len, const struct sockaddr_storage *from, socklen_t fromlen)
{
	uint8_t out[DNS_REPLY_MAX];
	struct dns_query q;
	int r = dns_parse_query(S.buf, len, &q), olen;

	if (r == -EOPNOTSUPP)
		olen = dns_build_error(S.buf, len, NULL, DNS_RCODE_NOTIMP, out, sizeof(out));
	else if (r < 0)
		/* A response sent here is dropped, never answered: two servers
		 * must not be able to bounce errors at each other. */
		olen = len >= DNS_HEADER_LEN && !(S.buf[2] & 0x80)
			? dns_build_error(S.buf, len, NULL, DNS_RCODE_FORMERR, out, sizeof(out))
			: -EBADMSG;
	else if (dns_decide(&q) == DNS_LOCAL)
		olen = dns_build_local(S.buf, &q, S.have_host ? S.host : NULL, out, sizeof(out));
	else if ((r = forward(&q, len, from, fromlen)) == 0)
		return;
	else
		olen = dns_build_error(S.buf, len, &q, DNS_RCODE_SERVFAIL, out, sizeof(out));
	if (olen > 0)
		send_to(S.srv.fd, out, (size_t)olen, (const struct sockaddr *)from, fromlen);
}

typedef void datagram_fn(size_t len, const struct sockaddr_storage *from, socklen_t fromlen);

/* Up to DNS_BATCH datagrams of fd into S.buf, each handed to fn. */
static void drain(int fd, datagram_fn *fn)
{
	for (int i = 0; i < DNS_BATCH; i++) {
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(fd, S.buf, sizeof(S.buf), MSG_DONTWAIT,
				     (struct sockaddr *)&from, &fromlen);

		if (n < 0)
			return;
		fn((size_t)n, &from, fromlen);
	}
}

static void on_query(struct agent *a, struct ev *e, uint32_t events)
{
	(void)a;
	(void)events;
	drain(e->fd, on_query_datagram);
}

static bool same_upstream(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
	return a->sin_addr.s_addr == b->sin_addr.s_addr && a->sin_port == b->sin_port;
}

/* An upstream's reply: only from the address and with the id a pending
 * forward went out with; anything else is dropped. */
static void on_reply_datagram(size_t len, const struct sockaddr_storage *from, socklen_t fromlen)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)from;
	uint16_t id;

	if (fromlen < sizeof(*in) || from->ss_family != AF_INET || dns_reply_id(S.buf, len, &id) < 0)
		return;
	for (size_t i = 0; i < DNS_PENDING_MAX; i++) {
		struct dns_pending *p = &S.pend[i];

		if (!p->used || p->up_id != id || !same_upstream(&p->upstream, in))
			continue;
		dns_set_id(S.buf, p->client_id);
		send_to(S.srv.fd, S.buf, len, (const struct sockaddr *)&p->client, p->client_len);
		pending_free(p);
		return;
	}
}

static void on_reply(struct agent *a, struct ev *e, uint32_t events)
{
	(void)a;
	(void)events;
	drain(e->fd, on_reply_datagram);
}

/* TCP: every connection goes whole to the upstream asked now. */
static void on_tcp(struct agent *a, struct ev *e, uint32_t events)
{
	(void)events;
	for (int i = 0; i < DNS_BATCH; i++) {
		struct sockaddr_storage up = { 0 };
		int fd = accept4(e->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (fd < 0)
			return;
		if (S.nup == 0 || a->n_fwd >= a->cfg.max_forward) {
			close(fd);      /* the client moves on as with a refusal */
			continue;
		}
		memcpy(&up, &S.up[S.cur], sizeof(S.up[S.cur]));
		if (fwd_proxy(a, fd, &up, sizeof(S.up[S.cur])) < 0)
			close(fd);
	}
}

static int tcp_listener(const struct sockaddr_in *at, int *out)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), e;

	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int)) < 0 ||
	    bind(fd, (const struct sockaddr *)at, sizeof(*at)) < 0 || listen(fd, 64) < 0) {
		e = -errno;
		close(fd);
		return e;
	}
	*out = fd;
	return 0;
}

/* An upstream that let a forward expire is passed over for the next one:
 * a dead first nameserver costs the clients one timeout, not every query. */
void dns_sweep(struct agent *a, uint64_t now)
{
	(void)a;
	if (S.npend == 0)
		return;
	for (size_t i = 0; i < DNS_PENDING_MAX; i++) {
		struct dns_pending *p = &S.pend[i];

		if (!p->used || now < p->deadline_ms)
			continue;
		if (S.nup > 1 && same_upstream(&p->upstream, &S.up[S.cur])) {
			S.cur = (S.cur + 1) % S.nup;
			log_info("dns: no answer from %s in %u ms; asking the next nameserver",
				 inet_ntoa(p->upstream.sin_addr), DNS_PENDING_MS);
		}
		pending_free(p);
	}
}

void dns_server_set_upstreams(const struct netconf *nc)
{
	S.nup = 0;
	S.cur = 0;
	for (size_t i = 0; i < nc->ndns && i < sizeof(nc->dns) / sizeof(nc->dns[0]); i++) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(DNS_PORT) };

		if (inet_pton(AF_INET, nc->dns[i], &sa.sin_addr) != 1) {
			log_info("dns: nameserver %s not forwarded to (IPv4 only)", nc->dns[i]);
			continue;
		}
		/* Forwarding to ourselves would loop each query until it expires. */
		if (sa.sin_addr.s_addr == S.self.s_addr || S.nup == DNS_UPSTREAM_MAX)
			continue;
		S.up[S.nup++] = sa;
	}
	if (S.running)
		log_info("dns: %zu upstream nameserver(s)", S.nup);
}

/* The upstreams a resolv.conf of an earlier run named ("# upstream X", or
 * "nameserver X" from a run without this server), ours excluded. */
static void load_resolv(const char *path, struct netconf *nc)
{
	char buf[DNS_RESOLV_READ_MAX + 1], *line, *save = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	memset(nc, 0, sizeof(*nc));
	if (fd < 0)
		return;
	n = read(fd, buf, DNS_RESOLV_READ_MAX);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct in6_addr any;
		char addr[64];

		if ((sscanf(line, "nameserver %63s", addr) != 1 &&
		     sscanf(line, "# upstream %63s", addr) != 1) || nc->ndns == 3 ||
		    (inet_pton(AF_INET, addr, &any) != 1 && inet_pton(AF_INET6, addr, &any) != 1))
			continue;
		if (inet_pton(AF_INET, addr, &any) == 1 && memcmp(&any, &S.self, 4) == 0)
			continue;
		memcpy(nc->dns[nc->ndns++], addr, strlen(addr) + 1);
	}
}

static int udp_socket(const struct sockaddr_in *bind_to, int *out)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), e;

	if (fd < 0)
		return -errno;
	if (bind_to && bind(fd, (const struct sockaddr *)bind_to, sizeof(*bind_to)) < 0) {
		e = -errno;
		close(fd);
		return e;
	}
	*out = fd;
	return 0;
}

int dns_server_start(struct agent *a)
{
	const char *addr = a->cfg.dns_address;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(DNS_PORT) };
	struct netconf nc;
	int e;

	if (!addr || !addr[0])
		return 0;
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		log_warn("dns: %s is not an IPv4 address; no DNS server", addr);
		return -EINVAL;
	}
	S.have_host = inet_pton(AF_INET, a->cfg.host_address, S.host) == 1;
	S.self = sa.sin_addr;
	S.srv.fn = on_query;
	S.fwd.fn = on_reply;
	if ((e = udp_socket(&sa, &S.srv.fd)) < 0 || (e = udp_socket(NULL, &S.fwd.fd)) < 0 ||
	    (e = ev_add(a, &S.srv, EPOLLIN)) < 0 || (e = ev_add(a, &S.fwd, EPOLLIN)) < 0) {
		log_warn("dns: %s:%d: %s; no DNS server", addr, DNS_PORT, strerror(-e));
		ev_del(a, &S.srv);
		ev_del(a, &S.fwd);
		return e;
	}
	S.tcp.fn = on_tcp;
	if ((e = tcp_listener(&sa, &S.tcp.fd)) < 0 || (e = ev_add(a, &S.tcp, EPOLLIN)) < 0) {
		log_warn("dns: TCP %s:%d: %s; UDP only", addr, DNS_PORT, strerror(-e));
		ev_del(a, &S.tcp);
	}
	S.running = true;
	netconf_resolv_first(addr);
	load_resolv(a->resolv_path, &nc);
	dns_server_set_upstreams(&nc);
	if ((e = netconf_write_resolv(&nc, a->resolv_path)) < 0)
		log_warn("dns: %s: %s", a->resolv_path, strerror(-e));
	log_info("dns: serving on %s:%d", addr, DNS_PORT);
	return 0;
}
