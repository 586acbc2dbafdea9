# tests/lib.sh - shared helpers for the script tests: tests/integration/it_*.sh,
# tests/slurm, tests/cluster and tests/sanitize.sh.
#
# Source it, call check/check_eq for each case, and end with `summary`,
# which prints the verdict line "N passed, N failed" and returns non-zero
# when anything failed.  MPIRUN / MPIRUN_FLAGS come from the Makefile
# (Open MPI by default; mpirun.mpich for MPI=mpich).

: "${MPIRUN:=mpirun}"
: "${MPIRUN_FLAGS=--oversubscribe}" # unset only: MPICH builds set it empty
: "${BUILD:=build}"
: "${TIMEOUT:=120}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Keep Open MPI quiet about missing high-speed networks in containers.
export OMPI_MCA_btl_base_warn_component_unused=0
export OMPI_MCA_btl_vader_single_copy_mechanism=none

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHARED="$TOP/../shared"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/factorize-test.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
PASS=0
FAIL=0

pass() { PASS=$((PASS + 1)); printf 'ok   %s\n' "$1"; }
fail() { FAIL=$((FAIL + 1)); printf 'FAIL %s\n' "$1"; [ -n "${2:-}" ] && printf '     %s\n' "$2"; return 0; }

# check NAME CMD...: passes when CMD exits 0.
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }

# check_files NAME A B: passes when the files are byte-identical.
check_files() {
	if cmp -s "$2" "$3"; then pass "$1"; else
		fail "$1" "$(diff "$2" "$3" | head -5 | tr '\n' '|')"; fi
}

# run_np NP ARGS...: the real binary (FACTORIZE, default ./factorize)
# under mpirun and timeout.
run_np() {
	local np=$1; shift
	timeout -k 5 "$TIMEOUT" $MPIRUN $MPIRUN_FLAGS -np "$np" "${FACTORIZE:-$TOP/factorize}" "$@"
}

summary() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}
