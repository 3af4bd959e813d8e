/* init/services_table.c: the production service table. Edit here to change
 * what keel runs (argv, env, readiness, grace, oom_score_adj); the image may
 * adjust dockerd's flags, for example a --config-file path. */
#include "services.h"

#define DEFAULT_RESTART \
	.backoff_min_ms = 100, .backoff_max_ms = 5000, \
	.restart_limit = 5, .restart_window_ms = 60000

/* dockerd's stop, and so its grace. At SIGTERM dockerd stops every
 * container at once: SIGTERM, then SIGKILL after the container's own stop
 * timeout (docker's default 10 s, or `docker run --stop-timeout`), and gives
 * up on the whole after max(--shutdown-timeout, longest stop timeout + 5 s).
 * keel sets --shutdown-timeout here (not in daemon.json: one number for both
 * ends) and init waits that long plus DOCKERD_TEARDOWN_MS for dockerd's own
 * teardown (networks, layers, containerd) before SIGKILL, so a container
 * gets a stop timeout of up to DOCKERD_SHUTDOWN_S in full. What bounds it:
 * run-vm stop waits 90 s for QEMU; the worst case here is dockerd 35 s +
 * containerd 5 s + agent 2 s + the rest 3 s (shutdown.c) = 45 s. */
#define DOCKERD_SHUTDOWN_S 30
#define DOCKERD_TEARDOWN_MS 5000
#define STR(x) #x
#define DECIMAL(x) STR(x)

static const char *const agent_argv[] = { "/usr/sbin/keel-agent", NULL };
static const char *const containerd_argv[] = { "/usr/bin/containerd", NULL };
/* dockerd starts through keel-engine-settings, which merges the host's
 * engine settings over the image's daemon.json and execs dockerd with
 * --config-file=/run/keel/daemon.json (docs/engine.md): same pid, and
 * dockerd starts whatever the host sent. */
static const char *const dockerd_argv[] = {
	"/usr/libexec/keel-engine-settings", "--",
	"/usr/sbin/dockerd",
	"--containerd=/run/containerd/containerd.sock",
	"--userns-remap=default",
	"--shutdown-timeout=" DECIMAL(DOCKERD_SHUTDOWN_S),
	NULL,
};

const struct service_def builtin_services[] = {
	{
		.name = "agent", .argv = agent_argv,
		.ready = READY_NOTIFY, .pass_net = true, .pass_secret = true,
		.grace_ms = 2000, .oom_score_adj = -999, DEFAULT_RESTART,
	},
	{
		.name = "containerd", .argv = containerd_argv,
		.ready = READY_SOCKET, .ready_path = "/run/containerd/containerd.sock",
		.needs_data = true,
		.grace_ms = 5000, .oom_score_adj = -500, DEFAULT_RESTART,
	},
	{
		.name = "dockerd", .argv = dockerd_argv,
		.ready = READY_SOCKET, .ready_path = "/run/docker.sock",
		.after = "containerd", .needs_data = true,
		.grace_ms = DOCKERD_SHUTDOWN_S * 1000 + DOCKERD_TEARDOWN_MS,
		.oom_score_adj = -500, DEFAULT_RESTART,
	},
};

const size_t builtin_nservices = sizeof(builtin_services) / sizeof(builtin_services[0]);

/* ECI mode (keel.eci=1, docs/eci.md; init/eci.c puts these in the table):
 * keel-authz writes dockerd's ECI configuration, then serves the plugin
 * socket; dockerd starts once that socket accepts, and consults it. */
#define ECI_DAEMON_JSON "/run/keel/eci/daemon.json"
static const char *const authz_argv[] = {
	"/usr/libexec/keel-authz", "--daemon-config", "/etc/docker/daemon.json", ECI_DAEMON_JSON,
	NULL,
};
const struct service_def eci_service = {
	.name = "authz", .argv = authz_argv,
	.ready = READY_SOCKET, .ready_path = "/run/docker/plugins/keel-eci.sock",
	.after = "containerd",
	.grace_ms = 2000, .oom_score_adj = -999, DEFAULT_RESTART,
};
const char *const eci_dockerd_args[] = {
	"--authorization-plugin=keel-eci", "--config-file=" ECI_DAEMON_JSON, NULL,
};
