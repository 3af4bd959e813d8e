/* host/keel-host/plan.c: the daemon's command line (plan.h). */
#include "plan.h"
#include "decimal.h"
#include "frame.h"
#include "secret.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *v)
{
	unsigned long long x;

	if (!parse_decimal(s, max, &x) || x < min)
		return false;
	*v = (unsigned long)x;
	return true;
}

bool plan_parse_bind(const char *rule, struct bind_spec *s)
{
	char guest[16];
	const char *rest = rule, *colon;
	size_t n;

	*s = (struct bind_spec){ .transport = KEEL__TRANSPORT__TRANSPORT_TCP, .wait = true };
	if (strncmp(rest, "udp:", 4) == 0)
		s->transport = KEEL__TRANSPORT__TRANSPORT_UDP, rest += 4;
	else if (strncmp(rest, "tcp:", 4) == 0)
		rest += 4;
	colon = strchr(rest, ':');
	if (!colon || (n = (size_t)(colon - rest)) == 0 || n >= sizeof(guest))
		return false;
	memcpy(guest, rest, n);
	guest[n] = 0;
	return bind_parse_addr_port(guest, s->guest_addr, sizeof(s->guest_addr), &s->guest_port) &&
	       strchr(colon + 1, ':') &&
	       bind_parse_addr_port(colon + 1, s->target_host, sizeof(s->target_host), &s->target_port);
}

/* A counted vector at argv[*i]: ARGC ARGV...; NULL-terminates it in place
 * (the slot after it is the next option, saved first). */
static char **take_vector(int argc, char **argv, int *i, char **saved)
{
	unsigned long n;
	char **v;

	if (*i >= argc || !parse_ulong(argv[*i], 1, 4096, &n) || (unsigned long)(argc - *i - 1) < n)
		return NULL;
	v = &argv[*i + 1];
	*i += (int)n + 1;
	*saved = argv[*i];
	argv[*i] = NULL;
	return v;
}

static struct plan_helper *helper_named(struct host_plan *p, const char *name)
{
	for (size_t h = 0; h < p->n_helpers; h++)
		if (strcmp(p->helpers[h].name, name) == 0)
			return &p->helpers[h];
	return NULL;
}

static int bad(char *err, size_t n, const char *what, const char *arg)
{
	snprintf(err, n, "%s%s%s", what, arg ? ": " : "", arg ? arg : "");
	return -EINVAL;
}

