/* host/keelctl/bind_cmd.c: the commands `bind`, `binds` and `unbind`
 * (bind_cmd.h): their arguments; `bind` then runs bind.c. */
#include "bind_cmd.h"
#include "bind.h"
#include "cli.h"
#include "exitcodes.h"
#include "show.h"
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int cmd_bind(int argc, char **argv)
{
	struct bind_spec s = { .transport = KEEL__TRANSPORT__TRANSPORT_TCP };
	const char *pos[2];
	unsigned long v;
	int npos = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--udp") == 0)
			s.transport = KEEL__TRANSPORT__TRANSPORT_UDP;
		else if (strcmp(argv[i], "--wait") == 0)
			s.wait = true;
		else if (strcmp(argv[i], "--host-port") == 0 && i + 1 < argc &&
			 cli_parse_uint(argv[i + 1], UINT32_MAX - 1, &v) && v > 0)
			s.host_port = (unsigned)v, i++;
		else if (argv[i][0] != '-' && npos < 2)
			pos[npos++] = argv[i];
		else
			return cli_usage_err("bind: unexpected argument");
	}
	if (npos != 2)
		return cli_usage_err("bind needs [GUESTADDR:]GUESTPORT HOSTADDR:HOSTPORT");
	if (!bind_parse_addr_port(pos[0], s.guest_addr, sizeof(s.guest_addr), &s.guest_port))
		return cli_usage_err("bind: bad [GUESTADDR:]GUESTPORT");
	if (!strchr(pos[1], ':') ||
	    !bind_parse_addr_port(pos[1], s.target_host, sizeof(s.target_host), &s.target_port))
		return cli_usage_err("bind: bad HOSTADDR:HOSTPORT");
	return cmd_bind_run(&cli_target, cli_json, &s);
}

int cmd_binds(int argc, char **argv)
{
	Keel__Request req = KEEL__REQUEST__INIT;
	Keel__ListBindsRequest l = KEEL__LIST_BINDS_REQUEST__INIT;
	Keel__Response *resp;
	int rc;

	(void)argv;
	if (argc > 1)
		return cli_usage_err("binds takes no argument");
	req.body_case = KEEL__REQUEST__BODY_LIST_BINDS;
	req.list_binds = &l;
	if ((rc = cli_call(&req, &resp)))
		return rc;
	show_binds(cli_json, "binds", resp->body_case == KEEL__RESPONSE__BODY_BINDS ? resp->binds : NULL);
	keel__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

/* ID, or [GUESTADDR]:GUESTPORT; --tcp/--udp make a bare number a port. */
int cmd_unbind(int argc, char **argv)
{
	Keel__Request req = KEEL__REQUEST__INIT;
	Keel__UnbindRequest u = KEEL__UNBIND_REQUEST__INIT;
	Keel__Response *resp;
	char addr[64] = "";
	const char *spec = NULL;
	unsigned long id;
	unsigned port;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--udp") == 0)
			u.transport = KEEL__TRANSPORT__TRANSPORT_UDP;
		else if (strcmp(argv[i], "--tcp") == 0)
			u.transport = KEEL__TRANSPORT__TRANSPORT_TCP;
		else if (!spec && argv[i][0] != '-')
			spec = argv[i];
		else
			return cli_usage_err("unbind: unexpected argument");
	}
	if (!spec)
		return cli_usage_err("unbind needs ID or [GUESTADDR]:GUESTPORT");
	if (!u.transport && !strchr(spec, ':')) {
		if (!cli_parse_uint(spec, UINT64_MAX, &id) || id == 0)
			return cli_usage_err("unbind: bad ID");
		u.id = id;
	} else {
		if (!bind_parse_addr_port(spec[0] == ':' ? spec + 1 : spec, addr, sizeof(addr), &port))
			return cli_usage_err("unbind: bad [GUESTADDR]:GUESTPORT");
		if (!u.transport)
			u.transport = KEEL__TRANSPORT__TRANSPORT_TCP;
		u.address = addr;
		u.port = port;
	}
	req.body_case = KEEL__REQUEST__BODY_UNBIND;
	req.unbind = &u;
	if ((rc = cli_call(&req, &resp)))
		return rc;
	if (resp->body_case == KEEL__RESPONSE__BODY_BINDS) {
		if (cli_json)
			show_binds(true, "removed", resp->binds);
		else
			for (size_t i = 0; i < resp->binds->n_binds; i++)
				show_bind_line(stdout, "unbound", resp->binds->binds[i]);
	}
	keel__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}
