/* engine/main.c: keel-engine-settings, the first program of dockerd's
 * service (init/services_table.c): it merges the host's engine settings
 * (QEMU fw_cfg opt/keel/engine) over the image's /etc/docker/daemon.json,
 * installs the host's extra CA certificates (opt/keel/ca), writes what it
 * decided (/run/keel/engine-settings.json for people, .pb for the agent's
 * Health), and execs dockerd with
 * --config-file=/run/keel/daemon.json. Whatever the host sent, dockerd
 * starts: with the image's defaults plus what passed (docs/engine.md).
 *
 *   keel-engine-settings [OPTIONS] [-- DOCKERD [ARG]...]
 *
 * A --config-file=FILE in DOCKERD's arguments (ECI mode) replaces
 * --defaults: the settings are merged over FILE.
 *
 * Without DOCKERD it only writes the files (tests, run-vm's check) and exits
 * 0 (all applied), 1 (some keys refused), 3 (the file or the CA bundle as a
 * whole refused) or 2 (usage, or the image's defaults unreadable). */
#include "settings.h"
#include "clock.h"
#include "fd.h"
#include "log.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FW_CFG "/sys/firmware/qemu_fw_cfg/by_name/opt/keel/"
#define CA_FILE "keel-host.crt"
#define SYSTEM_CERT_DIR "/etc/ssl/certs"

struct opts {
	const char *defaults, *settings, *ca, *out, *status, *health, *ca_dir;
	bool check;                    /* dockerd --validate the result */
	const char *const *dockerd;    /* NULL: write the files only */
	const char *dockerd_config;    /* a --config-file DOCKERD was given */
};

struct outcome {
	json_t *status;
	const char *config;            /* the file dockerd gets, or NULL */
	bool ca_ok, refused, file_error;
};

static const char usage[] =
"usage: keel-engine-settings [OPTIONS] [-- DOCKERD [ARG]...]\n"
"  --defaults FILE   the image's daemon.json (/etc/docker/daemon.json)\n"
"  --settings FILE   the host's settings (" FW_CFG "engine/raw)\n"
"  --ca FILE         the host's PEM bundle (" FW_CFG "ca/raw)\n"
"  --out FILE        the merged daemon.json (/run/keel/daemon.json)\n"
"  --status FILE     what was applied and refused (/run/keel/engine-settings.json)\n"
"  --health FILE     the same for the agent's Health (/run/keel/engine-settings.pb)\n"
"  --ca-dir DIR      where the bundle goes for dockerd's SSL_CERT_DIR (/run/keel/ca)\n"
"  --no-check        do not run DOCKERD --validate on the result\n";

/* A --config-file=FILE among DOCKERD's arguments (ECI mode's, init/eci.c)
 * is the base the host's settings are merged over, in place of --defaults:
 * it leaves the argument list, and dockerd gets the merged file, or FILE
 * itself when nothing was merged. */
static void take_config_file(struct opts *o, char **args)
{
	static const char flag[] = "--config-file=";
	size_t i, j;

	for (i = j = 0; args[i]; i++) {
		if (!strncmp(args[i], flag, sizeof(flag) - 1) && args[i][sizeof(flag) - 1])
			o->defaults = o->dockerd_config = args[i] + sizeof(flag) - 1;
		else
			args[j++] = args[i];
	}
	args[j] = NULL;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "defaults", 1, NULL, 'd' }, { "settings", 1, NULL, 's' }, { "ca", 1, NULL, 'c' },
		{ "out", 1, NULL, 'o' }, { "status", 1, NULL, 't' }, { "health", 1, NULL, 'p' },
		{ "ca-dir", 1, NULL, 'a' },
		{ "no-check", 0, NULL, 'n' }, { "help", 0, NULL, 'h' }, { 0, 0, 0, 0 },
	};
	int c;

	*o = (struct opts){ "/etc/docker/daemon.json", FW_CFG "engine/raw", FW_CFG "ca/raw",
			    "/run/keel/daemon.json", "/run/keel/engine-settings.json",
			    "/run/keel/engine-settings.pb", "/run/keel/ca", true, NULL, NULL };
	while ((c = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
		switch (c) {
		case 'd': o->defaults = optarg; break;
		case 's': o->settings = optarg; break;
		case 'c': o->ca = optarg; break;
		case 'o': o->out = optarg; break;
		case 't': o->status = optarg; break;
		case 'p': o->health = optarg; break;
		case 'a': o->ca_dir = optarg; break;
		case 'n': o->check = false; break;
		case 'h': fputs(usage, stdout); exit(0);
		default: fputs(usage, stderr); return -EINVAL;
		}
	}
	if (optind < argc) {
		if (argv[optind][0] != '/')
			return fputs("keel-engine-settings: DOCKERD must be an absolute path\n", stderr),
			       -EINVAL;
		o->dockerd = (const char *const *)argv + optind;
		take_config_file(o, argv + optind);
	}
	return 0;
}

