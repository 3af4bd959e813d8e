/* engine/settings.h: engine settings from the host (docs/engine.md). The
 * host's daemon.json-shaped object is checked key by key against keel's
 * rules, merged over the image's /etc/docker/daemon.json, and what is refused
 * is kept with its reason for Health. Library code: no logging; functions
 * return 0 or -errno. */
#ifndef KEEL_ENGINE_SETTINGS_H
#define KEEL_ENGINE_SETTINGS_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define SETTINGS_MAX_BYTES (64 * 1024)   /* the host's settings file */
#define DEFAULTS_MAX_BYTES (64 * 1024)   /* the image's daemon.json */
#define CA_MAX_BYTES (1024 * 1024)       /* the host's PEM bundle */
#define SETTINGS_MAX_KEYS 64
#define REASON_MAX 512

/* --- rules.c: which keys the host may set, and with what --------------- */

/* Why keel keeps KEY for itself (a static sentence), or NULL. */
const char *rules_reserved(const char *key);
/* The daemon.json key that a dockerd flag sets ("--userns-remap=default" ->
 * "userns-remap"); -EINVAL when ARG is not a long option. */
int rules_flag_key(const char *arg, char *key, size_t len);
/* Copy outside text for a reason or a log line: at most cap - 1 bytes, cut
 * with "..." at a character boundary, control bytes and invalid UTF-8 as '?'
 * (a reason reaches the host user's terminal through keelctl). */
void rules_sanitize(const char *in, char *out, size_t cap);
/* 0 when the host may set KEY to VALUE; else -EINVAL and why[] says why. */
int rules_check(const char *key, json_t *value, char *why, size_t len);

/* --- merge.c: the host's keys over the image's ------------------------- */

struct merge {
	json_t *accepted;     /* host keys that passed the rules: key -> value */
	json_t *refused;      /* [{"key", "reason"}] in the host file's order */
	json_t *notes;        /* [string]: what the merge changed besides the keys */
	char error[REASON_MAX]; /* the file as a whole was refused */
};

/* Parse the host's file (len bytes) and sort its keys into m (which must be
 * zeroed or fresh). dockerd_argv (NULL-terminated, may be NULL) is the
 * command line keel runs dockerd with: a key one of its flags sets is
 * refused (dockerd would refuse to start with both). A file that is not a
 * JSON object sets m->error and accepts nothing. */
int merge_sort_keys(const char *text, size_t len, const char *const *dockerd_argv,
		    struct merge *m);
void merge_refuse(struct merge *m, const char *key, const char *reason);
/* A new object: defaults with every key of keys set over it. The image's
 * log-opts go when keys change the log driver but not the options (they
 * belong to the image's driver); a note says so when notes is not NULL. */
json_t *merge_build(json_t *defaults, json_t *keys, json_t *notes);
void merge_free(struct merge *m);

/* --- check.c: dockerd's own verdict ------------------------------------- */

/* Run `DOCKERD --validate --config-file=PATH ARGS...` (dockerd_argv: the
 * real command line). 0: dockerd accepts it; -EINVAL: it refuses and msg
 * holds its last line; other -errno: it could not be run. */
int check_dockerd(const char *const *dockerd_argv, const char *path, char *msg, size_t len);

/* Decide the final merged config: accepted keys over defaults, checked with
 * check_dockerd when dockerd_argv is set. If dockerd refuses the whole, each
 * key is tried alone over the defaults and the ones it refuses move to
 * m->refused; if the rest still fails, all of it does. scratch is a path the
 * candidates are written to. Returns the merged object (new reference). */
json_t *merge_decide(json_t *defaults, struct merge *m, const char *const *dockerd_argv,
		     const char *scratch);

/* --- ca.c: the host's extra CA certificates ----------------------------- */

/* Count the PEM certificates in a bundle; -EINVAL (why[] says) when there is
 * none, a block is not closed, or a block holds what is not base64. */
int ca_count(const char *pem, size_t len, unsigned *count, char *why, size_t whylen);

/* --- report.c: the outcome as Health's EngineSettings ----------------- */

/* The status object main.c builds, as a packed EngineSettings at path. */
int report_write(json_t *status, const char *path);
#endif
