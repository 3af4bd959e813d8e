/* agent/agent.h: keel-agent's configuration and the state of its single
 * epoll loop. Every fd the loop watches is a struct ev whose handler runs on
 * readiness; connections are freed only between two epoll_wait batches, so a
 * handler may close any connection without invalidating a pending event. */
#ifndef KEEL_AGENT_H
#define KEEL_AGENT_H
#include "budget.h"
#include "dispatch.h"
#include "list.h"
#include "ports.h"
#include "secret.h"
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
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

struct agent;
struct ev {
	int fd;
	uint32_t mask;                   /* what epoll watches now */
	void (*fn)(struct agent *a, struct ev *e, uint32_t events);
};

/* A listening socket whose accepts pause while fds run out (listener.c). */
struct listener {
	struct ev ev;
	struct link paused;              /* in agent.paused while paused */
	uint64_t resume_ms;
	char name[64];                   /* for the log: "forward port", "bind 3 tcp ..." */
};

struct listener_pauses {
	struct link list;                /* struct listener.paused, oldest first */
	uint64_t logged_ms;              /* the last pause logged */
	unsigned unlogged;               /* pauses since */
};

/* The head of everything that owns a struct ev: on close it moves from its
 * list to agent.zombies and is freed after the current batch of events. */
enum conn_kind { CONN_CTL, CONN_FWD, CONN_BIND };
struct conn_hdr {
	struct link link;
	enum conn_kind kind;
};

struct docker_probe {
	struct ev ev;
	bool running, ok;
	uint64_t done_ms, deadline_ms;
	char buf[64];
	size_t got;
};

struct port_watch {
	struct port_scanner *scanner;
	struct port_set prev;
	bool have_prev;
	unsigned watchers;
	uint64_t next_poll_ms;
};

struct agent {
	struct agent_config cfg;
	int epfd;
	bool stop;
	struct ev sig;
	struct listener lis[4];
	unsigned nlis;
	struct listener_pauses paused;
	struct link ctl, fwd, zombies;
	unsigned n_ctl;
	struct budget budget;            /* forward-port and guest-originated streams */
	struct link binds;               /* bind.c: guest listeners */
	unsigned n_binds;
	uint64_t next_bind_id;
	struct docker_probe probe;
	struct port_watch watch;
	struct dispatch_ctx dctx;
	struct ctl_conn *current;        /* the connection whose request runs */
	char status_path[4096], resolv_path[4096], engine_path[4096];
	uint64_t next_sweep_ms;
};

/* loop.c */
int ev_add(struct agent *a, struct ev *e, uint32_t mask);
int ev_set(struct agent *a, struct ev *e, uint32_t mask);
void ev_del(struct agent *a, struct ev *e);
int agent_run(struct agent *a);
unsigned agent_sweep_ms(const struct agent *a);

/* listener.c */
/* Watch fd (a listening socket) with fn; name is for the log. */
int listener_add(struct agent *a, struct listener *l, int fd,
		 void (*fn)(struct agent *, struct ev *, uint32_t), const char *name);
/* The next connection's fd (peer filled when given), or -1: the backlog is
 * empty, or accept failed for want of fds or memory and l is paused for
 * ACCEPT_PAUSE_MS (logged at most every LISTENER_LOG_MS). Either way the
 * caller stops accepting for this wakeup. */
int listener_accept(struct agent *a, struct listener *l, struct sockaddr_storage *peer,
		    socklen_t *plen);
void listener_close(struct agent *a, struct listener *l);
/* Paused listeners whose pause is over are watched again. */
void listener_resume(struct agent *a, uint64_t now);
/* When the oldest pause ends; false when none is paused. */
bool listener_next_resume(const struct agent *a, uint64_t *when);
#define LISTENER_LOG_MS 10000

/* listen.c */
int listen_unix(const char *path, int *out);
int agent_listen(struct agent *a);

/* auth.c: the first frame of a host stream */
/* Whether a stream accepted on vsock (or on a unix listener) must open with
 * an Auth frame. */
