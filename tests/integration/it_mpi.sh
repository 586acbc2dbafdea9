#!/usr/bin/env bash
# tests/integration/it_mpi.sh - the real binary under mpirun with several rank counts.
#
# Every run writes --stats JSON and the test checks the "size" the program
# saw: a wrong launcher silently starts N separate 1-rank programs, which
# would otherwise pass (each printing the whole output).
#
# Oracles: GNU factor (classic job, random ranges below ~2^90, bad-token
# behaviour), jobs/bench/*.expect (made with PARI/GP), byte identity across
# rank counts.  Planted faults: a worker returning wrong factorizations
# (--test-fault wrong-result), a slow worker (--test-fault slow).
# Ends with the verdict line of tests/lib.sh.
set -u
. "$(dirname "$0")/../lib.sh"

T=$TMP
export LC_ALL=C
NPS=${NPS:-"1 2 3 4"}

if [ ! -x "$TOP/factorize" ]; then
	fail "binary ./factorize exists (run make first)"
	summary
	exit 1
fi

# size_is FILE N: the --stats JSON says the program saw N ranks.
size_is() {
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["size"]==int(sys.argv[2]) else 1)' "$1" "$2" 2>/dev/null
}

# job NAME NP REF ARGS...: run under mpirun, compare stdout with REF,
# check exit 0 and the MPI size.
job() {
	local name=$1 np=$2 ref=$3; shift 3
	local out="$T/out.$$.$RANDOM" st="$T/stats.$$.$RANDOM" rc
	run_np "$np" --stats "$st" --quiet "$@" >"$out" 2>"$out.err"; rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "$name (-np $np): exit $rc" "$(head -3 "$out.err" | tr '\n' '|')"
		return
	fi
	if ! size_is "$st" "$np"; then
		fail "$name (-np $np): program saw MPI size $np" \
			"$(grep -m1 size "$st" 2>/dev/null)"
		return
	fi
	check_files "$name (-np $np)" "$ref" "$out"
}

# ---- the classic job ------------------------------------------------------

seq 999999999999 2 1000000001995 | factor >"$T/classic.ref"
for np in $NPS 8; do
	job "classic job --count 999 --chunk 43 = seq | factor" "$np" \
		"$T/classic.ref" --count 999 --chunk 43
done
job "classic job, adaptive chunks" 3 "$T/classic.ref" --count 999
job "classic job, --chunk 1 --prefetch 0" 2 "$T/classic.ref" \
	--count 999 --chunk 1 --prefetch 0
job "classic job, --chunk 1 --prefetch 7" 4 "$T/classic.ref" \
	--count 999 --chunk 1 --prefetch 7

# Many tiny chunks on oversubscribed ranks: the reorder window fills and
# empties thousands of times (regression: a full window once deadlocked).
seq 1 100000 | factor >"$T/tiny.ref"
for np in 4 8; do
	job "100000 tiny chunks (--chunk 1)" "$np" "$T/tiny.ref" \
		--count 100000 --start 1 --step 1 --chunk 1
done

# Started directly: no mpirun, and MPI not started (transport.c); then
# the same as an MPI singleton (FACTORIZE_MPI=1).  Started directly, no
# Open MPI daemon may appear among the process's children.
for how in direct singleton; do
	[ "$how" = singleton ] && export FACTORIZE_MPI=1
	timeout -k 5 "$TIMEOUT" "$TOP/factorize" --count 999 --chunk 43 \
		--stats "$T/single.json" --quiet >"$T/single.out" 2>"$T/single.err"
	check "$how (no mpirun) exits 0" test $? -eq 0
	check "$how sees size 1" size_is "$T/single.json" 1
	check_files "$how = seq | factor" "$T/classic.ref" "$T/single.out"
	unset FACTORIZE_MPI
