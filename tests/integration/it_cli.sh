#!/usr/bin/env bash
# tests/integration/it_cli.sh - integration of the command line, input forms, output
# formats, progress, man page and installation, on the real ./factorize.
#
# Oracles: GNU factor (text), tests/data/coreutils-factor.txt (known answers),
# python3's json and csv modules (formats, with the product of the factors
# recomputed), groff/man (the man page), the --help text (option lists).
# Most runs are MPI singletons (./factorize started directly); a few use
# mpirun through run_np.  Ends with the verdict line of tests/lib.sh.
set -u
. "$(dirname "$0")/../lib.sh"

FZ="$TOP/factorize"
T=$TMP
export LC_ALL=C

# fz ARGS...: the binary as a singleton, under timeout.
fz() { timeout -k 5 "$TIMEOUT" "$FZ" "$@"; }

if [ ! -x "$FZ" ]; then
	fail "binary ./factorize exists (run make first)"
	summary
	exit 1
fi

# ---- man page and --help --------------------------------------------------

MAN="$TOP/src/factorize.1"
out=$(groff -man -ww -z "$MAN" 2>&1)
check "man page: groff -man -ww reports no warning" test -z "$out"
out=$(MANWIDTH=80 man -l "$MAN" 2>&1 >/dev/null)
check "man page: man -l renders without warnings" test -z "$out"
MANWIDTH=80 man -l "$MAN" 2>/dev/null | col -b >"$T/man.txt"
for sec in NAME SYNOPSIS DESCRIPTION OPTIONS INPUT "OUTPUT FORMATS" \
	"EXIT STATUS" ENVIRONMENT EXAMPLES "SEE ALSO"; do
	check "man page: section $sec" grep -q "^$sec" "$T/man.txt"
done

fz --help >"$T/help.txt" 2>"$T/help.err"; rc=$?
check "--help exits 0" test "$rc" -eq 0
check "--help prints usage on stdout" grep -q '^Usage: factorize' "$T/help.txt"
check "--help prints nothing on stderr" test ! -s "$T/help.err"

# Options of --help and option items of the man page's OPTIONS section.
grep -oE -- '--[a-z][a-z-]*' "$T/help.txt" | sort -u >"$T/help.opts"
python3 - "$MAN" >"$T/man.opts" <<'EOF'
import re, sys
src = open(sys.argv[1]).read().split('\n')
opts, in_options, after_tp = set(), False, False
for line in src:
    if line.startswith('.SH'):
        in_options = line.strip() == '.SH OPTIONS'
    if not in_options:
        continue
    if line.startswith('.TP'):
        after_tp = True
        continue
    if after_tp:
        for m in re.findall(r'\\-\\-([a-z][a-z-]*(?:\\-[a-z]+)*)', line):
            opts.add('--' + m.replace('\\-', '-'))
        after_tp = False
print('\n'.join(sorted(opts)))
EOF
check_files "every --help option is in the man page and vice versa" \
	"$T/help.opts" "$T/man.opts"
check "the man page documents -h" grep -q '^\.BR \\-h ", " \\-\\-exponents' "$MAN"
check "--help hides the test-only options" \
	sh -c "! grep -q test-fault '$T/help.txt' && ! grep -q test-fault '$MAN'"

# Every exit code of include/cli.h is documented under EXIT STATUS.
codes=$(sed -n 's/^[[:space:]]*CLI_EXIT_[A-Z_]* = \([0-9]*\).*/\1/p' "$TOP/include/cli.h")
check "cli.h exit codes found" test -n "$codes"
for c in $codes; do
	check "man page: exit status $c documented" \
		sh -c "sed -n '/^\.SH EXIT STATUS/,/^\.SH ENV/p' '$MAN' | grep -qx '\.B $c'"
done

fz --version >"$T/ver.txt" 2>&1; rc=$?
check "--version exits 0" test "$rc" -eq 0
check "--version names GMP" grep -q 'GMP [0-9]' "$T/ver.txt"
check "--version names the MPI library" grep -qiE 'open mpi|mpich|mpi' "$T/ver.txt"

# ---- text output against the oracles --------------------------------------

