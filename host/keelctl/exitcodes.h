/* host/keelctl/exitcodes.h: keelctl's exit status, documented in --help. */
#ifndef KEELCTL_EXITCODES_H
#define KEELCTL_EXITCODES_H
#define EXIT_OK 0          /* the command worked */
#define EXIT_AGENT 1       /* the agent answered with an error */
#define EXIT_USAGE 2       /* bad command line */
#define EXIT_CONNECT 3     /* cannot connect, or the connection was lost */
#define EXIT_PROTO 4       /* undecodable reply or incompatible protocol */
#define EXIT_NOT_READY 5   /* health --wait-ready: not ready in time */
#endif
