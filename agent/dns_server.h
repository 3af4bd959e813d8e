/* agent/dns_server.h: the agent's DNS server in the epoll loop
 * (dns_server.c; the codec is dns.h) and the one owner of the guest's DNS
 * state: the upstream nameservers and the resolv.conf that names them. */
#ifndef KEEL_DNS_SERVER_H
#define KEEL_DNS_SERVER_H
#include "dns.h"
#include "listener.h"
#include "loop.h"
#include "netconf.h"
#include "peer.h"
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define DNS_PENDING_MAX 512
#define DNS_PENDING_MS 5000
#define DNS_INFLIGHT_PER_SOURCE 128  /* pending forwards of one source address */
#define DNS_TCP_IDLE_MS 10000        /* a DNS-over-TCP connection with no traffic ends */
#define DNS_UPSTREAM_MAX 3

/* One query forwarded upstream, waiting for its reply. */
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

struct dns_server {
	struct resolv_conf resolv;       /* written whether the server runs or not */
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
};

/* No server yet; the resolv.conf is run_dir/resolv.conf. */
void dns_server_init(struct dns_server *s, const char *run_dir);
/* Bind cfg.dns_address:53 (UDP and TCP); on success the resolv.conf lists
 * that address first from now on, and is written at once with the
 * upstreams it already listed (an agent restart keeps them). */
int dns_server_start(struct agent *a);
/* The nameservers of a --net or NetConfig: forwarded queries go to the
 * first IPv4 one (the server's own address is skipped), and the resolv.conf
 * is written with them. 0 or the write's -errno. */
int dns_set_nameservers(struct agent *a, const struct netconf *nc);
/* Pending forwards older than DNS_PENDING_MS are dropped. */
void dns_sweep(struct agent *a, uint64_t now);
#endif
