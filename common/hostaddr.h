/* common/hostaddr.h: the addresses by which the VM and its containers reach
 * the host, shared by the agent (which puts them on the VM's lo and answers
 * their names) and keelctl (whose binds default to the first). Docker Desktop
 * uses the same two addresses. */
#ifndef KEEL_HOSTADDR_H
#define KEEL_HOSTADDR_H

/* host.keel.internal and host.docker.internal; the default bind address. */
#define KEEL_HOST_ADDRESS "192.168.65.254"
/* The agent's DNS server: answers the names above, forwards the rest. */
#define KEEL_DNS_ADDRESS "192.168.65.7"
#define KEEL_HOST_NAMES { "host.keel.internal", "host.docker.internal" }
#endif
