/* init/storage.h: the data disk. ext4 -> e2fsck -p; formatted (mkfs.ext4)
 * only when it is known to be empty: the host just created it (keel.data.new)
 * or libblkid finds no signature (keel-blkid), and in both cases its first
 * 64 KiB are zero and no ext4 backup superblock is there. Anything else is
 * never formatted (it may be user data) -> error. Mounted at the data dir
 * (/var/lib); without a disk a tmpfs, state ephemeral. */
#ifndef KEEL_INIT_STORAGE_H
#define KEEL_INIT_STORAGE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* DATA_PENDING: the step still runs (init/data_step.c). */
enum data_kind { DATA_EPHEMERAL, DATA_DISK, DATA_ERROR, DATA_PENDING };

struct data_state {
	enum data_kind kind;
	char device[64];
	char error[128];
	const char *action;   /* what was done to the disk: "formatted, ...", "checked" */
};

struct storage_cfg {
	const char *device;    /* "" = no data disk: tmpfs */
	bool fresh;            /* keel.data.new: the host just created the disk */
	const char *data_dir;
	const char *blkid;     /* the signature probe (keel-blkid) */
};

/* The first DISK_PROBE_BYTES: all zero, ext4's magic, or anything else. */
enum disk_content { DISK_ZEROS, DISK_EXT4, DISK_OTHER };

#define DISK_PROBE_BYTES 65536
#define EXT4_MAGIC_OFFSET 1080
#define EXT4_SB_BYTES 1024
#define DEVICE_WAIT_MS 3000

/* Classify the first bytes of a disk (len may be short for tiny disks). */
enum disk_content disk_classify(const unsigned char *buf, size_t len);
/* Block number of block group 1's backup superblock, where mke2fs puts it
 * for 1 KiB << log_block_size blocks (8 * block size blocks per group). */
uint64_t ext4_backup_block(unsigned log_block_size);
/* Whether sb (len bytes read there) is that backup superblock. */
bool ext4_backup_valid(const unsigned char *sb, size_t len, unsigned log_block_size);
/* Bring up the data dir (or tmpfs when cfg->device is ""). Fills *st;
 * returns 0 or -errno, the reason in st->error. */
int storage_setup(const struct storage_cfg *cfg, struct data_state *st);
const char *data_kind_name(enum data_kind k);
#endif
