#!/usr/bin/env bash
# tests/slurm/test-slurm.sh - the slurm/ scripts on a real Slurm cluster
# (single node on localhost, tests/slurm/local-cluster.sh), run by
# `make test-slurm`.  Ends with the verdict line "N passed, N failed".
#
#   1. classic-4-tasks: factorize.sbatch with 4 tasks; output equals GNU
#      factor's, the job COMPLETED, and the program saw MPI size 4.
#   2. wrong-mpi-plugin-caught (planted fault): the same with srun
#      --mpi=none, which starts 4 separate 1-rank programs; the job must
#      not end COMPLETED.
#   3. signal-requeue-resume: a longer checkpointed job (2 tasks, one made
#      slow by the test-only fault option) gets SIGUSR1
#      (scancel --signal=USR1 --batch, as --signal=B:USR1@60 would) after
#      its journal holds some chunks; the program exits 75, the script
#      requeues, the second run resumes; the output is byte-identical to an
#      uninterrupted run and to GNU factor.  Skipped (not counted) while
#      ./factorize does not write a journal for --checkpoint.
#   4. array-merge: array.sbatch --array=0-2 over an input file, then
#      merge.sh; the merged output equals GNU factor's on the whole file.
#
# Each test prints its duration; the cluster start time is printed too.
# The cluster is stopped at the end only if this script started it
# (SLURM_KEEP=1 leaves it running).  FZ_MPI=mpich tests an MPICH build
# (make MPI=mpich), launched with srun --mpi=pmi2.
set -u
. "$(dirname "$0")/../lib.sh"
cd "$TOP" || exit 1
CLUSTER="$TOP/tests/slurm/local-cluster.sh"
[ -x ./factorize ] || { fail "factorize-built" "./factorize missing: run make"; summary; exit 1; }

started=0
if ! SLURM_CONF=${SLURM_LOCAL_DIR:-/tmp/slurm-local}/slurm.conf sinfo -h >/dev/null 2>&1; then
	started=1