# Known answers (GNU factor's own test vectors).  The two 127-bit
# semiprimes with two 64-bit factors are left to the engine's own tests:
# this script checks formats, not factoring speed.
grep -v '^#' "$TOP/tests/data/coreutils-factor.txt" |
	grep -v -e '^170141183460469225450570946617781744489' \
		-e '^170141183460469229545748130981302223887' >"$T/kv.tsv"
cut -f1 "$T/kv.tsv" >"$T/kv.in"
cut -f2 "$T/kv.tsv" >"$T/kv.expect"
check "text: coreutils known answers read (not an empty comparison)" \
	test "$(wc -l <"$T/kv.in")" -gt 20
fz --input "$T/kv.in" >"$T/kv.out" 2>/dev/null
check_files "text: coreutils known answers" "$T/kv.expect" "$T/kv.out"

# 0, 1, small numbers, powers, and random numbers below 2^80 vs GNU factor.
python3 - >"$T/mix.in" <<'EOF'
import random
r = random.Random(20261122)
nums = [0, 1, 2, 3, 4, 12, 3000, 65536, 2**32 - 5, 2**61 - 1, 2**64 - 1,
        2**64, 2**64 + 1, 10**18 + 9, 3**40]
nums += [r.randrange(2, 2**40) for _ in range(150)]
nums += [r.randrange(2, 2**80) for _ in range(30)]
print('\n'.join(map(str, nums)))
EOF
factor <"$T/mix.in" >"$T/mix.expect"
fz --input "$T/mix.in" >"$T/mix.out" 2>/dev/null
check_files "text: 195 numbers equal GNU factor" "$T/mix.expect" "$T/mix.out"
fz $(head -40 "$T/mix.in") >"$T/args.out" 2>/dev/null
check_files "text: numbers as arguments" <(head -40 "$T/mix.expect") "$T/args.out"
fz <"$T/mix.in" >"$T/stdin.out" 2>/dev/null
check_files "text: standard input by default" "$T/mix.expect" "$T/stdin.out"
fz --input - <"$T/mix.in" >"$T/stdin2.out" 2>/dev/null
check_files "text: --input -" "$T/mix.expect" "$T/stdin2.out"
seq 999999999999 2 1000000001995 | factor >"$T/classic.expect"
fz --count 999 --chunk 43 >"$T/classic.out" 2>/dev/null
check_files "text: classic job equals seq | factor" "$T/classic.expect" "$T/classic.out"

# -h: as factor -h where the installed factor has it (coreutils >= 9.3),
# else factor's output folded into p^e form.
to_exp() {
	awk '{ printf "%s", $1; i = 2;
	       while (i <= NF) { j = i; while (j < NF && $(j+1) == $i) j++;
	         printf " %s", $i; if (j > i) printf "^%d", j - i + 1; i = j + 1 }
	       printf "\n" }'
}
if factor -h 12 >/dev/null 2>&1; then
	factor -h <"$T/mix.in" >"$T/mixh.expect"
else
	to_exp <"$T/mix.expect" >"$T/mixh.expect"
fi
fz -h --input "$T/mix.in" >"$T/mixh.out" 2>/dev/null
check_files "text: -h equals factor -h" "$T/mixh.expect" "$T/mixh.out"
fz --exponents 3000 >"$T/h.out" 2>/dev/null
check "text: --exponents 3000" test "$(cat "$T/h.out")" = "3000: 2^3 3 5^3"

# ---- JSON and CSV, read by real parsers ------------------------------------

BIG=$(python3 -c 'print(2**200 * 3**5 * 1000003)')
printf '%s\n' 0 1 12 3000 4294967297 "$BIG" 18446744073709551617 >"$T/fmt.in"
fz --input "$T/fmt.in" --format json >"$T/fmt.json" 2>/dev/null
check "json: every line parses, products and order match the input" \
	python3 - "$T/fmt.in" "$T/fmt.json" <<'EOF'
