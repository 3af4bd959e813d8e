/* host/keel-fsguard/filter.c: see filter.h. Built with libseccomp, which
 * resolves syscall numbers per architecture and compiles the BPF. */
#include "filter.h"
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/stat.h>

/* One argument of a call, masked, equal to a value: EPERM. */
struct arg_rule {
	int nr;
	unsigned arg, mask, value;
};

#define BITS_OF(call, arg) \
	{ SCMP_SYS(call), arg, S_ISUID, S_ISUID }, { SCMP_SYS(call), arg, S_ISGID, S_ISGID }
#define DEVICES_OF(call, arg) \
	{ SCMP_SYS(call), arg, S_IFMT, S_IFCHR }, { SCMP_SYS(call), arg, S_IFMT, S_IFBLK }

static const struct arg_rule mode_rules[] = {
	BITS_OF(chmod, 1), BITS_OF(fchmod, 1), BITS_OF(fchmodat, 2), BITS_OF(creat, 1),
	BITS_OF(mknod, 1), BITS_OF(mknodat, 2),
	DEVICES_OF(mknod, 1), DEVICES_OF(mknodat, 2),
};

/* open-like calls look at the mode only when they create (O_CREAT or
 * O_TMPFILE): the flags argument and the mode argument, both. */
struct create_rule {
	int nr;
	unsigned flags_arg, mode_arg;
};

static const struct create_rule create_rules[] = {
	{ SCMP_SYS(open), 1, 2 }, { SCMP_SYS(openat), 2, 3 },
};

static int add_mode_rules(scmp_filter_ctx ctx)
{
	const struct arg_rule *r;
	int e;

	for (r = mode_rules; r < mode_rules + sizeof(mode_rules) / sizeof(mode_rules[0]); r++) {
		e = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), r->nr, 1,
				     SCMP_CMP(r->arg, SCMP_CMP_MASKED_EQ, r->mask, r->value));
		if (e < 0)
			return e;
	}
	return 0;
}

static int add_create_rules(scmp_filter_ctx ctx)
{
	static const unsigned creates[] = { O_CREAT, __O_TMPFILE };
	static const unsigned bits[] = { S_ISUID, S_ISGID };
	const struct create_rule *r;
	size_t c, b;
	int e;

	for (r = create_rules; r < create_rules + sizeof(create_rules) / sizeof(create_rules[0]); r++)
		for (c = 0; c < sizeof(creates) / sizeof(creates[0]); c++)
			for (b = 0; b < sizeof(bits) / sizeof(bits[0]); b++) {
				e = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), r->nr, 2,
					SCMP_CMP(r->flags_arg, SCMP_CMP_MASKED_EQ, creates[c], creates[c]),
					SCMP_CMP(r->mode_arg, SCMP_CMP_MASKED_EQ, bits[b], bits[b]));
				if (e < 0)
					return e;
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

	if ((r = add_mode_rules(ctx)) < 0 || (r = add_create_rules(ctx)) < 0)
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
