/* init/eci.c: see eci.h. The table is composed here rather than written
 * twice in services_table.c, so that the ECI variant cannot drift from the
 * production one: it is the same table plus two changes. */
#include "eci.h"
#include <errno.h>
#include <string.h>

static int add_dockerd(struct service_table *t, const struct service_def *d)
{
	size_t i = t->n, a = 0, k;

	for (; d->argv[a]; a++)
		t->argv[i][a] = d->argv[a];
	for (k = 0; eci_dockerd_args[k]; k++, a++) {
		if (a >= SERVICE_ARGV_MAX)
			return -E2BIG;
		t->argv[i][a] = eci_dockerd_args[k];
	}
	t->argv[i][a] = NULL;
	t->defs[i] = *d;
	t->defs[i].argv = t->argv[i];
	t->defs[i].after = eci_service.name;
	t->n++;
	return 0;
}

int eci_services(const struct service_def *defs, size_t n, struct service_table *t)
{
	bool found = false;
	size_t i;
	int r;

	t->n = 0;
	for (i = 0; i < n; i++) {
		if (t->n + 2 > SERVICES_MAX)
			return -E2BIG;
		if (strcmp(defs[i].name, "dockerd")) {
			t->defs[t->n++] = defs[i];
			continue;
		}
		t->defs[t->n++] = eci_service;
		if ((r = add_dockerd(t, &defs[i])) < 0)
			return r;
		found = true;
	}
	return found ? 0 : -ENOENT;
}
