# shellcheck shell=bash
# tests/bench/oracle.sh - the two oracles in GNU factor's text format, shared
# by tests/integration/it_engine_diff.sh and tests/bench/bench-engine.sh (source it).
#
#   gp_script FILE        a PARI/GP program that reads FILE (one number per
#                         line, readvec) and prints "n: p p q" for each
#                         number, as GNU factor does ("0:" and "1:" alone);
#                         factor_proven stays 0, PARI's default.
#   gp_factor CAP FILE    run it under timeout CAP (seconds) on stdout.
#   in_input_order IN OUT print OUT's lines in the order of the numbers of
#                         IN (GNU factor prints numbers above 2^127 out of
#                         input order when its output is a pipe); a number
#                         with no line gets "n: MISSING", so a dropped
#                         line is a mismatch.  IN must hold normalised
#                         decimals (no '+', no leading zeros).
#   factor_ordered CAP FILE  GNU factor on FILE under timeout, in input order;
#                         exit status that of factor (124 on timeout).

gp_script() {
	printf '%s\n' 'default(factor_proven,0);' \
		"v=readvec(\"$1\");" \
		'for(i=1,#v,n=v[i];if(n<=1,print(n,":"),f=factor(n);s=Str(n,":");for(j=1,#f~,for(k=1,f[j,2],s=Str(s," ",f[j,1])));print(s)))'
}

gp_factor() {
	gp_script "$2" | timeout -k 2 "$1" gp -q -f -s 400M
}

in_input_order() {
	awk 'NR==FNR { line[substr($0, 1, index($0, ":") - 1)] = $0; next }
	     NF { print (($1 in line) ? line[$1] : $1 ": MISSING") }' "$2" "$1"
}

factor_ordered() {
	local out rc
	out=$(mktemp "${TMPDIR:-/tmp}/factor-out.XXXXXX")
	timeout -k 2 "$1" factor <"$2" >"$out"
	rc=$?
	[ "$rc" -eq 0 ] && in_input_order "$2" "$out"
	rm -f "$out"
	return "$rc"
}
