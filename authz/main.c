/* authz/main.c: keel-authz, ECI mode's authorization plugin for dockerd
 * (docs/eci.md). keel-init runs it before dockerd when keel.eci=1:
 *
 *   keel-authz [--socket PATH] [--daemon-config IN OUT]
 *
 * --daemon-config writes dockerd's configuration for ECI mode (OUT, from
 * IN; daemon_config.h) before the socket exists, so that dockerd, which
 * waits for the socket, starts with it. SIGTERM or SIGINT stops it. */
#include "daemon_config.h"
#include "log.h"
#include "mountpoint.h"
#include "plugin.h"
#include "server.h"
#include "unix_listen.h"
#include "vmpaths.h"
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* dockerd finds a plugin NAME by its socket /run/docker/plugins/NAME.sock */
#define SOCKET_DEFAULT "/run/docker/plugins/" PLUGIN_NAME ".sock"

static const struct policy_env vm_env = { vm_resolve, vm_on_share };

static void log_refusal(const char *uri, const char *msg)
{
	log_info("refused %.200s: %s", uri ? uri : "(no request)", msg ? msg : "");
}

static int usage(void)
{
	fprintf(stderr, "usage: keel-authz [--socket PATH] [--daemon-config IN OUT]\n");
	return 2;
}

static int make_parent(const char *path)
{
	char dir[256];

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	return mkdir_p(dirname(dir), 0700);
}

static int serve(const char *path)
{
	struct unix_listener l;
	struct MHD_Daemon *d;
	sigset_t set;
	int r, sig, mfd;

	if ((r = make_parent(path)) < 0 || (r = unix_listen(path, 0600, (gid_t)-1, &l)) < 0) {
		log_err("cannot listen on %s: %s", path, strerror(-r));
		return 1;
	}
	/* libmicrohttpd closes the socket it is given: it gets its own fd */
	mfd = fcntl(l.fd, F_DUPFD_CLOEXEC, 0);
	if (mfd < 0 || (r = server_start(mfd, &vm_env, log_refusal, &d)) < 0) {
		log_err("cannot start the HTTP server: %s", strerror(mfd < 0 ? errno : -r));
		if (mfd >= 0)
			close(mfd);
		unix_listen_close(&l);
		return 1;
	}
	log_info("ECI mode: serving plugin %s on %s", PLUGIN_NAME, path);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigwait(&set, &sig);
	server_stop(d);
	unix_listen_close(&l);
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = SOCKET_DEFAULT, *cfg_in = NULL, *cfg_out = NULL;
	sigset_t set;
	int i, r;

	log_init("keel-authz", false);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--socket") && i + 1 < argc) {
			path = argv[++i];
		} else if (!strcmp(argv[i], "--daemon-config") && i + 2 < argc) {
			cfg_in = argv[++i];
			cfg_out = argv[++i];
		} else {
			return usage();
		}
	}
	/* blocked before libmicrohttpd's thread exists, so it inherits the mask
	 * and only sigwait sees them */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (cfg_in) {
		if ((r = make_parent(cfg_out)) < 0 || (r = eci_daemon_config(cfg_in, cfg_out)) < 0) {
			log_err("cannot write %s from %s: %s", cfg_out, cfg_in, strerror(-r));
			return 1;
		}
		log_info("wrote %s: builder entitlements network-host and security-insecure off",
			 cfg_out);
	}
	return serve(path);
}
