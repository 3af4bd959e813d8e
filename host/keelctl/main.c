/* host/keelctl/main.c: keelctl, the host's client of keel-agent. */
#include "conn.h"
#include "decimal.h"
#include "bind.h"
#include "bindd_proto.h"
#include "exitcodes.h"
#include "frame.h"
#include "fwd.h"
#include "json.h"
#include "rpc.h"
#include "show.h"
#include "status.h"
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
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


static struct target tgt = { .kind = CONN_VSOCK, .cid = 3, .control_port = KEEL_CONTROL_PORT,
			     .forward_port = KEEL_FORWARD_PORT, .timeout_ms = 10000 };
static bool json_out;
static const char *forward_uds, *secret_path;

static int usage_err(const char *msg)
{
	if (msg)
		fprintf(stderr, "keelctl: %s\n", msg);
	fputs(usage, stderr);
	return EXIT_USAGE;
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	unsigned long long x;

	if (!parse_decimal(s, max, &x))
		return false;
	*v = (unsigned long)x;
	return true;
}

static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

static int connect_rpc(struct rpc *r)
{
	int e = rpc_open(r, &tgt);

	if (e < 0) {
		fprintf(stderr, "keelctl: cannot connect to the agent: %s\n", strerror(-e));
		return EXIT_CONNECT;
	}
	return EXIT_OK;
}

/* One request, one response; prints errors. Returns an exit code. */
static int call(Keel__Request *req, Keel__Response **resp)
{
	struct rpc r;
	int rc = connect_rpc(&r), e;

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
		show_error(json_out, (*resp)->error);
		keel__response__free_unpacked(*resp, NULL);
		*resp = NULL;
		return EXIT_AGENT;
	}
	return EXIT_OK;
}

