#!/usr/bin/env bash
# tests/integration/it_range.sh - generated jobs (--count/--start/--step, the range
# engine of src/engine/range.c) under mpirun -np 1, 2 and 3, byte-identical to
# GNU factor on the same terms (seq | factor, or python3 for terms past
# 2^64), with guided and fixed chunks.  One verdict line at the end.
. "$(dirname "$0")/../lib.sh"

# terms START STEP COUNT: the progression, one number a line
terms() { python3 -c "import sys; a,d,n=map(int,sys.argv[1:]); print('\n'.join(str(a+k*d) for k in range(n)))" "$@"; }

# case NAME START STEP COUNT [options]: factor's text once, then every -np
case_range() {
	local name=$1 start=$2 step=$3 count=$4; shift 4
	terms "$start" "$step" "$count" | factor > "$TMP/expect" || { fail "$name: factor"; return; }
	for np in 1 2 3; do
		run_np "$np" --quiet --count "$count" --start "$start" --step "$step" "$@" > "$TMP/out.$np" 2>"$TMP/err.$np"
		check_files "$name -np $np" "$TMP/out.$np" "$TMP/expect"
	done
}

case_range "classic job" 999999999999 2 999 --chunk 43
case_range "10^12 step 1, guided" 1000000000000 1 60000
case_range "10^12 step 1, chunk 5000" 1000000000000 1 30000 --chunk 5000
case_range "start 0" 0 1 5000
case_range "start 1, step 30030" 1 30030 4000 --chunk 97
case_range "crossing 2^32" 4294900000 3 50000
case_range "2^62" 4611686018427387904 1 4000
case_range "crossing 2^64" 18446744073709549000 1 3000 --chunk 256
case_range "huge step" 7 1267650600228229401496703205653 40 --chunk 3
summary
