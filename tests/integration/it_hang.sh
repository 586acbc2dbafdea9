#!/usr/bin/env bash
# tests/integration/it_hang.sh - a worker that stops answering (issue 19).
#
# A checkpointed job runs under mpirun -np 3 (rank 0 and two workers); one
# worker (found by its OMPI_COMM_WORLD_RANK / PMI_RANK among this job's own
# processes) is stopped with SIGSTOP at the start, in the middle (40% of
# the journal written) and near the end (80%).  Each time the job must
# finish: output byte-identical to an uninterrupted run, exit status 4
# (CLI_EXIT_HUNG), a message naming the rank, --stats naming it in
# hung_ranks, within HANG_BOUND_S of the stop.  A rerun with the same
# --checkpoint completes byte-identical, 0 lost, 0 repeated.  SIGSTOP then
# SIGCONT 1 s later (before the 5 s floor of the learned deadline): exit 0,
# no event, nothing re-issued.  A worker slowed to 3 s per chunk by the
# test-only --test-fault slow with --worker-timeout 2: its heartbeats keep
# it alive (exit 0, no event).  A worker at under a fifth of the speed: never
# late, less work than the fast one, a short tail.  Every stopped process
# is killed in a trap
# (only this job's: descendants of its mpirun).  Ends with the verdict
# line of tests/lib.sh.
set -u
. "$(dirname "$0")/../lib.sh"
export LC_ALL=C
T=$TMP

# The deadline floor is 5 s (sched.h SCHED_LIVE_FLOOR_NS); the job ends at
# most one deadline after the stop plus the time the other worker needs
# for the rest (a 3.7 s job alone): 30 s leaves room for a busy machine.
HANG_BOUND_S=30
# --chunk 50: many small chunks, so that each stop lands at the fraction
# asked.  A larger RESULT (a rendezvous) whose sender is stopped mid-send
# no longer blocks rank 0 (transport.c, pending receives): a leader's
# RESULTs are always that large, and it_hang_group.sh stops leaders.
ARGS=(--count 100000 --start 100000000000000000000 --step 7 --chunk 50 --quiet)



# 4; or mpirun's own crash or hang in its teardown (wait_job, README):
# 128 + signal (not 137, a kill by the test's timeout) or "teardown"
hung_status_ok() {
	case $rc in teardown | 4) return 0 ;; esac
	[ "$rc" -gt 128 ] && [ "$rc" -ne 137 ]
}

trap kill_stopped EXIT

t_ref0=$(date +%s.%N)
run_np 3 "${ARGS[@]}" --checkpoint "$T/jref" --output "$T/ref.txt" 2>"$T/ref.err"
t_ref=$(echo "$(date +%s.%N) - $t_ref0" | bc)
check "uninterrupted reference run" test -s "$T/ref.txt"
full=$(stat -c %s "$T/jref")
echo "     reference run: ${t_ref}s, journal $full bytes"

