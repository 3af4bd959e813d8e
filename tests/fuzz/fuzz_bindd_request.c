/* libFuzzer harness for keel-bindd's request decoder (host/keel-bindd/
 * request.c) and, on the same bytes, the client library's reply reader
 * (host/bindd-client/bindd_client.c). Besides ASan/UBSan it asserts what the
 * decoder promises: only 0, -EINVAL or -EMSGSIZE; a printable reason; an
 * accepted request is one line of at most 128 bytes, and its canonical
 * spelling decodes to the same request; policy grants only ports 1-1023. */
#include "host/keel-bindd/request.c"
#include "host/bindd-client/bindd_client.c"
#include <stdint.h>
#include <stdlib.h>

static void check_text(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n >= max)
		abort();
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			abort();
}

static void check_accepted(const char *buf, size_t len, const struct bindd_req *req)
{
	char a[INET6_ADDRSTRLEN], line[BINDD_LINE_MAX + 64];
	struct bindd_req again;
	const char *why;
	int n;

	if (len > BINDD_LINE_MAX || buf[len - 1] != '\n' || memchr(buf, '\n', len - 1) ||
	    memchr(buf, '\0', len))
		abort();
	if ((req->transport != BINDD_TCP && req->transport != BINDD_UDP) ||
	    (req->family != AF_INET && req->family != AF_INET6))
		abort();
	if (req->family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&req->addr.v6))
		abort();
	if (!inet_ntop(req->family, &req->addr, a, sizeof(a)))
		abort();
	n = snprintf(line, sizeof(line), "BIND %s %s %u\n", bindd_transport_name(req->transport),
		     a, (unsigned)req->port);
	if (bindd_parse_request(line, (size_t)n, &again, &why) != 0 ||
	    memcmp(&again, req, sizeof(again)) != 0)
		abort();
	int p = bindd_check_policy(req, len & 1, &why);
	if (p != 0 && p != -EPERM)
		abort();
	if (p == 0 && (req->port == 0 || req->port > BINDD_PORT_MAX))
		abort();
	check_text(why, 80);
}

static void drive_reply(const uint8_t *data, size_t size)
{
	char line[BINDD_LINE_MAX + 1], err[64];

	if (size > BINDD_LINE_MAX)
		size = BINDD_LINE_MAX;
	memcpy(line, data, size);
	line[size] = '\0';
	/* No fd came with these bytes: whatever they say, no success. */
	if (interpret_reply(line, -1, BINDD_TCP, err, sizeof(err)) >= 0)
		abort();
	if (!memchr(err, '\0', sizeof(err)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bindd_req req;
	const char *why = NULL;
	int r = bindd_parse_request((const char *)data, size, &req, &why);

	if (r != 0 && r != -EINVAL && r != -EMSGSIZE)
		abort();
	if (!why)
		abort();
	check_text(why, 80);
	if (r == 0)
		check_accepted((const char *)data, size, &req);
	drive_reply(data, size);
	return 0;
}