static int simple(Keel__Request *req, const char *what)
{
	Keel__Response *resp;
	int rc = call(req, &resp);

	if (rc)
		return rc;
	show_ok(json_out, what);
	keel__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

static int cmd_version(int argc, char **argv)
{
	Keel__Request req = KEEL__REQUEST__INIT;
	Keel__VersionRequest v = KEEL__VERSION_REQUEST__INIT;
	Keel__Response *resp;
	int rc;

	(void)argv;
	if (argc > 1)
		return usage_err("version takes no argument");
	v.major = KEEL_PROTO_MAJOR;
	v.minor = KEEL_PROTO_MINOR;
	v.client = (char *)"keelctl " KEEL_VERSION_STRING;
	req.body_case = KEEL__REQUEST__BODY_VERSION;
	req.version = &v;
	if ((rc = call(&req, &resp)))
		return rc;
	if (resp->body_case != KEEL__RESPONSE__BODY_VERSION) {
		keel__response__free_unpacked(resp, NULL);
		return EXIT_PROTO;
	}
	show_version(json_out, resp->version);
	rc = resp->version->compatible ? EXIT_OK : EXIT_PROTO;
	keel__response__free_unpacked(resp, NULL);
	return rc;
}

static int health_once(Keel__Response **resp)
{
	Keel__Request req = KEEL__REQUEST__INIT;
	Keel__HealthRequest h = KEEL__HEALTH_REQUEST__INIT;
	int rc;

	req.body_case = KEEL__REQUEST__BODY_HEALTH;
	req.health = &h;
	if ((rc = call(&req, resp)))
		return rc;
	if ((*resp)->body_case != KEEL__RESPONSE__BODY_HEALTH) {
		keel__response__free_unpacked(*resp, NULL);
		return EXIT_PROTO;
	}
	return EXIT_OK;
}

static int cmd_health(int argc, char **argv)
{
	unsigned long wait_s = 0;
	Keel__Response *resp = NULL;
	struct timespec start, now;
	int rc;

	if (argc == 3 && strcmp(argv[1], "--wait-ready") == 0) {
		if (!parse_uint(argv[2], 86400, &wait_s))
			return usage_err("--wait-ready needs seconds");
	} else if (argc != 1) {
		return usage_err("health: unexpected argument");
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		rc = health_once(&resp);
		if (!wait_s || (rc == EXIT_OK && resp->health->status == KEEL__STATUS__STATUS_OK &&
				resp->health->docker_ready))
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= (time_t)wait_s) {
			if (rc == EXIT_OK) {
				show_health(json_out, resp->health);
				keel__response__free_unpacked(resp, NULL);
			}
			fprintf(stderr, "keelctl: not ready after %lu s\n", wait_s);
			return EXIT_NOT_READY;
		}
		if (rc == EXIT_OK)
			keel__response__free_unpacked(resp, NULL);
		usleep(200000);
	}
	if (rc)
		return rc;
	show_health(json_out, resp->health);
	keel__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

static void print_event(void *ctx, const Keel__Event *ev)
{
	(void)ctx;
	if (ev->body_case == KEEL__EVENT__BODY_PORT && ev->port->port)
		show_port_event(json_out, ev->port);
}

static int cmd_ports(int argc, char **argv)
{
	Keel__Request req = KEEL__REQUEST__INIT;
	Keel__ListPortsRequest l = KEEL__LIST_PORTS_REQUEST__INIT;
	Keel__WatchPortsRequest w = KEEL__WATCH_PORTS_REQUEST__INIT;
	bool watch = argc == 2 && strcmp(argv[1], "--watch") == 0;
	Keel__Response *resp;
	struct rpc r;
	int rc, e;

	if (argc > 1 && !watch)
		return usage_err("ports: unexpected argument");
	if (!watch) {
		req.body_case = KEEL__REQUEST__BODY_LIST_PORTS;
		req.list_ports = &l;
		if ((rc = call(&req, &resp)))
			return rc;
		show_ports(json_out, resp->body_case == KEEL__RESPONSE__BODY_PORTS ? resp->ports : NULL);
		keel__response__free_unpacked(resp, NULL);
		return EXIT_OK;
	}
	if ((rc = connect_rpc(&r)))
		return rc;
	req.body_case = KEEL__REQUEST__BODY_WATCH_PORTS;
	req.watch_ports = &w;
	e = rpc_call(&r, &req, &resp);
	if (e < 0) {
		rpc_close(&r);
		fprintf(stderr, "keelctl: %s\n", strerror(-e));
		return EXIT_CONNECT;
	}
	if (resp->error) {
		show_error(json_out, resp->error);
		keel__response__free_unpacked(resp, NULL);
		rpc_close(&r);
		return EXIT_AGENT;
	}
	show_ports(json_out, resp->body_case == KEEL__RESPONSE__BODY_PORTS ? resp->ports : NULL);
	keel__response__free_unpacked(resp, NULL);
	rpc_wait_forever(&r);
	for (;;) {
		Keel__AgentMessage *m;
		if ((e = rpc_read(&r, &m)) < 0)
			break;
		if (m->kind_case == KEEL__AGENT_MESSAGE__KIND_EVENT)
			print_event(NULL, m->event);
		keel__agent_message__free_unpacked(m, NULL);
	}
	rpc_close(&r);
	fprintf(stderr, "keelctl: connection to the agent lost\n");
	return EXIT_CONNECT;
}

/* [ADDR:]HOSTPORT:GUESTPORT; ADDR may be [v6]. */
static int cmd_forward(int argc, char **argv)
{
	char addr[64] = "127.0.0.1", *spec, *last, *mid;
	unsigned long hp, gp;
	struct fwd_opts o = { .t = &tgt, .json = json_out };

	if (argc != 2)
		return usage_err("forward needs [ADDR:]HOSTPORT:GUESTPORT");
	spec = argv[1];
	last = strrchr(spec, ':');
	if (!last || !parse_uint(last + 1, 65535, &gp) || gp == 0)
		return usage_err("forward: bad GUESTPORT");
	*last = 0;
	mid = strrchr(spec, ':');
	if (mid) {
		*mid = 0;
		if (snprintf(addr, sizeof(addr), "%s", spec) >= (int)sizeof(addr))
			return usage_err("forward: address too long");
		if (addr[0] == '[') {
			memmove(addr, addr + 1, strlen(addr));
			addr[strcspn(addr, "]")] = 0;
		}
		spec = mid + 1;
	}
	if (!parse_uint(spec, 65535, &hp))
		return usage_err("forward: bad HOSTPORT");
	return cmd_forward_run(&o, addr, (unsigned)hp, (unsigned)gp);
}

/* A group name or number. */
static bool parse_group(const char *s, gid_t *gid)
{
	struct group *g = getgrnam(s);
	unsigned long v;

	if (g)
		*gid = g->gr_gid;
	else if (parse_uint(s, UINT32_MAX - 1, &v))
		*gid = (gid_t)v;
	else
		return false;
	return true;
}

static int cmd_forward_unix(int argc, char **argv)
{
	struct fwd_opts o = { .t = &tgt, .json = json_out };
	struct unix_fwd u = { NULL, NULL, 0600, (gid_t)-1 };
	char *spec = NULL, *colon, *end;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc) {
			unsigned long m = strtoul(argv[++i], &end, 8);
			if (!*argv[i] || *end || m > 0777)
				return usage_err("forward-unix: --mode needs an octal mode (e.g. 0660)");
			u.mode = (mode_t)m;
		} else if (strcmp(argv[i], "--group") == 0 && i + 1 < argc) {
			if (!parse_group(argv[++i], &u.gid))
				return usage_err("forward-unix: no such group");
		} else if (!spec && argv[i][0] != '-') {
			spec = argv[i];
		} else {
			return usage_err("forward-unix: unexpected argument");
		}
	}
	/* Host paths with ':' are not supported; the guest path is the rest. */
	colon = spec ? strchr(spec, ':') : NULL;
	if (!colon || colon == spec || !colon[1])
		return usage_err("forward-unix needs HOSTPATH:GUESTPATH");
	*colon = 0;
	u.host_path = spec;
	u.guest_path = colon + 1;
	return cmd_forward_unix_run(&o, &u);
}