import json, sys
want = [int(l) for l in open(sys.argv[1])]
rows = [json.loads(l) for l in open(sys.argv[2])]
assert len(rows) == len(want), (len(rows), len(want))
for w, r in zip(want, rows):
    assert set(r) == {'n', 'factors', 'status'}, r
    assert isinstance(r['n'], str) and int(r['n']) == w, r
    # the rule of every format: "complete" means the product is n; 0 has
    # no factorization and is "zero" with no factors (GNU factor: "0:")
    assert r['status'] == ('zero' if w == 0 else 'complete'), r
    prod, last = 1, 1
    for f in r['factors']:
        assert isinstance(f['p'], str) and isinstance(f['e'], int), f
        p = int(f['p']); assert p > last and f['e'] >= 1, f
        prod *= p ** f['e']; last = p
    assert (prod == w) if r['status'] == 'complete' else r['factors'] == [], (w, r)
EOF
fz --input "$T/fmt.in" --format json --verbose >"$T/fmtv.json" 2>/dev/null
check "json --verbose: rank (int) and seconds (number) on every line" \
	python3 - "$T/fmtv.json" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert rows
for r in rows:
    assert isinstance(r['rank'], int) and r['rank'] >= 0, r
    assert isinstance(r['seconds'], float) and r['seconds'] >= 0, r
EOF
fz --input "$T/fmt.in" --format csv >"$T/fmt.csv" 2>/dev/null
check "csv: header, one row per number, products match" \
	python3 - "$T/fmt.in" "$T/fmt.csv" <<'EOF'
import csv, sys
want = [int(l) for l in open(sys.argv[1])]
rows = list(csv.reader(open(sys.argv[2], newline='')))
assert rows[0] == ['n', 'factors', 'status', 'cofactor'], rows[0]
assert len(rows) == len(want) + 1
for w, r in zip(want, rows[1:]):
    assert len(r) == 4 and int(r[0]) == w and r[3] == '', r
    assert r[2] == ('zero' if w == 0 else 'complete'), r
    prod = 1
    for t in r[1].split():
        p, _, e = t.partition('^')
        prod *= int(p) ** int(e or 1)
    assert (prod == w) if r[2] == 'complete' else r[1] == '', (w, r)
EOF
fz --input "$T/fmt.in" --format csv --verbose >"$T/fmtv.csv" 2>/dev/null
check "csv --verbose: rank and seconds columns" python3 - "$T/fmtv.csv" <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline='')))
assert rows[0] == ['n', 'factors', 'status', 'cofactor', 'rank', 'seconds'], rows[0]
for r in rows[1:]:
    assert len(r) == 6 and int(r[4]) >= 0 and float(r[5]) >= 0, r
EOF
run_np 1 --count 300 --format json >"$T/np1.json" 2>/dev/null
run_np 3 --count 300 --format json --chunk 7 >"$T/np3.json" 2>/dev/null
check_files "json: identical for 1 and 3 ranks" "$T/np1.json" "$T/np3.json"
run_np 3 --count 300 --format json --chunk 7 --unordered >"$T/np3u.json" 2>/dev/null
check_files "--unordered: same lines in some order" <(sort "$T/np1.json") <(sort "$T/np3u.json")

fz --count 40 --stats "$T/stats.json" >/dev/null 2>&1
check "--stats: a JSON object counting the numbers" python3 - "$T/stats.json" <<'EOF2'
import json, sys
s = json.load(open(sys.argv[1]))
assert s['numbers'] == 40, s
EOF2

# Partial results: a 91-digit product of two ~46-digit primes cannot be
# split in 0.3 s; each format marks the cofactor as composite.
SEMI=3000000000000000000000000000000000000000000046000000000000000000000000000000000000000000171
fz --time-limit-per-number 0.3 "$SEMI" 12 >"$T/part.txt" 2>/dev/null; rc=$?
check "partial: exit 0 (documented)" test "$rc" -eq 0
check "partial text: cofactor in brackets" \
	grep -qx "$SEMI: \[composite $SEMI\]" "$T/part.txt"
check "partial text: the next number is complete" grep -qx "12: 2 2 3" "$T/part.txt"
fz --time-limit-per-number 0.3 --format json "$SEMI" >"$T/part.json" 2>/dev/null
check "partial json: status partial, cofactor as a string" \
	python3 - "$T/part.json" "$SEMI" <<'EOF2'
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert r['status'] == 'partial' and r['cofactor'] == sys.argv[2], r
prod = int(r['cofactor'])
for f in r['factors']:
    prod *= int(f['p']) ** f['e']
