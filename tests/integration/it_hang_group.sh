#!/usr/bin/env bash
# tests/integration/it_hang_group.sh - a group leader or a member that stops
# answering (issue 19; --group-size, proto.h GROUPS).
#
# mpirun -np 5 --group-size 2: rank 0, leaders 1 and 3, members 2 and 4.
# A checkpointed job; one rank (found by its OMPI_COMM_WORLD_RANK /
# PMI_RANK among this job's own processes) is stopped with SIGSTOP at the
# start (the first chunk journaled), in the middle (40% of the journal)
# and near the end (80%): member 2 (its leader judges it, group.c) and
# leader 3 (rank 0 judges it and re-issues its whole share).  A stop
# that lands after the victim's last message (exit 0, nobody named: the
# script woke late on a loaded machine) is tried once more at 3/4 of its
# fraction.  Each time:
# output byte-identical to GNU factor's, exit status 4 (or mpirun's
# 128+signal, the Open MPI teardown noted in README), a message naming the
# rank, --stats listing it in hung_ranks, the job ended within
# HANG_BOUND_S of the stop; a rerun with the same --checkpoint completes
# byte-identical.  A member stopped for 1 s and continued: exit 0, no
# event.  A member slowed to 3 s per chunk (--test-fault slow) under
# --worker-timeout 2: its heartbeats reach its leader, the leader's reach
# rank 0: nobody is late.  The ranks stopped are killed in a trap (this
# job's only: descendants of its mpirun).
set -u
. "$(dirname "$0")/../lib.sh"
export LC_ALL=C
T=$TMP

# The learned deadline's floor is 5 s (sched.h): the job ends about one
# deadline after the stop plus the rest of the work; 30 s leaves room for
# a busy machine (as it_hang.sh).
HANG_BOUND_S=30
# --chunk 50: many small chunks, so that each stop lands at the fraction
# asked (a leader's RESULTs are above the eager limit all the same)
ARGS=(--count 40000 --start 100000000000000000000 --step 7 --chunk 50
	--quiet --group-size 2)

# wait_job (tests/lib.sh) tells Open MPI's own teardown hang apart.

trap kill_stopped EXIT

python3 -c 'print("\n".join(str(10**20 + 7 * i) for i in range(40000)))' | factor >"$T/ref.txt"
run_np 5 "${ARGS[@]}" --checkpoint "$T/jref" --output "$T/out0.txt" 2>"$T/ref.err"
check_files "uninterrupted --group-size 2 run = GNU factor" "$T/ref.txt" "$T/out0.txt"
full=$(stat -c %s "$T/jref")

for victim in ${HG_VICTIMS:-2 3}; do
	[ "$victim" = 2 ] && who=member || who=leader
	for when in ${HG_WHENS:-0.01 0.4 0.8}; do
		name="$who $victim stopped at $when"
		# a stop that lands after the victim's last message (the job
		# then ends with exit 0 and names nobody: on a loaded machine
		# the script can wake late) tested nothing: once more, earlier
		for at in "$when" "$(echo "$when * 3 / 4" | bc -l)"; do
			start_job 5 "${ARGS[@]}"
			if ! find_victim "$victim"; then
				outcome=norank; wait "$job"; break
			fi
			if ! wait_journal "$full" "$at"; then
				outcome=nojournal; wait "$job"; break
			fi
			kill -STOP "$pid"; stopped="$stopped $pid"
			t_stop=$(date +%s.%N)
			wait_job
			kill -CONT "$pid" 2>/dev/null; kill -KILL "$pid" 2>/dev/null
			outcome=stopped
			[ "$rc" = 0 ] && ! grep -q "stopped answering" "$T/err" ||
				break
			echo "     $name: the stop came after rank $victim's last message; again at 3/4 of $at"
		done
		case $outcome in
		norank) fail "$name: rank found"; continue ;;
		nojournal) fail "$name: journal reached $at of the full one"; continue ;;
		esac
		echo "     $name: status $rc after ${secs}s; $(grep -o '"reissued": [0-9]*' "$T/st.json" 2>/dev/null)"
		check "$name: exit status 4 (or mpirun's own crash or hang in its teardown)" \
			test "$rc" = teardown -o "$rc" = 4 -o "$rc" = 139
		check_files "$name: output = GNU factor" "$T/ref.txt" "$T/out.txt"
		check "$name: a message names rank $victim" \
			grep -q "rank $victim.* stopped answering" "$T/err"
		check "$name: --stats hung_ranks is [$victim]" \
			grep -q "\"hung_ranks\": \[$victim\]" "$T/st.json"
		check "$name: ended within ${HANG_BOUND_S}s of the stop" \
			test "$(echo "$secs < $HANG_BOUND_S" | bc)" = 1
		[ "$rc" = 4 ] || [ "$rc" = teardown ] || [ "$rc" = 139 ] ||
			{ echo "     its stderr:"; sed 's/^/     | /' "$T/err" | head -20; }
		run_np 5 "${ARGS[@]}" --checkpoint "$T/j" --output "$T/out2.txt" 2>"$T/err2"; rc=$?
		check "$name: rerun with the same --checkpoint exits 0" test "$rc" -eq 0
		check_files "$name: rerun output = GNU factor" "$T/ref.txt" "$T/out2.txt"
	done
done

# A member stopped for 1 s, then continued: below every deadline.
start_job 5 "${ARGS[@]}"
if find_victim 2 && wait_journal "$full" 0.3; then
	kill -STOP "$pid"; stopped="$stopped $pid"
	sleep 1
	kill -CONT "$pid"
	wait "$job"; rc=$?
	check "member stopped 1 s then continued: exit 0" test "$rc" -eq 0
	check_files "member stopped 1 s then continued: output = GNU factor" "$T/ref.txt" "$T/out.txt"
	check "member stopped 1 s then continued: no late event" \
		grep -q '"late_events": 0,' "$T/st.json"
	check "member stopped 1 s then continued: no member late at its leader" \
		bash -c "! grep -q 'sent nothing' '$T/err'"
else
	fail "member stop then continue: rank 2 found and the journal at 30%"; wait "$job"
fi

# Heartbeats through a leader: member 2 takes 3 s per chunk under
# --worker-timeout 2.
rm -f "$T/st.json"
run_np 5 --count 400 --chunk 100 --quiet --group-size 2 --test-fault slow \
	--test-fault-rank 2 --test-fault-ms 3000 --worker-timeout 2 \
	--stats "$T/st.json" >"$T/slow.txt" 2>"$T/slow.err"; rc=$?
run_np 1 --count 400 --quiet >"$T/slowref.txt" 2>/dev/null
check "heartbeats via a leader: member 3 s per chunk, --worker-timeout 2: exit 0" test "$rc" -eq 0
check_files "heartbeats via a leader: output identical" "$T/slowref.txt" "$T/slow.txt"
check "heartbeats via a leader: no late event at rank 0" grep -q '"late_events": 0,' "$T/st.json"
check "heartbeats via a leader: no member late at its leader" \
	bash -c "! grep -q 'sent nothing' '$T/slow.err'"
check "heartbeats via a leader: rank 2 did factor numbers" \
	grep -qE '"rank": 2, "numbers": [1-9]' "$T/st.json"

echo "     mpirun hung in its own teardown (killed after every rank had exited): $teardown_hangs time(s)"
summary
