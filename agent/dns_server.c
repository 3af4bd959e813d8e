/* agent/dns_server.c: the agent's DNS server on cfg.dns_address:53 (UDP).
 * The host names are answered at once (dns.c); every other query goes,
 * unchanged but for a fresh random id, to the current upstream nameserver,
 * each from a socket of its own: bound by the kernel to a random ephemeral
 * port and connected to the upstream, so that only datagrams from the
 * upstream's address and port reach it. A reply there goes to the client
 * (its own id restored) only when its id and its question section are the
 * query's; anything else is dropped and the query keeps waiting. A forged
 * answer must therefore guess a 16-bit id and a port of ~28,000 while the
 * query is out, instead of the id alone on one known port (RFC 5452).
 *
 * A bounded table holds the forwards in flight; when it is full, when one
 * source holds DNS_INFLIGHT_PER_SOURCE of them, or when no upstream is
 * known, the client gets SERVFAIL at once rather than waiting for its
 * timeout. Each source address gets cfg.dns_rate queries per second (a
 * token bucket, burst twice that, peer.h); queries beyond are dropped
 * unanswered, so one container can neither flood the upstream through the
 * agent nor have the agent answer a forged source at any rate.
 *
 * TCP (a client's retry after a truncated reply, or `use-vc`) is not
 * parsed: each connection is relayed as a whole to the current upstream's
 * port 53 (fwd_proxy, on the guest budget), so large answers arrive intact;
 * the two host names are answered over UDP only (their answers are never
 * truncated). One server per process: its state is this file's, like the
 * loop it runs in. */
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
#define DNS_LOG_MS 10000         /* at most one "over the limit" line per this */

struct dns_pending {
	struct ev ev;                    /* its own socket, connected to upstream */
	struct sockaddr_storage client;
	socklen_t client_len;
	struct peer_addr source;         /* the client's address */
	struct sockaddr_in upstream;
	struct dns_query q;              /* the question as sent; q.id the upstream id */
	uint64_t deadline_ms;
	uint16_t client_id;
	bool used;
};

static struct dns_server {
	bool running;
	struct ev srv;                   /* clients' socket */
	struct listener tcp;             /* clients' TCP listener */
	struct in_addr self;
	uint8_t host[4];
	bool have_host;
	struct sockaddr_in up[DNS_UPSTREAM_MAX];
	size_t nup, cur;                 /* cur: the upstream asked now */
	struct dns_pending pend[DNS_PENDING_MAX];
	size_t npend;
	struct peer_counts inflight;     /* pending forwards per source address */
	struct peer_rates rates;         /* queries per second per source address */
	uint64_t limited, limited_logged_ms;
	uint8_t rnd[256];
	size_t rnd_left;
	uint64_t rnd_mix;
	uint8_t buf[65536];              /* any UDP datagram */
} S = { .srv.fd = -1, .tcp.ev.fd = -1 };

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

static struct dns_pending *pending_new(void)
{
	if (S.npend == DNS_PENDING_MAX)
		return NULL;
	for (size_t i = 0; i < DNS_PENDING_MAX; i++)
		if (!S.pend[i].used) {
			/* Each forward has a socket of its own: ids need not differ. */
			S.pend[i] = (struct dns_pending){ .used = true, .ev.fd = -1 };
			S.npend++;
			return &S.pend[i];
		}
	return NULL;
}

static void pending_free(struct agent *a, struct dns_pending *p)
{
	ev_del(a, &p->ev);
	peer_counts_put(&S.inflight, &p->source);
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

static void on_reply(struct agent *a, struct ev *e, uint32_t events);

/* A UDP socket bound to at (the server's own), or connected to it (a
 * forward's: connect() binds it to an ephemeral port the kernel picks at
 * random for each socket, and only at's datagrams reach it). */
static int udp_socket(const struct sockaddr_in *at, bool connected, int *out)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), e;

	if (fd < 0)
		return -errno;
	if ((connected ? connect(fd, (const struct sockaddr *)at, sizeof(*at))
		       : bind(fd, (const struct sockaddr *)at, sizeof(*at))) < 0) {
		e = -errno;
		close(fd);
		return e;
	}
	*out = fd;
	return 0;
}

