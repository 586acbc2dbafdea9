#!/usr/bin/env bash
# tests/integration/it_group.sh - the two-level scheme (--group-size G, proto.h GROUPS)
# with the real binary under mpirun, oversubscribed.
#
# Every run writes --stats JSON and the test checks the MPI size the
# program saw, the group size it used and that every rank is listed with
# its own statistics (a member whose STATS the leader did not relay would
# show zero messages).
#
# Oracles: GNU factor (classic job), jobs/bench/*.expect (PARI/GP), the
# flat run of the same job (byte identity), GNU factor's messages for bad
# tokens.  Planted faults: a member and a leader returning wrong
# factorizations (--test-fault wrong-result): the leader must catch them
# and nothing wrong may be printed; the same fault with --verify none
# shows that the check is what stops it.  Signals: SIGTERM to every rank
# of a grouped --checkpoint run gives exit 75, and the rerun completes
# identically.  About 40-60 s on the 2-core machine.
set -u
. "$(dirname "$0")/../lib.sh"

T=$TMP
export LC_ALL=C
B="$TOP/jobs/bench"

if [ ! -x "$TOP/factorize" ]; then
	fail "binary ./factorize exists (run make first)"
	summary
	exit 1
fi

# stats_ok FILE NP G: size NP, group_size G, every rank listed once with
# messages sent (relayed STATS), accepted numbers summing to the output.
# G = node: every rank on this one machine, so one group of ranks 1..NP-1.
stats_ok() {
	python3 - "$@" <<'EOF' 2>/dev/null
import json, sys
d = json.load(open(sys.argv[1]))
np_ = int(sys.argv[2])
if sys.argv[3] == "node":
    ok = d["group_size"] == "node"
    g = np_ - 1
else:
    g = int(sys.argv[3])
    ok = d["group_size"] == g
ranks = d["ranks"]
ok = ok and d["size"] == np_
ok = ok and [r["rank"] for r in ranks] == list(range(np_))
ok = ok and all(r["msgs_sent"] > 0 for r in ranks[1:])
ok = ok and sum(r["accepted"] for r in ranks) == d["numbers"]
exp_groups = sum(1 for r in range(1, np_, g) if min(r + g - 1, np_ - 1) > r) if g else 0
ok = ok and d["groups"] == exp_groups
sys.exit(0 if ok else 1)
EOF
}

# job NAME NP G REF ARGS...: run with --group-size G, compare stdout with
# REF, check exit 0, the MPI size, the group size and the statistics.
job() {
	local name=$1 np=$2 g=$3 ref=$4; shift 4
	local out="$T/out.$$.$RANDOM" st="$T/stats.$$.$RANDOM" rc
	run_np "$np" --group-size "$g" --stats "$st" --quiet "$@" >"$out" 2>"$out.err"; rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "$name (-np $np -G $g): exit $rc" "$(head -3 "$out.err" | tr '\n' '|')"
		return
	fi
	if ! stats_ok "$st" "$np" "$g"; then
		fail "$name (-np $np -G $g): stats: size $np, group size $g, every rank" \
			"$(grep -m3 -E '"(size|group_size|groups)"' "$st" 2>/dev/null | tr -d '\n ')"
		return
	fi
	check_files "$name (-np $np -G $g)" "$ref" "$out"
}

# ---- the classic job: every rank count 3..8, G = 2, 3, 4 -------------------

seq 999999999999 2 1000000001995 | factor >"$T/classic.ref"
run_np 4 --count 999 --chunk 43 --quiet >"$T/flat.out"
check_files "flat run (-np 4) = seq | factor" "$T/classic.ref" "$T/flat.out"
for np in 3 4 5 6 7 8; do
	for g in 2 3 4; do
		job "classic job --chunk 43 = flat run" "$np" "$g" "$T/flat.out" \
			--count 999 --chunk 43
	done
done
job "classic job, adaptive chunks" 6 2 "$T/classic.ref" --count 999
# --group-size node: one machine, so one group (MPI_Comm_split_type)
for np in 2 3 5; do
	job "classic job --chunk 43, --group-size node = flat run" "$np" node \
		"$T/flat.out" --count 999 --chunk 43
done
job "S64 vs S64.expect, --group-size node" 4 node "$B/S64.expect" \
	--input "$B/S64.txt"
