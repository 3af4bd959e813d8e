/* agent/auth.c: the Auth frame that opens every host stream (control and
 * forward; docs/protocol.md "Authentication", docs/threat-model.md). On
 * vsock it is always required: any local user of the host can connect to a
 * guest CID, and a VM booted without a secret refuses every host stream. On
 * a unix listener the socket's mode already keeps other users out; there
 * the secret is required when the agent has one (--secret-file). */
#include "auth.h"
#include "agent.h"
#include <errno.h>

bool auth_needed(const struct agent *a, bool vsock)
{
	return vsock || a->cfg.secret.len > 0;
}

int auth_check(const struct agent *a, const uint8_t *body, uint32_t len)
{
	Keel__Auth *m = keel__auth__unpack(NULL, len, body);
	bool ok;

	if (!m)
		return -EACCES;
	ok = secret_equal(&a->cfg.secret, m->secret.data, m->secret.len);
	keel__auth__free_unpacked(m, NULL);
	return ok ? 0 : -EACCES;
}
