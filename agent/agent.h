/* agent/agent.h: keel-agent's configuration and the state it owns: the
 * loop, the listeners, the connection lists and budgets, and each module's
 * state. Functions live in the module headers (loop.h, listener.h,
 * control.h, forward.h, bind.h, probe.h, watch.h, dns_server.h, ...). */
#ifndef KEEL_AGENT_H
#define KEEL_AGENT_H
#include "budget.h"
#include "dispatch.h"
#include "dns_server.h"
#include "list.h"
#include "listener.h"
#include "loop.h"
#include "probe.h"
#include "secret.h"
#include "watch.h"
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct agent_config {
	bool vsock;                      /* listen on AF_VSOCK */
	unsigned control_port, forward_port;
	bool allow_any_cid;
	const char *control_uds, *forward_uds;
	/* Bind streams go to the host: AF_VSOCK CID 2, or with host_uds set the
	 * unix socket "<host_uds>_<port>" (keel-vsock's naming; host tests). */
	const char *host_uds;
	/* Local addresses the agent puts on lo (empty: none): host services
	 * (host.keel.internal, the default bind address) and its DNS server. */
	const char *host_address, *dns_address;
	const char *run_dir, *docker_sock, *containerd_sock, *var_lib;
	pid_t init_pid;
	const char *net;
	uint32_t max_frame;
	unsigned max_control, max_forward;
	unsigned max_guest, max_guest_peer;  /* guest-originated streams: all, per source address */
	unsigned guest_idle_ms;          /* a guest-originated relay with no traffic ends */
	unsigned dns_rate;               /* DNS queries per second per source (0: no limit) */
	unsigned read_timeout_ms;        /* a frame begun must complete in this */
	unsigned idle_timeout_ms;        /* a control connection with nothing to do */
	uint64_t time_threshold_ms;
	bool debug;
	/* The per-boot secret every host stream must open with (auth.c); len
	 * 0: none (then vsock streams are all refused). */
	struct secret secret;
};

struct agent {
	struct agent_config cfg;
	struct loop loop;
	struct ev sig;
	struct listener lis[4];
	unsigned nlis;
	struct listener_pauses paused;
	struct link ctl, fwd;
	unsigned n_ctl;
	struct budget budget;            /* forward-port and guest-originated streams */
	struct link binds;               /* bind.c: guest listeners */
	unsigned n_binds;
	uint64_t next_bind_id;
	struct docker_probe probe;
	struct port_watch watch;
	struct dns_server dns;
	struct dispatch_ctx dctx;
	char status_path[4096], engine_path[4096];
};
#endif