assert prod == int(r['n']), r
EOF2
fz --time-limit-per-number 0.3 --format csv "$SEMI" >"$T/part.csv" 2>/dev/null
check "partial csv: status and cofactor columns" python3 - "$T/part.csv" "$SEMI" <<'EOF2'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline='')))
assert rows[1][2] == 'partial' and rows[1][3] == sys.argv[2], rows
EOF2

# ---- bad options: exit 2, a message naming the option, no output ----------

bad_opt() { # bad_opt NAME NEEDLE ARGS...
	local name=$1 needle=$2 rc; shift 2
	fz "$@" >"$T/bo.out" 2>"$T/bo.err" </dev/null; rc=$?
	if [ "$rc" -eq 2 ] && [ ! -s "$T/bo.out" ] && grep -qF -- "$needle" "$T/bo.err"; then
		pass "bad option: $name"
	else
		fail "bad option: $name" "rc=$rc stderr: $(head -2 "$T/bo.err" | tr '\n' '|')"
	fi
}
bad_opt "--count 0" "'--count'" --count 0
bad_opt "--count -5" "negative" --count -5
bad_opt "--count 2^64" "larger than 2^64-1" --count 18446744073709551616
bad_opt "--count abc" "'abc'" --count abc
bad_opt "--count missing value" "requires an argument" --count
bad_opt "--chunk 0" "'--chunk'" --count 5 --chunk 0
bad_opt "--chunk -1" "'--chunk'" --count 5 --chunk -1
bad_opt "--step 0" "'--step'" --count 5 --step 0
bad_opt "--format xml" "text, json, csv" --format xml 12
bad_opt "--verify maybe" "'--verify'" --verify maybe 12
bad_opt "--time-limit-per-number 0" "greater than 0" --time-limit-per-number 0 12
bad_opt "--max-digits 0" "'--max-digits'" --max-digits 0 12
bad_opt "unknown option" "unrecognized option '--bogus'" --bogus
bad_opt "-1 is an invalid option" "invalid option -- '1'" -1
bad_opt "-x" "invalid option -- 'x'" -x 12
bad_opt "ambiguous --c" "ambiguous" --c 5
bad_opt "--count with --input" "--input" --count 5 --input "$T/fmt.in"
bad_opt "--count with numbers" "command line" --count 5 12
bad_opt "--start without --count" "--count" --start 5 12
bad_opt "--resume without --checkpoint" "--checkpoint" --count 5 --resume
bad_opt "--quiet with --progress" "--progress" --quiet --progress 12
bad_opt "--output empty" "'--output'" --output= 12
fz --count 0 2>&1 | grep -q "Try 'factorize --help'"
check "usage error points to --help" test $? -eq 0

# ---- bad input: reported with file and line, the rest still factored -----

fz a 4 >"$T/a4.out" 2>"$T/a4.err"; rc=$?
check "bad argument: exit 1" test "$rc" -eq 1
check "bad argument: others printed" test "$(cat "$T/a4.out")" = "4: 2 2"
check "bad argument: GNU factor's message" \
	grep -q "^factorize: 'a' is not a valid positive integer$" "$T/a4.err"
fz "  +7" 007 >"$T/p7.out" 2>/dev/null; rc=$?
check "leading blanks, '+' and zeros accepted" \
	test "$rc" -eq 0 -a "$(tr '\n' ' ' <"$T/p7.out")" = "7: 7 7: 7 "

