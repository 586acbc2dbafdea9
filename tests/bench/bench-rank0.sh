#!/usr/bin/env bash
# tests/bench/bench-rank0.sh - rank 0's CPU per chunk against the chunk's
# size, run by `make bench-rank0` (issue 17: with --output FILE it should
# not depend on the chunk's byte size).  For each chunk size C in SIZES
# (default 10 .. 100000 numbers) one job of CHUNKS chunks (default 100)
# of odd numbers from 999999999999:
#
#   mpirun --oversubscribe -np NP ./factorize --count C*CHUNKS
#          --start 999999999999 --step 2 --chunk C --output FILE
#          --stats S --quiet
#
# and reads rank0_cpu_seconds and chunks from S (rank 0's CPU, user+sys,
# including its wait back-off).  Rounds are interleaved over the sizes
# ROUNDS times (default 3); the figures printed are medians over rounds:
# rank 0's CPU per chunk (us), per number (us) and the wall time.  With
# OUT=stdout the blocks go to standard output (mpirun's pty) instead of a
# file, for comparison.  A timing benchmark, not a test: it asserts
# nothing.
#
# Knobs: SIZES, CHUNKS, ROUNDS, NP (default 3), OUT (file or stdout).
set -u
cd "$(dirname "$0")/../.." || exit 2
: "${SIZES:=10 100 1000 10000 100000}"
: "${CHUNKS:=100}"
: "${ROUNDS:=3}"
: "${NP:=3}"
: "${OUT:=file}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench-rank0.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_base_warn_component_unused=0

# json_num FILE KEY: the first numeric value of "KEY" in FILE
json_num() {
	sed -n "s/^ *\"$2\": *\([0-9.e+-]*\),*$/\1/p" "$1" | head -1
}

median() {
	sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}

for r in $(seq "$ROUNDS"); do
	for c in $SIZES; do
		n=$((c * CHUNKS))
		s="$TMP/stats.json"
		args=(--count "$n" --start 999999999999 --step 2 --chunk "$c"
		      --stats "$s" --quiet)
		if [ "$OUT" = stdout ]; then
			/usr/bin/time -f "%e" -o "$TMP/time" mpirun --oversubscribe \
				-np "$NP" ./factorize "${args[@]}" > /dev/null
		else
			/usr/bin/time -f "%e" -o "$TMP/time" mpirun --oversubscribe \
				-np "$NP" ./factorize "${args[@]}" --output "$TMP/out"
		fi || { echo "FAILED: chunk $c" >&2; exit 1; }
		cpu=$(json_num "$s" rank0_cpu_seconds)
		k=$(json_num "$s" chunks)
		awk -v c="$cpu" -v k="$k" 'BEGIN {printf "%.3f\n", c * 1e6 / k}' \
			>> "$TMP/chunk.$c"
		awk -v c="$cpu" -v n="$n" 'BEGIN {printf "%.4f\n", c * 1e6 / n}' \
			>> "$TMP/number.$c"
		cat "$TMP/time" >> "$TMP/wall.$c"
		rm -f "$TMP/out" "$s"
	done
done

echo "rank 0 CPU, np $NP, $CHUNKS chunks a job, output to $OUT," \
	"medians of $ROUNDS rounds"
printf '%10s %16s %16s %10s\n' chunk us/chunk us/number wall_s
for c in $SIZES; do
	printf '%10s %16s %16s %10s\n' "$c" "$(median < "$TMP/chunk.$c")" \
		"$(median < "$TMP/number.$c")" "$(median < "$TMP/wall.$c")"
done
