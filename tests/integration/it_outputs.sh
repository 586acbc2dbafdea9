#!/usr/bin/env bash
# tests/integration/it_outputs.sh - the output files, the documented differences from
# GNU factor, the journal's identity and the messages of issue 14 (items
# 7-13 and its "Polish" list), on the real ./factorize.
#
# Oracles: the file system after each run (what exists, its bytes, mode
# and group), GNU coreutils factor run on the same input (the README's
# table of differences), the README's own examples run as commands, and
# the exact status and message of each refusal.  Most runs are MPI
# singletons; the refusals and a bad token also run under mpirun -np 2
# and 3, where every rank must leave through MPI_Finalize (no MPI_ABORT
# banner, no "exited without calling finalize").  Ends with the verdict
# line of tests/lib.sh.
set -u
. "$(dirname "$0")/../lib.sh"

FZ="$TOP/factorize"
T=$TMP
export LC_ALL=C

fz() { timeout -k 5 "$TIMEOUT" "$FZ" "$@"; }

if [ ! -x "$FZ" ]; then
	fail "binary ./factorize exists (run make first)"
	summary
	exit 1
fi

# refused NAME RC NEEDLE ARGS...: exit RC, NEEDLE on stderr, nothing on
# stdout; the run's files are checked by the caller.
refused() {
	local name=$1 want=$2 needle=$3 rc; shift 3
	fz "$@" >"$T/r.out" 2>"$T/r.err" </dev/null; rc=$?
	if [ "$rc" -eq "$want" ] && [ ! -s "$T/r.out" ] &&
		grep -qF -- "$needle" "$T/r.err"; then
		pass "$name"
	else
		fail "$name" "rc=$rc stderr: $(head -2 "$T/r.err" | tr '\n' '|')"
	fi
}

not_grep() { ! grep -q -- "$1" "$2"; }

# no_abort NAME FILE: stderr of an mpirun run shows a clean exit.
no_abort() {
	if grep -qE 'MPI_ABORT was invoked|without calling "?finalize|exited on signal' "$2"; then
		fail "$1" "$(grep -m2 -E 'MPI_ABORT|finalize|signal' "$2" | tr '\n' '|')"
	else
		pass "$1"
	fi
}

# ---- item 7: every output path checked before the work -------------------

mkdir -p "$T/w"
cd "$T/w" || exit 1
refused "--stats in a missing directory: exit 3, names --stats" 3 \
	"--stats '/nonexistent-$$/s.json': directory '/nonexistent-$$' does not exist" \
	--stats "/nonexistent-$$/s.json" --output o.txt 12
check "--stats in a missing directory: --output not written" test ! -e o.txt
check "--stats in a missing directory: no temporary left" test -z "$(ls -A)"
refused "--output is a directory: exit 3, names --output" 3 \
	"--output '$T/w' is a directory" --output "$T/w" 12
refused "--checkpoint is a directory" 3 "--checkpoint '$T' is a directory" \
	--checkpoint "$T" 12
refused "--checkpoint /dev/null: not a regular file (no 'Invalid argument')" 3 \
	"--checkpoint '/dev/null' is not a regular file" --checkpoint /dev/null 12
check "--checkpoint /dev/null: no errno text" not_grep "Invalid argument" "$T/r.err"
if [ -e /proc/version ]; then
	refused "--output /proc/version: says why (no 'No such file')" 3 \
		"--output '/proc/version': cannot create files in directory '/proc'" \
		--output /proc/version 12
	check "--output /proc/version: no ENOENT text" not_grep "No such file" "$T/r.err"
fi
touch plain
refused "--stats under a regular file" 3 "--stats 'plain/s.json'" \
	--stats plain/s.json 12
rm -f plain
fz <&- >"$T/cin.out" 2>"$T/cin.err"; rc=$?
check "closed stdin as the input: exit 3, said in words" \
	sh -c "test $rc -eq 3 && grep -q 'standard input is closed' '$T/cin.err' &&
	       ! grep -q 'temporarily unavailable' '$T/cin.err'"
fz 12 <&- >"$T/cin2.out" 2>/dev/null; rc=$?
check "closed stdin, numbers as arguments: factored, exit 0" \
	test "$rc" -eq 0 -a "$(cat "$T/cin2.out")" = "12: 2 2 3"
fz --output /dev/null --stats /dev/null --count 5 2>/dev/null; rc=$?
check "devices for --output and --stats together: fine" test "$rc" -eq 0

