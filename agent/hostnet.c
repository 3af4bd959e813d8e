/* agent/hostnet.c: the host and DNS addresses on lo. A /32 on lo is local to
 * the VM, and containers reach it through their default route (the VM's end
 * of their bridge), so one address serves the VM and every container. */
#include "agent.h"
#include "hostnet.h"
#include "log.h"
#include "netconf.h"
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static void hostnet_add(const char *what, const char *addr)
{
	char cidr[80], err[256] = "";
	struct in_addr in;
	int e;

	if (!addr || !addr[0])
		return;
	if (inet_pton(AF_INET, addr, &in) != 1) {
		log_warn("%s address %s: not an IPv4 address", what, addr);
		return;
	}
	if ((size_t)snprintf(cidr, sizeof(cidr), "%s/32", addr) >= sizeof(cidr)) {
		log_warn("%s address %s: too long", what, addr);
		return;
	}
	e = netconf_add_local("lo", cidr, err, sizeof(err));
	if (e < 0)
		log_warn("%s address %s on lo: %s", what, cidr, err[0] ? err : strerror(-e));
	else
		log_info("%s address %s on lo", what, cidr);
}

void hostnet_setup(const struct agent_config *cfg)
{
	hostnet_add("host", cfg->host_address);
	hostnet_add("dns", cfg->dns_address);
}
