#!/usr/bin/env bash
# tests/integration/it_limits.sh - streams just below, at and above every internal
# limit, through every launch mode, compared byte for byte with GNU factor
# (or the format's expected output); and one check per item of issue 14
# that is not about signals (tests/integration/it_signal.sh has those).
#
# The limits (names in the code):
#   2^16 numbers   SCHED_DEFAULT_LOOKAHEAD (text read ahead), and with
#                  --chunk 64 the window in chunks (1024, the minimum of
#                  window_chunks in master.c): a one-rank run stopped
#                  after exactly 65,536 numbers ("scheduler idle");
#   2^18 numbers   SCHED_DEFAULT_WINDOW_NUMBERS (the reorder window);
#   65,536 bytes   INPUT_BUF_BYTES (one read of a text source) and the
#                  block journal.c hashes an --input file in (job identity);
#   2^20 numbers   PROTO_MAX_CHUNK; and one larger stream, 2^21 + 1.
# Launch modes: started directly (an MPI singleton), mpirun -np 1, 2, 3,
# --group-size 2 (-np 3: one leader, one member), standard input, --input
# FILE, --count, ordered and --unordered, text, -h, JSON and CSV.
# Numbers are 2, 3, ... (cheap), so the whole script stays near a minute.
#
# Items: 1 the sizes above; 2 --checkpoint of a stream refused (exit 2),
# also under mpirun; 3 --max-digits on --count terms (exit 2) and terms
# of 20,001 digits end to end with a raised --max-digits; 6 the command
# line: started directly (no MPI) 25,000 numbers and 131,073 bytes run;
# an Open MPI singleton (FACTORIZE_MPI=1) keeps its limit
# (TRANSPORT_SINGLETON_MAX_ARGS_BYTES: 131,072 bytes run, 131,073 give
# exit 2 naming standard input).
set -u
. "$(dirname "$0")/../lib.sh"

T=$TMP
export LC_ALL=C
F="$TOP/factorize"

if [ ! -x "$F" ]; then
	fail "binary ./factorize exists (run make first)"
	summary
	exit 1
fi

BIG=$((2 ** 21 + 1))
seq 2 $((BIG + 1)) | factor >"$T/ref"

# ref N: the first N lines of GNU factor's output for 2, 3, ...
ref() { head -n "$1" "$T/ref" >"$T/ref.$1"; echo "$T/ref.$1"; }

# The expected JSON and CSV of GNU factor's lines (factors grouped into
# p^e in order, every number complete: they are all >= 2).
to_json() {
	awk '{ n = $1; sub(":", "", n); printf "{\"n\":\"%s\",\"factors\":[", n;
	  k = 0; for (i = 2; i <= NF; i++) { if (i > 2 && $i == $(i-1)) { e[k]++; continue }
	  k++; p[k] = $i; e[k] = 1 }
	  for (j = 1; j <= k; j++) printf "%s{\"p\":\"%s\",\"e\":%d}", (j > 1 ? "," : ""), p[j], e[j];
	  printf "],\"status\":\"complete\"}\n" }'
}
to_csv() {
	awk 'BEGIN { print "n,factors,status,cofactor" }
	{ n = $1; sub(":", "", n); printf "%s,\"", n;
	  k = 0; for (i = 2; i <= NF; i++) { if (i > 2 && $i == $(i-1)) { e[k]++; continue }
	  k++; p[k] = $i; e[k] = 1 }
	  for (j = 1; j <= k; j++) { printf "%s%s", (j > 1 ? " " : ""), p[j]; if (e[j] > 1) printf "^%d", e[j] }
	  printf "\",complete,\n" }'
}

