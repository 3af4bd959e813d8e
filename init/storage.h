/* init/storage.h: the data disk. Blank -> mkfs.ext4; ext4 -> e2fsck -p;
 * anything else is never formatted (it may be user data) -> error. Mounted
 * at the data dir (/var/lib); without a disk a tmpfs, state ephemeral. */
#ifndef KEEL_INIT_STORAGE_H
#define KEEL_INIT_STORAGE_H
#include <stdbool.h>
#include <stddef.h>

/* DATA_PENDING: the step still runs (init/data_step.c). */
enum data_kind { DATA_EPHEMERAL, DATA_DISK, DATA_ERROR, DATA_PENDING };

struct data_state {
	enum data_kind kind;
	char device[64];
	char error[128];
	const char *action;   /* what was done to the disk: "formatted", "checked" */
};

enum disk_content { DISK_BLANK, DISK_EXT4, DISK_OTHER };

#define DISK_PROBE_BYTES 65536
#define EXT4_MAGIC_OFFSET 1080
#define DEVICE_WAIT_MS 3000

/* Classify the first bytes of a disk (len may be short for tiny disks). */
enum disk_content disk_classify(const unsigned char *buf, size_t len);
/* Bring up the data dir from device (or tmpfs when device is ""). Fills *st;
 * returns 0 or -errno, the reason in st->error. */
int storage_setup(const char *device, const char *data_dir, struct data_state *st);
const char *data_kind_name(enum data_kind k);
#endif
