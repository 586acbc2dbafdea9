#!/usr/bin/env bash
# tests/integration/it_launcher.sh - the launcher dies: the ranks die with
# it, and a rerun started at once completes (issue 19).
#
# 1. kill -9 of the launcher's process group, as a user would
#    (`setsid mpirun ... &`, then `kill -9 -- -PGID`) while the job runs,
#    LAUNCH_ROUNDS times (default 3) under Open MPI's mpirun and, when the
#    MPICH build exists (make MPI=mpich BUILD=build/mpich, it_mpi_variants
#    builds it), under MPICH's mpiexec.hydra.  Each round: every factorize
#    process of this job is gone within LAUNCH_MAX_S seconds (default 1:
#    the ranks ask for SIGKILL at their parent's death, main.c, and go in
#    milliseconds; the median and maximum are printed), and a rerun with
#    the same --checkpoint started at once exits 0 with the output
#    byte-identical to GNU factor's (results lost 0, repeated 0).  The
#    victims are this job's own descendants (ppid walk from the launcher),
#    never a machine-wide search: other jobs run on the same machine.
#    Hydra puts its proxies and ranks in sessions of their own, so the
#    process group kill reaches mpiexec only; the proxy then dies with it
#    (its own teardown) and the ranks with the proxy.
# 2. A program started by hand (no launcher in the environment) lives on
#    when its parent shell exits (nohup-style use): it completes.
# 3. The journal lock: a rerun that finds the journal locked waits up to
#    REPLAY_JOURNAL_WAIT_MS (5 s), saying so: a holder that goes 1 s
#    after the job says it waits lets it complete (exit 0, identical
#    output); a holder that stays (30 s) makes it fail with "in use", exit
#    3, after the bound: between 4.5 s and 20 s from the launch (start-up
#    on a loaded machine takes seconds; a job that waited for the holder
#    would end after 30 s).
#
# The job is the issue's: --count 300001 --start 10^15 (step 2), about
# 1-2 s on 3 ranks; the kill comes when the journal has grown past its
# header (the ranks compute), so every round kills a running job.
set -u
. "$(dirname "$0")/../lib.sh"

LAUNCH_ROUNDS=${LAUNCH_ROUNDS:-3}
LAUNCH_MAX_S=${LAUNCH_MAX_S:-1}
START=1000000000000000
COUNT=300001
JOB=(--count "$COUNT" --start "$START" --quiet)

seq "$START" 2 $((START + 2 * (COUNT - 1))) | factor >"$TMP/ref.out"
check "reference from GNU factor has $COUNT lines" \
	[ "$(wc -l <"$TMP/ref.out")" -eq "$COUNT" ]

# descendants PID: PID and every process below it (ppid walk, one ps).
descendants() {
	ps -eo pid=,ppid= | awk -v root="$1" '
		{ kids[$2] = kids[$2] " " $1 }
		END { q[1] = root; n = 1
			for (i = 1; i <= n; i++) { print q[i]
				m = split(kids[q[i]], k, " ")
				for (j = 1; j <= m; j++) q[++n] = k[j] } }'
}

# alive PIDS...: those of PIDS that still run (a zombie has gone: it holds
# no lock and computes nothing; init reaps it).
alive() {
	local p s
	for p in "$@"; do
		s=$(ps -o stat= -p "$p" 2>/dev/null) || continue
		case $s in Z*) ;; *) echo "$p" ;; esac
	done
}

lost_repeated() {
	python3 -c 'import collections, sys
a = collections.Counter(open(sys.argv[1]).read().splitlines())
b = collections.Counter(open(sys.argv[2]).read().splitlines())
print(sum((a - b).values()), sum((b - a).values()))' "$1" "$2"
}

