#!/usr/bin/env bash
# tests/bench/bench-e2e.sh - the whole job's wall time against one process,
# the way a user measures scaling (issue 17), run by `make bench-e2e`.
#
#   range  ./factorize --count N --start 999999999999 --step 2 --output F
#   input  ./factorize --input I --output F   (I: M numbers from 10^12)
#
# each in one process and under mpirun -np 2 and -np 3 (rank 0 and one or
# two workers), the -np runs both with the workers writing the file
# (proto.h 3b, the default) and with rank 0 writing it
# (--test-rank0-writes, the byte path), in interleaved rounds.  Prints per
# case the median wall and CPU (user + sys of the whole command), rank 0's
# CPU from --stats, the speed-up of the median wall against one process
# (started directly: no MPI; np1-mpi is the same as an MPI singleton,
# FACTORIZE_MPI=1), and the job's own wall time from --stats ("job":
# from the start of rank 0's loop to its end, without the launcher and
# MPI's start and end) with its speed-up; every output is compared with
# the one-process file.  First it prints the start-up every run pays: the
# wall of a job of one number at each rank count.
#
# Knobs: N (20000000), M (10000000), ROUNDS (3), CASES ("range input").
# Wall times are only meaningful on a quiet machine: the script prints the
# load average before it starts.
set -u
cd "$(dirname "$0")/../.."
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export LC_ALL=C
: "${MPIRUN:=mpirun}"
: "${MPIRUN_FLAGS=--oversubscribe}"
N=${N:-20000000}
M=${M:-10000000}
ROUNDS=${ROUNDS:-3}
CASES=${CASES:-"range input"}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/factorize-e2e.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
status=0

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $ROUNDS rounds"
median() { sort -g | awk '{a[NR]=$1} END{if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# one LABEL NP EXTRA...: run the case once, append wall, cpu, rank 0 cpu
one() {
	local label=$1 np=$2; shift 2
	local cmd=(./factorize "${JOB[@]}" --output "$TMP/out" --stats "$TMP/st.json" --quiet "$@")
	[ "$np" -gt 1 ] && cmd=($MPIRUN $MPIRUN_FLAGS -np "$np" "${cmd[@]}")
	rm -f "$TMP/out"
	/usr/bin/time -f "%e %U %S" -o "$TMP/time" "${cmd[@]}" 2>/dev/null ||
		{ echo "FAILED: ${cmd[*]}"; status=1; return; }
	cmp -s "$TMP/out" "$TMP/ref" || { echo "DIFFERS: ${cmd[*]}"; status=1; }
	read -r w u s <"$TMP/time"
	echo "$w" >>"$TMP/$label.wall"
	echo "$u + $s" | bc >>"$TMP/$label.cpu"
	python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
print(d["rank0_cpu_seconds"], d["wall_seconds"])' "$TMP/st.json" >"$TMP/r0job"
	read -r r0 job <"$TMP/r0job"
	echo "$r0" >>"$TMP/$label.r0"
	echo "$job" >>"$TMP/$label.job"
}

# startup NP: the median wall of a job of one number (the launcher, MPI's
# start and end, no work): what every run above pays once.
startup() {
	local i cmd=(./factorize --count 1 --quiet)
	[ "$1" = mpi1 ] && cmd=(env FACTORIZE_MPI=1 "${cmd[@]}")
	[ "$1" -gt 1 ] 2>/dev/null && cmd=($MPIRUN $MPIRUN_FLAGS -np "$1" "${cmd[@]}")
	for i in 1 2 3 4 5; do
		/usr/bin/time -f "%e" -o "$TMP/time" "${cmd[@]}" >/dev/null 2>&1
		cat "$TMP/time"
	done | median
}
printf 'start-up (wall of --count 1, median of 5): np1 %s s, np1 as an MPI singleton %s s, np2 %s s, np3 %s s\n' \
	"$(startup 1)" "$(startup mpi1)" "$(startup 2)" "$(startup 3)"

for c in $CASES; do
	case $c in
	range) JOB=(--count "$N" --start 999999999999 --step 2) ;;
	input)
		seq 1000000000000 $((1000000000000 + M - 1)) >"$TMP/in.txt"
		JOB=(--input "$TMP/in.txt") ;;
	*) echo "unknown case $c" >&2; exit 2 ;;
	esac
	./factorize "${JOB[@]}" --output "$TMP/ref" --quiet
	rm -f "$TMP"/*.wall "$TMP"/*.cpu "$TMP"/*.r0 "$TMP"/*.job
	for _ in $(seq "$ROUNDS"); do
		one np1 1
		FACTORIZE_MPI=1 one np1-mpi 1
		one np2 2
		one np3 3
		one np2-rank0 2 --test-rank0-writes
		one np3-rank0 3 --test-rank0-writes
	done
	base=$(median <"$TMP/np1.wall")
	jbase=$(median <"$TMP/np1.job")
	printf '%-6s %-10s %8s %8s %8s %8s %8s %8s\n' case run wall cpu rank0 speedup job job-x
	for l in np1 np1-mpi np2 np3 np2-rank0 np3-rank0; do
		w=$(median <"$TMP/$l.wall")
		j=$(median <"$TMP/$l.job")
		printf '%-6s %-10s %8.2f %8.2f %8.2f %7.2fx %8.2f %7.2fx\n' "$c" "$l" "$w" \
			"$(median <"$TMP/$l.cpu")" "$(median <"$TMP/$l.r0")" \
			"$(echo "$base / $w" | bc -l)" "$j" "$(echo "$jbase / $j" | bc -l)"
	done
done
exit $status
