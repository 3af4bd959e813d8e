/* Unit tests of ECI mode's policy (authz/policy.c) over many request
 * bodies, of the plugin protocol around it (authz/plugin.c), of the VM path
 * answers (authz/vmpaths.c) and of dockerd's ECI configuration
 * (authz/daemon_config.c). The policy's path questions are answered by a
 * fake VM here: shares at /home/u and /work/proj, paths taken as given. */
#include "harness.h"
#include "authz/policy.c"
#include "authz/plugin.c"
#include "authz/vmpaths.c"
#include "authz/daemon_config.c"
#include <stdlib.h>
#include <unistd.h>

static int fake_resolve(const char *path, char *out, size_t cap)
{
	if (!strcmp(path, "/home/u/etc-link"))       /* a symlink on the share */
		path = "/etc";
	if (strstr(path, "/../"))
		return -EINVAL;
	snprintf(out, cap, "%s", path);
	return 0;
}

static bool fake_on_share(const char *path)
{
	return at_or_below(path, "/home/u") || at_or_below(path, "/work/proj");
}

static const struct policy_env env = { fake_resolve, fake_on_share };
static char msg[POLICY_MSG_MAX];

static bool decide(const char *method, const char *uri, const char *body)
{
	struct policy_req r = { method, uri, body, body ? strlen(body) : 0 };

	return policy_allows(&r, &env, msg, sizeof(msg));
}

#define ALLOW(m, u, b) do { \
	bool _ok = decide(m, u, b); \
	if (!_ok) printf("  refused %s %s: %s\n", m, u, msg); \
	CHECK(_ok); \
} while (0)

#define DENY(m, u, b, why) do { \
	bool _ok = decide(m, u, b); \
	CHECK(!_ok); \
	if (!_ok && !strstr(msg, why)) printf("  message \"%s\" lacks \"%s\"\n", msg, why); \
	CHECK(_ok || strstr(msg, why)); \
} while (0)

#define CREATE "/v1.45/containers/create?name=t"
#define HC(x) "{\"Image\":\"busybox\",\"HostConfig\":{" x "}}"

TEST(test_ordinary_requests_allowed)
{
	ALLOW("GET", "/v1.45/containers/json?all=1", NULL);
	ALLOW("GET", "/_ping", NULL);
	ALLOW("HEAD", "/_ping", NULL);
	ALLOW("POST", "/v1.45/containers/abc/start", NULL);
	ALLOW("POST", "/v1.45/containers/abc/kill?signal=TERM", NULL);
	ALLOW("DELETE", "/v1.45/containers/abc?force=1", NULL);
	ALLOW("POST", CREATE, "{\"Image\":\"busybox\"}");
	ALLOW("POST", CREATE, "{\"Image\":\"busybox\",\"HostConfig\":null}");
	ALLOW("POST", CREATE, HC("\"Binds\":[\"/home/u/src:/src\",\"/work/proj:/p:ro\",\"vol:/data\"],"
				 "\"PortBindings\":{\"80/tcp\":[{\"HostPort\":\"8080\"}]},"
				 "\"NetworkMode\":\"bridge\",\"PidMode\":\"\",\"IpcMode\":\"private\","
				 "\"UsernsMode\":\"\",\"CgroupnsMode\":\"private\",\"Privileged\":false"));
	ALLOW("POST", CREATE, HC("\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/home/u\",\"Target\":\"/h\"},"
				 "{\"Type\":\"volume\",\"Source\":\"v\",\"Target\":\"/v\"},"
				 "{\"Type\":\"tmpfs\",\"Target\":\"/t\"}]"));
	ALLOW("POST", CREATE, HC("\"CapAdd\":[\"CHOWN\",\"cap_kill\",\"NET_BIND_SERVICE\"],"
				 "\"CapDrop\":[\"ALL\"],\"SecurityOpt\":[\"no-new-privileges\","
				 "\"no-new-privileges:true\",\"label=type:svirt_apache_t\"]"));
	ALLOW("POST", CREATE, HC("\"NetworkMode\":\"container:abc\",\"PidMode\":\"container:abc\""));
	ALLOW("POST", CREATE, "{\"NetworkingConfig\":{\"EndpointsConfig\":{\"mynet\":{\"Aliases\":[\"a\"]}}}}");
	ALLOW("POST", CREATE, HC("\"Devices\":[],\"DeviceRequests\":null,\"MaskedPaths\":null"));
	ALLOW("POST", "/v1.45/containers/abc/exec", "{\"Cmd\":[\"sh\"],\"Privileged\":false}");
	ALLOW("POST", "/v1.45/containers/abc/update", "{\"Memory\":104857600}");
	ALLOW("POST", "/v1.45/build?t=x&networkmode=default", NULL);
	ALLOW("POST", "/v1.45/volumes/create", "{\"Name\":\"v\",\"DriverOpts\":{\"type\":\"tmpfs\","
		"\"device\":\"tmpfs\",\"o\":\"size=10m\"}}");
	ALLOW("POST", "/v1.45/session", NULL);
	ALLOW("POST", "/v1.45/grpc", NULL);
	ALLOW("POST", "/v1.45/plugins/x/disable", NULL);
}

