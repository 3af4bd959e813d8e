/* host/keelctl/cli.c: see cli.h. */
#include "cli.h"
#include "decimal.h"
#include "exitcodes.h"
#include "frame.h"
#include "show.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>

const char cli_usage[] =
"usage: keelctl [CONNECTION] [--json] COMMAND [ARGS]\n"
"\n"
"connection (one of):\n"
"  --uds PATH            the agent's control unix socket; forwards use\n"
"                        --forward-uds PATH (default: PATH-forward)\n"
"  --vsock CID[:PORT]    AF_VSOCK (control port 1022, --forward-port 1023)\n"
"  --hybrid PATH         keel-vsock/Firecracker hybrid socket (CONNECT <port>)\n"
"  (default: $KEEL_UDS, else --vsock 3)\n"
"  --forward-port N      agent forward port for --vsock/--hybrid (1023)\n"
"  --secret FILE         the VM's per-boot secret, sent first on every stream\n"
"                        (default: $KEEL_SECRET_FILE, else with --hybrid PATH\n"
"                        the file 'secret' beside PATH, as run-vm makes it)\n"
"  --timeout MS          connect and reply timeout (10000)\n"
"  --json                machine-readable output (one JSON value per line)\n"
"\n"
"commands:\n"
"  version                     protocol and agent versions\n"
"  health [--wait-ready SECS]  the guest's health\n"
"  ports [--watch]             guest listening TCP/UDP ports\n"
"  forward [ADDR:]HOSTPORT:GUESTPORT\n"
"                              forward a host TCP port to a guest port\n"
"  forward-unix HOSTPATH:GUESTPATH [--mode MODE] [--group NAME]\n"
"                              serve a host unix socket that reaches a guest one\n"
"  publish --auto [--bind ADDR] [--bindd PATH]\n"
"                              publish guest TCP and UDP ports on the host\n"
"  bind [--udp] [--host-port N] [--wait] [GUESTADDR:]GUESTPORT HOSTADDR:HOSTPORT\n"
"                              a guest listener whose connections reach a host\n"
"                              address (containers reach host services)\n"
"  binds                       list the agent's binds\n"
"  unbind ID | unbind [--tcp|--udp] [GUESTADDR]:GUESTPORT\n"
"                              remove a bind\n"
"  time-sync [--threshold-ms N] [--offset-ms N]\n"
"                              send the host clock; the guest steps if off\n"
"  shutdown | reboot           ask the guest's init to power off / reboot\n"
"  status [--state-dir DIR]    the VM as its keel-host reports it (no agent needed)\n"
"  mount TAG PATH [--fstype virtiofs|9p] [--ro]\n"
"  unmount PATH                shares under /mnt/host\n"
"  netconfig ADDR/LEN [--interface IF] [--gateway GW] [--dns IP]...\n"
"Every command takes --help.\n"
"\n"
"exit status: 0 ok, 1 the agent answered with an error, 2 usage,\n"
"3 cannot connect or connection lost, 4 protocol error or incompatible\n"
"agent, 5 health --wait-ready timed out.\n";

struct target cli_target = { .kind = CONN_VSOCK, .cid = 3, .control_port = KEEL_CONTROL_PORT,
			      .forward_port = KEEL_FORWARD_PORT, .timeout_ms = 10000 };
bool cli_json;

int cli_usage_err(const char *msg)
{
	if (msg)
		fprintf(stderr, "keelctl: %s\n", msg);
	fputs(cli_usage, stderr);
	return EXIT_USAGE;
}

bool cli_parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	unsigned long long x;

	if (!parse_decimal(s, max, &x))
		return false;
	*v = (unsigned long)x;
	return true;
}

int cli_connect(struct rpc *r)
{
	int e = rpc_open(r, &cli_target);

	if (e < 0) {
		fprintf(stderr, "keelctl: cannot connect to the agent: %s\n", strerror(-e));
		return EXIT_CONNECT;
	}
	return EXIT_OK;
}

int cli_call(Keel__Request *req, Keel__Response **resp)
{
	struct rpc r;
	int rc = cli_connect(&r), e;

	if (rc)
		return rc;
	e = rpc_call(&r, req, resp);
	rpc_close(&r);
	if (e < 0) {
		fprintf(stderr, "keelctl: %s\n", e == -EPROTO ? "undecodable reply from the agent" :
			strerror(-e));
		return e == -EPROTO ? EXIT_PROTO : EXIT_CONNECT;
	}
	if ((*resp)->error) {
		show_error(cli_json, (*resp)->error);
		keel__response__free_unpacked(*resp, NULL);
		*resp = NULL;
		return EXIT_AGENT;
	}
	return EXIT_OK;
}

int cli_simple(Keel__Request *req, const char *what)
{
	Keel__Response *resp;
	int rc = cli_call(req, &resp);

	if (rc)
		return rc;
	show_ok(cli_json, what);
	keel__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}
