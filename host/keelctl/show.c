#include "show.h"
#include "frame.h"
#include "json.h"
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *status_name(Keel__Status s)
{
	switch (s) {
	case KEEL__STATUS__STATUS_OK: return "ok";
	case KEEL__STATUS__STATUS_DEGRADED: return "degraded";
	case KEEL__STATUS__STATUS_FAILED: return "failed";
	default: return "unknown";
	}
}

const char *show_transport(Keel__Transport t)
{
	switch (t) {
	case KEEL__TRANSPORT__TRANSPORT_TCP: return "tcp";
	case KEEL__TRANSPORT__TRANSPORT_UDP: return "udp";
	case KEEL__TRANSPORT__TRANSPORT_UNIX: return "unix";
	default: return "unknown";
	}
}

void show_error(bool json, const Keel__Error *e)
{
	if (json) {
		struct json j;
		json_init(&j, stdout);
		json_obj(&j);
		json_key(&j, "error");
		json_obj(&j);
		json_key(&j, "code");
		json_int(&j, e->code);
		json_key(&j, "message");
		json_str(&j, e->message);
		json_obj_end(&j);
		json_obj_end(&j);
		json_end(&j);
	}
	fprintf(stderr, "keelctl: agent: %s (errno %d)\n", e->message, e->code);
}

void show_ok(bool json, const char *what)
{
	if (json)
		printf("{\"ok\":true}\n");
	else
		printf("%s\n", what);
}

void show_version(bool json, const Keel__VersionResponse *v)
{
	if (json) {
		struct json j;
		json_init(&j, stdout);
		json_obj(&j);
		json_key(&j, "client_major"); json_uint(&j, KEEL_PROTO_MAJOR);
		json_key(&j, "client_minor"); json_uint(&j, KEEL_PROTO_MINOR);
		json_key(&j, "agent_major"); json_uint(&j, v->major);
		json_key(&j, "agent_minor"); json_uint(&j, v->minor);
		json_key(&j, "agent"); json_str(&j, v->agent);
		json_key(&j, "compatible"); json_bool(&j, v->compatible);
		json_obj_end(&j);
		json_end(&j);
		return;
	}
	printf("keelctl %s, protocol %d.%d\n%s, protocol %u.%u%s\n", KEEL_VERSION_STRING,
	       KEEL_PROTO_MAJOR, KEEL_PROTO_MINOR, v->agent, v->major, v->minor,
	       v->compatible ? "" : " (INCOMPATIBLE)");
}

static void engine_json(struct json *j, const Keel__EngineSettings *e)
{
	json_key(j, "engine"); json_obj(j);
	json_key(j, "source"); json_str(j, e->source);
	json_key(j, "config_file"); json_str(j, e->config_file);
	json_key(j, "error"); json_str(j, e->error);
	json_key(j, "settings"); json_arr(j);
	for (size_t i = 0; i < e->n_settings; i++) {
		json_obj(j);
		json_key(j, "key"); json_str(j, e->settings[i]->key);
		json_key(j, "value"); json_str(j, e->settings[i]->value);
		json_key(j, "from_host"); json_bool(j, e->settings[i]->from_host);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "refused"); json_arr(j);
	for (size_t i = 0; i < e->n_refused; i++) {
		json_obj(j);
		json_key(j, "key"); json_str(j, e->refused[i]->key);
		json_key(j, "reason"); json_str(j, e->refused[i]->reason);
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "notes"); json_arr(j);
	for (size_t i = 0; i < e->n_notes; i++)
		json_str(j, e->notes[i]);
	json_arr_end(j);
	json_key(j, "ca_certificates"); json_uint(j, e->ca_certificates);
	json_key(j, "ca_error"); json_str(j, e->ca_error);
	json_obj_end(j);
}

