#!/usr/bin/env bash
# tests/integration/it_coop.sh - many ranks on one number (proto.h 12-15).
#
# A batch of 39-digit semiprimes (S128) ending in two 60-digit ones
# (S200: SIQS, shared from COOP_MIN_DIGITS = 50) runs at -np 2, 3, 4 and
# 8; every output must be byte-identical to -np 1, and from -np 3 on
# (two workers) --stats must show helpers joining ("joins" > 0).  One
# 60-digit number alone at -np 3 uses both workers on it.  A rank stopped
# (SIGSTOP) while the last number is shared, whether it helps or owns it:
# the output is still identical, the exit status 0 or the hung one (4,
# or mpirun's teardown, as it_hang.sh).  With --group-size, shares are
# off: no JOIN, same output.  SIGTERM during a shared number with
# --checkpoint ends the job; the rerun completes it, identical.  Ends with the verdict line of tests/lib.sh.
set -u
. "$(dirname "$0")/../lib.sh"
export LC_ALL=C
T=$TMP
trap kill_stopped EXIT

head -30 "$TOP/jobs/bench/S128.txt" >"$T/in.txt"
head -2 "$TOP/jobs/bench/S200.txt" >>"$T/in.txt"
run_np 1 --input "$T/in.txt" >"$T/ref.txt" 2>"$T/ref.err"
check "reference run (-np 1): 32 lines" test "$(wc -l <"$T/ref.txt")" -eq 32

joins() { grep -o '"joins": [0-9]*' "$1" | grep -o '[0-9]*$'; }

for np in 2 3 4 8; do
	run_np "$np" --input "$T/in.txt" --stats "$T/st$np.json" >"$T/out$np.txt" 2>"$T/err$np"
	rc=$?
	check "-np $np: exit 0" test "$rc" -eq 0
	check_files "-np $np: output identical to -np 1" "$T/ref.txt" "$T/out$np.txt"
	if [ "$np" -ge 3 ]; then
		check "-np $np: helpers joined the last numbers (joins $(joins "$T/st$np.json"))" \
			test "$(joins "$T/st$np.json")" -gt 0
	fi
done

# one number, two workers: both on it
sed -n 3p "$TOP/jobs/bench/S200.txt" >"$T/one.txt"
run_np 1 --input "$T/one.txt" >"$T/one.ref" 2>/dev/null
run_np 3 --input "$T/one.txt" --stats "$T/one.json" >"$T/one.out" 2>"$T/one.err"
check "one 60-digit number at -np 3: exit 0" test "$?" -eq 0
check_files "one 60-digit number at -np 3: output identical" "$T/one.ref" "$T/one.out"
check "one 60-digit number at -np 3: the idle worker joined" \
	test "$(joins "$T/one.json")" -gt 0

# groups: no shares, same output
run_np 5 --group-size 2 --input "$T/in.txt" --stats "$T/g.json" >"$T/g.txt" 2>"$T/g.err"
check "--group-size 2 (-np 5): exit 0" test "$?" -eq 0
check_files "--group-size 2: output identical" "$T/ref.txt" "$T/g.txt"
check "--group-size 2: no JOIN" test "$(joins "$T/g.json")" -eq 0

# a stopped rank during the shared number: rank 1 or 2, owner or helper
hung_status_ok() {
	case $rc in 0 | teardown | 4) return 0 ;; esac
	[ "$rc" -gt 128 ] && [ "$rc" -ne 137 ]
}
for victim in 1 2; do
	rm -f "$T/out.txt" "$T/st.json"
	run_np 3 --input "$T/one.txt" --output "$T/out.txt" --stats "$T/st.json" 2>"$T/err" &
	job=$!
	if ! find_victim "$victim"; then
		fail "stop rank $victim: rank found"; wait "$job"; continue
	fi
	sleep 0.4 # the sieve is shared by then (the number takes ~1 s alone)
	kill -STOP "$pid"; stopped="$stopped $pid"
	t_stop=$(date +%s.%N)
	wait_job
	kill -CONT "$pid" 2>/dev/null; kill -KILL "$pid" 2>/dev/null
	echo "     rank $victim stopped: status $rc after ${secs}s"
	check "stop rank $victim while shared: exit 0 or hung (4, teardown)" hung_status_ok
	check_files "stop rank $victim while shared: output identical" "$T/one.ref" "$T/out.txt"
	hung_status_ok && [ -f "$T/out.txt" ] ||
		{ echo "     its stderr:"; sed 's/^/     | /' "$T/err" | head -20; }
done

# SIGTERM while the number is shared (--checkpoint): the job ends soon,
# and a rerun with the same journal completes it, identical
rm -f "$T/j" "$T/out.txt"
run_np 3 --input "$T/one.txt" --checkpoint "$T/j" --output "$T/out.txt" 2>"$T/err" &
job=$!
sleep 0.8
launcher=""
for p in $(descendants "$job"); do
	case $(cat "/proc/$p/comm" 2>/dev/null) in mpirun | orterun | mpiexec*) launcher=$p ;; esac
done
check "SIGTERM while shared: the launcher found" test -n "$launcher"
kill -TERM "${launcher:-$job}"
t_stop=$(date +%s.%N)
wait_job
echo "     SIGTERM while shared: status $rc after ${secs}s"
check "SIGTERM while shared: the job ended within 15 s" \
	test "$(echo "$secs < 15" | bc)" = 1
run_np 3 --input "$T/one.txt" --checkpoint "$T/j" --output "$T/out.txt" 2>"$T/err"
check "SIGTERM while shared: rerun with the same --checkpoint exits 0" test "$?" -eq 0
check_files "SIGTERM while shared: rerun output identical" "$T/one.ref" "$T/out.txt"
summary