static int cmd_publish(int argc, char **argv)
{
	const char *bind_addr = "127.0.0.1";
	bool autom = false;
	struct fwd_opts o = { .t = &tgt, .json = json_out };

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--auto") == 0)
			autom = true;
		else if (strcmp(argv[i], "--bind") == 0 && i + 1 < argc)
			bind_addr = argv[++i];
		else if (strcmp(argv[i], "--bindd") == 0 && i + 1 < argc)
			o.bindd = argv[++i];
		else
			return usage_err("publish: unexpected argument");
	}
	if (!autom)
		return usage_err("publish needs --auto");
	return cmd_publish_run(&o, bind_addr);
}

static int cmd_bind(int argc, char **argv)
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
			 parse_uint(argv[i + 1], UINT32_MAX - 1, &v) && v > 0)
			s.host_port = (unsigned)v, i++;
		else if (argv[i][0] != '-' && npos < 2)
			pos[npos++] = argv[i];
		else
			return usage_err("bind: unexpected argument");
	}
	if (npos != 2)
		return usage_err("bind needs [GUESTADDR:]GUESTPORT HOSTADDR:HOSTPORT");
	if (!bind_parse_addr_port(pos[0], s.guest_addr, sizeof(s.guest_addr), &s.guest_port))
		return usage_err("bind: bad [GUESTADDR:]GUESTPORT");
	if (!strchr(pos[1], ':') ||
	    !bind_parse_addr_port(pos[1], s.target_host, sizeof(s.target_host), &s.target_port))
		return usage_err("bind: bad HOSTADDR:HOSTPORT");
	return cmd_bind_run(&tgt, json_out, &s);
}

