#!/usr/bin/env bash
# tests/bench/bench-cluster.sh - scaling across the nodes of the cluster in
# a box (tests/cluster/cluster.sh), run by `make bench-cluster` (issue 18).
# Writes build/bench-cluster/cluster.csv, one --stats JSON per run, and
# rate.png / rank0.png (gnuplot), and prints the CSV.
#
# Runs, Open MPI over the nodes' TCP (ranks of one node: shared memory):
#   1. nodes 1..NODES x ranks per node 1..RPN (rank 0 takes a slot of node
#      1), each at emulated link latency 0, 20, 200 and 2000 us
#      (--test-latency-us: every message held that long after its send;
#      the kernel here has no netem), flat and --group-size node:
#      dispatch-bound work (DISPATCH_COUNT numbers from 999999999999,
#      --chunk 43) gives numbers/s and rank 0's busy CPU per number
#      ((rank0_cpu_seconds - rank0_wait_cpu_seconds) / numbers).
#   2. S64-class work (jobs/bench/S64.txt) on each node count x RPN at
#      latency 0: efficiency = rate / (workers x the one-process rate).
#   3. a bandwidth limit (tc tbf on the host end of every node's link,
#      BWS, e.g. 10mbit 100mbit) on NODES x 2 at latency 0.
# CSV: kind,nodes,rpn,np,latency_us,bw,group,numbers,wall_s,numbers_per_s,
#      rank0_busy_us_per_number,efficiency
# Each number is the median of REPEAT runs.  On this machine all "nodes"
# share 2 cores, so rates say what the protocol costs, not what a real
# cluster would give.  The full default sweep is 15 layouts x 4 latencies
# x 2 x REPEAT runs of ~1-2 s each (launch included): about 20-30 minutes
# here; NODES=2 RPN=2 LATS="0 2000" REPEAT=1 takes about 2 minutes.
# Environment: NODES (4), RPN (4), LATS ("0 20 200
# 2000"), BWS ("10mbit 100mbit"), DISPATCH_COUNT (20000), REPEAT (3).
set -u
TOP=$(cd "$(dirname "$0")/../.." && pwd)
cd "$TOP" || exit 1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 LC_ALL=C
export OMPI_MCA_btl_base_warn_component_unused=0
NODES=${NODES:-4}
RPN=${RPN:-4}
LATS=${LATS:-0 20 200 2000}
BWS=${BWS:-10mbit 100mbit}
DISPATCH_COUNT=${DISPATCH_COUNT:-20000}
REPEAT=${REPEAT:-3}
OUT="$TOP/${BUILD:-build}/bench-cluster"
CL="$TOP/tests/cluster/cluster.sh"
mkdir -p "$OUT"
CSV="$OUT/cluster.csv"

started=0
if ! "$CL" status >/dev/null 2>&1; then
	"$CL" up "$NODES" || exit 1
	started=1
fi
eval "$("$CL" env)"
cleanup() {
	for ((i = 1; i <= NODES; i++)); do tc qdisc del dev "${FZC_PREFIX}v$i" root 2>/dev/null; done
	[ "$started" = 1 ] && "$CL" down >/dev/null
	rm -f "$OUT"/hosts.*
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# run NODES RPN LAT GROUP ARGS...: median of REPEAT runs -> "wall rate busy_us"
run() {
	local n=$1 r=$2 lat=$3 grp=$4 np k hf json
	shift 4
	np=$((n * r))
	hf="$OUT/hosts.$n.$r"
	head -n "$n" "$FZC_HOSTFILE" | sed "s/slots=.*/slots=$r/" >"$hf"
	for ((k = 0; k < REPEAT; k++)); do
		json="$OUT/run-$n-$r-$lat-$grp-$k.json"
		# shellcheck disable=SC2046
		timeout -k 5 300 mpirun --mca plm_rsh_agent "$FZC_AGENT" --hostfile "$hf" \
			--mca btl_tcp_if_include "$FZC_SUBNET" --mca oob_tcp_if_include "$FZC_SUBNET" \
			-np "$np" ./factorize --quiet --output /dev/null --stats "$json" \
			--test-latency-us "$lat" $([ "$grp" = node ] && echo --group-size node) "$@" \
			>/dev/null 2>>"$OUT/errors.log" || { echo "bench-cluster: run failed: $n x $r lat $lat $grp" >&2; continue; }
		python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))
