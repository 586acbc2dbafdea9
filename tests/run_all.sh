#!/usr/bin/env bash
# tests/run_all.sh - run every unit test binary (build/test_*) and every
# integration script (tests/integration/it_*.sh); print one verdict line at the end,
# "N passed, N failed", and exit non-zero on any failure.
#
# Counts: each cmocka test case counts once (from cmocka's summary lines),
# each integration check once (from the script's own verdict line).  A
# binary or script that dies without a verdict counts as one failure.
# Each binary's and script's wall seconds follow its verdict (where CI's
# time goes).
set -u
cd "$(dirname "$0")/.."
: "${BUILD:=build}"
total_pass=0
total_fail=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

add_counts() { # add_counts NAME RC: read the verdict of the last run from $log
	local p f
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\..*/\1/p' "$log" | awk '{s+=$1} END{print s+0}')
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s).*/\1/p' "$log" | awk '{s+=$1} END{print s+0}')
	if v=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -1) && [ -n "$v" ]; then
		p=$((p + $(echo "$v" | awk '{print $1}')))
		f=$((f + $(echo "$v" | awk '{print $3}')))
	fi
	if [ "$2" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; echo "FAIL $1 exited $2 without a failure count"; fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then f=1; echo "FAIL $1 ran no test"; fi
	total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
}

for t in "$BUILD"/test_*; do
	[ -x "$t" ] || continue
	echo "== $t"
	t0=$SECONDS
	"$t" >"$log" 2>&1; rc=$?
	grep -E '^\[  (PASSED|FAILED) |^\[  ERROR   \]|^\[  FAILED  \]' "$log"
	echo "   seconds: $((SECONDS - t0))"
	add_counts "$t" "$rc"
done
for s in tests/integration/it_*.sh; do
	[ -f "$s" ] || continue
	echo "== $s"
	t0=$SECONDS
	bash "$s" >"$log" 2>&1; rc=$?
	grep -E '^(FAIL|ok)' "$log" | grep -c '^ok' | sed 's/^/   checks ok: /'
	echo "   seconds: $((SECONDS - t0))"
	grep -E '^FAIL' -A1 "$log" | head -40
	add_counts "$s" "$rc"
done
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
