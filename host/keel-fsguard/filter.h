/* host/keel-fsguard/filter.h: the seccomp filter a file server runs under.
 *
 * A file server (virtiofsd, or QEMU's 9p) creates on the host what the VM
 * asks for, with the host user's rights. The user may set the setuid and
 * setgid bits on their own files and the kernel would let them; a VM must
 * not: a setuid file planted in the user's home is a trap for whoever runs
 * it on the host. Device nodes are refused by the kernel to an unprivileged
 * server already; the filter refuses them too, so that a server started
 * with privilege by mistake cannot make one either.
 *
 * Everything else is allowed: the filter only narrows what the server's own
 * seccomp policy (virtiofsd has one) permits. */
#ifndef KEEL_FSGUARD_FILTER_H
#define KEEL_FSGUARD_FILTER_H

/* Install the filter in this process (inherited across fork and exec).
 * Sets no_new_privs, which seccomp needs without CAP_SYS_ADMIN.
 * Returns 0 or -errno. */
int fsguard_install(void);

#endif