/* Send p's query (S.buf[0..len), its id already p->q.id) from a new socket. */
static int pending_send(struct agent *a, struct dns_pending *p, size_t len)
{
	int e = udp_socket(&p->upstream, true, &p->ev.fd);

	if (e < 0)
		return e;
	p->ev.fn = on_reply;
	if ((e = ev_add(a, &p->ev, EPOLLIN)) < 0)
		return e;
	if (send(p->ev.fd, S.buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

/* Forward q (S.buf[0..len)) from src to the current upstream; -errno when
 * it could not be sent, the client then gets SERVFAIL. */
static int forward(struct agent *a, const struct dns_query *q, size_t len,
		   const struct sockaddr_storage *from, socklen_t fromlen,
		   const struct peer_addr *src)
{
	struct dns_pending *p;
	int e;

	if (S.nup == 0)
		return -ENETUNREACH;
	if ((e = peer_counts_take(&S.inflight, src)) < 0)
		return e;
	p = pending_new();
	if (!p) {
		peer_counts_put(&S.inflight, src);
		return -ENOBUFS;
	}
	p->client = *from;
	p->client_len = fromlen;
	p->source = *src;
	p->client_id = q->id;
	p->q = *q;
	p->q.id = random16();
	p->upstream = S.up[S.cur];
	p->deadline_ms = mono_ms() + DNS_PENDING_MS;
	dns_set_id(S.buf, p->q.id);
	e = pending_send(a, p, len);
	dns_set_id(S.buf, q->id);
	if (e < 0)
		pending_free(a, p);
	return e;
}

/* Over the source's rate: dropped without a word, and said in the log at
 * most every DNS_LOG_MS. */
static bool within_rate(const struct peer_addr *src, const struct sockaddr_storage *from,
			uint64_t now)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (peer_rates_allow(&S.rates, src, now))
		return true;
	S.limited++;
	if (S.limited_logged_ms && now - S.limited_logged_ms < DNS_LOG_MS)
		return false;
	if (from->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)from)->sin_addr, ip, sizeof(ip));
	else if (from->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)from)->sin6_addr, ip, sizeof(ip));
	log_info("dns: %s is over %u queries/s; %llu queries dropped so far", ip, S.rates.rate,
		 (unsigned long long)S.limited);
	S.limited_logged_ms = now;
	return false;
}

static void on_query_datagram(struct agent *a, size_t len, const struct sockaddr_storage *from,
			      socklen_t fromlen)
{
	uint8_t out[DNS_REPLY_MAX];
	struct dns_query q;
	struct peer_addr src;
	int r, olen;

	peer_addr_from(from, fromlen, &src);
	if (!within_rate(&src, from, mono_ms()))
		return;
	r = dns_parse_query(S.buf, len, &q);
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
	else if ((r = forward(a, &q, len, from, fromlen, &src)) == 0)
		return;
	else
		olen = dns_build_error(S.buf, len, &q, DNS_RCODE_SERVFAIL, out, sizeof(out));
	if (olen > 0)
		send_to(S.srv.fd, out, (size_t)olen, (const struct sockaddr *)from, fromlen);
}

/* Up to DNS_BATCH client datagrams into S.buf, each answered or forwarded. */
static void on_query(struct agent *a, struct ev *e, uint32_t events)
{
	(void)events;
	for (int i = 0; i < DNS_BATCH; i++) {
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(e->fd, S.buf, sizeof(S.buf), MSG_DONTWAIT,
				     (struct sockaddr *)&from, &fromlen);

		if (n < 0)
			return;
		on_query_datagram(a, (size_t)n, &from, fromlen);
	}
}

static bool same_upstream(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
	return a->sin_addr.s_addr == b->sin_addr.s_addr && a->sin_port == b->sin_port;
}

/* An upstream that refused a forward (ICMP port unreachable) or let one
 * expire is passed over for the next one: a dead first nameserver costs the
 * clients one timeout, not every query. */
static void pass_over(const struct dns_pending *p, const char *why)
{
	if (S.nup < 2 || !same_upstream(&p->upstream, &S.up[S.cur]))
		return;
	S.cur = (S.cur + 1) % S.nup;
	log_info("dns: %s %s; asking the next nameserver", inet_ntoa(p->upstream.sin_addr), why);
}