/* A file into a new NUL-terminated buffer; *buf NULL when it does not exist. */
static int slurp(const char *path, size_t max, char **buf, size_t *len)
{
	int r;

	*buf = malloc(max + 2);
	if (!*buf)
		return -ENOMEM;
	r = fd_read_file(path, *buf, max + 1, len);
	if (r < 0) {
		free(*buf);
		*buf = NULL;
		return r;
	}
	(*buf)[*len] = 0;
	return 0;
}

static void set_str(json_t *o, const char *key, const char *v)
{
	json_object_set_new(o, key, json_string(v ? v : ""));
}

static void file_error(struct outcome *oc, const char *key, const char *path, int err)
{
	char msg[REASON_MAX + 64];

	snprintf(msg, sizeof(msg), "%s: %s", path,
		 err == -EFBIG ? "too large" : strerror(-err));
	set_str(oc->status, key, msg);
	oc->file_error = true;
}

/* The host's keys: sorted, checked, merged; the result written to o->out. */
static void settings_step(const struct opts *o, json_t *defaults, struct outcome *oc)
{
	struct merge m = { 0 };
	char *text = NULL, *out, scratch[4096 + 8];
	size_t len = 0, n;
	uint64_t t0;
	json_t *merged;
	int r = slurp(o->settings, SETTINGS_MAX_BYTES, &text, &len), w;

	if (r < 0 && r != -ENOENT)
		file_error(oc, "error", o->settings, r);
	if (r == 0)
		set_str(oc->status, "source", o->settings);
	merge_sort_keys(text && len ? text : "{}", text && len ? len : 2, o->dockerd, &m);
	free(text);
	if (m.error[0]) {
		char msg[REASON_MAX * 2];
		snprintf(msg, sizeof(msg), "%s: %s", o->settings, m.error);
		set_str(oc->status, "error", msg);
		oc->file_error = true;
	}
	snprintf(scratch, sizeof(scratch), "%s.check", o->out);
	t0 = mono_ms();
	n = json_object_size(m.accepted);
	merged = merge_decide(defaults, &m, o->check ? o->dockerd : NULL, scratch);
	if (n && o->check && o->dockerd)
		log_info("%zu host keys checked with %s --validate in %llu ms", n, o->dockerd[0],
			 (unsigned long long)(mono_ms() - t0));
	out = merged ? json_dumps(merged, JSON_INDENT(2)) : NULL;
	w = out ? fd_write_file_atomic(o->out, out, strlen(out), 0644) : -ENOMEM;
	if (w == 0) {
		oc->config = o->out;
		json_object_set(oc->status, "effective", merged);
	} else {
		file_error(oc, "error", o->out, w);
		json_object_set(oc->status, "effective", defaults);
		json_object_clear(m.accepted);
	}
	free(out);
	oc->refused = json_array_size(m.refused) > 0;
	json_object_set(oc->status, "applied", m.accepted);
	json_object_set(oc->status, "refused", m.refused);
	json_object_set(oc->status, "notes", m.notes);
	json_decref(merged);
	merge_free(&m);
}

/* The host's CA bundle into o->ca_dir, for dockerd's SSL_CERT_DIR. */
static void ca_step(const struct opts *o, struct outcome *oc)
{
	char *pem = NULL, why[REASON_MAX], path[4096 + 32], msg[REASON_MAX * 2];
	unsigned n = 0;
	size_t len;
	int r = slurp(o->ca, CA_MAX_BYTES, &pem, &len);

	json_object_set_new(oc->status, "ca_certificates", json_integer(0));
	snprintf(path, sizeof(path), "%s/" CA_FILE, o->ca_dir);
	if (r == -ENOENT) {
		unlink(path);
		return;
	}
	set_str(oc->status, "ca_source", o->ca);
	if (r < 0) {
		file_error(oc, "ca_error", o->ca, r);
		return;
	}
	r = ca_count(pem, len, &n, why, sizeof(why));
	if (r == 0 && (mkdir(o->ca_dir, 0755) == 0 || errno == EEXIST))
		r = fd_write_file_atomic(path, pem, len, 0644);
	else if (r == 0)
		r = -errno;
	free(pem);
	if (r < 0) {
		snprintf(msg, sizeof(msg), "%s: %s", o->ca, r == -EINVAL ? why : strerror(-r));
		set_str(oc->status, "ca_error", msg);
		oc->file_error = true;
		return;
	}
	json_object_set_new(oc->status, "ca_certificates", json_integer(n));
	oc->ca_ok = true;
}

