/* authz/daemon_config.c: see daemon_config.h. */
#include "daemon_config.h"
#include "fd.h"
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DATA_ROOT_DEFAULT "/var/lib/docker"   /* dockerd's own default */

/* The member of obj named key in any case, created as {} when absent. */
static json_t *object_member(json_t *obj, const char *key)
{
	const char *k;
	json_t *v, *found = NULL;
	void *tmp;

	json_object_foreach_safe(obj, tmp, k, v) {
		if (strcasecmp(k, key))
			continue;
		if (!found && json_is_object(v) && !strcmp(k, key))
			found = v;
		else
			json_object_del(obj, k);
	}
	if (found)
		return found;
	found = json_object();
	if (found && json_object_set_new(obj, key, found) < 0)
		return NULL;
	return found;
}

static void drop(json_t *obj, const char *key)
{
	const char *k;
	json_t *v;
	void *tmp;

	json_object_foreach_safe(obj, tmp, k, v)
		if (!strcasecmp(k, key))
			json_object_del(obj, k);
}

/* Set obj's key (in any case) to false, as the only spelling. */
static int set_false(json_t *obj, const char *key)
{
	drop(obj, key);
	return json_object_set_new(obj, key, json_false()) < 0 ? -ENOMEM : 0;
}

/* ECI's engine state is its own: DATA_ROOT-eci. Containers made outside
 * ECI mode (perhaps privileged) would otherwise be started under it, with
 * no API request for the plugin to see (restart policies) or one whose
 * body says nothing (docker start). */
static int set_data_root(json_t *root)
{
	char dir[4096];
	const char *k, *was = DATA_ROOT_DEFAULT;
	json_t *v;

	json_object_foreach(root, k, v)
		if (!strcasecmp(k, "data-root") && json_is_string(v))
			was = json_string_value(v);
	if ((size_t)snprintf(dir, sizeof(dir), "%s-eci", was) >= sizeof(dir))
		return -ENAMETOOLONG;
	drop(root, "data-root");
	return json_object_set_new(root, "data-root", json_string(dir)) < 0 ? -ENOMEM : 0;
}

int eci_daemon_config(const char *in, const char *out)
{
	json_error_t err;
	json_t *root = json_load_file(in, JSON_REJECT_DUPLICATES, &err), *builder, *ent;
	char *text = NULL;
	int r = -EINVAL;

	if (!json_is_object(root))
		goto out;
	r = -ENOMEM;
	/* the plugin is on dockerd's command line; the same key in the file
	 * would stop dockerd (a directive given twice) */
	drop(root, "authorization-plugins");
	if (!(builder = object_member(root, "builder")) ||
	    !(ent = object_member(builder, "entitlements")) ||
	    set_false(ent, "network-host") < 0 || set_false(ent, "security-insecure") < 0 ||
	    set_data_root(root) < 0 ||
	    !(text = json_dumps(root, JSON_INDENT(1))))
		goto out;
	r = fd_write_file_atomic(out, text, strlen(text), 0644);
out:
	free(text);
	json_decref(root);
	return r;
}
