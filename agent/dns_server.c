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
 * truncated). Its state is the agent's (agent.dns). */
#include "dns_server.h"
#include "agent.h"
#include "clock.h"
#include "forward.h"
#include "log.h"
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
#define DNS_RESOLV_READ_MAX 4096
#define DNS_LOG_MS 10000         /* at most one "over the limit" line per this */

/* splitmix64: only when getrandom has nothing yet (very early boot). */
static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint16_t random16(struct dns_server *s)
{
	if (s->rnd_left < 2) {
		ssize_t n = getrandom(s->rnd, sizeof(s->rnd), GRND_NONBLOCK);

		if (n != (ssize_t)sizeof(s->rnd)) {
			s->rnd_mix = mix64(s->rnd_mix ^ mono_ns());
			return (uint16_t)s->rnd_mix;
		}
		s->rnd_left = sizeof(s->rnd);
	}
	s->rnd_left -= 2;
	return (uint16_t)(s->rnd[s->rnd_left] << 8 | s->rnd[s->rnd_left + 1]);
}

static struct dns_pending *pending_new(struct dns_server *s)
{
	if (s->npend == DNS_PENDING_MAX)
		return NULL;
	for (size_t i = 0; i < DNS_PENDING_MAX; i++)
		if (!s->pend[i].used) {
			/* Each forward has a socket of its own: ids need not differ. */
			s->pend[i] = (struct dns_pending){ .used = true, .ev.fd = -1 };
			s->npend++;
			return &s->pend[i];
		}
	return NULL;
}

static void pending_free(struct agent *a, struct dns_pending *p)
{
	struct dns_server *s = &a->dns;

	ev_del(a, &p->ev);
	peer_counts_put(&s->inflight, &p->source);
	p->used = false;
	s->npend--;
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

/* Send p's query (s->buf[0..len), its id already p->q.id) from a new socket. */
static int pending_send(struct agent *a, struct dns_pending *p, size_t len)
{
	struct dns_server *s = &a->dns;
	int e = udp_socket(&p->upstream, true, &p->ev.fd);

	if (e < 0)
		return e;
	p->ev.fn = on_reply;
	if ((e = ev_add(a, &p->ev, EPOLLIN)) < 0)
		return e;
	if (send(p->ev.fd, s->buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		return -errno;
	return 0;
}

/* Forward q (s->buf[0..len)) from src to the current upstream; -errno when
 * it could not be sent, the client then gets SERVFAIL. */
static int forward(struct agent *a, const struct dns_query *q, size_t len,
		   const struct sockaddr_storage *from, socklen_t fromlen,
		   const struct peer_addr *src)
{
	struct dns_server *s = &a->dns;
	struct dns_pending *p;
	int e;

	if (s->nup == 0)
		return -ENETUNREACH;
	if ((e = peer_counts_take(&s->inflight, src)) < 0)
		return e;
	p = pending_new(s);
	if (!p) {
		peer_counts_put(&s->inflight, src);
		return -ENOBUFS;
	}
	p->client = *from;
	p->client_len = fromlen;
	p->source = *src;
	p->client_id = q->id;
	p->q = *q;
	p->q.id = random16(s);
	p->upstream = s->up[s->cur];
	p->deadline_ms = mono_ms() + DNS_PENDING_MS;
	dns_set_id(s->buf, p->q.id);
	e = pending_send(a, p, len);
	dns_set_id(s->buf, q->id);
	if (e < 0)
		pending_free(a, p);
	return e;
}

/* Over the source's rate: dropped without a word, and said in the log at
 * most every DNS_LOG_MS. */
static bool within_rate(struct dns_server *s, const struct peer_addr *src,
			const struct sockaddr_storage *from, uint64_t now)
{
	char ip[INET6_ADDRSTRLEN] = "?";

	if (peer_rates_allow(&s->rates, src, now))
		return true;
	s->limited++;
	if (s->limited_logged_ms && now - s->limited_logged_ms < DNS_LOG_MS)
		return false;
	if (from->ss_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)from)->sin_addr, ip, sizeof(ip));
	else if (from->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)from)->sin6_addr, ip, sizeof(ip));
	log_info("dns: %s is over %u queries/s; %llu queries dropped so far", ip, s->rates.rate,
		 (unsigned long long)s->limited);
	s->limited_logged_ms = now;
	return false;
}

