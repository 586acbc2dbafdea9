#!/bin/bash
# tests/bench/bench-coop.sh - one 69-digit semiprime on one and two
# workers (many ranks on one number, proto.h 12-15), run by
# `make bench-coop`.
#
# The first number of jobs/bench/S230.txt runs under mpirun -np 2 (one
# worker) and -np 3 (two workers: the idle one joins the sieve), and -np
# 1 (rank 0 alone) as the anchor, ROUNDS times each, interleaved (1, 2,
# 3, 1, 2, 3, ...) so that a change in the machine's load hits every
# rank count alike; each run's wall seconds come from --stats.  Prints
# the medians and the ratio median(-np 2) / median(-np 3) against the
# target 1.7, and checks every output against jobs/bench/S230.expect.
# The machine has 2 cores: run it when nothing else heavy runs (uptime).
# Environment: ROUNDS (3), LINE (1: which S230 number), MPIRUN,
# MPIRUN_FLAGS, BUILD.  The binary is copied first, so a rebuild during
# the run does not change what is measured.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
OUT=$BUILD/bench-coop
ROUNDS=${ROUNDS:-3}
LINE=${LINE:-1}
MPIRUN=${MPIRUN:-mpirun}
MPIRUN_FLAGS=${MPIRUN_FLAGS---oversubscribe}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_base_warn_component_unused=0
mkdir -p "$OUT"
cp factorize "$OUT/factorize" || exit 1
sed -n "${LINE}p" jobs/bench/S230.txt >"$OUT/in.txt"
n=$(cat "$OUT/in.txt")
want=$(grep "^$n:" jobs/bench/S230.expect)
echo "load before: $(uptime | sed 's/.*load average: //')"
bad=0
for r in $(seq "$ROUNDS"); do
	for np in 1 2 3; do
		$MPIRUN $MPIRUN_FLAGS -np "$np" "$OUT/factorize" --input "$OUT/in.txt" \
			--stats "$OUT/st$np.$r.json" >"$OUT/out$np.$r.txt" 2>/dev/null
		[ "$(cat "$OUT/out$np.$r.txt")" = "$want" ] || { echo "WRONG output at -np $np"; bad=1; }
		w=$(grep -o '"wall_seconds": [0-9.]*' "$OUT/st$np.$r.json" | grep -o '[0-9.]*$')
		j=$(grep -o '"joins": [0-9]*' "$OUT/st$np.$r.json" | grep -o '[0-9]*$')
		echo "round $r -np $np: ${w}s (joins $j)"
		echo "$w" >>"$OUT/wall$np.txt.$$"
	done
done
med() { sort -g "$1" | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'; }
m1=$(med "$OUT/wall1.txt.$$"); m2=$(med "$OUT/wall2.txt.$$"); m3=$(med "$OUT/wall3.txt.$$")
rm -f "$OUT"/wall*.txt.$$
ratio=$(echo "scale=3; $m2 / $m3" | bc)
echo "load after: $(uptime | sed 's/.*load average: //')"
echo "median wall: -np 1 ${m1}s, -np 2 ${m2}s, -np 3 ${m3}s"
ok=$(echo "$ratio >= 1.7" | bc)
echo "ratio -np 2 / -np 3: $ratio (target 1.7: $([ "$ok" = 1 ] && echo pass || echo miss))"
exit $bad
