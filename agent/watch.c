/* agent/watch.c: ListPorts and WatchPorts over agent/ports.h. While at least
 * one connection watches, the sockets are rescanned every PORTS_POLL_MS and
 * the difference with the previous scan is pushed to every watcher; with no
 * watcher nothing runs. */
#include "watch.h"
#include "agent.h"
#include "clock.h"
#include "log.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int scanner(struct agent *a, struct port_scanner **out)
{
	int e = 0;

	if (!a->watch.scanner)
		e = port_scanner_open(&a->watch.scanner);
	*out = a->watch.scanner;
	return e;
}

static void on_change(void *ctx, enum port_change ch, const struct port_entry *e)
{
	struct agent *a = ctx;

	a->watch.changed(a, ch, e);
}

/* The agent's own sockets (bind listeners and flows, the DNS server) are
 * keel's plumbing, not guest services: listing them would make publish
 * --auto put the DNS server on the host's port 53 and loop binds back. */
static void drop_own(struct port_set *set)
{
	uint32_t self = (uint32_t)getpid();
	size_t j = 0;

	for (size_t i = 0; i < set->n; i++)
		if (set->v[i].pid != self)
			set->v[j++] = set->v[i];
	set->n = j;
}

/* Scan; when watchers exist, push the difference and keep the scan. */
static int rescan(struct agent *a, struct port_set *next)
{
	struct port_scanner *s;
	int e = scanner(a, &s);

	if (e < 0)
		return e;
	e = port_scanner_scan(s, next);
	if (e < 0)
		return e;
	drop_own(next);
	if (a->watch.watchers && a->watch.have_prev) {
		port_set_diff(&a->watch.prev, next, on_change, a);
		a->watch.flush(a);
	}
	return 0;
}

static int copy_set(const struct port_set *src, struct port_set *dst)
{
	dst->n = 0;
	dst->v = NULL;
	if (src->n == 0)
		return 0;
	dst->v = malloc(src->n * sizeof(*src->v));
	if (!dst->v)
		return -ENOMEM;
	memcpy(dst->v, src->v, src->n * sizeof(*src->v));
	dst->n = src->n;
	return 0;
}

int watch_ports(void *ctx, bool watch, struct port_set *out)
{
	struct agent *a = ctx;
	struct port_set next = { 0 };
	int e = rescan(a, &next);

	if (e < 0)
		return e;
	if (!watch && !a->watch.watchers) {
		*out = next;
		return 0;
	}
	/* The scan becomes the reference that watchers' events follow. */
	e = copy_set(&next, out);
	if (e < 0) {
		port_set_free(&next);
		return e;
	}
	if (a->watch.have_prev)
		port_set_free(&a->watch.prev);
	a->watch.prev = next;
	a->watch.have_prev = true;
	a->watch.next_poll_ms = mono_ms() + PORTS_POLL_MS;
	return 0;
}

static void poll_ports(struct agent *a, uint64_t now)
{
	struct port_set next = { 0 };
	int e = rescan(a, &next);

	/* From the end of the scan: a scan slower than the period (thousands
	 * of sockets, a big /proc) must not turn the loop into a busy one. */
	(void)now;
	a->watch.next_poll_ms = mono_ms() + PORTS_POLL_MS;
	if (e < 0) {
		log_warn("watch: port scan failed: %s", strerror(-e));
		return;
	}
	if (a->watch.have_prev)
		port_set_free(&a->watch.prev);
	a->watch.prev = next;
	a->watch.have_prev = true;
}

static void release(struct agent *a)
{
	if (a->watch.have_prev)
		port_set_free(&a->watch.prev);
	a->watch.have_prev = false;
	if (a->watch.scanner)
		port_scanner_close(a->watch.scanner);
	a->watch.scanner = NULL;
}

void watch_run(struct agent *a, uint64_t now)
{
	if (a->watch.watchers && now >= a->watch.next_poll_ms)
		poll_ports(a, now);
	if (!a->watch.watchers && (a->watch.have_prev || a->watch.scanner))
		release(a);
}

bool watch_next_poll(const struct agent *a, uint64_t *when)
{
	*when = a->watch.next_poll_ms;
	return a->watch.watchers > 0;
}
