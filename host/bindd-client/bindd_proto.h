/* bindd_proto.h: the keel-bindd wire format, shared by the daemon and the
 * client library so both sides agree on one definition.
 *
 * One request per connection, one text line:
 *     BIND <tcp|udp> <address> <port>\n        (at most BINDD_LINE_MAX bytes)
 * One reply line:
 *     OK\n                                     with the bound socket attached
 *                                              (SCM_RIGHTS, one fd)
 *     ERR <ERRNO-NAME> <message>\n             no fd
 * A text line was chosen over a binary struct because every byte of it can be
 * validated (printable ASCII, single spaces, strict decimal) and it can be
 * typed with socat when debugging. */
#ifndef KEEL_BINDD_PROTO_H
#define KEEL_BINDD_PROTO_H
#include <errno.h>
#include <string.h>

/* Where the daemon listens unless told otherwise: systemd's
 * RuntimeDirectory=keel-bindd makes the directory (docs/bindd.md). */
#define BINDD_SOCKET_DEFAULT "/run/keel-bindd/bindd.sock"

#define BINDD_LINE_MAX 128	/* request and reply, newline included */
#define BINDD_PORT_MAX 1023	/* ports >= 1024 need no privilege */

enum bindd_transport { BINDD_TCP = 1, BINDD_UDP = 2 };

/* The errno values the daemon may put in an ERR reply, by name, so the wire
 * does not depend on the numbering of either side's libc. */
#define BINDD_ERRNOS(X) X(EACCES) X(EPERM) X(EINVAL) X(EPROTO) X(EMSGSIZE) \
	X(ETIMEDOUT) X(EADDRINUSE) X(EADDRNOTAVAIL) X(EAFNOSUPPORT) X(EMFILE) \
	X(ENFILE) X(ENOBUFS) X(ENOMEM) X(EBUSY)

/* Name of e for an ERR reply; "EIO" for a value outside the list. */
static inline const char *bindd_errno_name(int e)
{
#define BINDD_NAME_CASE(n) case n: return #n;
	switch (e) {
	BINDD_ERRNOS(BINDD_NAME_CASE)
	}
#undef BINDD_NAME_CASE
	return "EIO";
}

/* errno value of an ERR reply's name; EIO for a name outside the list. */
static inline int bindd_errno_value(const char *name)
{
#define BINDD_VALUE_CMP(n) if (strcmp(name, #n) == 0) return n;
	BINDD_ERRNOS(BINDD_VALUE_CMP)
#undef BINDD_VALUE_CMP
	return EIO;
}
#endif
