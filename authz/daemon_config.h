/* authz/daemon_config.h: dockerd's configuration in ECI mode. BuildKit's
 * solves travel over the /grpc stream the plugin never sees, so the
 * builder's entitlements are switched off in daemon.json itself. */
#ifndef KEEL_AUTHZ_DAEMON_CONFIG_H
#define KEEL_AUTHZ_DAEMON_CONFIG_H

/* Write out: the JSON object of in with builder.entitlements set to
 * {"network-host": false, "security-insecure": false} (any other spelling
 * of those keys removed first: dockerd matches them case-insensitively),
 * data-root moved to DATA_ROOT-eci (/var/lib/docker-eci by default) and
 * authorization-plugins dropped (dockerd's command line names keel-eci).
 * 0 or -errno (-EINVAL: in is not a JSON object). */
int eci_daemon_config(const char *in, const char *out);
#endif
