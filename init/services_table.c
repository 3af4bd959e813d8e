/* init/services_table.c: the production service table. Edit here to change
 * what keel runs (argv, env, readiness, grace, oom_score_adj); the image may
 * adjust dockerd's flags, for example a --config-file path. */
#include "services.h"

#define DEFAULT_RESTART \
	.backoff_min_ms = 100, .backoff_max_ms = 5000, \
	.restart_limit = 5, .restart_window_ms = 60000

static const char *const agent_argv[] = { "/usr/sbin/keel-agent", NULL };
static const char *const containerd_argv[] = { "/usr/bin/containerd", NULL };
static const char *const dockerd_argv[] = {
	"/usr/sbin/dockerd",
	"--containerd=/run/containerd/containerd.sock",
	"--userns-remap=default",
	NULL,
};

const struct service_def builtin_services[] = {
	{
		.name = "agent", .argv = agent_argv,
		.ready = READY_NOTIFY, .pass_net = true,
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
		.grace_ms = 10000, .oom_score_adj = -500, DEFAULT_RESTART,
	},
};

const size_t builtin_nservices = sizeof(builtin_services) / sizeof(builtin_services[0]);
