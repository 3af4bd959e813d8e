/* request.c: the request decoder. Everything that arrives from a peer passes
 * through bindd_parse_request before anything else looks at it, so it accepts
 * exactly one spelling of a request and nothing else. */
#include "request.h"
#include "../bindd-client/bindd_proto.h"
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define NFIELDS 4

static int refuse(const char **why, const char *text, int err)
{
	*why = text;
	return err;
}

/* Split line (NUL-terminated, no newline) at single spaces into exactly
 * NFIELDS non-empty fields. */
static bool split_fields(char *line, char *field[NFIELDS])
{
	int n = 0;
	char *p = line;

	for (;;) {
		if (n == NFIELDS || *p == ' ' || *p == '\0')
			return false;	/* too many, or an empty field */
		field[n++] = p;
		p = strchr(p, ' ');
		if (!p)
			return n == NFIELDS;
		*p++ = '\0';
	}
}

/* Strict decimal 0..65535: digits only, no sign, no leading zero. */
static bool parse_port(const char *s, uint16_t *port)
{
	unsigned long v = 0;
	size_t n = strlen(s);

	if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

static int parse_address(const char *s, struct bindd_req *req, const char **why)
{
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, &req->addr.v6) != 1)
			return refuse(why, "bad IPv6 address", -EINVAL);
		/* ::ffff:a.b.c.d would be an IPv4 bind the address policy
		 * would have to see through; one spelling per address. */
		if (IN6_IS_ADDR_V4MAPPED(&req->addr.v6))
			return refuse(why, "IPv4-mapped address: use the IPv4 form", -EINVAL);
		req->family = AF_INET6;
		return 0;
	}
	if (inet_pton(AF_INET, s, &req->addr.v4) != 1)
		return refuse(why, "bad IPv4 address", -EINVAL);
	req->family = AF_INET;
	return 0;
}

int bindd_parse_request(const char *buf, size_t len, struct bindd_req *req,
			const char **why)
{
	char line[BINDD_LINE_MAX];
	char *field[NFIELDS];

	memset(req, 0, sizeof(*req));
	if (len > BINDD_LINE_MAX)
		return refuse(why, "request longer than 128 bytes", -EMSGSIZE);
	if (len == 0 || buf[len - 1] != '\n')
		return refuse(why, "request is not one line", -EINVAL);
	for (size_t i = 0; i < len - 1; i++) {
		unsigned char c = (unsigned char)buf[i];
		if (c < 0x20 || c > 0x7e)
			return refuse(why, "request has a control or non-ASCII byte", -EINVAL);
	}
	memcpy(line, buf, len - 1);
	line[len - 1] = '\0';
	if (!split_fields(line, field))
		return refuse(why, "expected: BIND tcp|udp ADDRESS PORT", -EINVAL);
	if (strcmp(field[0], "BIND") != 0)
		return refuse(why, "unknown command", -EINVAL);
	if (strcmp(field[1], "tcp") == 0)
		req->transport = BINDD_TCP;
	else if (strcmp(field[1], "udp") == 0)
		req->transport = BINDD_UDP;
	else
		return refuse(why, "transport must be tcp or udp", -EINVAL);
	if (parse_address(field[2], req, why) < 0)
		return -EINVAL;
	if (!parse_port(field[3], &req->port))
		return refuse(why, "bad port", -EINVAL);
	*why = "ok";
	return 0;
}

static bool is_loopback(const struct bindd_req *req)
{
	if (req->family == AF_INET)
		return (ntohl(req->addr.v4.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&req->addr.v6);
}

int bindd_check_policy(const struct bindd_req *req, bool allow_any,
		       const char **why)
{
	if (req->port == 0 || req->port > BINDD_PORT_MAX)
		return refuse(why, "port outside 1-1023 needs no privilege", -EPERM);
	if (!allow_any && !is_loopback(req))
		return refuse(why, "only loopback addresses (no --allow-any-address)", -EPERM);
	*why = "ok";
	return 0;
}

const char *bindd_transport_name(int transport)
{
	return transport == BINDD_UDP ? "udp" : transport == BINDD_TCP ? "tcp" : "?";
}

void bindd_format_target(const struct bindd_req *req, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(req->family, &req->addr, a, sizeof(a));
	snprintf(buf, len, req->family == AF_INET6 ? "[%s]:%u" : "%s:%u",
		 a, (unsigned)req->port);
}
