/* authz/server.c: see server.h. The body is gathered up to PLUGIN_BODY_MAX
 * (libmicrohttpd undoes chunked transfer coding); a longer one is dropped
 * and the call answered as if it were empty, which refuses it. */
#include "server.h"
#include "plugin.h"
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>

#define CONN_LIMIT 64
#define CONN_TIMEOUT_S 30

struct call {
	char *buf;
	size_t len, cap;
	bool too_big;
};

struct server_ctx {
	const struct policy_env *env;
	void (*log_fn)(const char *uri, const char *msg);
};

static struct server_ctx ctx;   /* one server per process */

static int append(struct call *c, const char *data, size_t n)
{
	size_t cap;
	char *p;

	if (c->too_big || n > PLUGIN_BODY_MAX - c->len) {
		c->too_big = true;
		return 0;
	}
	if (c->len + n > c->cap) {
		cap = c->cap ? c->cap : 4096;
		while (cap < c->len + n)
			cap *= 2;
		if (!(p = realloc(c->buf, cap)))
			return -ENOMEM;
		c->buf = p;
		c->cap = cap;
	}
	memcpy(c->buf + c->len, data, n);
	c->len += n;
	return 0;
}

static enum MHD_Result send_json(struct MHD_Connection *conn, unsigned status, char *json)
{
	struct MHD_Response *resp;
	enum MHD_Result r;

	resp = MHD_create_response_from_buffer(strlen(json), json, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(json);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, PLUGIN_CONTENT_TYPE);
	r = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return r;
}

/* dockerd's AuthZReq names the API request; the log line says which. */
static void log_refusal(const struct call *c, const char *msg)
{
	json_t *root;

	if (!ctx.log_fn)
		return;
	root = c->too_big ? NULL : json_loadb(c->buf, c->len, 0, NULL);
	ctx.log_fn(json_string_value(json_object_get(root, "RequestUri")), msg);
	json_decref(root);
}

static void log_reply(const struct call *c, const char *json)
{
	json_t *root = json_loads(json, 0, NULL);

	log_refusal(c, json_string_value(json_object_get(root, "Msg")));
	json_decref(root);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *data, size_t *data_size, void **con_cls)
{
	struct call *c = *con_cls;
	struct plugin_reply rep;

	(void)cls;
	(void)version;
	if (!c) {
		if (!(c = calloc(1, sizeof(*c))))
			return MHD_NO;
		*con_cls = c;
		return MHD_YES;
	}
	if (*data_size) {
		if (append(c, data, *data_size) < 0)
			return MHD_NO;
		*data_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_POST))
		return send_json(conn, MHD_HTTP_METHOD_NOT_ALLOWED, strdup("{\"Err\":\"POST only\"}"));
	if (plugin_answer(url, c->too_big ? NULL : c->buf, c->too_big ? 0 : c->len,
			  ctx.env, &rep) < 0)
		return MHD_NO;
	if (!strcmp(url, "/AuthZPlugin.AuthZReq") && !rep.allowed)
		log_reply(c, rep.json);
	return send_json(conn, rep.status, rep.json);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct call *c = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (c) {
		free(c->buf);
		free(c);
		*con_cls = NULL;
	}
}

int server_start(int lfd, const struct policy_env *env,
		 void (*log_fn)(const char *uri, const char *msg), struct MHD_Daemon **out)
{
	ctx.env = env;
	ctx.log_fn = log_fn;
	/* One thread answers everything: policy_allows is quick, and dockerd
	 * asks once per API request. */
	*out = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
				on_request, NULL,
				MHD_OPTION_LISTEN_SOCKET, lfd,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
				MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_LIMIT,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONN_TIMEOUT_S,
				MHD_OPTION_END);
	return *out ? 0 : -EIO;
}

void server_stop(struct MHD_Daemon *d)
{
	MHD_stop_daemon(d);
}
