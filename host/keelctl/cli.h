/* host/keelctl/cli.h: what keelctl's commands (main.c, bind_cmd.c) share:
 * the connection and --json of the command line, the usage text and its
 * error, number arguments, and one request with its errors printed. */
#ifndef KEELCTL_CLI_H
#define KEELCTL_CLI_H
#include "conn.h"
#include "keel.pb-c.h"
#include "rpc.h"
#include <stdbool.h>

extern const char cli_usage[];
extern struct target cli_target;    /* --uds, --vsock, --hybrid, ... */
extern bool cli_json;               /* --json */

/* Print msg (if any) and the usage text to stderr; returns EXIT_USAGE. */
int cli_usage_err(const char *msg);
/* A strict decimal (common/decimal.h) of at most max. */
bool cli_parse_uint(const char *s, unsigned long max, unsigned long *v);
/* Open a control connection to cli_target; prints why not. An exit code. */
int cli_connect(struct rpc *r);
/* One request, one response; prints errors. Returns an exit code. */
int cli_call(Keel__Request *req, Keel__Response **resp);
/* cli_call for a request without a response body; prints what on success. */
int cli_simple(Keel__Request *req, const char *what);
#endif
