/* Unit tests of the service table (init/services_file.c, the built-in table)
 * and of the supervisor's restart policy (init/services.c). */
#include "harness.h"
#include "init/init.h"
#include "init/services_file.c"
#include "init/services_table.c"
#include "init/services.c"
#include "init/spawn.c"
#include "init/svclog.c"
#include "init/timeline.c"

static struct service_table t;
static char err[256];

static int load(const char *s)
{
	err[0] = '\0';
	return services_file_parse(s, strlen(s), &t, err, sizeof(err));
}

TEST(file_valid)
{
	CHECK_EQ_INT(load("# comment\n\nservice a\n  exec /bin/a -x  --y=1 # trailing\n"
			  "  ready notify\n  oom -999\n  grace 1500\n  env A=1\n  env B=x=y\n"
			  "service b\nexec /bin/b\nready socket /run/b.sock\nafter a\nneeds-data\nnet\n"
			  "restart 10 80 2 1000\n"), 0);
	CHECK_EQ_STR(err, "");
	CHECK_EQ_INT(t.n, 2);
	CHECK_EQ_STR(t.defs[0].name, "a");
	CHECK_EQ_STR(t.defs[0].argv[0], "/bin/a");
	CHECK_EQ_STR(t.defs[0].argv[2], "--y=1");
	CHECK(t.defs[0].argv[3] == NULL);
	CHECK_EQ_INT(t.defs[0].ready, READY_NOTIFY);
	CHECK_EQ_INT(t.defs[0].oom_score_adj, -999);
	CHECK_EQ_INT(t.defs[0].grace_ms, 1500);
	CHECK_EQ_STR(t.defs[0].env[1], "B=x=y");
	CHECK_EQ_INT(t.defs[0].restart_limit, 5);          /* defaults */
	CHECK_EQ_INT(t.defs[0].backoff_min_ms, 100);
	CHECK_EQ_INT(t.defs[1].ready, READY_SOCKET);
	CHECK_EQ_STR(t.defs[1].ready_path, "/run/b.sock");
	CHECK_EQ_STR(t.defs[1].after, "a");
	CHECK(t.defs[1].needs_data && t.defs[1].pass_net && !t.defs[0].needs_data);
	CHECK_EQ_INT(t.defs[1].backoff_max_ms, 80);
	CHECK_EQ_INT(t.defs[1].restart_window_ms, 1000);
	CHECK_EQ_INT(load(""), 0);
	CHECK_EQ_INT(t.n, 0);
}

