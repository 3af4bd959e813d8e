/* request.h: decoding and policy of one keel-bindd request line
 * (format in host/bindd-client/bindd_proto.h). Pure functions: no I/O. */
#ifndef KEEL_BINDD_REQUEST_H
#define KEEL_BINDD_REQUEST_H
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bindd_req {
	int transport;			/* BINDD_TCP or BINDD_UDP */
	int family;			/* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;
	uint16_t port;			/* 0..65535; policy narrows it */
};

/* Decode buf[0..len) into req. The whole line is checked: length, one
 * trailing newline, printable ASCII, single spaces, four fields, strict
 * decimal port, an address inet_pton accepts. Returns 0, -EMSGSIZE (too
 * long) or -EINVAL; *why is a static text for the reply either way. */
int bindd_parse_request(const char *buf, size_t len, struct bindd_req *req,
			const char **why);

/* Whether a well-formed request may be granted: port 1..1023 and, unless
 * allow_any, a loopback address. 0 or -EPERM with *why set. */
int bindd_check_policy(const struct bindd_req *req, bool allow_any,
		       const char **why);

/* "tcp" or "udp" */
const char *bindd_transport_name(int transport);
/* "ADDR:PORT" ("[ADDR]:PORT" for IPv6) into buf for logs. */
void bindd_format_target(const struct bindd_req *req, char *buf, size_t len);
#endif