TEST(test_flags_refused)
{
	DENY("POST", CREATE, HC("\"Privileged\":true"), "--privileged is not allowed in ECI mode");
	DENY("POST", CREATE, HC("\"UsernsMode\":\"host\""), "--userns=host");
	DENY("POST", CREATE, HC("\"PidMode\":\"host\""), "--pid=host");
	DENY("POST", CREATE, HC("\"NetworkMode\":\"host\""), "--network=host");
	DENY("POST", CREATE, "{\"NetworkingConfig\":{\"EndpointsConfig\":{\"host\":{}}}}", "--network=host");
	DENY("POST", CREATE, HC("\"IpcMode\":\"host\""), "--ipc=host");
	DENY("POST", CREATE, HC("\"UTSMode\":\"host\""), "--uts=host");
	DENY("POST", CREATE, HC("\"CgroupnsMode\":\"host\""), "--cgroupns=host");
	DENY("POST", CREATE, HC("\"Devices\":[{\"PathOnHost\":\"/dev/vda\"}]"), "--device");
	DENY("POST", CREATE, HC("\"DeviceCgroupRules\":[\"b 254:* rwm\"]"), "--device-cgroup-rule");
	DENY("POST", CREATE, HC("\"DeviceRequests\":[{\"Count\":-1}]"), "--gpus");
	DENY("POST", CREATE, HC("\"CapAdd\":[\"SYS_ADMIN\"]"), "--cap-add SYS_ADMIN");
	DENY("POST", CREATE, HC("\"CapAdd\":[\"CHOWN\",\"CAP_NET_ADMIN\"]"), "--cap-add CAP_NET_ADMIN");
	DENY("POST", CREATE, HC("\"CapAdd\":[\"ALL\"]"), "--cap-add ALL");
	DENY("POST", CREATE, HC("\"SecurityOpt\":[\"seccomp=unconfined\"]"), "--security-opt seccomp=unconfined");
	DENY("POST", CREATE, HC("\"SecurityOpt\":[\"seccomp:unconfined\"]"), "seccomp:unconfined");
	DENY("POST", CREATE, HC("\"SecurityOpt\":[\"apparmor=unconfined\"]"), "--security-opt apparmor=unconfined");
	DENY("POST", CREATE, HC("\"SecurityOpt\":[\"seccomp={\\\"defaultAction\\\":\\\"SCMP_ACT_ALLOW\\\"}\"]"),
	     "--security-opt seccomp=PROFILE");
	DENY("POST", CREATE, HC("\"SecurityOpt\":[\"label=disable\"]"), "label=disable");
	DENY("POST", CREATE, HC("\"SecurityOpt\":[\"something=else\"]"), "--security-opt something=else");
	DENY("POST", CREATE, HC("\"MaskedPaths\":[],\"ReadonlyPaths\":[]"), "systempaths=unconfined");
	DENY("POST", CREATE, HC("\"CgroupParent\":\"/\""), "--cgroup-parent");
	DENY("POST", "/v1.45/containers/abc/exec", "{\"Cmd\":[\"sh\"],\"Privileged\":true}",
	     "docker exec --privileged");
	DENY("POST", "/v1.45/containers/abc/update", "{\"Devices\":[{\"PathOnHost\":\"/dev/vda\"}]}", "--device");
	DENY("POST", "/v1.45/build?t=x&networkmode=host", NULL, "docker build --network=host");
	DENY("POST", "/v1.45/build?networkmode=ho%73t", NULL, "--network=host");
	DENY("POST", "/v1.45/plugins/pull?remote=x", "[]", "docker plugin install");
	DENY("POST", "/v1.45/plugins/x/enable", NULL, "docker plugin");
	DENY("POST", "/v1.45/plugins/x/set", "[]", "docker plugin");
	DENY("POST", "/v1.45/swarm/init", "{}", "docker swarm init");
	DENY("POST", "/v1.45/services/create", "{}", "docker service create");
	DENY("POST", "/v1.45/services/abc/update?version=3", "{}", "docker service");
	DENY("POST", "/v1.45/containers/abc/start", "{\"Privileged\":true}", "docker start");
}

