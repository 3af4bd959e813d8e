/* Unit tests: common/sockaddr.c, numeric addresses and unix socket paths
 * as sockaddrs. */
#include "sockaddr.h"
#include <errno.h>
#include <netinet/in.h>
#include "harness.h"

TEST(ip_addresses)
{
	struct sockaddr_storage ss;
	socklen_t len;

	CHECK_EQ_INT(sockaddr_from_ip("127.0.0.1", 8080, &ss, &len), 0);
	CHECK_EQ_INT(ss.ss_family, AF_INET);
	CHECK_EQ_INT(len, sizeof(struct sockaddr_in));
	CHECK_EQ_INT(ntohs(((struct sockaddr_in *)&ss)->sin_port), 8080);
	CHECK_EQ_INT(sockaddr_from_ip("::1", 53, &ss, &len), 0);
	CHECK_EQ_INT(ss.ss_family, AF_INET6);
	CHECK_EQ_INT(sockaddr_from_ip("localhost", 53, &ss, &len), -EINVAL);   /* no resolver */
	CHECK_EQ_INT(sockaddr_from_ip("", 53, &ss, &len), -EINVAL);
}

TEST(unix_paths)
{
	struct sockaddr_un su;
	char longest[sizeof(su.sun_path)], too_long[sizeof(su.sun_path) + 1];

	CHECK_EQ_INT(sockaddr_from_path("/run/docker.sock", &su), 0);
	CHECK_EQ_INT(su.sun_family, AF_UNIX);
	CHECK_EQ_STR(su.sun_path, "/run/docker.sock");
	memset(longest, 'a', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = 0;          /* 107 bytes and the NUL: fits */
	CHECK_EQ_INT(sockaddr_from_path(longest, &su), 0);
	CHECK_EQ_INT(strlen(su.sun_path), sizeof(su.sun_path) - 1);
	memset(too_long, 'a', sizeof(too_long) - 1);
	too_long[sizeof(too_long) - 1] = 0;        /* 108 bytes: no room for the NUL */
	CHECK_EQ_INT(sockaddr_from_path(too_long, &su), -ENAMETOOLONG);
	CHECK_EQ_INT(sockaddr_from_path("", &su), -EINVAL);
}

RUN_TESTS(RUN(ip_addresses); RUN(unix_paths))