# run NAME EXPECTED SORT LAUNCH INPUT ARGS...: LAUNCH is "direct" or an
# -np count; INPUT a file for standard input or "-" for none.  Exit 0 and
# stdout equal to EXPECTED (both sorted when SORT is 1: --unordered with
# several ranks writes in arrival order).
run() {
	local name=$1 exp=$2 srt=$3 launch=$4 in=$5; shift 5
	local out="$T/out" rc
	[ "$in" = "-" ] && in=/dev/null
	if [ "$launch" = direct ]; then
		timeout -k 5 "$TIMEOUT" "$F" --quiet "$@" <"$in" >"$out" 2>"$T/err"; rc=$?
	else
		run_np "$launch" --quiet "$@" <"$in" >"$out" 2>"$T/err"; rc=$?
	fi
	if [ "$rc" -ne 0 ]; then
		fail "$name: exit $rc" "$(head -3 "$T/err" | tr '\n' '|')"
		return
	fi
	if [ "$srt" = 1 ]; then
		sort "$out" >"$out.s"; sort "$exp" >"$T/exp.s"
		check_files "$name" "$T/exp.s" "$out.s"
	else
		check_files "$name" "$exp" "$out"
	fi
}

# ---- 2^16: the look-ahead and (--chunk 64) the window in chunks ----------
# Every mode at 65,536 itself; the modes the edge moves (one rank, small
# fixed chunks, the chunk window, groups) one below and one above it.

# GNU factor -h where it exists (coreutils >= 9.3), else its output folded
# into p^e form.
to_exp() {
	awk '{ printf "%s", $1; i = 2;
	       while (i <= NF) { j = i; while (j < NF && $(j+1) == $i) j++;
	         printf " %s", $i; if (j > i) printf "^%d", j - i + 1; i = j + 1 }
	       printf "\n" }'
}

for n in 65535 65536 65537; do
	seq 2 $((n + 1)) >"$T/in"
	r=$(ref $n)
	c="--count $n --start 2 --step 1"
	run "$n, direct, stdin" "$r" 0 direct "$T/in"
	run "$n, direct, --chunk 10" "$r" 0 direct "$T/in" --chunk 10
	run "$n, direct, --count" "$r" 0 direct - $c
	run "$n, -np 1, stdin" "$r" 0 1 "$T/in"
	run "$n, -np 2, stdin --chunk 64" "$r" 0 2 "$T/in" --chunk 64
	run "$n, -np 3, --group-size 2, stdin" "$r" 0 3 "$T/in" --group-size 2
	[ "$n" -ne 65536 ] && continue
	if factor -h 12 >/dev/null 2>&1; then
		factor -h <"$T/in" >"$T/exp.h"
	else
		to_exp <"$r" >"$T/exp.h"
	fi
	to_json <"$r" >"$T/exp.json"
	to_csv <"$r" >"$T/exp.csv"
	run "$n, direct, --input" "$r" 0 direct - --input "$T/in"
	run "$n, direct, --unordered" "$r" 0 direct "$T/in" --unordered
	run "$n, direct, --chunk 64" "$r" 0 direct "$T/in" --chunk 64
	run "$n, direct, -h" "$T/exp.h" 0 direct "$T/in" -h
	run "$n, direct, json" "$T/exp.json" 0 direct "$T/in" --format json
	run "$n, direct, csv" "$T/exp.csv" 0 direct "$T/in" --format csv
	run "$n, -np 1, --count --chunk 64" "$r" 0 1 - $c --chunk 64
	run "$n, -np 2, --unordered" "$r" 1 2 "$T/in" --unordered
	run "$n, -np 2, --count, csv" "$T/exp.csv" 0 2 - $c --format csv
	run "$n, -np 3, --input, json" "$T/exp.json" 0 3 - --input "$T/in" --format json
	run "$n, -np 3, --group-size 2, --count" "$r" 0 3 - $c --group-size 2
done

# ---- 2^18: the reorder window in numbers --------------------------------

for n in 262143 262144 262145; do
	seq 2 $((n + 1)) >"$T/in"
	r=$(ref $n)
	run "$n, direct, stdin" "$r" 0 direct "$T/in"
	run "$n, -np 2, --count" "$r" 0 2 - --count $n --start 2 --step 1
	[ "$n" -ne 262144 ] && continue
	run "$n, -np 2, stdin" "$r" 0 2 "$T/in"
	run "$n, -np 3, --group-size 2, --input" "$r" 0 3 - --input "$T/in" --group-size 2
