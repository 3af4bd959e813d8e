/* engine/report.c: see settings.h. The agent reads the outcome as the
 * EngineSettings message it puts into Health (proto/keel.proto), so it needs
 * no JSON parser and the record has one schema. */
#include "settings.h"
#include "fd.h"
#include "keel.pb-c.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static char *str(json_t *status, const char *key)
{
	const char *s = json_string_value(json_object_get(status, key));

	return (char *)(s ? s : "");
}

/* Every key of the effective file, marked when the host set it. */
static int settings_of(json_t *status, Keel__EngineSettings *e, Keel__EngineSetting *buf,
		       Keel__EngineSetting **ptrs, size_t cap)
{
	json_t *eff = json_object_get(status, "effective");
	json_t *applied = json_object_get(status, "applied"), *v;
	const char *key;

	e->settings = ptrs;
	json_object_foreach(eff, key, v) {
		if (e->n_settings == cap)
			break;
		keel__engine_setting__init(&buf[e->n_settings]);
		buf[e->n_settings].key = (char *)key;
		buf[e->n_settings].value = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!buf[e->n_settings].value)
			return -ENOMEM;
		buf[e->n_settings].from_host = json_object_get(applied, key) != NULL;
		ptrs[e->n_settings] = &buf[e->n_settings];
		e->n_settings++;
	}
	return 0;
}

static void refused_of(json_t *status, Keel__EngineSettings *e, Keel__RefusedSetting *buf,
		       Keel__RefusedSetting **ptrs, size_t cap)
{
	json_t *refused = json_object_get(status, "refused"), *r;
	size_t i;

	e->refused = ptrs;
	json_array_foreach(refused, i, r) {
		if (i == cap)
			break;
		keel__refused_setting__init(&buf[i]);
		buf[i].key = str(r, "key");
		buf[i].reason = str(r, "reason");
		ptrs[i] = &buf[i];
		e->n_refused++;
	}
}

static void notes_of(json_t *status, Keel__EngineSettings *e, char **ptrs, size_t cap)
{
	json_t *notes = json_object_get(status, "notes"), *n;
	size_t i;

	e->notes = ptrs;
	json_array_foreach(notes, i, n)
		if (i < cap && json_is_string(n))
			ptrs[e->n_notes++] = (char *)json_string_value(n);
}

int report_write(json_t *status, const char *path)
{
	enum { CAP = 2 * SETTINGS_MAX_KEYS };
	static Keel__EngineSetting set[CAP];
	static Keel__EngineSetting *setp[CAP];
	static Keel__RefusedSetting ref[CAP];
	static Keel__RefusedSetting *refp[CAP];
	static char *notep[CAP];
	Keel__EngineSettings e = KEEL__ENGINE_SETTINGS__INIT;
	uint8_t *buf = NULL;
	size_t len, i;
	int r;

	e.source = str(status, "source");
	e.config_file = str(status, "config_file");
	e.error = str(status, "error");
	e.ca_error = str(status, "ca_error");
	e.ca_certificates = (uint32_t)json_integer_value(json_object_get(status, "ca_certificates"));
	r = settings_of(status, &e, set, setp, CAP);
	refused_of(status, &e, ref, refp, CAP);
	notes_of(status, &e, notep, CAP);
	len = keel__engine_settings__get_packed_size(&e);
	if (r == 0 && !(buf = malloc(len ? len : 1)))
		r = -ENOMEM;
	if (r == 0) {
		keel__engine_settings__pack(&e, buf);
		r = fd_write_file_atomic(path, buf, len, 0644);
	}
	free(buf);
	for (i = 0; i < e.n_settings; i++)
		free(set[i].value);
	return r;
}
