/* host/keelctl/main.c: keelctl, the host's client of keel-agent: the
 * global options, the command table and the commands other than bind's
 * (bind_cmd.c). What commands share is in cli.c. */
#include "bind_cmd.h"
#include "bindd_proto.h"
#include "cli.h"
#include "exitcodes.h"
#include "frame.h"
#include "forward.h"
#include "publish.h"
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

static const char *forward_uds, *secret_path;

static bool wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

static int cmd_version(int argc, char **argv)
{
	Keel__Request req = KEEL__REQUEST__INIT;
	Keel__VersionRequest v = KEEL__VERSION_REQUEST__INIT;
	Keel__Response *resp;
	int rc;

	(void)argv;
	if (argc > 1)
		return cli_usage_err("version takes no argument");
	v.major = KEEL_PROTO_MAJOR;
	v.minor = KEEL_PROTO_MINOR;
	v.client = (char *)"keelctl " KEEL_VERSION_STRING;
	req.body_case = KEEL__REQUEST__BODY_VERSION;
	req.version = &v;
	if ((rc = cli_call(&req, &resp)))
		return rc;
	if (resp->body_case != KEEL__RESPONSE__BODY_VERSION) {
		keel__response__free_unpacked(resp, NULL);
		return EXIT_PROTO;
	}
	show_version(cli_json, resp->version);
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
	if ((rc = cli_call(&req, resp)))
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
		if (!cli_parse_uint(argv[2], 86400, &wait_s))
			return cli_usage_err("--wait-ready needs seconds");
	} else if (argc != 1) {
		return cli_usage_err("health: unexpected argument");
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
				show_health(cli_json, resp->health);
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
	show_health(cli_json, resp->health);
	keel__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

static void print_event(void *ctx, const Keel__Event *ev)
{
	(void)ctx;
	if (ev->body_case == KEEL__EVENT__BODY_PORT && ev->port->port)
		show_port_event(cli_json, ev->port);
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
		return cli_usage_err("ports: unexpected argument");
	if (!watch) {
		req.body_case = KEEL__REQUEST__BODY_LIST_PORTS;
		req.list_ports = &l;
		if ((rc = cli_call(&req, &resp)))
			return rc;
		show_ports(cli_json, resp->body_case == KEEL__RESPONSE__BODY_PORTS ? resp->ports : NULL);
		keel__response__free_unpacked(resp, NULL);
		return EXIT_OK;
	}
	if ((rc = cli_connect(&r)))
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
		show_error(cli_json, resp->error);
		keel__response__free_unpacked(resp, NULL);
		rpc_close(&r);
		return EXIT_AGENT;
	}
	show_ports(cli_json, resp->body_case == KEEL__RESPONSE__BODY_PORTS ? resp->ports : NULL);
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
	struct fwd_opts o = { .t = &cli_target, .json = cli_json };

	if (argc != 2)
		return cli_usage_err("forward needs [ADDR:]HOSTPORT:GUESTPORT");
	spec = argv[1];
	last = strrchr(spec, ':');
	if (!last || !cli_parse_uint(last + 1, 65535, &gp) || gp == 0)
		return cli_usage_err("forward: bad GUESTPORT");
	*last = 0;
	mid = strrchr(spec, ':');
	if (mid) {
		*mid = 0;
		if (snprintf(addr, sizeof(addr), "%s", spec) >= (int)sizeof(addr))
			return cli_usage_err("forward: address too long");
		if (addr[0] == '[') {
			memmove(addr, addr + 1, strlen(addr));
			addr[strcspn(addr, "]")] = 0;
		}
		spec = mid + 1;
	}
	if (!cli_parse_uint(spec, 65535, &hp))
		return cli_usage_err("forward: bad HOSTPORT");
	return cmd_forward_run(&o, addr, (unsigned)hp, (unsigned)gp);
}

/* A group name or number. */
static bool parse_group(const char *s, gid_t *gid)
{
	struct group *g = getgrnam(s);
	unsigned long v;

	if (g)
		*gid = g->gr_gid;
	else if (cli_parse_uint(s, UINT32_MAX - 1, &v))
		*gid = (gid_t)v;
	else
		return false;
	return true;
}

