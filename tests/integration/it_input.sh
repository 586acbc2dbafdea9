#!/usr/bin/env bash
# tests/integration/it_input.sh - --input FILE by byte ranges (proto.h 3a):
# rank 0 cuts the file at line ends, workers read and parse their ranges.
#
# Every case is compared byte for byte with GNU factor (numbers) and with
# the one-process run (stdout and stderr: the bad-token messages and their
# line numbers), at -np 1 to 8 and with byte ranges from 1 byte (every
# line a range, every bad token on a boundary) to larger than the file:
# comments, blank lines, CRLF, bad tokens at range boundaries, a line
# longer than a range, no final newline, an empty file, --max-digits.
# The same files from standard input (raw text, rank 0 reads it: the old
# path) and with --group-size 2 (groups keep rank 0's text path) must
# give the same bytes.  A file that changes size during the job fails it,
# saying so.  One planted fault: a worker's wrong line is caught by rank
# 0's sample, which checks a byte range's lines against their own number.
set -u
. "$(dirname "$0")/../lib.sh"

T=$TMP
export LC_ALL=C
F=${FACTORIZE:-$TOP/factorize}

# ---- the files -------------------------------------------------------------
seq 2 3001 >"$T/plain"
{ printf '12 # twelve\n\n  # a comment line\n\t15   16\n'
  printf 'abc 17\n+18 0x10\n\n\n19 -5 20\n#\n21'; } >"$T/mixed"   # no final newline
printf '4\r\n5 6\r\n\r\nz\r\n7\r\n' >"$T/crlf"
{ printf '1000000000000'; for i in $(seq 1 400); do printf ' %d' $((i + 1000)); done
  printf '\n30\nbad\n31\n'; } >"$T/longline"                         # a line of ~2.4 KB
{ for i in $(seq 1 300); do printf 'x%d\n%d\n' "$i" $((i * 7)); done; } >"$T/badedge"
: >"$T/empty"
{ printf '123456789012345678901234567890\n42\n'; } >"$T/digits"    # --max-digits 20

# Our own messages of a stderr file (mpirun adds a notice on exit 1).
msgs() { grep '^factorize:' "$1" >"$1.m" || true; mv "$1.m" "$1"; }

# The numbers of a file as GNU factor reads them (bad tokens dropped).
numbers() { tr -d '\r' <"$1" | sed 's/#.*//' | tr ' \t' '\n\n' | grep -E '^\+?[0-9]+$' | sed 's/^+//' || true; }

for f in plain mixed crlf longline badedge empty; do
	numbers "$T/$f" | factor >"$T/$f.gnu" 2>/dev/null
	"$F" --quiet --input "$T/$f" >"$T/$f.one" 2>"$T/$f.err"
	check_files "$f: one process = GNU factor" "$T/$f.gnu" "$T/$f.one"
done
check "mixed: bad tokens named at their lines" \
	grep -qx "factorize: $T/mixed:5: 'abc' is not a valid positive integer" "$T/mixed.err"
check "mixed: the last one too" \
	grep -qx "factorize: $T/mixed:9: '-5' is not a valid positive integer" "$T/mixed.err"
check "empty file: no output" test ! -s "$T/empty.one"

# ---- rank counts and range sizes --------------------------------------------
for f in plain mixed crlf longline badedge empty; do
	for np in 1 2 3 5 8; do
		for rb in 1 7 4096 0; do
			# every size at -np 1, 3, 8; 1-byte ranges at 2 and 5
			case $np in 2|5) [ "$rb" -ne 1 ] && continue ;; esac
			opt=; [ "$rb" -gt 0 ] && opt="--test-range-bytes $rb"
			run_np "$np" --quiet --input "$T/$f" $opt >"$T/o" 2>"$T/e"; rc=$?
			msgs "$T/e"
			want=0; [ -s "$T/$f.err" ] && want=1
			if cmp -s "$T/o" "$T/$f.one" && cmp -s "$T/e" "$T/$f.err" && [ "$rc" -eq "$want" ]; then
				pass "$f -np $np range ${rb:-auto}: output and messages identical"
			else
				fail "$f -np $np range $rb (exit $rc)" "$(diff "$T/$f.err" "$T/e" | head -3 | tr '\n' '|')"
			fi
		done
	done
done

