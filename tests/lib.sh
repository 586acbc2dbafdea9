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

# no_control FILE: true when FILE holds neither a carriage return nor an
# escape byte (a log must carry no terminal control codes).  The bracket
# is decoded by bash here: sh leaves $'...' undecoded.
no_control() { ! LC_ALL=C grep -q $'[\r\033]' "$1"; }

# catching_term PID...: true when every PID has a SIGTERM handler in place
# (bit 15 of /proc/PID/status's SigCgt).  A rank is a process as soon as it
# is exec'd, before its dynamic linking and main(): a SIGTERM then kills it
# outright, where the program's handler would give exit 75.
catching_term() {
	local p m
	for p in "$@"; do
		m=$(awk '/^SigCgt:/ { print $2 }' "/proc/$p/status" 2>/dev/null) ||
			return 1
		[ -n "$m" ] && [ $((16#$m & 0x4000)) -ne 0 ] || return 1
	done
}

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

# ---- a job's own processes (never machine-wide: other runs of the same
# test may be on the machine) ----

# descendants PID: every process below PID, depth first.
descendants() {
	local c
	for c in $(pgrep -P "$1"); do echo "$c"; descendants "$c"; done
}

# rank_pid R: the pid of the factorize process with MPI rank R among the
# descendants of $job (Open MPI's or MPICH's rank variable).
rank_pid() {
	local p
	for p in $(descendants "$job"); do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = factorize ] || continue
		if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null |
			grep -qE "^(OMPI_COMM_WORLD_RANK|PMI_RANK)=$1\$"; then
			echo "$p"; return 0
		fi
	done
	return 1
}

# wait_job: wait for the background launcher $job; sets rc and secs (from
# $t_stop).  Open MPI's mpirun (4.1, PMIx as packaged) sometimes crashes
# (status 139) or hangs for ever in its own PMIx_server_finalize after rank
# 0's MPI_Abort when a rank was stopped (gdb: the main thread joins a PMIx
# progress thread that waits on a mutex); every rank has exited by then.
# Such a hang is recognised (no live factorize below $job for TEARDOWN_S
# while mpirun runs on), counted in teardown_hangs, mpirun killed, and rc
# set to "teardown".
TEARDOWN_S=3
teardown_hangs=0
wait_job() {
	local gone=0 live p r
	rc=""
	while kill -0 "$job" 2>/dev/null; do
		live=0
		for p in $(descendants "$job"); do
			[ "$(cat "/proc/$p/comm" 2>/dev/null)" = factorize ] || continue
			case $(ps -o stat= -p "$p" 2>/dev/null) in Z* | "") ;; *) live=1 ;; esac
		done
		if [ "$live" = 0 ]; then
			[ "$gone" = 0 ] && secs=$(echo "$(date +%s.%N) - $t_stop" | bc)
			gone=$((gone + 1))
			if [ "$gone" -ge $((TEARDOWN_S * 10)) ]; then
				for p in $(descendants "$job"); do kill -KILL "$p" 2>/dev/null; done
				rc=teardown
				teardown_hangs=$((teardown_hangs + 1))
				break
			fi
		fi
		sleep 0.1
	done
	wait "$job"
	r=$?
	[ -n "$rc" ] || { rc=$r; secs=$(echo "$(date +%s.%N) - $t_stop" | bc); }
}

# ---- a checkpointed job stopped or killed part way (it_hang.sh,
# it_hang_group.sh) ----

# start_job NP ARGS...: `run_np NP ARGS... --checkpoint $T/j --output
# $T/out.txt --stats $T/st.json` in the background, stderr to $T/err;
# sets job to its pid.
start_job() {
	local np=$1; shift
	rm -f "$T/j" "$T/out.txt" "$T/st.json"
	run_np "$np" "$@" --checkpoint "$T/j" --output "$T/out.txt" \
		--stats "$T/st.json" 2>"$T/err" &
	job=$!
}

# wait_journal FULL FRACTION: until $T/j holds FRACTION of FULL bytes (the
# uninterrupted run's journal); fails after 10 s or when $job has ended.
wait_journal() {
	local want
	want=$(echo "$1 * $2 / 1" | bc)
	for _ in $(seq 1000); do
		[ "$(stat -c %s "$T/j" 2>/dev/null || echo 0)" -ge "$want" ] && return 0
		kill -0 "$job" 2>/dev/null || return 1
		sleep 0.01
	done
	return 1
}

# find_victim R: wait (6 s at most) until $job's rank R exists; sets pid.
find_victim() {
	pid=""
	for _ in $(seq 300); do
		pid=$(rank_pid "$1") && return 0
		sleep 0.02
	done
	return 1
}

# The processes a test stopped (SIGSTOP) go in $stopped; kill_stopped,
# from the test's EXIT trap, wakes and kills them and removes $TMP.
stopped=""
kill_stopped() {
	local p
	for p in $stopped; do kill -CONT "$p" 2>/dev/null; kill -KILL "$p" 2>/dev/null; done
	rm -rf "$TMP"
}

summary() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" -eq 0 ]
}
