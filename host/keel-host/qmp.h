/* host/keel-host/qmp.h: a QMP client (QEMU's JSON monitor protocol: one
 * JSON object per line; a greeting, then qmp_capabilities, then commands
 * answered by {"return"} or {"error"}, with {"event"} objects in between). */
#ifndef KEEL_HOST_QMP_H
#define KEEL_HOST_QMP_H
#include <jansson.h>
#include <stddef.h>

#define QMP_LINE_MAX 65536

struct qmp {
	int fd;
	size_t n;
	char buf[QMP_LINE_MAX];
};

/* Connect to the monitor socket and leave capabilities negotiation done;
 * the socket is then non-blocking (qmp_command polls). 0 or -errno. */
int qmp_open(struct qmp *q, const char *path, unsigned timeout_ms);
void qmp_close(struct qmp *q);
/* Next message: -EAGAIN when no whole line has arrived yet (call again once
 * fd is readable), -EPIPE at EOF, -EMSGSIZE for a line over QMP_LINE_MAX,
 * -EPROTO when it does not parse. One read(2) at most. */
int qmp_next(struct qmp *q, json_t **msg);
/* Run one command (no arguments); events that arrive first are dropped.
 * 0, -EIO when QEMU answered with an error, or -errno. */
int qmp_command(struct qmp *q, const char *cmd);
#endif
