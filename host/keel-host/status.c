/* host/keel-host/status.c: one jansson document under a mutex (status.h). */
#include "status.h"
#include "fd.h"
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static json_t *doc;
static char *path_;

static json_t *section(const char *name)
{
	json_t *s = json_object_get(doc, name);

	if (!s) {
		s = json_object();
		json_object_set_new(doc, name, s);
	}
	return s;
}

static int flush_locked(void)
{
	char *text;
	int e;

	json_object_set_new(doc, "updated_unix", json_integer(time(NULL)));
	text = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS);
	if (!text)
		return -ENOMEM;
	e = fd_write_file_atomic(path_, text, strlen(text), 0600);
	free(text);
	return e;
}

static void changed(void)
{
	flush_locked();
	pthread_mutex_unlock(&lock);
}

int status_init(const char *path)
{
	doc = json_object();
	path_ = strdup(path);
	if (!doc || !path_)
		return -ENOMEM;
	json_object_set_new(doc, "helpers", json_array());
	json_object_set_new(doc, "ports", json_array());
	json_object_set_new(doc, "binds", json_array());
	json_object_set_new(doc, "shares", json_array());
	return status_flush();
}

void status_set_str(const char *sec, const char *key, const char *value)
{
	pthread_mutex_lock(&lock);
	json_object_set_new(sec ? section(sec) : doc, key, value ? json_string(value) : json_null());
	changed();
}

void status_set_int(const char *sec, const char *key, int64_t value)
{
	pthread_mutex_lock(&lock);
	json_object_set_new(sec ? section(sec) : doc, key, json_integer(value));
	changed();
}

void status_set_info(const char *key, const char *value)
{
	json_t *vm, *info;

	pthread_mutex_lock(&lock);
	vm = section("vm");
	info = json_object_get(vm, "info");
	if (!info) {
		info = json_object();
		json_object_set_new(vm, "info", info);
	}
	json_object_set_new(info, key, json_string(value));
	changed();
}

/* The element of array arr whose key equals value, made when missing. */
static json_t *entry(const char *arr, const char *key, json_t *value)
{
	json_t *a = json_object_get(doc, arr), *e;
	size_t i;

	json_array_foreach(a, i, e)
		if (json_equal(json_object_get(e, key), value)) {
			json_decref(value);
			return e;
		}
	e = json_object();
	json_object_set_new(e, key, value);
	json_array_append_new(a, e);
	return e;
}

void status_helper(const char *name, const char *state, pid_t pid, unsigned restarts,
		   const char *last_exit, const char *note)
{
	pthread_mutex_lock(&lock);
	json_t *e = entry("helpers", "name", json_string(name));
	json_object_set_new(e, "state", json_string(state));
	json_object_set_new(e, "pid", pid > 0 ? json_integer(pid) : json_null());
	json_object_set_new(e, "restarts", json_integer(restarts));
	json_object_set_new(e, "last_exit", last_exit ? json_string(last_exit) : json_null());
	json_object_set_new(e, "note", note ? json_string(note) : json_null());
	changed();
}

void status_port(const char *event, const char *transport, unsigned port, const char *reason)
{
	json_t *a, *e = NULL;
	size_t i;

	pthread_mutex_lock(&lock);
	a = json_object_get(doc, "ports");
	json_array_foreach(a, i, e)
		if (json_integer_value(json_object_get(e, "port")) == (json_int_t)port &&
		    strcmp(json_string_value(json_object_get(e, "transport")), transport) == 0)
			break;
	if (i < json_array_size(a) && strcmp(event, "unpublished") == 0) {
		json_array_remove(a, i);
	} else if (strcmp(event, "unpublished") != 0) {
		if (i == json_array_size(a)) {
			e = json_object();
			json_object_set_new(e, "transport", json_string(transport));
			json_object_set_new(e, "port", json_integer(port));
			json_array_append_new(a, e);
		}
		json_object_set_new(e, "state", json_string(event));
		json_object_set_new(e, "reason", reason ? json_string(reason) : json_null());
	}
	changed();
}

void status_bind(const char *rule, const char *state)
{
	pthread_mutex_lock(&lock);
	json_object_set_new(entry("binds", "rule", json_string(rule)), "state", json_string(state));
	changed();
}

void status_share(const char *path, const char *tag, const char *server)
{
	pthread_mutex_lock(&lock);
	json_t *e = entry("shares", "path", json_string(path));
	json_object_set_new(e, "tag", json_string(tag));
	json_object_set_new(e, "server", json_string(server));
	changed();
}

void status_time(const char *reason, int64_t drift_ns, bool stepped, const char *error)
{
	pthread_mutex_lock(&lock);
	json_t *t = section("time");
	json_int_t syncs = json_integer_value(json_object_get(t, "syncs"));
	json_int_t steps = json_integer_value(json_object_get(t, "steps"));
	json_object_set_new(t, "last_unix", json_integer(time(NULL)));
	json_object_set_new(t, "reason", json_string(reason));
	json_object_set_new(t, "error", error ? json_string(error) : json_null());
	if (!error) {
		json_object_set_new(t, "drift_ns", json_integer(drift_ns));
		json_object_set_new(t, "stepped", json_boolean(stepped));
		json_object_set_new(t, "syncs", json_integer(syncs + 1));
		json_object_set_new(t, "steps", json_integer(steps + stepped));
		if (stepped) {
			json_object_set_new(t, "last_step_unix", json_integer(time(NULL)));
			json_object_set_new(t, "last_step_drift_ns", json_integer(drift_ns));
			json_object_set_new(t, "last_step_reason", json_string(reason));
		}
	}
	changed();
}

int status_flush(void)
{
	int e;

	pthread_mutex_lock(&lock);
	e = flush_locked();
	pthread_mutex_unlock(&lock);
	return e;
}