# ---- item 8: one file for two outputs ------------------------------------

refused "--output = --stats: exit 2" 2 "--output and --stats both name 's.txt'" \
	--output s.txt --stats s.txt 12
check "--output = --stats: nothing written" test ! -e s.txt
fz --checkpoint c.txt 12 13 >/dev/null 2>&1
cp c.txt c.keep
refused "--output = --checkpoint: exit 2" 2 \
	"--output and --checkpoint both name 'c.txt'" \
	--output c.txt --checkpoint c.txt 12 13
check_files "--output = --checkpoint: the journal untouched" c.keep c.txt
ln -s s2.txt link.txt
refused "through a symbolic link (new file)" 2 \
	"--output 'link.txt' and --stats 's2.txt' are the same file" \
	--output link.txt --stats s2.txt 12
echo old >o2.txt
ln o2.txt hard.txt
refused "through a hard link" 2 "--output 'o2.txt' and --stats 'hard.txt'" \
	--output o2.txt --stats hard.txt 12
check "through a hard link: file untouched" test "$(cat o2.txt)" = old
refused "--stats through a directory's other name" 2 "are the same file" \
	--output "$T/w/../w/q.txt" --stats q.txt 12
fz --stats redir.txt 12 >redir.txt 2>"$T/r.err"; rc=$?
check "--stats = redirected stdout: exit 2" \
	sh -c "test $rc -eq 2 && grep -q 'standard output is redirected' '$T/r.err'"
printf '12\n13\n' >in.txt
cp in.txt in.keep
refused "--checkpoint = --input: exit 2" 2 "--checkpoint and --input both name 'in.txt'" \
	--input in.txt --checkpoint in.txt
check_files "--checkpoint = --input: input untouched" in.keep in.txt
fz --input in.txt --output in.txt 2>/dev/null; rc=$?
check "--input = --output is allowed (replaced after reading, as sort -o)" \
	test "$rc" -eq 0 -a "$(tr '\n' ' ' <in.txt)" = "12: 2 2 3 13: 13 "

# Under mpirun: rank 0 refuses, every rank leaves cleanly.
run_np 3 --output m.txt --stats m.txt --count 50 >"$T/m.out" 2>"$T/m.err"; rc=$?
check "mpirun -np 3, one file twice: exit 2" test "$rc" -eq 2
no_abort "mpirun -np 3, one file twice: no abort, all ranks finalize" "$T/m.err"
check "mpirun -np 3, one file twice: nothing written" test ! -e m.txt
run_np 2 --stats "/nonexistent-$$/s" --count 50 >"$T/m.out" 2>"$T/m.err"; rc=$?
check "mpirun -np 2, bad --stats: exit 3 before any output" \
	test "$rc" -eq 3 -a ! -s "$T/m.out"
no_abort "mpirun -np 2, bad --stats: no abort" "$T/m.err"

# ---- item 9: a replaced --output keeps its mode and group ----------------

for mode in 640 600 604 755; do
	echo old >mode.txt
	chmod "$mode" mode.txt
	fz --output mode.txt 12 2>/dev/null
	check "--output keeps mode $mode" test "$(stat -c %a mode.txt)" = "$mode"
done
ln -sf mode.txt mlink.txt
chmod 640 mode.txt
fz --output mlink.txt 13 2>/dev/null
check "--output through a symlink: target keeps 640, link stays" \
	sh -c "test \$(stat -c %a mode.txt) = 640 && test -L mlink.txt && grep -q '^13: 13' mode.txt"
if [ "$(id -u)" -eq 0 ] && getent group daemon >/dev/null; then
	chgrp daemon mode.txt
	fz --output mode.txt 12 2>/dev/null
	check "--output keeps the group (root may set it)" \
		test "$(stat -c %G mode.txt)" = daemon
fi
rm -f new.txt
(umask 027 && fz --output new.txt 12 2>/dev/null)
check "a new --output file: 0666 & ~umask" test "$(stat -c %a new.txt)" = 640

# ---- item 10: the README's examples are what the program prints ----------

# Every "    $ ./factorize ..." block of README.md, run, compared line by line.
awk '/^    \$ \.\/factorize /{if (cmd) print cmd "\t" out; cmd=substr($0,7); out=""; next}
     /^    [^$ ]/ && cmd {out = out (out ? "\\n" : "") substr($0,5); next}
     {if (cmd) print cmd "\t" out; cmd=""}' "$TOP/README.md" >"$T/ex.tsv"
