/* init/host_secret.c: the host's per-boot secret (docs/threat-model.md),
 * from fw_cfg into a sealed memfd that init keeps and hands to the services
 * that ask for it (pass_secret: the agent) as fd 4, KEEL_SECRET_FD=4, at
 * every start. No file holds it and no other process inherits it; what can
 * still read it is root of the VM's initial namespaces (sysfs, the agent's
 * memory), which owns the VM anyway. */
#include "init.h"
#include "fwcfg.h"
#include "log.h"
#include "secret.h"
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define SECRET_ENTRY "opt/keel/secret"

static int sealed_memfd(const void *buf, size_t len, int *out)
{
	int fd = memfd_create("keel-secret", MFD_CLOEXEC | MFD_ALLOW_SEALING), e;

	if (fd < 0)
		return -errno;
	if (write(fd, buf, len) != (ssize_t)len ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		e = errno ? -errno : -EIO;
		close(fd);
		return e;
	}
	*out = fd;
	return 0;
}

void host_secret_load(struct init_ctx *c)
{
	uint8_t buf[SECRET_MAX];
	size_t len = 0;
	int e = fwcfg_read(c->fwcfg_root, SECRET_ENTRY, buf, sizeof(buf), &len);

	c->secret_fd = -1;
	if (e == 0 && len < SECRET_MIN)
		e = -EINVAL;
	if (e == 0)
		e = sealed_memfd(buf, len, &c->secret_fd);
	memset(buf, 0, sizeof(buf));
	if (e == -ENOENT)
		log_warn("no fw_cfg %s: the agent refuses every host stream", SECRET_ENTRY);
	else if (e < 0)
		log_err("fw_cfg %s: %s; the agent refuses every host stream", SECRET_ENTRY,
			e == -EINVAL || e == -EFBIG ? "not 16 to 64 bytes" : strerror(-e));
}