n = max(s["numbers"], 1)
print("%.6f %.1f %.3f" % (s["wall_seconds"], s["numbers_per_second"],
      1e6 * (s["rank0_cpu_seconds"] - s["rank0_wait_cpu_seconds"]) / n))' "$json"
	done | sort -n -k2 | awk -v m=$(((REPEAT + 1) / 2)) 'NR == m { print; found = 1 } END { if (!found) print "nan nan nan" }'
}

echo "kind,nodes,rpn,np,latency_us,bw,group,numbers,wall_s,numbers_per_s,rank0_busy_us_per_number,efficiency" >"$CSV"
row() { echo "$*" | tr ' ' ',' | tee -a "$CSV"; }

# 1. dispatch
for ((n = 1; n <= NODES; n++)); do
	for ((r = 1; r <= RPN; r++)); do
		[ $((n * r)) -ge 2 ] || continue
		for lat in $LATS; do
			for grp in flat node; do
				read -r wall rate busy < <(run "$n" "$r" "$lat" "$grp" --count "$DISPATCH_COUNT" --start 999999999999 --chunk 43)
				row dispatch "$n" "$r" $((n * r)) "$lat" none "$grp" "$DISPATCH_COUNT" "$wall" "$rate" "$busy" ""
			done
		done
	done
done

# 2. efficiency on S64-class work
one=$(./factorize --input jobs/bench/S64.txt --quiet --output /dev/null --stats "$OUT/one.json" &&
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["numbers_per_second"])' "$OUT/one.json")
S64N=$(wc -w <jobs/bench/S64.txt)
for ((n = 1; n <= NODES; n++)); do
	for ((r = 1; r <= RPN; r++)); do
		[ $((n * r)) -ge 2 ] || continue
		read -r wall rate busy < <(run "$n" "$r" 0 flat --input jobs/bench/S64.txt)
		eff=$(awk -v x="$rate" -v o="$one" -v w=$((n * r - 1)) 'BEGIN { printf "%.3f", x / (o * w) }')
		row s64 "$n" "$r" $((n * r)) 0 none flat "$S64N" "$wall" "$rate" "$busy" "$eff"
	done
done

# 3. bandwidth limit
for bw in $BWS; do
	for ((i = 1; i <= NODES; i++)); do
		tc qdisc replace dev "${FZC_PREFIX}v$i" root tbf rate "$bw" burst 32kbit latency 50ms ||
			echo "bench-cluster: tc tbf $bw failed on ${FZC_PREFIX}v$i" >&2
	done
	for grp in flat node; do
		read -r wall rate busy < <(run "$NODES" 2 0 "$grp" --count "$DISPATCH_COUNT" --start 999999999999 --chunk 43)
		row dispatch-tbf "$NODES" 2 $((NODES * 2)) 0 "$bw" "$grp" "$DISPATCH_COUNT" "$wall" "$rate" "$busy" ""
	done
done
for ((i = 1; i <= NODES; i++)); do tc qdisc del dev "${FZC_PREFIX}v$i" root 2>/dev/null; done

# plots: numbers/s and rank 0's busy CPU per number against the rank count,
# one line per latency (flat, dispatch-bound work)
if command -v gnuplot >/dev/null; then
	for lat in $LATS; do
		awk -F, -v l="$lat" '$1 == "dispatch" && $5 == l && $7 == "flat" { print $4, $10, $11 }' "$CSV" |
			sort -n >"$OUT/lat-$lat.dat"
	done
	plots=""; plots2=""
	for lat in $LATS; do
		plots="$plots${plots:+, }'$OUT/lat-$lat.dat' using 1:2 with points pointsize 1.5 title '$lat us'"
		plots2="$plots2${plots2:+, }'$OUT/lat-$lat.dat' using 1:3 with points pointsize 1.5 title '$lat us'"
	done
	gnuplot <<EOF
set terminal png size 800,500
set datafile separator " "
set xlabel "MPI ranks (all node counts)"
set output "$OUT/rate.png"
set ylabel "numbers/s (dispatch-bound, --chunk 43)"
set key top left
plot $plots
set output "$OUT/rank0.png"
set ylabel "rank 0 busy CPU per number (us)"
plot $plots2
EOF
	echo "bench-cluster: $CSV, $OUT/rate.png, $OUT/rank0.png"
else
	echo "bench-cluster: $CSV (no gnuplot: make deps-bench)"
fi
