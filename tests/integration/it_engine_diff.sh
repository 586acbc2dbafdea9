#!/usr/bin/env bash
# tests/integration/it_engine_diff.sh - differential correctness of the engine alone
# (issue 3): build/bench_engine --print against GNU factor and PARI/GP.
#
#   (a) every known-answer vector of tests/data/coreutils-factor.txt;
#   (b) full ranges against GNU factor: 1..100000, 2^32-5000..2^32+5000,
#       2^64-2000..2^64+2000, 2^63-1000..2^63+1000;
#   (c) seeded random samples of every bit size 1..128: uniform numbers up
#       to 90 bits and numbers with a small cofactor (q*m, m <= 40 bits)
#       from 91 to 128 bits against GNU factor (rho is fast on those), and
#       uniform numbers of 91..128 bits against PARI/GP; structured cases
#       against PARI/GP: prime powers up to 300 bits, Carmichael numbers,
#       squares, cubes and products of the primes next to 2^32, 2^64, 2^100,
#       2^k - 1 and 2^k + 1 for k <= 128;
#   (d) random numbers of 130..200 bits and products of known primes of
#       130..200 bits against PARI/GP (and the known primes against gp);
#   (e) jobs/bench/S40, S64, MIX against their .expect files;
#   (f) planted faults: the same comparisons must fail on a corrupted copy,
#       a dropped line, and a bad token;
#   (g) balanced and 1:2 semiprimes of planted primes, every bit size 64..128
#       and 130..190 in steps of 10 (SIQS's table rows and hand-overs),
#       against the planted answers, and gp against them up to 128 bits.
# SEED (printed) replays the random samples: SEED=N tests/it_engine_diff.sh.
# The engine's exit status counts too: non-zero when a call failed or was
# partial.  Each engine or oracle run is capped at DIFF_TIMEOUT CPU seconds.
set -u
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/bench/oracle.sh"
: "${SEED:=20261122}"
case $BUILD in /*) BENCH=$BUILD/bench_engine ;; *) BENCH=$TOP/$BUILD/bench_engine ;; esac
: "${DIFF_TIMEOUT:=30}" # CPU seconds per engine or oracle run
TIMEOUT=$DIFF_TIMEOUT
# capped CMD...: CMD under a CPU-time cap (ulimit -t) with a wall-clock
# backstop of three times as much plus 10 s, so load from other jobs on
# the same cores does not fail a run that would finish.
WALL=$((TIMEOUT * 3 + 10))
capped() { (ulimit -t "$TIMEOUT" && "$@"); }
GEN="python3 $TOP/tests/data/gen_random.py"
echo "seed=$SEED (replay: SEED=$SEED $0)"

if [ ! -x "$BENCH" ]; then
	fail "bench_engine built" "$BENCH missing: make $BUILD/bench_engine"
	summary
	exit 1
fi

# ours KEY DESC IN: our factorizations of IN into $TMP/KEY.ours; 0 when
# the engine exited 0 within TIMEOUT.
ours() {
	local rc
	capped timeout -k 2 "$WALL" "$BENCH" --print "$3" >"$TMP/$1.ours" 2>"$TMP/$1.err"
	rc=$?
	[ "$rc" -eq 0 ] && return 0
	case $rc in 124 | 137 | 152) echo "over the cap of ${TIMEOUT} CPU s" >>"$TMP/$1.err" ;; esac
	fail "$2: bench_engine exit $rc" "$(head -3 "$TMP/$1.err" | tr '\n' '|')"
	return 1
}

# against KEY DESC IN ORACLE: ours vs factor, gp, or a file of expected
# lines; files $TMP/KEY.want and $TMP/KEY.ours are kept for (f).
against() {
	local name=$1 desc=$2 in=$3 oracle=$4 rc=0 n t0=$EPOCHREALTIME t1
	n=$(wc -l <"$in")
	case $oracle in
	factor) capped factor_ordered "$WALL" "$in" >"$TMP/$name.want" || rc=$? ;;
	gp) capped gp_factor "$WALL" "$in" >"$TMP/$name.want" || rc=$? ;;
	*) cp "$oracle" "$TMP/$name.want" ;;
	esac
	if [ "$rc" -ne 0 ]; then
		fail "$desc: oracle $oracle exit $rc"
		return
	fi
	t1=$EPOCHREALTIME
	ours "$name" "$desc" "$in" || return
	check_files "$desc ($n numbers vs $(basename "$oracle"))" "$TMP/$name.want" "$TMP/$name.ours"
	awk -v a="$t0" -v b="$t1" -v c="$EPOCHREALTIME" \
		'BEGIN{printf "     oracle %.1f s, engine %.1f s\n", b-a, c-b}'
}

# (a) coreutils known answers (tab-separated input and expected line)
grep -v '^#' "$TOP/tests/data/coreutils-factor.txt" | awk -F'\t' 'NF == 2 {print $1}' >"$TMP/cu.in"
grep -v '^#' "$TOP/tests/data/coreutils-factor.txt" | awk -F'\t' 'NF == 2 {print $2}' >"$TMP/cu.expect"
against cu coreutils-vectors "$TMP/cu.in" "$TMP/cu.expect"

# (b) full ranges
$GEN range 1 100000 >"$TMP/r1.in"
against r1 "range 1..100000" "$TMP/r1.in" factor
$GEN range 2^32-5000 2^32+5000 >"$TMP/r32.in"
against r32 "range 2^32+-5000" "$TMP/r32.in" factor
$GEN range 2^63-1000 2^63+1000 >"$TMP/r63.in"
against r63 "range 2^63+-1000" "$TMP/r63.in" factor
$GEN range 2^64-2000 2^64+2000 >"$TMP/r64.in"
against r64 "range 2^64+-2000" "$TMP/r64.in" factor

# (c) random samples of every size up to 128 bits
$GEN bits "$SEED" 1 90 6 >"$TMP/c1.in"
against c1 "random 1-90 bits x6 seed $SEED" "$TMP/c1.in" factor
$GEN smooth "$SEED" 91 128 3 40 >"$TMP/c2.in"
against c2 "small-cofactor 91-128 bits x3 seed $SEED" "$TMP/c2.in" factor
$GEN bits "$SEED" 91 128 1 >"$TMP/c3.in"
against c3 "random 91-128 bits x1 seed $SEED" "$TMP/c3.in" gp
$GEN special "$SEED" >"$TMP/c4.in"
against c4 "special: prime powers, Carmichaels, 2^k+-1, primes at 2^32/2^64/2^100 seed $SEED" "$TMP/c4.in" gp

# (d) 130..200 bits against PARI/GP
$GEN bits "$SEED" 130 200 1 | awk 'NR % 6 == 1' >"$TMP/d1.in"
against d1 "random 130-200 bits seed $SEED" "$TMP/d1.in" gp
$GEN known "$SEED" 12 130 200 64 >"$TMP/d2.in"
$GEN known "$SEED" 12 130 200 64 --answers >"$TMP/d2.known"
against d2 "known-prime products 130-200 bits seed $SEED" "$TMP/d2.in" gp
check_files "gp agrees with the planted primes" "$TMP/d2.known" \
	"$TMP/d2.want"

# (g) semiprimes over the SIQS range (every table row and the ECM/SIQS
# hand-over): balanced and 1:2 products of planted primes, every bit size
# from 64 to 128 and every tenth to 190, against the planted answers (and
# gp against the planted answers up to 128 bits)
$GEN semi "$SEED" 64 128 1 >"$TMP/g1.in"
$GEN semi "$SEED" 64 128 1 --answers >"$TMP/g1.known"
against g1 "semiprimes 64-128 bits seed $SEED" "$TMP/g1.in" "$TMP/g1.known"
capped gp_factor "$WALL" "$TMP/g1.in" >"$TMP/g1.gp"
check_files "gp agrees with the planted semiprimes" "$TMP/g1.known" "$TMP/g1.gp"
$GEN semi "$SEED" 130 190 10 >"$TMP/g2.in"
$GEN semi "$SEED" 130 190 10 --answers >"$TMP/g2.known"
against g2 "semiprimes 130-190 bits seed $SEED" "$TMP/g2.in" "$TMP/g2.known"

# (e) bench sets with their expected files
for set in S40 S64 MIX; do
	against "$set" "jobs/bench/$set" "$TOP/jobs/bench/$set.txt" "$TOP/jobs/bench/$set.expect"
done

# (f) planted faults: each comparison above must be able to fail.
# must_differ NAME WANT GOT: the comparison check_files makes must fail.
must_differ() {
	if [ ! -s "$2" ] || [ ! -s "$3" ]; then
		fail "$1" "a file is missing or empty"
	elif cmp -s "$2" "$3"; then
		fail "$1" "the planted fault went unnoticed"
	else
		pass "$1"
	fi
}
# a wrong factor in one line of a result that matched its expected file
if [ -s "$TMP/S40.ours" ] && cmp -s "$TMP/S40.ours" "$TOP/jobs/bench/S40.expect"; then
	awk 'NR == 7 { $NF = $NF + 2 } { print }' "$TMP/S40.ours" >"$TMP/f1.bad"
	must_differ "planted fault: one wrong factor in S40 is caught" \
		"$TOP/jobs/bench/S40.expect" "$TMP/f1.bad"
else
	fail "planted fault: one wrong factor in S40 is caught" "S40 itself did not match"
fi
# a line the oracle dropped (factor's output put back in input order)
sed '5d' "$TMP/r64.in" | factor >"$TMP/f2.out"
in_input_order "$TMP/r64.in" "$TMP/f2.out" >"$TMP/f2.want"
must_differ "planted fault: a line dropped by the oracle is caught" \
	"$TMP/f2.want" "$TMP/r64.ours"
# a bad token: reported, skipped, exit status non-zero
printf '12\n1x3\n15\n' >"$TMP/f3.in"
if "$BENCH" --print "$TMP/f3.in" >"$TMP/f3.out" 2>/dev/null; then
	fail "planted fault: bad token makes bench_engine exit non-zero"
else
	pass "planted fault: bad token makes bench_engine exit non-zero"
fi
printf '12: 2 2 3\n15: 3 5\n' >"$TMP/f3.want"
check_files "bad token skipped, the others printed" "$TMP/f3.want" "$TMP/f3.out"

summary
