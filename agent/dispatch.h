/* agent/dispatch.h: decode one Request frame and build its Response. Every
 * side effect on the system goes through dispatch_ops, so the fuzzer (and
 * unit tests) can drive this code without stepping the clock or mounting. */
#ifndef KEEL_DISPATCH_H
#define KEEL_DISPATCH_H
#include "arena.h"
#include "health.h"
#include "keel.pb-c.h"
#include "netconf.h"
#include "ports.h"
#include <stdbool.h>
#include <stdint.h>

struct dispatch_ops {
	int (*set_time)(void *ctx, int64_t unix_ns);
	/* Creates dst (mkdir -p) and mounts. */
	int (*mount)(void *ctx, const char *src, const char *dst, const char *fstype,
		     unsigned long flags, const char *data);
	int (*umount)(void *ctx, const char *path);
	/* Configures the link and, when nc names nameservers, the DNS. */
	int (*netconf)(void *ctx, const struct netconf *nc, char *err, size_t errlen);
	/* A fresh scan (ListPorts) / the watch snapshot (WatchPorts): an owned
	 * set the dispatcher frees. */
	int (*ports)(void *ctx, bool watch, struct port_set *out);
	/* Bind, Unbind, ListBinds (NULL: not supported). Replies go in ar;
	 * bind's err gets a human reason on failure. from: who asks (see
	 * dispatch_frame). */
	int (*bind)(void *ctx, void *from, const Keel__BindRequest *rq, struct arena *ar,
		    Keel__Bind **out, char *err, size_t errlen);
	int (*unbind)(void *ctx, void *from, const Keel__UnbindRequest *rq, struct arena *ar,
		      Keel__BindList *out);
	int (*list_binds)(void *ctx, struct arena *ar, Keel__BindList *out);
};

struct dispatch_ctx {
	const struct dispatch_ops *ops;
	void *ops_ctx;
	struct health_input health;     /* docker/containerd readiness filled by caller */
	uint64_t time_threshold_ms;     /* SyncTime default */
	/* Optional: asked before a Health request is answered; returning true
	 * means the caller will answer it later (dispatch_frame returns 1). */
	bool (*defer_health)(void *ctx, void *from, uint64_t id);
	/* Set by the call, acted upon by the caller after the reply is sent. */
	int pending_signal;             /* Power: signal for init, 0 for none */
	bool watch_started;             /* WatchPorts succeeded */
};

/* Decode body and answer it into *resp (strings in a). from stands for the
 * connection the request came on (opaque here: the ops and defer_health
 * that need to know who asks get it; NULL for none). Returns 0 when *resp
 * is to be sent, -EBADMSG when the frame is garbage without a recoverable id
 * (the caller closes the connection), 1 when the reply was deferred.
 * *kind gets the request's body case. */
int dispatch_frame(struct dispatch_ctx *d, void *from, const uint8_t *body, size_t len,
		   struct arena *a, Keel__Response *resp, int *kind);
/* Answer a decoded request (used by dispatch_frame and deferred Health). */
void dispatch_request(struct dispatch_ctx *d, void *from, const Keel__Request *req,
		      struct arena *a, Keel__Response *resp);
/* Fill resp->error. */
void dispatch_error(struct arena *a, Keel__Response *resp, int code, const char *msg);
/* Convert a port_set into PortList entries allocated in a. */
int dispatch_port_list(struct arena *a, const struct port_set *set, Keel__PortList *pl);
Keel__Port *dispatch_port(struct arena *a, const struct port_entry *e);
#endif