TEST(test_bind_mounts)
{
	DENY("POST", CREATE, HC("\"Binds\":[\"/run/docker.sock:/var/run/docker.sock\"]"), "docker socket");
	DENY("POST", CREATE, HC("\"Binds\":[\"/:/host\"]"), "-v /");
	DENY("POST", CREATE, HC("\"Binds\":[\"/etc:/x\"]"), "-v /etc");
	DENY("POST", CREATE, HC("\"Binds\":[\"/run:/x\"]"), "-v /run");
	DENY("POST", CREATE, HC("\"Binds\":[\"/var/lib:/x\"]"), "-v /var/lib");
	DENY("POST", CREATE, HC("\"Binds\":[\"/var/lib/docker:/x\"]"), "path of the VM itself");
	DENY("POST", CREATE, HC("\"Binds\":[\"/usr/sbin:/x:ro\"]"), "-v /usr/sbin");
	DENY("POST", CREATE, HC("\"Binds\":[\"/proc:/x\"]"), "-v /proc");
	DENY("POST", CREATE, HC("\"Binds\":[\"/dev:/x\"]"), "-v /dev");
	DENY("POST", CREATE, HC("\"Binds\":[\"/root:/x\"]"), "only shared host folders");
	DENY("POST", CREATE, HC("\"Binds\":[\"/tmp:/x\"]"), "only shared host folders");
	DENY("POST", CREATE, HC("\"Binds\":[\"/home/other:/x\"]"), "only shared host folders");
	DENY("POST", CREATE, HC("\"Binds\":[\"/home/u/etc-link:/x\"]"), "is a path of the VM itself");
	DENY("POST", CREATE, HC("\"Binds\":[\"/home/u/../../etc:/x\"]"), "cannot be resolved");
	DENY("POST", CREATE, HC("\"Binds\":[\"vol:/data\",\"/etc/passwd:/p\"]"), "-v /etc/passwd");
	DENY("POST", CREATE, HC("\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/etc\",\"Target\":\"/e\"}]"),
	     "--mount type=bind,source=/etc");
	DENY("POST", CREATE, HC("\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"/run/docker.sock\",\"Target\":\"/s\"}]"),
	     "docker socket");
	DENY("POST", CREATE, HC("\"Mounts\":[{\"Type\":\"bind\",\"Source\":\"rel\",\"Target\":\"/s\"}]"),
	     "absolute path");
	DENY("POST", CREATE, HC("\"Mounts\":[{\"Type\":\"volume\",\"Source\":\"v\",\"Target\":\"/v\","
				"\"VolumeOptions\":{\"DriverConfig\":{\"Name\":\"local\",\"Options\":"
				"{\"type\":\"none\",\"o\":\"bind\",\"device\":\"/etc\"}}}}]"),
	     "--mount volume-opt");
	DENY("POST", "/v1.45/volumes/create", "{\"Name\":\"v\",\"DriverOpts\":{\"device\":\"/var/lib\"}}",
	     "docker volume create --opt device=/var/lib");
	DENY("POST", "/v1.45/volumes/create", "{\"Name\":\"v\",\"DriverOpts\":{\"o\":\"rbind\"}}", "o=rbind");
}

/* What dockerd would read differently from a naive reader, and what
 * cannot be read, is refused. */
