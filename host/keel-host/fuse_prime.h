/* host/keel-host/fuse_prime.h: a new FUSE session for a restarted
 * virtiofsd, so that the guest's share works again without a VM restart.
 *
 * The guest's virtio-fs driver sends FUSE_INIT once, when the share is
 * mounted; a virtiofsd started again after a crash knows no inode, not even
 * the root (it makes it at FUSE_INIT), and answers every request with EBADF.
 * Before the relay gives it the guest's memory and rings, fuse_prime drives
 * one request queue itself: its own memory (a memfd), a ring of 8, and a
 * FUSE_INIT with the flags Linux 6.12 sends for a virtiofs mount, waits for
 * the answer (2 s), and stops that ring (GET_VRING_BASE). Then the guest's
 * own rings go in as usual (vu_relay.h). What the guest held from the dead
 * session does not come back: a file open across the restart fails (EBADF),
 * and a cached name is looked up again once its entry times out (1 s with
 * virtiofsd's --cache auto). */
#ifndef KEEL_HOST_FUSE_PRIME_H
#define KEEL_HOST_FUSE_PRIME_H
#include "vu_relay.h"

int fuse_prime(struct vu_relay *r);
#endif
