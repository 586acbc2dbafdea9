#!/usr/bin/env bash
# tests/bench/bench-cluster.sh - scaling across the nodes of the cluster in
# a box (tests/cluster/cluster.sh), run by `make bench-cluster` (issue 18).
#
# Writes build/bench-cluster/cluster.csv (one row per configuration, each
# figure the median of REPEAT runs), one --stats JSON per run, then runs
# tests/bench/model.py cluster, which adds the predictions (model.csv,
# model-table.md) and the gnuplot PNGs (rate.png, wait.png, dispatch.png).
#
# Runs, Open MPI over the nodes' TCP (ranks of one node: shared memory),
# nodes 1..NODES x ranks per node 1..RPN (rank 0 takes a slot of node 1),
# each at emulated link latency LATS (--test-latency-us: every message
# held that long after its send; the kernel here has no netem):
#   s64       S64-class work (S64_COPIES x jobs/bench/S64.txt, ~33 us a
#             number) in chunks of S64_CHUNK with --prefetch 0: one chunk
#             in hand, so every chunk costs its worker one round trip.
#             This is the run that shows the latency (model: a worker
#             does k numbers per C + R0 + 2L).
#   s64-node  the same with --group-size node (layouts with >= 2 ranks per
#             node).
#   dispatch  cheap numbers (DISPATCH_COUNT from 999999999999, --chunk 43,
#             the default prefetch, which the worker raises itself to 32
#             chunks for such short chunks): rank 0's rate and CPU.
#   tbf       s64 and dispatch on NODES x 2 at latency 0 with a bandwidth
#             limit (tc tbf on the host end of every node's link: BWS).
# Per run, from --stats: numbers/s; rank 0's busy CPU (rank0_cpu_seconds
# - rank0_wait_cpu_seconds) per number and per chunk; the workers' wait
# for work per chunk (sum of idle_seconds / sum of chunks over ranks >= 1:
# the time from asking for work to having it that prefetch did not hide,
# start-up included); bytes received per number.
# CSV: kind,nodes,rpn,np,latency_us,bw,group,numbers,wall_s,numbers_per_s,
#      rank0_busy_us_per_number,rank0_busy_us_per_chunk,
#      worker_wait_ms_per_chunk,bytes_per_number,one_rate
# All "nodes" share this machine's 2 cores: the model takes its cap from
# each layout's L = 0 run, and rates say what the protocol costs, not what a
# real cluster would give.  Default sweep: 15 layouts x 4 latencies x 2-3
# kinds x REPEAT 3 + 12 tbf runs: 27 minutes here (load average 6-13).
# Environment: NODES (4), RPN (4), LATS ("0 20 200 2000"), BWS ("10mbit
# 100mbit"), DISPATCH_COUNT (200000), S64_COPIES (10), S64_CHUNK (20),
# REPEAT (3).
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 LC_ALL=C
export OMPI_MCA_btl_base_warn_component_unused=0
NODES=${NODES:-4}
RPN=${RPN:-4}
LATS=${LATS:-0 20 200 2000}
BWS=${BWS:-10mbit 100mbit}
DISPATCH_COUNT=${DISPATCH_COUNT:-200000}
S64_COPIES=${S64_COPIES:-10}
S64_CHUNK=${S64_CHUNK:-20}
REPEAT=${REPEAT:-3}
OUT="$TOP/${BUILD:-build}/bench-cluster"
MODEL="$TOP/tests/bench/model.py"
mkdir -p "$OUT"

CL="$TOP/tests/cluster/cluster.sh"
CSV="$OUT/cluster.csv"
started=0
if ! "$CL" status >/dev/null 2>&1; then
	"$CL" up "$NODES" || exit 1
	started=1
fi
eval "$("$CL" env)"
S64F=$(mktemp /tmp/fz-bench-s64.XXXXXX)
cleanup() {
	for ((i = 1; i <= NODES; i++)); do tc qdisc del dev "${FZC_PREFIX}v$i" root 2>/dev/null; done
	[ "$started" = 1 ] && "$CL" down >/dev/null
	rm -f "$OUT"/hosts.* "$S64F"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
for ((i = 0; i < S64_COPIES; i++)); do cat jobs/bench/S64.txt; done >"$S64F"

# run KIND NODES RPN LAT GROUP ARGS...: the median (by rate) of REPEAT
# runs -> "wall rate busy_us_per_number busy_us_per_chunk wait_ms bytes/number"
run() {
	local kind=$1 n=$2 r=$3 lat=$4 grp=$5 np k hf json
	shift 5
	np=$((n * r))
	hf="$OUT/hosts.$n.$r"
	head -n "$n" "$FZC_HOSTFILE" | sed "s/slots=.*/slots=$r/" >"$hf"
	for ((k = 0; k < REPEAT; k++)); do
		json="$OUT/run-$kind-$n-$r-$lat-$grp-$k.json"
		# shellcheck disable=SC2046
		timeout -k 5 300 mpirun --mca plm_rsh_agent "$FZC_AGENT" --hostfile "$hf" \
			--mca btl_tcp_if_include "$FZC_SUBNET" --mca oob_tcp_if_include "$FZC_SUBNET" \
			-np "$np" ./factorize --quiet --output /dev/null --stats "$json" \
			--test-latency-us "$lat" $([ "$grp" = node ] && echo --group-size node) "$@" \
			>/dev/null 2>>"$OUT/errors.log" || { echo "bench-cluster: run failed: $kind $n x $r lat $lat $grp" >&2; continue; }
		python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))