# rounds NAME LAUNCHER FLAGS BINARY
rounds() {
	local name=$1 launcher=$2 flags=$3 bin=$4
	local i job lpid pg pids left ts dt times="" slow=0 killed=0 bad=0 hdr
	local ck="$TMP/$name.ck" out="$TMP/$name.out"
	for ((i = 1; i <= LAUNCH_ROUNDS; i++)); do
		rm -f "$ck" "$out" "$out.2"
		# shellcheck disable=SC2086 # flags is a word list
		setsid $launcher $flags -np 3 "$bin" "${JOB[@]}" \
			--checkpoint "$ck" --output "$out" 2>>"$TMP/$name.err" &
		job=$!
		# setsid forks when it leads a process group: the launcher is
		# then its child, the leader of a session of its own
		hdr=0
		for _ in $(seq 400); do
			[ -f "$ck" ] && [ "$(stat -c %s "$ck")" -gt 400 ] && { hdr=1; break; }
			kill -0 "$job" 2>/dev/null || break
			sleep 0.01
		done
		pids=$(descendants "$job")
		lpid=$(for p in $pids; do
			[ "$(ps -o sid= -p "$p" | tr -d ' ')" = "$p" ] && echo "$p"; done | head -1)
		if [ "$hdr" = 0 ] || [ -z "$lpid" ]; then
			echo "     $name round $i: the job ended before the kill"
			wait "$job"
			continue
		fi
		pg=$lpid
		ts=$(date +%s.%N)
		kill -KILL -- -"$pg" 2>/dev/null
		killed=$((killed + 1))
		# shellcheck disable=SC2086 # a list of pids
		for _ in $(seq 1000); do
			left=$(alive $pids | grep -v "^$job\$")
			[ -z "$left" ] && break
			sleep 0.005
		done
		dt=$(awk -v a="$ts" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
		times="$times $dt"
		awk -v t="$dt" -v m="$LAUNCH_MAX_S" 'BEGIN { exit !(t > m) }' && {
			slow=$((slow + 1))
			echo "     $name round $i: left after ${dt}s: $(ps -o pid=,stat=,comm= -p "$(echo $left | tr ' ' ,)" | tr '\n' ' ')"
		}
		# the rest of the job's processes, whatever the verdict
		# shellcheck disable=SC2086
		[ -n "$left" ] && kill -KILL $left 2>/dev/null
		wait "$job" 2>/dev/null
		# the rerun, at once
		timeout -k 5 "$TIMEOUT" $launcher $flags -np 3 "$bin" "${JOB[@]}" \
			--checkpoint "$ck" --output "$out.2" 2>>"$TMP/$name.err"
		rc=$?
		if [ "$rc" -ne 0 ] || ! cmp -s "$TMP/ref.out" "$out.2"; then
			bad=$((bad + 1))
			echo "     $name round $i: rerun exit $rc, output $(cmp "$TMP/ref.out" "$out.2" 2>&1 | head -1)"
		else
			read -r lost repeated < <(lost_repeated "$TMP/ref.out" "$out.2")
			[ "$((lost + repeated))" -eq 0 ] || bad=$((bad + 1))
		fi
	done
	check "$name: $killed of $LAUNCH_ROUNDS rounds killed a running job" \
		[ "$killed" -ge $(((LAUNCH_ROUNDS + 1) / 2)) ]
	check "$name: no factorize of the job left ${LAUNCH_MAX_S}s after kill -9 of the launcher" [ "$slow" -eq 0 ]
	# shellcheck disable=SC2086
	echo "     $name: kill to last rank gone (s): median $(printf '%s\n' $times | sort -n | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print "-" }'), max $(printf '%s\n' $times | sort -n | tail -1)"
	check "$name: rerun at once: exit 0, = GNU factor, lost 0, repeated 0" [ "$bad" -eq 0 ]
	if grep -q "in use" "$TMP/$name.err"; then
		fail "$name: no rerun found the journal in use" "$(grep "in use" "$TMP/$name.err" | head -2 | tr '\n' '|')"
	else
		pass "$name: no rerun found the journal in use"
	fi
}

# ---- 1. kill -9 of the launcher ----
rounds openmpi "$MPIRUN" "$MPIRUN_FLAGS" "${FACTORIZE:-$TOP/factorize}"
if command -v mpirun.mpich >/dev/null && [ -x "$TOP/build/mpich/factorize" ]; then
	rounds mpich mpirun.mpich "" "$TOP/build/mpich/factorize"
else
	echo "     MPICH build absent (make MPI=mpich BUILD=build/mpich build/mpich/factorize): its rounds skipped"
fi

# ---- 2. started by hand: lives on when its parent exits ----
small=(--count 20000 --start "$START" --quiet)
seq "$START" 2 $((START + 2 * 19999)) | factor >"$TMP/small.ref"
(env -u OMPI_COMM_WORLD_SIZE -u PMIX_RANK -u PMI_RANK -u PMI_SIZE \
	bash -c '"$1" "${@:2}" </dev/null >/dev/null 2>&1 & exit 0' _ \
	"${FACTORIZE:-$TOP/factorize}" "${small[@]}" --output "$TMP/small.out")
for _ in $(seq 600); do [ -f "$TMP/small.out" ] && break; sleep 0.1; done
check_files "by hand: its parent shell gone, the job completes" "$TMP/small.ref" "$TMP/small.out"

# ---- 3. the journal lock ----
# hold CK SECONDS [LOG]: an fcntl write lock on CK (the journal's kind of
# lock) for SECONDS; with LOG, until LOG says the job waits for it (at most
# 60 s: a slow start-up must not let the lock go before the job asks for
# it) and SECONDS more
hold() {
	python3 -c 'import fcntl, os, sys, time
f = open(sys.argv[1], "a")
fcntl.lockf(f, fcntl.LOCK_EX)
end = time.time() + 60
while sys.argv[3] and time.time() < end:
    try:
        if b"waiting up to" in open(sys.argv[3], "rb").read():
            break
    except OSError:
        pass
    time.sleep(0.05)
time.sleep(float(sys.argv[2]))' "$1" "$2" "${3:-}" &
	holder=$!
	for _ in $(seq 100); do
		python3 -c 'import fcntl, sys
f = open(sys.argv[1], "a")
try:
    fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB); sys.exit(1)
except OSError:
    sys.exit(0)' "$1" && return 0
		sleep 0.05
	done
}
ck="$TMP/lock.ck"
rm -f "$ck" "$TMP/lock.err"
hold "$ck" 1 "$TMP/lock.err"
run_np 2 "${small[@]}" --checkpoint "$ck" --output "$TMP/lock.out" 2>"$TMP/lock.err"
rc=$?
wait "$holder"
check "lock held 1 s after the job waits: the rerun exits 0" [ "$rc" -eq 0 ]
check_files "lock held 1 s after the job waits: output = GNU factor" "$TMP/small.ref" "$TMP/lock.out"
check "lock held 1 s after the job waits: it says it waits, and for how long" \
	grep -q "journal is in use by another process (pid [0-9]*); waiting up to 5 s" "$TMP/lock.err"

rm -f "$ck" "$TMP/lock.out"
hold "$ck" 30
ts=$(date +%s.%N)
run_np 2 "${small[@]}" --checkpoint "$ck" --output "$TMP/lock.out" 2>"$TMP/lock.err"
rc=$?
dt=$(awk -v a="$ts" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
echo "     lock held beyond the bound: the rerun ended after $dt s"
check "lock held beyond the bound: exit 3" [ "$rc" -eq 3 ]
check "lock held beyond the bound: 'in use' on stderr" grep -q "in use" "$TMP/lock.err"
check "lock held beyond the bound: ends after the 5 s bound (4.5-20 s)" \
	awk -v t="$dt" 'BEGIN { exit !(t >= 4.5 && t <= 20) }'
check "lock held beyond the bound: no output file" [ ! -e "$TMP/lock.out" ]

summary
