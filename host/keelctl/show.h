/* host/keelctl/show.h: human tables and JSON for each reply. */
#ifndef KEELCTL_SHOW_H
#define KEELCTL_SHOW_H
#include "keel.pb-c.h"
#include <stdbool.h>

void show_error(bool json, const Keel__Error *e);
void show_ok(bool json, const char *what);
void show_version(bool json, const Keel__VersionResponse *v);
void show_health(bool json, const Keel__HealthResponse *h);
void show_ports(bool json, const Keel__PortList *pl);
void show_port_event(bool json, const Keel__PortEvent *ev);
void show_time(bool json, const Keel__SyncTimeResponse *t);
const char *show_transport(Keel__Transport t);
#endif
