#!/usr/bin/env bash
# tests/integration/it_kill_mpiio.sh - checkpoint and resume while the
# workers write --output (proto.h 3b; journal.h placed records).
#
# 1. it_kill.sh at -np 3 with every worker slowed (40 ms per chunk of 4,
#    --test-fault-rank 2147483647), KILL_ROUNDS SIGKILLs of the whole job
#    and TERM_ROUNDS SIGTERMs of every rank (default 6 each), each
#    followed by a resume: the final output is byte-identical to an
#    uninterrupted run, 0 results lost, 0 repeated.  Its checks are
#    counted here.
# 2. The journal of such a job holds placed records (FZJP), not lines, and
#    rank 0 receives far less than the output (--stats bytes).
# 3. A flipped byte in a placed block of the kept temporary file
#    (".<name>.factorize-partial"): the resumed run says the chunk is not
#    in the file as journaled, computes it again, and the output is
#    byte-identical.
# 4. A job killed at -np 3 resumed with one process (the byte path reads
#    the placed blocks back from the kept file): byte-identical.
# 5. A finished job run again with its journal reads every block back
#    from the finished output: nothing is computed (0 chunks), the same
#    file.
# About a minute on the 2-core machine.  Ends with "N passed, N failed".
set -u
. "$(dirname "$0")/../lib.sh"
export LC_ALL=C
F=$TOP/factorize

# ---- 1. the kill rounds of it_kill.sh, at -np 3 ----
KILL_NP=3 KILL_FAULT_RANK=2147483647 KILL_ROUNDS=${KILL_ROUNDS:-6} \
	TERM_ROUNDS=${TERM_ROUNDS:-6} bash "$(dirname "$0")/it_kill.sh" >"$TMP/kill.log" 2>&1
grep -E '^(ok|FAIL|     )' "$TMP/kill.log"
v=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$TMP/kill.log" | tail -1)
if [ -n "$v" ]; then
	PASS=$((PASS + $(echo "$v" | awk '{ print $1 }')))
	FAIL=$((FAIL + $(echo "$v" | awk '{ print $3 }')))
else
	fail "it_kill.sh at -np 3 ends with a verdict"
fi

JOB=(--count 1000 --start 999999999999 --chunk 4 --quiet
	--test-fault slow --test-fault-rank 2147483647 --test-fault-ms 40)
"$F" --count 1000 --start 999999999999 --output "$TMP/ref.out" 2>/dev/null

# placed JOURNAL: "chunk out_offset out_len" of every placed record
placed() {
	python3 - "$1" <<'EOF'
import struct, sys
d = open(sys.argv[1], 'rb').read()
dlen = struct.unpack_from('<I', d, 12)[0]
off = 24 + dlen + 4
while off + 36 <= len(d):
    magic, plen, chunk = struct.unpack_from('<IIQ', d, off)
    if magic == 0x504a5a46:
        o, n, _ = struct.unpack_from('<QQI', d, off + 32)
        print(chunk, o, n)
    off += 32 + plen + 4
EOF
}

# killed_run OUT JOURNAL: start the job at -np 3 in a session of its own,
# SIGKILL all of it once the journal holds at least 20 placed records
killed_run() {
	setsid $MPIRUN $MPIRUN_FLAGS -np 3 "$F" "${JOB[@]}" --output "$1" \
		--checkpoint "$2" 2>>"$TMP/stderr.log" &
	job=$!
	for _ in $(seq 500); do
		[ "$(placed "$2" 2>/dev/null | wc -l)" -ge 20 ] && break
		kill -0 "$job" 2>/dev/null || break
		sleep 0.02
	done
	ps -eo pid=,sid= | awk -v s="$job" '$2 == s { print $1 }' | xargs -r kill -KILL 2>/dev/null
	wait "$job" 2>/dev/null
	sleep 0.2
}

not_grep() { ! grep -q "$1" "$2"; }

# ---- 2. placed records; rank 0 gets little of the output ----
rm -f "$TMP/a.out" "$TMP/a.j"
run_np 3 --count 20000 --start 999999999999 --quiet --output "$TMP/a.out" \
	--checkpoint "$TMP/a.j" --stats "$TMP/a.json" 2>/dev/null
"$F" --count 20000 --start 999999999999 --output "$TMP/a.ref" 2>/dev/null
check_files "np 3 --checkpoint: the file = one process" "$TMP/a.ref" "$TMP/a.out"
check "np 3 --checkpoint: the journal places blocks" test "$(placed "$TMP/a.j" | wc -l)" -gt 0
got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["bytes"] * 4 < d["bytes_written"])' "$TMP/a.json" 2>/dev/null)
check "np 3 --checkpoint: rank 0 received < 1/4 of the output" test "$got" = True

# ---- 3. a flipped byte in a placed block of the kept file ----
out="$TMP/c.out" j="$TMP/c.j" kept="$TMP/.c.out.factorize-partial"
killed_run "$out" "$j" 2>/dev/null # bash names the killed job
check "kill: the kept temporary file is there" test -s "$kept"
check "kill: no output file yet" test ! -e "$out"
read -r chunk at len < <(placed "$j" | sed -n 5p)
if [ -n "${at:-}" ] && [ "${len:-0}" -gt 0 ]; then
	python3 -c 'import sys
f = open(sys.argv[1], "r+b"); f.seek(int(sys.argv[2])); b = f.read(1)
f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 0x20])); f.close()' "$kept" "$((at + len / 2))"
fi
# without --quiet, which would keep the note about the chunk to itself
run_np 3 "${JOB[@]:0:6}" "${JOB[@]:7}" --output "$out" --checkpoint "$j" 2>"$TMP/c.err"
check "flipped byte: resumed run exits 0" test $? -eq 0
check "flipped byte: chunk $chunk named, computed again" \
	grep -q "chunk $chunk is not in the kept output file as journaled" "$TMP/c.err"
check_files "flipped byte: final output = uninterrupted run" "$TMP/ref.out" "$out"
check "flipped byte: the kept file is gone" test ! -e "$kept"

# ---- 4. killed at -np 3, resumed by one process ----
out="$TMP/d.out" j="$TMP/d.j"
killed_run "$out" "$j" 2>/dev/null # bash names the killed job
"$F" --count 1000 --start 999999999999 --chunk 4 --quiet --output "$out" \
	--checkpoint "$j" 2>"$TMP/d.err"
check "one process resumes: exit 0" test $? -eq 0
check "one process resumes: no block computed again" \
	not_grep "not in the kept output" "$TMP/d.err"
check_files "one process resumes: = uninterrupted run" "$TMP/ref.out" "$out"

# ---- 5. a finished job run again ----
run_np 3 --count 20000 --start 999999999999 --output "$TMP/a.out" \
	--checkpoint "$TMP/a.j" 2>"$TMP/a.err"
check_files "finished job again: the same file" "$TMP/a.ref" "$TMP/a.out"
check "finished job again: nothing computed" grep -q " 0 chunks" "$TMP/a.err"

summary
