/* common/sockaddr.h: a numeric IPv4 or IPv6 address and a port, or a unix
 * socket path, as a sockaddr (no resolver: callers that accept names
 * resolve first). */
#ifndef KEEL_SOCKADDR_H
#define KEEL_SOCKADDR_H
#include <sys/socket.h>
#include <sys/un.h>

/* 0, or -EINVAL when ip is neither a numeric IPv4 nor IPv6 address. */
int sockaddr_from_ip(const char *ip, unsigned port, struct sockaddr_storage *ss, socklen_t *len);
/* 0, or -ENAMETOOLONG when path (with its NUL) does not fit sun_path, or
 * -EINVAL when it is empty. */
int sockaddr_from_path(const char *path, struct sockaddr_un *su);
#endif
