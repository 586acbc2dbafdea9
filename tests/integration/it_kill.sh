#!/usr/bin/env bash
# tests/integration/it_kill.sh - checkpoint and resume under kills, without Slurm.
#
# 1. kill-9: a checkpointed batch is killed with SIGKILL (every process of
#    the job: mpirun and all ranks, as a node failure or a hard scancel)
#    at a random moment, KILL_ROUNDS times (default 20), resumed each time
#    with the same --checkpoint; then run to the end.  The final output
#    must be byte-identical to an uninterrupted run: results lost 0,
#    results repeated 0.  After every kill the --output file is absent (it
#    is renamed into place only when complete) or complete.
# 2. term: the same with SIGTERM sent to every rank (what Slurm does at the
#    time limit), TERM_ROUNDS times (default 20): each interrupted run must
#    exit with status 75, every rank gone within TERM_MAX_S seconds of the
#    signal (default 5: a generous bound on a loaded 2-core machine; the
#    median is printed), leave no process behind, and the resumed output
#    must be identical too.
#
# With --output and more than one rank the workers write the file and the
# journal places their blocks (proto.h 3b, journal.h); it_kill_mpiio.sh
# runs this at -np 3 with every worker slowed (KILL_NP, KILL_FAULT_RANK).
#
# The workload is made slow on purpose and cheap in CPU (test-only fault:
# worker rank 1 sleeps 40 ms per chunk of 4; 2 ranks), so a run lasts about
# 10 s whatever the machine's load, and 20 kills 0.1-1.2 s after each start
# (MPI start-up included) land before the job is done.  Kill moments are
# random from KILL_SEED (printed) for repeatability.
#
# A --checkpoint that writes no journal is a failure (no skip): the rounds
# would otherwise pass without testing anything.  Total about 2 minutes on
# the 2-core machine (20 + 20 rounds, three 10-13 s full runs); fewer
# rounds with KILL_ROUNDS / TERM_ROUNDS.
#
# Signal-to-exit is measured until every rank is gone: rank 0 itself
# exits about 0.1 s after the signal; a worker sometimes waits 2-4 s more
# in PMIx_Finalize while mpirun tears the job down after rank 0's non-zero
# exit (seen with gdb: Open MPI's teardown, not the program).
set -u
. "$(dirname "$0")/../lib.sh"

NP=${KILL_NP:-2}
FAULT_RANK=${KILL_FAULT_RANK:-1} # 2147483647: every worker (it_kill_mpiio.sh)
KILL_ROUNDS=${KILL_ROUNDS:-20}
TERM_ROUNDS=${TERM_ROUNDS:-20}
TERM_MAX_S=${TERM_MAX_S:-5}
KILL_SEED=${KILL_SEED:-$$}
RANDOM=$KILL_SEED
JOB=(--count 1000 --start 999999999999 --chunk 4 --quiet
	--test-fault slow --test-fault-rank "$FAULT_RANK" --test-fault-ms 40)

# ---- the uninterrupted reference ----
t0=$(date +%s.%N)
run_np "$NP" "${JOB[@]}" --output "$TMP/ref.out"
check "uninterrupted run exits 0" [ $? -eq 0 ]
echo "     uninterrupted run: $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s"
python3 -c 'print("\n".join(str(999999999999 + 2 * i) for i in range(1000)))' | factor >"$TMP/factor.out"
check_files "uninterrupted run = GNU factor" "$TMP/factor.out" "$TMP/ref.out"

run_np 2 --count 3 --quiet --checkpoint "$TMP/probe.journal" --output "$TMP/probe.out" 2>/dev/null
if [ "$(head -c 4 "$TMP/probe.journal" 2>/dev/null)" != FZJH ]; then
	fail "--checkpoint writes a journal"
	summary
	exit
fi
pass "--checkpoint writes a journal"

# ---- helpers ----
session_pids() { ps -eo pid=,sid= | awk -v s="$1" '$2 == s { print $1 }'; }
rank_pids() { ps -eo pid=,sid=,comm= | awk -v s="$1" '$2 == s && $3 == "factorize" { print $1 }'; }

# start OUT JOURNAL: the job in a session of its own; sets $job.
start() {
	setsid $MPIRUN $MPIRUN_FLAGS -np "$NP" "$TOP/factorize" "${JOB[@]}" \
		--output "$1" --checkpoint "$2" 2>>"$TMP/stderr.log" &
	job=$!
}

# finish: wait for $job; sets $rc; fails when processes are left behind.
finish() {
	local left
	wait "$job"
	rc=$?
	for _ in $(seq 40); do
		left=$(session_pids "$job")
		[ -z "$left" ] && break
		sleep 0.05
	done
	if [ -n "$left" ]; then
		fail "no process left behind (job $job)" "$(echo "$left" | tr '\n' ' ')"
		echo "$left" | xargs -r kill -KILL
		# gone before the next run: a survivor would hold the lock
		for _ in $(seq 40); do
			[ -z "$(session_pids "$job")" ] && break
			sleep 0.05
		done
	fi
}

