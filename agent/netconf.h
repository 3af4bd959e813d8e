/* agent/netconf.h: configure an interface through rtnetlink (libmnl):
 * link up, one address, a default route. DNS goes to a resolv.conf. */
#ifndef KEEL_NETCONF_H
#define KEEL_NETCONF_H
#include <stddef.h>

struct netconf {
	char ifname[16];         /* "eth0" */
	char address[64];        /* "10.0.2.15/24"; "" to leave addresses alone */
	char gateway[64];        /* "10.0.2.2"; "" for no default route */
	char dns[3][64];         /* up to 3 nameservers */
	size_t ndns;
};

/* Parse "ADDR/LEN,gw=GW,dns=DNS[,dns=DNS]" (the --net and keel.ip form). */
int netconf_parse(const char *spec, struct netconf *out);
/* Bring the link up, replace its address, set the default route. On failure
 * err holds the kernel's extended ack message when it sent one. */
int netconf_apply(const struct netconf *nc, char *err, size_t errlen);
/* A resolv.conf the agent writes: where, and the nameserver it lists
 * first (the agent's own DNS server; "" for none). */
struct resolv_conf {
	char path[4096];
	char first[64];
};
/* Write the nameservers to rc->path atomically ("nameserver X" lines),
 * after rc->first, if any (a duplicate of it is dropped). */
int netconf_write_resolv(const struct resolv_conf *rc, const struct netconf *nc);
/* Set the nameserver every later resolv.conf lists first; NULL or "" for none. */
int netconf_resolv_first(struct resolv_conf *rc, const char *addr);
/* Add ADDR/LEN to ifname, keeping its other addresses (idempotent). */
int netconf_add_local(const char *ifname, const char *cidr, char *err, size_t errlen);
#endif