done
# Which process starts a helper: factorize waits on a FIFO for its numbers
# while its children are counted.  An Open MPI singleton forks its orted
# (the check sees it within 5 s, so it can tell); started directly
# nothing is forked at all.
mkfifo "$T/fifo"
children() { # children HOW: factorize's child processes while it reads
	local pid n=0
	[ "$1" = singleton ] && export FACTORIZE_MPI=1
	timeout -k 5 "$TIMEOUT" "$TOP/factorize" <"$T/fifo" >"$T/fifo.out" 2>&1 &
	pid=$!
	unset FACTORIZE_MPI
	exec 9>"$T/fifo"
	for _ in $(seq 50); do
		n=$(pgrep -P "$(pgrep -P "$pid" -x factorize || echo "$pid")" | wc -l)
		[ "$n" -gt 0 ] && break
		sleep 0.1
	done
	echo 12 >&9
	exec 9>&-
	wait "$pid"
	echo "$n"
}
check "started directly: no helper process (MPI not started)" \
	test "$(children direct)" -eq 0
if "$TOP/factorize" --version | grep -qi 'open mpi'; then
	check "FACTORIZE_MPI=1: the singleton's helper is seen (the check can tell)" \
		test "$(children singleton)" -gt 0
fi

# The summary line names the rank count.
run_np 3 --count 99 >/dev/null 2>"$T/sum.err"
check "summary line on stderr names 3 ranks" grep -q '3 ranks (2 workers)' "$T/sum.err"
run_np 3 --count 99 --quiet >/dev/null 2>"$T/q.err"
check "--quiet: nothing on stderr" test ! -s "$T/q.err"

# ---- bench sets vs PARI/GP answers ---------------------------------------

B="$TOP/jobs/bench"
for s in S40 S64; do
	for np in 1 3 4; do
		job "$s vs $s.expect" "$np" "$B/$s.expect" --input "$B/$s.txt"
	done
done
for np in 3 4; do
	TIMEOUT=600 job "MIX vs MIX.expect" "$np" "$B/MIX.expect" --input "$B/MIX.txt"
done

# ---- random ranges below 2^90 vs GNU factor ------------------------------

for seed in 1 2 3; do
	read -r start step <<<"$(python3 -c '
import random, sys
r = random.Random(int(sys.argv[1]))
b = r.randint(40, 89)
print(r.randint(2**(b-1), 2**b), r.randint(1, 2**r.randint(1, 40)))' "$seed")"
	python3 -c 'import sys
s, k = int(sys.argv[1]), int(sys.argv[2])
for i in range(150): print(s + i*k)' "$start" "$step" >"$T/r$seed.in"
	factor <"$T/r$seed.in" >"$T/r$seed.ref"
	job "random range seed $seed (start $start step $step)" 3 \
		"$T/r$seed.ref" --count 150 --start "$start" --step "$step" --chunk 7
	job "random list seed $seed from file" 4 "$T/r$seed.ref" \
		--input "$T/r$seed.in"
done

# ---- input forms: file, stdin, arguments ---------------------------------

printf '%s\n' 12 0 1 4294967291 18446744073709551557 \
	618970019642690137449562111 >"$T/forms.in"
factor <"$T/forms.in" >"$T/forms.ref"
job "numbers from a file" 3 "$T/forms.ref" --input "$T/forms.in"
job "numbers from arguments" 3 "$T/forms.ref" $(cat "$T/forms.in")
out=$(run_np 2 --input - --quiet <"$T/forms.in")
check "numbers from stdin (--input -)" test "$out" = "$(cat "$T/forms.ref")"
out=$(run_np 2 --quiet <"$T/forms.in")
check "numbers from stdin (no arguments, as factor)" test "$out" = "$(cat "$T/forms.ref")"

# ---- bad tokens: reported with their line, the rest still factored -------

printf '12\nabc 15\n# comment\n\n-3 7\n0x1f\n' >"$T/bad.in"
for np in 1 3; do
	run_np "$np" --input "$T/bad.in" --quiet >"$T/bad.out" 2>"$T/bad.err"; rc=$?
	check "bad tokens (-np $np): exit status 1" test "$rc" -eq 1
	check "bad tokens (-np $np): valid numbers printed" \
		test "$(cat "$T/bad.out")" = "$(printf '12: 2 2 3\n15: 3 5\n7: 7')"
	check "bad tokens (-np $np): 'abc' named with line 2" \
		grep -q "bad.in:2: 'abc' is not a valid positive integer" "$T/bad.err"
	check "bad tokens (-np $np): '-3' named with line 5" \
		grep -q "bad.in:5: '-3' is not a valid positive integer" "$T/bad.err"
	check "bad tokens (-np $np): '0x1f' named with line 6" \
		grep -q "bad.in:6: '0x1f'" "$T/bad.err"