# "At the start" is once the first chunk is journaled: a rank stopped
# before MPI_Init completes holds every rank in MPI_Init (no program code
# runs yet; mpirun's business).
for when in 0.02 0.4 0.8; do
	[ "$when" = 0.02 ] && victim=1 || victim=2
	# in the middle a fixed 1 s deadline, so that the chunks are re-issued
	# while the other worker is still busy (the learned 5 s floor is longer
	# than the rest of this job: the end-game speculation wins)
	extra=()
	[ "$when" = 0.4 ] && extra=(--worker-timeout 1)
	start_job 3 "${ARGS[@]}" "${extra[@]}"
	find_victim "$victim" || { fail "$when: rank $victim found"; wait "$job"; continue; }
	if ! wait_journal "$full" "$when"; then
		fail "$when: journal reached $when of the full one"; wait "$job"; continue
	fi
	kill -STOP "$pid"; stopped="$stopped $pid"
	t_stop=$(date +%s.%N)
	wait_job # rc and secs; rc "teardown" for mpirun's own hang (lib.sh)
	kill -CONT "$pid" 2>/dev/null; kill -KILL "$pid" 2>/dev/null
	late=$(grep -o '"seconds": [0-9.]*, "chunks": [0-9]*' "$T/st.json" 2>/dev/null | head -1)
	echo "     rank $victim stopped at $when: status $rc after ${secs}s (late event: $late)"
	# 4; or, when Open MPI's teardown resumes the stopped rank and it
	# dies on the torn-down shared memory, mpirun's status for that
	# signal (128 + n): seen once in five runs here (README)
	check "stop at $when: exit status 4 (or mpirun's 128+signal, or its teardown hang)" \
		hung_status_ok
	check_files "stop at $when: output identical to the uninterrupted run" "$T/ref.txt" "$T/out.txt"
	check "stop at $when: a message names rank $victim" \
		grep -q "rank $victim stopped answering" "$T/err"
	check "stop at $when: --stats lists rank $victim in hung_ranks" \
		grep -q "\"hung_ranks\": \[$victim\]" "$T/st.json"
	# how many were re-issued depends on the timing (the other worker may
	# have copied them in the end-game first): shown, not checked; the
	# unit tests (test_sched, test_live_*) check the re-issue itself
	echo "     $(grep -o '"reissued": [0-9]*' "$T/st.json")"
	check "stop at $when: the job ended within ${HANG_BOUND_S}s of the stop (${secs}s)" \
		test "$(echo "$secs < $HANG_BOUND_S" | bc)" = 1
	# rerun with the same journal: everything comes from it
	run_np 3 "${ARGS[@]}" --checkpoint "$T/j" --output "$T/out2.txt" 2>"$T/err2"; rc=$?
	check "stop at $when: rerun with the same --checkpoint exits 0" test "$rc" -eq 0
	check_files "stop at $when: rerun output identical" "$T/ref.txt" "$T/out2.txt"
	lost=$(comm -23 <(sort "$T/ref.txt") <(sort "$T/out2.txt") | wc -l)
	dup=$(sort "$T/out2.txt" | uniq -d | wc -l)
	check "stop at $when: rerun lost 0 ($lost), repeated 0 ($dup)" \
		test "$lost" -eq 0 -a "$dup" -eq 0
done

# SIGSTOP, then SIGCONT after 1 s: below every deadline, nothing happens.
start_job 3 "${ARGS[@]}"
if find_victim 2 && wait_journal "$full" 0.3; then
	kill -STOP "$pid"; stopped="$stopped $pid"
	sleep 1
	kill -CONT "$pid"
	wait "$job"; rc=$?
	check "stop 1 s then continue: exit 0" test "$rc" -eq 0
	check_files "stop 1 s then continue: output identical" "$T/ref.txt" "$T/out.txt"
	check "stop 1 s then continue: no late event, nothing re-issued" \
		grep -q '"late_events": 0,' "$T/st.json"
	check "stop 1 s then continue: reissued 0" grep -q '"reissued": 0,' "$T/st.json"
else
	fail "stop then continue: rank 2 found and the journal at 30%"; wait "$job"
fi

# Heartbeats: rank 1 takes 3 s per chunk (sleeping through the stop hook,
# as a long number polls it) under --worker-timeout 2: never late.
rm -f "$T/st.json"
run_np 3 --count 400 --chunk 100 --quiet --test-fault slow --test-fault-rank 1 \
	--test-fault-ms 3000 --worker-timeout 2 --stats "$T/st.json" \
	>"$T/slow.txt" 2>"$T/slow.err"; rc=$?
run_np 1 --count 400 --quiet >"$T/slowref.txt" 2>/dev/null
check "heartbeats: a worker 3 s per chunk under --worker-timeout 2 exits 0" test "$rc" -eq 0
check_files "heartbeats: output identical" "$T/slowref.txt" "$T/slow.txt"
check "heartbeats: no late event" grep -q '"late_events": 0,' "$T/st.json"
check "heartbeats: rank 1 did factor chunks" \
	grep -qE '"rank": 1, "numbers": [1-9]' "$T/st.json"

