#!/usr/bin/env bash
# keel-init is a static, stripped binary: no PT_INTERP, no dynamic section,
# no symbol table, and small (aim: < 100 KiB; the static musl tini is 42.8 KiB).
. "$(dirname "$0")/../lib.sh"
bin=$B/keel-init
[ -x "$bin" ] || { fail "init_static: $bin not built"; exit 0; }
if readelf -lW "$bin" | grep -q 'INTERP'; then fail "init_static: has a PT_INTERP"; else pass "init_static: no PT_INTERP"; fi
if readelf -d "$bin" | grep -q 'There is no dynamic section'; then pass "init_static: no dynamic section"
else fail "init_static: has a dynamic section"; fi
if readelf -S "$bin" | grep -q '\.symtab'; then fail "init_static: not stripped"; else pass "init_static: stripped"; fi
size=$(stat -c %s "$bin")
echo "keel-init stripped size: $size bytes ($(( (size + 1023) / 1024 )) KiB)"
if [ "$size" -lt $((100 * 1024)) ]; then pass "init_static: size $size < 100 KiB"; else fail "init_static: size $size >= 100 KiB"; fi
