/* init/eci.h: ECI mode's services (keel.eci=1, docs/eci.md): the built-in
 * table with keel-authz before dockerd and dockerd's flags that name it. */
#ifndef KEEL_INIT_ECI_H
#define KEEL_INIT_ECI_H
#include "services.h"

extern const struct service_def eci_service;      /* services_table.c */
extern const char *const eci_dockerd_args[];      /* NULL-terminated */

/* Copy defs (n) into t with eci_service inserted before the service named
 * dockerd, which then waits for it and gets eci_dockerd_args. -ENOENT
 * without a dockerd, -E2BIG when the table or an argv would not fit. */
int eci_services(const struct service_def *defs, size_t n, struct service_table *t);
#endif