static void log_outcome(const struct outcome *oc)
{
	json_t *refused = json_object_get(oc->status, "refused"), *e;
	const char *key;
	size_t i;

	json_object_foreach(json_object_get(oc->status, "applied"), key, e)
		log_info("applied %s from the host", key);
	json_array_foreach(refused, i, e)
		log_warn("refused %s: %s", json_string_value(json_object_get(e, "key")),
			 json_string_value(json_object_get(e, "reason")));
	if (*json_string_value(json_object_get(oc->status, "error")))
		log_warn("%s", json_string_value(json_object_get(oc->status, "error")));
	if (json_object_get(oc->status, "ca_error") &&
	    *json_string_value(json_object_get(oc->status, "ca_error")))
		log_warn("%s", json_string_value(json_object_get(oc->status, "ca_error")));
}

static void run(const struct opts *o, struct outcome *oc)
{
	char *text = NULL;
	size_t len;
	json_error_t err;
	json_t *defaults = NULL;
	int r = slurp(o->defaults, DEFAULTS_MAX_BYTES, &text, &len);

	oc->status = json_pack("{s:s, s:s, s:s}", "source", "", "error", "", "config_file", "");
	if (r == 0 && !(defaults = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err)))
		r = -EINVAL;
	free(text);
	if (r < 0 || !json_is_object(defaults)) {
		/* A broken image: dockerd reads its own default file and says why. */
		file_error(oc, "error", o->defaults, r < 0 ? r : -EINVAL);
	} else {
		settings_step(o, defaults, oc);
	}
	ca_step(o, oc);
	set_str(oc->status, "config_file", oc->config);
	text = json_dumps(oc->status, JSON_INDENT(2));
	if (!text || fd_write_file_atomic(o->status, text, strlen(text), 0644) < 0)
		log_warn("cannot write %s: %s", o->status, strerror(errno));
	free(text);
	if ((r = report_write(oc->status, o->health)) < 0)
		log_warn("cannot write %s: %s", o->health, strerror(-r));
	json_decref(defaults);
	log_outcome(oc);
}

/* dockerd with --config-file in front of keel's flags, and the host's CAs
 * next to the system's for Go's crypto/x509 (SSL_CERT_DIR). */
static int exec_dockerd(const struct opts *o, const struct outcome *oc)
{
	const char **argv;
	const char *config = oc->config ? oc->config : o->dockerd_config;
	char cfg[4096 + 16], dirs[4096 + 32];
	size_t n = 0, i;

	for (i = 0; o->dockerd[i]; i++)
		;
	argv = calloc(i + 2, sizeof(*argv));
	if (!argv)
		return -ENOMEM;
	argv[n++] = o->dockerd[0];
	if (config && snprintf(cfg, sizeof(cfg), "--config-file=%s", config) < (int)sizeof(cfg))
		argv[n++] = cfg;
	for (i = 1; o->dockerd[i]; i++)
		argv[n++] = o->dockerd[i];
	argv[n] = NULL;
	if (oc->ca_ok) {
		snprintf(dirs, sizeof(dirs), SYSTEM_CERT_DIR ":%s", o->ca_dir);
		setenv("SSL_CERT_DIR", dirs, 1);
	}
	execv(argv[0], (char *const *)argv);
	return -errno;
}

int main(int argc, char **argv)
{
	struct opts o;
	struct outcome oc = { 0 };
	int r;

	log_init("keel-engine-settings", false);
	if (parse_opts(argc, argv, &o) < 0)
		return 2;
	run(&o, &oc);
	if (o.dockerd) {
		r = exec_dockerd(&o, &oc);
		log_err("cannot exec %s: %s", o.dockerd[0], strerror(-r));
		return 127;
	}
	if (!json_is_object(json_object_get(oc.status, "effective")))
		return 2;
	return oc.file_error ? 3 : oc.refused ? 1 : 0;
}