done

# ---- 65,536 bytes: one read of a text source, one block of the hash ------
# A file of exactly 65535, 65536 and 65537 bytes: the numbers 2.. then one
# last number padded with leading zeros to the size (factor drops them).

for size in 65535 65536 65537; do
	seq 2 20000 | awk -v max=$((size - 12)) \
		'{ b += length($0) + 1; if (b > max) exit; print }' >"$T/in"
	printf '%0*d\n' $((size - $(wc -c <"$T/in") - 1)) 7 >>"$T/in"
	if [ "$(wc -c <"$T/in")" -ne "$size" ]; then
		fail "$size-byte input file made"; continue
	fi
	factor <"$T/in" >"$T/exp.b"
	run "$size-byte file, direct, --input" "$T/exp.b" 0 direct - --input "$T/in"
	run "$size-byte file, direct, stdin" "$T/exp.b" 0 direct "$T/in"
	run "$size-byte file, -np 2, --input" "$T/exp.b" 0 2 - --input "$T/in"
	rm -f "$T/j"
	run "$size-byte file, --checkpoint" "$T/exp.b" 0 direct - --input "$T/in" --checkpoint "$T/j"
	run "$size-byte file, --checkpoint replayed" "$T/exp.b" 0 direct - --input "$T/in" --checkpoint "$T/j"
done

# ---- 2^20 and a larger stream --------------------------------------------

for n in 1048575 1048576 1048577; do
	r=$(ref $n)
	seq 2 $((n + 1)) >"$T/in"
	run "$n, direct, stdin" "$r" 0 direct "$T/in"
	run "$n, -np 2, --count" "$r" 0 2 - --count $n --start 2 --step 1
done
r=$(ref $BIG)
seq 2 $((BIG + 1)) >"$T/in"
run "$BIG, direct, stdin" "$r" 0 direct "$T/in"
run "$BIG, -np 3, --group-size 2, stdin" "$r" 0 3 "$T/in" --group-size 2
rm -f "$T"/ref.* "$T/in"

# ---- item 2: --checkpoint of input that can be read only once -----------

# refused NAME CMD...: exit 2, a message naming a regular file, no output.
refused() {
	local name=$1 rc; shift
	"$@" >"$T/out" 2>"$T/err"; rc=$?
	if [ "$rc" -eq 2 ] && grep -q "regular --input file" "$T/err" &&
	   [ ! -s "$T/out" ]; then pass "$name"; else
		fail "$name: exit $rc" "$(head -2 "$T/err" | tr '\n' '|')"; fi
}
rm -f "$T/j"
refused "--checkpoint --input /dev/stdin (a pipe) refused" \
	bash -c "seq 1 3 | '$F' --input /dev/stdin --checkpoint '$T/j'"
refused "--checkpoint --input <(...) refused" \
	bash -c "'$F' --input <(seq 1 4) --checkpoint '$T/j'"
mkfifo "$T/fifo"
(seq 1 5 >"$T/fifo" &)
refused "--checkpoint --input FIFO refused" "$F" --input "$T/fifo" --checkpoint "$T/j"
(seq 1 5 >"$T/fifo" &)
refused "--checkpoint --input FIFO refused, mpirun -np 2" \
	run_np 2 --input "$T/fifo" --checkpoint "$T/j"
seq 1 5 >"$T/five"
seq 1 5 | factor >"$T/five.ref"
rm -f "$T/j"
"$F" --quiet --input /dev/stdin --checkpoint "$T/j" <"$T/five" >"$T/out" 2>&1
check_files "--checkpoint --input /dev/stdin redirected from a file works" "$T/five.ref" "$T/out"

# ---- item 3: --max-digits applies to the --count terms -------------------

"$F" --max-digits 5 --count 2 >"$T/out" 2>"$T/err"; rc=$?
check "--max-digits 5 --count 2: exit 2, '--start has 12 digits'" \
	test "$rc" -eq 2 -a ! -s "$T/out" -a -n "$(grep -- '--start has 12 digits' "$T/err")"
