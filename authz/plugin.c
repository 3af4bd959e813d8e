/* authz/plugin.c: see plugin.h. */
#include "plugin.h"
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Go's encoding of []byte: standard alphabet, padded. Decodes n bytes of
 * in into out (at least n / 4 * 3 bytes); the length, or -EINVAL. */
static long b64_decode(const char *in, size_t n, char *out)
{
	size_t i, o = 0;

	if (n % 4)
		return -EINVAL;
	for (i = 0; i < n; i += 4) {
		int a = b64val(in[i]), b = b64val(in[i + 1]);
		int c = in[i + 2] == '=' ? -2 : b64val(in[i + 2]);
		int d = in[i + 3] == '=' ? -2 : b64val(in[i + 3]);
		bool last = i + 4 == n;

		if (a < 0 || b < 0 || c == -1 || d == -1 || (c == -2 && d != -2) ||
		    (!last && (c == -2 || d == -2)))
			return -EINVAL;
		out[o++] = (char)(a << 2 | b >> 4);
		if (c >= 0)
			out[o++] = (char)((b & 15) << 4 | c >> 2);
		if (d >= 0)
			out[o++] = (char)((c & 3) << 6 | d);
	}
	return (long)o;
}

static int reply(struct plugin_reply *out, unsigned status, json_t *obj)
{
	out->status = status;
	out->json = obj ? json_dumps(obj, JSON_COMPACT) : NULL;
	json_decref(obj);
	return out->json ? 0 : -ENOMEM;
}

static int verdict(struct plugin_reply *out, bool allow, const char *msg)
{
	out->allowed = allow;
	return reply(out, 200, json_pack("{s:b, s:s}", "Allow", allow, "Msg", msg));
}

/* The AuthZReq envelope: RequestMethod, RequestUri, RequestBody (base64,
 * absent when dockerd sent no body). */
static int authz_req(const char *body, size_t len, const struct policy_env *env,
		     struct plugin_reply *out)
{
	char msg[POLICY_MSG_MAX], *raw = NULL;
	struct policy_req req = { 0 };
	json_error_t err;
	json_t *root, *b;
	long n = 0;
	bool ok;
	int r;

	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
	req.method = json_string_value(json_object_get(root, "RequestMethod"));
	req.uri = json_string_value(json_object_get(root, "RequestUri"));
	b = json_object_get(root, "RequestBody");
	if (!json_is_object(root) || !req.method || !req.uri || (b && !json_is_null(b) && !json_is_string(b))) {
		json_decref(root);
		return verdict(out, false, "ECI mode (keel.eci=1) refuses a request it cannot read: "
			       "not an AuthZReq");
	}
	if (json_is_string(b) && json_string_length(b)) {
		if (!(raw = malloc(json_string_length(b) / 4 * 3 + 1))) {
			json_decref(root);
			return -ENOMEM;
		}
		n = b64_decode(json_string_value(b), json_string_length(b), raw);
		if (n < 0) {
			free(raw);
			json_decref(root);
			return verdict(out, false, "ECI mode (keel.eci=1) refuses a request it "
				       "cannot read: RequestBody is not base64");
		}
		req.body = raw;
		req.body_len = (size_t)n;
	}
	ok = policy_allows(&req, env, msg, sizeof(msg));
	r = verdict(out, ok, ok ? "" : msg);
	free(raw);
	json_decref(root);
	return r;
}

int plugin_answer(const char *path, const char *body, size_t len,
		  const struct policy_env *env, struct plugin_reply *out)
{
	out->json = NULL;
	out->allowed = false;
	if (!strcmp(path, "/Plugin.Activate"))
		return reply(out, 200, json_pack("{s:[s]}", "Implements", "authz"));
	if (!strcmp(path, "/AuthZPlugin.AuthZReq"))
		return authz_req(body, len, env, out);
	/* responses are not filtered: what a container may see is decided
	 * before it exists */
	if (!strcmp(path, "/AuthZPlugin.AuthZRes"))
		return verdict(out, true, "");
	return reply(out, 404, json_pack("{s:s}", "Err", "no such plugin method"));
}
