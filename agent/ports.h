/* agent/ports.h: listening TCP and bound UDP sockets (IPv4 and IPv6) through
 * NETLINK_SOCK_DIAG with libmnl, each with its owning process. */
#ifndef KEEL_PORTS_H
#define KEEL_PORTS_H
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum port_transport { PORT_TCP = 1, PORT_UDP = 2 };  /* = keel.Transport values */
enum port_change { PORT_ADDED = 1, PORT_REMOVED = 2 }; /* = keel.PortEvent.Kind */

struct port_entry {
	enum port_transport transport;
	char address[INET6_ADDRSTRLEN];  /* "0.0.0.0", "::", "127.0.0.1" */
	uint16_t port;
	uint32_t pid;                    /* 0 when no owner was found */
	char command[16];                /* the owner's comm, "" if unknown */
	uint64_t inode;                  /* the socket's inode (identity) */
	uint32_t uid;                    /* the socket's owner uid (sock_diag) */
	bool v6only;                     /* "::" listener that refuses IPv4 */
};

struct port_set {
	struct port_entry *v;
	size_t n;
};

struct port_scanner;                 /* owns its netlink socket and caches */

int port_scanner_open(struct port_scanner **out);
void port_scanner_close(struct port_scanner *s);
/* Fill *out with the current sockets, sorted (transport, port, address,
 * inode). Owners are resolved for sockets not seen in the previous scan. */
int port_scanner_scan(struct port_scanner *s, struct port_set *out);
void port_set_free(struct port_set *set);
/* The order of a port_set: transport, port, address (text), inode. Equal
 * (0) means the same socket; pid and command are not compared. */
int port_entry_cmp(const struct port_entry *a, const struct port_entry *b);
/* Call cb for each entry of next missing from prev (PORT_ADDED) and each of
 * prev missing from next (PORT_REMOVED). Both sets must be sorted. */
void port_set_diff(const struct port_set *prev, const struct port_set *next,
		   void (*cb)(void *ctx, enum port_change change,
			      const struct port_entry *e),
		   void *ctx);

/* How often a watched agent rescans; bounds WatchPorts latency. */
#define PORTS_POLL_MS 20
#endif
