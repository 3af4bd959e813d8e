/* init/status.c: see status.h and docs/interfaces.md. */
#include "status.h"
#include "fd.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct out {
	char *buf;
	size_t cap, len;
	bool full;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len)
		o->full = true;
	else
		o->len += (size_t)n;
}

/* A field: no spaces or control characters, "-" when empty. */
static const char *field(const char *s, char *tmp, size_t cap)
{
	size_t i;

	if (!s || !s[0])
		return "-";
	for (i = 0; s[i] && i + 1 < cap; i++)
		tmp[i] = (s[i] <= ' ' || s[i] == 0x7f) ? '_' : s[i];
	tmp[i] = '\0';
	return tmp;
}

int status_format(const struct status_view *v, char *buf, size_t cap)
{
	struct out o = { buf, cap, 0, false };
	char a[160], b[300], c[80], d[160];
	size_t i;

	put(&o, "init %d %llu\n", (int)v->pid, (unsigned long long)v->boot_ms);
	put(&o, "data %s %s\n", data_kind_name(v->data->kind),
	    field(v->data->device, a, sizeof(a)));
	if (v->data->kind == DATA_ERROR)
		put(&o, "data_error %s\n", field(v->data->error, a, sizeof(a)));
	for (i = 0; i < v->nshares; i++) {
		const struct share_state *sh = &v->shares[i];
		put(&o, "share %s %s %s %s %s\n", field(sh->cfg->tag, a, sizeof(a)),
		    field(sh->cfg->path, b, sizeof(b)), field(sh->fstype, c, sizeof(c)),
		    sh->mounted ? "mounted" : "error",
		    field(sh->message, d, sizeof(d)));
	}
	for (i = 0; v->sup && i < v->sup->n; i++) {
		const struct svc *s = &v->sup->svcs[i];
		put(&o, "service %s %s %d %u %s\n", field(s->def->name, a, sizeof(a)),
		    svc_state_name(s->state), (int)s->pid, s->restarts,
		    field(s->last_exit, b, sizeof(b)));
		if (s->state == SVC_FAILED)
			put(&o, "service_error %s %s\n", a, field(s->reason, d, sizeof(d)));
	}
	return o.full ? -ENOSPC : (int)o.len;
}

int status_publish(const struct status_view *v, const char *path)
{
	char buf[8192];
	int n = status_format(v, buf, sizeof(buf));

	if (n < 0)
		return n;
	return fd_write_file_atomic(path, buf, (size_t)n, 0644);
}
