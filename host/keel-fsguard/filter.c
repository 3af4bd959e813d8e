/* host/keel-fsguard/filter.c: see filter.h. Built with libseccomp, which
 * resolves syscall numbers per architecture and compiles the BPF. */
#include "filter.h"
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#define SPECIAL_BITS (S_ISUID | S_ISGID)

/* A mode argument (at position arg) with one of the special bits set, or
 * naming a character or block device: each is one rule, since a libseccomp
 * rule ANDs its conditions. */
static int deny_mode_bits(scmp_filter_ctx ctx, int nr, unsigned arg)
{
	static const unsigned bits[] = { S_ISUID, S_ISGID };
	size_t i;
	int r;

	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 1,
				     SCMP_CMP(arg, SCMP_CMP_MASKED_EQ, bits[i], bits[i]));
		if (r < 0)
			return r;
	}
	return 0;
}

static int deny_devices(scmp_filter_ctx ctx, int nr, unsigned arg)
{
	static const unsigned types[] = { S_IFCHR, S_IFBLK };
	size_t i;
	int r;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 1,
				     SCMP_CMP(arg, SCMP_CMP_MASKED_EQ, S_IFMT, types[i]));
		if (r < 0)
			return r;
	}
	return 0;
}

/* open-like calls: only a create (O_CREAT, or O_TMPFILE) looks at the mode. */
static int deny_create_bits(scmp_filter_ctx ctx, int nr, unsigned flags_arg, unsigned mode_arg)
{
	static const unsigned creates[] = { O_CREAT, __O_TMPFILE };
	static const unsigned bits[] = { S_ISUID, S_ISGID };
	size_t c, b;
	int r;

	for (c = 0; c < sizeof(creates) / sizeof(creates[0]); c++)
		for (b = 0; b < sizeof(bits) / sizeof(bits[0]); b++) {
			r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 2,
				SCMP_CMP(flags_arg, SCMP_CMP_MASKED_EQ, creates[c], creates[c]),
				SCMP_CMP(mode_arg, SCMP_CMP_MASKED_EQ, bits[b], bits[b]));
			if (r < 0)
				return r;
		}
	return 0;
}

/* Calls whose arguments live in memory a filter cannot read (openat2's
 * struct open_how; fchmodat2 is newer than this libseccomp): ENOSYS, so
 * callers take the older call, which the rules above see. */
static int deny_unreadable(scmp_filter_ctx ctx)
{
	static const struct { const char *name; int x86_64_nr; } calls[] = {
		{ "openat2", 437 }, { "fchmodat2", 452 },
	};
	size_t i;
	int nr, r;

	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		nr = seccomp_syscall_resolve_name(calls[i].name);
#if defined(__x86_64__)
		/* Debian 12's libseccomp 2.5.4 predates fchmodat2 (Linux 6.6),
		 * which glibc 2.39+ uses: name the native number. */
		if (nr == __NR_SCMP_ERROR)
			nr = calls[i].x86_64_nr;
#endif
		if (nr == __NR_SCMP_ERROR)
			return -ENOSYS;
		if ((r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0)) < 0)
			return r;
	}
	return 0;
}

static int add_rules(scmp_filter_ctx ctx)
{
	int r;

	if ((r = deny_mode_bits(ctx, SCMP_SYS(chmod), 1)) < 0 ||
	    (r = deny_mode_bits(ctx, SCMP_SYS(fchmod), 1)) < 0 ||
	    (r = deny_mode_bits(ctx, SCMP_SYS(fchmodat), 2)) < 0 ||
	    (r = deny_create_bits(ctx, SCMP_SYS(open), 1, 2)) < 0 ||
	    (r = deny_create_bits(ctx, SCMP_SYS(openat), 2, 3)) < 0 ||
	    (r = deny_mode_bits(ctx, SCMP_SYS(creat), 1)) < 0 ||
	    (r = deny_mode_bits(ctx, SCMP_SYS(mknod), 1)) < 0 ||
	    (r = deny_mode_bits(ctx, SCMP_SYS(mknodat), 2)) < 0 ||
	    (r = deny_devices(ctx, SCMP_SYS(mknod), 1)) < 0 ||
	    (r = deny_devices(ctx, SCMP_SYS(mknodat), 2)) < 0)
		return r;
	return deny_unreadable(ctx);
}

int fsguard_install(void)
{
	scmp_filter_ctx ctx;
	int r;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	/* Default allow: this filter narrows, the server's own policy decides
	 * the rest. A syscall of another ABI (x32, i386 via int 0x80) would
	 * bypass per-arch rules, so those ABIs are killed outright. */
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return -ENOMEM;
	if ((r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0 ||
	    (r = add_rules(ctx)) < 0)
		goto release;
	r = seccomp_load(ctx);
release:
	seccomp_release(ctx);
	return r;
}
