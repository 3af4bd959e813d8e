/* libFuzzer harness for ECI mode's plugin (authz/plugin.c and the policy
 * under it, authz/policy.c). The first byte picks the input's shape: an
 * AuthZReq envelope as dockerd would POST it, or "METHOD URI\n" then a raw
 * API body given to the policy directly. Besides ASan/UBSan it asserts
 * what the plugin promises: every reply is a JSON object with a boolean
 * Allow and a string Msg, a refusal always says why, an allowed request
 * says nothing, and the same input gets the same answer. */
#include "authz/plugin.c"
#include "authz/policy.c"
#include <stdint.h>
#include <stdlib.h>

static int lexical(const char *path, char *out, size_t cap)
{
	if (strstr(path, "/.."))
		return -EINVAL;
	return (size_t)snprintf(out, cap, "%s", path) < cap ? 0 : -ENAMETOOLONG;
}

static bool under_home(const char *path)
{
	return !strncmp(path, "/home/", 6);
}

static const struct policy_env env = { lexical, under_home };

static void envelope(const char *data, size_t len)
{
	struct plugin_reply rep;
	json_t *root;

	if (plugin_answer("/AuthZPlugin.AuthZReq", data, len, &env, &rep) < 0)
		return;
	root = json_loads(rep.json, 0, NULL);
	if (!json_is_object(root) || !json_is_boolean(json_object_get(root, "Allow")) ||
	    !json_is_string(json_object_get(root, "Msg")) ||
	    json_is_true(json_object_get(root, "Allow")) != rep.allowed ||
	    (!rep.allowed && !json_string_length(json_object_get(root, "Msg"))))
		abort();
	json_decref(root);
	free(rep.json);
}

static void direct(const char *data, size_t len)
{
	char line[512], msg[POLICY_MSG_MAX], again[POLICY_MSG_MAX], *sp;
	const char *nl = memchr(data, '\n', len);
	size_t n = nl ? (size_t)(nl - data) : len;
	struct policy_req req;
	bool a, b;

	if (n >= sizeof(line) || memchr(data, '\0', n))
		return;
	memcpy(line, data, n);
	line[n] = '\0';
	if (!(sp = strchr(line, ' ')))
		return;
	*sp = '\0';
	req = (struct policy_req){ line, sp + 1, nl ? nl + 1 : NULL, nl ? len - n - 1 : 0 };
	a = policy_allows(&req, &env, msg, sizeof(msg));
	b = policy_allows(&req, &env, again, sizeof(again));
	if (a != b || strcmp(msg, again) || (a && msg[0]) || (!a && !msg[0]))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		envelope((const char *)data + 1, size - 1);
	else
		direct((const char *)data + 1, size - 1);
	return 0;
}