job "classic job, --chunk 1 --prefetch 0" 5 2 "$T/classic.ref" \
	--count 999 --chunk 1 --prefetch 0
job "classic job, one group larger than the job (G 16)" 4 16 "$T/classic.ref" \
	--count 999 --chunk 7
job "classic job, --verify product" 5 2 "$T/classic.ref" \
	--count 999 --verify product

# Open MPI over TCP on loopback: slower first messages, so a leader may
# finish the job alone before its member's first REQUEST arrives
# (regression: that REQUEST was ignored and the job hung).
if [ "${MPIRUN##*/}" = mpirun ]; then
	for np in 3 5; do
		MPIRUN_FLAGS="--oversubscribe --mca btl tcp,self --mca btl_tcp_if_include lo" \
			TIMEOUT=60 job "classic job over TCP" "$np" 2 "$T/classic.ref" \
			--count 999 --chunk 43
	done
fi

# Upstream chunks larger than a leader's look-ahead (65536 numbers): fed
# in parts, sub-chunks released before their chunk is fully fed
# (regression: "a result without its chunk").
seq 1 300000 | factor >"$T/tiny.ref"
job "300000 tiny numbers, --chunk 100000 (RANGE)" 6 2 "$T/tiny.ref" \
	--count 300000 --start 1 --step 1 --chunk 100000
seq 1 300000 >"$T/tiny.in"
job "300000 tiny numbers, --chunk 100000 (LIST from a file)" 5 4 "$T/tiny.ref" \
	--input "$T/tiny.in" --chunk 100000

# ---- bench sets against PARI/GP's answers -----------------------------------

job "S64 vs S64.expect" 5 2 "$B/S64.expect" --input "$B/S64.txt"
job "S64 vs S64.expect" 8 3 "$B/S64.expect" --input "$B/S64.txt"
TIMEOUT=300 job "MIX vs MIX.expect" 6 4 "$B/MIX.expect" --input "$B/MIX.txt"

# ---- bad tokens: reported with their line, the rest factored ----------------

printf '12\nabc 15\n# comment\n\n-3 7\n0x1f\n' >"$T/bad.in"
for g in 2 3; do
	run_np 6 --group-size "$g" --input "$T/bad.in" --quiet >"$T/bad.out" 2>"$T/bad.err"; rc=$?
	check "bad tokens (-np 6 -G $g): exit status 1" test "$rc" -eq 1
	check "bad tokens (-np 6 -G $g): valid numbers printed" \
		test "$(cat "$T/bad.out")" = "$(printf '12: 2 2 3\n15: 3 5\n7: 7')"
	check "bad tokens (-np 6 -G $g): 'abc' named with line 2" \
		grep -q "bad.in:2: 'abc' is not a valid positive integer" "$T/bad.err"
	check "bad tokens (-np 6 -G $g): '0x1f' named with line 6" \
		grep -q "bad.in:6: '0x1f'" "$T/bad.err"
done

# ---- planted faults: the leader's verification -------------------------------

# A member (rank 2 of the group led by rank 1) returns wrong results.  A
# job long enough that the member surely gets work (a leader factors
# too, and alone until its member's first REQUEST arrives).
seq 999999999999 2 1000000039997 | factor >"$T/c20k.ref"
run_np 5 --group-size 2 --count 20000 --chunk 43 --test-fault wrong-result \
	--test-fault-rank 2 --stats "$T/f.json" --quiet >"$T/f.out" 2>"$T/f.err"; rc=$?
check "wrong-result member (-np 5 -G 2): exit 0" test "$rc" -eq 0
check_files "wrong-result member: output still correct" "$T/c20k.ref" "$T/f.out"
check "wrong-result member: caught by its leader, rank 1" \
	grep -q 'rank 2 returned a wrong factorization of [0-9]* (verification failed on rank 1, its group leader)' "$T/f.err"
check "wrong-result member: no more work for it after 3" \
	grep -q 'rank 2 returned 3 wrong factorizations: no more work' "$T/f.err"
check "wrong-result member: counted in --stats wrong_results" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["wrong_results"]>=3 else 1)' "$T/f.json"
# A leader that is faulty itself: its own check catches it.
run_np 7 --group-size 3 --count 20000 --chunk 43 --test-fault wrong-result \
	--test-fault-rank 4 --quiet >"$T/f2.out" 2>"$T/f2.err"; rc=$?
