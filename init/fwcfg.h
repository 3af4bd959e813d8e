/* init/fwcfg.h: QEMU fw_cfg entries through the kernel's sysfs interface
 * (CONFIG_FW_CFG_SYSFS: /sys/firmware/qemu_fw_cfg/by_name/NAME/raw, mode
 * 0400 root). keel-init reads opt/keel/secret there once at boot
 * (host_secret.c); docker masks /sys/firmware in containers. */
#ifndef KEEL_INIT_FWCFG_H
#define KEEL_INIT_FWCFG_H
#include <stddef.h>

#define FWCFG_ROOT_DEFAULT "/sys/firmware/qemu_fw_cfg"

/* The whole entry NAME ("opt/keel/secret") under root into buf (cap bytes);
 * *len its size. -ENOENT when there is no such entry, -EFBIG when it does
 * not fit, other -errno from open/read. */
int fwcfg_read(const char *root, const char *name, void *buf, size_t cap, size_t *len);
#endif