check "README: output examples found" test "$(wc -l <"$T/ex.tsv")" -ge 5
while IFS=$'\t' read -r cmd want; do
	got=$(cd "$TOP" && eval "$cmd --quiet" 2>/dev/null)
	if [ "$got" = "$(printf '%b' "$want")" ]; then pass "README: $cmd"
	else fail "README: $cmd" "got: $(printf '%s' "$got" | tr '\n' '|')"; fi
done <"$T/ex.tsv"
check "README: CSV example quotes the factor list" \
	grep -qF '12,"2^2 3",complete,' "$TOP/README.md"
check "man page: CSV example quotes the factor list" \
	grep -qF '12,"2^2 3",complete,' "$TOP/src/factorize.1"

# The table "Differences from GNU factor", each row run on both programs.
if factor --version 2>/dev/null | grep -q 'coreutils) 9\.1'; then
	# diff_row NAME STDIN-BYTES FACTOR-RC FACTOR-OUT FZ-RC FZ-OUT
	diff_row() {
		local name=$1 in=$2 frc=$3 fout=$4 zrc=$5 zout=$6 g r
		g=$(printf "$in" | factor 2>/dev/null); r=$?
		if [ "$r" = "$frc" ] && [ "$g" = "$fout" ]; then pass "factor 9.1: $name"
		else fail "factor 9.1: $name" "rc=$r out=$g"; fi
		g=$(printf "$in" | fz --quiet 2>/dev/null); r=$?
		if [ "$r" = "$zrc" ] && [ "$g" = "$zout" ]; then pass "factorize: $name"
		else fail "factorize: $name" "rc=$r out=$g"; fi
	}
	diff_row "# comment" '12 # a comment\n' 1 "12: 2 2 3" 0 "12: 2 2 3"
	diff_row "CRLF" '5\r\n' 1 "" 0 "5: 5"
	diff_row "NUL after digits" '9\0 5\n' 0 $'9: 3 3\n5: 5' 1 "5: 5"
	diff_row "leading tab on a line" '\t7\n' 0 "7: 7" 0 "7: 7"
	diff_row "one +, leading zeros" '+007\n' 0 "7: 7" 0 "7: 7"
	diff_row "two signs" '++5\n' 1 "" 1 ""
	g=$(factor $'\t7' 2>/dev/null); r=$?
	check "factor 9.1: argument with a leading tab is invalid" test "$r" = 1 -a -z "$g"
	check "factorize: argument with a leading tab is 7" \
		test "$(fz --quiet $'\t7')" = "7: 7"
	factor -1 >/dev/null 2>&1; r=$?
	check "factor 9.1: -1 exits 1" test "$r" = 1
	fz -1 >/dev/null 2>&1; r=$?
	check "factorize: -1 exits 2" test "$r" = 2
	factor <&- >/dev/null 2>&1; r=$?
	check "factor 9.1: closed stdin exits 0" test "$r" = 0
else
	pass "GNU factor 9.1 not installed: differences table not rechecked"
fi

# ---- item 11: --verbose with text is the same job; refusals in words -----

printf '%s\n' 12 97 1001 >job.txt
fz --input job.txt --checkpoint j1 >v1.out 2>/dev/null
fz --input job.txt --checkpoint j1 --verbose >v2.out 2>"$T/v.err"; rc=$?
check "--verbose with text: same job (exit 0)" test "$rc" -eq 0
check_files "--verbose with text: same bytes" v1.out v2.out
check "--verbose with text: warned once" \
	test "$(grep -c 'warning: --verbose has no effect with --format text' "$T/v.err")" = 1
fz --input job.txt --checkpoint j2 --format json >/dev/null 2>&1
fz --input job.txt --checkpoint j2 --format json -h >/dev/null 2>"$T/h.err"; rc=$?
check "-h with JSON: same job (exit 0), warned" \
	sh -c "test $rc -eq 0 && grep -q 'warning: -h/--exponents has no effect with --format json' '$T/h.err'"
refused "another job: what differs, in words" 2 \
	"belongs to a different job: --format was text, is csv now; --seed was 1, is 7 now" \
	--input job.txt --checkpoint j1 --format csv --seed 7
