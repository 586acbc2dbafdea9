#!/usr/bin/env bash
# tests/integration/it_mpi_variants.sh - the program under other MPI paths (issue 4):
#   1. MPICH: a second build (make MPI=mpich BUILD=build/mpich) launched
#      with mpirun.mpich (Hydra);
#   2. Open MPI forced onto its TCP transport over loopback
#      (--mca btl tcp,self --mca btl_tcp_if_include lo), a network path.
# Each run checks the MPI size the program saw (--stats JSON): a launcher
# that does not match the library silently starts N 1-rank programs.
# Oracles: GNU factor (classic job), jobs/bench/*.expect, byte identity
# with the default build.  Ends with the verdict line of tests/lib.sh.
set -u
. "$(dirname "$0")/../lib.sh"
export LC_ALL=C
T=$TMP

size_is() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["size"]==int(sys.argv[2]) else 1)' "$1" "$2" 2>/dev/null
}

seq 999999999999 2 1000000001995 | factor >"$T/classic.ref"

# variant NAME NP REF ARGS...: uses MPIRUN, MPIRUN_FLAGS and FACTORIZE
variant() {
	local name=$1 np=$2 ref=$3; shift 3
	local out="$T/v.$RANDOM" st="$T/s.$RANDOM" rc
	run_np "$np" --stats "$st" --quiet "$@" >"$out" 2>"$out.err"; rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "$name -np $np: exit $rc" "$(head -3 "$out.err" | tr '\n' '|')"
		return
	fi
	if ! size_is "$st" "$np"; then
		fail "$name -np $np: program saw MPI size $np" "$(grep -o '"size": *[0-9]*' "$st")"
		return
	fi
	check_files "$name -np $np: output" "$ref" "$out"
}

# 1. MPICH
if command -v mpicc.mpich >/dev/null && command -v mpirun.mpich >/dev/null; then
	if make -s -C "$TOP" MPI=mpich BUILD=build/mpich build/mpich/factorize >"$T/mk.log" 2>&1; then
		pass "MPICH build (mpicc.mpich, same warnings)"
		for np in 1 2 4; do
			MPIRUN=mpirun.mpich MPIRUN_FLAGS= FACTORIZE="$TOP/build/mpich/factorize" \
				variant "MPICH classic" "$np" "$T/classic.ref" --count 999 --chunk 43
		done
		MPIRUN=mpirun.mpich MPIRUN_FLAGS= FACTORIZE="$TOP/build/mpich/factorize" \
			variant "MPICH MIX" 3 "$TOP/jobs/bench/MIX.expect" --input "$TOP/jobs/bench/MIX.txt"
		# --group-size node: MPI_Comm_split_type under MPICH too
		MPIRUN=mpirun.mpich MPIRUN_FLAGS= FACTORIZE="$TOP/build/mpich/factorize" \
			variant "MPICH --group-size node" 4 "$T/classic.ref" --count 999 \
			--chunk 43 --group-size node
		# A wrong launcher must be caught by the size check, not pass silently.
		if command -v mpirun.openmpi >/dev/null; then
			st="$T/wrong.json"
			timeout 60 mpirun.openmpi --oversubscribe -np 2 "$TOP/build/mpich/factorize" \
				--stats "$st" --quiet --count 9 >/dev/null 2>&1
			if [ -f "$st" ] && size_is "$st" 2; then
				fail "wrong launcher (Open MPI mpirun, MPICH binary) is visible in the size"
			else
				pass "wrong launcher (Open MPI mpirun, MPICH binary) is visible in the size"
			fi
		fi
	else
		fail "MPICH build" "$(tail -3 "$T/mk.log" | tr '\n' '|')"
	fi
else
	fail "MPICH installed (mpicc.mpich, mpirun.mpich: make deps)"
fi

# 2. Open MPI over TCP on loopback
TCP="--oversubscribe --mca btl tcp,self --mca btl_tcp_if_include lo"
for np in 2 4; do
	MPIRUN=mpirun MPIRUN_FLAGS="$TCP" variant "Open MPI TCP classic" "$np" "$T/classic.ref" --count 999 --chunk 43
done
MPIRUN=mpirun MPIRUN_FLAGS="$TCP" variant "Open MPI TCP S64" 3 "$TOP/jobs/bench/S64.expect" --input "$TOP/jobs/bench/S64.txt"
MPIRUN=mpirun MPIRUN_FLAGS="$TCP" variant "Open MPI TCP tiny chunks" 4 "$T/classic.ref" --count 999 --chunk 1

summary