static int cmd_forward_unix(int argc, char **argv)
{
	struct fwd_opts o = { .t = &cli_target, .json = cli_json };
	struct unix_fwd u = { NULL, NULL, 0600, (gid_t)-1 };
	char *spec = NULL, *colon, *end;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--mode") == 0 && i + 1 < argc) {
			unsigned long m = strtoul(argv[++i], &end, 8);
			if (!*argv[i] || *end || m > 0777)
				return cli_usage_err("forward-unix: --mode needs an octal mode (e.g. 0660)");
			u.mode = (mode_t)m;
		} else if (strcmp(argv[i], "--group") == 0 && i + 1 < argc) {
			if (!parse_group(argv[++i], &u.gid))
				return cli_usage_err("forward-unix: no such group");
		} else if (!spec && argv[i][0] != '-') {
			spec = argv[i];
		} else {
			return cli_usage_err("forward-unix: unexpected argument");
		}
	}
	/* Host paths with ':' are not supported; the guest path is the rest. */
	colon = spec ? strchr(spec, ':') : NULL;
	if (!colon || colon == spec || !colon[1])
		return cli_usage_err("forward-unix needs HOSTPATH:GUESTPATH");
	*colon = 0;
	u.host_path = spec;
	u.guest_path = colon + 1;
	return cmd_forward_unix_run(&o, &u);
}

static int cmd_publish(int argc, char **argv)
{
	const char *bind_addr = "127.0.0.1";
	bool autom = false;
	struct fwd_opts o = { .t = &cli_target, .json = cli_json };

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--auto") == 0)
			autom = true;
		else if (strcmp(argv[i], "--bind") == 0 && i + 1 < argc)
			bind_addr = argv[++i];
		else if (strcmp(argv[i], "--bindd") == 0 && i + 1 < argc)
			o.bindd = argv[++i];
		else
			return cli_usage_err("publish: unexpected argument");
	}
	if (!autom)
		return cli_usage_err("publish needs --auto");
	return cmd_publish_run(&o, bind_addr);
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
		if (strcmp(argv[i], "--threshold-ms") == 0 && i + 1 < argc && cli_parse_uint(argv[i + 1], 86400000, &v)) {
			t.threshold_ms = v;
			i++;
		} else if (strcmp(argv[i], "--offset-ms") == 0 && i + 1 < argc) {
			char *end;
			offset = strtoll(argv[++i], &end, 10);
			if (*end || offset > 86400000LL * 365 || offset < -86400000LL * 365)
				return cli_usage_err("time-sync: bad --offset-ms");
		} else {
			return cli_usage_err("time-sync: unexpected argument");
		}
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	t.host_unix_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + offset * 1000000;
	req.body_case = KEEL__REQUEST__BODY_SYNC_TIME;
	req.sync_time = &t;
	if ((rc = cli_call(&req, &resp)))
		return rc;
	if (resp->body_case == KEEL__RESPONSE__BODY_SYNC_TIME)
		show_time(cli_json, resp->sync_time);
	keel__response__free_unpacked(resp, NULL);
	return EXIT_OK;
}

static int cmd_power(int argc, char **argv)
{
	Keel__Request req = KEEL__REQUEST__INIT;
	Keel__PowerRequest p = KEEL__POWER_REQUEST__INIT;
	bool reboot = strcmp(argv[0], "reboot") == 0;

	if (argc != 1)
		return cli_usage_err("shutdown/reboot take no argument");
	p.action = reboot ? KEEL__POWER_REQUEST__ACTION__ACTION_REBOOT :
			    KEEL__POWER_REQUEST__ACTION__ACTION_SHUTDOWN;
	req.body_case = KEEL__REQUEST__BODY_POWER;
	req.power = &p;
	return cli_simple(&req, reboot ? "reboot requested" : "shutdown requested");
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
			return cli_usage_err("mount: unexpected argument");
	}
	if (pos != 2)
		return cli_usage_err("mount needs TAG PATH");
	req.body_case = KEEL__REQUEST__BODY_MOUNT;
	req.mount = &m;
	return cli_simple(&req, "mounted");
}