printf '12 abc 7\n# comment 99\n\n0x10 1e5 +5 ++5 -3\r\n3#x 15 # tail\n1.5 9' >"$T/bad.txt"
fz --input "$T/bad.txt" >"$T/bad.out" 2>"$T/bad.err"; rc=$?
check "bad file: exit 1" test "$rc" -eq 1
printf '12\n7\n5\n15\n9\n' | factor >"$T/bad.expect"
check_files "bad file: valid numbers factored, in order" "$T/bad.expect" "$T/bad.out"
for tok in "1:: 'abc'" "4:: '0x10'" "4:: '1e5'" "4:: '++5'" "4:: '-3'" "5:: '3#x'" "6:: '1.5'"; do
	line=${tok%%::*}; t=${tok#*:: }
	check "bad file: $t reported on line $line" \
		grep -qF "$T/bad.txt:$line: $t is not a valid positive integer" "$T/bad.err"
done
check "bad file: comments not reported" sh -c "! grep -q 99 '$T/bad.err'"

: >"$T/empty.txt"
fz --input "$T/empty.txt" >"$T/empty.out" 2>/dev/null; rc=$?
check "empty file: no output, exit 0" test "$rc" -eq 0 -a ! -s "$T/empty.out"
printf '12\r\n35\r\n' >"$T/crlf.txt"
fz --input "$T/crlf.txt" >"$T/crlf.out" 2>/dev/null; rc=$?
check "CRLF file" test "$rc" -eq 0 -a "$(tr '\n' ' ' <"$T/crlf.out")" = "12: 2 2 3 35: 5 7 "
printf '6\n35' >"$T/nonl.txt"
fz --input "$T/nonl.txt" >"$T/nonl.out" 2>/dev/null
check "file without final newline" test "$(tail -1 "$T/nonl.out")" = "35: 5 7"
printf '6\0007 \0\n9\n' >"$T/nul.txt"
fz --input "$T/nul.txt" >"$T/nul.out" 2>"$T/nul.err"; rc=$?
check "NUL bytes: bad tokens, exit 1, others factored" \
	test "$rc" -eq 1 -a "$(tr '\n' ' ' <"$T/nul.out")" = "9: 3 3 "
check "NUL bytes: shown escaped" grep -qF "'6\\x007'" "$T/nul.err"
head -c 65536 /dev/urandom >"$T/garbage.bin"
fz --input "$T/garbage.bin" >/dev/null 2>&1; rc=$?
check "binary garbage: no crash (exit 0 or 1)" test "$rc" -le 1
{ head -c 10000000 /dev/zero | tr '\0' '7'; printf '\n21\n'; } >"$T/long.txt"
fz --input "$T/long.txt" >"$T/long.out" 2>"$T/long.err"; rc=$?
check "10 MB line: rejected, exit 1" test "$rc" -eq 1
check "10 MB line: reason names --max-digits" grep -q "has more than 10000 digits" "$T/long.err"
check "10 MB line: message stays short" test "$(wc -c <"$T/long.err")" -lt 400
check "10 MB line: next number factored" test "$(cat "$T/long.out")" = "21: 3 7"
fz --max-digits 5 12345 123456 >"$T/md.out" 2>"$T/md.err"; rc=$?
check "--max-digits 5: 6 digits rejected" \
	test "$rc" -eq 1 -a "$(cat "$T/md.out")" = "12345: 3 5 823"
fz --input "$T/does-not-exist" >/dev/null 2>"$T/nx.err"; rc=$?
check "missing input file: exit 3 with its name" \
	sh -c "test $rc -eq 3 && grep -q 'does-not-exist' '$T/nx.err'"
fz --input "$T" >/dev/null 2>"$T/dir.err"; rc=$?
check "directory as input: exit 3" test "$rc" -eq 3

# ---- output files and write errors ---------------------------------------

mkdir -p "$T/od"
fz --count 50 --output "$T/od/res.txt" >"$T/od.stdout" 2>/dev/null; rc=$?
fz --count 50 >"$T/od.ref" 2>/dev/null
check "--output: exit 0, nothing on stdout" test "$rc" -eq 0 -a ! -s "$T/od.stdout"
check_files "--output: same bytes as stdout" "$T/od.ref" "$T/od/res.txt"
check "--output: no temporary file left" test "$(ls -A "$T/od")" = "res.txt"
fz --count 5 --output "$T/nodir/sub/res.txt" >/dev/null 2>"$T/nd.err"; rc=$?
check "--output in a missing directory: exit 3, path named" \
	sh -c "test $rc -eq 3 && grep -q 'nodir/sub/res.txt' '$T/nd.err'"
fz --count 5 --output "$T/od" >/dev/null 2>"$T/odir.err"; rc=$?
check "--output is a directory: exit 3" test "$rc" -eq 3
fz --count 5000 --output /dev/full >/dev/null 2>"$T/full.err"; rc=$?
check "--output /dev/full: exit 3" test "$rc" -eq 3
check "--output /dev/full: says why" grep -q "No space left on device" "$T/full.err"
check "/dev/full is still a device" test -c /dev/full
fz --count 5000 >/dev/full 2>"$T/full2.err"; rc=$?
check "stdout on /dev/full: non-zero exit and a message" \
	sh -c "test $rc -ne 0 && test -s '$T/full2.err'"
fz --count 5 >&- 2>"$T/closed.err"; rc=$?
check "closed stdout: non-zero exit and a message" \
	sh -c "test $rc -ne 0 && test -s '$T/closed.err'"

# Interrupted: SIGTERM mid-run leaves neither the file nor a temporary.
mkdir -p "$T/int"
"$FZ" --count 100000000 --output "$T/int/res.txt" >/dev/null 2>"$T/int.err" &
pid=$!
sleep 2
kill -TERM "$pid" 2>/dev/null
wait "$pid"; rc=$?
check "SIGTERM: exit 75" test "$rc" -eq 75
check "SIGTERM: no output file, no temporary" test -z "$(ls -A "$T/int")"

# ---- progress --------------------------------------------------------------

# In a pseudo-terminal (script): a bar redrawn with \r, counting numbers.
script -qec "timeout 60 '$FZ' --count 30000 >/dev/null" /dev/null >"$T/pty.txt" 2>&1
check "progress: bar on a terminal by default" grep -q $'\r.*/30000' "$T/pty.txt"
# One rank runs the whole job in its dispatch loop: the bar must move
# before the end (it once appeared only at 100%).
script -qec "timeout 60 '$FZ' --count 60000 --start 100000000000000000000 --step 7 >/dev/null" /dev/null >"$T/pty1.txt" 2>&1
check "progress: one rank shows the bar before the end" \
	grep -qE $'\r\\[[#.]+\\] +[0-9]{1,2}\\.[0-9]% ' "$T/pty1.txt"
script -qec "timeout 60 '$FZ' --count 3000" /dev/null >"$T/ptyo.txt" 2>&1
check "progress: no bar when the results go to the same terminal" \
	sh -c "grep -q '^1000000005997: ' '$T/ptyo.txt' && ! grep -q '/3000' '$T/ptyo.txt'"
script -qec "timeout 60 '$FZ' --count 30000 --quiet >/dev/null" /dev/null >"$T/ptyq.txt" 2>&1
check "progress: --quiet prints nothing on a terminal" test ! -s "$T/ptyq.txt"
fz --count 30000 --progress >/dev/null 2>"$T/log.txt"
check "progress: --progress writes plain lines to a log" \
	grep -qE '^factorize: (progress|done): [0-9]+/30000 numbers' "$T/log.txt"
check "progress: no terminal control codes in a log" no_control "$T/log.txt"
fz --count 300 >/dev/null 2>"$T/nolog.txt"
check "progress: none by default when stderr is not a terminal" \
	sh -c "! grep -qE '^factorize: progress:|\\[#' '$T/nolog.txt'"

# ---- make install / uninstall ----------------------------------------------

INST="$T/inst"
make -s -C "$TOP" -o factorize install PREFIX="$INST" >"$T/inst.log" 2>&1
check "make install: binary and man page" \
	test -x "$INST/bin/factorize" -a -f "$INST/share/man/man1/factorize.1"
check "installed binary runs" sh -c "'$INST/bin/factorize' 12 2>/dev/null | grep -qx '12: 2 2 3'"
out=$(MANWIDTH=80 man -l "$INST/share/man/man1/factorize.1" 2>&1 >/dev/null)
check "installed man page renders" test -z "$out"
make -s -C "$TOP" -o factorize uninstall PREFIX="$INST" >>"$T/inst.log" 2>&1
check "make uninstall removes both files" \
	test ! -e "$INST/bin/factorize" -a ! -e "$INST/share/man/man1/factorize.1"
make -s -C "$TOP" -o factorize install DESTDIR="$T/stage" PREFIX=/opt/fz >>"$T/inst.log" 2>&1
check "make install DESTDIR stages under DESTDIR" test -x "$T/stage/opt/fz/bin/factorize"

summary