check "wrong-result leader (-np 7 -G 3, rank 4): exit 0" test "$rc" -eq 0
check_files "wrong-result leader: output still correct" "$T/c20k.ref" "$T/f2.out"
check "wrong-result leader: caught (rank 4 named)" \
	grep -q 'rank 4 returned a wrong factorization' "$T/f2.err"
# The only member of the only group: the leader recomputes everything.
run_np 3 --group-size 2 --count 20000 --test-fault wrong-result \
	--test-fault-rank 2 --quiet >"$T/f3.out" 2>"$T/f3.err"; rc=$?
check "wrong-result, only member (-np 3 -G 2): exit 0" test "$rc" -eq 0
check_files "wrong-result, only member: the leader recomputed it" "$T/c20k.ref" "$T/f3.out"
check "wrong-result, only member: it was caught" \
	grep -q 'rank 2 returned a wrong factorization' "$T/f3.err"
# Without verification the fault goes through: the leader's check matters.
run_np 3 --group-size 2 --count 20000 --test-fault wrong-result \
	--test-fault-rank 2 --verify none --quiet >"$T/f4.out" 2>/dev/null
check "planted fault is visible with --verify none (the leader's check matters)" \
	sh -c "! cmp -s '$T/f4.out' '$T/c20k.ref'"

# ---- errors: bad option, missing input ---------------------------------------

for v in 1 nodes -2 ''; do
	run_np 3 --group-size "$v" --count 9 >"$T/opt.out" 2>"$T/opt.err"; rc=$?
	check "--group-size '$v': exit 2" test "$rc" -eq 2
	check "--group-size '$v': message names the option, once" \
		test "$(grep -c -- "--group-size" "$T/opt.err")" -eq 1
	check "--group-size '$v': nothing on stdout" test ! -s "$T/opt.out"
done
run_np 5 --group-size 2 --input "$T/does-not-exist" --quiet >/dev/null 2>"$T/nf.err"; rc=$?
check "missing input file (-np 5 -G 2): exit 3, every rank stopped" test "$rc" -eq 3

# ---- unordered output ---------------------------------------------------------

run_np 5 --group-size 2 --count 999 --chunk 5 --unordered --quiet | sort >"$T/u.out"
check_files "--unordered (-np 5 -G 2): same lines" <(sort "$T/classic.ref") "$T/u.out"

# ---- signals and --checkpoint stay rank 0's business --------------------------

# S128 ten times (about 2 s on 2 cores); SIGTERM to every rank as soon as
# the journal holds results (as Slurm at the time limit; was a fixed 1 s,
# which a faster engine outran): exit 75, no output file; the rerun with
# the same journal completes to the expected output.
if [ "${MPIRUN##*/}" = mpirun ]; then
	for _ in 1 2 3 4 5 6 7 8 9 10; do cat "$B/S128.txt"; done >"$T/s128x3.txt"
	for _ in 1 2 3 4 5 6 7 8 9 10; do cat "$B/S128.expect"; done >"$T/s128x3.expect"
	rm -f "$T/k.out" "$T/k.journal"
	run_np 5 --input "$T/s128x3.txt" --group-size 2 --chunk 2 --checkpoint "$T/k.journal" \
		--output "$T/k.out" --quiet 2>"$T/k.err" &
	jobpid=$!
	for _ in $(seq 400); do
		[ -s "$T/k.journal" ] && break
		sleep 0.05
	done
	for p in $(pgrep -f "^$TOP/factorize --input $T/s128x3.txt"); do
		kill -TERM "$p" 2>/dev/null
	done
	wait "$jobpid"; rc=$?
	check "SIGTERM to every rank (-np 5 -G 2): exit 75" test "$rc" -eq 75
	check "SIGTERM: no output file left" test ! -e "$T/k.out"
	check "SIGTERM: the journal holds some results" test -s "$T/k.journal"
	run_np 5 --input "$T/s128x3.txt" --group-size 2 --chunk 2 --checkpoint "$T/k.journal" \
		--output "$T/k.out" --quiet 2>>"$T/k.err"; rc=$?
	check "rerun with the journal: exit 0" test "$rc" -eq 0
	check_files "rerun with the journal: output = S128.expect x 10" "$T/s128x3.expect" "$T/k.out"
fi

summary