# lost_repeated REF OUT: "lost repeated" counts of lines (multisets).
lost_repeated() {
	python3 -c 'import collections, sys
a = collections.Counter(open(sys.argv[1]).read().splitlines())
b = collections.Counter(open(sys.argv[2]).read().splitlines())
print(sum((a - b).values()), sum((b - a).values()))' "$1" "$2"
}

rand_ms() { echo $((100 + RANDOM % 1100)); } # 0.1 .. 1.2 s, start-up included

# partial_ok OUT: after an interrupted run the output is absent or complete.
partial_ok() { [ ! -e "$1" ] || cmp -s "$1" "$TMP/ref.out"; }

echo "     kill moments from KILL_SEED=$KILL_SEED"

# ---- 1. SIGKILL rounds ----
out="$TMP/kill.out" journal="$TMP/kill.journal"
killed=0 finished_early=0 partial_bad=0
for ((i = 1; i <= KILL_ROUNDS; i++)); do
	start "$out" "$journal"
	sleep "$(awk -v m="$(rand_ms)" 'BEGIN { print m / 1000 }')"
	pids=$(session_pids "$job")
	if kill -0 "$job" 2>/dev/null; then
		echo "$pids" | xargs -r kill -KILL 2>/dev/null
		killed=$((killed + 1))
	else
		finished_early=$((finished_early + 1))
	fi
	finish
	partial_ok "$out" || partial_bad=$((partial_bad + 1))
done
check "kill-9: $killed kills mid-run ($finished_early runs ended first)" [ "$killed" -ge $((KILL_ROUNDS / 2)) ]
check "kill-9: output never partial after a kill" [ "$partial_bad" -eq 0 ]
start "$out" "$journal"
finish
check "kill-9: resumed run exits 0" [ "$rc" -eq 0 ]
check_files "kill-9: final output = uninterrupted run" "$TMP/ref.out" "$out"
read -r lost repeated < <(lost_repeated "$TMP/ref.out" "$out")
echo "     kill-9: kills survived $killed, results lost $lost, results repeated $repeated"
check "kill-9: results lost 0, repeated 0" [ "$((lost + repeated))" -eq 0 ]

# ---- 2. SIGTERM rounds ----
out="$TMP/term.out" journal="$TMP/term.journal"
termed=0 bad_rc=0 slow=0 times=""
for ((i = 1; i <= TERM_ROUNDS; i++)); do
	start "$out" "$journal"
	sleep "$(awk -v m="$(rand_ms)" 'BEGIN { print m / 1000 }')"
	if ! kill -0 "$job" 2>/dev/null; then
		finish
		continue
	fi
	ranks=$(rank_pids "$job")
	# under load mpirun may not have started every rank yet (a signal
	# to none would let this round run to the end of the job), or a rank
	# may not have reached its handler yet (catching_term)
	for _ in $(seq 200); do
		[ "$(echo "$ranks" | grep -c .)" -ge "$NP" ] &&
			catching_term $ranks && break
		sleep 0.01
		ranks=$(rank_pids "$job")
	done
	ts=$(date +%s.%N)
	echo "$ranks" | xargs -r kill -TERM 2>/dev/null # a rank may have ended
	# The program's exit: every rank gone (mpirun's own teardown after a
	# non-zero exit adds about 2 s more and is not the program's).
	for _ in $(seq 1000); do
		alive=0
		for p in $ranks; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ "$alive" = 0 ] && break
		sleep 0.01
	done
	dt=$(awk -v a="$ts" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
	finish
	if [ "$rc" -eq 0 ]; then
		continue # finished before the signal arrived
	fi
	termed=$((termed + 1))
	times="$times $dt"
	[ "$rc" -eq 75 ] || { bad_rc=$((bad_rc + 1)); echo "     term round $i: exit status $rc, not 75"; }
	awk -v t="$dt" -v m="$TERM_MAX_S" 'BEGIN { exit !(t > m) }' && slow=$((slow + 1))
	partial_ok "$out" || partial_bad=$((partial_bad + 1))
done
check "term: $termed runs interrupted" [ "$termed" -ge $((TERM_ROUNDS / 2)) ]
check "term: every interrupted run exits 75" [ "$bad_rc" -eq 0 ]
check "term: signal to exit within ${TERM_MAX_S}s" [ "$slow" -eq 0 ]
check "term: output never partial after a signal" [ "$partial_bad" -eq 0 ]
# shellcheck disable=SC2086 # $times is a list
echo "     term: signal to exit (s): median $(printf '%s\n' $times | sort -n | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print "-" }'), max $(printf '%s\n' $times | sort -n | tail -1)"
start "$out" "$journal"
finish
check "term: resumed run exits 0" [ "$rc" -eq 0 ]
check_files "term: final output = uninterrupted run" "$TMP/ref.out" "$out"
read -r lost repeated < <(lost_repeated "$TMP/ref.out" "$out")
echo "     term: results lost $lost, results repeated $repeated"
check "term: results lost 0, repeated 0" [ "$((lost + repeated))" -eq 0 ]

summary
