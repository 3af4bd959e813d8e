#!/usr/bin/env bash
# engine_settings.sh: engine settings from the host, end to end, in one boot.
# A host settings file with a registry mirror, an HTTP proxy and an attempt
# to turn userns-remap off, and a CA directory with one certificate, go to
# the VM by run-vm --engine-settings/--engine-ca (QEMU fw_cfg). The real
# dockerd then shows the mirror and the proxy in `docker info`, still remaps
# user namespaces, runs with the host's CA next to the system's
# (SSL_CERT_DIR), and Health says userns-remap was refused and why.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-image.sh"
img_require "$B/keel-engine-settings"

conf=$TMP/config
mkdir -p "$conf/ca"
cat > "$conf/engine.json" <<'EOF'
{
  "registry-mirrors": ["https://mirror.keel.test"],
  "proxies": {"http-proxy": "http://proxy.keel.test:3128", "no-proxy": "localhost,.keel.test"},
  "userns-remap": ""
}
EOF
openssl req -x509 -newkey rsa:2048 -nodes -keyout /dev/null -subj /CN=keel-test-corporate-ca \
	-days 2 -out "$conf/ca/corporate.crt" 2>/dev/null || { fail "openssl req failed"; exit 1; }
chown -R "$TEST_UID:$TEST_GID" "$conf"

boot engine --no-data --no-share --engine-settings "$conf/engine.json" --engine-ca "$conf/ca" || exit 1
check "run-vm said at start that userns-remap is refused" \
	grep -q "engine settings $conf/engine.json: refused userns-remap: reserved by keel" "$TMP/start-engine.log"
if ! start_docker_proxy; then fail "docker proxy did not start: $(cat "$TMP/proxy.log")"; exit 1; fi

info=$(docker info --format '{{json .}}' 2>&1)
check "docker info: the host's registry mirror" \
	jget "$info" "'x' if d['RegistryConfig']['Mirrors'] == ['https://mirror.keel.test/'] else exit(1)"
check "docker info: the host's HTTP proxy and no-proxy" \
	jget "$info" "'x' if d['HttpProxy'] == 'http://proxy.keel.test:3128' and d['NoProxy'] == 'localhost,.keel.test' else exit(1)"
text=$(docker info 2>&1)
check "docker info (text): 'HTTP Proxy: http://proxy.keel.test:3128' and the mirror under 'Registry Mirrors:'" \
	bash -c 'grep -qx " HTTP Proxy: http://proxy.keel.test:3128" <<< "$1" && grep -A1 "^ Registry Mirrors:" <<< "$1" | grep -qx "  https://mirror.keel.test/"' _ "$text"
check "docker info: user namespaces still remapped (the refused key did nothing)" \
	jget "$info" "'x' if 'name=userns' in d['SecurityOptions'] else exit(1)"

h=$(health_json 2>&1)
check "Health: userns-remap refused, saying it cannot be turned off" \
	jget "$h" "'x' if [r['key'] for r in d['engine']['refused']] == ['userns-remap'] and 'cannot be changed or turned off' in d['engine']['refused'][0]['reason'] else exit(1)"
check "Health: a reason names the refused key" \
	jget "$h" "'x' if 'engine setting userns-remap refused (keelctl health says why)' in d['reasons'] else exit(1)"
check "Health: the settings in effect, the host's marked (mirror, proxies) and the image's kept" \
	jget "$h" "'x' if {s['key'] for s in d['engine']['settings'] if s['from_host']} == {'registry-mirrors', 'proxies'} and any(s['key'] == 'cgroup-parent' and not s['from_host'] for s in d['engine']['settings']) and d['engine']['config_file'] == '/run/keel/daemon.json' else exit(1)"
check "Health: one extra CA certificate in effect, from fw_cfg" \
	jget "$h" "'x' if d['engine']['ca_certificates'] == 1 and d['engine']['source'].endswith('opt/keel/engine/raw') else exit(1)"
t=$(keelctl health 2>&1)
check "keelctl health: the table shows the refusal" grep -q "^userns-remap .*REFUSED reserved by keel" <<< "$t"

# dockerd's own environment and files, from a container that sees the VM
if check "docker import of the test image" import_busybox keel-es/busybox; then
	out=$(docker run --rm --userns=host --privileged --pid=host -v /run/keel:/k:ro keel-es/busybox \
		sh -c 'tr "\0" "\n" < /proc/$(pidof dockerd)/environ; tr "\0" " " < /proc/$(pidof dockerd)/cmdline; echo; cat /k/ca/keel-host.crt' 2>&1)
	check "dockerd runs with SSL_CERT_DIR=/etc/ssl/certs:/run/keel/ca" grep -qx 'SSL_CERT_DIR=/etc/ssl/certs:/run/keel/ca' <<< "$out"
	check "dockerd runs with --config-file=/run/keel/daemon.json and keel's --userns-remap=default" \
		grep -q '^/usr/sbin/dockerd --config-file=/run/keel/daemon.json .*--userns-remap=default' <<< "$out"
	check "the host's certificate is in /run/keel/ca" grep -q "BEGIN CERTIFICATE" <<< "$out"
	log=$(docker run --rm --userns=host -v /run/keel:/k:ro keel-es/busybox cat /k/log/dockerd.log 2>&1)
	check "dockerd's log: keel-engine-settings says what it applied and refused" \
		bash -c 'grep -q "applied registry-mirrors from the host" <<< "$1" && grep -q "warning: refused userns-remap: reserved by keel" <<< "$1"' _ "$log"
	echo "note: $(grep -o '[0-9]* host keys checked with .* in [0-9]* ms' <<< "$log" | head -n1); exec:dockerd -> ready:dockerd $(( $(tl ready:dockerd) - $(tl exec:dockerd) )) ms"
fi
stop_docker_proxy