TEST(test_fail_closed)
{
	DENY("POST", CREATE, NULL, "no body to inspect");
	DENY("POST", CREATE, "", "no body to inspect");
	DENY("POST", "/v1.45/containers/abc/exec", NULL, "no body");
	DENY("POST", "/v1.45/volumes/create", NULL, "no body");
	DENY("POST", CREATE, "{\"Image\":", "not a JSON object");
	DENY("POST", CREATE, "[1]", "not a JSON object");
	DENY("POST", CREATE, "{} {\"HostConfig\":{\"Privileged\":true}}", "not a JSON object");
	DENY("POST", CREATE, "{\"HostConfig\":{\"Privileged\":false},\"HostConfig\":{\"Privileged\":true}}",
	     "cannot read");
	/* Go's encoding/json matches keys case-insensitively */
	DENY("POST", CREATE, "{\"hostconfig\":{\"privileged\":true}}", "--privileged");
	DENY("POST", CREATE, "{\"HOSTCONFIG\":{\"PRIVILEGED\":true}}", "--privileged");
	DENY("POST", CREATE, HC("\"Privileged\":false,\"privileged\":true"), "cannot read");
	DENY("POST", CREATE, "{\"HostConfig\":{},\"hostConfig\":{\"Privileged\":true}}", "cannot read");
	/* ... with U+017F and U+212A folding to s and k */
	DENY("POST", CREATE, HC("\"Bind\xc5\xbf\":[\"/etc:/x\"]"), "-v /etc");
	DENY("POST", CREATE, HC("\"CapAdd\":[],\"Ma\xc5\xbfkedPaths\":[]"), "systempaths");
	DENY("POST", "/v1.45/volumes/create", "{\"DriverOpts\":{\"device\":\"/etc\"},"
	     "\"DriverOpt\xc5\xbf\":{}}", "cannot read");
	DENY("POST", CREATE, HC("\"Privileged\":\"yes\""), "cannot read");
	DENY("POST", CREATE, HC("\"Privileged\":1"), "cannot read");
	DENY("POST", CREATE, HC("\"Binds\":\"/etc:/x\""), "cannot read");
	DENY("POST", CREATE, HC("\"Binds\":[7]"), "cannot read");
	DENY("POST", CREATE, HC("\"Binds\":[\":/x\"]"), "cannot read");
	DENY("POST", CREATE, HC("\"CapAdd\":[null]"), "cannot read");
	DENY("POST", CREATE, HC("\"NetworkMode\":[\"host\"]"), "cannot read");
	DENY("POST", CREATE, "{\"HostConfig\":[]}", "cannot read");
	DENY("POST", CREATE, "{\"HostConfig\":{\"Privileged\":true}", "cannot read");
	/* the path as gorilla/mux routes it */
	DENY("POST", "/v1.45/%63ontainers/create", HC("\"Privileged\":true"), "--privileged");
	DENY("POST", "/containers/create", HC("\"Privileged\":true"), "--privileged");
	DENY("POST", "/v1.24/containers/create", HC("\"Privileged\":true"), "--privileged");
	DENY("POST", "/v1.45//containers/create", HC("\"Privileged\":true"), "not canonical");
	DENY("POST", "/v1.45/containers/create/", HC("\"Privileged\":true"), "not canonical");
	DENY("POST", "/v1.45/x/../containers/create", HC("\"Privileged\":true"), "not canonical");
	DENY("POST", "/v1.45/containers%2fcreate", HC("\"Privileged\":true"), "--privileged");
	DENY("POST", "/v1.45/containers/create%00", NULL, "request path");
	DENY("POST", "/v1.45/containers/create%zz", NULL, "request path");
	DENY("POST", "containers/create", NULL, "no method or request URI");
	ALLOW("POST", "/v1.45/containers/create%3Fx", HC("\"Privileged\":true")); /* no such route */
}

/* --- the plugin protocol -------------------------------------------- */

static struct plugin_reply rep;

static const char *answer(const char *path, const char *body)
{
	free(rep.json);
	CHECK_EQ_INT(plugin_answer(path, body, body ? strlen(body) : 0, &env, &rep), 0);
	return rep.json;
}

