/* libFuzzer harness for engine/ (keel-engine-settings): any byte string as
 * the host's settings file, and as its CA bundle. Besides ASan/UBSan, it
 * asserts what the merge promises: the file is refused whole or every key
 * is either applied or refused; an applied key passes the rules; a reason is
 * a bounded line without control bytes, and valid UTF-8 (else jansson
 * could not keep it: a refusal would be lost); no key keel keeps (nor one its dockerd flags
 * set) differs in the merged file from the image's. */
#include "engine/rules.c"
#include "engine/merge.c"
#include "engine/ca.c"
#include <stdint.h>
#include <stdlib.h>

static const char defaults_text[] =
	"{\"data-root\": \"/var/lib/docker\", \"cgroup-parent\": \"/containers\","
	" \"iptables\": true, \"log-driver\": \"json-file\","
	" \"log-opts\": {\"max-size\": \"10m\"}}";
static const char *const argv[] = { "/usr/sbin/dockerd", "--userns-remap=default",
				    "--mtu=1500", "--authorization-plugin=x", NULL };

static void check_text(const char *s, bool empty_ok)
{
	size_t i, n = strlen(s);

	if ((n == 0 && !empty_ok) || n >= REASON_MAX + 64)
		abort();
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			abort();
}

static void check_merge(const uint8_t *data, size_t size)
{
	struct merge m = { 0 };
	json_t *defaults = json_loads(defaults_text, 0, NULL), *merged, *v, *r;
	char why[REASON_MAX];
	const char *key;
	size_t i;

	if (!defaults || merge_sort_keys((const char *)data, size, argv, &m) < 0)
		abort();
	if (m.error[0] && (json_object_size(m.accepted) || json_array_size(m.refused)))
		abort();
	if (m.error[0])
		check_text(m.error, false);
	json_object_foreach(m.accepted, key, v)
		if (rules_check(key, v, why, sizeof(why)) < 0 || !strcmp(key, "userns-remap") ||
		    !strcmp(key, "mtu") || !strcmp(key, "authorization-plugins"))
			abort();
	json_array_foreach(m.refused, i, r) {
		if (!json_string_value(json_object_get(r, "key")))
			abort();
		check_text(json_string_value(json_object_get(r, "key")), true);
		check_text(json_string_value(json_object_get(r, "reason")), false);
	}
	merged = merge_build(defaults, m.accepted, m.notes);
	if (!merged)
		abort();
	json_object_foreach(defaults, key, v)
		if (rules_reserved(key) && !json_equal(v, json_object_get(merged, key)))
			abort();
	json_decref(merged);
	json_decref(defaults);
	merge_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[REASON_MAX];
	unsigned n;

	if (size > SETTINGS_MAX_BYTES)
		return 0;
	check_merge(data, size);
	if (ca_count((const char *)data, size, &n, why, sizeof(why)) < 0)
		check_text(why, false);
	else if (n == 0)
		abort();
	return 0;
}