static void on_query_datagram(struct agent *a, size_t len, const struct sockaddr_storage *from,
			      socklen_t fromlen)
{
	struct dns_server *s = &a->dns;
	uint8_t out[DNS_REPLY_MAX];
	struct dns_query q;
	struct peer_addr src;
	int r, olen;

	peer_addr_from(from, fromlen, &src);
	if (!within_rate(s, &src, from, mono_ms()))
		return;
	r = dns_parse_query(s->buf, len, &q);
	if (r == -EOPNOTSUPP)
		olen = dns_build_error(s->buf, len, NULL, DNS_RCODE_NOTIMP, out, sizeof(out));
	else if (r < 0)
		/* A response sent here is dropped, never answered: two servers
		 * must not be able to bounce errors at each other. */
		olen = len >= DNS_HEADER_LEN && !(s->buf[2] & 0x80)
			? dns_build_error(s->buf, len, NULL, DNS_RCODE_FORMERR, out, sizeof(out))
			: -EBADMSG;
	else if (dns_decide(&q) == DNS_LOCAL)
		olen = dns_build_local(s->buf, &q, s->have_host ? s->host : NULL, out, sizeof(out));
	else if ((r = forward(a, &q, len, from, fromlen, &src)) == 0)
		return;
	else
		olen = dns_build_error(s->buf, len, &q, DNS_RCODE_SERVFAIL, out, sizeof(out));
	if (olen > 0)
		send_to(s->srv.fd, out, (size_t)olen, (const struct sockaddr *)from, fromlen);
}

