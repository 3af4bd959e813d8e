/* Unit tests of keel-bindd's request decoder and policy, the shared errno
 * table, and the client library's argument checks and reply reader. */
#include "host/keel-bindd/request.c"
#include "host/bindd-client/bindd_client.c"
#include "harness.h"

static int parse(const char *line, struct bindd_req *req)
{
	const char *why;
	return bindd_parse_request(line, strlen(line), req, &why);
}

TEST(bindd_parse_valid)
{
	static const struct { const char *line; int t, fam; unsigned port; } ok[] = {
		{ "BIND tcp 127.0.0.1 80\n", BINDD_TCP, AF_INET, 80 },
		{ "BIND udp ::1 53\n", BINDD_UDP, AF_INET6, 53 },
		{ "BIND tcp 0.0.0.0 1\n", BINDD_TCP, AF_INET, 1 },
		{ "BIND tcp :: 0\n", BINDD_TCP, AF_INET6, 0 },	/* syntax ok; policy refuses */
		{ "BIND udp 192.168.1.20 65535\n", BINDD_UDP, AF_INET, 65535 },
		{ "BIND tcp 2001:db8::7 443\n", BINDD_TCP, AF_INET6, 443 },
	};
	struct bindd_req req;
	char buf[64];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		CHECK_EQ_INT(parse(ok[i].line, &req), 0);
		CHECK_EQ_INT(req.transport, ok[i].t);
		CHECK_EQ_INT(req.family, ok[i].fam);
		CHECK_EQ_INT(req.port, ok[i].port);
	}
	parse("BIND tcp ::1 8\n", &req);
	bindd_format_target(&req, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "[::1]:8");
}

TEST(bindd_parse_invalid)
{
	static const struct { const char *line; int err; } bad[] = {
		{ "", -EINVAL }, { "\n", -EINVAL }, { "BIND tcp 127.0.0.1 80", -EINVAL },
		{ "BIND tcp 127.0.0.1 80\n\n", -EINVAL }, { "BIND tcp 127.0.0.1 80 \n", -EINVAL },
		{ "BIND tcp 127.0.0.1\n", -EINVAL }, { "BIND udp  ::1 53\n", -EINVAL },
		{ "BIND\ttcp 127.0.0.1 80\n", -EINVAL }, { "BIND TCP 127.0.0.1 80\n", -EINVAL },
		{ "BINDX tcp 127.0.0.1 80\n", -EINVAL }, { "BIND tcp 127.0.0.01 80\n", -EINVAL },
		{ "BIND tcp 1.2.3 80\n", -EINVAL }, { "BIND tcp ::ffff:1.2.3.4 80\n", -EINVAL },
		{ "BIND tcp ::1%1 80\n", -EINVAL }, { "BIND tcp 127.0.0.1 -1\n", -EINVAL },
		{ "BIND tcp 127.0.0.1 65536\n", -EINVAL }, { "BIND tcp 127.0.0.1 00\n", -EINVAL },
		{ "BIND tcp 127.0.0.1 123456\n", -EINVAL }, { "BIND tcp 127.0.0.1 8\xb0\n", -EINVAL },
	};
	struct bindd_req req;
	char longline[200];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ_INT(parse(bad[i].line, &req), bad[i].err);
	/* NUL inside: the length, not the terminator, bounds the line. */
	const char *why;
	CHECK_EQ_INT(bindd_parse_request("BIND tcp\0 ::1 80\n", 17, &req, &why), -EINVAL);
	memset(longline, '1', sizeof(longline));
	memcpy(longline, "BIND tcp 127.0.0.1 ", 19);
	longline[128] = '\n';
	CHECK_EQ_INT(bindd_parse_request(longline, 129, &req, &why), -EMSGSIZE);
	CHECK_EQ_INT(bindd_parse_request(longline, 128, &req, &why), -EINVAL); /* no newline */
}