TEST(file_errors)
{
	static const char *const bad[] = {
		"exec /bin/a\n",                               /* no service first */
		"service a\n",                                  /* no exec */
		"service a\nexec bin/a\n",                      /* relative */
		"service a\nexec /a\nexec /b\n",                /* twice */
		"service a\nexec /a\nfrobnicate\n",
		"service a b\nexec /a\n",
		"service A\nexec /a\n",                         /* bad name */
		"service a\nexec /a\nservice a\nexec /b\n",     /* duplicate */
		"service a\nexec /a\nafter b\nservice b\nexec /b\n",   /* later: no cycles */
		"service a\nexec /a\nafter zz\n",
		"service a\nexec /a\nready socket rel.sock\n",
		"service a\nexec /a\nready maybe\n",
		"service a\nexec /a\nrestart 100 50 3 1000\n",  /* max < min */
		"service a\nexec /a\nrestart 0 50 3 1000\n",
		"service a\nexec /a\nrestart 100 500 17 1000\n",
		"service a\nexec /a\noom -1001\n",
		"service a\nexec /a\ngrace -1\n",
		"service a\nexec /a\ngrace 12x\n",
		"service a\nexec /a\nenv NOVALUE\n",
		"service a\nexec /a\nenv =x\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_MSG(load(bad[i]) == -EINVAL && err[0], "accepted: %s", bad[i]);
	CHECK_EQ_INT(load("service a\nexec /a\nbogus\n"), -EINVAL);
	CHECK_EQ_STR(err, "line 3: unknown keyword");
}

TEST(file_limits)
{
	static char big[70000];
	size_t off = 0;
	int i;

	/* too many services */
	for (i = 0; i < SERVICES_MAX + 1; i++)
		off += (size_t)snprintf(big + off, sizeof(big) - off, "service s%d\nexec /x\n", i);
	CHECK_EQ_INT(load(big), -EINVAL);
	CHECK(strstr(err, "too many services") != NULL);
	/* too many words */
	off = (size_t)snprintf(big, sizeof(big), "service a\nexec /x");
	for (i = 0; i < SERVICE_ARGV_MAX + 1; i++)
		off += (size_t)snprintf(big + off, sizeof(big) - off, " w");
	CHECK_EQ_INT(load(big), -EINVAL);
	/* a line over the limit */
	memset(big, 'x', 2000);
	memcpy(big, "service ", 8);
	big[2000] = '\0';
	CHECK_EQ_INT(load(big), -EINVAL);
	CHECK(strstr(err, "too long") != NULL);
	/* NUL inside the text */
	CHECK_EQ_INT(services_file_parse("service a\0\nexec /x\n", 19, &t, err, sizeof(err)), -EINVAL);
	/* the string arena runs out before anything overflows */
	off = 0;
	for (i = 0; i < SERVICES_MAX; i++) {
		off += (size_t)snprintf(big + off, sizeof(big) - off, "service s%d\nexec /x", i);
		for (int j = 0; j < 9; j++)
			off += (size_t)snprintf(big + off, sizeof(big) - off, " %0100d", j);
		off += (size_t)snprintf(big + off, sizeof(big) - off, "\n");
		for (int j = 0; j < SERVICE_ENV_MAX; j++)
			off += (size_t)snprintf(big + off, sizeof(big) - off, "env E=%0100d\n", j);
	}
	CHECK_EQ_INT(load(big), -EINVAL);
	CHECK(strstr(err, "table too large") != NULL);
}

TEST(builtin_table)
{
	size_t i;
	const struct service_def *dockerd = NULL;
	bool remap = false;

	CHECK_EQ_INT(services_validate(builtin_services, builtin_nservices, err, sizeof(err)), 0);
	CHECK_EQ_STR(builtin_services[0].name, "agent");
	CHECK_EQ_INT(builtin_services[0].ready, READY_NOTIFY);
	CHECK(builtin_services[0].pass_net && !builtin_services[0].needs_data);
	for (i = 0; i < builtin_nservices; i++)
		if (!strcmp(builtin_services[i].name, "dockerd"))
			dockerd = &builtin_services[i];
	CHECK(dockerd != NULL);
	if (!dockerd)
		return;
	for (i = 0; dockerd->argv[i]; i++)
		remap |= !strcmp(dockerd->argv[i], "--userns-remap=default");
	CHECK(remap);
	CHECK_EQ_STR(dockerd->after, "containerd");
	CHECK(dockerd->needs_data);
}

/* dockerd's grace follows its --shutdown-timeout (plus the teardown margin),
 * which is longer than docker's default container stop timeout (10 s) plus
 * dockerd's own 5 s; and every grace together stays below what the host
 * waits for the VM to power off (run-vm stop: 90 s), a third of it spare. */
TEST(shutdown_grace)
{
	const struct service_def *dockerd = &builtin_services[builtin_nservices - 1];
	unsigned timeout_s = 0, total_ms = TERM_WAIT_MS + KILL_WAIT_MS;
	size_t i;

	CHECK_EQ_STR(dockerd->name, "dockerd");
	for (i = 0; dockerd->argv[i]; i++)
		sscanf(dockerd->argv[i], "--shutdown-timeout=%u", &timeout_s);
	CHECK_EQ_INT(timeout_s, DOCKERD_SHUTDOWN_S);
	CHECK(timeout_s >= 10 + 5);
	CHECK_EQ_INT(dockerd->grace_ms, timeout_s * 1000 + DOCKERD_TEARDOWN_MS);
	for (i = 0; i < builtin_nservices; i++)
		total_ms += builtin_services[i].grace_ms;
	CHECK(total_ms <= 60000);
}

TEST(restart_policy)
{
	static struct supervisor s;
	struct service_def d = { .name = "x", .backoff_min_ms = 100, .backoff_max_ms = 1000,
				 .restart_limit = 6, .restart_window_ms = 10000 };
	static const uint64_t want[] = { 100, 200, 400, 800, 1000, 1000 };
	struct svc *v;
	uint64_t now = 50000;
	int i;

	services_init(&s, &d, 1, -1, NULL, "", true, "");
	v = &s.svcs[0];
	for (i = 0; i < 6; i++) {
		schedule_restart(&s, v, now);
		CHECK_EQ_INT(v->state, SVC_BACKOFF);
		CHECK_EQ_INT(v->due_ms - now, want[i]);
		now += 100;
	}
	schedule_restart(&s, v, now);            /* 7th exit within 10 s: give up */
	CHECK_EQ_INT(v->state, SVC_FAILED);
	CHECK(strstr(v->reason, "6 restarts within 10000 ms") != NULL);
	CHECK_EQ_INT(v->restarts, 6);
	/* Restarts older than the window no longer count. */
	services_init(&s, &d, 1, -1, NULL, "", true, "");
	v = &s.svcs[0];
	for (i = 0; i < 20; i++, now += 3000) {
		schedule_restart(&s, v, now);
		CHECK_EQ_INT(v->state, SVC_BACKOFF);
	}
}

TEST(needs_data_and_dependency)
{
	static struct supervisor s;
	static const char *const argv[] = { "/nonexistent/x", NULL };
	struct service_def d[2] = {
		{ .name = "c", .argv = argv, .needs_data = true, .backoff_min_ms = 1, .backoff_max_ms = 1 },
		{ .name = "d", .argv = argv, .after = "c", .backoff_min_ms = 1, .backoff_max_ms = 1 },
	};

	services_init(&s, d, 2, -1, NULL, "", false, "no disk");
	services_tick(&s, 1000);
	CHECK_EQ_INT(s.svcs[0].state, SVC_FAILED);
	CHECK(strstr(s.svcs[0].reason, "no disk") != NULL);
	CHECK_EQ_INT(s.svcs[1].state, SVC_FAILED);
	CHECK_EQ_STR(s.svcs[1].reason, "dependency c failed");
	/* With data, the missing binary is a permanent failure, not a restart loop. */
	services_init(&s, d, 1, -1, NULL, "", true, "");
	services_tick(&s, 1000);
	CHECK_EQ_INT(s.svcs[0].state, SVC_FAILED);
	CHECK(strstr(s.svcs[0].reason, "No such file") != NULL);
	CHECK_EQ_INT(s.svcs[0].pid, 0);
	while (waitpid(-1, NULL, 0) > 0)
		;
}

RUN_TESTS(RUN(file_valid); RUN(file_errors); RUN(file_limits); RUN(builtin_table); RUN(shutdown_grace);
	  RUN(restart_policy); RUN(needs_data_and_dependency))