bool auth_needed(const struct agent *a, bool vsock);
#define AUTH_FRAME_MAX 256u              /* an Auth frame: 2 + SECRET_MAX bytes */
/* 0 when body is an Auth frame with the agent's secret, else -EACCES. */
int auth_check(const struct agent *a, const uint8_t *body, uint32_t len);

/* control.c */
struct ctl_conn;
/* need_auth: the first frame must be an Auth (auth.c), within
 * read_timeout_ms of the accept. */
void ctl_accept(struct agent *a, int fd, bool need_auth);
void ctl_sweep(struct agent *a, uint64_t now);
void ctl_free(struct ctl_conn *c);
void ctl_broadcast_port(struct agent *a, enum port_change ch, const struct port_entry *e);
void ctl_answer_health_waiters(struct agent *a);
void ctl_flush_watchers(struct agent *a);
/* Queue an event for one connection; the loop sends it. */
void ctl_push_event(struct agent *a, struct ctl_conn *c, Keel__Event *ev);
bool ctl_defer_current(struct agent *a, uint64_t id);

/* forward.c */
struct fwd_conn;
/* A forward-port connection (the host's): over the host budget it is closed. */
void fwd_accept(struct agent *a, int fd, bool need_auth);
void fwd_sweep(struct agent *a, uint64_t now);
void fwd_free(struct fwd_conn *f);
/* A bind stream: dial host, send hdr, then relay with guest_fd (an accepted
 * connection, or for udp a socket connected to one guest peer whose first
 * datagram is first). On success guest_fd belongs to the forward. It counts
 * against the guest budget of peer; -ENFILE or -EDQUOT past it. */
struct fwd_outbound {
	const struct sockaddr *host;
	socklen_t host_len;
	int guest_fd;
	bool udp;
	uint64_t bind_id;
	const uint8_t *hdr, *first;
	size_t hdr_len, first_len;
	const struct peer_addr *peer;
	unsigned idle_ms;                /* no traffic for this long ends it */
};
int fwd_outbound(struct agent *a, const struct fwd_outbound *o);
/* Relay client_fd (accepted TCP, from guest peer) with a new connection to
 * target; no request or response on the stream; idle_ms without traffic
 * ends it. On success (and on a failed connect, which closes it) client_fd
 * belongs to the forward; on error (-ENFILE, -EDQUOT past the guest budget)
 * it is the caller's. */
struct fwd_proxy {
	const struct sockaddr_storage *target;
	socklen_t target_len;
	const struct peer_addr *peer;
	unsigned idle_ms;
};
int fwd_proxy(struct agent *a, int client_fd, const struct fwd_proxy *p);

/* bind.c: guest listeners whose connections go to the host (BindRequest) */
#define BINDS_MAX 256
struct bind;
void bind_free(struct bind *b);
void bind_note_failure(struct agent *a, uint64_t id);
/* Drop every bind the control connection made (it closed). */
void bind_drop_owner(struct agent *a, const struct ctl_conn *owner);
bool bind_owned_by(const struct agent *a, const struct ctl_conn *owner);
/* dispatch_ops for Bind, Unbind and ListBinds; ctx is the agent. */
int bind_op_add(void *ctx, const Keel__BindRequest *rq, struct arena *ar, Keel__Bind **out,
		char *err, size_t errlen);
int bind_op_remove(void *ctx, const Keel__UnbindRequest *rq, struct arena *ar,
		   Keel__BindList *out);
int bind_op_list(void *ctx, struct arena *ar, Keel__BindList *out);

/* probe.c: dockerd /_ping and containerd, without blocking the loop */
#define PROBE_FRESH_MS 1000
#define PROBE_TIMEOUT_MS 500
bool probe_fresh(const struct agent *a, uint64_t now);
/* Start a ping unless one runs; true when it finished at once. */
bool probe_start(struct agent *a);
void probe_sweep(struct agent *a, uint64_t now);
bool probe_containerd(const char *path);
/* dispatch_ctx.defer_health: refresh probe results, maybe defer. */
bool probe_before_health(void *ctx, uint64_t id);

/* watch.c */
int watch_ports(void *ctx, bool watch, struct port_set *out);
void watch_poll(struct agent *a, uint64_t now);
void watch_release(struct agent *a);
#endif
