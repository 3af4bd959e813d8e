/* host/keelctl/status.c: `keelctl status` (status.h). The daemon's
 * document is shown as it is (--json, with "daemon_alive" added) or as a
 * table. */
#include "status.h"
#include "exitcodes.h"
#include <errno.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "-";
}

static long long num(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

static void ago(char *out, size_t n, long long unix_s)
{
	long long s = (long long)time(NULL) - unix_s;

	if (s < 120)
		snprintf(out, n, "%lld s", s);
	else if (s < 7200)
		snprintf(out, n, "%lld min", s / 60);
	else
		snprintf(out, n, "%lld h %lld min", s / 3600, s / 60 % 60);
}

static void show_vm(json_t *d, bool alive)
{
	json_t *vm = json_object_get(d, "vm"), *info = json_object_get(vm, "info");
	char up[32] = "-";

	if (num(vm, "started_unix"))
		ago(up, sizeof(up), num(vm, "started_unix"));
	printf("vm        %s (accel %s, %s cpus, %s MiB), up %s, qemu pid %lld",
	       alive ? str(vm, "state") : "stopped", str(info, "accel"), str(info, "cpus"),
	       str(info, "memory"), up, num(vm, "pid"));
	if (json_object_get(vm, "exit"))
		printf(", qemu %s", str(vm, "exit"));
	printf("\nconsole   %s\n", str(vm, "console"));
	printf("daemon    %s, pid %lld, log %s\n", alive ? str(json_object_get(d, "daemon"), "state") :
	       "not running", num(json_object_get(d, "daemon"), "pid"), str(json_object_get(d, "daemon"), "log"));
}

static void show_lists(json_t *d)
{
	json_t *e;
	size_t i;

	json_array_foreach(json_object_get(d, "helpers"), i, e) {
		printf("%s %-12s %-10s pid %-7lld restarts %lld", i ? "         " : "helpers  ",
		       str(e, "name"), str(e, "state"), num(e, "pid"), num(e, "restarts"));
		if (json_is_string(json_object_get(e, "last_exit")))
			printf(" (last: %s)", str(e, "last_exit"));
		if (json_is_string(json_object_get(e, "note")))
			printf("\n          %s", str(e, "note"));
		printf("\n");
	}
	printf("publish   %s\n", str(d, "publish"));
	json_array_foreach(json_object_get(d, "ports"), i, e) {
		printf("%s %s 127.0.0.1:%lld %s", i ? "         " : "ports    ", str(e, "transport"),
		       num(e, "port"), str(e, "state"));
		if (json_is_string(json_object_get(e, "reason")))
			printf(": %s", str(e, "reason"));
		printf("\n");
	}
	json_array_foreach(json_object_get(d, "binds"), i, e)
		printf("%s %s %s\n", i ? "         " : "binds    ", str(e, "rule"), str(e, "state"));
	json_array_foreach(json_object_get(d, "shares"), i, e)
		printf("%s %s (tag %s; %s)\n", i ? "         " : "shares   ", str(e, "path"),
		       str(e, "tag"), str(e, "server"));
	printf("docker    %s\n", str(d, "docker_sock"));
}

static void show_time(json_t *t)
{
	char when[32];

	if (!num(t, "last_unix")) {
		printf("time      not synced yet\n");
		return;
	}
	ago(when, sizeof(when), num(t, "last_unix"));
	printf("time      last sync %s ago (%s): ", when, str(t, "reason"));
	if (json_is_string(json_object_get(t, "error")))
		printf("failed: %s", str(t, "error"));
	else
		printf("drift %+.3f s%s", (double)num(t, "drift_ns") / 1e9,
		       json_is_true(json_object_get(t, "stepped")) ? ", stepped" : "");
	printf("; %lld syncs, %lld steps", num(t, "syncs"), num(t, "steps"));
	if (num(t, "last_step_unix")) {
		ago(when, sizeof(when), num(t, "last_step_unix"));
		printf("; last step %s ago: %+.3f s (%s)", when,
		       (double)num(t, "last_step_drift_ns") / 1e9, str(t, "last_step_reason"));
	}
	printf("\n");
}

static int default_state(char *out, size_t n)
{
	const char *s = getenv("KEEL_STATE_DIR"), *x = getenv("XDG_RUNTIME_DIR"), *h = getenv("HOME");
	int r;

	if (s && *s)
		r = snprintf(out, n, "%s", s);
	else if (x && *x)
		r = snprintf(out, n, "%s/keel", x);
	else if ((s = getenv("XDG_STATE_HOME")) && *s)
		r = snprintf(out, n, "%s/keel/run", s);
	else
		r = snprintf(out, n, "%s/.local/state/keel/run", h ? h : "");
	return r < 0 || (size_t)r >= n ? -ENAMETOOLONG : 0;
}

int cmd_status_run(const char *state_dir, bool json)
{
	char path[4096], dir[4000];
	json_error_t err;
	json_t *d;
	bool alive;
	long long pid;

	if (!state_dir) {
		if (default_state(dir, sizeof(dir)) < 0)
			return EXIT_USAGE;
		state_dir = dir;
	}
	if (snprintf(path, sizeof(path), "%s/status.json", state_dir) >= (int)sizeof(path))
		return EXIT_USAGE;
	d = json_load_file(path, 0, &err);
	if (!d) {
		fprintf(stderr, "keelctl: no VM status in %s (keel-host not started there)\n", state_dir);
		return EXIT_CONNECT;
	}
	pid = num(json_object_get(d, "daemon"), "pid");
	alive = pid > 0 && kill((pid_t)pid, 0) == 0 &&
		strcmp(str(json_object_get(d, "daemon"), "state"), "exited") != 0;
	if (json) {
		json_object_set_new(d, "daemon_alive", json_boolean(alive));
		json_dumpf(d, stdout, JSON_COMPACT | JSON_SORT_KEYS);
		printf("\n");
	} else {
		show_vm(d, alive);
		show_lists(d);
		show_time(json_object_get(d, "time"));
	}
	json_decref(d);
	return alive ? EXIT_OK : EXIT_CONNECT;
}
