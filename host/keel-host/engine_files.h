/* host/keel-host/engine_files.h: the host's dockerd settings and CA
 * certificates for the VM. They reach the guest as QEMU fw_cfg files
 * (opt/keel/engine, opt/keel/ca), which keel-engine-settings merges before
 * dockerd starts; there they are checked with authority and Health says
 * what was applied and refused (docs/engine.md). Here the same program
 * checks them first, so that a file that is not JSON stops the start with
 * its name, and a refused key is said at once. The copies in the state dir
 * (engine.json, engine-ca.pem) are what QEMU sends. */
#ifndef KEEL_HOST_ENGINE_FILES_H
#define KEEL_HOST_ENGINE_FILES_H
#include "machine.h"

/* 0 (fw_cfg options added to m->qemu when there is anything to send), or
 * -1 with err. */
int engine_files(struct machine *m, char *err, size_t errlen);
#endif
