/* authz/vmpaths.h: the answers policy.h asks of the VM's paths, from the
 * mount namespace dockerd shares with keel-authz (both are keel-init's
 * children): realpath, and the share mounts of /proc/self/mountinfo. */
#ifndef KEEL_AUTHZ_VMPATHS_H
#define KEEL_AUTHZ_VMPATHS_H
#include <stdbool.h>
#include <stddef.h>

/* realpath of the longest existing prefix, then the missing tail as given
 * (docker makes a missing bind source); a tail with "." or ".." or "//" is
 * -EINVAL. 0 or -errno. */
int vm_resolve(const char *path, char *out, size_t cap);
/* Is path at or below the mount point of a virtiofs or 9p mount? */
bool vm_on_share(const char *path);
/* The same over a mountinfo file (tests). */
bool vm_on_share_in(const char *mountinfo, const char *path);
#endif