done
run_np 2 12 abc 15 --quiet >"$T/arg.out" 2>"$T/arg.err"; rc=$?
check "bad argument: exit status 1" test "$rc" -eq 1
check "bad argument: message as GNU factor's" \
	grep -qx "factorize: 'abc' is not a valid positive integer" "$T/arg.err"
check "bad argument: others printed" test "$(cat "$T/arg.out")" = "$(printf '12: 2 2 3\n15: 3 5')"

# ---- bad options: usage on stderr, exit 2, no rank left hanging ----------

for np in 1 3; do
	run_np "$np" --count >"$T/opt.out" 2>"$T/opt.err"; rc=$?
	check "missing option value (-np $np): exit 2" test "$rc" -eq 2
	check "missing option value (-np $np): message on stderr" test -s "$T/opt.err"
	check "missing option value (-np $np): nothing on stdout" test ! -s "$T/opt.out"
	run_np "$np" --no-such-option >/dev/null 2>"$T/opt.err"; rc=$?
	check "unknown option (-np $np): exit 2" test "$rc" -eq 2
	check "unknown option (-np $np): printed once" \
		test "$(grep -c 'no-such-option' "$T/opt.err")" -eq 1
done
run_np 1 --input "$T/does-not-exist" --quiet >/dev/null 2>"$T/nf.err"; rc=$?
check "missing input file (-np 1): exit 3 with a message" \
	test "$rc" -eq 3 -a -s "$T/nf.err"
run_np 3 --input "$T/does-not-exist" --quiet >/dev/null 2>"$T/nf.err"; rc=$?
check "missing input file (-np 3): exit 3, workers stopped" test "$rc" -eq 3

# ---- planted faults -------------------------------------------------------

# A worker that returns wrong factorizations: caught, recomputed elsewhere.
# --chunk 5: 200 chunks, so that the faulty rank surely returns its third
# wrong block before the other has done them all (with 24 chunks of 43, a
# loaded machine once let rank 2 finish first).
# A run where rank 1 got fewer than three chunks in before rank 2 had done
# them all (rank 1 starved on a loaded machine) cannot show the exclusion:
# it runs once more on five times the numbers, checked against GNU factor.
fault_count=999
for attempt in 1 2; do
	run_np 3 --count "$fault_count" --chunk 5 --test-fault wrong-result \
		--test-fault-rank 1 --stats "$T/f.json" --quiet >"$T/f.out" \
		2>"$T/f.err"; rc=$?
	[ "$(grep -c 'rank 1 returned a wrong' "$T/f.err")" -ge 3 ] && break
	echo "     wrong-result fault: rank 1 returned fewer than 3 blocks; again with --count 4995"
	fault_count=4995
	seq 999999999999 2 $((999999999999 + 2 * 4994)) | factor >"$T/classic5.ref"
done
check "wrong-result fault (-np 3): exit 0" test "$rc" -eq 0
check_files "wrong-result fault (-np 3): output still correct" \
	"$T/classic$([ "$fault_count" = 999 ] || echo 5).ref" "$T/f.out"
check "wrong-result fault (-np 3): reported naming rank 1" \
	grep -q 'rank 1 returned a wrong factorization' "$T/f.err"
check "wrong-result fault (-np 3): rank 1 gets no more work after 3" \
	grep -q 'rank 1 returned 3 wrong factorizations: no more work' "$T/f.err"
# The only worker is the faulty one: the job must fail, not print wrong output.
run_np 2 --count 99 --test-fault wrong-result --test-fault-rank 1 \
	--quiet >"$T/f2.out" 2>"$T/f2.err"; rc=$?
