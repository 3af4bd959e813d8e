/* agent/sockdiag.h: one NETLINK_SOCK_DIAG dump (inet_diag_req_v2) of
 * listening TCP or bound UDP sockets of one address family, parsed into
 * port_entry values. The owner fields (pid, command) are left empty. */
#ifndef KEEL_SOCKDIAG_H
#define KEEL_SOCKDIAG_H
#include "ports.h"
#include <stddef.h>
#include <stdint.h>

struct mnl_socket;

/* Receive buffer size. libmnl 1.0.4 lacks MNL_SOCKET_DUMP_SIZE; the kernel
 * fills at most 32 KiB per recvmsg of a dump, so more buys nothing. */
#define SOCKDIAG_BUF_SIZE 32768
/* No scan grows past this many entries (memory bound against a kernel
 * that keeps sending). */
#define SOCKDIAG_MAX_ENTRIES (1u << 20)

/* A growable array the parser appends to. */
struct sockdiag_vec {
	struct port_entry *v;
	size_t n, cap;
};

/* What the parser needs to interpret one dump's replies. */
struct sockdiag_ctx {
	struct sockdiag_vec *out;
	enum port_transport transport;
	int family;          /* the family asked for: replies must match */
	int error;           /* -errno set by a callback that failed */
	/* The last address formatted: most sockets share a few addresses
	 * (0.0.0.0, ::), and inet_ntop is the parser's costliest step. */
	uint8_t last_addr[16];
	char last_text[INET6_ADDRSTRLEN];
};

/* A NETLINK_SOCK_DIAG socket, CLOEXEC, with CAP_ACK and EXT_ACK on. */
int sockdiag_open(struct mnl_socket **out);
/* Dump one (family, transport) into ctx->out. buf holds SOCKDIAG_BUF_SIZE
 * bytes; *seq is advanced. On error the socket may hold the rest of an
 * aborted dump: the caller must close it and open a new one. */
int sockdiag_dump(struct mnl_socket *nl, void *buf, uint32_t *seq,
		  struct sockdiag_ctx *ctx);
/* Parse one received buffer of a dump. Returns 1 to read more, 0 at
 * NLMSG_DONE, -errno on a malformed or failed reply. seq/portid 0 skip
 * the sequence and port checks (tests, fuzzing). */
int sockdiag_parse(const void *buf, size_t len, uint32_t seq, uint32_t portid,
		   struct sockdiag_ctx *ctx);
void sockdiag_vec_free(struct sockdiag_vec *vec);
#endif
