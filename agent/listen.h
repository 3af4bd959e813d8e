/* agent/listen.h: the control and forward listeners (AF_VSOCK, AF_UNIX). */
#ifndef KEEL_LISTEN_H
#define KEEL_LISTEN_H

struct agent;

int listen_unix(const char *path, int *out);
/* Listen where cfg says; -EINVAL when nowhere. */
int agent_listen(struct agent *a);
#endif