/* The upstream's datagrams on one forward's socket: the first that is the
 * reply to its query goes to the client; others are dropped. */
static void on_reply(struct agent *a, struct ev *e, uint32_t events)
{
	struct dns_pending *p = (struct dns_pending *)e;   /* ev is its first member */

	(void)events;
	for (int i = 0; i < DNS_BATCH; i++) {
		ssize_t n = recv(e->fd, S.buf, sizeof(S.buf), MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			pass_over(p, "refused a query");   /* ECONNREFUSED: nothing listens */
			pending_free(a, p);
			return;
		}
		if (!dns_reply_matches(S.buf, (size_t)n, &p->q)) {
			log_debug("dns: dropped a reply whose id or question is not the query's");
			continue;
		}
		dns_set_id(S.buf, p->client_id);
		send_to(S.srv.fd, S.buf, (size_t)n, (const struct sockaddr *)&p->client, p->client_len);
		pending_free(a, p);
		return;
	}
}

/* TCP: every connection goes whole to the upstream asked now. */
static void on_tcp(struct agent *a, struct ev *e, uint32_t events)
{
	unsigned idle = a->cfg.guest_idle_ms < DNS_TCP_IDLE_MS ? a->cfg.guest_idle_ms : DNS_TCP_IDLE_MS;

	(void)e;
	(void)events;
	for (int i = 0; i < DNS_BATCH; i++) {
		struct sockaddr_storage up = { 0 }, peer;
		struct peer_addr pa;
		socklen_t plen;
		int fd = listener_accept(a, &S.tcp, &peer, &plen);

		if (fd < 0)
			return;
		peer_addr_from(&peer, plen, &pa);
		memcpy(&up, &S.up[S.cur], sizeof(S.up[S.cur]));
		/* No upstream, or past the guest budget: the client moves on as
		 * with a refusal. */
		if (S.nup == 0 || fwd_proxy(a, fd, &(struct fwd_proxy){ .target = &up,
				.target_len = sizeof(S.up[S.cur]), .peer = &pa, .idle_ms = idle }) < 0)
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

void dns_sweep(struct agent *a, uint64_t now)
{
	if (S.npend == 0)
		return;
	for (size_t i = 0; i < DNS_PENDING_MAX; i++) {
		struct dns_pending *p = &S.pend[i];
		char why[64];

		if (!p->used || now < p->deadline_ms)
			continue;
		snprintf(why, sizeof(why), "did not answer in %u ms", DNS_PENDING_MS);
		pass_over(p, why);
		pending_free(a, p);
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

static int open_sockets(struct agent *a, const struct sockaddr_in *sa)
{
	int e, fd = -1;

	if ((e = peer_counts_init(&S.inflight, DNS_PENDING_MAX, DNS_INFLIGHT_PER_SOURCE)) < 0)
		return e;
	peer_rates_init(&S.rates, a->cfg.dns_rate, 2 * a->cfg.dns_rate);
	S.srv.fn = on_query;
	if ((e = udp_socket(sa, false, &S.srv.fd)) < 0 || (e = ev_add(a, &S.srv, EPOLLIN)) < 0) {
		ev_del(a, &S.srv);
		peer_counts_free(&S.inflight);
		return e;
	}
	if ((e = tcp_listener(sa, &fd)) < 0 ||
	    (e = listener_add(a, &S.tcp, fd, on_tcp, "DNS over TCP")) < 0) {
		log_warn("dns: TCP %s:%d: %s; UDP only", inet_ntoa(sa->sin_addr), DNS_PORT, strerror(-e));
		listener_close(a, &S.tcp);   /* closes fd when listener_add took it */
	}
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
	if ((e = open_sockets(a, &sa)) < 0) {
		log_warn("dns: %s:%d: %s; no DNS server", addr, DNS_PORT, strerror(-e));
		return e;
	}
	S.running = true;
	netconf_resolv_first(addr);
	load_resolv(a->resolv_path, &nc);
	dns_server_set_upstreams(&nc);
	if ((e = netconf_write_resolv(&nc, a->resolv_path)) < 0)
		log_warn("dns: %s: %s", a->resolv_path, strerror(-e));
	log_info("dns: serving on %s:%d (at most %u queries/s per source)", addr, DNS_PORT,
		 a->cfg.dns_rate);
	return 0;
}
