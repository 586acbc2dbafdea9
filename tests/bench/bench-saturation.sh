#!/usr/bin/env bash
# tests/bench/bench-saturation.sh - what the saturation model of
# tests/bench/model.py needs ("THE SATURATION MODEL"), run by `make
# bench-saturation` (issue 17): rank 0's busy CPU per chunk, per output
# byte and per input byte, and a worker's rate with each engine, measured
# on this machine; then `model.py saturation`, which fits them and writes
# saturation-table.md, saturation-model.csv and saturation.png (rank
# counts 2 to 16,384) under build/bench-cluster/.
#
# Runs (one node, no cluster), REPEAT times each:
#   rank 0: mpirun -np 2 ./factorize on SAT_COUNT and SAT_COUNT / 4
#     consecutive numbers from 10^12 (two sizes: the fit tells the cost
#     per byte from the fixed start-up), --chunk 100, 1000 and 100000, from
#     --count (range engine)
#     and from --input FILE (per-number engine), text to stdout (mpirun's
#     pipe) and --output FILE; rank 0's busy CPU = rank0_cpu_seconds -
#     rank0_wait_cpu_seconds of --stats, with its chunks and bytes_written.
#   worker: one process on the same numbers, --count and --input: CPU
#     seconds (user + sys) per number.
# CSV (saturation.csv): kind,source,chunk,output,numbers,chunks,
#     rank0_busy_s,bytes,input_bytes,cpu_s
# Rank 0's cost is CPU time, so other tenants on the machine move it
# less than wall time.  About 4.5 minutes here with the defaults.
# Environment: SAT_COUNT (1000000), REPEAT (3).
#
# After a change to rank 0 (workers writing with MPI-IO, workers reading
# their --input ranges), rerun this one command to refit the model; or
# give model.py saturation the parameters directly (see its --help).
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 LC_ALL=C
SAT_COUNT=${SAT_COUNT:-1000000}
REPEAT=${REPEAT:-3}
OUT="$TOP/${BUILD:-build}/bench-cluster"
mkdir -p "$OUT"
SAT="$OUT/saturation.csv"
F=$(mktemp /tmp/fz-sat.XXXXXX)
trap 'rm -f "$F" "$F".*' EXIT
START=1000000000000
QUARTER=$((SAT_COUNT / 4))
seq "$START" $((START + SAT_COUNT - 1)) >"$F.in$SAT_COUNT"
seq "$START" $((START + QUARTER - 1)) >"$F.in$QUARTER"

# rank0 SOURCE COUNT CHUNK OUTPUT: one -np 2 run, one CSV row
rank0() {
	local src=$1 n=$2 chunk=$3 o=$4 args dest
	if [ "$src" = count ]; then args=(--count "$n" --start "$START" --step 1)
	else args=(--input "$F.in$n"); fi
	if [ "$o" = file ]; then dest=(--output "$F.out"); else dest=(); fi
	mpirun -np 2 ./factorize "${args[@]}" --chunk "$chunk" --stats "$F.json" "${dest[@]}" >/dev/null ||
		{ echo "bench-saturation: run failed: $src $chunk $o" >&2; return; }
	python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))
print("rank0,%s,%s,%s,%d,%d,%.6f,%d,%s," % (sys.argv[2], sys.argv[3], sys.argv[4],
      s["numbers"], s["chunks"], s["rank0_cpu_seconds"] - s["rank0_wait_cpu_seconds"],
      s["bytes_written"], sys.argv[5] if sys.argv[2] == "input" else 0))' \
		"$F.json" "$src" "$chunk" "$o" "$(stat -c %s "$F.in$n")" | tee -a "$SAT"
}

echo "kind,source,chunk,output,numbers,chunks,rank0_busy_s,bytes,input_bytes,cpu_s" >"$SAT"
for ((k = 0; k < REPEAT; k++)); do
	for src in count input; do
		for n in "$SAT_COUNT" "$QUARTER"; do
			for chunk in 100 1000 100000; do
				for o in stdout file; do rank0 "$src" "$n" "$chunk" "$o"; done
			done
		done
		# one process: a worker's CPU per number with this source's engine
		if [ "$src" = count ]; then args=(--count "$SAT_COUNT" --start "$START" --step 1); eng=range
		else args=(--input "$F.in$SAT_COUNT"); eng=list; fi
		/usr/bin/time -f "%U %S" -o "$F.time" ./factorize "${args[@]}" --output "$F.out" || continue
		echo "worker,$src,0,$eng,$SAT_COUNT,0,0,$(stat -c %s "$F.out"),$([ "$src" = input ] && stat -c %s "$F.in$SAT_COUNT" || echo 0),$(awk '{ print $1 + $2 }' "$F.time")" | tee -a "$SAT"
	done
done
python3 tests/bench/model.py saturation "$OUT"