# Workers writing --output (proto.h 3b; no --checkpoint): rank 2 stopped
# once the file holds 40% of its bytes, with blocks of it accepted and
# placed but not yet written.  Rank 0 writes them itself (recomputed,
# --stats "rewritten") and the job ends like the others: exit 4 (or
# mpirun's teardown), byte-identical output, the rank named.
run_np 1 "${ARGS[@]}" --output "$T/wref.txt" 2>/dev/null
wfull=$(stat -c %s "$T/wref.txt")
rm -f "$T"/*out.txt* "$T/st.json"
run_np 3 "${ARGS[@]}" --output "$T/wout.txt" --worker-timeout 1 \
	--stats "$T/st.json" 2>"$T/err" &
job=$!
grown=0
if find_victim 2; then
	for _ in $(seq 400); do
		sz=$(stat -c %s "$T"/.wout.txt.* "$T"/wout.txt.* 2>/dev/null | sort -n | tail -1)
		[ "${sz:-0}" -ge $((wfull * 4 / 10)) ] && { grown=1; break; }
		sleep 0.01
	done
fi
if [ "$grown" = 1 ]; then
	kill -STOP "$pid"; stopped="$stopped $pid"
	t_stop=$(date +%s.%N)
	wait_job
	kill -CONT "$pid" 2>/dev/null; kill -KILL "$pid" 2>/dev/null
	rw=$(grep -o '"rewritten": [0-9]*' "$T/st.json" 2>/dev/null)
	echo "     workers write, rank 2 stopped at 40%: status $rc after ${secs}s ($rw)"
	check "workers write: exit status 4 (or mpirun's teardown)" hung_status_ok
	check_files "workers write: output identical" "$T/wref.txt" "$T/wout.txt"
	check "workers write: a message names rank 2" \
		grep -q "rank 2 stopped answering" "$T/err"
else
	fail "workers write: rank 2 found and the file at 40%"; wait "$job"
fi

# A slow rank (issue 19): rank 1 at under a fifth of the speed (chunks of
# 1000 numbers above 2^64 take ~14 ms of CPU here, and it sleeps 100 ms
# more after each; at 40 ms a loaded machine slowed the fast rank as much
# and the ranks' shares came out even) is never declared late, does less
# of the work, and the job's tail stays within a few slowed chunks (the
# end-game copies its last chunk to the idle worker); tail_seconds of
# --stats, against 0.5 s (about 4 slowed chunks: room for a busy machine).
SLOW=(--count 40000 --start 100000000000000000000 --step 7 --chunk 1000 --quiet)
rm -f "$T/st.json"
run_np 3 "${SLOW[@]}" --test-fault slow --test-fault-rank 1 --test-fault-ms 100 \
	--stats "$T/st.json" >"$T/slow.txt" 2>"$T/slow.err"; rc=$?
run_np 1 "${SLOW[@]}" >"$T/slowref.txt" 2>/dev/null
check "slow rank: exit 0" test "$rc" -eq 0
check_files "slow rank: output identical" "$T/slowref.txt" "$T/slow.txt"
check "slow rank: never late" grep -q '"late_events": 0,' "$T/st.json"
read -r n1 n2 tail < <(python3 -c 'import json,sys
d = json.load(open(sys.argv[1])); r = {x["rank"]: x["accepted"] for x in d["ranks"]}
print(r[1], r[2], d["tail_seconds"])' "$T/st.json" 2>/dev/null || echo "0 0 9")
echo "     slow rank: rank 1 kept $n1 numbers, rank 2 $n2; tail ${tail}s"
check "slow rank: the slow rank did less than the fast one" test "$n1" -lt "$n2"
check "slow rank: tail under 0.5 s" python3 -c "import sys; sys.exit(not $tail < 0.5)"

summary