int plan_parse(int argc, char **argv, struct host_plan *p, char *err, size_t errlen)
{
	char *saved = NULL;
	unsigned long v;

	*p = (struct host_plan){ .publish = true, .docker_guest = "/run/docker.sock", .sync_interval_s = 60, .console_max = 4u << 20,
				 .log_max = 1u << 20,
				 .t = { .kind = CONN_HYBRID, .control_port = KEEL_CONTROL_PORT,
					.forward_port = KEEL_FORWARD_PORT,
					.timeout_ms = 3000 } };
	for (int i = 1; i < argc; ) {
		const char *o = saved ? saved : argv[i];
		const char *a = i + 1 < argc ? argv[i + 1] : NULL;
		saved = NULL;
		if (strcmp(o, "--no-publish") == 0) {
			p->publish = false, i++;
			continue;
		}
		if (!a)
			return bad(err, errlen, "option needs a value", o);
		if (strcmp(o, "--state") == 0) {
			p->state = a;
		} else if (strcmp(o, "--hybrid") == 0) {
			p->t.kind = CONN_HYBRID, p->t.path = a;
		} else if (strcmp(o, "--vsock") == 0) {
			if (!parse_ulong(a, 3, UINT32_MAX - 1, &v))
				return bad(err, errlen, "--vsock needs a CID", a);
			p->t.kind = CONN_VSOCK, p->t.cid = (uint32_t)v;
		} else if (strcmp(o, "--uds") == 0) {
			/* the agent on unix sockets (tests, benchmarks): PATH and PATH-forward */
			p->t.kind = CONN_UDS, p->t.path = a;
			if (snprintf(p->t.forward_path, sizeof(p->t.forward_path), "%s-forward", a) >=
			    (int)sizeof(p->t.forward_path))
				return bad(err, errlen, "--uds: path too long", a);
		} else if (strcmp(o, "--secret") == 0) {
			/* the VM's per-boot secret, the Auth frame of every stream */
			int e = secret_read_file(a, &p->t.secret);
			if (e < 0)
				return bad(err, errlen, e == -EINVAL ? "--secret: not 16 to 64 bytes"
								     : "--secret: cannot read it", a);
		} else if (strcmp(o, "--docker-sock") == 0) {
			p->docker_sock = a;
		} else if (strcmp(o, "--docker-guest") == 0) {
			p->docker_guest = a;
		} else if (strcmp(o, "--bindd") == 0) {
			p->bindd = a;
		} else if (strcmp(o, "--bind") == 0) {
			if (p->n_binds == PLAN_BINDS_MAX || !plan_parse_bind(a, &p->binds[p->n_binds]))
				return bad(err, errlen, "--bind [udp:]GUESTPORT:HOSTADDR:HOSTPORT", a);
			p->bind_rules[p->n_binds++] = a;
		} else if (strcmp(o, "--sync-interval") == 0) {
			if (!parse_ulong(a, 1, 86400, &v))
				return bad(err, errlen, "--sync-interval needs seconds (1-86400)", a);
			p->sync_interval_s = (unsigned)v;
		} else if (strcmp(o, "--console-max") == 0 || strcmp(o, "--log-max") == 0) {
			if (!parse_ulong(a, 4096, 1ul << 34, &v))
				return bad(err, errlen, "a log bound is bytes (at least 4096)", a);
			*(o[2] == 'c' ? &p->console_max : &p->log_max) = v;
		} else if (strcmp(o, "--info") == 0) {
			if (p->n_info == PLAN_INFO_MAX || !strchr(a, '='))
				return bad(err, errlen, "--info KEY=VALUE", a);
			p->info[p->n_info++] = a;
		} else if (strcmp(o, "--helper") == 0) {
			struct plan_helper *h = &p->helpers[p->n_helpers];
			if (p->n_helpers == PLAN_HELPERS_MAX || i + 4 >= argc)
				return bad(err, errlen, "--helper NAME SOCKET FD3DIR|- ARGC ARGV...", a);
			h->name = argv[i + 1];
			h->socket = argv[i + 2];
			h->fd3_dir = strcmp(argv[i + 3], "-") ? argv[i + 3] : NULL;
			i += 4;
			if (!(h->argv = take_vector(argc, argv, &i, &saved)))
				return bad(err, errlen, "--helper: bad argument count", h->name);
			p->n_helpers++;
			continue;
		} else if (strcmp(o, "--reboot-on-death") == 0) {
			struct plan_helper *h = helper_named(p, a);
			if (!h)
				return bad(err, errlen, "--reboot-on-death: no such helper (yet)", a);
			h->reboot_vm = true;
		} else if (strcmp(o, "--relay") == 0 || strcmp(o, "--relay-fs") == 0) {
			struct plan_helper *h = helper_named(p, a);
			if (!h || i + 2 >= argc || !h->socket[0])
				return bad(err, errlen, "--relay[-fs] NAME FRONT: no such helper (yet)", a);
			h->relay_front = argv[i + 2];
			h->relay_fuse = strcmp(o, "--relay-fs") == 0;
			i += 3;
			continue;
		} else if (strcmp(o, "--qemu") == 0) {
			i++;
			if (!(p->qemu = take_vector(argc, argv, &i, &saved)))
				return bad(err, errlen, "--qemu: bad argument count", NULL);
			continue;
		} else {
			return bad(err, errlen, "unknown option", o);
		}
		i += 2;
	}
	if (!p->state || !p->qemu || (p->t.kind != CONN_VSOCK && !p->t.path))
		return bad(err, errlen, "needs --state, --hybrid, --vsock or --uds, and --qemu", NULL);
	return 0;
}