static int cmd_binds(int argc, char **argv)
{
	Keel__Request req = KEEL__REQUEST__INIT;
	Keel__ListBindsRequest l = KEEL__LIST_BINDS_REQUEST__INIT;
	Keel__Response *resp;
	int rc;

	(void)argv;
	if (argc > 1)
		return usage_err("binds takes no argument");
	req.body_case = KEEL__REQUEST__BODY_LIST_BINDS;
	req.list_binds = &l;
	if ((rc = call(&req, &resp)))
		return rc;
	show_binds(json_out, "binds", resp->body_case == KEEL__RESPONSE__BODY_BINDS ? resp->binds : NULL);
	keel__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

/* ID, or [GUESTADDR]:GUESTPORT; --tcp/--udp make a bare number a port. */
static int cmd_unbind(int argc, char **argv)
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
			return usage_err("unbind: unexpected argument");
	}
	if (!spec)
		return usage_err("unbind needs ID or [GUESTADDR]:GUESTPORT");
	if (!u.transport && !strchr(spec, ':')) {
		if (!parse_uint(spec, UINT64_MAX, &id) || id == 0)
			return usage_err("unbind: bad ID");
		u.id = id;
	} else {
		if (!bind_parse_addr_port(spec[0] == ':' ? spec + 1 : spec, addr, sizeof(addr), &port))
			return usage_err("unbind: bad [GUESTADDR]:GUESTPORT");
		if (!u.transport)
			u.transport = KEEL__TRANSPORT__TRANSPORT_TCP;
		u.address = addr;
		u.port = port;
	}
	req.body_case = KEEL__REQUEST__BODY_UNBIND;
	req.unbind = &u;
	if ((rc = call(&req, &resp)))
		return rc;
	if (resp->body_case == KEEL__RESPONSE__BODY_BINDS) {
		if (json_out)
			show_binds(true, "removed", resp->binds);
		else
			for (size_t i = 0; i < resp->binds->n_binds; i++)
				show_bind_line(stdout, "unbound", resp->binds->binds[i]);
	}
	keel__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

static int cmd_time_sync(int argc, char **argv)
{
	Keel__Request req = KEEL__REQUEST__INIT;
	Keel__SyncTimeRequest t = KEEL__SYNC_TIME_REQUEST__INIT;
	Keel__Response *resp;
	struct timespec ts;
	long long offset = 0;
	unsigned long v;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--threshold-ms") == 0 && i + 1 < argc && parse_uint(argv[i + 1], 86400000, &v)) {
			t.threshold_ms = v;
			i++;
		} else if (strcmp(argv[i], "--offset-ms") == 0 && i + 1 < argc) {
			char *end;
			offset = strtoll(argv[++i], &end, 10);
			if (*end || offset > 86400000LL * 365 || offset < -86400000LL * 365)
				return usage_err("time-sync: bad --offset-ms");
		} else {
			return usage_err("time-sync: unexpected argument");
		}
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	t.host_unix_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + offset * 1000000;
	req.body_case = KEEL__REQUEST__BODY_SYNC_TIME;
	req.sync_time = &t;
	if ((rc = call(&req, &resp)))
		return rc;
	if (resp->body_case == KEEL__RESPONSE__BODY_SYNC_TIME)
		show_time(json_out, resp->sync_time);
	keel__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

static int cmd_power(int argc, char **argv)
{
	Keel__Request req = KEEL__REQUEST__INIT;
	Keel__PowerRequest p = KEEL__POWER_REQUEST__INIT;
	bool reboot = strcmp(argv[0], "reboot") == 0;

	if (argc != 1)
		return usage_err("shutdown/reboot take no argument");
	p.action = reboot ? KEEL__POWER_REQUEST__ACTION__ACTION_REBOOT :
			    KEEL__POWER_REQUEST__ACTION__ACTION_SHUTDOWN;
	req.body_case = KEEL__REQUEST__BODY_POWER;
	req.power = &p;
	return simple(&req, reboot ? "reboot requested" : "shutdown requested");
}

