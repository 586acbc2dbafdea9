#!/usr/bin/env bash
# tests/sanitize.sh - the checks of `make asan` (issue 6), run over the
# AddressSanitizer + UBSan build tree $BUILD (build/asan).
#
# 1. Every unit test binary $BUILD/test_* with full leak checking
#    (detect_leaks=1): the unit tests never initialise MPI, so any leak or
#    sanitizer report is ours.  Names in SAN_SKIP (too slow) are skipped.
# 2. The MPI binary $BUILD/factorize, when built, with detect_leaks=0 (Open
#    MPI leaks at exit by design): the classic job under -np 1, 2, 4 and as
#    a singleton, compared with GNU factor; a file with bad tokens (must
#    still print the valid numbers exactly as factor does and exit 1); each
#    run must leave no "Sanitizer" or "runtime error" line on stderr.
#
# Named sanitize.sh, not it_*.sh, so that `make test` (tests/run_all.sh)
# does not pick it up.  Ends with "N passed, N failed" from tests/lib.sh.
set -u
. "$(dirname "$0")/lib.sh"
: "${BUILD:=build/asan}"

# -fno-sanitize-recover=all already stops at the first UBSan report.
UB="print_stacktrace=1:halt_on_error=1"
ASAN_UNIT="detect_leaks=1:halt_on_error=1:abort_on_error=0:strict_string_checks=1"
ASAN_MPI="detect_leaks=0:halt_on_error=1:abort_on_error=0"

# clean_log NAME LOG: fails NAME when LOG holds a sanitizer report.
clean_log() {
	if grep -qE 'Sanitizer|runtime error:' "$2"; then
		fail "$1" "$(grep -m3 -E 'ERROR|SUMMARY|runtime error' "$2" | tr '\n' '|')"
		return 1
	fi
	return 0
}

# 1. Unit tests.
n_units=0
for t in "$TOP/$BUILD"/test_*; do
	[ -x "$t" ] || continue
	[ "${t%.d}" = "$t" ] || continue
	case " ${SAN_SKIP:-} " in *" $(basename "$t") "*)
		echo "skip $(basename "$t") (SAN_SKIP)"; continue ;;
	esac
	n_units=$((n_units + 1))
	name="unit $(basename "$t") (asan+ubsan, leaks)"
	log="$TMP/$(basename "$t").log"
	ASAN_OPTIONS=$ASAN_UNIT UBSAN_OPTIONS=$UB timeout -k 5 600 "$t" >"$log" 2>&1
	rc=$?
	if [ $rc -ne 0 ]; then
		fail "$name" "exit $rc: $(grep -m3 -E 'ERROR|SUMMARY|FAILED|runtime error' "$log" | tr '\n' '|')"
	elif clean_log "$name" "$log"; then
		pass "$name"
	fi
done
[ "$n_units" -gt 0 ] || fail "unit tests" "no $BUILD/test_* (run make asan)"

# 2. The MPI binary.
BIN="$TOP/$BUILD/factorize"
if [ ! -x "$BIN" ]; then
	fail "asan factorize" "$BIN not built"
	summary
	exit
fi

# run_asan NAME NP EXPECT_RC OUT ARGS...: NP 0 = singleton (no mpirun).
run_asan() {
	local name=$1 np=$2 want=$3 out=$4 rc; shift 4
	if [ "$np" = 0 ]; then
		ASAN_OPTIONS=$ASAN_MPI UBSAN_OPTIONS=$UB \
			timeout -k 5 "$TIMEOUT" "$BIN" "$@" >"$out" 2>"$out.err"
	else
		timeout -k 5 "$TIMEOUT" $MPIRUN $MPIRUN_FLAGS \
			-x ASAN_OPTIONS=$ASAN_MPI -x UBSAN_OPTIONS=$UB \
			-np "$np" "$BIN" "$@" >"$out" 2>"$out.err"
	fi
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		fail "$name" "exit $rc, want $want: $(head -3 "$out.err" | tr '\n' '|')"
		return 1
	fi
	clean_log "$name" "$out.err"
}

# MPICH's mpirun takes -genv instead of -x.
if [ "${MPIRUN##*mpich}" != "$MPIRUN" ]; then
	run_asan() {
		local name=$1 np=$2 want=$3 out=$4 rc; shift 4
		if [ "$np" = 0 ]; then
			ASAN_OPTIONS=$ASAN_MPI UBSAN_OPTIONS=$UB \
				timeout -k 5 "$TIMEOUT" "$BIN" "$@" >"$out" 2>"$out.err"
		else
			timeout -k 5 "$TIMEOUT" $MPIRUN $MPIRUN_FLAGS \
				-genv ASAN_OPTIONS $ASAN_MPI -genv UBSAN_OPTIONS $UB \
				-np "$np" "$BIN" "$@" >"$out" 2>"$out.err"
		fi
		rc=$?
		if [ "$rc" -ne "$want" ]; then
			fail "$name" "exit $rc, want $want: $(head -3 "$out.err" | tr '\n' '|')"
			return 1
		fi
		clean_log "$name" "$out.err"
	}
fi

seq 999999999999 2 1000000001995 | factor >"$TMP/classic.expect"
for np in 0 1 2 4; do
	name="classic job np=$np (asan)"
	[ "$np" = 0 ] && name="classic job singleton (asan)"
	if run_asan "$name" "$np" 0 "$TMP/classic.$np" --count 999 --chunk 43 --quiet; then
		check_files "$name" "$TMP/classic.expect" "$TMP/classic.$np"
	fi
done

# Bad tokens among good numbers: letters, signs, hex, a NUL byte, binary,
# CRLF, an over-long number, no final newline.  factor is the oracle for
# stdout (it rejects the same tokens); the exit status is 1.
{
	printf '12 abc 13\r\n-5 +7 0x1f 1e5\n'
	printf '# comment\n3#x 0007 \000 99\n'
	printf '\377\376 1000000000001 '
	printf '1%.0s' $(seq 200); printf '\n'
	printf '18446744073709551617 0 1'
} >"$TMP/bad.in"
tr -d '\000' <"$TMP/bad.in" | tr ' \r' '\n\n' | grep -aE '^\+?[0-9]+$' |
	awk 'length($0) < 150' | factor >"$TMP/bad.expect" 2>/dev/null
for np in 1 2 4; do
	name="bad tokens np=$np (asan)"
	if run_asan "$name" "$np" 1 "$TMP/bad.$np" --input "$TMP/bad.in" --quiet --max-digits 150; then
		check_files "$name" "$TMP/bad.expect" "$TMP/bad.$np"
	fi
done

summary