fi
t0=$(date +%s.%N)
"$CLUSTER" start || { fail "cluster-start"; summary; exit 1; }
eval "$("$CLUSTER" env)"
echo "cluster start: $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
cleanup() {
	[ "$started" = 1 ] && [ -z "${SLURM_KEEP:-}" ] && "$CLUSTER" stop >/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT

# wait_gone ID SECONDS: poll squeue until job (or array) ID left the queue.
wait_gone() {
	local i
	for ((i = 0; i < $2 * 4; i++)); do
		[ -z "$(squeue -h -j "$1" -o %i 2>/dev/null)" ] && return 0
		sleep 0.25
	done
	echo "     job $1 still queued after $2 s; cancelling"
	scancel "$1"
	return 1
}
job_state() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -1; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
# progression START STEP COUNT: the numbers, one a line.
progression() { python3 -c 'import sys
s, k, n = map(int, sys.argv[1:])
print("\n".join(str(s + i * k) for i in range(n)))' "$@"; }
submit() { sbatch --parsable "$@" | cut -d';' -f1; }

export FACTORIZE="$TOP/factorize" FZ_HOME="$TOP"

# ---- 1. classic job on 4 tasks ----
t=$(date +%s.%N)
d="$TMP/classic"; mkdir -p "$d"
progression 999999999999 2 999 | factor >"$d/expected"
id=$(FZ_OUTDIR="$d" submit -n 4 -D "$d" slurm/factorize.sbatch)
wait_gone "$id" 120
check_files "classic-4-tasks output = GNU factor" "$d/expected" "$d/factorize-$id.out"
check "classic-4-tasks job COMPLETED" [ "$(job_state "$id")" = COMPLETED ]
check "classic-4-tasks MPI size 4" grep -q "MPI size 4" "$d/factorize-$id.log"
echo "     classic-4-tasks: $(elapsed "$t") s"

# ---- 2. planted fault: wrong launcher plugin ----
t=$(date +%s.%N)
d="$TMP/wrongmpi"; mkdir -p "$d"
id=$(FZ_OUTDIR="$d" FZ_SRUN_OPTS="--mpi=none" FZ_COUNT=99 submit -n 4 -D "$d" slurm/factorize.sbatch)
wait_gone "$id" 120
st=$(job_state "$id")
if [ -n "$st" ] && [ "$st" != COMPLETED ]; then pass "wrong-mpi-plugin-caught (job $st)"; else
	fail "wrong-mpi-plugin-caught" "job state '$st': 4 separate 1-rank programs went unnoticed"; fi
grep -E "MPI size|failed" "$d"/factorize-*.log | head -2 | sed 's/^/     /'
echo "     wrong-mpi-plugin-caught: $(elapsed "$t") s"

# ---- 3. signal, requeue, resume ----
t=$(date +%s.%N)
d="$TMP/requeue"; mkdir -p "$d"
# Slow on purpose, cheap in CPU: worker rank 1 sleeps 40 ms per chunk of
# 4 (test-only fault), 2 tasks: about 8 s whatever the machine's load.
REQUEUE_COUNT=800
probe="$d/probe.journal"
./factorize --quiet --count 3 --checkpoint "$probe" --output "$d/probe.out" 2>/dev/null
if [ "$(head -c 4 "$probe" 2>/dev/null)" != FZJH ]; then
	echo "skip signal-requeue-resume: ./factorize --checkpoint writes no journal yet"
else
	progression 999999999999 2 "$REQUEUE_COUNT" | factor >"$d/expected"
	id=$(FZ_OUTDIR="$d" FZ_COUNT="$REQUEUE_COUNT" FZ_CHUNK=4 \
		FZ_OPTS="--test-fault slow --test-fault-rank 1 --test-fault-ms 40" \
		submit -n 2 -D "$d" slurm/factorize.sbatch)
	j="$d/factorize-$id.journal"
	# Signal once the journal holds a few records but the job is not done.
	for ((i = 0; i < 400; i++)); do
		sz=$(stat -c %s "$j" 2>/dev/null || echo 0)
		[ "$sz" -gt 2000 ] && break
		sleep 0.05
	done
	scancel --signal=USR1 --batch "$id"
	ts=$(date +%s.%N)
	wait_gone "$id" 300
	check "signal-requeue-resume job COMPLETED" [ "$(job_state "$id")" = COMPLETED ]
	check "signal-requeue-resume requeued once" grep -q "requeueing job $id" "$d/factorize-$id.log"
	check "signal-requeue-resume second run" grep -q "job $id run 1" "$d/factorize-$id.log"
	check_files "signal-requeue-resume output = GNU factor" "$d/expected" "$d/factorize-$id.out"
	grep -E "s after the signal" "$d/factorize-$id.log" | sed 's/^/     /'
	echo "     signal-requeue-resume: signal to completion $(elapsed "$ts") s (includes the requeue delay)"
fi
echo "     signal-requeue-resume: $(elapsed "$t") s"

# ---- 4. job array and merge ----
t=$(date +%s.%N)
d="$TMP/array"; mkdir -p "$d"
python3 -c 'import random
r = random.Random(5)
for i in range(301):
    print(r.randrange(2, 10**r.randrange(2, 25)))' >"$d/numbers.txt"
factor <"$d/numbers.txt" >"$d/expected"
id=$(FZ_OUTDIR="$d" FZ_INPUT="$d/numbers.txt" submit --array=0-2 -n 2 -D "$d" slurm/array.sbatch)
wait_gone "$id" 180
bash slurm/merge.sh "$id" "$d" >"$d/merge.log" 2>&1
check "array-merge merge.sh succeeded" [ -f "$d/factorize-$id.out" ]
check_files "array-merge output = GNU factor" "$d/expected" "$d/factorize-$id.out"
rm -f "$d/factorize-$id.part-00001.out"
check "array-merge refuses a missing part" bash -c "! bash slurm/merge.sh $id $d 2>/dev/null"
echo "     array-merge: $(elapsed "$t") s"

summary
