/* agent/ports.c: the port scanner. One scan = four sock_diag dumps (TCP and
 * UDP x IPv4 and IPv6), sorted, deduplicated, with owners carried over from
 * the previous scan by a linear merge; only sockets never seen before cost
 * a walk of /proc. */
#include "ports.h"
#include "clock.h"
#include "port_owner.h"
#include "sockdiag.h"
#include <errno.h>
#include <libmnl/libmnl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* At most this many fd links read per scan while resolving owners: a
 * bound on the stall (a few ms) when the guest runs huge fd tables; the
 * rest is picked up by the next scans. */
#define PORTS_OWNER_MAX_FDS 16384
/* Owners a bounded walk could not find yet are looked for again this often
 * (new sockets are always looked up at once). */
#define PORTS_OWNER_RETRY_NS (1000ull * 1000 * 1000)
/* A dump the kernel marked inconsistent (NLM_F_DUMP_INTR) is redone. */
#define PORTS_DUMP_TRIES 3

/* Owner state of an entry, kept beside the previous scan's set. */
enum port_owner_state {
	PORT_OWNER_NEW = 0,      /* not looked up yet */
	PORT_OWNER_PENDING,      /* a bounded walk did not find it yet */
	PORT_OWNER_FINAL,        /* found, or a full walk did not find it */
};

struct port_scanner {
	struct mnl_socket *nl;   /* NULL after an error: reopened next scan */
	uint32_t seq;
	void *buf;               /* SOCKDIAG_BUF_SIZE bytes */
	struct sockdiag_vec cur; /* this scan's entries */
	uint8_t *cur_state;      /* enum port_owner_state per cur entry */
	size_t cur_state_cap;
	struct sockdiag_vec prev;  /* the previous scan: the owner cache */
	uint8_t *prev_state;
	size_t prev_state_cap;
	struct port_owner *q;    /* owner queries, scratch */
	size_t qcap;
	struct port_owner_cursor cursor;
	uint64_t retry_at_ns;
	const char *proc;        /* "/proc"; unit tests point it elsewhere */
};

int port_entry_cmp(const struct port_entry *a, const struct port_entry *b)
{
	int c;

	if (a->transport != b->transport)
		return a->transport < b->transport ? -1 : 1;
	if (a->port != b->port)
		return a->port < b->port ? -1 : 1;
	c = strcmp(a->address, b->address);
	if (c != 0)
		return c < 0 ? -1 : 1;
	if (a->inode != b->inode)
		return a->inode < b->inode ? -1 : 1;
	return 0;
}

static int ports_qsort_cmp(const void *a, const void *b)
{
	return port_entry_cmp(a, b);
}

int port_scanner_open(struct port_scanner **out)
{
	struct port_scanner *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	s->proc = "/proc";
	s->buf = malloc(SOCKDIAG_BUF_SIZE);
	if (!s->buf) {
		free(s);
		return -ENOMEM;
	}
	r = sockdiag_open(&s->nl);
	if (r < 0) {
		free(s->buf);
		free(s);
		return r;
	}
	*out = s;
	return 0;
}

void port_scanner_close(struct port_scanner *s)
{
	if (!s)
		return;
	if (s->nl)
		mnl_socket_close(s->nl);
	sockdiag_vec_free(&s->cur);
	sockdiag_vec_free(&s->prev);
	free(s->cur_state);
	free(s->prev_state);
	free(s->q);
	free(s->buf);
	free(s);
}

void port_set_free(struct port_set *set)
{
	if (!set)
		return;
	free(set->v);
	set->v = NULL;
	set->n = 0;
}

/* The four dumps into s->cur. After a failure the socket may still hold
 * the tail of a dump, so it is dropped and a fresh one opened next time. */
static int ports_dump_all(struct port_scanner *s)
{
	static const struct { int family; enum port_transport t; } what[] = {
		{ AF_INET, PORT_TCP }, { AF_INET6, PORT_TCP },
		{ AF_INET, PORT_UDP }, { AF_INET6, PORT_UDP },
	};
	int r = 0, tries;
	size_t i;

	for (tries = 0; tries < PORTS_DUMP_TRIES; tries++) {
		if (!s->nl) {
			r = sockdiag_open(&s->nl);
			if (r < 0)
				return r;
		}
		s->cur.n = 0;
		for (i = 0; i < sizeof(what) / sizeof(what[0]); i++) {
			struct sockdiag_ctx ctx = {
				.out = &s->cur, .transport = what[i].t, .family = what[i].family,
			};

			r = sockdiag_dump(s->nl, s->buf, &s->seq, &ctx);
			if (r < 0)
				break;
		}
		if (r == 0)
			return 0;
		mnl_socket_close(s->nl);
		s->nl = NULL;
		if (r != -EINTR)
			return r;
	}
	return r;
}

/* Sort and drop duplicates (a socket seen twice when a dump restarts). */
static void ports_sort_unique(struct sockdiag_vec *v)
{
	size_t i, n = 0;

	if (v->n < 2)
		return;
	qsort(v->v, v->n, sizeof(v->v[0]), ports_qsort_cmp);
	for (i = 1; i < v->n; i++)
		if (port_entry_cmp(&v->v[n], &v->v[i]) != 0)
			v->v[++n] = v->v[i];
	v->n = n + 1;
}

static int ports_grow(void **p, size_t *cap, size_t need, size_t size)
{
	void *np;

	if (need <= *cap)
		return 0;
	np = realloc(*p, need * size);
	if (!np)
		return -ENOMEM;
	*p = np;
	*cap = need;
	return 0;
}

