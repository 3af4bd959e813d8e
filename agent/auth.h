/* agent/auth.h: the Auth frame that opens every host stream (auth.c). */
#ifndef KEEL_AUTH_H
#define KEEL_AUTH_H
#include <stdbool.h>
#include <stdint.h>

struct agent;

#define AUTH_FRAME_MAX 256u              /* an Auth frame: 2 + SECRET_MAX bytes */
/* Whether a stream accepted on vsock (or on a unix listener) must open with
 * an Auth frame. */
bool auth_needed(const struct agent *a, bool vsock);
/* 0 when body is an Auth frame with the agent's secret, else -EACCES. */
int auth_check(const struct agent *a, const uint8_t *body, uint32_t len);
#endif
