/* Unit tests of ECI mode in keel-init: keel.eci on the command line
 * (init/cmdline.c) and the service table it runs (init/eci.c): keel-authz
 * between containerd and dockerd, dockerd waiting for it and naming it. */
#include "harness.h"
#include "init/cmdline.c"
#include "init/eci.c"
#include "init/services_file.c"
#include "init/services_table.c"

static struct config cfg;
static int nwarn;

static void collect(void *ctx, const char *msg)
{
	(void)ctx;
	(void)msg;
	nwarn++;
}

static int parse(const char *s)
{
	nwarn = 0;
	return cmdline_parse(s, strlen(s), &cfg, collect, NULL);
}

TEST(cmdline_eci)
{
	CHECK_EQ_INT(parse("quiet keel.hostname=keel"), 0);
	CHECK(!cfg.eci);                               /* off by default */
	CHECK_EQ_INT(parse("keel.eci=1"), 0);
	CHECK(cfg.eci);
	CHECK_EQ_INT(parse("keel.eci=1 keel.eci=0"), 0);
	CHECK(!cfg.eci);
	CHECK_EQ_INT(parse("keel.eci=yes"), 1);
	CHECK(!cfg.eci);
	CHECK_EQ_INT(parse("keel.eci"), 1);            /* the value is required */
	CHECK(!cfg.eci);
	CHECK_EQ_INT(nwarn, 1);
}

static struct service_table t;

static const struct service_def *find(const char *name)
{
	size_t i;

	for (i = 0; i < t.n; i++)
		if (!strcmp(t.defs[i].name, name))
			return &t.defs[i];
	return NULL;
}

static bool has_arg(const struct service_def *d, const char *arg)
{
	size_t i;

	for (i = 0; d->argv[i]; i++)
		if (!strcmp(d->argv[i], arg))
			return true;
	return false;
}

TEST(eci_table)
{
	const struct service_def *d, *a, *plain = NULL;
	char err[256];
	size_t i;

	CHECK_EQ_INT(eci_services(builtin_services, builtin_nservices, &t), 0);
	CHECK_EQ_INT(t.n, builtin_nservices + 1);
	CHECK_EQ_INT(services_validate(t.defs, t.n, err, sizeof(err)), 0);
	d = find("dockerd");
	a = find("authz");
	CHECK(d && a && a < d);                        /* authz comes first */
	if (!d || !a)
		return;
	CHECK_EQ_STR(a->argv[0], "/usr/libexec/keel-authz");
	CHECK_EQ_INT(a->ready, READY_SOCKET);
	CHECK_EQ_STR(a->ready_path, "/run/docker/plugins/keel-eci.sock");
	CHECK_EQ_STR(a->after, "containerd");
	CHECK_EQ_STR(d->after, "authz");
	CHECK(has_arg(d, "--authorization-plugin=keel-eci"));
	CHECK(has_arg(d, "--config-file=/run/keel/eci/daemon.json"));
	CHECK(has_arg(a, "/run/keel/eci/daemon.json"));
	/* the rest of dockerd is the production one, flags included */
	for (i = 0; i < builtin_nservices; i++)
		if (!strcmp(builtin_services[i].name, "dockerd"))
			plain = &builtin_services[i];
	CHECK(plain != NULL);
	for (i = 0; plain && plain->argv[i]; i++)
		CHECK_EQ_STR(d->argv[i], plain->argv[i]);
	CHECK_EQ_INT(d->grace_ms, plain ? plain->grace_ms : 0);
	CHECK(!has_arg(plain, "--authorization-plugin=keel-eci"));
	/* no dockerd, no table: ECI never runs a dockerd without its plugin */
	CHECK_EQ_INT(eci_services(builtin_services, 1, &t), -ENOENT);
}

RUN_TESTS(
	RUN(cmdline_eci),
	RUN(eci_table)
)
