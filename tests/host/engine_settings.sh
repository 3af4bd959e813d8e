#!/usr/bin/env bash
# engine_settings.sh: keel-engine-settings on many inputs, on the host (it is
# a glibc program; every path is an option). Valid keys are merged over the
# image's daemon.json; keel's own keys, unknown keys and wrong types are
# refused one by one with a reason while the rest applies; a file that is not
# a JSON object (malformed, an array, duplicate keys, a NUL, too large) is
# refused whole and dockerd gets the image's defaults; dockerd --validate
# (the real Docker 26 dockerd of the image's lock) refuses what the rules let
# through; the exec puts --config-file first and SSL_CERT_DIR for a CA
# bundle; the agent's Health carries the record; run-vm refuses a file that
# is not JSON before anything starts, naming it. The program runs as the
# ordinary test user (run-vm's check does; in the VM it is root).
. "$(dirname "$0")/lib-agent.sh"
. "$(dirname "$0")/../lib-user.sh"
ES=$B/keel-engine-settings
DOCKERD=$B/tests/bin/dockerd
DEFAULTS=$TOP/rootfs/files/etc/docker/daemon.json
for f in "$ES" "$DOCKERD" "$KEELCTL" "$AGENT"; do
	[ -x "$f" ] || { fail "engine_settings: $f missing (make test-host builds it)"; exit 0; }
done
user_setup
W=$TMP/w
as_user mkdir -p "$W/bin"
# The user runs the program, and dockerd --validate, from a tree it can read
# (a clone in a 0700 directory is not: tests/lib-user.sh stages USER_TOP).
ES=$USER_TOP/build/keel-engine-settings
DEFAULTS=$USER_TOP/rootfs/files/etc/docker/daemon.json
if [ "$USER_TOP" != "$TOP" ]; then
	cp "$DOCKERD" "$W/bin/dockerd" && chmod 755 "$W/bin/dockerd" && DOCKERD=$W/bin/dockerd
fi

