#!/usr/bin/env bash
# tests/integration/it_fault.sh - a worker rank dies mid-run (issue 6).
#
# A checkpointed job runs under mpirun -np 4; one worker process (found by
# its OMPI_COMM_WORLD_RANK / PMI_RANK) is killed with SIGKILL.  The job must
# end promptly (no hang) with a non-zero status and a message, must not
# leave the output file looking complete, and rerunning the same command
# with the same --checkpoint must finish the batch to output byte-identical
# to an uninterrupted run (results lost 0, repeated 0).  Ends with the
# verdict line of tests/lib.sh.
set -u
. "$(dirname "$0")/../lib.sh"
export LC_ALL=C
T=$TMP

ARGS=(--count 60000 --start 100000000000000000000 --step 7 --chunk 50 --quiet)

run_np 2 "${ARGS[@]}" >"$T/ref.txt" 2>"$T/ref.err"
check "uninterrupted reference run" test -s "$T/ref.txt"



for victim in 2 1; do
	rm -f "$T/j" "$T/out.txt"
	run_np 4 "${ARGS[@]}" --checkpoint "$T/j" --output "$T/out.txt" 2>"$T/err" &
	job=$!
	# Let it journal some chunks first.
	for _ in $(seq 50); do
		[ -s "$T/j" ] && [ "$(stat -c %s "$T/j")" -gt 20000 ] && break
		sleep 0.1
	done
	check "rank $victim: journal holds finished chunks before the kill" \
		test "$(stat -c %s "$T/j" 2>/dev/null || echo 0)" -gt 20000
	pid=$(rank_pid "$victim")
	if [ -z "$pid" ]; then
		fail "rank $victim found to kill (job finished too early?)"
		wait "$job"; continue
	fi
	kill -KILL "$pid"
	killed=$(date +%s.%N)
	wait "$job"; rc=$?
	done_t=$(date +%s.%N)
	secs=$(echo "$done_t - $killed" | bc)
	echo "     rank $victim killed: job ended with status $rc after ${secs}s"
	if [ "$rc" -ne 0 ]; then pass "rank $victim killed: non-zero exit ($rc)"; else
		fail "rank $victim killed: non-zero exit" "exit 0"; fi
	if [ "$(echo "$secs < 30" | bc)" = 1 ]; then pass "rank $victim killed: job ends promptly (${secs}s)"; else
		fail "rank $victim killed: job ends promptly" "${secs}s"; fi
	if [ -s "$T/err" ]; then pass "rank $victim killed: a message on stderr"; else
		fail "rank $victim killed: a message on stderr"; fi
	check "rank $victim killed: no output file left looking complete" test ! -e "$T/out.txt"
	# Resume: the same command, the same journal, no fault.
	run_np 3 "${ARGS[@]}" --checkpoint "$T/j" --output "$T/out.txt" 2>"$T/err2"; rc=$?
	check "rank $victim killed: resumed run exits 0" test "$rc" -eq 0
	check_files "rank $victim killed: resumed output identical to uninterrupted" "$T/ref.txt" "$T/out.txt"
	lost=$(comm -23 <(sort "$T/ref.txt") <(sort "$T/out.txt") | wc -l)
	dup=$(sort "$T/out.txt" | uniq -d | wc -l)
	echo "     results lost: $lost, repeated: $dup ($(wc -l <"$T/out.txt") lines)"
done

summary