static int cmd_unmount(int argc, char **argv)
{
	Keel__Request req = KEEL__REQUEST__INIT;
	Keel__UnmountRequest u = KEEL__UNMOUNT_REQUEST__INIT;

	if (argc != 2)
		return cli_usage_err("unmount needs PATH");
	u.path = argv[1];
	req.body_case = KEEL__REQUEST__BODY_UNMOUNT;
	req.unmount = &u;
	return cli_simple(&req, "unmounted");
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
			return cli_usage_err("netconfig: unexpected argument");
	}
	req.body_case = KEEL__REQUEST__BODY_NET_CONFIG;
	req.net_config = &n;
	return cli_simple(&req, "configured");
}

static int cmd_status(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--state-dir") == 0)
		return cmd_status_run(argv[2], cli_json);
	if (argc != 1)
		return cli_usage_err("status: unexpected argument");
	return cmd_status_run(NULL, cli_json);
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
		if (!cli_parse_uint(colon + 1, UINT32_MAX, &port))
			return -1;
		cli_target.control_port = (uint32_t)port;
	}
	if (!cli_parse_uint(buf, UINT32_MAX, &cid))
		return -1;
	cli_target.kind = CONN_VSOCK;
	cli_target.cid = (uint32_t)cid;
	return 0;
}

/* --secret (or $KEEL_SECRET_FILE) must be readable; without either, with
 * --hybrid the file 'secret' beside its socket is used when it exists. */
static int load_secret(void)
{
	char path[4096];
	const char *slash;
	int e;

	if (!secret_path && cli_target.kind == CONN_HYBRID && (slash = strrchr(cli_target.path, '/')) &&
	    snprintf(path, sizeof(path), "%.*s/secret", (int)(slash - cli_target.path), cli_target.path) <
		    (int)sizeof(path) && access(path, F_OK) == 0)
		secret_path = path;
	if (!secret_path)
		return 0;
	if ((e = secret_read_file(secret_path, &cli_target.secret)) < 0) {
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
		cli_target.kind = CONN_UDS;
		cli_target.path = getenv("KEEL_UDS");
	}
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *o = argv[i], *arg = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(o, "--json") == 0) {
			cli_json = true;
			continue;
		}
		if (strcmp(o, "--help") == 0 || strcmp(o, "-h") == 0) {
			fputs(cli_usage, stdout);
			return EXIT_OK;
		}
		if (!arg)
			return cli_usage_err("option needs a value");
		i++;
		if (strcmp(o, "--uds") == 0) {
			cli_target.kind = CONN_UDS;
			cli_target.path = arg;
		} else if (strcmp(o, "--hybrid") == 0) {
			cli_target.kind = CONN_HYBRID;
			cli_target.path = arg;
		} else if (strcmp(o, "--vsock") == 0) {
			if (parse_vsock(arg) < 0)
				return cli_usage_err("--vsock CID[:PORT]");
		} else if (strcmp(o, "--secret") == 0) {
			secret_path = arg;
		} else if (strcmp(o, "--forward-uds") == 0) {
			forward_uds = arg;
		} else if (strcmp(o, "--forward-port") == 0 && cli_parse_uint(arg, UINT32_MAX, &v)) {
			cli_target.forward_port = (uint32_t)v;
		} else if (strcmp(o, "--control-port") == 0 && cli_parse_uint(arg, UINT32_MAX, &v)) {
			cli_target.control_port = (uint32_t)v;
		} else if (strcmp(o, "--timeout") == 0 && cli_parse_uint(arg, 3600000, &v) && v > 0) {
			cli_target.timeout_ms = (unsigned)v;
		} else {
			return cli_usage_err("unknown option or bad value");
		}
	}
	if (i >= argc)
		return cli_usage_err("no command");
	if (load_secret() < 0)
		return EXIT_USAGE;
	if (cli_target.kind == CONN_UDS &&
	    snprintf(cli_target.forward_path, sizeof(cli_target.forward_path), "%s",
		     forward_uds ? forward_uds : cli_target.path) >= (int)sizeof(cli_target.forward_path) - 8)
		return cli_usage_err("socket path too long");
	if (cli_target.kind == CONN_UDS && !forward_uds)
		strcat(cli_target.forward_path, "-forward");
	for (size_t c = 0; c < sizeof(commands) / sizeof(commands[0]); c++) {
		if (strcmp(argv[i], commands[c].name) != 0)
			continue;
		if (wants_help(argc - i, argv + i)) {
			fputs(commands[c].help, stdout);
			return EXIT_OK;
		}
		return commands[c].fn(argc - i, argv + i);
	}
	return cli_usage_err("unknown command");
}