TEST(test_plugin_protocol)
{
	CHECK_EQ_STR(answer("/Plugin.Activate", ""), "{\"Implements\":[\"authz\"]}");
	CHECK_EQ_INT(rep.status, 200);
	/* {"HostConfig":{"Privileged":true}} */
	CHECK_EQ_STR(answer("/AuthZPlugin.AuthZReq", "{\"RequestMethod\":\"POST\",\"RequestUri\":"
			    "\"/v1.45/containers/create\",\"RequestBody\":"
			    "\"eyJIb3N0Q29uZmlnIjp7IlByaXZpbGVnZWQiOnRydWV9fQ==\"}"),
		     "{\"Allow\":false,\"Msg\":\"--privileged is not allowed in ECI mode (keel.eci=1)\"}");
	CHECK(!rep.allowed);
	/* {"Image":"busybox"} */
	CHECK_EQ_STR(answer("/AuthZPlugin.AuthZReq", "{\"RequestMethod\":\"POST\",\"RequestUri\":"
			    "\"/v1.45/containers/create\",\"RequestBody\":\"eyJJbWFnZSI6ImJ1c3lib3gifQ==\","
			    "\"RequestHeaders\":{\"Content-Type\":\"application/json\"},\"User\":\"\"}"),
		     "{\"Allow\":true,\"Msg\":\"\"}");
	CHECK(rep.allowed);
	CHECK(strstr(answer("/AuthZPlugin.AuthZReq", "{\"RequestMethod\":\"POST\",\"RequestUri\":"
			    "\"/v1.45/containers/create\",\"RequestBody\":\"eyJJbWFnZSI6ImJ1c3lib3gifQ\"}"),
		     "not base64"));
	CHECK(strstr(answer("/AuthZPlugin.AuthZReq", "{\"RequestMethod\":\"POST\",\"RequestUri\":"
			    "\"/v1.45/containers/create\",\"RequestBody\":\"e=yJ\"}"), "not base64"));
	CHECK(strstr(answer("/AuthZPlugin.AuthZReq", "{\"RequestMethod\":\"POST\",\"RequestUri\":"
			    "\"/v1.45/containers/create\"}"), "no body to inspect"));
	CHECK(strstr(answer("/AuthZPlugin.AuthZReq", "{\"RequestMethod\":\"GET\",\"RequestUri\":"
			    "\"/v1.45/info\",\"RequestBody\":null}"), "\"Allow\":true"));
	CHECK(strstr(answer("/AuthZPlugin.AuthZReq", ""), "\"Allow\":false"));
	CHECK(strstr(answer("/AuthZPlugin.AuthZReq", NULL), "\"Allow\":false"));
	CHECK(strstr(answer("/AuthZPlugin.AuthZReq", "{\"RequestMethod\":7}"), "\"Allow\":false"));
	CHECK(strstr(answer("/AuthZPlugin.AuthZReq", "{\"RequestMethod\":\"GET\",\"RequestUri\":\"/x\","
			    "\"RequestUri\":\"/y\"}"), "\"Allow\":false"));
	CHECK(strstr(answer("/AuthZPlugin.AuthZReq", "{\"RequestMethod\":\"GET\",\"RequestUri\":\"/x\","
			    "\"RequestBody\":5}"), "\"Allow\":false"));
	CHECK_EQ_STR(answer("/AuthZPlugin.AuthZRes", "{}"), "{\"Allow\":true,\"Msg\":\"\"}");
	answer("/Nope", "");
	CHECK_EQ_INT(rep.status, 404);
	free(rep.json);
	rep.json = NULL;
}

/* --- the VM's paths ------------------------------------------------- */

