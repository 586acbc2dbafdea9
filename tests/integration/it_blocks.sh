#!/usr/bin/env bash
# tests/integration/it_blocks.sh - workers check and format, rank 0 copies blocks
# (issue 17): the output of every format and option combination is
# byte-identical to an oracle at any rank count, with and without groups,
# to standard output and to a file.
#
# Oracles: jobs/*.expect and jobs/bench/*.expect (GNU factor / PARI/GP),
# turned into -h, JSON and CSV by the independent Python converter below
# (not by output.c); --verbose lines are compared with their rank and
# seconds fields removed, and the rank must be one of the job's.  With
# REF_FACTORIZE=/path/to/an/older/binary every run is also compared with
# that binary's one-process output (a before/after check by hand).
# Ends with the verdict line of tests/lib.sh.
set -u
. "$(dirname "$0")/../lib.sh"
T=$TMP
export LC_ALL=C
NPS=${NPS:-"1 2 3 4 5 6 7 8"} # the classic job; the other sets: SET_NPS
SET_NPS=${SET_NPS:-"1 3 8"}

# oracle FMT EXPECT VERBOSE: the expected text in format FMT (text, h,
# json, csv); VERBOSE 1 only changes the CSV header.
oracle() {
	python3 - "$@" <<'EOF'
import sys
fmt, path, verbose = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
out = sys.stdout
if fmt == "csv":
    out.write("n,factors,status,cofactor" + (",rank,seconds" if verbose else "") + "\n")
for line in open(path):
    n, _, rest = line.rstrip("\n").partition(":")
    ps = rest.split()
    fs = []
    for p in ps:
        if fs and fs[-1][0] == p:
            fs[-1][1] += 1
        else:
            fs.append([p, 1])
    pe = lambda p, e: p if e == 1 else "%s^%d" % (p, e)
    if fmt == "text":
        out.write(line)
    elif fmt == "h":
        out.write(n + ":" + "".join(" " + pe(p, e) for p, e in fs) + "\n")
    elif fmt == "json":
        out.write('{"n":"%s","factors":[%s],"status":"complete"}\n' % (
            n, ",".join('{"p":"%s","e":%d}' % (p, e) for p, e in fs)))
    else:
        out.write('%s,"%s",complete,\n' % (n, " ".join(pe(p, e) for p, e in fs)))
EOF
}

# strip_verbose FMT NP < OUT: the lines without rank and seconds; exits
# non-zero when a rank is outside 0 .. NP-1.
strip_verbose() {
	python3 -c '
import re, sys
fmt, np = sys.argv[1], int(sys.argv[2])
bad = 0
for i, line in enumerate(sys.stdin):
    if fmt == "json":
        m = re.match(r"(.*),\"rank\":(\d+),\"seconds\":\d+\.\d{6}\}$", line.rstrip("\n"))
        if not m: bad = 1; sys.stdout.write(line); continue
        sys.stdout.write(m.group(1) + "}\n")
    else:
        if i == 0:
            sys.stdout.write(line); continue
        m = re.match(r"(.*),(\d+),\d+\.\d{6}$", line.rstrip("\n"))
        if not m: bad = 1; sys.stdout.write(line); continue
        sys.stdout.write(m.group(1) + "\n")
    if m and int(m.group(2)) >= np: bad = 1
sys.exit(bad)' "$1" "$2"
}

fmt_args() {
	case $1 in
	text) ;;
	h) echo -h ;;
	json) echo --format json ;;
	csv) echo --format csv ;;
	esac
}

# run NAME NP REF ARGS...: stdout of the job against REF.
run() {
	local name=$1 np=$2 ref=$3 out="$T/out.$RANDOM" rc; shift 3
	run_np "$np" --quiet "$@" >"$out" 2>"$out.err"; rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "$name: exit $rc" "$(head -3 "$out.err" | tr '\n' '|')"
		return
	fi
	check_files "$name" "$ref" "$out"
	# (an older binary may not know an option: then nothing to compare)
	if [ -n "${REF_FACTORIZE:-}" ] &&
		"$REF_FACTORIZE" --quiet "$@" >"$out.old" 2>/dev/null; then
		check_files "$name = $(basename "$REF_FACTORIZE")" "$out.old" "$out"
	fi
	rm -f "$out" "$out.err" "$out.old"
}

for set in jobs/classic jobs/mixed jobs/bench/S40 jobs/bench/S64 \
	jobs/bench/MIX; do
	s=$(basename "$set")
	for fmt in text h json csv; do
		oracle "$fmt" "$TOP/$set.expect" 0 >"$T/$s.$fmt"
		# every rank count on the classic job, SET_NPS on the others
		nps=$SET_NPS
		[ "$s" = classic ] && nps=$NPS
		for np in $nps; do
			run "$s $fmt -np $np" "$np" "$T/$s.$fmt" \
				--input "$TOP/$set.txt" $(fmt_args "$fmt")
		done
	done
done

# groups: leaders forward their members' lines in order
for fmt in text h json csv; do
	for g in "5 2" "8 3" "8 7"; do
		set -- $g
		run "classic $fmt -np $1 --group-size $2" "$1" \
			"$T/classic.$fmt" --input "$TOP/jobs/classic.txt" \
			--group-size "$2" --chunk 37 $(fmt_args "$fmt")
	done
done
run "S64 csv -np 8 --group-size node" 8 "$T/S64.csv" \
	--input "$TOP/jobs/bench/S64.txt" --group-size node --format csv

# --output FILE, flat and grouped, and the modes of --verify
for fmt in text json; do
	for extra in "" "--group-size 2"; do
		f="$T/file.$RANDOM"
		run_np 4 --quiet --input "$TOP/jobs/mixed.txt" --output "$f" \
			$(fmt_args "$fmt") $extra 2>"$f.err"
		check_files "mixed $fmt -np 4 $extra --output FILE" \
			"$T/mixed.$fmt" "$f"
		rm -f "$f" "$f.err"
	done
done
for v in full sample product none; do
	run "classic -np 3 --verify $v" 3 "$T/classic.text" \
		--input "$TOP/jobs/classic.txt" --verify "$v"
done
run "classic -np 3 --chunk 1" 3 "$T/classic.text" \
	--input "$TOP/jobs/classic.txt" --chunk 1

# --verbose: rank and seconds stripped, the rest identical; ranks valid
for fmt in json csv; do
	oracle "$fmt" "$TOP/jobs/mixed.expect" 1 >"$T/mixed.$fmt.v"
	for g in "1 0" "3 0" "5 2"; do
		set -- $g
		out="$T/v.$RANDOM"
		run_np "$1" --quiet --input "$TOP/jobs/mixed.txt" --verbose \
			--format "$fmt" --group-size "$2" >"$out" 2>"$out.err"
		if strip_verbose "$fmt" "$1" <"$out" >"$out.s"; then
			pass "mixed $fmt --verbose -np $1 --group-size $2: ranks valid"
		else
			fail "mixed $fmt --verbose -np $1 --group-size $2: ranks valid"
		fi
		check_files "mixed $fmt --verbose -np $1 --group-size $2" \
			"$T/mixed.$fmt.v" "$out.s"
	done
done

summary
