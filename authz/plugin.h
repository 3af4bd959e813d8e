/* authz/plugin.h: Docker's authorization plugin protocol (JSON over HTTP,
 * docs.docker.com/engine/extend/plugins_authorization): dockerd POSTs to
 * /Plugin.Activate once, then /AuthZPlugin.AuthZReq before and
 * /AuthZPlugin.AuthZRes after each API request it serves. */
#ifndef KEEL_AUTHZ_PLUGIN_H
#define KEEL_AUTHZ_PLUGIN_H
#include "policy.h"
#include <stddef.h>

#define PLUGIN_NAME "keel-eci"
/* A request body of at most 1 MiB (dockerd's limit) in base64 plus the
 * headers and the rest of the envelope. */
#define PLUGIN_BODY_MAX (2u << 20)
#define PLUGIN_CONTENT_TYPE "application/vnd.docker.plugins.v1+json"

struct plugin_reply {
	unsigned status;      /* HTTP status */
	char *json;           /* malloc'd body */
	bool allowed;         /* AuthZReq only: the decision, for the log */
};

/* Answer one POST to path with body (len bytes, may be empty). Anything
 * that does not parse is refused (Allow false). 0, or -ENOMEM. */
int plugin_answer(const char *path, const char *body, size_t len,
		  const struct policy_env *env, struct plugin_reply *out);
#endif
