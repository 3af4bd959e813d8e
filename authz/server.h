/* authz/server.h: the plugin's HTTP server (libmicrohttpd) on a listening
 * unix socket; every POST goes to plugin_answer. */
#ifndef KEEL_AUTHZ_SERVER_H
#define KEEL_AUTHZ_SERVER_H
#include "policy.h"

struct MHD_Daemon;

/* Serve on lfd (listening, owned by the caller) from libmicrohttpd's own
 * thread. Each refusal is logged through log_fn when it is set. 0 or -errno. */
int server_start(int lfd, const struct policy_env *env,
		 void (*log_fn)(const char *uri, const char *msg), struct MHD_Daemon **out);
void server_stop(struct MHD_Daemon *d);
#endif
