/* init/svclog.h: a service's output, read from its pipe, goes line by line
 * to the console (prefixed with the service name) and to a bounded log file
 * DIR/<name>.log, which is rotated once to <name>.log.1 when it would pass
 * SVCLOG_MAX_BYTES. */
#ifndef KEEL_INIT_SVCLOG_H
#define KEEL_INIT_SVCLOG_H
#include <stddef.h>
#include <sys/types.h>

#define SVCLOG_MAX_BYTES (1024 * 1024)
#define SVCLOG_LINE_MAX 512

struct svclog {
	char path[256];
	int fd;                    /* log file, -1 until opened or after failure */
	off_t size;
	int console_fd;            /* usually 2; -1 for none */
	const char *name;
	char line[SVCLOG_LINE_MAX];/* partial console line */
	size_t nline;
	size_t max_bytes;
};

/* Prepare (no I/O yet). dir may be NULL for console only. */
int svclog_init(struct svclog *l, const char *dir, const char *name, int console_fd);
/* Feed bytes read from the service's pipe. */
void svclog_write(struct svclog *l, const char *buf, size_t len);
/* Flush a partial line (the service exited). */
void svclog_flush(struct svclog *l);
void svclog_close(struct svclog *l);
#endif
