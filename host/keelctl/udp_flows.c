/* host/keelctl/udp_flows.c: see udp_flows.h. */
#include "udp_flows.h"
#include "dgram.h"
#include "relay_thread.h"
#include "rpc.h"
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define UDP_FLOWS_MAX 256

struct udp_flow {
	bool used;
	int host_fd, stream;
	struct sockaddr_storage peer;
	socklen_t peer_len;
};

static struct udp_flow flows[UDP_FLOWS_MAX];
static pthread_mutex_t flows_lock = PTHREAD_MUTEX_INITIALIZER;

static void *udp_flow_run(void *arg)
{
	struct udp_flow *f = arg;
	uint8_t buf[DGRAM_BUF];
	struct pollfd p = { f->stream, POLLIN, 0 };
	size_t n;

	while (poll(&p, 1, FWD_UDP_IDLE_S * 1000) > 0 && dgram_read(f->stream, buf, &n) == 0)
		sendto(f->host_fd, buf + DGRAM_HDR, n, 0, (struct sockaddr *)&f->peer, f->peer_len);
	pthread_mutex_lock(&flows_lock);
	close(f->stream);
	f->used = false;
	pthread_mutex_unlock(&flows_lock);
	return NULL;
}

void udp_flows_close(int host_fd)
{
	pthread_mutex_lock(&flows_lock);
	for (int i = 0; i < UDP_FLOWS_MAX; i++)
		if (flows[i].used && flows[i].host_fd == host_fd)
			shutdown(flows[i].stream, SHUT_RDWR);
	pthread_mutex_unlock(&flows_lock);
}

static struct udp_flow *udp_flow_get(const struct target *t, int host_fd, const char *addr,
				     unsigned port, const struct sockaddr_storage *peer, socklen_t plen)
{
	struct udp_flow *f = NULL;
	char err[256];
	pthread_t th;
	int fd;

	pthread_mutex_lock(&flows_lock);
	for (int i = 0; i < UDP_FLOWS_MAX && !f; i++)
		if (flows[i].used && flows[i].host_fd == host_fd && flows[i].peer_len == plen &&
		    !memcmp(&flows[i].peer, peer, plen))
			f = &flows[i];
	pthread_mutex_unlock(&flows_lock);
	if (f)
		return f;
	if (forward_open(t, KEEL__TRANSPORT__TRANSPORT_UDP, addr, port, NULL, &fd, err, sizeof(err)) < 0) {
		fprintf(stderr, "keelctl: udp forward to guest port %u: %s\n", port, err);
		return NULL;
	}
	pthread_mutex_lock(&flows_lock);
	for (int i = 0; i < UDP_FLOWS_MAX && !f; i++)
		if (!flows[i].used)
			f = &flows[i];
	if (f) {
		*f = (struct udp_flow){ true, host_fd, fd, *peer, plen };
		if (pthread_create(&th, NULL, udp_flow_run, f) == 0)
			pthread_detach(th);
		else
			f->used = false, f = NULL;
	}
	pthread_mutex_unlock(&flows_lock);
	if (!f)
		close(fd);
	return f;
}

void udp_flows_forward(const struct target *t, int host_fd, const char *addr, unsigned port)
{
	uint8_t buf[DGRAM_BUF];
	struct sockaddr_storage peer;
	socklen_t plen = sizeof(peer);
	ssize_t n = recvfrom(host_fd, buf + DGRAM_HDR, DGRAM_MAX, MSG_DONTWAIT,
			     (struct sockaddr *)&peer, &plen);
	struct udp_flow *f;

	if (n < 0)
		return;
	f = udp_flow_get(t, host_fd, addr, port, &peer, plen);
	if (!f)
		return;
	if (dgram_write(f->stream, buf, (size_t)n) < 0)
		shutdown(f->stream, SHUT_RDWR);
}