TEST(bindd_policy)
{
	static const struct { const char *line; bool any; int r; } cases[] = {
		{ "BIND tcp 127.0.0.1 80\n", false, 0 },
		{ "BIND tcp 127.255.255.254 1023\n", false, 0 },
		{ "BIND udp ::1 1\n", false, 0 },
		{ "BIND tcp 127.0.0.1 1024\n", false, -EPERM },
		{ "BIND tcp 127.0.0.1 0\n", true, -EPERM },
		{ "BIND tcp 128.0.0.1 80\n", false, -EPERM },
		{ "BIND tcp 0.0.0.0 80\n", false, -EPERM },
		{ "BIND tcp ::2 80\n", false, -EPERM },
		{ "BIND tcp :: 80\n", false, -EPERM },
		{ "BIND tcp 0.0.0.0 80\n", true, 0 },
		{ "BIND udp 2001:db8::7 53\n", true, 0 },
		{ "BIND udp 2001:db8::7 5353\n", true, -EPERM },
	};
	struct bindd_req req;
	const char *why;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK_EQ_INT(parse(cases[i].line, &req), 0);
		CHECK_EQ_INT(bindd_check_policy(&req, cases[i].any, &why), cases[i].r);
	}
}

TEST(bindd_errno_names)
{
	static const int all[] = {
#define LIST(n) n,
		BINDD_ERRNOS(LIST)
#undef LIST
	};
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		CHECK_EQ_INT(bindd_errno_value(bindd_errno_name(all[i])), all[i]);
	CHECK_EQ_STR(bindd_errno_name(ENOTTY), "EIO");
	CHECK_EQ_INT(bindd_errno_value("EWHATEVER"), EIO);
}

static int reply(const char *text, char *err, size_t errlen)
{
	char line[BINDD_LINE_MAX + 1];

	snprintf(line, sizeof(line), "%s", text);
	return interpret_reply(line, -1, BINDD_TCP, err, errlen);
}

TEST(bindd_client_replies)
{
	char err[128];

	CHECK_EQ_INT(reply("ERR EPERM port outside 1-1023\n", err, sizeof(err)), -EPERM);
	CHECK_EQ_STR(err, "keel-bindd: port outside 1-1023");
	CHECK_EQ_INT(reply("ERR EADDRINUSE Address already in use\n", err, sizeof(err)), -EADDRINUSE);
	CHECK_EQ_INT(reply("ERR ENOSUCH x\n", err, sizeof(err)), -EIO);
	CHECK_EQ_INT(reply("OK\n", err, sizeof(err)), -EPROTO);	/* no fd came with it */
	CHECK_EQ_INT(reply("OK", err, sizeof(err)), -EPROTO);
	CHECK_EQ_INT(reply("HELLO\n", err, sizeof(err)), -EPROTO);
	CHECK_EQ_INT(reply("ERR EACCES\n", err, 0), -EACCES);	/* errlen 0: err untouched */
}

TEST(bindd_client_arguments)
{
	char err[160];
	int fd = -1;

	CHECK_EQ_INT(bindd_bind("/nonexistent", 3, "127.0.0.1", 80, &fd, err, sizeof(err)), -EINVAL);
	CHECK_EQ_INT(bindd_bind("/nonexistent", BINDD_TCP, "127.0.0.1 80\nBIND", 80, &fd, err,
				sizeof(err)), -EINVAL);
	CHECK_EQ_INT(bindd_bind("/nonexistent", BINDD_TCP, "", 80, &fd, err, sizeof(err)), -EINVAL);
	CHECK_EQ_INT(bindd_bind("/nonexistent/bindd.sock", BINDD_TCP, "127.0.0.1", 80, &fd, err,
				sizeof(err)), -ENOENT);
	CHECK(strstr(err, "cannot reach keel-bindd at /nonexistent/bindd.sock") != NULL);
	CHECK_EQ_INT(fd, -1);
}

RUN_TESTS(RUN(bindd_parse_valid), RUN(bindd_parse_invalid), RUN(bindd_policy),
	  RUN(bindd_errno_names), RUN(bindd_client_replies), RUN(bindd_client_arguments))