check "wrong-result fault, only worker (-np 2): exit 3" test "$rc" -eq 3
check "wrong-result fault, only worker: says it gave up" grep -q 'giving up' "$T/f2.err"
check "wrong-result fault, only worker: no wrong line printed" \
	sh -c "! grep -vxF -f '$T/classic.ref' '$T/f2.out'"
# The same with large RESULTs (rendezvous sends): the abort must drain
# them or the faulty rank hangs in MPI_Finalize.
TIMEOUT=60 run_np 2 --count 20000 --chunk 2000 --test-fault wrong-result \
	--test-fault-rank 1 --quiet >/dev/null 2>"$T/f4.err"; rc=$?
check "wrong-result fault with large chunks (-np 2): exit 3, no hang" test "$rc" -eq 3
# Without verification the planted fault goes through: the check is real.
head -99 "$T/classic.ref" >"$T/classic99.ref"
run_np 2 --count 99 --test-fault wrong-result --test-fault-rank 1 \
	--verify none --quiet >"$T/f3.out" 2>/dev/null
check "planted fault is visible with --verify none (the checker matters)" \
	sh -c "! cmp -s '$T/f3.out' '$T/classic99.ref'"

# A slow worker: speculation re-issues its chunks, the output is unchanged.
run_np 3 --count 200 --chunk 10 --test-fault slow --test-fault-rank 1 \
	--test-fault-ms 300 --stats "$T/slow.json" --quiet >"$T/slow.out"
check_files "slow worker (-np 3): output correct" <(head -200 "$T/classic.ref") "$T/slow.out"
check "slow worker (-np 3): the end game re-issued chunks" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["speculated"]>0 else 1)' "$T/slow.json"
# The tail: from the first worker's last RESULT to the last one's; here
# the slowed rank 1 answers last (its re-issued chunks came back first).
check "slow worker (-np 3): last_result_seconds per rank, tail = last - first, <= wall" \
	python3 -c 'import json,sys
d = json.load(open(sys.argv[1])); w = d["wall_seconds"]
t = [r["last_result_seconds"] for r in d["ranks"] if r["rank"] >= 1]
ok = all(0 < x <= w for x in t) and abs(d["tail_seconds"] - (max(t) - min(t))) < 1e-5
ok = ok and d["ranks"][0]["last_result_seconds"] == 0
sys.exit(0 if ok else 1)' "$T/slow.json"

# ---- signals: rank 0 stops the job in order, exit 75 -----------------------

# sig_test NAME SIG WHO: start a long job, send SIG to rank 0 (WHO=0) or to
# every rank (WHO=all) after 2 s; expect exit 75 within 20 s and no output
# file left looking complete.
sig_test() {
	local name=$1 sig=$2 who=$3 rc t0 t1 p
	rm -f "$T/sig.out"
	run_np 3 --count 100000000 --output "$T/sig.out" --quiet 2>"$T/sig.err" &
	local job=$!
	sleep 2
	for p in $(pgrep -f "^$TOP/factorize --count 100000000"); do
		if [ "$who" = all ] || tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null |
			grep -qx 'OMPI_COMM_WORLD_RANK=0'; then
			kill "-$sig" "$p" 2>/dev/null
		fi
	done
	t0=$(date +%s)
	wait "$job"; rc=$?
	t1=$(date +%s)
	check "$name: exit status 75" test "$rc" -eq 75
	check "$name: stopped within 20 s ($((t1 - t0)) s)" test $((t1 - t0)) -le 20
	check "$name: no output file left" test ! -e "$T/sig.out"
	check "$name: says why" grep -q "interrupted by signal" "$T/sig.err"
}
if [ "${MPIRUN##*/}" = mpirun ]; then
	sig_test "SIGTERM to rank 0 (-np 3)" TERM 0
	sig_test "SIGUSR1 to every rank (-np 3, as Slurm)" USR1 all
fi

# ---- unordered output: same lines, any order ------------------------------

run_np 3 --count 999 --chunk 5 --unordered --quiet | sort >"$T/u.out"
check_files "--unordered: same lines as the ordered run" <(sort "$T/classic.ref") "$T/u.out"

summary
