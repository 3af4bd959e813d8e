/* host/keel-host/errmsg.h: the error a step of `keel-host start` gives back
 * to the user (config.c, machine.c, shares.c, engine_files.c): formatted
 * into the caller's buffer, which start prints as "[keel-host] error: ...". */
#ifndef KEEL_HOST_ERRMSG_H
#define KEEL_HOST_ERRMSG_H
#include <stddef.h>

/* Format into err (n bytes); returns -1, so `return errmsg(...)` fails. */
int errmsg(char *err, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#endif