/* Up to DNS_BATCH client datagrams into s->buf, each answered or forwarded. */
static void on_query(struct agent *a, struct ev *e, uint32_t events)
{
	struct dns_server *s = &a->dns;

	(void)events;
	for (int i = 0; i < DNS_BATCH; i++) {
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		ssize_t n = recvfrom(e->fd, s->buf, sizeof(s->buf), MSG_DONTWAIT,
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
static void pass_over(struct dns_server *s, const struct dns_pending *p, const char *why)
{
	if (s->nup < 2 || !same_upstream(&p->upstream, &s->up[s->cur]))
		return;
	s->cur = (s->cur + 1) % s->nup;
	log_info("dns: %s %s; asking the next nameserver", inet_ntoa(p->upstream.sin_addr), why);
}

/* The upstream's datagrams on one forward's socket: the first that is the
 * reply to its query goes to the client; others are dropped. */
static void on_reply(struct agent *a, struct ev *e, uint32_t events)
{
	struct dns_server *s = &a->dns;
	struct dns_pending *p = (struct dns_pending *)e;   /* ev is its first member */

	(void)events;
	for (int i = 0; i < DNS_BATCH; i++) {
		ssize_t n = recv(e->fd, s->buf, sizeof(s->buf), MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			pass_over(s, p, "refused a query");   /* ECONNREFUSED: nothing listens */
			pending_free(a, p);
			return;
		}
		if (!dns_reply_matches(s->buf, (size_t)n, &p->q)) {
			log_debug("dns: dropped a reply whose id or question is not the query's");
			continue;
		}
		dns_set_id(s->buf, p->client_id);
		send_to(s->srv.fd, s->buf, (size_t)n, (const struct sockaddr *)&p->client, p->client_len);
		pending_free(a, p);
		return;
	}
}

/* TCP: every connection goes whole to the upstream asked now. */
static void on_tcp(struct agent *a, struct ev *e, uint32_t events)
{
	struct dns_server *s = &a->dns;
	unsigned idle = a->cfg.guest_idle_ms < DNS_TCP_IDLE_MS ? a->cfg.guest_idle_ms : DNS_TCP_IDLE_MS;

	(void)e;
	(void)events;
	for (int i = 0; i < DNS_BATCH; i++) {
		struct sockaddr_storage up = { 0 }, peer;
		struct peer_addr pa;
		socklen_t plen;
		int fd = listener_accept(a, &s->tcp, &peer, &plen);

		if (fd < 0)
			return;
		peer_addr_from(&peer, plen, &pa);
		memcpy(&up, &s->up[s->cur], sizeof(s->up[s->cur]));
		/* No upstream, or past the guest budget: the client moves on as
		 * with a refusal. */
		if (s->nup == 0 || fwd_proxy(a, fd, &(struct fwd_proxy){ .target = &up,
				.target_len = sizeof(s->up[s->cur]), .peer = &pa, .idle_ms = idle }) < 0)
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
	struct dns_server *s = &a->dns;

	if (s->npend == 0)
		return;
	for (size_t i = 0; i < DNS_PENDING_MAX; i++) {
		struct dns_pending *p = &s->pend[i];
		char why[64];

		if (!p->used || now < p->deadline_ms)
			continue;
		snprintf(why, sizeof(why), "did not answer in %u ms", DNS_PENDING_MS);
		pass_over(s, p, why);
		pending_free(a, p);
	}
}

static void set_upstreams(struct dns_server *s, const struct netconf *nc)
{
	s->nup = 0;
	s->cur = 0;
	for (size_t i = 0; i < nc->ndns && i < sizeof(nc->dns) / sizeof(nc->dns[0]); i++) {
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(DNS_PORT) };

		if (inet_pton(AF_INET, nc->dns[i], &sa.sin_addr) != 1) {
			log_info("dns: nameserver %s not forwarded to (IPv4 only)", nc->dns[i]);
			continue;
		}
		/* Forwarding to ourselves would loop each query until it expires. */
		if (sa.sin_addr.s_addr == s->self.s_addr || s->nup == DNS_UPSTREAM_MAX)
			continue;
		s->up[s->nup++] = sa;
	}
	if (s->running)
		log_info("dns: %zu upstream nameserver(s)", s->nup);
}

/* The upstreams a resolv.conf of an earlier run named ("# upstream X", or
 * "nameserver X" from a run without this server), ours excluded. */
static void load_resolv(const struct dns_server *s, struct netconf *nc)
{
	char buf[DNS_RESOLV_READ_MAX + 1], *line, *save = NULL;
	int fd = open(s->resolv.path, O_RDONLY | O_CLOEXEC);
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
		if (inet_pton(AF_INET, addr, &any) == 1 && memcmp(&any, &s->self, 4) == 0)
			continue;
		memcpy(nc->dns[nc->ndns++], addr, strlen(addr) + 1);
	}
}

static int open_sockets(struct agent *a, const struct sockaddr_in *sa)
{
	struct dns_server *s = &a->dns;
	int e, fd = -1;

	if ((e = peer_counts_init(&s->inflight, DNS_PENDING_MAX, DNS_INFLIGHT_PER_SOURCE)) < 0)
		return e;
	peer_rates_init(&s->rates, a->cfg.dns_rate, 2 * a->cfg.dns_rate);
	s->srv.fn = on_query;
	if ((e = udp_socket(sa, false, &s->srv.fd)) < 0 || (e = ev_add(a, &s->srv, EPOLLIN)) < 0) {
		ev_del(a, &s->srv);
		peer_counts_free(&s->inflight);
		return e;
	}
	if ((e = tcp_listener(sa, &fd)) < 0 ||
	    (e = listener_add(a, &s->tcp, fd, on_tcp, "DNS over TCP")) < 0) {
		log_warn("dns: TCP %s:%d: %s; UDP only", inet_ntoa(sa->sin_addr), DNS_PORT, strerror(-e));
		listener_close(a, &s->tcp);   /* closes fd when listener_add took it */
	}
	return 0;
}

void dns_server_init(struct dns_server *s, const char *run_dir)
{
	s->srv.fd = -1;
	s->tcp.ev.fd = -1;
	snprintf(s->resolv.path, sizeof(s->resolv.path), "%s/resolv.conf", run_dir);
}

int dns_server_start(struct agent *a)
{
	struct dns_server *s = &a->dns;
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
	s->have_host = inet_pton(AF_INET, a->cfg.host_address, s->host) == 1;
	s->self = sa.sin_addr;
	if ((e = open_sockets(a, &sa)) < 0) {
		log_warn("dns: %s:%d: %s; no DNS server", addr, DNS_PORT, strerror(-e));
		return e;
	}
	s->running = true;
	netconf_resolv_first(&s->resolv, addr);
	load_resolv(s, &nc);
	set_upstreams(s, &nc);
	if ((e = netconf_write_resolv(&s->resolv, &nc)) < 0)
		log_warn("dns: %s: %s", s->resolv.path, strerror(-e));
	log_info("dns: serving on %s:%d (at most %u queries/s per source)", addr, DNS_PORT,
		 a->cfg.dns_rate);
	return 0;
}

int dns_set_nameservers(struct agent *a, const struct netconf *nc)
{
	set_upstreams(&a->dns, nc);
	return netconf_write_resolv(&a->dns.resolv, nc);
}
