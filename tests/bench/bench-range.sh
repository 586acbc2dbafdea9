#!/usr/bin/env bash
# tests/bench/bench-range.sh - the range benchmark of issue 16, run by
# `make bench-range`: one arithmetic progression through four tools in one
# run, numbers per CPU second (user+sys of the process tree, from
# /usr/bin/time), text output written to a file in a temporary directory.
#
#   range   ./factorize --count N --start S --step K --quiet > FILE
#           (an MPI singleton: rank 0 factors with the range engine,
#           verifies every result (--verify full, the default) and writes)
#   number  ./factorize --input TERMS --quiet > FILE: the same numbers
#           (all N of them, written beforehand) through the per-number
#           engine
#   gp      gp -q: forfactored(n = S, S + (N-1)K, 0) (writes nothing;
#           step 2 factors every number of the span, which is what
#           forfactored can do; its rate is numbers of the progression per
#           second); above 2^64 forfactored would sieve to sqrt: a
#           factor() loop instead, also writing nothing
#   factor  seq S K E | factor > FILE (python3 prints the terms above 2^53,
#           where seq is not exact)
# Start-up is not subtracted: N is large enough that it is a few percent.
# Rounds are interleaved (range, number, gp, factor, then again) ROUNDS
# times (default 3); rates are medians over rounds, ratios the median of
# per-round ratios.  Each case runs on several starts (SEEDS: start + seed
# * 10^9 steps), and the worst seed's ratios are printed last.  Every
# output is checked against GNU factor's (range and number) once.
#
# Knobs: CASES (names below), SEEDS (default "0 1 2"), ROUNDS, BUILD.
set -u
cd "$(dirname "$0")/../.." || exit 2
: "${BUILD:=build}"
: "${ROUNDS:=3}"
: "${SEEDS:=0 1 2}"
: "${CASES:=1e12s1 1e12s2 2p62 1e30}"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/bench-range.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_base_warn_component_unused=0

# name -> start step count
case_args() {
	case $1 in
	1e12s1) echo 1000000000000 1 1000000 ;;
	1e12s2) echo 1000000000000 2 1000000 ;;
	2p62) echo 4611686018427387904 1 100000 ;;
	1e30) echo 1000000000000000000000000000000 1 300 ;;
	*) echo "unknown case $1" >&2; exit 2 ;;
	esac
}

# cpu LOG OUT CMD...: CMD's stdout to OUT, its user+sys seconds (with its
# children) appended to LOG
cpu() {
	local log=$1 out=$2; shift 2
	/usr/bin/time -f "%U %S" -o "$TMP/time" "$@" > "$out" || { echo "FAILED: $*" >&2; echo 0 >> "$log"; return 1; }
	awk '{printf "%.4f\n", $1 + $2}' "$TMP/time" >> "$log"
}

median() { sort -g | awk '{a[NR]=$1} END{if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

printf '%-8s %5s %9s | %12s %12s %12s %12s | %8s %8s %8s\n' case seed count \
	"range/s" "number/s" "gp/s" "factor/s" "vs num" "vs gp" "vs fact"
worst=""
status=0
for c in $CASES; do
	read -r S0 K N < <(case_args "$c")
	for seed in $SEEDS; do
		S=$(python3 -c "print($S0 + $seed * 10**9 * $K)")
		E=$(python3 -c "print($S + ($N - 1) * $K)")
		python3 -c "import sys; a,d,n=$S,$K,$N; sys.stdout.write(''.join(str(a+k*d)+'\n' for k in range(n)))" > "$TMP/terms"
		if [ "$c" = 1e30 ]; then
			printf 'v=readvec("%s"); for(i=1,#v,factor(v[i])); quit\n' "$TMP/terms" > "$TMP/gp.gp"
			GPS=200000000
		else
			printf 'forfactored(n=%s, %s, 0); quit\n' "$S" "$E" > "$TMP/gp.gp"
			GPS=$(( (E - S + 1) * 1200 + 100000000 ))
		fi
		: > "$TMP/r.range"; : > "$TMP/r.number"; : > "$TMP/r.gp"; : > "$TMP/r.factor"
		for round in $(seq "$ROUNDS"); do
			cpu "$TMP/r.range" "$TMP/out.range" ./factorize --quiet --count "$N" --start "$S" --step "$K" || status=1
			cpu "$TMP/r.number" "$TMP/out.number" ./factorize --quiet --input "$TMP/terms" || status=1
			cpu "$TMP/r.gp" /dev/null gp -q -s "$GPS" -f "$TMP/gp.gp" < /dev/null || status=1
			cpu "$TMP/r.factor" "$TMP/out.factor" factor < "$TMP/terms" || status=1
		done
		for t in range number; do
			if ! cmp -s "$TMP/out.factor" "$TMP/out.$t"; then
				echo "MISMATCH: $t output differs from GNU factor ($c seed $seed)" >&2
				status=1
			fi
		done
		# every tool factors the same N numbers
		rate() { median < "$TMP/r.$1" | awk -v n="$N" '{printf "%.0f", ($1 > 0 ? n / $1 : 0)}'; }
		ratio() { paste "$TMP/r.$1" "$TMP/r.range" | awk '{print ($2 > 0 ? $1 / $2 : 0)}' | median | awk '{printf "%.2f", $1}'; }
		line=$(printf '%-8s %5s %9s | %12s %12s %12s %12s | %7sx %7sx %7sx' "$c" "$seed" "$N" \
			"$(rate range)" "$(rate number)" "$(rate gp)" "$(rate factor)" \
			"$(ratio number)" "$(ratio gp)" "$(ratio factor)")
		echo "$line"
		worst="$worst$line"$'\n'
	done
done
echo
echo "worst seed per case (lowest ratio against the per-number path, then gp):"
printf '%s' "$worst" | awk 'NF { key=$1; v=$(NF-2)+0; if (!(key in best) || v < best[key]) { best[key]=v; row[key]=$0 } } END { for (k in row) print row[k] }' | sort
echo "(output: text written to a file in $TMP for range, number and factor; gp writes nothing)"
exit $status
