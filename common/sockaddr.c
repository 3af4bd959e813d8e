/* common/sockaddr.c: see sockaddr.h. */
#include "sockaddr.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

int sockaddr_from_ip(const char *ip, unsigned port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
	} else if (inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
	} else {
		return -EINVAL;
	}
	return 0;
}

int sockaddr_from_path(const char *path, struct sockaddr_un *su)
{
	size_t n = strlen(path);

	memset(su, 0, sizeof(*su));
	if (n == 0)
		return -EINVAL;
	if (n >= sizeof(su->sun_path))
		return -ENAMETOOLONG;
	su->sun_family = AF_UNIX;
	memcpy(su->sun_path, path, n + 1);
	return 0;
}
