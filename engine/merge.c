/* engine/merge.c: see settings.h. Top-level keys replace the image's (as in
 * daemon.json itself: there is no deep merge), so what a user writes is what
 * dockerd gets. */
#include "settings.h"
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

void merge_refuse(struct merge *m, const char *key, const char *reason)
{
	char k[128], r[REASON_MAX + 64];

	rules_sanitize(key, k, sizeof(k));
	rules_sanitize(reason, r, sizeof(r));
	json_array_append_new(m->refused, json_pack("{s:s, s:s}", "key", k, "reason", r));
}

/* The flag of dockerd_argv that sets KEY, or NULL. */
static const char *flag_for(const char *const *argv, const char *key)
{
	char k[128];
	size_t i;

	for (i = 1; argv && argv[0] && argv[i]; i++)
		if (rules_flag_key(argv[i], k, sizeof(k)) == 0 && !strcmp(k, key))
			return argv[i];
	return NULL;
}

/* ECI mode (dockerd runs with keel's authorization plugin, init/eci.c):
 * its daemon.json, the base here, turns off the builder's host-network and
 * insecure entitlements, which the plugin cannot see (docs/eci.md). */
static bool eci_mode(const char *const *argv)
{
	static const char flag[] = "--authorization-plugin";
	size_t i;

	for (i = 1; argv && argv[0] && argv[i]; i++)
		if (!strncmp(argv[i], flag, sizeof(flag) - 1))
			return true;
	return false;
}

static void sort_key(struct merge *m, const char *key, json_t *value, const char *const *argv)
{
	char why[REASON_MAX], msg[REASON_MAX + 64];
	const char *flag = flag_for(argv, key);
	const char *reserved = rules_reserved(key);

	if (!strcmp(key, "builder") && eci_mode(argv)) {
		merge_refuse(m, key, "reserved in ECI mode: it turns off the builder's host network and insecure entitlements (docs/eci.md)");
	} else if (flag && !reserved) {
		snprintf(msg, sizeof(msg), "reserved by keel: it runs dockerd with %.200s", flag);
		merge_refuse(m, key, msg);
	} else if (rules_check(key, value, why, sizeof(why)) < 0) {
		merge_refuse(m, key, why);
	} else {
		json_object_set(m->accepted, key, value);
	}
}

int merge_sort_keys(const char *text, size_t len, const char *const *dockerd_argv,
		    struct merge *m)
{
	json_error_t err;
	json_t *root;
	const char *key;
	json_t *value;

	m->accepted = json_object();
	m->refused = json_array();
	m->notes = json_array();
	m->error[0] = 0;
	if (!m->accepted || !m->refused || !m->notes)
		return -ENOMEM;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	if (!root) {
		char text[sizeof(err.text)];
		rules_sanitize(err.text, text, sizeof(text));
		snprintf(m->error, sizeof(m->error), "not valid JSON: %s (line %d, column %d)",
			 text, err.line, err.column);
		return 0;
	}
	if (!json_is_object(root)) {
		snprintf(m->error, sizeof(m->error), "expected a JSON object ({\"key\": value, ...})");
	} else if (json_object_size(root) > SETTINGS_MAX_KEYS) {
		snprintf(m->error, sizeof(m->error), "more than %d keys", SETTINGS_MAX_KEYS);
	} else {
		json_object_foreach(root, key, value)
			sort_key(m, key, value, dockerd_argv);
	}
	json_decref(root);
	return 0;
}

json_t *merge_build(json_t *defaults, json_t *keys, json_t *notes)
{
	json_t *out = json_deep_copy(defaults);
	json_t *driver = json_object_get(keys, "log-driver");
	json_t *image_driver = json_object_get(defaults, "log-driver");

	if (!out)
		return NULL;
	if (driver && !json_equal(driver, image_driver) && !json_object_get(keys, "log-opts") &&
	    json_object_get(out, "log-opts")) {
		json_object_del(out, "log-opts");
		if (notes)
			json_array_append_new(notes, json_string(
				"the image's log-opts were dropped: they are options of its log driver, "
				"and log-driver was changed without log-opts"));
	}
	if (json_object_update(out, keys) < 0) {
		json_decref(out);
		return NULL;
	}
	return out;
}

void merge_free(struct merge *m)
{
	json_decref(m->accepted);
	json_decref(m->refused);
	json_decref(m->notes);
	m->accepted = m->refused = m->notes = NULL;
}
