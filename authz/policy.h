/* authz/policy.h: ECI mode's decision on one Docker Engine API request.
 *
 * A pure function of the request as dockerd shows it to an authorization
 * plugin (method, RequestUri, the body when dockerd sends one) and of two
 * questions about the VM's paths, asked through callbacks so that tests can
 * answer them: where a path leads (realpath) and whether it lies on a share.
 * docs/eci.md has the table of what is refused and why. */
#ifndef KEEL_AUTHZ_POLICY_H
#define KEEL_AUTHZ_POLICY_H
#include <stdbool.h>
#include <stddef.h>

#define POLICY_MSG_MAX 256
#define POLICY_PATH_MAX 4096

struct policy_env {
	/* Canonical form of an absolute path as dockerd would resolve it
	 * (symlinks followed, the missing tail kept); 0 or -errno. */
	int (*resolve)(const char *path, char *out, size_t cap);
	/* Is a canonical path at or below a share's mount point? */
	bool (*on_share)(const char *path);
};

struct policy_req {
	const char *method;   /* "POST" */
	const char *uri;      /* "/v1.45/containers/create?name=x", raw */
	const char *body;     /* the request's body, or NULL when dockerd sent none */
	size_t body_len;
};

/* true: allowed. false: refused, and msg (cap >= 64) says why, naming the
 * docker flag. A request the policy cannot read is refused. */
bool policy_allows(const struct policy_req *req, const struct policy_env *env,
		   char *msg, size_t cap);
#endif
