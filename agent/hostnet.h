/* agent/hostnet.h: the addresses by which the VM and its containers reach
 * the host. Both live on lo, so they are local to the VM and reachable from
 * containers through their default route (the docker bridge), whatever
 * bridge a container is on. Docker Desktop uses the same two addresses. */
#ifndef KEEL_HOSTNET_H
#define KEEL_HOSTNET_H

/* host.keel.internal and host.docker.internal; the default bind address. */
#define KEEL_HOST_ADDRESS "192.168.65.254"
/* The agent's DNS server: answers the names above, forwards the rest. */
#define KEEL_DNS_ADDRESS "192.168.65.7"
#define KEEL_HOST_NAMES { "host.keel.internal", "host.docker.internal" }

struct agent_config;
/* Put cfg->host_address/32 and cfg->dns_address/32 on lo (the empty ones
 * are skipped). A failure (EPERM unprivileged) is logged; the agent goes on
 * and what needs the address fails on its own when used. */
void hostnet_setup(const struct agent_config *cfg);
#endif
