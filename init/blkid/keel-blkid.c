/* init/blkid/keel-blkid.c: keel-init's data disk probe, a program of its
 * own because keel-init is static musl and libblkid is a glibc library (the
 * image has it already: e2fsprogs links it). keel-init runs it only on a disk
 * whose first 64 KiB are zero, or to name what a foreign disk holds.
 *
 *   keel-blkid DEVICE
 *
 * libblkid's full low-level probe, what `blkid -p` does: every superblock
 * type it knows (file systems, RAID and LVM members, swap, crypto), checksum
 * or not, and partition tables. Prints one line and exits:
 *   0  a signature: "TYPE (USAGE)", "PTTYPE (partition table)" or
 *      "several signatures"
 *   2  none: libblkid knows nothing on the disk
 *   1  the probe itself failed (message on the line)
 * keel-init formats a disk only on 2. */
#include <blkid/blkid.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

enum { FOUND = 0, FAILED = 1, NOTHING = 2 };

static const char *value(blkid_probe pr, const char *name)
{
	const char *v = NULL;

	return blkid_probe_lookup_value(pr, name, &v, NULL) == 0 ? v : NULL;
}

static int report(blkid_probe pr)
{
	const char *type = value(pr, "TYPE"), *usage = value(pr, "USAGE");
	const char *pt = value(pr, "PTTYPE");

	if (type)
		printf("%s (%s)\n", type, usage ? usage : "unknown usage");
	else if (pt)
		printf("%s (partition table)\n", pt);
	else
		printf("a signature without a type\n");
	return FOUND;
}

int main(int argc, char **argv)
{
	blkid_probe pr;
	int r;

	if (argc != 2) {
		printf("usage: keel-blkid DEVICE\n");
		return FAILED;
	}
	pr = blkid_new_probe_from_filename(argv[1]);
	if (!pr) {
		printf("cannot open %s: %s\n", argv[1], strerror(errno));
		return FAILED;
	}
	/* BADCSUM: a damaged file system is still somebody's data. */
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_USAGE |
					  BLKID_SUBLKS_BADCSUM);
	blkid_probe_enable_partitions(pr, 1);
	switch (blkid_do_safeprobe(pr)) {
	case 0:
		r = report(pr);
		break;
	case 1:
		r = NOTHING;
		break;
	case -2:
		printf("several signatures\n");
		r = FOUND;
		break;
	default:
		printf("probing %s failed: %s\n", argv[1], strerror(errno));
		r = FAILED;
	}
	blkid_free_probe(pr);
	return r;
}