TEST(test_vm_paths)
{
	char dir[] = "/tmp/keel-authz-XXXXXX", p[512], out[POLICY_PATH_MAX], real[PATH_MAX];
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	CHECK(realpath(dir, real) != NULL);
	snprintf(p, sizeof(p), "%s/etc", dir);
	CHECK_EQ_INT(symlink("/etc", p), 0);
	CHECK_EQ_INT(vm_resolve(p, out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "/etc");
	snprintf(p, sizeof(p), "%s/etc/new/dir", dir);
	CHECK_EQ_INT(vm_resolve(p, out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "/etc/new/dir");
	snprintf(p, sizeof(p), "%s/missing/../../etc", dir);
	CHECK_EQ_INT(vm_resolve(p, out, sizeof(out)), -EINVAL);
	snprintf(p, sizeof(p), "%s/dangling", dir);
	CHECK_EQ_INT(symlink("/nonexistent/x", p), 0);
	CHECK_EQ_INT(vm_resolve(p, out, sizeof(out)), -ELOOP);
	CHECK_EQ_INT(vm_resolve("/no-such-top/a", out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "/no-such-top/a");
	CHECK_EQ_INT(vm_resolve("/", out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "/");
	CHECK_EQ_INT(vm_resolve("rel", out, sizeof(out)), -EINVAL);

	snprintf(p, sizeof(p), "%s/mountinfo", dir);
	f = fopen(p, "w");
	CHECK(f != NULL);
	fputs("22 1 0:21 / / ro,relatime - erofs /dev/vda ro\n"
	      "30 22 0:26 / /home/u rw,nosuid,nodev - virtiofs home rw\n"
	      "31 22 0:27 / /my\\040share rw - 9p share rw,trans=virtio\n"
	      "32 22 0:28 / /var/lib rw - ext4 /dev/vdb rw\n", f);
	fclose(f);
	CHECK(vm_on_share_in(p, "/home/u"));
	CHECK(vm_on_share_in(p, "/home/u/src/x"));
	CHECK(!vm_on_share_in(p, "/home/user"));
	CHECK(!vm_on_share_in(p, "/home"));
	CHECK(vm_on_share_in(p, "/my share/a"));
	CHECK(!vm_on_share_in(p, "/var/lib/docker"));
	CHECK(!vm_on_share_in(p, "/etc"));
	snprintf(p, sizeof(p), "rm -rf %s", dir);
	CHECK_EQ_INT(system(p), 0);
}

/* --- dockerd's configuration ----------------------------------------- */

TEST(test_daemon_config)
{
	char dir[] = "/tmp/keel-authz-XXXXXX", in[256], out[256], *text;
	json_t *root, *ent;
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(in, sizeof(in), "%s/in.json", dir);
	snprintf(out, sizeof(out), "%s/out.json", dir);
	f = fopen(in, "w");
	fputs("{\"data-root\":\"/var/lib/docker\",\"exec-root\":\"/run/docker\","
	      "\"Authorization-Plugins\":[\"other\"],\"Builder\":{\"GC\":{\"Enabled\":true},"
	      "\"Entitlements\":{\"Network-Host\":true}}}", f);
	fclose(f);
	CHECK_EQ_INT(eci_daemon_config(in, out), 0);
	root = json_load_file(out, 0, NULL);
	CHECK_EQ_STR(json_string_value(json_object_get(root, "data-root")), "/var/lib/docker-eci");
	CHECK_EQ_STR(json_string_value(json_object_get(root, "exec-root")), "/run/docker");
	CHECK(json_object_get(root, "Builder") == NULL);
	CHECK(json_object_get(root, "Authorization-Plugins") == NULL);
	ent = json_object_get(json_object_get(root, "builder"), "entitlements");
	CHECK(json_is_false(json_object_get(ent, "network-host")));
	CHECK(json_is_false(json_object_get(ent, "security-insecure")));
	CHECK_EQ_INT(json_object_size(ent), 2);
	text = json_dumps(root, JSON_COMPACT);
	CHECK(text && !strstr(text, "Network-Host"));
	free(text);
	json_decref(root);
	f = fopen(in, "w");
	fputs("[1]", f);
	fclose(f);
	CHECK_EQ_INT(eci_daemon_config(in, out), -EINVAL);
	snprintf(in, sizeof(in), "%s/missing.json", dir);
	CHECK_EQ_INT(eci_daemon_config(in, out), -EINVAL);
	snprintf(in, sizeof(in), "rm -rf %s", dir);
	CHECK_EQ_INT(system(in), 0);
}

RUN_TESTS(
	harness_run("ordinary_requests_allowed", test_ordinary_requests_allowed),
	harness_run("flags_refused", test_flags_refused),
	harness_run("bind_mounts", test_bind_mounts),
	harness_run("fail_closed", test_fail_closed),
	harness_run("plugin_protocol", test_plugin_protocol),
	harness_run("vm_paths", test_vm_paths),
	harness_run("daemon_config", test_daemon_config)
)
