/* agent/hostnet.h: the addresses by which the VM and its containers reach
 * the host (common/hostaddr.h). Both live on lo, so they are local to the VM
 * and reachable from containers through their default route (the docker
 * bridge), whatever bridge a container is on. */
#ifndef KEEL_HOSTNET_H
#define KEEL_HOSTNET_H
#include "hostaddr.h"

struct agent_config;
/* Put cfg->host_address/32 and cfg->dns_address/32 on lo (the empty ones
 * are skipped). A failure (EPERM unprivileged) is logged; the agent goes on
 * and what needs the address fails on its own when used. */
void hostnet_setup(const struct agent_config *cfg);
#endif