/* Copy owners of sockets that were already there last time: both sets are
 * sorted by identity, so this is one merge pass. */
static void ports_carry_owners(struct port_scanner *s)
{
	size_t i = 0, j = 0;

	while (i < s->cur.n) {
		struct port_entry *e = &s->cur.v[i];
		int c = j < s->prev.n ? port_entry_cmp(e, &s->prev.v[j]) : -1;

		if (c > 0) {
			j++;
			continue;
		}
		if (c == 0) {
			e->pid = s->prev.v[j].pid;
			memcpy(e->command, s->prev.v[j].command, sizeof(e->command));
			s->cur_state[i] = s->prev_state[j];
			j++;
		} else {
			e->pid = 0;
			e->command[0] = '\0';
			s->cur_state[i] = e->inode ? PORT_OWNER_NEW : PORT_OWNER_FINAL;
		}
		i++;
	}
}

static int ports_owner_cmp(const void *a, const void *b)
{
	const struct port_owner *x = a, *y = b;

	return x->inode < y->inode ? -1 : x->inode > y->inode;
}

static const struct port_owner *ports_owner_find(const struct port_owner *q, size_t n,
						 uint64_t inode)
{
	struct port_owner key = { .inode = inode };

	return bsearch(&key, q, n, sizeof(*q), ports_owner_cmp);
}

/* Look up owners of new sockets (and, once a second, of those a bounded
 * walk missed) with one walk of /proc. */
static int ports_resolve_owners(struct port_scanner *s)
{
	uint64_t now = mono_ns();
	bool retry = now >= s->retry_at_ns;
	size_t i, n = 0, k;
	int r;

	for (i = 0; i < s->cur.n; i++)
		if (s->cur_state[i] == PORT_OWNER_NEW ||
		    (retry && s->cur_state[i] == PORT_OWNER_PENDING))
			n++;
	if (n == 0)
		return 0;
	r = ports_grow((void **)&s->q, &s->qcap, n, sizeof(*s->q));
	if (r < 0)
		return r;
	for (i = 0, k = 0; i < s->cur.n; i++)
		if (s->cur_state[i] == PORT_OWNER_NEW ||
		    (retry && s->cur_state[i] == PORT_OWNER_PENDING))
			s->q[k++] = (struct port_owner){ .inode = s->cur.v[i].inode };
	qsort(s->q, n, sizeof(*s->q), ports_owner_cmp);
	for (i = 1, k = 0; i < n; i++)
		if (s->q[i].inode != s->q[k].inode)
			s->q[++k] = s->q[i];
	n = k + 1;

	r = port_owner_resolve(s->proc, s->q, n, PORTS_OWNER_MAX_FDS, &s->cursor);
	if (r < 0)
		s->retry_at_ns = now + PORTS_OWNER_RETRY_NS;
	for (i = 0; i < s->cur.n; i++) {
		const struct port_owner *o;

		if (s->cur_state[i] == PORT_OWNER_FINAL)
			continue;
		o = ports_owner_find(s->q, n, s->cur.v[i].inode);
		if (!o)
			continue;   /* a pending one not retried this time */
		if (o->pid) {
			s->cur.v[i].pid = o->pid;
			memcpy(s->cur.v[i].command, o->comm, sizeof(o->comm));
			s->cur.v[i].command[sizeof(s->cur.v[i].command) - 1] = '\0';
		}
		s->cur_state[i] = o->pid || r == 0 ? PORT_OWNER_FINAL : PORT_OWNER_PENDING;
	}
	return 0;
}

int port_scanner_scan(struct port_scanner *s, struct port_set *out)
{
	struct sockdiag_vec tv;
	uint8_t *ts;
	size_t tcap;
	int r;

	r = ports_dump_all(s);
	if (r < 0)
		return r;
	ports_sort_unique(&s->cur);
	r = ports_grow((void **)&s->cur_state, &s->cur_state_cap, s->cur.n, 1);
	if (r < 0)
		return r;
	ports_carry_owners(s);
	r = ports_resolve_owners(s);
	if (r < 0)
		return r;

	out->n = s->cur.n;
	out->v = malloc((s->cur.n ? s->cur.n : 1) * sizeof(*out->v));
	if (!out->v) {
		out->n = 0;
		return -ENOMEM;
	}
	memcpy(out->v, s->cur.v, s->cur.n * sizeof(*out->v));

	/* This scan becomes the owner cache; the old cache the next scratch. */
	tv = s->prev, s->prev = s->cur, s->cur = tv;
	ts = s->prev_state, s->prev_state = s->cur_state, s->cur_state = ts;
	tcap = s->prev_state_cap, s->prev_state_cap = s->cur_state_cap, s->cur_state_cap = tcap;
	return 0;
}

void port_set_diff(const struct port_set *prev, const struct port_set *next,
		   void (*cb)(void *ctx, enum port_change change,
			      const struct port_entry *e),
		   void *ctx)
{
	size_t i = 0, j = 0;

	while (i < prev->n || j < next->n) {
		int c;

		if (i == prev->n)
			c = 1;
		else if (j == next->n)
			c = -1;
		else
			c = port_entry_cmp(&prev->v[i], &next->v[j]);
		if (c < 0)
			cb(ctx, PORT_REMOVED, &prev->v[i++]);
		else if (c > 0)
			cb(ctx, PORT_ADDED, &next->v[j++]);
		else
			i++, j++;
	}
}