/* dockerd's settings in effect (image or host) and what was refused. */
static void engine_table(const Keel__EngineSettings *e)
{
	printf("\nENGINE (%s)\n", *e->source ? e->source : "image defaults: the host sent no settings");
	if (*e->error)
		printf("  settings file refused: %s\n", e->error);
	printf("%-28s %-5s %s\n", "SETTING", "FROM", "VALUE");
	for (size_t i = 0; i < e->n_settings; i++)
		printf("%-28s %-5s %s\n", e->settings[i]->key,
		       e->settings[i]->from_host ? "host" : "image", e->settings[i]->value);
	for (size_t i = 0; i < e->n_refused; i++)
		printf("%-28s %-5s %s\n", e->refused[i]->key, "REFUSED", e->refused[i]->reason);
	for (size_t i = 0; i < e->n_notes; i++)
		printf("  note: %s\n", e->notes[i]);
	if (e->ca_certificates || *e->ca_error)
		printf("  extra CA certificates: %u%s%s\n", e->ca_certificates,
		       *e->ca_error ? ", refused: " : "", e->ca_error);
}

static void health_json(const Keel__HealthResponse *h)
{
	struct json j;

	json_init(&j, stdout);
	json_obj(&j);
	json_key(&j, "status"); json_str(&j, status_name(h->status));
	json_key(&j, "reasons"); json_arr(&j);
	for (size_t i = 0; i < h->n_reasons; i++)
		json_str(&j, h->reasons[i]);
	json_arr_end(&j);
	json_key(&j, "services"); json_arr(&j);
	for (size_t i = 0; i < h->n_services; i++) {
		const Keel__ServiceState *s = h->services[i];
		json_obj(&j);
		json_key(&j, "name"); json_str(&j, s->name);
		json_key(&j, "state"); json_str(&j, s->state);
		json_key(&j, "pid"); json_int(&j, s->pid);
		json_key(&j, "restarts"); json_uint(&j, s->restarts);
		json_key(&j, "last_exit"); json_str(&j, s->last_exit);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_key(&j, "docker_ready"); json_bool(&j, h->docker_ready);
	json_key(&j, "containerd_ready"); json_bool(&j, h->containerd_ready);
	json_key(&j, "root_read_only"); json_bool(&j, h->root_read_only);
	json_key(&j, "data_state"); json_str(&j, h->data_state);
	json_key(&j, "mounts"); json_arr(&j);
	for (size_t i = 0; i < h->n_mounts; i++) {
		const Keel__MountInfo *m = h->mounts[i];
		json_obj(&j);
		json_key(&j, "path"); json_str(&j, m->path);
		json_key(&j, "source"); json_str(&j, m->source);
		json_key(&j, "fstype"); json_str(&j, m->fstype);
		json_key(&j, "read_only"); json_bool(&j, m->read_only);
		json_key(&j, "role"); json_str(&j, m->role);
		json_key(&j, "error"); json_str(&j, m->error);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_key(&j, "var_lib_free_bytes"); json_uint(&j, h->var_lib_free_bytes);
	json_key(&j, "var_lib_total_bytes"); json_uint(&j, h->var_lib_total_bytes);
	json_key(&j, "mem_total_kib"); json_uint(&j, h->mem_total_kib);
	json_key(&j, "mem_available_kib"); json_uint(&j, h->mem_available_kib);
	json_key(&j, "load1"); json_double(&j, h->load1);
	json_key(&j, "load5"); json_double(&j, h->load5);
	json_key(&j, "load15"); json_double(&j, h->load15);
	json_key(&j, "uptime_ms"); json_uint(&j, h->uptime_ms);
	json_key(&j, "clock_unix_ns"); json_int(&j, h->clock_unix_ns);
	json_key(&j, "agent"); json_str(&j, h->agent);
	if (h->engine)
		engine_json(&j, h->engine);
	json_obj_end(&j);
	json_end(&j);
}

static double gib(uint64_t b) { return (double)b / (1024.0 * 1024 * 1024); }

void show_health(bool json, const Keel__HealthResponse *h)
{
	char tbuf[64];
	time_t t = (time_t)(h->clock_unix_ns / 1000000000);
	struct tm tm;

	if (json) {
		health_json(h);
		return;
	}
	gmtime_r(&t, &tm);
	strftime(tbuf, sizeof(tbuf), "%Y-%m-%d %H:%M:%S UTC", &tm);
	printf("status       %s\n", status_name(h->status));
	for (size_t i = 0; i < h->n_reasons; i++)
		printf("  - %s\n", h->reasons[i]);
	printf("agent        %s\n", h->agent);
	printf("dockerd      %s\n", h->docker_ready ? "ready (/_ping OK)" : "not answering");
	printf("containerd   %s\n", h->containerd_ready ? "ready" : "not accepting");
	printf("root         %s\n", h->root_read_only ? "read-only" : "WRITABLE");
	printf("data         %s\n", *h->data_state ? h->data_state : "unknown");
	printf("/var/lib     %.2f GiB free of %.2f GiB\n", gib(h->var_lib_free_bytes), gib(h->var_lib_total_bytes));
	printf("memory       %llu MiB available of %llu MiB\n",
	       (unsigned long long)h->mem_available_kib / 1024, (unsigned long long)h->mem_total_kib / 1024);
	printf("load         %.2f %.2f %.2f\n", h->load1, h->load5, h->load15);
	printf("uptime       %llu.%03llu s\n", (unsigned long long)h->uptime_ms / 1000,
	       (unsigned long long)h->uptime_ms % 1000);
	printf("clock        %s\n", tbuf);
	if (h->n_services) {
		printf("\n%-12s %-9s %7s %8s  %s\n", "SERVICE", "STATE", "PID", "RESTARTS", "LAST EXIT");
		for (size_t i = 0; i < h->n_services; i++) {
			const Keel__ServiceState *s = h->services[i];
			printf("%-12s %-9s %7d %8u  %s\n", s->name, s->state, s->pid, s->restarts,
			       *s->last_exit ? s->last_exit : "-");
		}
	}
	if (h->n_mounts) {
		printf("\n%-24s %-9s %-9s %-3s %s\n", "MOUNT", "ROLE", "FSTYPE", "RO", "SOURCE / ERROR");
		for (size_t i = 0; i < h->n_mounts; i++) {
			const Keel__MountInfo *m = h->mounts[i];
			printf("%-24s %-9s %-9s %-3s %s%s%s\n", m->path, m->role, m->fstype,
			       m->read_only ? "ro" : "rw", m->source, *m->error ? " error: " : "", m->error);
		}
	}
	if (h->engine)
		engine_table(h->engine);
}

static void port_json(struct json *j, const Keel__Port *p)
{
	json_obj(j);
	json_key(j, "transport"); json_str(j, show_transport(p->transport));
	json_key(j, "address"); json_str(j, p->address);
	json_key(j, "port"); json_uint(j, p->port);
	json_key(j, "pid"); json_uint(j, p->pid);
	json_key(j, "command"); json_str(j, p->command);
	json_obj_end(j);
}

void show_ports(bool json, const Keel__PortList *pl)
{
	size_t n = pl ? pl->n_ports : 0;

	if (json) {
		struct json j;
		json_init(&j, stdout);
		json_obj(&j);
		json_key(&j, "ports");
		json_arr(&j);
		for (size_t i = 0; i < n; i++)
			port_json(&j, pl->ports[i]);
		json_arr_end(&j);
		json_obj_end(&j);
		json_end(&j);
		return;
	}
	printf("%-5s %-40s %5s %8s  %s\n", "PROTO", "ADDRESS", "PORT", "PID", "COMMAND");
	for (size_t i = 0; i < n; i++) {
		const Keel__Port *p = pl->ports[i];
		printf("%-5s %-40s %5u %8u  %s\n", show_transport(p->transport), p->address, p->port,
		       p->pid, p->command);
	}
	fflush(stdout);
}

void show_port_event(bool json, const Keel__PortEvent *ev)
{
	const char *kind = ev->kind == KEEL__PORT_EVENT__KIND__KIND_ADDED ? "added" :
			   ev->kind == KEEL__PORT_EVENT__KIND__KIND_REMOVED ? "removed" : "unknown";
	const Keel__Port *p = ev->port;

	if (json) {
		struct json j;
		json_init(&j, stdout);
		json_obj(&j);
		json_key(&j, "event"); json_str(&j, kind);
		json_key(&j, "port"); port_json(&j, p);
		json_obj_end(&j);
		json_end(&j);
		return;
	}
	printf("%-7s %-5s %-40s %5u %8u  %s\n", kind, show_transport(p->transport), p->address,
	       p->port, p->pid, p->command);
	fflush(stdout);
}

void show_time(bool json, const Keel__SyncTimeResponse *t)
{
	if (json)
		printf("{\"drift_ns\":%lld,\"stepped\":%s}\n", (long long)t->drift_ns,
		       t->stepped ? "true" : "false");
	else
		printf("drift %.3f ms (guest minus host)%s\n", (double)t->drift_ns / 1e6,
		       t->stepped ? ", clock stepped" : "");
}

/* ADDR:PORT, with brackets around an IPv6 address; "" is the agent's default. */
static void addr_port(char *out, size_t n, const char *addr, unsigned port)
{
	const char *a = *addr ? addr : "(default)";

	snprintf(out, n, strchr(a, ':') ? "[%s]:%u" : "%s:%u", a, port);
}

void show_bind_line(FILE *f, const char *verb, const Keel__Bind *b)
{
	char g[128];

	addr_port(g, sizeof(g), b->address, b->port);
	fprintf(f, "%s %s %s -> %s (id %llu)\n", verb, show_transport(b->transport), g,
		b->host_target, (unsigned long long)b->id);
	fflush(f);
}

void show_bind_json(struct json *j, const Keel__Bind *b)
{
	json_obj(j);
	json_key(j, "id"); json_uint(j, b->id);
	json_key(j, "transport"); json_str(j, show_transport(b->transport));
	json_key(j, "address"); json_str(j, b->address);
	json_key(j, "port"); json_uint(j, b->port);
	json_key(j, "host_port"); json_uint(j, b->host_port);
	json_key(j, "host_target"); json_str(j, b->host_target);
	json_key(j, "connections"); json_uint(j, b->connections);
	json_key(j, "failures"); json_uint(j, b->failures);
	json_obj_end(j);
}

/* --json: one object {"<key>": [bind, ...]}, as `ports --json` prints. */
void show_binds(bool json, const char *key, const Keel__BindList *bl)
{
	size_t n = bl ? bl->n_binds : 0;
	char g[128];

	if (json) {
		struct json j;
		json_init(&j, stdout);
		json_obj(&j);
		json_key(&j, key);
		json_arr(&j);
		for (size_t i = 0; i < n; i++)
			show_bind_json(&j, bl->binds[i]);
		json_arr_end(&j);
		json_obj_end(&j);
		json_end(&j);
		return;
	}
	printf("%-5s %-9s %-46s %9s %-30s %11s %8s\n", "ID", "TRANSPORT", "GUEST", "HOST-PORT",
	       "TARGET", "CONNECTIONS", "FAILURES");
	for (size_t i = 0; i < n; i++) {
		const Keel__Bind *b = bl->binds[i];
		addr_port(g, sizeof(g), b->address, b->port);
		printf("%-5llu %-9s %-46s %9u %-30s %11llu %8llu\n", (unsigned long long)b->id,
		       show_transport(b->transport), g, b->host_port, b->host_target,
		       (unsigned long long)b->connections, (unsigned long long)b->failures);
	}
	fflush(stdout);
}
