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
/* Processes asked first (known owners and new pids) at most. */
#define PORTS_PROBE_MAX_PIDS 256
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
	uint32_t *pids, *pids_prev;   /* /proc at this and at the last lookup */
	size_t npids, npids_prev, pidcap, pidcap_prev;
	bool have_pids;
	struct port_fdmap *maps;      /* fast path: asked-first processes, by pid */
	size_t nmaps, mapcap;
	struct port_fdmap *maps_next;
	size_t mapcap_next;
	uint64_t *stable;             /* inodes of sockets with a known owner */
	size_t stablecap;
	uint32_t *owners;             /* their pids */
	size_t ownercap;
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
	free(s->pids);
	free(s->pids_prev);
	for (size_t i = 0; i < s->nmaps; i++)
		port_fdmap_free(&s->maps[i]);
	free(s->maps);
	free(s->maps_next);
	free(s->stable);
	free(s->owners);
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

static int ports_u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static int ports_u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool ports_u32_in(const uint32_t *v, size_t n, uint32_t x)
{
	return n > 0 && bsearch(&x, v, n, sizeof(x), ports_u32_cmp) != NULL;
}

/* The sockets whose owner is known (their inodes, sorted, into s->stable)
 * and those owners (sorted, unique, into s->owners; returns how many). */
static int ports_known_owners(struct port_scanner *s, size_t *nstable, size_t *nowners)
{
	size_t i, ns = 0, no = 0, k;
	int r;

	r = ports_grow((void **)&s->stable, &s->stablecap, s->cur.n ? s->cur.n : 1,
		       sizeof(*s->stable));
	if (r == 0)
		r = ports_grow((void **)&s->owners, &s->ownercap, s->cur.n ? s->cur.n : 1,
			       sizeof(*s->owners));
	if (r < 0)
		return r;
	for (i = 0; i < s->cur.n; i++) {
		if (s->cur_state[i] != PORT_OWNER_FINAL || s->cur.v[i].inode == 0)
			continue;
		s->stable[ns++] = s->cur.v[i].inode;
		if (s->cur.v[i].pid)
			s->owners[no++] = s->cur.v[i].pid;
	}
	qsort(s->stable, ns, sizeof(*s->stable), ports_u64_cmp);
	qsort(s->owners, no, sizeof(*s->owners), ports_u32_cmp);
	for (i = 1, k = 0; i < no; i++)
		if (s->owners[i] != s->owners[k])
			s->owners[++k] = s->owners[i];
	*nstable = ns;
	*nowners = no ? k + 1 : 0;
	return 0;
}

static int ports_map_cmp(const void *a, const void *b)
{
	const struct port_fdmap *x = a, *y = b;

	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

/* The processes asked first, ascending, into s->maps with their fd maps
 * carried over: running owners of known sockets and pids that were not
 * there at the last lookup. Maps of the others are dropped. */
static int ports_pick_probes(struct port_scanner *s, size_t nowners)
{
	size_t i, k = 0;
	int r;

	r = ports_grow((void **)&s->maps_next, &s->mapcap_next, PORTS_PROBE_MAX_PIDS,
		       sizeof(*s->maps_next));
	if (r < 0)
		return r;
	for (i = 0; i < s->npids && k < PORTS_PROBE_MAX_PIDS; i++) {
		uint32_t pid = s->pids[i];
		struct port_fdmap key = { .pid = pid }, *old;

		if (!ports_u32_in(s->owners, nowners, pid) &&
		    ports_u32_in(s->pids_prev, s->npids_prev, pid))
			continue;
		old = s->nmaps ? bsearch(&key, s->maps, s->nmaps, sizeof(key), ports_map_cmp) : NULL;
		s->maps_next[k++] = old ? *old : key;
		if (old)
			*old = (struct port_fdmap){ 0 };
	}
	for (i = 0; i < s->nmaps; i++)
		port_fdmap_free(&s->maps[i]);
	{
		struct port_fdmap *t = s->maps;
		size_t tc = s->mapcap;

		s->maps = s->maps_next, s->mapcap = s->mapcap_next;
		s->maps_next = t, s->mapcap_next = tc;
	}
	s->nmaps = k;
	return 0;
}

/* The fast path: ask the likely owners about s->q[0..n) before the walk of
 * every process. A miss costs little: the walk follows. */
static void ports_probe_owners(struct port_scanner *s, size_t n)
{
	size_t budget = PORTS_OWNER_MAX_FDS, nstable, nowners, i;
	uint32_t *t;
	size_t tc;
	int r;

	t = s->pids_prev, s->pids_prev = s->pids, s->pids = t;
	tc = s->pidcap_prev, s->pidcap_prev = s->pidcap, s->pidcap = tc;
	s->npids_prev = s->npids;
	r = port_owner_pids(s->proc, &s->pids, &s->npids, &s->pidcap);
	if (r < 0) {
		s->have_pids = false;
		return;
	}
	qsort(s->pids, s->npids, sizeof(*s->pids), ports_u32_cmp);
	if (!s->have_pids) {         /* the first lookup: every pid is new */
		s->have_pids = true;
		return;
	}
	if (ports_known_owners(s, &nstable, &nowners) < 0 || ports_pick_probes(s, nowners) < 0)
		return;
	for (i = 0; i < s->nmaps && n > 0 && budget > 0; i++) {
		r = port_owner_probe(s->proc, &s->maps[i], s->q, n, s->stable, nstable, &budget);
		if (r > 0)
			n -= (size_t)r;
	}
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

	ports_probe_owners(s, n);
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