check "another job: no raw header" not_grep "numbers=" "$T/r.err"
printf '%s\n' 12 97 >job.txt
refused "another job: a changed input file" 2 \
	"the --input file is not the one journaled (11 bytes then, 6 now)" \
	--input job.txt --checkpoint j1

# ---- item 12: --resume without a journal; the time limit's cap -----------

refused "--resume without a journal: exit 2, in words" 2 \
	"--resume: there is no checkpoint journal 'none.j' to resume from" \
	--checkpoint none.j --resume 12
check "--resume without a journal: none created" test ! -e none.j
: >empty.j
refused "--resume with an empty journal: exit 2" 2 "is empty: nothing to resume" \
	--checkpoint empty.j --resume 12
refused "--time-limit-per-number above 10^9: exit 2, names the cap" 2 \
	"larger than 1000000000 seconds" --time-limit-per-number 1000000001 12
check "--time-limit-per-number 10^9 (the cap itself) is accepted" \
	test "$(fz --time-limit-per-number 1000000000 12 2>/dev/null)" = "12: 2 2 3"

# ---- item 13: 0 keeps the product check true in every format -------------

check "0 in text: '0:' as GNU factor" test "$(fz 0 2>/dev/null)" = "$(factor 0)"
check "0 in JSON: no factors, status zero" \
	test "$(fz --format json 0 2>/dev/null)" = '{"n":"0","factors":[],"status":"zero"}'
check "0 in CSV: status zero" \
	test "$(fz --format csv 0 2>/dev/null | tail -1)" = '0,"",zero,'
check "1 in JSON: complete, empty product" \
	test "$(fz --format json 1 2>/dev/null)" = '{"n":"1","factors":[],"status":"complete"}'

# ---- Polish ---------------------------------------------------------------

fz 7 2>"$T/one.err" >/dev/null
check "summary for one number: singulars" \
	grep -qE '^factorize: 1 number in [0-9.]+ s \([0-9]+/s\), 1 chunk, 1 rank \(1 worker\),' "$T/one.err"
fz --time-limit-per-number 1.5 --max-digits 400 \
	"$(python3 -c 'print(2**1279 - 1)')" >/dev/null 2>"$T/slow.err"
check "summary of a slow run: a rate, not (0/s)" \
	sh -c "grep -qE '\\(([0-9.]+/s|[0-9.e+]+ s per number)\\)' '$T/slow.err' && ! grep -q '(0/s)' '$T/slow.err'"
refused "--count abc: states the range, not 'non-negative'" 2 \
	"'abc' is not a valid decimal integer (allowed: 1 to 2^64-1)" --count abc
refused "--seed -1: negative, range from 0" 2 "'-1' is negative (allowed: 0 to 2^64-1)" \
	--seed -1 12
check "--start +7 is accepted, as +7 as input" \
	test "$(fz --count 1 --start +7 2>/dev/null)" = "7: 7"
refused "--count -0: not called negative" 2 "'-0' has a minus sign" --count -0
check "--count -0: not called negative (2)" not_grep "negative" "$T/r.err"
refused "-0 as a word: not called negative" 2 "write 0 for zero" -0
refused "--group-size abc mentions node" 2 "or node" --group-size abc 12
fz --max-digits 1 12 >/dev/null 2>"$T/md.err"
check "--max-digits 1: 'more than 1 digit'" grep -q "has more than 1 digit (--max-digits)" "$T/md.err"

# A bad token under mpirun: exit 1 through MPI_Finalize on every rank;
# mpirun -q leaves out mpirun's notice of the non-zero status.
run_np 2 12 abc 13 >"$T/bt.out" 2>"$T/bt.err"; rc=$?
check "mpirun -np 2, bad token: exit 1, the rest printed" \
	test "$rc" -eq 1 -a "$(tr '\n' ' ' <"$T/bt.out")" = "12: 2 2 3 13: 13 "
no_abort "mpirun -np 2, bad token: no abort, all ranks finalize" "$T/bt.err"
if $MPIRUN --version 2>/dev/null | grep -q 'Open MPI'; then
	timeout -k 5 "$TIMEOUT" $MPIRUN $MPIRUN_FLAGS -q -np 2 "$FZ" 12 abc 13 \
		>"$T/bq.out" 2>"$T/bq.err"; rc=$?
	check "mpirun -q -np 2, bad token: exit 1 and no mpirun notice" \
		sh -c "test $rc -eq 1 && ! grep -q 'Primary job' '$T/bq.err'"
fi

cd "$TOP" || exit 1
summary