# --max-digits: a token over it is reported with its own reason, in range.
"$F" --quiet --max-digits 20 --input "$T/digits" >"$T/d.one" 2>"$T/d.err"
run_np 3 --quiet --max-digits 20 --test-range-bytes 1 --input "$T/digits" >"$T/o" 2>"$T/e"
msgs "$T/e"
check_files "--max-digits: output identical (-np 3)" "$T/d.one" "$T/o"
check_files "--max-digits: message identical (-np 3)" "$T/d.err" "$T/e"
check "--max-digits: its reason" grep -q "digits:1: '123456789012345678901234567890' has more than 20 digits" "$T/e"

# Formats: every line is formatted by the worker that read it.
for fmt in "--format json" "--format csv" "-h" "--format json --verbose"; do
	"$F" --quiet $fmt --input "$T/mixed" 2>/dev/null | sed 's/"rank":[0-9]*,//; s/"seconds":[0-9.e+-]*//' >"$T/f.one"
	run_np 4 --quiet $fmt --test-range-bytes 5 --input "$T/mixed" 2>/dev/null |
		sed 's/"rank":[0-9]*,//; s/"seconds":[0-9.e+-]*//' >"$T/f.np"
	check_files "$fmt: identical (-np 4, 5-byte ranges)" "$T/f.one" "$T/f.np"
done

# --output FILE and --unordered (same set of lines).
run_np 3 --quiet --input "$T/plain" --test-range-bytes 100 --output "$T/out.txt"
check_files "--output FILE (-np 3)" "$T/plain.gnu" "$T/out.txt"
run_np 3 --quiet --unordered --input "$T/badedge" --test-range-bytes 9 2>"$T/e" | sort >"$T/o"
msgs "$T/e"
sort "$T/badedge.one" >"$T/s"
check_files "--unordered: the same lines (-np 3)" "$T/s" "$T/o"
check_files "--unordered: messages in input order (-np 3)" "$T/badedge.err" "$T/e"

# Standard input (rank 0 forwards the text path) and groups: the same.
for f in mixed longline; do
	run_np 3 --quiet --input - <"$T/$f" >"$T/o" 2>"$T/e"
	msgs "$T/e"
	sed "s|$T/$f|standard input|" "$T/$f.err" >"$T/want.err"
	check_files "$f from standard input (-np 3)" "$T/$f.one" "$T/o"
	check_files "$f from standard input: messages (-np 3)" "$T/want.err" "$T/e"
	run_np 5 --quiet --group-size 2 --input "$T/$f" >"$T/o" 2>"$T/e"
	msgs "$T/e"
	check_files "$f with --group-size 2 (-np 5)" "$T/$f.one" "$T/o"
	check_files "$f with --group-size 2: messages (-np 5)" "$T/$f.err" "$T/e"
done

# --stats: the numbers are counted by the workers.
run_np 3 --quiet --input "$T/plain" --test-range-bytes 512 --stats "$T/s.json" >/dev/null
check "--stats: 3000 numbers" grep -q '"numbers": *3000' "$T/s.json"

# ---- a file that changes size during the job ---------------------------------
# The one worker sleeps 100 ms per range (440 ranges): the file grows 5 s
# in, long after rank 0 cut it, long before the job could end.
seq 1000000000000 1000000002000 >"$T/grow"
( sleep 5; echo 5 >>"$T/grow" ) &
run_np 2 --quiet --input "$T/grow" --test-range-bytes 64 --test-fault slow \
	--test-fault-rank 1 --test-fault-ms 100 >/dev/null 2>"$T/e"; rc=$?
wait
check "a file that grows during the job: exit 3" test "$rc" -eq 3
check "a file that grows during the job: says so" grep -q "changed size during the job" "$T/e"

# ---- planted fault: rank 0's sample catches a worker's wrong line -----------
run_np 3 --quiet --input "$T/plain" --test-range-bytes 200 --test-fault wrong-result \
	--test-fault-rank 1 >"$T/o" 2>"$T/e"; rc=$?
check "wrong-result fault on byte ranges: exit 0" test "$rc" -eq 0
check_files "wrong-result fault on byte ranges: output still correct" "$T/plain.gnu" "$T/o"
check "wrong-result fault on byte ranges: named" grep -q 'rank 1 returned a wrong factorization of number 1 of bytes' "$T/e"

summary
