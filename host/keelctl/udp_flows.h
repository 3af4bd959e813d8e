/* host/keelctl/udp_flows.h: published UDP ports (publish.c): one forward
 * stream (TRANSPORT_UDP, framed datagrams, proto/dgram.h) per host peer
 * address and port; a thread per flow carries the replies back with sendto
 * on the shared host socket. A flow idle for FWD_UDP_IDLE_S ends. */
#ifndef KEELCTL_UDP_FLOWS_H
#define KEELCTL_UDP_FLOWS_H
#include "conn.h"

/* The datagram waiting on host_fd goes to its peer's flow to guest
 * addr:port (opened on the peer's first datagram). */
void udp_flows_forward(const struct target *t, int host_fd, const char *addr, unsigned port);
/* Shut the streams of a host socket that is being closed; threads end. */
void udp_flows_close(int host_fd);
#endif