n = max(s["numbers"], 1)
busy = s["rank0_cpu_seconds"] - s["rank0_wait_cpu_seconds"]
w = [r for r in s["ranks"] if r["rank"] >= 1]
ch = max(sum(r["chunks"] for r in w), 1)
print("%.6f %.1f %.3f %.2f %.4f %.1f" % (s["wall_seconds"], s["numbers_per_second"],
      1e6 * busy / n, 1e6 * busy / max(s["chunks"], 1),
      1e3 * sum(r["idle_seconds"] for r in w) / ch, s["bytes"] / n))' "$json"
	done | sort -n -k2 | awk -v m=$(((REPEAT + 1) / 2)) 'NR == m { print; found = 1 } END { if (!found) print "nan nan nan nan nan nan" }'
}

echo "kind,nodes,rpn,np,latency_us,bw,group,numbers,wall_s,numbers_per_s,rank0_busy_us_per_number,rank0_busy_us_per_chunk,worker_wait_ms_per_chunk,bytes_per_number,one_rate" >"$CSV"
row() { echo "$*" | tr ' ' ',' | tee -a "$CSV"; }

# the one-process rates the efficiencies are relative to
one=$(./factorize --input "$S64F" --quiet --output /dev/null --stats "$OUT/one.json" &&
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["numbers_per_second"])' "$OUT/one.json")
S64N=$(wc -l <"$S64F")
S64=(--input "$S64F" --chunk "$S64_CHUNK" --prefetch 0)
DISP=(--count "$DISPATCH_COUNT" --start 999999999999 --chunk 43)
t_start=$(date +%s)
# Latency innermost: the runs of one layout at every latency follow each
# other, so a change in the machine's load between layouts does not pass
# for a latency effect.  run's six figures become six CSV fields: split
# on purpose.
# shellcheck disable=SC2046
for ((n = 1; n <= NODES; n++)); do
	for ((r = 1; r <= RPN; r++)); do
		[ $((n * r)) -ge 2 ] || continue
		for lat in $LATS; do
			row s64 "$n" "$r" $((n * r)) "$lat" none flat "$S64N" $(run s64 "$n" "$r" "$lat" flat "${S64[@]}") "$one"
			[ "$r" -ge 2 ] &&
				row s64-node "$n" "$r" $((n * r)) "$lat" none node "$S64N" $(run s64 "$n" "$r" "$lat" node "${S64[@]}") "$one"
			row dispatch "$n" "$r" $((n * r)) "$lat" none flat "$DISPATCH_COUNT" $(run dispatch "$n" "$r" "$lat" flat "${DISP[@]}") ""
		done
	done
done

# a bandwidth limit on every node's link (the host end: traffic into the
# node, so rank 0's node receives the other nodes' results through it)
# shellcheck disable=SC2046
for bw in $BWS; do
	for ((i = 1; i <= NODES; i++)); do
		tc qdisc replace dev "${FZC_PREFIX}v$i" root tbf rate "$bw" burst 32kbit latency 50ms ||
			echo "bench-cluster: tc tbf $bw failed on ${FZC_PREFIX}v$i" >&2
	done
	for grp in flat node; do
		row tbf-s64 "$NODES" 2 $((NODES * 2)) 0 "$bw" "$grp" "$S64N" $(run tbf-s64 "$NODES" 2 0 "$grp" "${S64[@]}") "$one"
		row tbf-dispatch "$NODES" 2 $((NODES * 2)) 0 "$bw" "$grp" "$DISPATCH_COUNT" $(run tbf-dispatch "$NODES" 2 0 "$grp" "${DISP[@]}") ""
	done
done
for ((i = 1; i <= NODES; i++)); do tc qdisc del dev "${FZC_PREFIX}v$i" root 2>/dev/null; done
echo "bench-cluster: sweep took $(($(date +%s) - t_start)) s"

S64_CHUNK=$S64_CHUNK python3 "$MODEL" cluster "$OUT"
