/* common/mountpoint.h: where a host share may be mounted in the VM, and how
 * its mount point is made on a read-only root (init at boot, the agent for
 * a Mount request).
 *
 * A share appears at the same path as on the host, so `docker run -v
 * "$PWD":/src` typed on the host names a path that exists in the VM. The
 * root image is read-only, so a path's missing directories are made on a
 * tmpfs: either one that is already there (/tmp, /mnt, an earlier share's
 * mount point) or one mounted over the deepest existing directory of the
 * path, but only when that directory is empty in the image (/home, /root,
 * /Users, /opt ...; docs/shares.md lists what the image provides). Image
 * content is never hidden, and nothing is mounted below the system trees. */
#ifndef KEEL_MOUNTPOINT_H
#define KEEL_MOUNTPOINT_H
#include <stdbool.h>
#include <stddef.h>

/* An absolute path without "//", "." or ".." components, not "/" and not
 * at or below /proc, /sys, /dev, /run, /etc, /usr, /var, /boot or the
 * merged-/usr links: the places keel's own operation lives. */
bool share_path_allowed(const char *path);

/* mkdir -p with mode for every directory it makes. Returns 0 or -errno. */
int mkdir_p(const char *path, unsigned mode);

/* Make path a directory fit to mount a share on: it may exist only as an
 * empty directory. When the deepest existing ancestor is on a read-only
 * file system, a tmpfs is mounted on it first (it must be empty) and its
 * path is copied to covered (else covered is ""). Returns 0, or -EINVAL
 * (path not allowed), -ENOTEMPTY (path exists with content, or would hide
 * image content), -EROFS (no empty directory to cover: e.g. the path's top
 * directory is not in the image), or another -errno. */
int mountpoint_prepare(const char *path, char *covered, size_t cap);

/* Undo the octal escapes of /proc/self/mountinfo and /proc/mounts (\040
 * for a space, \134 for a backslash) in place. */
void mount_path_unescape(char *s);

/* What a mountpoint_prepare error means, for a log line or Health. */
const char *mountpoint_error(int err);
#endif
