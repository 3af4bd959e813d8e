/* host/keelctl/show.h: human tables and JSON for each reply. */
#ifndef KEELCTL_SHOW_H
#define KEELCTL_SHOW_H
#include "keel.pb-c.h"
#include "json.h"
#include <stdbool.h>
#include <stdio.h>

void show_error(bool json, const Keel__Error *e);
void show_ok(bool json, const char *what);
void show_version(bool json, const Keel__VersionResponse *v);
void show_health(bool json, const Keel__HealthResponse *h);
void show_ports(bool json, const Keel__PortList *pl);
void show_port_event(bool json, const Keel__PortEvent *ev);
void show_time(bool json, const Keel__SyncTimeResponse *t);
/* "VERB tcp 192.168.65.254:5432 -> 127.0.0.1:5432 (id 3)" */
void show_bind_line(FILE *f, const char *verb, const Keel__Bind *b);
void show_bind_json(struct json *j, const Keel__Bind *b);
/* The table, or with json one object {key: [...]}. */
void show_binds(bool json, const char *key, const Keel__BindList *bl);
const char *show_transport(Keel__Transport t);
#endif