static int cmd_mount(int argc, char **argv)
{
	Keel__Request req = KEEL__REQUEST__INIT;
	Keel__MountRequest m = KEEL__MOUNT_REQUEST__INIT;
	int pos = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--fstype") == 0 && i + 1 < argc)
			m.fstype = argv[++i];
		else if (strcmp(argv[i], "--ro") == 0)
			m.read_only = true;
		else if (pos == 0 && ++pos)
			m.tag = argv[i];
		else if (pos == 1 && ++pos)
			m.path = argv[i];
		else
			return usage_err("mount: unexpected argument");
	}
	if (pos != 2)
		return usage_err("mount needs TAG PATH");
	req.body_case = KEEL__REQUEST__BODY_MOUNT;
	req.mount = &m;
	return simple(&req, "mounted");
}

static int cmd_unmount(int argc, char **argv)
{
	Keel__Request req = KEEL__REQUEST__INIT;
	Keel__UnmountRequest u = KEEL__UNMOUNT_REQUEST__INIT;

	if (argc != 2)
		return usage_err("unmount needs PATH");
	u.path = argv[1];
	req.body_case = KEEL__REQUEST__BODY_UNMOUNT;
	req.unmount = &u;
	return simple(&req, "unmounted");
}

static int cmd_netconfig(int argc, char **argv)
{
	Keel__Request req = KEEL__REQUEST__INIT;
	Keel__NetConfigRequest n = KEEL__NET_CONFIG_REQUEST__INIT;
	char *dns[8];

	n.dns = dns;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--interface") == 0 && i + 1 < argc)
			n.interface = argv[++i];
		else if (strcmp(argv[i], "--gateway") == 0 && i + 1 < argc)
			n.gateway = argv[++i];
		else if (strcmp(argv[i], "--dns") == 0 && i + 1 < argc && n.n_dns < 8)
			dns[n.n_dns++] = argv[++i];
		else if (argv[i][0] != '-' && !*n.address)
			n.address = argv[i];
		else
			return usage_err("netconfig: unexpected argument");
	}
	req.body_case = KEEL__REQUEST__BODY_NET_CONFIG;
	req.net_config = &n;
	return simple(&req, "configured");
}

static int cmd_status(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--state-dir") == 0)
		return cmd_status_run(argv[2], json_out);
	if (argc != 1)
		return usage_err("status: unexpected argument");
	return cmd_status_run(NULL, json_out);
}

