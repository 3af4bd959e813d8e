/* tests/progs/ports_dump.c: print what the port scanner sees, for the host
 * tests and the scan benchmark. Not part of the product.
 *   ports-dump                 one scan, one tab-separated line per socket:
 *                              transport address port pid command inode uid v6only
 *   ports-dump --watch SECS    rescan every PORTS_POLL_MS for SECS seconds,
 *                              printing "+ line" / "- line" as sockets come and go
 *   ports-dump --bench N       time N scans after a warm-up one; prints
 *                              "entries E scans N mean_us M p50_us P p99_us Q" */
#include "clock.h"
#include "ports.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void print_entry(const char *prefix, const struct port_entry *e)
{
	printf("%s%s\t%s\t%u\t%u\t%s\t%llu\t%u\t%d\n", prefix,
	       e->transport == PORT_TCP ? "tcp" : "udp", e->address, e->port, e->pid,
	       e->command[0] ? e->command : "-", (unsigned long long)e->inode, e->uid,
	       e->v6only ? 1 : 0);
}

static void on_change(void *ctx, enum port_change change, const struct port_entry *e)
{
	(void)ctx;
	print_entry(change == PORT_ADDED ? "+ " : "- ", e);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int bench(struct port_scanner *s, long n)
{
	struct port_set set = { 0 };
	uint64_t *t, sum = 0;
	size_t entries;
	long i;
	int r;

	r = port_scanner_scan(s, &set);     /* warm-up: resolves every owner */
	if (r < 0)
		return r;
	entries = set.n;
	port_set_free(&set);
	t = calloc((size_t)n, sizeof(*t));
	if (!t)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		uint64_t t0 = mono_ns();

		r = port_scanner_scan(s, &set);
		t[i] = mono_ns() - t0;
		if (r < 0)
			break;
		port_set_free(&set);
		sum += t[i];
	}
	if (r == 0) {
		qsort(t, (size_t)n, sizeof(*t), cmp_u64);
		printf("entries %zu scans %ld mean_us %llu p50_us %llu p99_us %llu\n", entries, n,
		       (unsigned long long)(sum / (uint64_t)n / 1000),
		       (unsigned long long)(t[n / 2] / 1000),
		       (unsigned long long)(t[(n * 99) / 100] / 1000));
	}
	free(t);
	return r;
}

static int watch(struct port_scanner *s, long secs)
{
	struct port_set prev = { 0 }, next = { 0 };
	uint64_t end = mono_ns() + (uint64_t)secs * 1000000000ull;
	struct timespec ts = { 0, PORTS_POLL_MS * 1000000L };
	int r;

	r = port_scanner_scan(s, &prev);
	if (r < 0)
		return r;
	printf("WATCHING\n");
	fflush(stdout);
	while (mono_ns() < end) {
		nanosleep(&ts, NULL);
		r = port_scanner_scan(s, &next);
		if (r < 0)
			break;
		port_set_diff(&prev, &next, on_change, NULL);
		fflush(stdout);
		port_set_free(&prev);
		prev = next;
		next = (struct port_set){ 0 };
	}
	port_set_free(&prev);
	return r;
}

int main(int argc, char **argv)
{
	struct port_scanner *s;
	struct port_set set = { 0 };
	int r;
	size_t i;

	r = port_scanner_open(&s);
	if (r < 0) {
		fprintf(stderr, "ports-dump: open: %s\n", strerror(-r));
		return 1;
	}
	if (argc == 3 && strcmp(argv[1], "--bench") == 0) {
		r = bench(s, atol(argv[2]) > 0 ? atol(argv[2]) : 100);
	} else if (argc == 3 && strcmp(argv[1], "--watch") == 0) {
		r = watch(s, atol(argv[2]));
	} else if (argc == 1) {
		r = port_scanner_scan(s, &set);
		for (i = 0; r == 0 && i < set.n; i++)
			print_entry("", &set.v[i]);
		port_set_free(&set);
	} else {
		fprintf(stderr, "usage: ports-dump [--watch SECS | --bench N]\n");
		r = -EINVAL;
	}
	port_scanner_close(s);
	if (r < 0 && r != -EINVAL)
		fprintf(stderr, "ports-dump: %s\n", strerror(-r));
	return r < 0 ? 1 : 0;
}
