#!/usr/bin/env bash
# Runs every libFuzzer harness in build/fuzz: FUZZ_RUNS inputs each (the
# short run of `make test`), or FUZZ_SECONDS each when set (`make fuzz`).
# Crashes are saved under build/fuzz/crashes/<harness>/.
. "$(dirname "$0")/../lib.sh"
shopt -s nullglob
harnesses=("$B"/fuzz/fuzz_*)
[ ${#harnesses[@]} -gt 0 ] || { fail "fuzz: no harness built"; exit 1; }
for h in "${harnesses[@]}"; do
	case $h in *.o|*.d) continue;; esac
	[ -x "$h" ] || continue
	name=$(basename "$h")
	corpus=$B/fuzz/corpus/$name; crashes=$B/fuzz/crashes/$name
	mkdir -p "$corpus" "$crashes"
	seeds=$TOP/tests/fuzz/seeds/$name; [ -d "$seeds" ] || seeds=
	if [ -n "${FUZZ_SECONDS:-}" ]; then limit=-max_total_time=$FUZZ_SECONDS; else limit=-runs=${FUZZ_RUNS:-20000}; fi
	log=$B/fuzz/$name.log
	if "$h" $limit -artifact_prefix="$crashes/" "$corpus" $seeds >"$log" 2>&1; then
		# libFuzzer ends with "Done N runs in S second(s)".
		execs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
		pass "$name: ${execs:-?} inputs, no crash"
		[ -n "${FUZZ_SECONDS:-}" ] && record_metric "fuzz_${name#fuzz_}_execs" "${execs:-0}"
	else
		fail "$name: crash, see $log and $crashes"
	fi
done