# es NAME [ARGS...]: the settings $W/NAME.json (written by the caller) through
# the program as the test user; rc in RC, the status in $W/NAME.status.
es() {
	local n=$1; shift
	as_user env -u SSL_CERT_DIR "$ES" --defaults "$DEFAULTS" --settings "$W/$n.json" --ca "$W/$n.pem" \
		--out "$W/$n.out" --status "$W/$n.status" --health "$W/$n.pb" --ca-dir "$W/$n.ca" \
		"$@" > "$W/$n.log" 2>&1
	RC=$?
}
put() { as_user tee "$W/$1.json" > /dev/null; }
# q NAME 'EXPR': Python over the status s and the merged file o, printed
q() { python3 -c 'import json,sys
s=json.load(open(sys.argv[1] + ".status"))
try: o=json.load(open(sys.argv[1] + ".out"))
except Exception: o=None
r={x["key"]: x["reason"] for x in s["refused"]}
print(eval(sys.argv[2]))' "$W/$1" "$2" 2>&1; }
is() { local got; got=$(q "$1" "$2"); [ "$got" = True ] || { echo "$2 -> $got"; cat "$W/$1.status"; return 1; }; }

# --- nothing from the host --------------------------------------------------
es none
check "no settings file: exit 0, the image's daemon.json as it is" \
	is none "o == json.load(open('$DEFAULTS')) and s['source'] == '' and s['applied'] == {} and s['refused'] == []"
[ "$RC" = 0 ] && pass "no settings file: rc 0" || fail "no settings file: rc $RC $(cat "$W/none.log")"

# --- valid keys -------------------------------------------------------------
put ok <<'EOF'
{
  "registry-mirrors": ["https://mirror.example.com", "http://10.0.0.5:5000/path/"],
  "insecure-registries": ["registry.corp:5000", "10.1.0.0/16"],
  "proxies": {"http-proxy": "http://proxy.corp:3128", "https-proxy": "http://proxy.corp:3129",
              "no-proxy": "localhost,.corp"},
  "log-opts": {"max-size": "20m", "max-file": "5"},
  "features": {"buildkit": true, "containerd-snapshotter": false},
  "default-address-pools": [{"base": "10.200.0.0/16", "size": 24}, {"base": "fd00:1::/48", "size": 64}],
  "debug": true, "log-level": "warn", "max-concurrent-downloads": 6, "mtu": 1400,
  "dns": ["1.1.1.1", "2606:4700::1111"]
}
EOF
es ok --no-check
[ "$RC" = 0 ] && pass "valid settings: rc 0" || fail "valid settings: rc $RC $(cat "$W/ok.log")"
check "valid settings: every key applied, none refused" \
	is ok "len(s['applied']) == 11 and s['refused'] == [] and s['error'] == ''"
check "valid settings: merged over the image's keys (data-root, cgroup-parent, userns stay)" \
	is ok "o['registry-mirrors'][0] == 'https://mirror.example.com' and o['proxies']['http-proxy'] == 'http://proxy.corp:3128' and o['data-root'] == '/var/lib/docker' and o['cgroup-parent'] == '/containers' and o['log-driver'] == 'json-file' and o['log-opts'] == {'max-size': '20m', 'max-file': '5'}"
check "valid settings: status source names the file, effective is the merged file" \
	is ok "s['source'] == '$W/ok.json' and s['effective'] == o and s['config_file'] == '$W/ok.out'"

# --- keel's own keys: refused, the rest still applies ---------------------------
put reserved <<'EOF'
{"userns-remap": "", "hosts": ["tcp://0.0.0.0:2375"], "data-root": "/tmp/x",
 "cgroup-parent": "/", "authorization-plugins": [], "iptables": false, "userland-proxy": false,
 "host-gateway-ip": "1.2.3.4", "storage-driver": "vfs", "registry-mirrors": ["https://m.example"]}
EOF
es reserved --no-check
[ "$RC" = 1 ] && pass "keel's keys: rc 1 (some refused)" || fail "keel's keys: rc $RC"
for k in userns-remap hosts data-root cgroup-parent authorization-plugins iptables userland-proxy host-gateway-ip storage-driver; do
	check "keel's keys: $k refused as reserved, with why" is reserved "r['$k'].startswith('reserved by keel: ') and len(r['$k']) > 40"
done
check "keel's keys: userns-remap's reason says it cannot be turned off" \
	is reserved "'userns-remap=default' in r['userns-remap'] and 'cannot be changed or turned off' in r['userns-remap']"
check "keel's keys: the image's values stay, the valid key applies" \
	is reserved "'userns-remap' not in o and o['data-root'] == '/var/lib/docker' and o['iptables'] is True and o['registry-mirrors'] == ['https://m.example'] and list(s['applied']) == ['registry-mirrors']"

# --- wrong types and values ----------------------------------------------------
wrong() {   # wrong LABEL KEY JSON-VALUE REASON-SUBSTRING
	printf '{"%s": %s, "debug": true}\n' "$2" "$3" | put "w$1"
	es "w$1" --no-check
	check "wrong value: $2 = $3 refused ($4), debug still applied" \
		is "w$1" "'$4' in r.get('$2', '') and s['applied'] == {'debug': True} and o.get('$2') == json.load(open('$DEFAULTS')).get('$2')"
}
wrong 1 registry-mirrors '"https://m.example"' 'expected an array'
wrong 2 registry-mirrors '["ftp://m.example"]' 'element 0: "ftp://m.example" is not an http:// or https:// URL'
wrong 3 registry-mirrors '["https://u:p@m.example"]' 'no user name or password'
wrong 4 registry-mirrors '["https://m.example/?x=1"]' 'no query or fragment'
wrong 5 insecure-registries '[1]' 'element 0: expected a string'
wrong 6 insecure-registries '["a b"]' 'has a space'
wrong 7 features '{"buildkit": "yes"}' '"buildkit": expected true or false'
wrong 8 log-opts '{"max-file": 3}' '"max-file": expected a string'
wrong 9 default-address-pools '[{"base": "10.0.0.0/8"}]' 'expected {"base"'
wrong 10 default-address-pools '[{"base": "10.0.0.0/16", "size": 8}]' 'size: expected a prefix length'
wrong 11 default-address-pools '[{"base": "10.0.0.300/16", "size": 24}]' 'base: expected an address'
wrong 12 proxies '{"ftp-proxy": "x"}' 'only http-proxy, https-proxy and no-proxy'
wrong 13 proxies '{"http-proxy": 3128}' 'http-proxy: expected a string'
wrong 14 log-level '"loud"' 'expected one of debug'
wrong 15 mtu '10' 'expected an integer in 68..65535'
wrong 16 dns '["1.1.1"]' 'is not an IP address'
wrong 17 bogus-key '1' 'not a setting keel passes to dockerd'
wrong 18 registry-mirrors "[$(printf '"https://m%d.example",' $(seq 70))\"https://x.example\"]" 'at most 64 elements'

# a key or value with control bytes (a terminal escape) or cut inside a
# character: refused with '?' for what cannot be shown, valid UTF-8 kept
printf '{"\\u001b[2Jx": 1, "insecure-registries": ["\\u001b]0;pwned\\u0007"], "dns": ["%s"], "debug": true}\n' \
	"$(python3 -c 'print("\u00e9" * 120)')" | put esc
es esc --no-check
check "control bytes in a key or value are shown as '?', a long value is cut at a character" \
	is esc "'?[2Jx' in r and r['insecure-registries'].startswith('element 0: \"?]0;pwned?\" has a space or control') and r['dns'].startswith('element 0: \"\u00e9\u00e9') and '\u00e9...\" is not an IP' in r['dns'] and all(ord(c) >= 32 for x in s['refused'] for c in x['key'] + x['reason']) and s['applied'] == {'debug': True}"

# --- the file as a whole -------------------------------------------------------
whole() {   # whole LABEL ERROR-SUBSTRING (the file already written)
	es "$1" --no-check
	if [ "$RC" = 3 ] && is "$1" "'$2' in s['error'] and s['applied'] == {} and o == json.load(open('$DEFAULTS'))" >/dev/null; then
		pass "whole file refused ($1): rc 3, '$2', the image's defaults"
	else
		fail "whole file ($1): rc $RC $(cat "$W/$1.status" 2>&1 | tr '\n' ' ')"
	fi
}
printf '{"debug": true,\n "registry-mirrors": [\n' | put malformed
whole malformed 'not valid JSON'
check "malformed: the error names the file and the line" is malformed "'$W/malformed.json' in s['error'] and 'line 3' in s['error']"
echo '["registry-mirrors"]' | put array;   whole array 'expected a JSON object'
echo '{"debug": true, "debug": false}' | put dup; whole dup 'duplicate object key'
printf '{"debug": true}\0\n' | put nul;       whole nul 'not valid JSON'
python3 -c 'print("{\"labels\": [" + ",".join(["\"k=%s\"" % ("v" * 100)] * 700) + "]}")' | put big
whole big 'too large'
python3 -c 'import json; print(json.dumps({"label-%d" % i: 1 for i in range(65)}))' | put many
whole many 'more than 64 keys'
printf '{"a": %s1%s}' "$(printf '[%.0s' $(seq 5000))" "$(printf ']%.0s' $(seq 5000))" | put deep
whole deep 'not valid JSON'

# --- log driver: the image's log-opts go with its driver ------------------------
echo '{"log-driver": "local"}' | put logdrv
es logdrv --no-check
check "log-driver changed without log-opts: the image's log-opts dropped, with a note" \
	is logdrv "o['log-driver'] == 'local' and 'log-opts' not in o and 'log-opts' in s['notes'][0]"

# --- dockerd --validate: what the rules let through --------------------------
# dockerd looks docker-proxy up in PATH (userland-proxy is on): a stand-in.
as_user mkdir -p "$W/bin" && printf '#!/bin/sh\nexit 0\n' | as_user tee "$W/bin/docker-proxy" >/dev/null &&
	chmod 755 "$W/bin/docker-proxy"
# init's flags, but the remap user is the test user: this host has no
# dockremap user (the image has), and --userns-remap=default would have
# dockerd try to create it, which only root may
FLAGS=(--containerd=/run/containerd/containerd.sock --userns-remap="$TEST_USER" --shutdown-timeout=30)
echo '{"default-shm-size": "lots", "builder": {"gc": {"enabled": "yes"}}, "debug": true}' | put validate
RC=0
as_user env PATH="$W/bin:$PATH" "$ES" --defaults "$DEFAULTS" --settings "$W/validate.json" \
	--ca "$W/none.pem" --out "$W/validate.out" --status "$W/validate.status" --health "$W/validate.pb" \
	--ca-dir "$W/validate.ca" -- "$DOCKERD" "${FLAGS[@]}" --validate > "$W/validate.log" 2>&1 || RC=$?
check "dockerd --validate: each key it refuses is refused with dockerd's words, the rest applies" \
	is validate "'dockerd refuses it: invalid size' in r['default-shm-size'] and 'cannot unmarshal string' in r['builder'] and s['applied'] == {'debug': True} and o['debug'] is True and 'builder' not in o"
check "dockerd --validate: the scratch path is not in the reason" is validate "'.check' not in r['default-shm-size']"
check "dockerd then runs (--validate appended here) and accepts the merged file" \
	grep -q 'configuration OK' "$W/validate.log"
check "dockerd --validate: no scratch file left" test ! -e "$W/validate.out.check"

# --- the exec: flags keel sets are reserved, --config-file first, SSL_CERT_DIR ---
as_user tee "$W/bin/fake-dockerd" >/dev/null <<EOS
#!/bin/sh
printf '%s\n' "\$@" > $W/argv
echo "SSL_CERT_DIR=\$SSL_CERT_DIR" >> $W/argv
EOS
chmod 755 "$W/bin/fake-dockerd"
echo '{"shutdown-timeout": 5, "authorization-plugins": ["mine"], "containerd": "/x", "mtu": 1400, "labels": ["a=b"]}' | put exec
openssl req -x509 -newkey rsa:2048 -nodes -keyout /dev/null -subj /CN=keel-test-ca -days 1 2>/dev/null |
	as_user tee "$W/exec.pem" > /dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout /dev/null -subj /CN=keel-test-ca2 -days 1 2>/dev/null |
	as_user tee -a "$W/exec.pem" > /dev/null
es exec -- "$W/bin/fake-dockerd" "${FLAGS[@]}" --authorization-plugin=keel-authz --mtu=1500
check "exec: keys keel sets as flags refused, naming the flag" \
	is exec "r['mtu'] == 'reserved by keel: it runs dockerd with --mtu=1500' and 'shutdown timeout' in r['shutdown-timeout'] and 'reserved by keel' in r['containerd'] and 'reserved by keel' in r['authorization-plugins'] and list(s['applied']) == ['labels']"
check "exec: dockerd's argv is --config-file=OUT, then keel's flags in order" \
	test "$(head -n 6 "$W/argv" | tr '\n' ' ')" = "--config-file=$W/exec.out ${FLAGS[*]} --authorization-plugin=keel-authz --mtu=1500 "
check "exec: two CA certificates installed, SSL_CERT_DIR has the system's dir and the bundle's" \
	sh -c "grep -qx 'SSL_CERT_DIR=/etc/ssl/certs:$W/exec.ca' '$W/argv' && cmp -s '$W/exec.pem' '$W/exec.ca/keel-host.crt' && test \"\$($TOP/tests/progs/jget.py @$W/exec.status 'd[\"ca_certificates\"]')\" = 2"
printf -- '-----BEGIN CERTIFICATE-----\nMIIB\n' | as_user tee "$W/badca.pem" >/dev/null
echo '{}' | put badca
es badca -- "$W/bin/fake-dockerd"
check "a CA bundle that is not PEM is refused (ca_error), dockerd still runs without SSL_CERT_DIR" \
	sh -c "grep -q 'not closed' '$W/badca.status' && grep -qx 'SSL_CERT_DIR=' '$W/argv' && test ! -e '$W/badca.ca/keel-host.crt' || { cat '$W/badca.status' '$W/argv'; exit 1; }"
es missing-defaults --defaults /nonexistent/daemon.json -- "$W/bin/fake-dockerd" "${FLAGS[@]}"
check "image defaults unreadable: dockerd still starts, with its own default file (no --config-file)" \
	test "$(head -n 1 "$W/argv")" = "${FLAGS[0]}"

# --- ECI mode: dockerd's --config-file is the base; builder is ECI's -------------
echo '{"data-root": "/var/lib/mine", "builder": {"entitlements": {"network-host": true}}}' | as_user tee "$W/eci-base.json" >/dev/null
echo '{"builder": {"gc": {"enabled": true}}, "labels": ["eci=1"]}' | put eci
es eci -- "$W/bin/fake-dockerd" "${FLAGS[@]}" --authorization-plugin=keel-eci --config-file="$W/eci-base.json"
check "ECI: the settings merge over dockerd's --config-file, builder refused, ECI's entitlements kept" \
	is eci "'ECI mode' in r['builder'] and list(s['applied']) == ['labels'] and o['data-root'] == '/var/lib/mine' and o['builder']['entitlements']['network-host'] is True"
check "ECI: dockerd gets the one merged --config-file, its own is gone" \
	test "$(grep -c -- '--config-file' "$W/argv")/$(head -n 1 "$W/argv")" = "1/--config-file=$W/eci.out"
echo '{}' | put eci-none
as_user rm -f "$W/eci-none.json"
es eci-none -- "$W/bin/fake-dockerd" --authorization-plugin=keel-eci --config-file="$W/eci-base.json"
check "ECI without host settings: dockerd's one --config-file is its own, unchanged" \
	sh -c "test \"\$(grep -c -- --config-file '$W/argv')\" = 1 && f=\$(sed -n 's/^--config-file=//p' '$W/argv') &&
		$TOP/tests/progs/jget.py --test @\"\$f\" 'd == json.load(open(args[0]))' '$W/eci-base.json'"

# --- Health: the agent reads the record ------------------------------------------
start_agent
cp "$W/reserved.pb" "$RUN/engine-settings.pb"
h=$("${KC[@]}" --json health 2>&1)
check "Health: the refused keys with their reasons" jget - \
	"'x' if [r['key'] for r in d['engine']['refused']][:2] == ['userns-remap', 'hosts'] and 'turned off' in d['engine']['refused'][0]['reason'] else sys.exit(1)" <<< "$h"
check "Health: the settings in effect, host's marked" jget - \
	"'x' if {s['key']: s['from_host'] for s in d['engine']['settings']}.get('registry-mirrors') is True and {s['key']: s['value'] for s in d['engine']['settings']}['data-root'] == '\"/var/lib/docker\"' else sys.exit(1)" <<< "$h"
check "Health: degraded; nine refusals are one reason (reasons are bounded)" jget - \
	"'x' if d['status'] == 'degraded' and '9 engine settings refused (keelctl health says which and why)' in d['reasons'] and not any(r.startswith('engine setting ') for r in d['reasons']) else sys.exit(1)" <<< "$h"
t=$("${KC[@]}" health 2>&1)
cp "$W/w2.pb" "$RUN/engine-settings.pb"
h=$("${KC[@]}" --json health 2>&1)
check "Health: one refusal is a reason naming the key" jget - \
	"'x' if 'engine setting registry-mirrors refused (keelctl health says why)' in d['reasons'] else sys.exit(1)" <<< "$h"
check "keelctl health (table): REFUSED userns-remap and the host's mirror" \
	bash -c 'grep -q "^userns-remap .*REFUSED reserved by keel" <<< "$1" && grep -q "^registry-mirrors .*host  \[\"https://m.example\"\]" <<< "$1"' _ "$t"
head -c 100 /dev/urandom > "$RUN/engine-settings.pb"
h=$("${KC[@]}" --json health 2>&1)
check "Health: a record that does not decode is a reason, not a crash" \
	grep -q 'engine-settings.pb does not decode\|"engine"' <<< "$h"
rm -f "$RUN/engine-settings.pb"
h=$("${KC[@]}" --json health 2>&1)
check "Health: no record (dockerd not started yet): no engine field" jget - "'x' if 'engine' not in d else sys.exit(1)" <<< "$h"

# --- run-vm: not JSON stops the start, naming the file -----------------------------
as_user mkdir -m 700 "$W/state"
as_user touch "$W/kernel" "$W/image"
out=$(as_user "$USER_TOP/scripts/run-vm" start --state-dir "$W/state" --kernel "$W/kernel" \
	--image "$W/image" --accel tcg --no-data --no-share --engine-settings "$W/malformed.json" 2>&1); rc=$?
check "run-vm: a settings file that is not JSON fails the start, naming the file and the line" \
	bash -c '[ "$1" = 1 ] && grep -q "error: engine settings: .*/malformed.json: not valid JSON.*line 3" <<< "$2" && ! grep -q booting <<< "$2"' _ "$rc" "$out"
out=$(as_user "$USER_TOP/scripts/run-vm" start --state-dir "$W/state" --kernel "$W/kernel" \
	--image "$W/image" --accel tcg --no-data --no-share --engine-settings "$W/nonexistent.json" 2>&1); rc=$?
check "run-vm: a settings file that does not exist fails the start" \
	bash -c '[ "$1" = 1 ] && grep -q "nonexistent.json: not a readable file" <<< "$2"' _ "$rc" "$out"