/* Every command: its name, what runs it, and its --help text. */
struct command { const char *name; int (*fn)(int, char **); const char *help; };
static const struct command commands[] = {
	{ "version", cmd_version,
	  "usage: keelctl version\nPrints the agent's protocol version and whether it is compatible (same major).\n" },
	{ "health", cmd_health,
	  "usage: keelctl health [--wait-ready SECONDS]\nPrints the guest's health. Exit 0 when the agent answered, whatever the status.\n"
	  "--wait-ready: poll until status is ok and dockerd answers, exit 5 if not within SECONDS.\n" },
	{ "ports", cmd_ports,
	  "usage: keelctl ports [--watch]\nLists guest listening TCP and bound UDP sockets; --watch then prints\nadded/removed events as they happen.\n" },
	{ "forward", cmd_forward,
	  "usage: keelctl forward [ADDR:]HOSTPORT:GUESTPORT\nListens on ADDR (127.0.0.1) HOSTPORT and forwards each connection to\nguest 127.0.0.1:GUESTPORT over its own forward stream. Runs until killed.\n" },
	{ "forward-unix", cmd_forward_unix,
	  "usage: keelctl forward-unix HOSTPATH:GUESTPATH [--mode MODE] [--group NAME]\n"
	  "Serves the unix socket HOSTPATH (mode MODE, octal, default 0600; group NAME\n"
	  "if given) and forwards each connection to the guest unix socket GUESTPATH\n"
	  "over its own forward stream. A stale socket at HOSTPATH is replaced; the\n"
	  "socket is removed on SIGINT, SIGTERM or SIGHUP. Runs until then.\n"
	  "Example: keelctl forward-unix /tmp/docker.sock:/run/docker.sock\n" },
	{ "publish", cmd_publish,
	  "usage: keelctl publish --auto [--bind ADDR] [--bindd PATH]\nFollows guest TCP listeners and UDP sockets and binds the same port on ADDR\n(127.0.0.1). A port below 1024 the host refuses (no privilege) is asked of\nkeel-bindd at PATH (default " BINDD_SOCKET_DEFAULT ");\nwithout keel-bindd, or when it refuses, the port is skipped and the reason\nreported. Reconnects when the agent goes away.\n" },
	{ "bind", cmd_bind,
	  "usage: keelctl bind [--udp] [--host-port N] [--wait] [GUESTADDR:]GUESTPORT HOSTADDR:HOSTPORT\n"
	  "Asks the agent to listen on GUESTADDR:GUESTPORT in the guest (default address\n"
	  "192.168.65.254, which host.keel.internal names) and carries each guest TCP\n"
	  "connection (--udp: each guest peer's datagrams) to HOSTADDR:HOSTPORT on the\n"
	  "host over its own stream. Streams arrive on vsock port N (--vsock) or the unix\n"
	  "socket PATH_N (--uds/--hybrid PATH, mode 0600); N defaults to the first free\n"
	  "port from 49152. The bind lasts while this runs; when the agent goes away it\n"
	  "is made again. Exit 1 when the agent refuses (e.g. the guest port is taken).\n"
	  "--wait: an agent that cannot be reached at start is waited for (with the\n"
	  "same backoff) instead of exit 3; for helpers started with the VM.\n"
	  "Example: keelctl bind 5432 127.0.0.1:5432\n" },
	{ "binds", cmd_binds,
	  "usage: keelctl binds\nLists the agent's binds: id, transport, guest address, host port, target,\nstreams opened and streams the host side did not take.\n" },
	{ "unbind", cmd_unbind,
	  "usage: keelctl unbind ID\n       keelctl unbind [--tcp|--udp] [GUESTADDR]:GUESTPORT\n"
	  "Removes a bind by id, or by guest address and port (a bare number is an id;\n"
	  "write :PORT, or give --tcp/--udp, for a port on the default address).\n"
	  "Prints what was removed; exit 1 when nothing matched.\n" },
	{ "time-sync", cmd_time_sync,
	  "usage: keelctl time-sync [--threshold-ms N] [--offset-ms N]\nSends the host clock (plus --offset-ms, for tests); the guest steps its\nclock when off by more than the threshold (agent default 100 ms).\n" },
	{ "status", cmd_status,
	  "usage: keelctl status [--state-dir DIR]\nThe VM as its host daemon (keel-host) reports it in DIR/status.json: the VM,\nthe helpers with their state and restarts, published ports, binds, shares and\nthe last time sync. DIR: $KEEL_STATE_DIR, else run-vm's default. Exit 3 when\nno keel-host runs there.\n" },
	{ "shutdown", cmd_power,
	  "usage: keelctl shutdown\nAsks the guest's init for an orderly power-off.\n" },
	{ "reboot", cmd_power,
	  "usage: keelctl reboot\nAsks the guest's init for an orderly reboot.\n" },
	{ "mount", cmd_mount,
	  "usage: keelctl mount TAG PATH [--fstype virtiofs|9p] [--ro]\nMounts a share (nosuid,nodev) at PATH under the agent's share root.\n" },
	{ "unmount", cmd_unmount,
	  "usage: keelctl unmount PATH\nUnmounts a share under the agent's share root.\n" },
	{ "netconfig", cmd_netconfig,
	  "usage: keelctl netconfig ADDR/LEN [--interface IF] [--gateway GW] [--dns IP]...\nConfigures a guest interface (default eth0) through rtnetlink.\n" },
};

