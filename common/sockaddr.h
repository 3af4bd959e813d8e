/* common/sockaddr.h: a numeric IPv4 or IPv6 address and a port as a
 * sockaddr (no resolver: callers that accept names resolve first). */
#ifndef KEEL_SOCKADDR_H
#define KEEL_SOCKADDR_H
#include <sys/socket.h>

/* 0, or -EINVAL when ip is neither a numeric IPv4 nor IPv6 address. */
int sockaddr_from_ip(const char *ip, unsigned port, struct sockaddr_storage *ss, socklen_t *len);
#endif
