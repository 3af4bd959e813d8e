/* agent/bind.h: guest listeners whose connections go to the host
 * (BindRequest; bind.c, docs/bind.md). A bind lives as long as its owner,
 * the control connection that made it, and tells it through the owner's
 * callback when another connection removes it. */
#ifndef KEEL_BIND_H
#define KEEL_BIND_H
#include "arena.h"
#include "keel.pb-c.h"
#include <stdbool.h>
#include <stddef.h>

struct agent;

#define BINDS_MAX 256

struct bind_owner {
	/* Another connection removed bind m of this owner's. */
	void (*removed)(struct agent *a, struct bind_owner *o, Keel__Bind *m);
};

/* Drop every bind of owner (its connection closed). */
void bind_drop_owner(struct agent *a, const struct bind_owner *owner);
bool bind_owned_by(const struct agent *a, const struct bind_owner *owner);
/* dispatch_ops for Bind, Unbind and ListBinds; ctx is the agent, from the
 * struct bind_owner of the connection the request came on. */
int bind_op_add(void *ctx, void *from, const Keel__BindRequest *rq, struct arena *ar,
		Keel__Bind **out, char *err, size_t errlen);
int bind_op_remove(void *ctx, void *from, const Keel__UnbindRequest *rq, struct arena *ar,
		   Keel__BindList *out);
int bind_op_list(void *ctx, struct arena *ar, Keel__BindList *out);
#endif