Z=1$(printf '0%.0s' $(seq 20000))
"$F" --count 2 --start 1 --step "$Z" >"$T/out" 2>"$T/err"; rc=$?
check "a 20001-digit --step at the default --max-digits: exit 2" \
	test "$rc" -eq 2 -a ! -s "$T/out" -a -n "$(grep -- '--step has 20001 digits' "$T/err")"
run_np 2 --max-digits 5 --count 2 >"$T/out" 2>"$T/err"; rc=$?
check "--max-digits 5 --count 2 under mpirun -np 2: exit 2, the message" \
	test "$rc" -eq 2 -a -n "$(grep -- '--start has 12 digits' "$T/err")"
python3 -c "
import sys
sys.set_int_max_str_digits(0)
N = 10 ** 20000
for k in (1, 2, 3):
    print(f'{k * N}: 2^{20000 + (k == 2)}' + (' 3' if k == 3 else '') + ' 5^20000')
" >"$T/huge.ref"
H="--max-digits 30000 -h --count 3 --start $Z --step $Z"
run "terms of 20001 digits, direct" "$T/huge.ref" 0 direct - $H
run "terms of 20001 digits, -np 2" "$T/huge.ref" 0 2 - $H
run "terms of 20001 digits, -np 3 --group-size 2" "$T/huge.ref" 0 3 - $H --group-size 2
rm -f "$T/j"
run "terms of 20001 digits, --checkpoint" "$T/huge.ref" 0 direct - $H --checkpoint "$T/j"
run "terms of 20001 digits, --checkpoint replayed" "$T/huge.ref" 0 direct - $H --checkpoint "$T/j"

# ---- item 6: the command line -------------------------------------------
# Started directly, factorize does not start MPI (transport.c: no
# launcher in the environment), so the command line has only Linux's
# limits; with FACTORIZE_MPI=1 it starts an Open MPI singleton, whose
# helper daemon gets the whole command line in one exec string.

"$F" --quiet $(seq 1 25000) >"$T/out" 2>"$T/err"; rc=$?
seq 1 25000 | factor >"$T/ref"
check "25000 numbers as arguments, started directly: all factored" \
	test "$rc" -eq 0 -a "$(cmp -s "$T/ref" "$T/out" && echo same)" = same
L=$((131072 - (${#F} + 1) - 8 - 1))
A=$(printf '%0*d' "$L" 7)
"$F" --quiet "0$A" >"$T/out" 2>"$T/err"; rc=$?
check "131073 bytes started directly: runs (no MPI, no limit of its own)" \
	test "$rc" -eq 0 -a "$(cat "$T/out")" = "7: 7"
if "$F" --version | grep -qi 'open mpi'; then
	# argv[0] + NUL, "--quiet" + NUL, one number + NUL = 131072 bytes
	FACTORIZE_MPI=1 "$F" --quiet "$A" >"$T/out" 2>"$T/err"; rc=$?
	check "FACTORIZE_MPI=1: a command line of exactly 131072 bytes runs" \
		test "$rc" -eq 0 -a "$(cat "$T/out")" = "7: 7"
	FACTORIZE_MPI=1 "$F" --quiet "0$A" >"$T/out" 2>"$T/err"; rc=$?
	check "FACTORIZE_MPI=1, 131073 bytes: exit 2, names standard input, no MPI banner" \
		test "$rc" -eq 2 -a -n "$(grep 'standard input' "$T/err")" \
		-a -z "$(grep -- '-----' "$T/err")"
	FACTORIZE_MPI=1 "$F" --quiet $(seq 1 25000) >"$T/out" 2>"$T/err"; rc=$?
	check "FACTORIZE_MPI=1, 25000 numbers as arguments: exit 2 (issue 14's case)" \
		test "$rc" -eq 2 -a ! -s "$T/out"
else
	pass "command-line limit of an Open MPI singleton: not an Open MPI build"
fi

summary
