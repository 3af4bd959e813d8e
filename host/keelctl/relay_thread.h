/* host/keelctl/relay_thread.h: the plumbing every keelctl relay shares
 * (forward, forward-unix, publish, bind): a blocking byte relay, detached
 * relay threads, and the signalfd that ends the commands that serve. */
#ifndef KEELCTL_RELAY_THREAD_H
#define KEELCTL_RELAY_THREAD_H

/* A UDP flow (framed datagrams on a stream, proto/dgram.h) idle this long
 * ends. */
#define FWD_UDP_IDLE_S 60

/* Relay bytes both ways (proto/relay.c) until both directions end or either
 * side fails; half-close is carried. Blocks; the fds stay open. */
void fwd_relay(int a, int b);
/* Run fn(arg) on a detached thread with a small stack; -errno. */
int fwd_spawn(void *(*fn)(void *), void *arg);
/* Block SIGINT, SIGTERM and SIGHUP (call before any thread exists) and
 * return a signalfd for them, or -errno. */
int fwd_exit_signalfd(void);
#endif