static int parse_vsock(const char *s)
{
	unsigned long cid, port;
	char buf[32], *colon;

	if (snprintf(buf, sizeof(buf), "%s", s) >= (int)sizeof(buf))
		return -1;
	colon = strchr(buf, ':');
	if (colon) {
		*colon = 0;
		if (!parse_uint(colon + 1, UINT32_MAX, &port))
			return -1;
		tgt.control_port = (uint32_t)port;
	}
	if (!parse_uint(buf, UINT32_MAX, &cid))
		return -1;
	tgt.kind = CONN_VSOCK;
	tgt.cid = (uint32_t)cid;
	return 0;
}

/* --secret (or $KEEL_SECRET_FILE) must be readable; without either, with
 * --hybrid the file 'secret' beside its socket is used when it exists. */
static int load_secret(void)
{
	char path[4096];
	const char *slash;
	int e;

	if (!secret_path && tgt.kind == CONN_HYBRID && (slash = strrchr(tgt.path, '/')) &&
	    snprintf(path, sizeof(path), "%.*s/secret", (int)(slash - tgt.path), tgt.path) <
		    (int)sizeof(path) && access(path, F_OK) == 0)
		secret_path = path;
	if (!secret_path)
		return 0;
	if ((e = secret_read_file(secret_path, &tgt.secret)) < 0) {
		fprintf(stderr, "keelctl: secret %s: %s\n", secret_path,
			e == -EINVAL ? "not 16 to 64 bytes" : strerror(-e));
		return e;
	}
	return 0;
}

int main(int argc, char **argv)
{
	unsigned long v;
	int i;

	signal(SIGPIPE, SIG_IGN);
	secret_path = getenv("KEEL_SECRET_FILE");
	if (getenv("KEEL_UDS")) {
		tgt.kind = CONN_UDS;
		tgt.path = getenv("KEEL_UDS");
	}
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *o = argv[i], *arg = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(o, "--json") == 0) {
			json_out = true;
			continue;
		}
		if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
			fputs(usage, stdout);
			return EXIT_OK;
		}
		if (!arg)
			return usage_err("option needs a value");
		i++;
		if (strcmp(o, "--uds") == 0) {
			tgt.kind = CONN_UDS;
			tgt.path = arg;
		} else if (strcmp(o, "--hybrid") == 0) {
			tgt.kind = CONN_HYBRID;
			tgt.path = arg;
		} else if (strcmp(o, "--vsock") == 0) {
			if (parse_vsock(arg) < 0)
				return usage_err("--vsock CID[:PORT]");
		} else if (strcmp(o, "--secret") == 0) {
			secret_path = arg;
		} else if (strcmp(o, "--forward-uds") == 0) {
			forward_uds = arg;
		} else if (strcmp(o, "--forward-port") == 0 && parse_uint(arg, UINT32_MAX, &v)) {
			tgt.forward_port = (uint32_t)v;
		} else if (strcmp(o, "--control-port") == 0 && parse_uint(arg, UINT32_MAX, &v)) {
			tgt.control_port = (uint32_t)v;
		} else if (strcmp(o, "--timeout") == 0 && parse_uint(arg, 3600000, &v) && v > 0) {
			tgt.timeout_ms = (unsigned)v;
		} else {
			return usage_err("unknown option or bad value");
		}
	}
	if (i >= argc)
		return usage_err("no command");
	if (load_secret() < 0)
		return EXIT_USAGE;
	if (tgt.kind == CONN_UDS &&
	    snprintf(tgt.forward_path, sizeof(tgt.forward_path), "%s",
		     forward_uds ? forward_uds : tgt.path) >= (int)sizeof(tgt.forward_path) - 8)
		return usage_err("socket path too long");
	if (tgt.kind == CONN_UDS && !forward_uds)
		strcat(tgt.forward_path, "-forward");
	for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++) {
		if (strcmp(argv[i], commands[c].name) != 0)
			continue;
		if (wants_help(argc - i, argv + i)) {
			fputs(commands[c].help, stdout);
			return EXIT_OK;
		}
		return commands[c].fn(argc - i, argv + i);
	}
	return usage_err("unknown command");
}
